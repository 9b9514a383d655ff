"""`infratracker db` after a build that changed a few rows: only those rows go into the database.

A full load of build/infratracker.db takes half a minute at 10,000 articles (1.7 M rows and
their full-text indexes); one new article changes a few hundred rows. After each `db`,
build/state/db/ records what the database was made from: the code's fingerprint, the
database file's signature (inode, size, mtime), and for each table the SHA-256 of its CSV with a
hard link to that very CSV and to the build state's row positions for it (`build` replaces a
published file by renaming a new one over it, so the link keeps the old bytes at no cost).

The next `db` compares each CSV's signature with the recorded one; only the tables whose file
changed are read. Their rows are compared with the recorded copy by primary key (the sort keys
and line offsets the build saved, compared as Arrow arrays: no row is parsed unless it
changed), and the inserted, updated and deleted rows are applied to a copy of the database in
one transaction: per-table FTS5 kept in step by temporary triggers, the `search_index` rows of
every record they touch made again (name, text, keys), foreign keys checked at commit. Then
the row counts, `PRAGMA quick_check` and the unique columns are checked, and the copy is
renamed over the database, which a running server picks up as after a full load.

Anything unusual raises Unsure and the full load runs instead, reporting whatever is wrong: no
state, changed code or reference data, a database or CSV that is not the recorded one, a CSV
that differs from datapackage.json or from what the last build published, changed codelists,
a changed row that fails a check, a broken foreign key or unique value. `tests/test_dbupdate.py`
builds the same corpus both ways and compares every table and view row for row.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import sqlite_utils

from infratracker.check import engine
from infratracker.check.package import Checked
from infratracker.core import registry
from infratracker.core.csvio import NotCanonical
from infratracker.core.paths import Layout, remove_stale
from infratracker.publish import incremental, rowdiff, snapshot
from infratracker.publish.build import build_lock
from infratracker.publish.database import add_search_keys, build_database, disk_error
from infratracker.publish.views import SEARCHED, search_select

VERSION = 1


# The update cannot vouch for its result; the full load must run. The build's own exception,
# since the build state's reader raises it too.
Unsure = incremental.Unsure


@dataclass
class Loaded:
    counts: dict[str, int]  # rows by table
    incremental: bool = False
    changes: dict[str, tuple[int, int, int]] = field(default_factory=dict)  # table -> inserted, updated, deleted
    full_because: str | None = None  # why the update was not possible


signature = snapshot.signature
_link = snapshot.link


def _folder(layout: Layout) -> Path:
    return layout.build / "state" / "db"


def forget(layout: Layout) -> None:
    """Drop the state: the next `db` is a full load."""
    (_folder(layout) / "manifest.json").unlink(missing_ok=True)


def load_database(layout: Layout, target: Path | None = None, incremental_ok: bool = True) -> Loaded:
    """The database from the published CSVs: updated with only the changed rows when the state
    allows, else loaded in full (database.build_database). Either way the new file replaces the
    old one only after every check; on any problem the old one stays."""
    target = target or layout.database
    if target.resolve() != layout.database.resolve():  # the state describes build/infratracker.db only
        return Loaded(build_database(layout, target))
    with build_lock(layout):  # the CSVs and the build state must not change under us
        why = None
        if incremental_ok:
            try:
                return _update(layout, target)
            except Unsure as exc:
                why = str(exc)
        forget(layout)
        before = {}
        for res in registry.RESOURCES:  # taken before the load reads the files: see _save_after_full
            try:
                before[res.name] = signature(layout.data / f"{res.name}.csv")
            except OSError:
                pass  # the load reports it
        counts = build_database(layout, target)
        try:
            _save_after_full(layout, target, before, counts)
        except (OSError, Unsure, ValueError, KeyError):
            forget(layout)  # the state only saves time: without it the next `db` is a full one
        return Loaded(counts, full_because=why)


# --- the state --------------------------------------------------------------------------------

def _write_manifest(layout: Layout, target: Path, tables: dict[str, dict[str, Any]]) -> None:
    folder = _folder(layout)
    tmp = folder / "manifest.json.tmp"
    tmp.write_text(json.dumps({"version": VERSION, "code": snapshot.fingerprint(layout.reference),
                               "database": signature(target), "tables": tables}, sort_keys=True))
    os.replace(tmp, folder / "manifest.json")


def _save_after_full(layout: Layout, target: Path, before: dict[str, list[int]], counts: dict[str, int]) -> None:
    """Record the CSVs the full load read. The load checked each against its hash in
    datapackage.json; a link whose signature is the one taken before the load read the file is
    that file (a file replaced or edited meanwhile has another), so the hash is its hash."""
    outputs, rows = incremental.saved_outputs(layout)
    described = {r["name"]: r for r in json.loads(layout.descriptor.read_bytes())["resources"]}
    folder = _folder(layout)
    folder.mkdir(parents=True, exist_ok=True)
    tables = {}
    for res in registry.RESOURCES:
        digest = described[res.name]["hash"].removeprefix("sha256:")
        if outputs.get(f"data/{res.name}.csv") != digest:
            raise Unsure(f"the build state does not describe data/{res.name}.csv")
        csv = _link(layout.data / f"{res.name}.csv", folder / f"{res.name}.csv")
        if csv != before.get(res.name):
            raise Unsure(f"data/{res.name}.csv changed during the load")
        keys = _link(rows / f"{res.name}.arrow", folder / f"{res.name}.arrow")
        tables[res.name] = {"sha256": digest, "csv": csv, "rows": keys, "count": counts[res.name]}
    _write_manifest(layout, target, tables)


# --- the update -------------------------------------------------------------------------------

@dataclass
class _Change:
    """One table's changed rows, typed: the new versions (inserted, then updated) and the old
    versions (deleted, then updated)."""
    new: pa.Table
    inserted: int
    old: pa.Table
    deleted: int


def _update(layout: Layout, target: Path) -> Loaded:
    manifest = snapshot.manifest(layout, _folder(layout), VERSION,
                                 "no saved database state (a first load, or the last one did not finish)")
    try:
        if not target.exists() or signature(target) != manifest["database"]:
            raise Unsure("the database is not the one the last load wrote")
        recorded: dict[str, dict[str, Any]] = manifest["tables"]
        if set(recorded) != {r.name for r in registry.RESOURCES}:
            raise Unsure("the tables changed")
        return _apply_changes(layout, target, recorded)
    except (OSError, KeyError, TypeError, ValueError, pa.ArrowException, NotCanonical) as exc:
        # OSError: a saved copy gone, or a full disk, which the full load then reports as such
        raise Unsure(f"the saved state does not fit the files ({exc.__class__.__name__})") from None


def _apply_changes(layout: Layout, target: Path, recorded: dict[str, dict[str, Any]]) -> Loaded:
    folder = _folder(layout)
    try:
        described = {r["name"]: r for r in json.loads(layout.descriptor.read_bytes())["resources"]}
    except OSError:
        raise Unsure("datapackage.json cannot be read") from None
    if set(described) != set(recorded):
        raise Unsure("datapackage.json names other tables")
    outputs: dict[str, str] | None = None
    tables = {name: dict(rec) for name, rec in recorded.items()}  # the next state
    # table -> its new bytes (empty: the same as before), their SHA-256 and signature, the build
    # state's row positions for them and that file's signature
    read: dict[str, tuple[bytes, str, list[int], Path, list[int]]] = {}
    for res in registry.RESOURCES:
        rec, desc, rel = recorded[res.name], described[res.name], f"data/{res.name}.csv"
        path = layout.data / f"{res.name}.csv"
        try:
            now = signature(path)
        except OSError:
            raise Unsure(f"{rel} is missing") from None
        if now == rec["csv"]:  # the very file the database was made from
            if desc.get("hash") != "sha256:" + rec["sha256"] or desc.get("bytes") != now[1]:
                raise Unsure(f"{rel} differs from datapackage.json")
            continue
        with open(path, "rb") as fh:
            st = os.fstat(fh.fileno())
            data = fh.read()
        digest = hashlib.sha256(data).hexdigest()
        if desc.get("hash") != "sha256:" + digest or desc.get("bytes") != len(data):
            raise Unsure(f"{rel} differs from datapackage.json")
        if digest == rec["sha256"]:  # written again with the same bytes
            tables[res.name]["csv"] = [st.st_ino, st.st_size, st.st_mtime_ns]
            read[res.name] = (b"", digest, tables[res.name]["csv"], Path(), [])
            continue
        if res.name == "codelists":  # codes type every table: only a full load checks them all
            raise Unsure("the codelists changed")
        if outputs is None:
            outputs, rows_dir = incremental.saved_outputs(layout)
        if outputs.get(rel) != digest:
            raise Unsure(f"{rel} is not what the last build published")
        rows_file = rows_dir / f"{res.name}.arrow"
        read[res.name] = (data, digest, [st.st_ino, st.st_size, st.st_mtime_ns], rows_file, signature(rows_file))
    codes = _codes(folder / "codelists.csv")
    changes: dict[str, _Change] = {}
    for name, (data, _digest, _sig, rows_file, _rows_sig) in read.items():
        if not data:
            continue
        res = registry.resource(name)
        snapshot, snapshot_rows = folder / f"{name}.csv", folder / f"{name}.arrow"
        if signature(snapshot) != recorded[name]["csv"] or signature(snapshot_rows) != recorded[name]["rows"]:
            raise Unsure(f"the saved copy of data/{name}.csv changed")
        change = _diff(res, snapshot.read_bytes(), incremental.read_rows(snapshot_rows),
                       data, incremental.read_rows(rows_file), codes)
        tables[name]["count"] = recorded[name]["count"] + change.inserted - change.deleted
        if change.new.num_rows or change.old.num_rows:
            changes[name] = change
    counts = {res.name: tables[res.name]["count"] for res in registry.RESOURCES}
    if changes:
        _write_copy(layout, target, changes, counts, codes)
    elif not read:
        return Loaded(counts, incremental=True)  # nothing changed: the database stays as it is
    _save_after_update(layout, target, tables, read)
    return Loaded(counts, incremental=True, changes={
        name: (c.inserted, c.new.num_rows - c.inserted, c.deleted) for name, c in changes.items()})


def _save_after_update(layout: Layout, target: Path, tables: dict[str, dict[str, Any]],
                       read: dict[str, tuple[bytes, str, list[int], Path, list[int]]]) -> None:
    folder = _folder(layout)
    forget(layout)
    try:
        for name, (data, digest, sig, rows_file, rows_sig) in read.items():
            tables[name]["csv"] = _link(layout.data / f"{name}.csv", folder / f"{name}.csv")
            if tables[name]["csv"] != sig:
                raise Unsure(f"data/{name}.csv changed during the update")
            if data:
                tables[name]["sha256"] = digest
                tables[name]["rows"] = _link(rows_file, folder / f"{name}.arrow")
                if tables[name]["rows"] != rows_sig:
                    raise Unsure("the build state changed during the update")
        _write_manifest(layout, target, tables)
    except (OSError, Unsure):
        forget(layout)  # the database is right; only the next `db` will be a full one


_codes = snapshot.codes


def _diff(res: registry.Resource, old_data: bytes, old_rows: tuple[pa.Array, np.ndarray],
          new_data: bytes, new_rows: tuple[pa.Array, np.ndarray], codes: dict[str, list[str]]) -> _Change:
    """Rows inserted, updated and deleted between two versions of a CSV (rowdiff.py); only
    changed rows are parsed, and the new ones are checked by the build's own rules."""
    old, new = rowdiff.lines(old_data, old_rows), rowdiff.lines(new_data, new_rows)
    found = rowdiff.diff(old, new, res.name)  # Unsure if the headers differ
    new_table = rowdiff.typed(res, new, found.new_rows)
    if new_table.num_rows:
        failures = engine.schema_failures(res, new_table, codes) + engine.rule_failures(res, new_table)
        if failures:
            raise Unsure(f"a changed row of {res.name} does not pass every check")
    return _Change(new_table, len(found.inserted), rowdiff.typed(res, old, found.old_rows), len(found.deleted))


