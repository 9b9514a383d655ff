"""The site's downloads, made again only where the package changed.

`infratracker site` publishes, under build/downloads/: the package as published (descriptor and
CSVs), each table as Parquet and as a spreadsheet-safe CSV, the projects as an OC4IDS package,
and the whole package as one zip. At 10,000 articles making them all took 112 s and 5 GiB, for
one new article that changes a few hundred rows.

After each `site`, build/state/site/ records what the downloads were made from: the code's
fingerprint, for each table the SHA-256 of its CSV with a hard link to that very CSV and to the
build's row positions for it (as the database update keeps them, dbupdate.py), the signature
of every published download, where each project stands in the OC4IDS file, and the zip's
members. The next `site` then makes again:
- the Parquet and spreadsheet files of the tables whose CSV changed, and nothing of the others;
- the OC4IDS projects whose rows changed (their parties, finance, places or citations) or that
  name a changed organisation, person, place or source; every other project's bytes are taken
  from the published file (oc4ids.document gives the bytes a full export gives);
- the zip, from pieces compressed before (zipped.py) except those around changed rows.
The CSVs it reads are the ones the last build checked and published (their SHA-256 is the
build state's and datapackage.json's), so only a full `site` validates the package again.

Anything unusual raises Unsure and every download is made again, saying why: no state, other
code, a download or saved copy changed since, a CSV that is not what the build published,
changed codelists, countries or blocs. `tests/test_downloads.py` compares both ways byte for
byte after new articles, a changed record and a removed one.
"""
from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from infratracker.check import engine
from infratracker.check.package import Package, check, parquet_table
from infratracker.core import registry
from infratracker.core.csvio import (SPREADSHEET_BOM, NotCanonical, read_strings, spreadsheet_csv, spreadsheet_ready,
                                     write_spreadsheet_body)
from infratracker.core.paths import Layout
from infratracker.publish import build, incremental, oc4ids, rowdiff, snapshot, zipped

Unsure = incremental.Unsure

VERSION = 1
TARGET = "build/downloads"
ZIP_NAME = "infratracker-package.zip"
OC4IDS_NAME = "infratracker-oc4ids.json"
OC4IDS = f"{TARGET}/{OC4IDS_NAME}"


@dataclass
class Downloads:
    """What `site` publishes of build/downloads: `outputs`, the files to write (unchanged ones
    among them are left alone by publish), and `kept`, published files known to be unchanged."""
    outputs: dict[str, Any]  # bytes; a Path, published as a copy; build.Staged, moved into place
    kept: set[str]
    incremental: bool = False
    full_because: str | None = None
    remade_tables: list[str] = field(default_factory=list)
    remade_projects: int = 0
    zip_pieces: tuple[int, int] = (0, 0)  # taken from the cache, compressed now
    state: dict[str, Any] = field(default_factory=dict)  # the next manifest, without the outputs


def _folder(layout: Layout) -> Path:
    return layout.build / "state" / "site"


def _cache(layout: Layout) -> Path:
    return layout.build / "cache" / "zip"


signature = snapshot.signature


def forget(layout: Layout) -> None:
    (_folder(layout) / "manifest.json").unlink(missing_ok=True)


def clean(layout: Layout) -> None:
    """Remove what a `site` left in its work folder (all of it, after a publish)."""
    shutil.rmtree(_work(layout), ignore_errors=True)


def _releases(layout: Layout) -> str:
    """The release files decide the OC4IDS publication date."""
    h = hashlib.sha256()
    for path in sorted(layout.root.glob("releases/*.json")):
        h.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return h.hexdigest()


# --- one table's files ------------------------------------------------------------------------

def table_files(layout: Layout, res: registry.Resource, path: Path, table: pa.Table, codes: dict[str, list[str]],
                sheet_done: bool = False) -> dict[str, Any]:
    """The package's CSV (a copy of the published one), its Parquet (the frame `load()` gives)
    and, unless sheet_file made it, its spreadsheet CSV row by row, from the typed rows; each
    written to the work folder as it is made, never whole in memory beside the others (at a
    million citations, each is over 100 MB)."""
    parquet = f"{TARGET}/parquet/{res.name}.parquet"
    with _work_file(layout, parquet) as fh:
        pq.write_table(parquet_table(res, table, codes), fh)
    out: dict[str, Any] = {parquet: build.Staged(_work(layout) / parquet)}
    if not sheet_done:
        out.update(_staged(layout, {_sheet(res): spreadsheet_csv(res, table.to_pylist())}))
    out[f"{TARGET}/package/data/{res.name}.csv"] = path
    return out


