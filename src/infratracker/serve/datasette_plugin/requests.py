"""Reading a request before Datasette does: which database it names, whether it runs user SQL,
and what in it is malformed or not allowed on a read-only site."""
from __future__ import annotations

import json
from urllib.parse import parse_qsl

from datasette.utils import tilde_decode

# Pages that show where files live on this machine.
HIDDEN_PATHS = ("/-/databases", "/-/threads")
# A read-only site answers nothing else; Datasette 0.65.5 gives 500 for TRACE, PROPFIND and POST
# to a table page.
METHODS = ("GET", "HEAD", "OPTIONS")
# Query parameters whose value is SQL that runs as written.
USER_SQL = {"sql", "_where"}
# What a query of arbitrary SQL may be answered as: a CSV (or blob) of it would be a file from
# this site's origin holding whatever the query composed, spreadsheet formulas included.
SQL_FORMATS = {None, "json"}


def query_args(scope) -> list[tuple[str, str]]:
    return parse_qsl(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True)


def split_path(path: str) -> tuple[str, str | None]:
    """The first segment, tilde-decoded as Datasette decodes it, and the format of the last."""
    segments = path.strip("/").split("/")
    first = segments[0]
    last = segments[-1]
    fmt = last.rsplit(".", 1)[1] if "." in last else None
    if len(segments) == 1 and fmt:
        first = first.rsplit(".", 1)[0]
    try:
        first = tilde_decode(first)
    except Exception:  # a malformed tilde sequence names no database
        pass
    return first, fmt


def is_offsite(path: str) -> bool:
    # Datasette 0.65.5 redirects "/\evil.com/" to "/\evil.com" and browsers read "/\" as "//".
    return "\\" in path or path.startswith("//")


def runs_user_sql(args: list[tuple[str, str]]) -> bool:
    return any(k in USER_SQL for k, _v in args)


def problem(scope, args: list[tuple[str, str]]) -> tuple[int, str] | None:
    """A status and message for a request that must not reach Datasette, or None."""
    if scope.get("method") not in METHODS:
        return 405, f"{scope.get('method')} is not allowed: this site is read-only"
    path = scope.get("path", "")
    if path.rstrip("/").split(".")[0] in HIDDEN_PATHS:
        return 404, "Not found"
    for key, value in args:
        if key == "_timelimit" and value and not value.isdigit():
            return 400, "_timelimit must be a positive integer"
        if key == "_through":
            try:
                through = json.loads(value)
                ok = isinstance(through, dict) and all(isinstance(through.get(k), (str, int, float))
                                                       for k in ("table", "column", "value"))
            except ValueError:
                ok = False
            if not ok:
                return 400, '_through must be a JSON object: {"table": ..., "column": ..., "value": ...}'
    if any(k == "sql" for k, _v in args) and split_path(path)[1] not in SQL_FORMATS:
        return 400, ("arbitrary SQL is answered as HTML or JSON only (a CSV of it could carry "
                     "spreadsheet formulas); the tables' CSVs and the downloads hold checked values")
    return None
