"""Addresses of the site's own pages, as plain functions: tests and templates can import them
without importing the Datasette plugin (which Datasette must load first, or it registers a
half-imported module without the hooks)."""
from __future__ import annotations

from datasette.utils import tilde_encode

RECORD_ROUTE = "/-/record/"


def record_path(table: str, record_id: str) -> str:
    """Address of a record's page: each key cell tilde-encoded as Datasette encodes (it
    redirects %-escapes to ~-escapes), joined by '/' like the record_id. Key cells never hold
    '/' (derived keys join their parts with '--'), so the parts come back apart."""
    return f"{RECORD_ROUTE}{tilde_encode(table)}/" + "/".join(tilde_encode(p) for p in str(record_id).split("/"))