def sheet_file(layout: Layout, res: registry.Resource, data: bytes, strings: pa.Table) -> dict[str, Any]:
    """The spreadsheet CSV straight from the canonical CSV's bytes, when no cell needs care
    (csvio.spreadsheet_ready; `strings`: `data` read, at least its text columns as
    read_strings reads them); else nothing, and
    table_files writes it from the typed rows. Made before the rows are typed, so that the
    CSV's bytes can go before the typed table comes."""
    if not spreadsheet_ready(res, data, strings):
        return {}
    with _work_file(layout, _sheet(res)) as fh:
        fh.write(SPREADSHEET_BOM)
        write_spreadsheet_body(fh, data)
    return {_sheet(res): build.Staged(_work(layout) / _sheet(res))}


def _sheet(res: registry.Resource) -> str:
    return f"{TARGET}/spreadsheet/{res.name}.csv"


def _zip_members(layout: Layout, digests: dict[str, str]) -> list[tuple[str, Path, str]]:
    """The zip's members: archive name, file, SHA-256 (the CSVs' from datapackage.json)."""
    out = []
    for path in [layout.descriptor, layout.dictionary, *sorted(layout.data.glob("*.csv")),
                 *sorted(layout.schemas.glob("*.yaml"))]:
        rel = layout.rel(path)
        digest = digests.get(path.stem) if path.parent == layout.data else None
        out.append((f"infratracker/{rel}", path, digest or hashlib.sha256(path.read_bytes()).hexdigest()))
    return out


def _zip_files(layout: Layout, members: list[tuple[str, Path, str]]) -> tuple[dict[str, bytes], tuple[int, int]]:
    cache = zipped.PieceCache(_cache(layout))
    archive = zipped.zip_bytes([(name, path) for name, path, _d in members], cache)
    cache.prune()
    return ({f"{TARGET}/{ZIP_NAME}": archive,
             f"{TARGET}/{ZIP_NAME}.sha256": f"{hashlib.sha256(archive).hexdigest()}  {ZIP_NAME}\n".encode()},
            (cache.hits, cache.misses))


def package_zip(layout: Layout) -> bytes:
    """The zip of the package as it is now, with no cache."""
    members = _zip_members(layout, {})
    return zipped.zip_bytes([(name, path) for name, path, _d in members], zipped.PieceCache(None))


# --- every download -----------------------------------------------------------------------------

def plan(layout: Layout, incremental_ok: bool = True) -> Downloads:
    """The downloads to publish: only what changed when the saved state allows, else all of
    them from a full check of the package (which raises ProblemsFound for a bad package)."""
    clean(layout)
    why = None
    if incremental_ok:
        try:
            return _update(layout)
        except Unsure as exc:
            why = str(exc)
            clean(layout)
    out = _full(layout)
    out.full_because = why
    return out


def _full(layout: Layout) -> Downloads:
    checked = check(Package(layout.descriptor))
    described = {r["name"]: r for r in json.loads(layout.descriptor.read_bytes())["resources"]}
    digests = {name: r["hash"].removeprefix("sha256:") for name, r in described.items()}
    files = {f"{TARGET}/package/datapackage.json": layout.descriptor.read_bytes()}
    for res in registry.RESOURCES:
        path = layout.data / f"{res.name}.csv"
        # the typed table's text columns are read_strings', all the spreadsheet check looks at
        sheet = sheet_file(layout, res, path.read_bytes(), checked.arrow[res.name])
        files.update(sheet)
        files.update(table_files(layout, res, path, checked.arrow[res.name], checked.codes, sheet_done=bool(sheet)))
    tables = oc4ids.read_tables(checked)
    del checked
    head = oc4ids.head(layout, tables["sources"])
    found = oc4ids.projects(tables)
    segments = oc4ids.checked_segments(layout, head, found, list(range(len(found))))
    body, starts = oc4ids.document(head, segments)
    files.update(_staged(layout, {OC4IDS: body}))
    del body
    members = _zip_members(layout, digests)
    zip_files, pieces = _zip_files(layout, members)
    files.update(_staged(layout, zip_files))
    state = {"tables": {name: {"sha256": d} for name, d in digests.items()},
             "oc4ids": {"ids": [p["id"] for p in found], "starts": starts, "lengths": [len(s) for s in segments]},
             "zip": [[n, d] for n, _p, d in members], "releases": _releases(layout)}
    return Downloads(files, set(), remade_tables=[r.name for r in registry.RESOURCES], remade_projects=len(found),
                     zip_pieces=pieces, state=state)