def _write_copy(layout: Layout, target: Path, changes: dict[str, _Change], counts: dict[str, int],
                codes: dict[str, list[str]]) -> None:
    """Apply the changes to a copy of the database, check it, and rename it over the database.
    A copy, not the file in place: the server opens the database immutable (no locks, no
    journal: it would read pages half written), and a copy costs a third of a second per
    600 MB, against a second for SQLite's backup API (docs/performance.md)."""
    remove_stale(target.parent, f".{target.name}.")
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    journal = tmp.with_name(tmp.name + "-journal")
    conn = None
    try:
        shutil.copyfile(target, tmp)
        conn = sqlite3.connect(tmp, isolation_level=None)
        conn.execute("pragma foreign_keys = on")
        # the copy is thrown away if anything fails: the rollback journal may stay in memory
        conn.execute("pragma journal_mode = memory")
        _fts_triggers(conn)
        conn.execute("begin")
        conn.execute("pragma defer_foreign_keys = on")  # rows of several tables arrive in any order
        for res in registry.RESOURCES:
            if res.name in changes:
                _apply(conn, res, changes[res.name], codes)
        _update_search(conn, changes)
        try:
            conn.execute("commit")
        except sqlite3.IntegrityError:
            raise Unsure("a changed row breaks a foreign key") from None
        _check(conn, changes, counts)
        conn.close()
        conn = None
        os.replace(tmp, target)
    except sqlite3.IntegrityError:  # a duplicate key, a missing required value
        raise Unsure("a changed row breaks a constraint of the database") from None
    except sqlite3.Error as exc:
        raise disk_error(exc, target) from None
    finally:
        if conn is not None:
            conn.close()
        tmp.unlink(missing_ok=True)
        journal.unlink(missing_ok=True)


