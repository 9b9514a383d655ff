"""Reading a published package, local or downloaded: `load()` for pandas users and
`validate_package()` for `infratracker validate`."""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any, Iterator


from . import columnar, registry
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


class Checked:
    """The tables of a package that passed every check: typed Arrow tables when the columnar
    path proved them, else the rows and frames of the row-wise path."""

    def __init__(self, names: list[str], codes: dict[str, list[str]], arrow: dict[str, Any] | None = None,
                 rows: dict[str, list[dict[str, Any]]] | None = None, frames: dict[str, Any] | None = None):
        self.names, self.codes, self.arrow = names, codes, arrow
        self._rows, self._frames = rows or {}, frames or {}

    def count(self, name: str) -> int:
        return self.arrow[name].num_rows if self.arrow is not None else len(self._rows[name])

    def rows(self, name: str) -> list[dict[str, Any]]:
        if name not in self._rows:
            self._rows[name] = columnar.python_rows(self.arrow[name])
        return self._rows[name]

    def frame(self, name: str) -> Any:
        if name not in self._frames:
            self._frames[name] = columnar.pandas_frame(registry.resource(name), self.arrow[name], self.codes)
        return self._frames[name]

    def sql_tuples(self, name: str) -> Iterator[tuple[Any, ...]]:
        res = registry.resource(name)
        if self.arrow is not None:
            return columnar.sql_tuples(res, self.arrow[name])
        return (tuple(sql_value(row.get(n)) for n in res.field_names) for row in self._rows[name])


def sql_value(value: Any) -> Any:
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def _prove(package: Package, names: list[str], every: bool) -> Checked:
    """The columnar path: raises columnar.NotProven when it cannot vouch for the package."""
    if every and set(package.resources) != set(registry.RESOURCE_METADATA):
        raise columnar.NotProven("resources")
    csvs = {}
    for name in ["codelists", *[n for n in names if n != "codelists"]]:
        desc = package.resources.get(name)
        if desc is None:
            raise columnar.NotProven(name)
        try:
            data = package.read_bytes(package.resource_location(name))
        except OSError:
            raise columnar.NotProven(name) from None
        if desc.get("bytes") != len(data) or desc.get("hash") != "sha256:" + hashlib.sha256(data).hexdigest():
            raise columnar.NotProven(name)
        csvs[name] = data
    tables = columnar.prove(csvs, keys=every)
    return Checked(names, columnar.codes_of(tables["codelists"]), arrow=tables)


def check(package: Package, names: list[str] | None = None) -> Checked:
    """Read and check tables of a package: hashes, parsing, Pandera and, when every table is
    read, foreign keys; raises ProblemsFound. The columnar path proves a valid package quickly;
    when it cannot, the row-wise path finds and names every problem."""
    every = names is None
    names = [r.name for r in registry.RESOURCES] if every else names
    for name in names:
        if name not in registry.RESOURCE_METADATA:
            raise KeyError(f"no table {name!r}; tables: {', '.join(registry.RESOURCE_METADATA)}")
    try:
        return _prove(package, names, every)
    except columnar.NotProven:
        pass
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
    return Checked(names, codes, rows={n: rows[n] for n in names}, frames=frames)


def validate_package(location: str | Path | None = None) -> Checked:
    """Every check on a published package: hashes, parsing, Pandera, foreign keys."""
    return check(Package(location))


def load(table: str | None = None, path: str | Path | None = None) -> Any:
    """Typed pandas DataFrames of the package, validated by the Pandera schemas.

    `load()` gives a dict of every table; `load("projects")` one DataFrame. `path` may be a
    folder, a datapackage.json, or the URL of a downloaded or published copy.
    """
    checked = check(Package(path), [table] if table else None)
    return checked.frame(table) if table else {name: checked.frame(name) for name in checked.names}


def status_as_of(project_id: str, date: str, path: str | Path | None = None) -> str | None:
    """The OC4IDS status a project had on `date` (YYYY, YYYY-MM or YYYY-MM-DD), or None."""
    from .assemble import latest_status

    package = Package(path)
    events, problems = package.read_rows("status_events")
    raise_if(problems)
    ev = latest_status([e for e in events if e["project_id"] == project_id], as_of=date).get(project_id)
    return ev["status"] if ev else None
