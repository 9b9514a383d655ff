"""Reading a published package, local or downloaded: `load()` for pandas users and
`validate_package()` for `infratracker validate`."""
from __future__ import annotations

import hashlib
import json
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any


from . import registry
from .csvio import read_csv
from .paths import Layout
from .problems import Problem, raise_if
from .reference import codes_by_list
from .validate import key_problems, validated_frame


class Package:
    """A datapackage.json and the files it names, from a folder, a file path or a URL."""

    def __init__(self, location: str | Path | None = None):
        if location is None:
            location = Layout.default().descriptor
        loc = str(location)
        self.remote = loc.startswith(("http://", "https://"))
        if self.remote:
            self.base = loc if loc.endswith(".json") else loc.rstrip("/") + "/datapackage.json"
        else:
            path = Path(loc)
            self.base = str(path / "datapackage.json" if path.is_dir() else path)
        self.descriptor = json.loads(self.read_bytes(self.base))
        self.resources = {r["name"]: r for r in self.descriptor.get("resources", [])}

    def read_bytes(self, where: str) -> bytes:
        if self.remote:
            with urllib.request.urlopen(where, timeout=60) as resp:  # noqa: S310 (http/https only)
                return resp.read()
        return Path(where).read_bytes()

    def resource_location(self, name: str) -> str:
        rel = self.resources[name]["path"]
        if self.remote:
            return urllib.parse.urljoin(self.base, rel)
        return str(Path(self.base).parent / rel)

    def read_rows(self, name: str) -> tuple[list[dict[str, Any]], list[Problem]]:
        res = registry.resource(name)
        desc = self.resources.get(name)
        if desc is None:
            return [], [Problem("datapackage.json", "", name, f"no resource {name!r}")]
        file = desc["path"]
        try:
            data = self.read_bytes(self.resource_location(name))
        except OSError as exc:
            return [], [Problem(file, "", "", f"cannot read: {exc.__class__.__name__}")]
        problems = []
        if desc.get("bytes") != len(data):
            problems.append(Problem(file, "", "bytes", f"file has {len(data)} bytes, the descriptor says "
                                    f"{desc.get('bytes')}: edited after the build?"))
        digest = "sha256:" + hashlib.sha256(data).hexdigest()
        if desc.get("hash") != digest:
            problems.append(Problem(file, "", "hash", f"file hash {digest} differs from the descriptor's "
                                    f"{desc.get('hash')}: edited after the build?"))
        rows, found = read_csv(data, res, file)
        return rows, problems + found


def _origin(package: Package):
    def origin_of(table: str, row: dict[str, Any]) -> tuple[str, str]:
        path = package.resources.get(table, {}).get("path", f"data/{table}.csv")
        return path, registry.record_key(registry.resource(table), row) if row else ""
    return origin_of


def check(package: Package, names: list[str] | None = None) -> tuple[dict[str, list[dict[str, Any]]],
                                                                     dict[str, Any]]:
    """Read and check tables of a package: hashes, parsing, Pandera and, when every table is
    read, foreign keys. Returns (rows, typed frames) by table; raises ProblemsFound."""
    every = names is None
    names = [r.name for r in registry.RESOURCES] if every else names
    for name in names:
        if name not in registry.RESOURCE_METADATA:
            raise KeyError(f"no table {name!r}; tables: {', '.join(registry.RESOURCE_METADATA)}")
    rows: dict[str, list[dict[str, Any]]] = {}
    problems: list[Problem] = []
    unreadable = set()
    for name in ["codelists", *[n for n in names if n != "codelists"]]:  # codelists type the others
        rows[name], found = package.read_rows(name)
        problems += found
        if any(p.record == "" and p.field == "" for p in found):  # the file as a whole is bad
            unreadable.add(name)
    if every:
        for name in sorted(set(package.resources) - set(registry.RESOURCE_METADATA)):
            problems.append(Problem("datapackage.json", "", name, f"resource {name!r} is not in the registry"))
    codes = codes_by_list(rows["codelists"])
    origin_of = _origin(package)
    frames = {}
    for name in names:
        frames[name], found = validated_frame(registry.resource(name), rows[name], codes, origin_of)
        problems += found
    if every:
        problems += key_problems(rows, origin_of, frozenset(unreadable))
    raise_if(problems, "the package is not valid")
    return {n: rows[n] for n in names}, frames


def validate_package(location: str | Path | None = None) -> dict[str, list[dict[str, Any]]]:
    """Every check on a published package: hashes, parsing, Pandera, foreign keys."""
    return check(Package(location))[0]


def load(table: str | None = None, path: str | Path | None = None) -> Any:
    """Typed pandas DataFrames of the package, validated by the Pandera schemas.

    `load()` gives a dict of every table; `load("projects")` one DataFrame. `path` may be a
    folder, a datapackage.json, or the URL of a downloaded or published copy.
    """
    frames = check(Package(path), [table] if table else None)[1]
    return frames[table] if table else frames


def status_as_of(project_id: str, date: str, path: str | Path | None = None) -> str | None:
    """The OC4IDS status a project had on `date` (YYYY, YYYY-MM or YYYY-MM-DD), or None."""
    from .assemble import latest_status

    package = Package(path)
    events, problems = package.read_rows("status_events")
    raise_if(problems)
    ev = latest_status([e for e in events if e["project_id"] == project_id], as_of=date).get(project_id)
    return ev["status"] if ev else None
