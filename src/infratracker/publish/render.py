"""Every output file of the package, rendered in memory: CSVs, descriptor, Pandera schemas and
the data dictionary."""
from __future__ import annotations

from typing import Any

from infratracker.check.schemas import all_schemas
from infratracker.core import reference, registry
from infratracker.core.csvio import render_csv
from infratracker.core.paths import Layout
from infratracker.publish import descriptor, dictionary


def render(layout: Layout, tables: dict[str, list[dict[str, Any]]], row_index: dict[str, Any] | None = None) \
        -> dict[str, bytes]:
    """Every output file. `row_index`, if given, receives each CSV's (sort keys, line offsets)."""
    csvs = {}
    for res in registry.RESOURCES:
        csvs[res.name], *where = render_csv(res, tables[res.name])
        if row_index is not None:
            row_index[res.name] = where
    return render_files(layout, csvs, tables["sources"])


def render_files(layout: Layout, csvs: dict[str, bytes], sources: list[dict[str, Any]],
                 schemas: dict[str, bytes] | None = None) -> dict[str, bytes]:
    """Every output file, from the CSVs: descriptor, Pandera schemas (unless given: they depend
    only on the registry and the codelists) and the data dictionary."""
    codelists = reference.codelist_rows(layout.reference)
    codes = reference.codes_by_list(codelists)
    outputs = {f"data/{name}.csv": data for name, data in csvs.items()}
    package = reference.load_yaml(layout.reference / "package.yaml")
    created = descriptor.created(layout.root / "releases", str(package["version"]))
    outputs["datapackage.json"] = descriptor.dumps(descriptor.descriptor(package, csvs, sources, codes, created))
    if schemas is not None:
        outputs.update(schemas)
    else:
        for name, schema in all_schemas(codes).items():
            outputs[f"schemas/{name}.pandera.yaml"] = schema.to_yaml().encode("utf-8")
    outputs[layout.rel(layout.dictionary)] = dictionary.page(codelists).encode("utf-8")
    return outputs
