"""Reading a published package, local or downloaded: `load()` for pandas users and
`validate_package()` for `infratracker validate`."""
from __future__ import annotations

import hashlib
import json
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any, Iterator


import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from infratracker.check import engine
from infratracker.core import csvio
from infratracker.core import registry
from infratracker.core.paths import Layout
from infratracker.core.problems import Problem, ProblemsFound, raise_if


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
            path = Path(loc).expanduser()  # "~/Downloads/infratracker" as users write it
            self.base = str(path / "datapackage.json" if path.is_dir() else path)
        try:
            self.descriptor = json.loads(self.read_bytes(self.base))
        except OSError as exc:  # a missing file, a wrong URL (HTTPError and URLError are OSErrors)
            raise ProblemsFound([Problem(self.base, "", "", f"cannot read the package descriptor: "
                                         f"{getattr(exc, 'reason', None) or exc.strerror or exc}")],
                                "nothing was loaded") from None
        except ValueError as exc:
            raise ProblemsFound([Problem(self.base, "", "", f"is not a JSON package descriptor: {exc}")],
                                "nothing was loaded") from None
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

    def read_text(self, name: str) -> tuple[pa.Table | None, list[Problem]]:
        """A table's cells as text, with every problem of reading: missing, edited after the
        build (bytes and hash against the descriptor), not a well-formed CSV."""
        res = registry.resource(name)
        desc = self.resources.get(name)
        if desc is None:
            return None, [Problem("datapackage.json", "", name, f"no resource {name!r}")]
        file = desc["path"]
        try:
            data = self.read_bytes(self.resource_location(name))
        except OSError as exc:
            return None, [Problem(file, "", "", f"cannot read: {exc.__class__.__name__}")]
        problems = []
        if desc.get("bytes") != len(data):
            problems.append(Problem(file, "", "bytes", f"file has {len(data)} bytes, the descriptor says "
                                    f"{desc.get('bytes')}: edited after the build?"))
        digest = "sha256:" + hashlib.sha256(data).hexdigest()
        if desc.get("hash") != digest:
            problems.append(Problem(file, "", "hash", f"file hash {digest} differs from the descriptor's "
                                    f"{desc.get('hash')}: edited after the build?"))
        table, found = csvio.text_table(data, res, file)
        return table, problems + found

    def read_rows(self, name: str) -> tuple[list[dict[str, Any]], list[Problem]]:
        """A table's rows as Python values, with every problem of reading and typing."""
        strings, problems = self.read_text(name)
        if strings is None:
            return [], problems
        res = registry.resource(name)
        table, failures = engine.typed(res, strings)
        return table.to_pylist(), problems + engine.explain(failures, {name: strings}, _origin(self))


def _origin(package: Package):
    def origin_of(table: str, row: dict[str, Any]) -> tuple[str, str]:
        path = package.resources.get(table, {}).get("path", f"data/{table}.csv")
        return path, registry.record_key(registry.resource(table), row) if row else ""
    return origin_of


class Checked:
    """The typed Arrow tables of a package that passed every check, and what users get of them."""

    def __init__(self, names: list[str], codes: dict[str, list[str]], arrow: dict[str, pa.Table]):
        self.names, self.codes, self.arrow = names, codes, arrow
        self._frames: dict[str, pd.DataFrame] = {}

    def count(self, name: str) -> int:
        return self.arrow[name].num_rows

    def rows(self, name: str) -> list[dict[str, Any]]:
        """Rows as cells.parse_cell gives them: str, int, float, bool, datetime.date or None."""
        return self.arrow[name].to_pylist()

    def frame(self, name: str) -> pd.DataFrame:
        if name not in self._frames:
            self._frames[name] = pandas_frame(registry.resource(name), self.arrow[name], self.codes)
        return self._frames[name]

    def sql_tuples(self, name: str) -> Iterator[tuple[Any, ...]]:
        """Rows in registry order as SQLite values: booleans as 0/1, dates as ISO text."""
        columns = []
        for f in registry.resource(name).fields:
            col = self.arrow[name][f.name]
            if f.type == "boolean":
                col = pc.cast(col, pa.int64())
            elif f.type == "date":
                col = pc.cast(col, pa.string())
            columns.append(col.to_pylist())
        return zip(*columns)


