"""What keeps the full build's peak memory down (issue 15, target 3) changes no byte it writes:
codes and keys shared as one string object, the CSVs rendered a chunk of rows at a time from the
Python values, and a published file compared with its new bytes a block at a time."""
import json
import pickle

import pytest
from hypothesis import given
from support import SETTINGS, rows_of

from infratracker.core import csvio, registry
from infratracker.core.csvio import render_csv, write_csv_rows
from infratracker.extracts.parse import parse_extract
from infratracker.publish import build, descriptor

EXTRACT = "extracts/seetao-2025-12-16-yiha-summit.yaml"


def _shared_cells(ext):
    """(where, value) of every code or key cell of an extract's rows, and of its citations'
    field names."""
    for row in ext.rows:
        res = registry.resource(row.table)
        for f in res.fields:
            value = row.values.get(f.name)
            if isinstance(value, str) and (f.codelist or f.references):
                yield (row.table, row.key, f.name), value
    for i, cit in enumerate(ext.citations):
        if cit["field"] is not None:
            yield ("citations", i, "field"), cit["field"]


def test_codes_and_keys_are_one_string_object_across_extracts(repo):
    """Two parses of the same text (as two extracts naming the same codes would be) give the
    very same string objects for codes and keys, and a pickled extract, as the build's cache
    and its worker processes hand it over, keeps each as one object."""
    text = (repo.root / EXTRACT).read_text(encoding="utf-8")
    first, second = (parse_extract(text, EXTRACT)[0] for _ in range(2))
    a, b = dict(_shared_cells(first)), dict(_shared_cells(second))
    assert len(a) > 20 and a.keys() == b.keys()
    assert [where for where in a if a[where] is not b[where]] == []
    back = pickle.loads(pickle.dumps(first, protocol=pickle.HIGHEST_PROTOCOL))
    values = [v for _where, v in _shared_cells(back)]
    assert len({id(v) for v in values}) == len(set(values))


@pytest.mark.parametrize("res", registry.RESOURCES, ids=lambda r: r.name)
def test_rendering_a_few_rows_at_a_time_gives_the_same_bytes(res, monkeypatch):
    """Chunks of 2 rows: every chunk boundary, sort order across chunks and line offsets."""
    monkeypatch.setattr(csvio, "CHUNK_ROWS", 2)

    @SETTINGS
    @given(rows_of(res))
    def check_rows(rows):
        data, _keys, starts = render_csv(res, rows)
        assert data == write_csv_rows(res, rows)
        starts = starts.tolist()
        assert len(starts) == len(rows) and starts == sorted(set(starts))
        assert all(data[s - 1:s] == b"\n" for s in starts)  # each row's line starts after a line end
        assert not rows or starts[0] == data.index(b"\n") + 1

    check_rows()


@pytest.mark.parametrize("new, same", [
    (b"0123456789abcdef", True),
    (b"0123456789abcdeX", False),  # the last byte
    (b"X123456789abcdef", False),  # the first byte
    (b"0123X56789abcdef", False),  # the first byte of the second block
    (b"0123456789abcde", False),  # shorter
    (b"0123456789abcdef0", False),  # longer
    (b"", False),
])
def test_a_published_file_is_compared_block_by_block(tmp_path, monkeypatch, new, same):
    monkeypatch.setattr(build, "SAME_CHUNK", 4)
    path = tmp_path / "data.csv"
    path.write_bytes(b"0123456789abcdef")
    assert build._same(path, new) is same
    assert build._same(tmp_path / "missing.csv", new) is False


@pytest.mark.parametrize("files", [[], [["f1"]], [["f1", "f2"], ["f3"], ["f1", "f2", "f3"]]])
def test_contributors_made_from_the_rows_are_the_table_of_their_files(files):
    """The full build's contributors, made from the rows' own strings, are the table the
    incremental rebuild makes from lists of files (and extends)."""
    from infratracker.assemble.merge import _contributors_of, contributors_table
    from infratracker.extracts.parse import Row

    grouped = {("projects", f"prj-{i}"): [Row("projects", {}, f, "src") for f in given] for i, given in enumerate(files)}
    made = _contributors_of(grouped)
    assert made.equals(contributors_table({k: given for k, given in zip(grouped, files)}))
    assert made.to_pylist() == [{"table": "projects", "key": f"prj-{i}", "files": given} for i, given in enumerate(files)]


def test_the_descriptors_sources_are_written_as_json_writes_their_rows(monkeypatch):
    """datapackage.json's `sources`, written from five columns of the sources CSV a chunk at a
    time with json's C string encoder, are the bytes json.dumps(indent=2) gives for the typed
    rows: in id order, "publisher, date: title", a path only where there is a URL, and `[]`
    for none."""
    monkeypatch.setattr(descriptor, "SOURCE_CHUNK", 2)
    res = registry.resource("sources")

    @SETTINGS
    @given(rows_of(res))
    def check_rows(rows):
        obj = {"name": "x", "sources": [descriptor.PLACEHOLDER], "resources": [{"a": [1, {}]}]}
        entries = [{"title": f"{r['publisher']}, {r['published_date'].isoformat()}: {r['title']}",
                    **({"path": r["url"]} if r["url"] else {})} for r in sorted(rows, key=lambda r: r["source_id"])]
        expected = json.dumps({**obj, "sources": entries}, indent=2, ensure_ascii=False) + "\n"
        assert descriptor.dumps(obj, render_csv(res, rows)[0]) == expected.encode("utf-8")
    check_rows()
