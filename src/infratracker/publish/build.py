"""The build: extracts -> validated tables -> CSVs, descriptor, schemas and data dictionary.

Nothing is written unless everything validates. Outputs are rendered in memory, written to a
staging folder inside build/, and only then moved over the published files, one atomic
rename each; a second build running at the same time is refused.
"""
from __future__ import annotations

import contextlib
import fcntl
import filecmp
import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

from infratracker.assemble import release
from infratracker.assemble.merge import Assembled, assemble
from infratracker.check import engine
from infratracker.check.engine import OriginOf
from infratracker.core import memory, registry
from infratracker.core.csvio import render_csv
from infratracker.core.paths import Layout
from infratracker.core.problems import BuildLocked, Problem, ProblemsFound, PublishInterrupted, raise_if
from infratracker.publish import incremental, render


@dataclass
class Built:
    counts: dict[str, int]  # rows by table
    outputs: dict[str, bytes]  # path relative to the root -> bytes
    state: Any = None  # incremental.State, for the next rebuild
    incremental: bool = False  # made by incremental.rebuild
    full_because: str | None = None  # why an incremental rebuild was not possible


def origin_function(asm: Assembled) -> OriginOf:
    file_of_source = {}
    for (table, key), file in asm.origins.items():
        if table == "sources":
            file_of_source[key] = file

    def origin_of(table: str, row: dict[str, Any]) -> tuple[str, str]:
        res = registry.resource(table)
        key = registry.record_key(res, row) if row else ""
        if table in ("countries", "codelists"):
            return "reference", key
        if "source_id" in row and table in ("citations", "aliases", "corrections", "conflicts"):
            return file_of_source.get(row["source_id"], "extracts"), row.get("record_id") or key
        return asm.origins.get((table, key), "extracts"), key

    return origin_of


DERIVED_ONLY = {f.name for r in registry.RESOURCES for f in r.fields if not f.curated} - {
    f.name for r in registry.RESOURCES for f in r.fields if f.curated}


def _not_follow_ons(input_problems: list, table_problems: list) -> list:
    """Table problems that are not mere consequences of input problems already reported: the
    same place again (a bad date then 'missing'), a derived value that could not be derived,
    or evidence for a record already rejected."""
    places = {(p.file, p.record, p.field) for p in input_problems}
    records = {(p.file, p.record) for p in input_problems}
    return [p for p in table_problems
            if (p.file, p.record, p.field) not in places
            and not (input_problems and p.field in DERIVED_ONLY)
            and not (p.field == "record_id" and (p.file, p.record) in records)]


def explain(layout: Layout, asm: Assembled) -> None:
    """Every problem, naming the extract file, record and field to blame; raises ProblemsFound.
    The rule engine checks the rendered tables; each failing row is traced to its extract
    through the origins the assembly recorded."""
    problems = list(asm.problems)
    reused = release.reused_problems(asm.tables, release.load_removals(layout))
    csvs = {res.name: render_csv(res, asm.tables[res.name])[0] for res in registry.RESOURCES}
    tables, failures, form = engine.check_csvs(csvs)
    found: list[Problem] = form + engine.explain(failures, tables, origin_function(asm))
    raise_if(problems + _not_follow_ons(problems, found) + reused)


def build(layout: Layout) -> Built:
    """Assemble, validate and render everything; raise ProblemsFound with every problem.

    Clean tables are rendered first, and the rule engine checks the very bytes to be published
    (seconds for a million rows) after the Python rows are let go, which keeps the peak memory
    of a 10,000-article build under 2 GiB. Only when something fails are the rows assembled
    again, so that each failure names the extract file, record and field to blame."""
    with memory.paused():
        asm = assemble(layout)
        clean = not asm.problems and not release.reused_problems(asm.tables, release.load_removals(layout))
        if clean:
            counts = {name: len(rows) for name, rows in asm.tables.items()}
            row_index: dict[str, Any] = {}
            csvs = render.render_csvs(asm.tables, row_index)
            inputs, contributors = asm.inputs, asm.contributors
            del asm
            memory.give_back()  # the rows' memory, for the engine: its peak 1,971 -> 1,913 MiB at 10,000 articles
            outputs = render.render_files(layout, csvs)  # and the descriptor's, 100,000 sources of it
            del csvs
            state = incremental.full_state(layout, inputs, contributors, row_index, outputs)
            del inputs, contributors, row_index
            _tables, failures, form = engine.check_csvs({res.name: outputs[f"data/{res.name}.csv"]
                                                  for res in registry.RESOURCES}, keep=False)
            if not failures and not form:
                return Built(counts, outputs, state)
            asm = assemble(layout)  # the rows were let go: assemble again to trace each failure
        explain(layout, asm)  # raises
        return Built({name: len(rows) for name, rows in asm.tables.items()}, render.render(layout, asm.tables))


@contextlib.contextmanager
def build_lock(layout: Layout) -> Iterator[None]:
    layout.build.mkdir(exist_ok=True)
    with open(layout.build / ".build.lock", "w") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise BuildLocked("another build is running (build/.build.lock is held); try again when it ends") from None
        yield


def _write_durably(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())


def _staging(layout: Layout) -> Path:
    return layout.build / "publish-staging"


