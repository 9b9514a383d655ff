"""Rebuild after new extracts by redoing only what they touch.

After every build, `save_state` records in build/state/: which extracts (by cache entry, so by
checksum) and archives (by SHA-256) went in, the SHA-256 of every published file, which
extracts give each record, and where each row sits in each CSV (its sort key and byte offset).

`rebuild` uses that when the only change is new extract files: it parses just those, re-merges
just the records they name (with every other extract that gives those records), derives what
depends on them, validates the changed rows against the rest, and splices the changed rows into
the published CSVs at their sorted places. Anything else (a changed or removed extract, an
edited archive, reference data or code, a published file that differs from the state, any
problem at all) returns None, and the full build runs, reporting whatever is wrong. A test
builds the same corpus both ways and requires byte-identical outputs.
"""
from __future__ import annotations

import bisect
import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from infratracker.assemble import merge
from infratracker.assemble import release
from infratracker.check import engine
from infratracker.core import captures
from infratracker.core import reference
from infratracker.core import registry
from infratracker.core.cells import format_cell
from infratracker.core.csvio import KEY_SEPARATOR, read_strings, render_csv
from infratracker.core.fingerprint import fingerprint
from infratracker.core.paths import Layout
from infratracker.extracts.parse import Row
from infratracker.publish import render

VERSION = 3
# Tables whose rows a project's derived fields are computed from (merge.derive).
FEEDS_PROJECTS = ("status_events", "finance", "quantities")


@dataclass
class State:
    inputs: str  # digest of the code and the reference data
    # one row per extract file: its cache entry, its archive, the archive's SHA-256, and the size
    # and modification time of both files (see SIGNATURES). Arrow, for the same reason as
    # merge.Assembled.inputs; the manifest held it as JSON, 100,000 entries read back at each rebuild.
    extracts: pa.Table
    outputs: dict[str, str]  # published file -> SHA-256
    contributors: pa.Table  # table, key (record id), files: the extract files that give the record
    rows: dict[str, tuple[pa.Array, np.ndarray]]  # table -> (sort keys, line offsets)
    changed: set[str] | None = None  # tables whose rows changed since the saved state (None: all)


SIGNATURES = ("extract_size", "extract_mtime_ns", "archive_size", "archive_mtime_ns")


def signatures(root: Path, extracts: list[str], archives: list[str]) -> np.ndarray:
    """Size and modification time of each extract and of its archive, one row of SIGNATURES per
    extract: as in git's index, an unchanged signature means the file's checksum need not be
    computed again. Joined as strings, not Path objects: at 100,000 extracts, Paths cost 1.3 s
    of a rebuild's 5."""
    base, out = str(root), np.empty((len(extracts), 4), np.int64)
    for i, (extract, archive) in enumerate(zip(extracts, archives)):
        e, a = os.stat(os.path.join(base, extract)), os.stat(os.path.join(base, archive))
        out[i] = e.st_size, e.st_mtime_ns, a.st_size, a.st_mtime_ns
    return out


class Unsure(Exception):
    """The rebuild cannot vouch for its result; the full build must run."""


def inputs_digest(layout: Layout) -> str:
    """Changes when the code or the reference data change: then only a full build will do."""
    return fingerprint(layout.reference)


def _state_dir(layout: Layout) -> Path:
    return layout.build / "state"


def save_state(layout: Layout, state: State) -> None:
    """Written after a publish; the manifest last, so a partial state is never read as whole."""
    folder = _state_dir(layout)
    manifest = folder / "manifest.json"
    manifest.unlink(missing_ok=True)
    (folder / "rows").mkdir(parents=True, exist_ok=True)
    for name, (keys, starts) in state.rows.items():
        if state.changed is not None and name not in state.changed and (folder / "rows" / f"{name}.arrow").exists():
            continue
        _write_arrow(folder / "rows" / f"{name}.arrow", pa.table({"key": keys, "start": pa.array(starts, pa.int64())}))
    _write_arrow(folder / "contributors.arrow", state.contributors)
    _write_arrow(folder / "extracts.arrow", state.extracts)
    tmp = manifest.with_suffix(".tmp")
    tmp.write_text(json.dumps({"version": VERSION, "inputs": state.inputs, "outputs": state.outputs}, sort_keys=True))
    os.replace(tmp, manifest)


