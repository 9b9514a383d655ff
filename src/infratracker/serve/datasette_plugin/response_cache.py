"""Whole responses kept in memory, for a site whose pages depend only on what the key holds.

A key is (scheme, Host, raw path, query string, the database files' stat signatures). An entry
is kept only for an anonymous, unconditional GET whose response is a complete 200 page (HTML or
JSON) without cookies. The whole cache, keys included, is bounded by bytes (cachetools' LRU).
"""
from __future__ import annotations

from typing import NamedTuple

from cachetools import LRUCache

MAX_BYTES = 32 * 2**20
MAX_ENTRY = 1 * 2**20
# A URL longer than this is not worth keeping: real pages' URLs are far shorter, and junk query
# strings would otherwise fill the cache with keys.
MAX_KEY = 2048
# Per-entry bookkeeping (tuples, dict slots, the LRU's links), counted so that many tiny entries
# cannot outgrow the bound.
OVERHEAD = 512
CACHED_TYPES = (b"text/html", b"application/json")
# Request headers that a response may depend on; such requests bypass the cache.
PERSONAL = (b"cookie", b"authorization", b"if-none-match", b"if-modified-since", b"range", b"if-range")


class Entry(NamedTuple):
    start: dict
    body: bytes
    size: int


class ResponseCache:
    def __init__(self, max_bytes: int = MAX_BYTES, max_entry: int = MAX_ENTRY, max_key: int = MAX_KEY):
        self.lru: LRUCache = LRUCache(maxsize=max_bytes, getsizeof=lambda entry: entry.size)
        self.max_entry, self.max_key = max_entry, max_key
        self.hits = self.misses = 0

    def key(self, scope, host: str, generation: tuple) -> tuple | None:
        if scope.get("method") != "GET":
            return None
        if any(name in PERSONAL for name, _v in scope.get("headers") or []):
            return None
        path = scope.get("raw_path") or scope["path"].encode()
        query = scope.get("query_string", b"")
        if len(path) + len(query) + len(host) > self.max_key:
            return None
        return (scope.get("scheme", "http"), host, path, query, generation)

    def get(self, key) -> Entry | None:
        entry = self.lru.get(key)
        if entry is None:
            self.misses += 1
        else:
            self.hits += 1
        return entry

    def put(self, key, start: dict, body: bytes) -> bool:
        """Keep a response if it is complete, successful and the same for everyone."""
        headers = {k.lower(): v for k, v in start.get("headers", [])}
        if start.get("status") != 200 or b"set-cookie" in headers:
            return False
        if not headers.get(b"content-type", b"").startswith(CACHED_TYPES):
            return False
        length = headers.get(b"content-length")
        if length is not None and length != str(len(body)).encode():
            return False
        size = len(body) + sum(len(k) + len(v) for k, v in start.get("headers", [])) + len(repr(key)) + OVERHEAD
        if size > self.max_entry:
            return False
        self.lru[key] = Entry(start, body, size)
        return True

    @property
    def size(self) -> int:
        return self.lru.currsize