def _update(layout: Layout) -> Downloads:
    manifest = snapshot.manifest(layout, _folder(layout), VERSION,
                                 "no saved state of the downloads (a first `site`, or the last one did not finish)")
    try:
        for rel, sig in manifest["outputs"].items():
            if not (layout.root / rel).is_file() or signature(layout.root / rel) != sig:
                raise Unsure(f"{rel} changed since the last `site`")
        return _changes(layout, manifest)
    except (OSError, KeyError, TypeError, ValueError, IndexError, pa.ArrowException, NotCanonical) as exc:
        raise Unsure(f"the saved state does not fit the files ({exc.__class__.__name__})") from None


def _changes(layout: Layout, manifest: dict[str, Any]) -> Downloads:
    """Each changed table is read once and let go: its files are made and written to the work
    folder, and what it changed for the OC4IDS export is noted."""
    folder = _folder(layout)
    recorded: dict[str, dict[str, Any]] = manifest["tables"]
    if set(recorded) != {r.name for r in registry.RESOURCES}:
        raise Unsure("the tables changed")
    descriptor = layout.descriptor.read_bytes()
    described = {r["name"]: r for r in json.loads(descriptor)["resources"]}
    published: dict[str, str] | None = None
    changed: list[str] = []
    state_tables = {name: dict(rec) for name, rec in recorded.items()}
    codes = snapshot.codes(folder / "codelists.csv")
    files: dict[str, bytes | Path | build.Staged] = {f"{TARGET}/package/datapackage.json": descriptor}
    touched = _Touched()
    typed_now: dict[str, pa.Table] = {}
    for res in registry.RESOURCES:
        rec, rel, path = recorded[res.name], f"data/{res.name}.csv", layout.data / f"{res.name}.csv"
        desc = described.get(res.name, {})
        if signature(path) == rec["csv"]:  # the very file the downloads were made from
            if desc.get("hash") != "sha256:" + rec["sha256"]:
                raise Unsure(f"{rel} differs from datapackage.json")
            continue
        data = path.read_bytes()
        digest = hashlib.sha256(data).hexdigest()
        if desc.get("hash") != "sha256:" + digest or desc.get("bytes") != len(data):
            raise Unsure(f"{rel} differs from datapackage.json")
        state_tables[res.name]["sha256"] = digest
        if digest == rec["sha256"]:
            continue  # written again with the same bytes: only the saved link is renewed
        if published is None:
            published, rows_dir = incremental.saved_outputs(layout)
        if published.get(rel) != digest:
            raise Unsure(f"{rel} is not what the last build published")
        if res.name == "codelists":
            raise Unsure("the codelists changed")
        if res.name in oc4ids.EVERYWHERE:
            raise Unsure("countries or blocs changed, which every project of the OC4IDS export names")
        changed.append(res.name)
        # In the order that holds least at once (a million citations: 124 MB of CSV, as much
        # again for its last version, and 325 MB typed): the rows changed since the last
        # version, then the spreadsheet CSV from the bytes, which can then go before the typing.
        if res.name in oc4ids.TABLES:
            touched.add(res, (folder / f"{res.name}.csv").read_bytes(), incremental.read_rows(folder / f"{res.name}.arrow"),
                        data, incremental.read_rows(rows_dir / f"{res.name}.arrow"))
        strings = read_strings(data, res)
        sheet = sheet_file(layout, res, data, strings)
        files.update(sheet)
        del data
        table, failures = engine.typed(res, strings)
        del strings
        if failures:
            raise Unsure(f"{rel} does not type")
        files.update(table_files(layout, res, path, table, codes, sheet_done=bool(sheet)))
        if res.name in oc4ids.TABLES and res.name != "citations":  # of citations it reads three columns only
            typed_now[res.name] = table
        del table
    state: dict[str, Any] = {"tables": state_tables, "oc4ids": manifest["oc4ids"], "zip": manifest["zip"],
                             "releases": _releases(layout), "database": manifest.get("database"),
                             "inspect": manifest.get("inspect")}
    projects = 0
    if set(changed) & set(oc4ids.TABLES) or state["releases"] != manifest["releases"]:
        files[OC4IDS], state["oc4ids"], projects = _oc4ids(layout, manifest["oc4ids"], touched, typed_now)
    digests = {name: rec["sha256"] for name, rec in state_tables.items()}
    members = _zip_members(layout, digests)
    pieces = (0, 0)
    if [[n, d] for n, _p, d in members] != manifest["zip"]:
        zip_files, pieces = _zip_files(layout, members)
        files.update(_staged(layout, zip_files))
        state["zip"] = [[n, d] for n, _p, d in members]
    kept = set(manifest["outputs"]) - set(files)
    return Downloads(files, kept, incremental=True, remade_tables=changed, remade_projects=projects,
                     zip_pieces=pieces, state=state)


