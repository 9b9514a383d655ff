"""The fingerprint of the code and the reference data: part of the key of every cache."""
from __future__ import annotations

import hashlib
from functools import lru_cache
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1]  # src/infratracker


def _modules(package: Path) -> bytes:
    return b"\x1e".join(p.relative_to(package).as_posix().encode() + b"\0" + p.read_bytes()
                         for p in sorted(package.rglob("*.py")))


@lru_cache(maxsize=1)
def _modules_here() -> bytes:
    return _modules(PACKAGE)


def code_digest(package: Path, reference: Path, modules: bytes | None = None) -> str:
    """Changes whenever any module of the package or any reference file changes: naming the
    modules that matter would miss the next one that comes to matter."""
    parts = [_modules(package) if modules is None else modules]
    parts += [p.name.encode() + b"\0" + p.read_bytes() for p in sorted(reference.glob("*")) if p.is_file()]
    return hashlib.sha256(b"\x1e".join(parts)).hexdigest()


def fingerprint(reference: Path) -> str:
    """code_digest of this installed package, with the given reference folder."""
    return code_digest(PACKAGE, reference, _modules_here())
