"""Datasette plugin that hardens the infratracker site: security headers, no open redirects, no
leak of this machine's paths, SQL that cannot outgrow its limits, one arbitrary query at a time,
a bounded response cache that cannot be poisoned, and 4xx (not 500) for malformed requests.

Loaded through the `datasette` entry point, but it acts only on a Datasette whose metadata has
a `plugins: {infratracker: {...}}` block (the site's own `build/metadata.json`): any other
Datasette in the same environment behaves exactly as without it.
"""
from __future__ import annotations

import json
import logging
import os
import sqlite3

from datasette import hookimpl
from datasette.plugins import DEFAULT_PLUGINS, pm
from datasette.utils.asgi import Response
from markupsafe import Markup, escape

from infratracker.core import registry

from . import downloads, facets, labels, mapping, pages, reloading, requests, sqlite_guard
from .facet_counts import FacetCounts
from .gate import Gate
from .response_cache import ResponseCache

PLUGIN = "infratracker"
DATABASE = "infratracker"
_log = logging.getLogger("infratracker.serve.site")
# Arbitrary SQL may run up to the time limit; at most this many at once, the rest wait their
# turn without holding a SQL thread, so pages, rows and facets always find one free.
ARBITRARY_SQL_AT_ONCE = 1
# Hosts links may be built for when the site's configuration names none; more come from the
# configuration's `allowed_hosts` and from $INFRATRACKER_ALLOWED_HOSTS (comma-separated).
LOOPBACK_HOSTS = ("localhost", "127.0.0.1", "[::1]", "::1")
# Plugins whose hooks give every visitor the same answer for the same URL. With any other
# plugin loaded (one may sign users in, or vary a page per request), nothing is cached or
# memoized.
SAME_FOR_EVERYONE = {"infratracker.serve.datasette_plugin", "datasette_cluster_map", "datasette_leaflet",
                     *DEFAULT_PLUGINS}

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
_HEADER_NAMES = {k for k, _v in HEADERS}
DEFAULT_HANDLER_ELSEWHERE = "infratracker.default_handler_elsewhere"


def enabled(datasette) -> bool:
    """Whether this Datasette is the infratracker site (its metadata configures the plugin)."""
    return datasette.plugin_config(PLUGIN) is not None


def site_config(datasette) -> dict | None:
    """The plugin's configuration and the site-wide footer fields, or None for another Datasette.

    Read once: Datasette deep-copies its whole metadata on every lookup, and the cell hook asks
    for every cell of a page; the metadata is fixed for the life of this site."""
    cached = getattr(datasette, "_infratracker_site", False)
    if cached is False:
        cached = None
        if enabled(datasette):
            cached = {"config": datasette.plugin_config(PLUGIN),
                      "citable": [r.name for r in registry.RESOURCES if r.citable],
                      **{k: datasette.metadata(k) for k in ("title", "license", "license_url", "source",
                                                            "source_url", "about", "about_url")}}
        datasette._infratracker_site = cached
    return cached


def _file_key(datasette) -> tuple:
    """Which database file is served now. The ReloadingDatabase notes the file's signature at
    every query, so reading it costs nothing; a page's cells are rendered after its queries, so
    it names the file their rows came from. Otherwise the files' stat signatures."""
    db = datasette.databases.get(DATABASE)
    signature = getattr(db, "opened_signature", None)
    return ("served", signature) if signature is not None else generation(datasette)


def current_codes(datasette) -> labels.Codes | None:
    """The codelists already read for the file served now, or None."""
    cached = getattr(datasette, "_infratracker_codes", None)
    return cached[1] if cached is not None and cached[0] == _file_key(datasette) else None


async def codes(datasette) -> labels.Codes:
    """The codelists table, read once per database file (a rebuilt file is read again)."""
    known = current_codes(datasette)
    if known is None:
        key = _file_key(datasette)
        known = await datasette.get_database(DATABASE).execute_fn(labels.read_codes)
        datasette._infratracker_codes = (key, known)
    return known


def allowed_hosts(datasette) -> set[str]:
    config = datasette.plugin_config(PLUGIN) or {}
    hosts = [*LOOPBACK_HOSTS, *(config.get("allowed_hosts") or []),
             *os.environ.get("INFRATRACKER_ALLOWED_HOSTS", "").split(",")]
    return {h.strip().lower() for h in hosts if h and h.strip()}


def _host_name(host: str) -> str:
    if host.startswith("["):
        return host.split("]")[0] + "]"
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