def _work(layout: Layout) -> Path:
    return layout.build / "site-work"


@contextlib.contextmanager
def _work_file(layout: Layout, rel: str) -> Iterator[Any]:
    """A file of the work folder, written durably: publish moves it into place."""
    path = _work(layout) / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as fh:
        yield fh
        fh.flush()
        os.fsync(fh.fileno())


def _staged(layout: Layout, made: dict[str, Any]) -> dict[str, Any]:
    """Large files go to the work folder at once, so that they are not all held in memory until
    the publish, which moves them into place (build.Staged)."""
    out = {}
    for rel, data in made.items():
        if isinstance(data, (bytes, bytearray)) and len(data) > 1 << 20:
            with _work_file(layout, rel) as fh:
                fh.write(data)
            out[rel] = build.Staged(_work(layout) / rel)
        else:
            out[rel] = data
    return out


class _Touched:
    """What changed rows mean for the OC4IDS export: the projects whose own rows changed, and
    the organisations, people, places and sources that were changed or removed (a new record is
    named only by rows that are new too; an old one may be named by any row)."""

    def __init__(self) -> None:
        self.projects: set[str] = set()
        self.named: dict[str, set[str]] = {}

    def add(self, res: registry.Resource, old_data: bytes, old_rows, new_data: bytes, new_rows) -> None:
        old, new = rowdiff.lines(old_data, old_rows), rowdiff.lines(new_data, new_rows)
        found = rowdiff.diff(old, new, res.name)
        before = rowdiff.typed(res, old, found.old_rows)
        if res.name in oc4ids.NAMED:
            self.named[res.name] = _values(before, res.primary_key[0])
            return
        both = pa.concat_tables([rowdiff.typed(res, new, found.new_rows), before])
        if res.name == "citations":
            both = both.filter(pc.equal(both["record_table"], "projects"))
            self.projects |= _values(both, "record_id")
        else:
            self.projects |= _values(both, "project_id")


def _current(layout: Layout, name: str, typed_now: dict[str, pa.Table]) -> pa.Table:
    if name not in typed_now:
        res = registry.resource(name)
        table, failures = engine.typed(res, read_strings((layout.data / f"{name}.csv").read_bytes(), res))
        if failures:
            raise Unsure(f"data/{name}.csv does not type")
        typed_now[name] = table
    return typed_now[name]


def _values(table: pa.Table, column: str) -> set[str]:
    return {v for v in pc.unique(table[column]).to_pylist() if v is not None}