def _fts_triggers(conn: sqlite3.Connection) -> None:
    """Keep each FTS5 index in step with its table, as sqlite-utils' triggers would; TEMP
    triggers, so that they go with the connection and the file's schema stays the full load's."""
    searched = [(r.name, list(r.search)) for r in registry.RESOURCES if r.search]
    for table, columns in [*searched, ("search_index", ["name", "text", "keys"])]:
        cols = ", ".join(f'"{c}"' for c in columns)
        old = ", ".join(f'old."{c}"' for c in columns)
        new = ", ".join(f'new."{c}"' for c in columns)
        fts = f'"{table}_fts"'
        conn.execute(f'create temp trigger "{table}_ai" after insert on main."{table}" begin '
                     f"insert into {fts} (rowid, {cols}) values (new.rowid, {new}); end")
        conn.execute(f'create temp trigger "{table}_ad" after delete on main."{table}" begin '
                     f"insert into {fts} ({fts}, rowid, {cols}) values ('delete', old.rowid, {old}); end")
        conn.execute(f'create temp trigger "{table}_au" after update on main."{table}" begin '
                     f"insert into {fts} ({fts}, rowid, {cols}) values ('delete', old.rowid, {old}); "
                     f"insert into {fts} (rowid, {cols}) values (new.rowid, {new}); end")