def _write_arrow(path: Path, table: pa.Table) -> None:
    """Via a new file: the state being replaced may still be memory-mapped by this process."""
    tmp = path.with_suffix(".tmp")
    with pa.OSFile(str(tmp), "wb") as sink:
        with pa.ipc.new_file(sink, table.schema) as writer:
            writer.write_table(table)
    os.replace(tmp, path)


def forget(layout: Layout) -> None:
    """Drop the state: the next build is a full one."""
    (_state_dir(layout) / "manifest.json").unlink(missing_ok=True)


def _read_arrow(path: Path) -> pa.Table:
    with pa.memory_map(str(path)) as source:
        return pa.ipc.open_file(source).read_all()


def load_state(layout: Layout) -> State:
    """The saved state; raises Unsure, saying why, when there is none that can be used."""
    folder = _state_dir(layout)
    if not (folder / "manifest.json").exists():
        raise Unsure("no saved state (a first build, or the last one did not finish)")
    try:
        manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
        if manifest.get("version") != VERSION or manifest["inputs"] != inputs_digest(layout):
            raise Unsure("the code or the reference data changed")
        rows = {}
        for res in registry.RESOURCES:
            table = _read_arrow(folder / "rows" / f"{res.name}.arrow")
            rows[res.name] = (table["key"].combine_chunks(), table["start"].to_numpy())
        index = _read_arrow(folder / "contributors.arrow")
        extracts = _read_arrow(folder / "extracts.arrow")
        if extracts.column_names != [*merge.INPUT_COLUMNS, *SIGNATURES]:
            raise ValueError("columns")
    except (OSError, ValueError, KeyError, pa.ArrowException):
        raise Unsure("the saved state is damaged") from None
    return State(manifest["inputs"], extracts, manifest["outputs"], index, rows)


def saved_outputs(layout: Layout) -> tuple[dict[str, str], Path]:
    """The SHA-256 of every published file as the last build saved it, and the folder of its
    row positions (`<table>.arrow`: sort key and byte offset of each row), for the incremental
    update of the database; raises Unsure when there is no saved state this code can read."""
    folder = _state_dir(layout)
    try:
        manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
        if manifest.get("version") != VERSION:
            raise Unsure("the saved build state is of another version")
        return dict(manifest["outputs"]), folder / "rows"
    except (OSError, ValueError, KeyError, TypeError):
        raise Unsure("no saved build state") from None


def read_rows(path: Path) -> tuple[pa.Array, np.ndarray]:
    """Sort keys and line offsets of one CSV, memory-mapped from a `rows/<table>.arrow`."""
    table = _read_arrow(path)
    return table["key"].combine_chunks(), table["start"].to_numpy()


def contributors_of(index: pa.Table, keys: set[tuple[str, str]]) -> dict[tuple[str, str], list[str]]:
    """The extract files that give each of `keys`, looked up in the state's index."""
    if not keys:
        return {}
    hits = index.filter(pc.is_in(index["key"], value_set=pa.array(sorted({k for _t, k in keys}), pa.string())))
    return {(t, k): files for t, k, files in zip(hits["table"].to_pylist(), hits["key"].to_pylist(),
                                                  hits["files"].to_pylist()) if (t, k) in keys}


def full_state(layout: Layout, inputs: pa.Table, contributors: pa.Table, row_index: dict[str, Any],
               outputs: dict[str, bytes]) -> State:
    """The state after a full build, from merge.Assembled's inputs and contributors."""
    return State(inputs_digest(layout), with_signatures(layout, inputs), _digests(outputs), contributors,
                 {name: tuple(where) for name, where in row_index.items()})