def _oc4ids(layout: Layout, index: dict[str, list], touched: _Touched,
            typed_now: dict[str, pa.Table]) -> tuple[build.Staged, dict[str, list], int]:
    """The export with the projects that changed made again and every other one's bytes taken
    from the published file, written to the work folder: that file, its new index, and how many
    projects were made again."""
    affected, named = set(touched.projects), touched.named
    parties = _current(layout, "parties", typed_now)
    finance = _current(layout, "finance", typed_now)
    places = _current(layout, "project_places", typed_now)
    citations = _citation_columns(layout)
    citations = citations.filter(pc.equal(citations["record_table"], "projects"))

    def naming(table: pa.Table, column: str, keys: set[str], project_column: str = "project_id") -> set[str]:
        if not keys or not table.num_rows:
            return set()
        return _values(table.filter(pc.fill_null(pc.is_in(table[column], value_set=pa.array(sorted(keys), pa.string())),
                                                 False)), project_column)

    affected |= naming(parties, "organisation_id", named.get("organisations", set()))
    affected |= naming(finance, "financier_organisation_id", named.get("organisations", set()))
    affected |= naming(parties, "person_id", named.get("people", set()))
    affected |= naming(places, "place_id", named.get("places", set()))
    affected |= naming(citations, "source_id", named.get("sources", set()), "record_id")

    wanted = pa.array(sorted(affected), pa.string())

    def rows_of(table: pa.Table, column: str = "project_id") -> list[dict[str, Any]]:
        return table.filter(pc.fill_null(pc.is_in(table[column], value_set=wanted), False)).to_pylist()

    tables = {"projects": rows_of(_current(layout, "projects", typed_now)), "parties": rows_of(parties),
              "finance": rows_of(finance), "project_places": rows_of(places),
              "citations": rows_of(citations, "record_id")}
    for name in (*oc4ids.NAMED, *oc4ids.EVERYWHERE):
        tables[name] = _current(layout, name, typed_now).to_pylist()
    made = {p["id"]: p for p in oc4ids.projects(tables)}

    old_body = (layout.root / OC4IDS).read_bytes()
    old_at = {pid: (start, length) for pid, start, length in zip(index["ids"], index["starts"], index["lengths"])}
    if len(old_at) != len(index["ids"]) or any(start + length > len(old_body) for start, length in old_at.values()):
        raise Unsure("the saved places of the OC4IDS projects do not fit the file")
    old_view = memoryview(old_body)  # slices of it, not copies
    ids = sorted((set(old_at) - affected) | set(made))
    head = oc4ids.head(layout, tables["sources"])
    new_ids = [pid for pid in ids if pid in made]
    position = {pid: i for i, pid in enumerate(ids)}
    fresh = dict(zip(new_ids, oc4ids.checked_segments(layout, head, [made[p] for p in new_ids],
                                                     [position[p] for p in new_ids])))
    def segments():
        for pid in ids:
            if pid in fresh:
                yield fresh[pid]
            else:
                start, length = old_at[pid]
                yield old_view[start:start + length]

    lengths = [len(fresh[pid]) if pid in fresh else old_at[pid][1] for pid in ids]
    with _work_file(layout, OC4IDS) as fh:
        starts = oc4ids.write_document(fh, head, segments())
    return build.Staged(_work(layout) / OC4IDS), {"ids": ids, "starts": starts, "lengths": lengths}, len(new_ids)


def _citation_columns(layout: Layout) -> pa.Table:
    """The three columns of every citation the export reads, without typing a million rows."""
    import pyarrow.csv as pacsv

    data = (layout.data / "citations.csv").read_bytes()
    columns = ["record_table", "record_id", "source_id"]
    return pacsv.read_csv(pa.py_buffer(data), read_options=pacsv.ReadOptions(block_size=1 << 24),
                          parse_options=pacsv.ParseOptions(newlines_in_values=True),
                          convert_options=pacsv.ConvertOptions(column_types={c: pa.string() for c in columns},
                                                               include_columns=columns, null_values=[""],
                                                               strings_can_be_null=True))


# --- the state ------------------------------------------------------------------------------------

def save(layout: Layout, done: Downloads) -> None:
    """Record what the published downloads were made from; called after they are published.
    A CSV or build state that changed meanwhile leaves no state: the next `site` is a full one."""
    folder = _folder(layout)
    forget(layout)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        published, rows_dir = incremental.saved_outputs(layout)
        tables = {}
        for res in registry.RESOURCES:
            rec = done.state["tables"][res.name]
            digest, path = rec["sha256"], layout.data / f"{res.name}.csv"
            if published.get(f"data/{res.name}.csv") != digest:
                return  # the build published another file since (or has no state): nothing to vouch for
            if rec.get("csv") and signature(path) == rec["csv"] and (folder / f"{res.name}.csv").exists() \
                    and signature(folder / f"{res.name}.csv") == rec["csv"] and rec.get("rows"):
                tables[res.name] = rec
                continue
            csv_sig = snapshot.link(path, folder / f"{res.name}.csv")
            with open(folder / f"{res.name}.csv", "rb") as fh:
                if hashlib.sha256(fh.read()).hexdigest() != digest:
                    return
            tables[res.name] = {"sha256": digest, "csv": csv_sig,
                                "rows": snapshot.link(rows_dir / f"{res.name}.arrow", folder / f"{res.name}.arrow")}
        downloads = layout.build / "downloads"
        outputs = {layout.rel(p): signature(p) for p in sorted(downloads.rglob("*")) if p.is_file()}
        tmp = folder / "manifest.json.tmp"
        tmp.write_text(json.dumps({**done.state, "version": VERSION, "code": snapshot.fingerprint(layout.reference),
                                   "tables": tables, "outputs": outputs}, sort_keys=True))
        os.replace(tmp, folder / "manifest.json")
    except (OSError, Unsure, KeyError):
        forget(layout)  # the state only saves time
