"""What the database update (dbupdate.py) and the downloads (downloads.py) both keep of the
files they were made from: signatures, hard links to the very CSVs, and a manifest keyed on the
code."""
from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from infratracker.check import engine
from infratracker.core import registry
from infratracker.core.csvio import read_strings
from infratracker.core.fingerprint import fingerprint
from infratracker.core.paths import Layout
from infratracker.publish.incremental import Unsure


def signature(path: Path) -> list[int]:
    """Inode, size and modification time: a file renamed into place has a new inode, one edited
    in place a new mtime, so an unchanged signature means the very same bytes."""
    st = os.stat(path)
    return [st.st_ino, st.st_size, st.st_mtime_ns]


def link(source: Path, dest: Path) -> list[int]:
    """`dest` becomes another name of `source`; returns its signature. Where hard links are
    impossible this raises OSError and no state is saved: a copy would cost as much as it saves,
    and it could not show by its inode that it is the file that was read."""
    tmp = dest.with_name(dest.name + ".tmp")
    tmp.unlink(missing_ok=True)
    os.link(source, tmp)
    os.replace(tmp, dest)
    return signature(dest)


def manifest(layout: Layout, folder: Path, version: int, missing: str) -> dict[str, Any]:
    """The saved manifest, if this code wrote it; else Unsure (`missing` when there is none)."""
    try:
        saved = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        raise Unsure(missing) from None
    try:
        if saved.get("version") != version or saved["code"] != fingerprint(layout.reference):
            raise Unsure("the code or the reference data changed")
    except (KeyError, TypeError, AttributeError):
        raise Unsure("the code or the reference data changed") from None
    return saved


def codes(codelists_csv: Path) -> dict[str, list[str]]:
    """The codelists of a saved codelists.csv."""
    res = registry.resource("codelists")
    table, failures = engine.typed(res, read_strings(codelists_csv.read_bytes(), res))
    if failures:
        raise Unsure("the codelists do not read")
    return engine.codes_of(table)
