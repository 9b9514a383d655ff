"""Every output file of the package, rendered in memory: CSVs, descriptor, Pandera schemas and
the data dictionary."""
from __future__ import annotations

from typing import Any

from infratracker.check.schemas import all_schemas
from infratracker.core import reference, registry
from infratracker.core.csvio import render_csv
from infratracker.core.paths import Layout
from infratracker.publish import descriptor, dictionary


def render(layout: Layout, tables: dict[str, list[dict[str, Any]]]) -> dict[str, bytes]:
    """Every output file."""
    return render_files(layout, render_csvs(tables))


def render_csvs(tables: dict[str, list[dict[str, Any]]], row_index: dict[str, Any] | None = None) -> dict[str, bytes]:
    """Each table's CSV. `row_index`, if given, receives each CSV's (sort keys, line offsets).

    The largest table is rendered first: its transient columns then come on top of the rows
    alone, and each smaller table's fit in what it let go. Last (the registry's order), the
    10,000-article build's peak was 2,070-2,150 MiB; largest first, 1,956-1,963 MiB. The
    other files need only the CSVs: the build makes them once the rows are let go."""
    csvs, where = {}, {}
    for res in sorted(registry.RESOURCES, key=lambda r: len(tables[r.name]), reverse=True):
        csvs[res.name], *where[res.name] = render_csv(res, tables[res.name])
    if row_index is not None:
        row_index.update((res.name, where[res.name]) for res in registry.RESOURCES)
    return {res.name: csvs[res.name] for res in registry.RESOURCES}


def render_files(layout: Layout, csvs: dict[str, bytes], schemas: dict[str, bytes] | None = None) -> dict[str, bytes]:
    """Every output file, from the CSVs: descriptor, Pandera schemas (unless given: they depend
    only on the registry and the codelists) and the data dictionary."""
    codelists = reference.codelist_rows(layout.reference)
    codes = reference.codes_by_list(codelists)
    outputs = {f"data/{name}.csv": data for name, data in csvs.items()}
    package = reference.load_yaml(layout.reference / "package.yaml")
    created = descriptor.created(layout.root / "releases", str(package["version"]))
    outputs["datapackage.json"] = descriptor.dumps(descriptor.descriptor(package, csvs, codes, created), csvs["sources"])
    if schemas is not None:
        outputs.update(schemas)
    else:
        for name, schema in all_schemas(codes).items():
            outputs[f"schemas/{name}.pandera.yaml"] = schema.to_yaml().encode("utf-8")
    outputs[layout.rel(layout.dictionary)] = dictionary.page(codelists).encode("utf-8")
    return outputs