def _sql_rows(res: registry.Resource, table: pa.Table, codes: dict[str, list[str]]) -> list[tuple[Any, ...]]:
    return list(Checked([res.name], codes, {res.name: table}).sql_tuples(res.name))


def _apply(conn: sqlite3.Connection, res: registry.Resource, change: _Change, codes: dict[str, list[str]]) -> None:
    """Deleted rows out, updated rows changed where they are (an UPDATE keeps the rowid), new
    rows in."""
    name, names, pk = res.name, res.field_names, list(res.primary_key)
    where = " and ".join(f'"{k}" = ?' for k in pk)
    key_at = [names.index(k) for k in pk]
    old = _sql_rows(res, change.old, codes)
    conn.executemany(f'delete from "{name}" where {where}',
                     [tuple(row[i] for i in key_at) for row in old[:change.deleted]])
    new = _sql_rows(res, change.new, codes)
    rest = [i for i, n in enumerate(names) if n not in pk]
    if rest:
        sets = ", ".join(f'"{names[i]}" = ?' for i in rest)
        conn.executemany(f'update "{name}" set {sets} where {where}',
                         [tuple(row[i] for i in rest) + tuple(row[i] for i in key_at)
                          for row in new[change.inserted:]])
    columns = ", ".join(f'"{n}"' for n in names)
    marks = ", ".join("?" for _ in names)
    conn.executemany(f'insert into "{name}" ({columns}) values ({marks})', new[:change.inserted])