def with_signatures(layout: Layout, inputs: pa.Table) -> pa.Table:
    """merge.Assembled.inputs with the signature of each extract and of its archive."""
    sigs = signatures(layout.root, inputs["extract"].to_pylist(), inputs["archive"].to_pylist())
    columns = {name: inputs[name] for name in merge.INPUT_COLUMNS}
    columns.update((name, pa.array(sigs[:, i])) for i, name in enumerate(SIGNATURES))
    return pa.table(columns)


def _digests(outputs: dict[str, bytes]) -> dict[str, str]:
    return {rel: hashlib.sha256(data).hexdigest() for rel, data in outputs.items()}


# --- the rebuild -------------------------------------------------------------------------

class _Keys:
    """Sort keys of a CSV as a sequence for bisect, read from Arrow one probe at a time."""

    def __init__(self, keys: pa.Array):
        self.keys = keys

    def __len__(self) -> int:
        return len(self.keys)

    def __getitem__(self, i: int) -> str:
        return self.keys[i].as_py()

    def has(self, key: str) -> bool:
        i = bisect.bisect_left(self, key)
        return i < len(self) and self[i] == key


def _sort_key(res: registry.Resource, row: dict[str, Any]) -> str:
    return KEY_SEPARATOR.join(format_cell(res.field(k), row.get(k)) for k in res.primary_key)


def rebuild(layout: Layout) -> tuple[dict[str, int], dict[str, bytes], State]:
    """(row counts, outputs, new state) if only new extracts were added since the state was
    saved and everything checks out; else raises Unsure, saying why the full build must run."""
    state = load_state(layout)
    try:
        return _rebuild(layout, state)
    except engine.Failed:
        raise Unsure("a changed row did not pass every check") from None
    except (OSError, KeyError) as exc:  # KeyError: a state that does not fit the files
        raise Unsure(f"the saved state does not fit the files ({exc.__class__.__name__})") from None


def _rebuild(layout: Layout, state: State):
    with os.scandir(layout.extracts) as entries:
        names = sorted(e.name for e in entries if e.name.endswith(".yaml") and e.is_file())
    prefix = layout.extracts.name + "/"  # once: a Path property per name cost 0.5 s at 100,000
    rels = [prefix + name for name in names]
    known = state.extracts["extract"].to_pylist()
    known_set = set(known)
    if known_set - set(rels):
        raise Unsure("an extract was removed")
    rules = merge.code_key(layout)
    archives = state.extracts["archive"].to_pylist()
    saved = np.column_stack([state.extracts[c].to_numpy() for c in SIGNATURES])
    differ = signatures(layout.root, known, archives) != saved
    # only a file whose size or time changed is read: touched, or changed
    for i in np.flatnonzero(differ[:, :2].any(axis=1)).tolist():
        if merge.cache_file(layout, layout.root / known[i], rules).name != state.extracts["entry"][i].as_py():
            raise Unsure("an extract was changed")
    for i in np.flatnonzero(differ[:, 2:].any(axis=1)).tolist():
        if captures.sha256((layout.root / archives[i]).read_bytes()) != state.extracts["digest"][i].as_py():
            raise Unsure("an archived capture changed")
    published = {}
    for rel, digest in state.outputs.items():
        data = (layout.root / rel).read_bytes()
        if hashlib.sha256(data).hexdigest() != digest:
            raise Unsure(f"{rel} differs from what the last build published")
        published[rel] = data
    # the CSVs move to `csvs`, so that a spliced table's old bytes go as soon as it is spliced
    csvs = {res.name: published.pop(f"data/{res.name}.csv") for res in registry.RESOURCES}
    schemas = {rel: data for rel, data in published.items() if rel.startswith("schemas/")}  # codes are unchanged
    del published
    added = {rel: layout.root / rel for rel in rels if rel not in known_set}
    cache = {rel: merge.cache_file(layout, path, rules) for rel, path in added.items()}
    new = [merge.process_and_store(layout, path, cache[rel]) for rel, path in added.items()]
    if any(d.ext is None or d.problems for d in new):
        raise Unsure("problems in a new extract")
    changes = _changes(layout, state, new, csvs)
    rows = dict(state.rows)
    for name, (deleted, inserted) in changes.items():
        csvs[name], rows[name] = _splice(registry.resource(name), csvs[name], state.rows[name], deleted, inserted)
    outputs = render.render_files(layout, csvs, schemas)
    counts = {name: len(keys) for name, (keys, _starts) in rows.items()}
    extracts = pa.concat_tables([state.extracts, with_signatures(layout, merge.inputs_table(
        list(added), [cache[rel].name for rel in added], [d.ext.source.get("archive_path") for d in new],
        [d.archive_digest for d in new]))]).combine_chunks()  # one batch, however many rebuilds
    contributors = state.contributors
    if changes:
        gave = changes_contributors(state, new)
        keep = pc.invert(pc.is_in(pc.binary_join_element_wise(contributors["table"], contributors["key"], "\x1f"),
                                  value_set=pa.array([f"{t}\x1f{k}" for t, k in gave], pa.string())))
        contributors = pa.concat_tables([contributors.filter(keep), merge.contributors_table(gave)])
    # the tables and schemas not spliced are the very bytes checked against the state above
    same = {rel for rel in outputs if rel.startswith("schemas/") or
            (rel.startswith("data/") and rel[len("data/"):-len(".csv")] not in changes)}
    digests = {rel: state.outputs[rel] if rel in same else hashlib.sha256(data).hexdigest() for rel, data in outputs.items()}
    return counts, outputs, State(state.inputs, extracts, digests, contributors, rows, set(changes))