def pandas_frame(res: registry.Resource, table: pa.Table, codes: dict[str, list[str]]) -> pd.DataFrame:
    """The frame `load()` gives: nullable integers and booleans, pandas strings, datetimes,
    ordered categoricals for codelists (in codelist order)."""
    columns = {}
    for f in res.fields:
        col = table[f.name]
        if f.codelist:
            values = col.to_pylist()
            listed = codes.get(f.codelist, [])
            extra = sorted({v for v in values if v is not None} - set(listed))
            # ordered as the codelist lists its codes, so that status >= "implementation" works
            columns[f.name] = pd.Categorical(values, categories=[*listed, *extra], ordered=True)
        elif f.type == "date":
            columns[f.name] = pc.cast(col, pa.timestamp("ns")).to_pandas().astype("datetime64[ns]")
        elif f.type == "string":
            columns[f.name] = pd.arrays.StringArray._from_sequence(col.to_pylist(), dtype=pd.StringDtype())
        elif f.type == "integer":
            columns[f.name] = pd.Int64Dtype().__from_arrow__(col)
        elif f.type == "boolean":
            columns[f.name] = pd.BooleanDtype().__from_arrow__(col)
        else:
            columns[f.name] = col.to_pandas()
    return pd.DataFrame(columns, columns=res.field_names)


def check(package: Package, names: list[str] | None = None) -> Checked:
    """Read and check tables of a package: hashes, form, every rule of the registry (the rule
    engine) and, when every table is read, references between them; raises ProblemsFound
    naming file, record and field of each problem."""
    every = names is None
    names = [r.name for r in registry.RESOURCES] if every else names
    for name in names:
        if name not in registry.RESOURCE_METADATA:
            raise KeyError(f"no table {name!r}; tables: {', '.join(registry.RESOURCE_METADATA)}")
    strings: dict[str, pa.Table] = {}
    problems: list[Problem] = []
    unreadable = set()
    for name in ["codelists", *[n for n in names if n != "codelists"]]:  # codelists type the others
        table, found = package.read_text(name)
        problems += found
        if table is None:  # the file as a whole is bad: reported once, not row by row
            unreadable.add(name)
            table = csvio.empty_strings(registry.resource(name))
        strings[name] = table
    if every:
        for name in sorted(set(package.resources) - set(registry.RESOURCE_METADATA)):
            problems.append(Problem("datapackage.json", "", name, f"resource {name!r} is not in the registry"))
    tables, failures = engine.check(strings, references=every, unreadable=unreadable)
    problems += engine.explain(failures, tables, _origin(package))
    raise_if(problems, "the package is not valid")
    return Checked(names, engine.codes_of(tables["codelists"]), {n: tables[n] for n in names})


def validate_package(location: str | Path | None = None) -> Checked:
    """Every check on a published package: hashes, parsing, Pandera, foreign keys."""
    return check(Package(location))


def parquet_table(res: registry.Resource, table: pa.Table, codes: dict[str, list[str]]) -> pa.Table:
    """What pandas_frame(...).to_parquet() writes, made in Arrow without the frame (at a million
    citations the frame cost 2.4 s and most of a gigabyte of Python strings): the same columns,
    types and pandas metadata, so pd.read_parquet gives the pandas_frame (tested)."""
    schema = pa.Table.from_pandas(pandas_frame(res, table.slice(0, 0), codes), preserve_index=False).schema
    arrays = []
    for f, target in zip(res.fields, schema):
        col = table[f.name].combine_chunks() if table.num_rows else pa.array([], table.schema.field(f.name).type)
        if f.codelist:
            listed = codes.get(f.codelist, [])
            dictionary = pa.array(listed, pa.string())
            at = pc.index_in(col, value_set=dictionary)
            if pc.sum(pc.and_(pc.is_valid(col), pc.is_null(at))).as_py():  # a value not in the codelist
                return pa.Table.from_pandas(pandas_frame(res, table, codes), preserve_index=False)
            col = pa.DictionaryArray.from_arrays(at.cast(target.type.index_type), dictionary,
                                                 ordered=target.type.ordered)
        elif f.type == "date":
            col = pc.cast(col, pa.timestamp("ns"))
        arrays.append(col.cast(target.type) if col.type != target.type else col)
    return pa.Table.from_arrays(arrays, schema=schema)
