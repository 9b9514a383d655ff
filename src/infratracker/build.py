"""The build: extracts -> validated tables -> CSVs, descriptor, schemas and README dictionary.

Nothing is written unless everything validates. Outputs are rendered in memory, written to a
staging folder inside build/, and only then moved over the published files, one atomic
rename each; a second build running at the same time is refused.
"""
from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

from . import descriptor, docs, reference, registry, release
from .assemble import Assembled, assemble
from .csvio import write_csv
from .paths import Layout
from .problems import ProblemsFound, raise_if
from .schemas import all_schemas
from .validate import OriginOf, table_problems


class BuildLocked(Exception):
    pass


@dataclass
class Built:
    tables: dict[str, list[dict[str, Any]]]
    outputs: dict[str, bytes]  # path relative to the root -> bytes


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


def check(layout: Layout) -> dict[str, list[dict[str, Any]]]:
    """Assemble and validate everything; raise ProblemsFound with every problem at once."""
    asm = assemble(layout)
    problems = list(asm.problems)
    codes = reference.codes_by_list(asm.tables["codelists"])
    problems += _not_follow_ons(problems, table_problems(asm.tables, codes, origin_function(asm)))
    problems += release.reused_problems(asm.tables, release.load_removals(layout))
    raise_if(problems)
    return asm.tables


def render(layout: Layout, tables: dict[str, list[dict[str, Any]]]) -> dict[str, bytes]:
    codes = reference.codes_by_list(tables["codelists"])
    csvs = {res.name: write_csv(res, tables[res.name]) for res in registry.RESOURCES}
    outputs = {f"data/{name}.csv": data for name, data in csvs.items()}
    package = reference.load_yaml(layout.reference / "package.yaml")
    outputs["datapackage.json"] = descriptor.dumps(descriptor.descriptor(package, csvs, tables["sources"], codes))
    for name, schema in all_schemas(codes).items():
        outputs[f"schemas/{name}.pandera.yaml"] = schema.to_yaml().encode("utf-8")
    readme = layout.readme.read_text(encoding="utf-8")
    outputs["README.md"] = docs.replace_section(readme, docs.data_dictionary(tables["codelists"])).encode("utf-8")
    return outputs


def build(layout: Layout) -> Built:
    tables = check(layout)
    return Built(tables, render(layout, tables))


@contextlib.contextmanager
def build_lock(layout: Layout) -> Iterator[None]:
    layout.build.mkdir(exist_ok=True)
    with open(layout.build / ".build.lock", "w") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise BuildLocked("another build is running (build/.build.lock is held); try again when it ends") from None
        yield


def publish(layout: Layout, outputs: dict[str, bytes]) -> list[str]:
    """Write outputs that changed; return their paths. Each file is replaced atomically."""
    staging = layout.build / f".staging-{os.getpid()}"
    shutil.rmtree(staging, ignore_errors=True)
    changed = []
    try:
        for rel, data in sorted(outputs.items()):
            final = layout.root / rel
            if final.is_file() and final.read_bytes() == data:
                continue
            tmp = staging / rel
            tmp.parent.mkdir(parents=True, exist_ok=True)
            with open(tmp, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            changed.append(rel)
        for rel in changed:
            final = layout.root / rel
            final.parent.mkdir(parents=True, exist_ok=True)
            os.replace(staging / rel, final)
        for stale in [*layout.data.glob("*.csv"), *layout.schemas.glob("*.pandera.yaml")]:
            if layout.rel(stale) not in outputs:
                stale.unlink()
                changed.append(layout.rel(stale))
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return changed


def build_and_publish(layout: Layout) -> tuple[Built, list[str]]:
    with build_lock(layout):
        built = build(layout)
        return built, publish(layout, built.outputs)


__all__ = ["Built", "BuildLocked", "ProblemsFound", "build", "build_and_publish", "check", "publish", "render"]