def changes_contributors(state: State, new: list[merge.Processed]) -> dict[tuple[str, str], list[str]]:
    """Contributors of the records the new extracts give: the old ones, then the new files."""
    keys = {(r.table, r.key) for d in new for r in d.ext.rows}
    out = {k: list(v) for k, v in contributors_of(state.contributors, keys).items()}
    for d in new:
        for row in d.ext.rows:
            out.setdefault((row.table, row.key), []).append(row.file)
    return out


def _changes(layout: Layout, state: State, new: list[merge.Processed], csvs: dict[str, bytes]):
    """table -> (sort keys of rows to delete, rows to insert), validated against the rest."""
    exts = [d.ext for d in new]
    new_rows: dict[tuple[str, str], list[Row]] = {}
    countries = {c["country_id"] for c in reference.country_rows()}
    for ext in exts:
        seen = set()
        for row in ext.rows:
            k = (row.table, row.key)
            if k in seen:
                raise Unsure("a duplicate id in a new extract")
            seen.add(k)
            if row.table == "countries":
                if row.key not in countries:
                    raise Unsure("an unknown country")
                continue
            new_rows.setdefault(k, []).append(row)
    affected = set(new_rows)
    # a project's derived fields (status, cost, length) depend on these rows of it
    affected |= {("projects", r.values.get("project_id")) for k, rows in new_rows.items()
                 if k[0] in FEEDS_PROJECTS for r in rows if r.values.get("project_id")}

    # every other extract that gives an affected record, read from the cache
    given_by = contributors_of(state.contributors, affected)
    loaded: dict[str, merge.Processed] = {}
    entry_of: dict[str, str] = {}
    for key in affected:
        for rel in given_by.get(key, []):
            if rel not in loaded:
                if not entry_of:
                    entry_of = dict(zip(state.extracts["extract"].to_pylist(), state.extracts["entry"].to_pylist()))
                hit = merge.cached(layout, layout.build / "cache" / "extracts" / entry_of[rel])
                if hit is None or hit.ext is None:
                    raise Unsure("a cache entry is missing")
                loaded[rel] = hit
    published = {d.ext.source.get("source_id"): d.ext.source.get("published_date")
                 for d in [*loaded.values(), *new]}
    sizes = {d.ext.source.get("source_id"): d.size for d in new}
    units = reference.units(layout.reference)

    mini: dict[str, list[dict[str, Any]]] = {r.name: [] for r in registry.RESOURCES}
    deleted: dict[str, set[str]] = {r.name: set() for r in registry.RESOURCES}
    for table, key in sorted(affected):
        res = registry.resource(table)
        old_rows = [r for rel in given_by.get((table, key), [])
                    for r in loaded[rel].ext.rows if r.table == table and r.key == key]
        rows = old_rows + new_rows.get((table, key), [])
        if not rows:
            continue  # a status event for an unknown project: the key check below refuses it
        if old_rows:
            deleted[table].add(_sort_key(res, {k: v for k, v in zip(res.primary_key, _key_cells(res, key))}))
            _old, old_conflicts, _p = merge.merge_rows([Row(r.table, dict(r.values), r.file, r.source_id, r.pinned)
                                                       for r in old_rows], published, units)
            deleted["conflicts"] |= {c["conflict_id"] for c in old_conflicts}
        merged, conflicts, problems = merge.merge_rows(rows, published, units)
        if problems:
            raise Unsure("pins disagree")
        mini[table].append(merged)
        mini["conflicts"].extend(conflicts)
    for src in mini["sources"]:
        src.update(sizes.get(src["source_id"], {"bytes": None, "body_chars": None}))

    projects = {p["project_id"] for p in mini["projects"]}
    others = {}
    for table in FEEDS_PROJECTS:
        key = registry.resource(table).primary_key[0]
        replaced = {r[key] for r in mini[table]}
        others[table] = [r for r in _published_rows(csvs, table, "project_id", projects) if r[key] not in replaced]
    # the headline cost is the total cost stated most recently: the dates of the sources of
    # unchanged finance rows are needed too
    cited = {r.get("amount_source_id") for r in others["finance"]} - set(published) - {None}
    published.update({s["source_id"]: s["published_date"]
                      for s in _published_rows(csvs, "sources", "source_id", cited)})
    derive_problems: list = []
    mini["countries"] = list(reference.country_rows())
    merge.derive(mini, published, {}, derive_problems, units, others)
    mini["countries"] = []
    if derive_problems:
        raise Unsure("a derived value could not be derived")
    for ext in exts:
        merge.add_evidence(ext, mini)

    _validate(layout, state, mini, deleted, csvs)
    return {name: (deleted[name], mini[name]) for name in mini if mini[name] or deleted[name]}