def same_for_everyone(datasette) -> bool:
    """Whether a page's bytes depend only on its URL: no foreign plugin, no writable database."""
    modules = {getattr(plugin, "__name__", name) for name, plugin in pm.list_name_plugin()}
    if modules - SAME_FOR_EVERYONE - {DEFAULT_HANDLER_ELSEWHERE}:
        return False
    return all(not db.is_mutable for name, db in datasette.databases.items() if name != "_internal")


def generation(datasette) -> tuple:
    """The databases' stat signatures: a replaced or rewritten file never meets old entries."""
    out = []
    for name, db in sorted(datasette.databases.items()):
        if db.path:
            try:
                st = os.stat(db.path)
                out.append((name, st.st_ino, st.st_size, st.st_mtime_ns))
            except OSError:
                out.append((name, None))
    return tuple(out)


async def error_response(datasette, path: str, status: int, message, title: str | None = None,
                         extra: dict | None = None) -> Response:
    """An error in Datasette's own shape: its JSON for .json paths, its error page otherwise."""
    info = {**(extra or {}), "ok": False, "error": str(message) or "error", "status": status, "title": title}
    if path.split("?")[0].endswith(".json"):
        return Response.json(info, status=status)
    template = datasette.jinja_env.select_template([f"{status}.html", "error.html"])
    # `message` may be Markup (Datasette's own HTML messages): passed as is, not escaped again.
    return Response.html(await template.render_async(dict(info, error=message, urls=datasette.urls,
                                                          app_css_hash=datasette.app_css_hash(),
                                                          menu_links=lambda: [])), status=status)


def harden(app, datasette):
    gate = Gate.from_environment(ARBITRARY_SQL_AT_ONCE)  # across server processes too (gate.py)
    cache = ResponseCache()
    hosts = allowed_hosts(datasette)

    async def wrapped(scope, receive, send):
        if scope["type"] != "http":
            return await app(scope, receive, send)

        extra = HEADERS + downloads.headers(scope.get("path", ""))
        replaced = {k for k, _v in extra}

        async def send_with_headers(message):
            if message["type"] == "http.response.start":
                headers = [(k, v) for k, v in message.get("headers", []) if k.lower() not in replaced]
                message = {**message, "headers": headers + extra}
            await send(message)

        async def refuse(status: int, text: str):
            response = await error_response(datasette, path, status, text)
            if status == 405:
                response.headers["Allow"] = ", ".join(requests.METHODS)
            await response.asgi_send(send_with_headers)

        path = scope.get("path", "")
        raw_path = scope.get("raw_path", b"").decode("latin-1").split("?")[0] or path
        if requests.is_offsite(path) or requests.is_offsite(raw_path):
            return await refuse(404, "Not found")
        host = dict(scope.get("headers") or []).get(b"host", b"").decode("latin-1").lower()
        if _host_name(host) not in hosts:
            # Datasette builds absolute links (next_url, Link headers) from the Host header.
            return await refuse(400, "Host not allowed: name it in the site's allowed_hosts "
                                     "or $INFRATRACKER_ALLOWED_HOSTS")
        args = requests.query_args(scope)
        problem = requests.problem(scope, args)
        if problem:
            return await refuse(*problem)

        key = cache.key(scope, host, generation(datasette)) if same_for_everyone(datasette) else None
        hit = cache.get(key) if key is not None else None
        if hit is not None:
            await send(hit.start)
            await send({"type": "http.response.body", "body": hit.body})
            return
        captured: dict = {"start": None, "body": [], "size": 0}

        async def send_and_keep(message):
            if message["type"] == "http.response.start":
                captured["start"] = {**message, "headers": [(k, v) for k, v in message.get("headers", [])
                                                            if k.lower() not in _HEADER_NAMES] + HEADERS}
            elif message["type"] == "http.response.body" and captured["size"] <= cache.max_entry:
                body = message.get("body", b"")
                captured["body"].append(body)
                captured["size"] += len(body)
                if not message.get("more_body") and captured["start"] is not None:
                    cache.put(key, captured["start"], b"".join(captured["body"]))
            await send_with_headers(message)

        target = send_and_keep if key is not None else send_with_headers
        if requests.runs_user_sql(args):
            async with gate:
                return await app(scope, receive, target)
        return await app(scope, receive, target)

    wrapped.cache, wrapped.gate = cache, gate
    return wrapped


@hookimpl
def asgi_wrapper(datasette):
    if not enabled(datasette):
        return None
    return lambda app: harden(app, datasette)


@hookimpl
def prepare_connection(conn, database, datasette):
    if database == DATABASE and enabled(datasette):
        sqlite_guard.guard(conn)


