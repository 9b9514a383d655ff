"""How the site's downloads are sent: a content type per kind of file and a file name that says
which variant it is, so that a browser saves rather than shows Parquet, and the package CSV and
the spreadsheet-safe CSV of a table never land under the same name."""
from __future__ import annotations

from pathlib import PurePosixPath

PREFIX = "/downloads/"
TYPES = {".parquet": b"application/vnd.apache.parquet", ".zip": b"application/zip",
         ".csv": b"text/csv; charset=utf-8", ".sha256": b"text/plain; charset=utf-8"}
# folder under /downloads/ -> what its files are called when saved
VARIANT = {"spreadsheet": "-spreadsheet", "parquet": "", "package": ""}


def headers(path: str) -> list[tuple[bytes, bytes]]:
    """Content type and disposition for a download path; [] for anything else."""
    if not path.startswith(PREFIX):
        return []
    p = PurePosixPath(path[len(PREFIX):])
    kind = TYPES.get(p.suffix)
    if kind is None:  # datapackage.json: shown, it is the package's table of contents
        return []
    variant = VARIANT.get(p.parts[0], "") if len(p.parts) > 1 else ""
    name = p.name if p.name.startswith("infratracker") else f"infratracker-{p.stem}{variant}{p.suffix}"
    return [(b"content-type", kind), (b"content-disposition", f'attachment; filename="{name}"'.encode())]