def _key_cells(res: registry.Resource, key: str) -> list[str]:
    """registry.record_key split back into its cells (key cells never contain '/')."""
    return key.split("/") if len(res.primary_key) > 1 else [key]


def _published_rows(csvs: dict[str, bytes], name: str, column: str, values: set[str]) -> list[dict[str, Any]]:
    """Rows of a published table whose `column` is in `values`, typed as the build has them."""
    res = registry.resource(name)
    if not values:
        return []
    table = read_strings(csvs[name], res)
    table = table.filter(pc.is_in(table[column], value_set=pa.array(sorted(values), pa.string())))
    typed, failures = engine.typed(res, table)
    if failures:
        raise engine.Failed(failures)
    return typed.to_pylist()


def _validate(layout: Layout, state: State, mini: dict[str, list[dict[str, Any]]],
              deleted: dict[str, set[str]], csvs: dict[str, bytes]) -> None:
    """The full build's checks, by the same rule engine, for the rows that change: their own
    rules, and their keys against the rows that stay. Raises Unsure or engine.Failed."""
    codes = reference.codes_by_list(reference.codelist_rows(layout.reference))
    old = {name: keys for name, (keys, _s) in state.rows.items()}
    new_keys = {name: {_sort_key(registry.resource(name), r) for r in rows} for name, rows in mini.items()}
    typed = {}
    for res in registry.RESOURCES:
        if mini[res.name]:
            table, failures = engine.typed(res, read_strings(render_csv(res, mini[res.name])[0], res))
            failures += engine.schema_failures(res, table, codes) + engine.rule_failures(res, table)
            if failures:
                raise engine.Failed(failures)
            typed[res.name] = table
    kept: dict[str, pa.Array] = {}
    staying: dict[str, pa.Table] = {}

    def kept_keys(table: str) -> pa.Array:
        """Record keys of the rows that stay (sort keys joined by KEY_SEPARATOR, turned into '/')."""
        if table not in kept:
            keys = old[table]
            if deleted[table]:
                keys = pc.filter(keys, pc.invert(pc.is_in(keys, value_set=pa.array(sorted(deleted[table]),
                                                                                   pa.large_string()))))
            kept[table] = pc.replace_substring(keys.cast(pa.string()), KEY_SEPARATOR, "/")
        return kept[table]

    def taken(table: str, field: str | None) -> pa.Array:
        """What rows that stay already hold: their keys, or a unique field's values (sources only:
        no other table gets new rows with unique fields besides the key)."""
        if field is None:
            return kept_keys(table)
        if table not in staying:  # read once per table, whatever the number of unique fields
            published = read_strings(csvs[table], registry.resource(table))
            stays = pc.invert(pc.is_in(published[registry.resource(table).primary_key[0]],
                                       value_set=pa.array(sorted(deleted[table]), pa.string())))
            staying[table] = published.filter(stays)
        return staying[table][field].combine_chunks()

    def keys_of(table: str, field: str | None) -> pa.Array:
        """The keys a changed row may refer to: the rows that stay, and the changed ones."""
        res = registry.resource(table)
        assert field is None or (len(res.primary_key) == 1 and field == res.primary_key[0]), (table, field)
        new = pc.replace_substring(pa.array(sorted(new_keys[table]), pa.string()), KEY_SEPARATOR, "/")
        return pa.concat_arrays([kept_keys(table), new])

    for name, table in typed.items():
        res = registry.resource(name)
        if engine.clash_failures(res, table, taken):
            raise Unsure(f"a key or unique value of {name} is already taken")
        if engine.reference_failures(res, table, keys_of):
            raise Unsure(f"a reference from {name} to an unknown record")
    if release.reused_problems(mini, release.load_removals(layout)):
        raise Unsure("a removed id comes back")