def _journal(layout: Layout) -> Path:
    return layout.build / "publish-journal.json"


def recover(layout: Layout) -> bool:
    """Finish a publish that was interrupted after its commit point (the journal), or discard
    one interrupted before it. Returns True if a publish was completed."""
    journal = _journal(layout)
    if journal.exists():
        _apply(layout, json.loads(journal.read_text(encoding="utf-8")))
        return True
    shutil.rmtree(_staging(layout), ignore_errors=True)
    return False


def _apply(layout: Layout, plan: dict[str, list[str]]) -> None:
    staging = _staging(layout)
    for rel in plan["replace"]:
        staged = staging / rel
        if staged.exists():  # absent: already moved before an interruption
            (layout.root / rel).parent.mkdir(parents=True, exist_ok=True)
            os.replace(staged, layout.root / rel)
    for rel in plan["delete"]:
        (layout.root / rel).unlink(missing_ok=True)
    _journal(layout).unlink()
    shutil.rmtree(staging, ignore_errors=True)


@dataclass(frozen=True)
class Staged:
    """An output already written to a file of build/ (same file system): publish moves it."""
    path: Path


def _same(path: Path, data: bytes | Path | Staged) -> bool:
    if not path.is_file():
        return False
    if isinstance(data, Staged):
        return filecmp.cmp(path, data.path, shallow=False)
    if isinstance(data, Path):
        return filecmp.cmp(path, data, shallow=False)  # in chunks: no copy of either in memory
    if path.stat().st_size != len(data):
        return False
    # in chunks: the whole file read back to compare held a second 118 MB citations CSV at the
    # build's peak (80 MiB more)
    view, pos = memoryview(data), 0
    with open(path, "rb") as fh:
        while chunk := fh.read(SAME_CHUNK):
            if view[pos:pos + len(chunk)] != chunk:
                return False
            pos += len(chunk)
    return pos == len(data)


SAME_CHUNK = 1 << 20


def _stage(path: Path, data: bytes | Path) -> None:
    """Bytes are written; a Path (a published file, as the site's copy of a CSV) is copied by
    the kernel, never read into memory. Not linked: an edit of the one in place would then
    change the other, a published download, before any command ran."""
    if isinstance(data, Staged):
        path.parent.mkdir(parents=True, exist_ok=True)
        os.replace(data.path, path)  # written durably when it was made
        return
    if not isinstance(data, Path):
        _write_durably(path, data)
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(data, path)
    with open(path, "rb+") as fh:
        os.fsync(fh.fileno())


def publish(layout: Layout, outputs: dict[str, bytes | Path | Staged], managed: list[str] | None = None) -> list[str]:
    """Write the outputs that changed, delete the `managed` files (default: the published CSVs
    and schemas) that are no longer outputs; return their paths. `build` and `site` both
    publish this way. An output given as a Path is published as a copy of that file; one
    given as Staged is moved into place.

    Every changed file is first written in full to build/publish-staging; then a journal naming
    them is written atomically: that is the commit point. Before it, an interruption leaves the
    published files untouched (the staging folder is discarded on the next run); after it, the
    next run (or `recover`) finishes the renames, so published files are all old or all new,
    and no final path ever holds a partial file.
    """
    recover(layout)
    staging = _staging(layout)
    replace = [rel for rel, data in sorted(outputs.items()) if not _same(layout.root / rel, data)]
    if managed is None:
        managed = [layout.rel(p) for p in [*layout.data.glob("*.csv"), *layout.schemas.glob("*.pandera.yaml")]]
    delete = sorted(rel for rel in managed if rel not in outputs)
    if not replace and not delete:
        return []
    try:
        for rel in replace:
            _stage(staging / rel, outputs[rel])
        tmp = layout.build / "publish-journal.json.tmp"
        _write_durably(tmp, json.dumps({"replace": replace, "delete": delete}).encode())
        os.replace(tmp, _journal(layout))
    except OSError:
        shutil.rmtree(staging, ignore_errors=True)
        (layout.build / "publish-journal.json.tmp").unlink(missing_ok=True)
        raise
    try:
        _apply(layout, {"replace": replace, "delete": delete})
    except OSError as exc:
        raise PublishInterrupted(f"{exc.strerror or exc} after the commit point; some files are new, some "
                                 "old: the next `infratracker build` or `infratracker site` finishes the "
                                 "publish") from None
    return replace + delete


def build_and_publish(layout: Layout, incremental_ok: bool = True) -> tuple[Built, list[str]]:
    """Build (incrementally when only new extracts were added, see incremental.py) and publish."""
    with build_lock(layout):
        recover(layout)
        quick, why = None, None
        if incremental_ok:
            try:
                with memory.paused():
                    quick = incremental.rebuild(layout)
            except incremental.Unsure as exc:
                why = str(exc)
        built = Built(*quick, incremental=True) if quick else build(layout)
        built.full_because = why
        changed = publish(layout, built.outputs)
        try:
            if built.state is None:
                incremental.forget(layout)
            else:
                incremental.save_state(layout, built.state)
        except OSError:
            incremental.forget(layout)  # the state only saves time; without it the next build is a full one
        return built, changed


__all__ = ["Built", "BuildLocked", "PublishInterrupted", "ProblemsFound", "build", "build_and_publish", "explain", "publish"]
