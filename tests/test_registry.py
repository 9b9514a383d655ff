"""Meta-tests: every generated copy of the column list agrees with the registry."""
import json

import pandera.pandas as pa
import pytest

from infratracker.check.schemas import pandera_schema
from infratracker.core import reference
from infratracker.core import registry
from infratracker.publish import descriptor
from infratracker.publish import dictionary

RESOURCES = registry.RESOURCES
FIELDS = [(r.name, f.name) for r in RESOURCES for f in r.fields]


@pytest.fixture(scope="module")
def codes(repo=None):
    from infratracker.core.paths import Layout
    return reference.codes_by_list(reference.codelist_rows(Layout.default().reference))


@pytest.mark.parametrize("table,column", FIELDS)
def test_every_column_has_a_description(table, column):
    f = registry.resource(table).field(column)
    assert len(f.description) > 10 and f.description.endswith((".", ")")), (table, column)


@pytest.mark.parametrize("res", RESOURCES, ids=lambda r: r.name)
def test_every_table_is_declared_completely(res):
    assert res.title and res.description
    assert set(res.primary_key) <= set(res.field_names)
    assert len(set(res.field_names)) == len(res.field_names)
    for name, ref_table, ref_field in res.foreign_keys:
        target = registry.resource(ref_table)
        assert target.primary_key == (ref_field,), (res.name, name)
    for col in (*res.facets, *res.search, *([res.label_column] if res.label_column else [])):
        assert col in res.field_names


def test_every_codelist_named_by_a_field_exists(codes):
    for res in RESOURCES:
        for f in res.codelist_fields:
            assert codes.get(f.codelist), (res.name, f.name, f.codelist)


def test_descriptor_agrees_with_registry(repo, codes):
    pkg = json.loads(repo.descriptor.read_text(encoding="utf-8"))
    assert pkg["$schema"] == descriptor.PROFILE
    assert [r["name"] for r in pkg["resources"]] == [r.name for r in RESOURCES]
    for desc, res in zip(pkg["resources"], RESOURCES):
        assert desc["schema"] == descriptor.table_schema(res, codes)
        assert [f["name"] for f in desc["schema"]["fields"]] == res.field_names
        data = (repo.root / desc["path"]).read_bytes()
        assert desc["bytes"] == len(data)


def test_pandera_yaml_agrees_with_registry(repo, codes):
    for res in RESOURCES:
        text = (repo.schemas / f"{res.name}.pandera.yaml").read_text(encoding="utf-8")
        loaded = pa.DataFrameSchema.from_yaml(text)
        assert loaded == pandera_schema(res, codes), res.name
        assert list(loaded.columns) == res.field_names


def test_data_dictionary_agrees_with_registry(repo):
    page = repo.dictionary.read_text(encoding="utf-8")
    rows = reference.codelist_rows(repo.reference)
    assert page == dictionary.page(rows)
    for res in RESOURCES:
        assert f"### `{res.name}`" in page
        for f in res.fields:
            assert f"| `{f.name}` |" in page


def test_csv_headers_agree_with_registry(repo):
    for res in RESOURCES:
        header = (repo.data / f"{res.name}.csv").read_text(encoding="utf-8").split("\n", 1)[0]
        assert header.split(",") == res.field_names