def _splice(res: registry.Resource, data: bytes, where: tuple[pa.Array, np.ndarray], deleted: set[str],
            inserted: list[dict[str, Any]]):
    """A CSV with some rows deleted and others inserted at their sorted places, copying the
    bytes of every other row as they are; and its new (sort keys, line offsets)."""
    keys, starts = where
    n, seq = len(keys), _Keys(keys)
    header_end = int(starts[0]) if n else len(data)
    new_lines: list[tuple[str, bytes]] = []
    if inserted:
        body, new_keys, new_starts = render_csv(res, inserted)
        bounds = [*new_starts.tolist(), len(body)]
        new_lines = [(k, body[bounds[i]:bounds[i + 1]]) for i, k in enumerate(new_keys.to_pylist())]
    cuts: dict[int, list[tuple[str, bytes]]] = {}
    for key, line in new_lines:
        cuts.setdefault(bisect.bisect_left(seq, key), []).append((key, line))
    drop = set()
    for key in deleted:
        i = bisect.bisect_left(seq, key)
        if i < n and seq[i] == key:
            drop.add(i)
    view = memoryview(data)

    def start(i: int) -> int:
        return int(starts[i]) if i < n else len(data)

    pieces, key_parts, start_parts = [view[:header_end]], [], []
    pos, i = header_end, 0
    for b in sorted(set(cuts) | drop):
        if b > i:
            pieces.append(view[start(i):start(b)])
            key_parts.append(keys.slice(i, b - i))
            start_parts.append(starts[i:b] - start(i) + pos)
            pos += start(b) - start(i)
        for key, line in cuts.get(b, []):
            pieces.append(line)
            key_parts.append(pa.array([key], pa.large_string()))
            start_parts.append(np.array([pos], dtype=np.int64))
            pos += len(line)
        i = b + 1 if b in drop else b
    if i < n:
        pieces.append(view[start(i):])
        key_parts.append(keys.slice(i, n - i))
        start_parts.append(starts[i:] - start(i) + pos)
    new_keys_all = pa.concat_arrays([k.cast(pa.large_string()) for k in key_parts]) if key_parts else \
        pa.array([], pa.large_string())
    new_starts_all = np.concatenate(start_parts) if start_parts else np.zeros(0, dtype=np.int64)
    return b"".join(pieces), (new_keys_all, new_starts_all)