class _DefaultHandlerElsewhere:
    """Datasette's default error handler for every Datasette but this site.

    Datasette awaits every handle_exception hook, so its default one, which prints a rich
    traceback with all local variables (~650 ms of the event loop per bad request), would run
    for this site's errors too. It is unregistered and registered again behind this check, so
    other Datasette instances in the same process keep it."""

    __name__ = DEFAULT_HANDLER_ELSEWHERE  # Datasette lists plugins by __name__

    def __init__(self, default):
        self.default = default

    @hookimpl(trylast=True)
    def handle_exception(self, datasette, request, exception):
        if enabled(datasette):
            return None
        return self.default.handle_exception(datasette=datasette, request=request, exception=exception)


@hookimpl
def startup(datasette):
    if not enabled(datasette):
        return
    # At startup, not import: Datasette registers its defaults after loading this module.
    import datasette.handle_exception as default

    if pm.is_registered(default):
        pm.unregister(default)
        pm.register(_DefaultHandlerElsewhere(default), name=DEFAULT_HANDLER_ELSEWHERE)
    facets.once_per_column(lambda ds: site_config(ds) is not None)
    for name, db in list(datasette.databases.items()):
        if name != "_internal":
            reloading.install(datasette, name)  # a rebuilt database is served without a restart
    served = datasette.databases.get(DATABASE)
    if isinstance(served, reloading.ReloadingDatabase):
        served.facet_counts = FacetCounts()  # facets counted in memory (facet_counts.py)
    if same_for_everyone(datasette):
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
    """Every error response of this site, in place of Datasette's default handler: one log line
    instead of a rich traceback. Errors caused by a malformed request ("Cannot sort table by x",
    a row key with the wrong number of parts, a bad number) are the client's: 400, not 500."""
    if not enabled(datasette):
        return None
    from datasette.utils import InvalidSql
    from datasette.utils.asgi import Base400
    from datasette.views.base import DatasetteError
    from markupsafe import Markup

    async def inner():
        title, message, extra = None, str(exception), {}
        if isinstance(exception, Base400):
            status = exception.status
        elif isinstance(exception, DatasetteError):
            status, title, extra = exception.status, exception.title, dict(exception.error_dict)
            message = Markup(exception.message) if exception.message_is_html else exception.message
        else:
            status = 500
        path = request.path if request is not None else "/"
        client_caused = isinstance(exception, (InvalidSql, ValueError, IndexError, KeyError,
                                               sqlite3.ProgrammingError)) or (
            isinstance(exception, DatasetteError) and str(message).startswith("Cannot "))
        if status >= 500 and client_caused and requests.split_path(path)[0] == DATABASE:
            status = 400
        if status >= 500:
            _log.error("%s %s: %s: %s", request.method if request else "-", path,
                       exception.__class__.__name__, exception)
        return await error_response(datasette, path, status, message, title, extra)

    return inner


def _base(datasette) -> str:
    return datasette.setting("base_url").rstrip("/")


@hookimpl
def render_cell(row, value, column, table, database, datasette):
    """Codes as their codelist labels (the code on hover), ids as links to record pages; HTML
    only, so JSON and CSV keep the codes."""
    if database != DATABASE or site_config(datasette) is None:
        return None
    known = current_codes(datasette)
    if known is not None:
        # answered at once, not as a coroutine to await: this hook runs for every cell
        return labels.render(row, value, column, table, known, _base(datasette))

    async def inner():
        return labels.render(row, value, column, table, await codes(datasette), _base(datasette))

    return inner


@hookimpl
def extra_template_vars(datasette):
    site = site_config(datasette)
    if site is None:
        return {}
    # The templates' footer reads these instead of the page's `metadata`, which Datasette 0.65.5
    # fills with the site's licence only on some pages, and on row pages only after a table
    # page has filled it in place.
    async def inner():
        known = await codes(datasette)

        def code_label(table, column, value):
            # Facets list raw values, which no render_cell hook sees: their codelist label, or None.
            codelist = labels.column_codelist(table, column, value, known) if value not in (None, "") else None
            return known.label(codelist, value) if codelist else None

        return {"infratracker_site": site,
                "infratracker_record_url": lambda table, key: _base(datasette) + labels.record_path(table, key),
                "infratracker_code_label": code_label,
                "infratracker_rows_html": rows_html}

    return inner