def _update_search(conn: sqlite3.Connection, changes: dict[str, _Change]) -> None:
    """Make again the search_index rows of every record whose row, aliases or quotes changed."""
    searched = {r.name for r in SEARCHED}
    touched: set[tuple[str, str]] = set()
    for name, change in changes.items():
        res = registry.resource(name)
        for table in (change.new, change.old):
            if name in searched:
                key = res.primary_key[0]
                touched |= {(name, k) for k in table[key].to_pylist()}
            elif name in ("aliases", "citations"):  # their text goes into the record's search text
                touched |= {(t, k) for t, k in zip(table["record_table"].to_pylist(), table["record_id"].to_pylist())
                            if t in searched}
    if not touched:
        return
    conn.execute("create temp table touched (record_table text, record_id text, primary key (record_table, record_id))")
    conn.executemany("insert into temp.touched values (?, ?)", sorted(touched))
    conn.execute("delete from search_index where (record_table, record_id) in "
                 "(select record_table, record_id from temp.touched)")
    for res in SEARCHED:
        if any(t == res.name for t, _k in touched):
            key = res.primary_key[0]
            conn.execute("insert into search_index (record_table, record_id, name, text) " + search_select(
                res, f"t.{key} in (select record_id from temp.touched where record_table = '{res.name}')"))
    add_search_keys(sqlite_utils.Database(conn, recursive_triggers=False), "temp.touched")
    conn.execute("drop table temp.touched")


def _check(conn: sqlite3.Connection, changes: dict[str, _Change], counts: dict[str, int]) -> None:
    """The full load's checks where they can fail: the row counts of the changed tables, the
    file's structure (quick_check: 0.7 s for 600 MB, against 8 s for integrity_check, whose
    extra is that every index agrees with its table, which SQLite kept so in the transaction),
    and the unique columns besides the key, which SQLite does not enforce (the engine does)."""
    for name in changes:
        (count,) = conn.execute(f'select count(*) from "{name}"').fetchone()
        if count != counts[name]:
            raise Unsure(f"{name} has {count} rows, the CSV {counts[name]}")
    (ok,) = conn.execute("pragma quick_check").fetchone()
    if ok != "ok":
        raise Unsure(f"quick_check: {ok}")
    for name, change in changes.items():
        res = registry.resource(name)
        for f in res.fields:
            if f.unique and (f.name,) != tuple(res.primary_key) and change.new.num_rows:
                values = [v for v in change.new[f.name].to_pylist() if v is not None]
                twice = conn.execute(f'select 1 from "{name}" where "{f.name}" in (select value from json_each(?)) '
                                     f'group by "{f.name}" having count(*) > 1 limit 1', [json.dumps(values)]).fetchall()
                if twice:
                    raise Unsure(f"a value of {name}.{f.name} is taken twice")
