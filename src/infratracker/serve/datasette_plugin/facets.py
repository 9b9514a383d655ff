"""Facets on this site: each asked-for facet computed and shown once.

Datasette 0.65.5 runs a facet configured in the metadata (every table's registry facets) a
second time when the URL also asks for it (`?_facet=sector`), and shows it twice: two blocks
"sector" on the page and keys `sector` and `sector_2` in JSON. Links from facet pages carry
`_facet=` for the facets already shown, so every faceted page paid for each facet twice (at
100k projects, ~4 ms of SQL each, plus building its links).
"""
from __future__ import annotations

import json

PATCHED = "infratracker_once_per_column"


def _key(entry: dict) -> str:
    config = entry["config"]
    return config.get("column") or config.get("simple") or json.dumps(config, sort_keys=True)


def once_per_column(is_site) -> None:
    """Facet configs without repeats, for the Datasettes `is_site` accepts; the first (the
    metadata's, which cannot be hidden) is kept, as on the page without `_facet=`."""
    from datasette.facets import Facet

    original = Facet.get_configs
    if getattr(original, PATCHED, False):
        return

    def get_configs(self):
        configs = original(self)
        if not is_site(self.ds):
            return configs
        seen: set[str] = set()
        kept = []
        for entry in configs:
            key = _key(entry)
            if key not in seen:
                seen.add(key)
                kept.append(entry)
        return kept

    setattr(get_configs, PATCHED, True)
    get_configs.original = original
    Facet.get_configs = get_configs