def rows_html(rows, order: list[int]) -> Markup:
    """A table page's rows, the cells in `order`, as templates/_table.html wrote them: in
    Python, because Jinja's async rendering of ~500 cells per page cost more than all the SQL."""
    from datasette.utils import to_css_class

    out = []
    for row in rows:
        cells = list(row)
        out.append("<tr>")
        for i in order:
            cell = cells[i]
            out.append(f'<td class="col-{escape(to_css_class(cell["column"]))} type-{escape(cell["value_type"])}">'
                       f'{escape(cell["value"])}</td>')
        out.append("</tr>\n")
    return Markup("".join(out))


@hookimpl
def extra_css_urls(datasette):
    if site_config(datasette) is None:
        return []
    return [datasette.urls.static_plugins(PLUGIN, "infratracker.css")]


@hookimpl
def extra_js_urls(datasette):
    if site_config(datasette) is None:
        return []
    return [datasette.urls.static_plugins(PLUGIN, "infratracker.js")]


async def _ensure_visible(datasette, request, table: str) -> None:
    await datasette.ensure_permissions(request.actor, [("view-table", (DATABASE, table)),
                                                       ("view-database", DATABASE), "view-instance"])


async def record_page(datasette, request):
    """One record: its fields with labels, its quotes, and every row that points at it."""
    from datasette.utils.asgi import NotFound

    found = pages.resolve(request.url_vars["table"], request.url_vars["record_id"])
    if found is None:
        raise NotFound("No such table or record")
    res, key = found
    await _ensure_visible(datasette, request, res.name)
    known = await codes(datasette)
    base = _base(datasette)
    context = await datasette.get_database(DATABASE).execute_fn(
        lambda conn: pages.record_context(conn, known, base, DATABASE, res, key))
    if context is None:
        raise NotFound(f"No record {'/'.join(key)} in {res.name}")
    html = await datasette.render_template("infratracker_record.html", {**context, "database_name": DATABASE},
                                           request=request, view_name="infratracker_record")
    return Response.html(html)


async def about_page(datasette, request):
    """What the data covers (counted from the database served), how it is made, how to cite it."""
    site = site_config(datasette)
    about = (site["config"] or {}).get("about") or {}
    await datasette.ensure_permissions(request.actor, [("view-database", DATABASE), "view-instance"])
    base = _base(datasette)
    counts = await datasette.get_database(DATABASE).execute_fn(lambda conn: pages.about_context(conn, base, DATABASE))
    context = {**counts, **about, "changelog_blocks": pages.markdown_blocks(about.get("changelog", "")),
               "database_name": DATABASE, "base": base}
    html = await datasette.render_template("infratracker_about.html", context, request=request,
                                           view_name="infratracker_about")
    return Response.html(html)


async def _map(datasette, request) -> dict:
    await datasette.ensure_permissions(request.actor, [("view-table", (DATABASE, "projects")),
                                                       ("view-database", DATABASE), "view-instance"])
    base = _base(datasette)
    return await datasette.get_database(DATABASE).execute_fn(lambda conn: mapping.map_context(conn, base))


async def map_page(datasette, request):
    """Projects on a map from their places, countries as the fallback, and what is not mapped."""
    context = await _map(datasette, request)
    html = await datasette.render_template("infratracker_map.html", {
        **context, "database_name": DATABASE, "geojson_href": _base(datasette) + "/-/map.geojson",
        # Leaflet as datasette-leaflet ships it: nothing is loaded from elsewhere but the tiles.
        "leaflet_js": datasette.urls.static_plugins("datasette-leaflet", "leaflet-v1.7.1.js"),
        "leaflet_css": datasette.urls.static_plugins("datasette-leaflet", "leaflet-v1.7.1.css"),
    }, request=request, view_name="infratracker_map")
    return Response.html(html)


async def map_geojson(datasette, request):
    context = await _map(datasette, request)
    return Response(json.dumps(context["geojson"], ensure_ascii=False), content_type="application/geo+json",
                    headers={"content-disposition": 'attachment; filename="infratracker-projects.geojson"'})


@hookimpl
def register_routes(datasette):
    if not enabled(datasette):
        return []
    return [(r"^/-/record/(?P<table>[^/]+)/(?P<record_id>.+)$", record_page),
            (r"^/-/about$", about_page),
            (r"^/-/map$", map_page),
            (r"^/-/map\.geojson$", map_geojson)]


def _registered_whole() -> None:
    """Datasette imports its plugins when datasette.plugins is first imported. If that import
    came from this package's own first lines (a script imported one of its modules before
    Datasette), Datasette registered this module half-initialised, with none of its hooks."""
    import sys

    module = sys.modules[__name__]
    if pm.is_registered(module) and not pm.get_hookcallers(module):
        name = pm.get_name(module)
        pm.unregister(module)
        pm.register(module, name=name)


_registered_whole()
