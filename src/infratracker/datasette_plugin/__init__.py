"""Datasette plugin: security headers on every response, and no open redirects.

Registered through the `datasette` entry point in pyproject.toml.
"""
from __future__ import annotations

from datasette import hookimpl

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


def security_headers(app):
    async def wrapped(scope, receive, send):
        if scope["type"] != "http":
            return await app(scope, receive, send)
        raw_path = scope.get("raw_path", b"").decode("latin-1") or scope.get("path", "")
        if _is_offsite(scope.get("path", "")) or _is_offsite(raw_path.split("?")[0]):
            await send({"type": "http.response.start", "status": 404,
                        "headers": [(b"content-type", b"text/plain; charset=utf-8"), *HEADERS]})
            await send({"type": "http.response.body", "body": b"Not found"})
            return

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


@hookimpl
def extra_css_urls(datasette):
    return ["/-/static-plugins/infratracker/infratracker.css"]
