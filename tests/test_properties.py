"""Property-based tests: random valid tables (drawn from the registry) survive CSV, SQLite and
reading back unchanged; random corruptions of valid files are always rejected, at a named place."""
import pytest
import sqlite_utils
from hypothesis import given
from hypothesis import strategies as st
from support import SETTINGS, engine_check, mutate_rows, rows_of, sql_value

from infratracker.core import registry
from infratracker.core.csvio import write_csv
from infratracker.publish.database import create_tables, load_rows

RESOURCES = [r for r in registry.RESOURCES if r.name != "codelists"]


def _with_targets(res: registry.Resource) -> set[str]:
    """The table and every table its foreign keys reach: sqlite-utils checks targets exist."""
    needed, todo = set(), [res.name]
    while todo:
        name = todo.pop()
        if name not in needed:
            needed.add(name)
            todo += [t for _n, t, _f in registry.resource(name).foreign_keys]
    return needed


@pytest.mark.parametrize("res", RESOURCES, ids=lambda r: r.name)
def test_valid_tables_round_trip_through_csv_and_sqlite(res):
    @SETTINGS
    @given(rows_of(res))
    def check(rows):
        data = write_csv(res, rows)
        back, problems = engine_check(res, data, f"data/{res.name}.csv")
        assert problems == []
        key = lambda r: registry.record_key(res, r)  # noqa: E731
        assert sorted(back, key=key) == sorted(rows, key=key)
        assert write_csv(res, back) == data
        db = sqlite_utils.Database(memory=True)
        create_tables(db, [r for r in registry.RESOURCES if r.name in _with_targets(res)])
        load_rows(db, {res.name: rows}, [res])
        stored = list(db[res.name].rows)
        expected = [{k: sql_value(v) for k, v in r.items()} for r in rows]
        assert sorted(stored, key=key) == sorted(expected, key=key)

    check()


CORRUPTIONS = ["nul", "bad_utf8", "ragged", "duplicate_row", "empty_required", "bad_code", "formula"]


@pytest.mark.parametrize("res", [registry.resource(n) for n in ("projects", "parties", "finance", "quantities", "citations",
                                                                  "places", "sources")], ids=lambda r: r.name)
def test_corruptions_are_always_rejected_at_a_named_place(res):
    file = f"data/{res.name}.csv"
    text_fields = [f for f in res.fields if f.type == "string" and not f.pattern and not f.codelist]
    coded = [f for f in res.fields if f.codelist]

    @SETTINGS
    @given(rows_of(res, min_size=1), st.sampled_from(CORRUPTIONS), st.data())
    def check(rows, kind, data):
        valid = write_csv(res, rows)
        n = len(rows)
        line = data.draw(st.integers(1, n))  # a data row, 1-based after the header
        col = lambda f: res.field_names.index(f.name)  # noqa: E731
        if kind == "nul":
            pos = data.draw(st.integers(0, len(valid) - 1))
            corrupt = valid[:pos] + b"\x00" + valid[pos:]
        elif kind == "bad_utf8":
            pos = data.draw(st.integers(0, len(valid)))
            corrupt = valid[:pos] + b"\xff" + valid[pos:]
        elif kind == "ragged":
            corrupt = mutate_rows(valid, lambda recs: recs[line].append("extra"))
        elif kind == "duplicate_row":
            corrupt = mutate_rows(valid, lambda recs: recs.append(list(recs[line])))
        elif kind == "empty_required":
            f = data.draw(st.sampled_from([f for f in res.fields if f.required]))
            corrupt = mutate_rows(valid, lambda recs: recs[line].__setitem__(col(f), ""))
        elif kind == "bad_code" and coded:
            f = data.draw(st.sampled_from(coded))
            corrupt = mutate_rows(valid, lambda recs: recs[line].__setitem__(col(f), "not-a-code"))
        elif kind == "formula" and text_fields:
            f = data.draw(st.sampled_from(text_fields))
            corrupt = mutate_rows(valid, lambda recs: recs[line].__setitem__(col(f), "=1+1"))
        else:
            return
        _back, problems = engine_check(res, corrupt, file)
        assert problems, kind
        for p in problems:
            assert p.file == file
            assert p.record or p.field or "byte" in p.message or "offset" in p.message, p

    check()
