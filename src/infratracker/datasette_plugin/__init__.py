"""Datasette plugin: security headers on every response, no open redirects, no leak of this
machine's paths, a read-only authorizer on every connection, and 400 (not 500) for requests
whose arguments are malformed.

Registered through the `datasette` entry point in pyproject.toml.
"""
from __future__ import annotations

import logging
import sqlite3
from urllib.parse import parse_qsl

from datasette import hookimpl
from datasette.utils.asgi import Response

DATABASE = "infratracker"
_log = logging.getLogger("infratracker.site")
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
# Arbitrary SQL may run up to the time limit; at most this many at once, the rest wait their
# turn without holding a SQL thread, so pages, rows and facets always find one free.
ARBITRARY_SQL_AT_ONCE = 1
# The database is immutable and the metadata fixed while the site runs, so a page's bytes
# depend only on its URL: anonymous GET responses are kept in memory, up to these sizes.
CACHE_BYTES, CACHE_ENTRY_BYTES = 64 * 2**20, 2 * 2**20

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


def _is_arbitrary_sql(path: str, query_string: bytes) -> bool:
    if path.rstrip("/").split(".")[0] != f"/{DATABASE}":
        return False
    return any(k == "sql" for k, _v in parse_qsl(query_string.decode("latin-1"), keep_blank_values=True))


class ResponseCache:
    """A bounded LRU of whole responses (status, headers, body) by path and query string."""

    def __init__(self, max_bytes: int = CACHE_BYTES, max_entry: int = CACHE_ENTRY_BYTES):
        from collections import OrderedDict

        self.entries: "OrderedDict[bytes, tuple[dict, bytes]]" = OrderedDict()
        self.size, self.max_bytes, self.max_entry = 0, max_bytes, max_entry
        self.hits = self.misses = 0

    @staticmethod
    def key(scope) -> bytes | None:
        if scope.get("method") != "GET":
            return None
        headers = dict(scope.get("headers") or [])
        if b"cookie" in headers or b"authorization" in headers:
            return None
        return scope.get("raw_path", scope["path"].encode()) + b"?" + scope.get("query_string", b"")

    def get(self, key: bytes):
        hit = self.entries.get(key)
        if hit is not None:
            self.entries.move_to_end(key)
            self.hits += 1
        else:
            self.misses += 1
        return hit

    def put(self, key: bytes, start: dict, body: bytes) -> None:
        if len(body) > self.max_entry or key in self.entries:
            return
        self.entries[key] = (start, body)
        self.size += len(body)
        while self.size > self.max_bytes:
            _k, (_s, old) = self.entries.popitem(last=False)
            self.size -= len(old)


def security_headers(app):
    import asyncio

    gate = asyncio.Semaphore(ARBITRARY_SQL_AT_ONCE)
    cache = ResponseCache()

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

        key = cache.key(scope)
        hit = cache.get(key) if key is not None else None
        if hit is not None:
            await send(hit[0])
            await send({"type": "http.response.body", "body": hit[1]})
            return
        captured: dict = {"start": None, "body": [], "size": 0}

        async def send_with_headers(message):
            if message["type"] == "http.response.start":
                names = {k.lower() for k, _v in HEADERS}
                headers = [(k, v) for k, v in message.get("headers", []) if k.lower() not in names]
                message = {**message, "headers": headers + HEADERS}
                captured["start"] = message
            elif message["type"] == "http.response.body" and key is not None and captured["size"] <= CACHE_ENTRY_BYTES:
                captured["body"].append(message.get("body", b""))
                captured["size"] += len(message.get("body", b""))
                start = captured["start"]
                if not message.get("more_body") and start and start["status"] == 200 and not any(
                        k.lower() == b"set-cookie" for k, _v in start.get("headers", [])):
                    cache.put(key, start, b"".join(captured["body"]))
            await send(message)

        if _is_arbitrary_sql(path, scope.get("query_string", b"")):
            async with gate:
                return await app(scope, receive, send_with_headers)
        return await app(scope, receive, send_with_headers)

    wrapped.cache = cache
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
def startup(datasette):
    """Datasette awaits every handle_exception hook, so its default one would still print its
    traceback; ours answers every error, so the default is taken out. (At startup: Datasette
    registers its defaults after loading this module.)"""
    import datasette.handle_exception as default
    from datasette.plugins import pm

    if pm.is_registered(default):
        pm.unregister(default)
    _memoize_permissions(datasette)


def _memoize_permissions(datasette) -> None:
    """Datasette 0.65.5 deep-copies the whole metadata for every table permission check (80
    checks, ~1.5 ms each, for one home page). The answers depend only on the metadata, which is
    fixed for the life of this read-only site, so each is computed once."""
    original = datasette._table_permission_allows
    if getattr(original, "memoized", False):
        return
    cache: dict[tuple[str, str], list] = {}

    def memoized(database, table):
        key = (database, table)
        if key not in cache:
            cache[key] = original(database, table)
        return cache[key]

    memoized.memoized = True
    memoized.original = original
    datasette._table_permission_allows = memoized

    # Each "view-table" check also runs a query in a SQL thread: ~400 thread round trips for one
    # database page, which queue behind other users' queries. This site has no logins and
    # fixed metadata, so an anonymous visitor's answer for an (action, resource) never changes.
    check = datasette.permission_allowed
    answers: dict[tuple, bool] = {}

    async def permission_allowed(actor, action, resource=None, default=False):
        if actor is not None:
            return await check(actor, action, resource, default)
        key = (action, tuple(resource) if isinstance(resource, (list, tuple)) else resource, default)
        if key not in answers:
            answers[key] = await check(actor, action, resource, default)
        return answers[key]

    datasette.permission_allowed = permission_allowed


@hookimpl
def handle_exception(datasette, request, exception):
    """Every error response, in place of Datasette's default handler, which prints a rich
    traceback with all local variables for every error: ~650 ms of the event loop per bad
    request, so a few bad requests a second stall every other user. Here: one log line.

    Errors caused by a malformed request ("Cannot sort table by x", a row key with the wrong
    number of parts, a bad number) are the client's: 400, not 500."""
    from datasette.utils import InvalidSql
    from datasette.utils.asgi import Base400
    from datasette.views.base import DatasetteError
    from markupsafe import Markup

    async def inner():
        title, message = None, str(exception)
        if isinstance(exception, Base400):
            status, info = exception.status, {}
        elif isinstance(exception, DatasetteError):
            status, info, title = exception.status, dict(exception.error_dict), exception.title
            message = Markup(exception.message) if exception.message_is_html else exception.message
        else:
            status, info = 500, {}
        client_caused = isinstance(exception, (InvalidSql, ValueError, IndexError, KeyError,
                                               sqlite3.ProgrammingError)) or (
            isinstance(exception, DatasetteError) and str(message).startswith("Cannot "))
        if status >= 500 and client_caused and request is not None and request.path.startswith(f"/{DATABASE}"):
            status = 400
        if status >= 500:
            _log.error("%s %s: %s: %s", request.method if request else "-", request.path if request else "-",
                       exception.__class__.__name__, exception)
        info.update({"ok": False, "error": str(message) or "error", "status": status, "title": title})
        if request is not None and request.path.split("?")[0].endswith(".json"):
            return Response.json(info, status=status)
        template = datasette.jinja_env.select_template([f"{status}.html", "error.html"])
        return Response.html(await template.render_async(dict(info, urls=datasette.urls,
                                                              app_css_hash=datasette.app_css_hash(),
                                                              menu_links=lambda: [])), status=status)

    return inner
