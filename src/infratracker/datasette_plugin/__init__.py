"""Datasette plugin: security headers on every response, no open redirects, no leak of this
machine's paths, a read-only authorizer on every connection, and 400 (not 500) for requests
whose arguments are malformed.

Registered through the `datasette` entry point in pyproject.toml.
"""
from __future__ import annotations

import sqlite3
from urllib.parse import parse_qsl

from datasette import hookimpl
from datasette.utils.asgi import Response

DATABASE = "infratracker"
# Pages that show where files live on this machine.
HIDDEN_PATHS = ("/-/databases", "/-/databases.json")
# Defence in depth under Datasette's own SELECT-only rule: what the authorizer refuses.
DENIED_ACTIONS = {getattr(sqlite3, name) for name in (
    "SQLITE_ATTACH", "SQLITE_DETACH", "SQLITE_INSERT", "SQLITE_UPDATE", "SQLITE_DELETE",
    "SQLITE_CREATE_TABLE", "SQLITE_CREATE_INDEX", "SQLITE_CREATE_VIEW", "SQLITE_CREATE_TRIGGER",
    "SQLITE_CREATE_TEMP_TABLE", "SQLITE_CREATE_TEMP_VIEW", "SQLITE_CREATE_TEMP_TRIGGER",
    "SQLITE_CREATE_TEMP_INDEX", "SQLITE_CREATE_VTABLE", "SQLITE_DROP_TABLE", "SQLITE_DROP_INDEX",
    "SQLITE_DROP_VIEW", "SQLITE_DROP_TRIGGER", "SQLITE_DROP_VTABLE", "SQLITE_ALTER_TABLE",
    "SQLITE_REINDEX", "SQLITE_ANALYZE", "SQLITE_TRANSACTION", "SQLITE_SAVEPOINT")}
# The `file` column of database_list is an absolute path of this machine. Datasette itself runs
# `PRAGMA database_list` (a statement users cannot send), so only the table-valued form, which
# users can SELECT from, is refused.
DENIED_TABLES = {"pragma_database_list"}
DENIED_FUNCTIONS = {"load_extension", "readfile", "writefile", "edit", "fts3_tokenizer"}
INTEGER_ARGS = ("_timelimit", "_size", "_facet_size", "_ttl")

# Datasette's pages use inline scripts and styles; nothing is loaded from elsewhere except
# map tiles (images) from OpenStreetMap.
CSP = ("default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
       "img-src 'self' data: https://*.tile.openstreetmap.org; connect-src 'self'; object-src 'none'; "
       "base-uri 'self'; form-action 'self'; frame-ancestors 'none'")
HEADERS = [
    (b"content-security-policy", CSP.encode()),
    (b"x-frame-options", b"DENY"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
]


def _is_offsite(path: str) -> bool:
    # Datasette 0.65.5 redirects "/\evil.com/" to "/\evil.com" and browsers read "/\" as "//".
    return "\\" in path or path.startswith("//")


async def _plain(send, status: int, text: str) -> None:
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"text/plain; charset=utf-8"), *HEADERS]})
    await send({"type": "http.response.body", "body": text.encode()})


def _bad_integer_arg(query_string: bytes) -> str | None:
    for key, value in parse_qsl(query_string.decode("latin-1"), keep_blank_values=True):
        if key in INTEGER_ARGS and value not in ("", "max") and not value.isdigit():
            return f"{key} must be a positive integer"
    return None


def security_headers(app):
    async def wrapped(scope, receive, send):
        if scope["type"] != "http":
            return await app(scope, receive, send)
        path = scope.get("path", "")
        raw_path = scope.get("raw_path", b"").decode("latin-1").split("?")[0] or path
        if _is_offsite(path) or _is_offsite(raw_path) or path.rstrip("/") in HIDDEN_PATHS:
            return await _plain(send, 404, "Not found")
        problem = _bad_integer_arg(scope.get("query_string", b""))
        if problem:
            return await _plain(send, 400, problem)

        async def send_with_headers(message):
            if message["type"] == "http.response.start":
                names = {k.lower() for k, _v in HEADERS}
                headers = [(k, v) for k, v in message.get("headers", []) if k.lower() not in names]
                message = {**message, "headers": headers + HEADERS}
            await send(message)

        return await app(scope, receive, send_with_headers)

    return wrapped


@hookimpl
def asgi_wrapper(datasette):
    return security_headers


def read_only_authorizer(action, arg1, arg2, _db, _trigger):
    # SQLite asks to "update sqlite_master.type" whenever it connects an eponymous or FTS5
    # virtual table for a SELECT; the file is opened immutable, so nothing can be written.
    if action == sqlite3.SQLITE_UPDATE and arg1 == "sqlite_master":
        return sqlite3.SQLITE_OK
    if action in DENIED_ACTIONS:
        return sqlite3.SQLITE_DENY
    if action == sqlite3.SQLITE_READ and (arg1 or "").lower() in DENIED_TABLES:
        return sqlite3.SQLITE_DENY
    if action == sqlite3.SQLITE_FUNCTION and (arg2 or "").lower() in DENIED_FUNCTIONS:
        return sqlite3.SQLITE_DENY
    return sqlite3.SQLITE_OK


@hookimpl
def prepare_connection(conn, database, datasette):
    if database == DATABASE:
        conn.set_authorizer(read_only_authorizer)


@hookimpl
def handle_exception(datasette, request, exception):
    """Errors caused by a malformed request ("Cannot sort table by x", a row key with the wrong
    number of parts) are the client's: 400, with a short message and no traceback."""
    from datasette.utils import InvalidSql
    from datasette.views.base import DatasetteError

    message = str(exception)
    client_caused = (
        (isinstance(exception, DatasetteError) and message.startswith("Cannot "))
        or isinstance(exception, (InvalidSql, ValueError, IndexError, KeyError, sqlite3.ProgrammingError))
        and request is not None and request.path.startswith(f"/{DATABASE}")
    )
    if not client_caused:
        return None
    if request.path.endswith(".json") or request.args.get("_format") == "json":
        return Response.json({"ok": False, "error": message or "bad request", "status": 400}, status=400)
    return Response.text(f"Bad request: {message or exception.__class__.__name__}", status=400)


@hookimpl
def extra_css_urls(datasette):
    return ["/-/static-plugins/infratracker/infratracker.css"]
