"""Property-based tests: random valid tables (drawn from the registry) survive CSV, SQLite and
reading back unchanged; random corruptions of valid files are always rejected, at a named place."""
import csv
import datetime as dt
import io
import unicodedata

import pytest
import sqlite_utils
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from infratracker import reference, registry
from infratracker.csvio import read_csv, write_csv
from infratracker.db import create_tables, load_rows
from infratracker.package import sql_value as _sql_value
from infratracker.paths import Layout
from infratracker.validate import schema_problems

CODES = reference.codes_by_list(reference.codelist_rows(Layout.default().reference))
SETTINGS = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
TEXT_CHARS = st.characters(blacklist_categories=("Cs", "Cc")) | st.sampled_from(["\n", ",", '"', "'", "é", "Ё", "ق"])


def _text(f: registry.Field):
    limit = min(f.length_limit or 40, 40)
    return st.text(TEXT_CHARS, min_size=1, max_size=limit).filter(
        lambda s: unicodedata.normalize("NFC", s) == s and not s.startswith(("=", "+", "-", "@", "\t")))


def value(f: registry.Field):
    if f.codelist:
        base = st.sampled_from(CODES[f.codelist])
    elif f.type == "string":
        base = st.from_regex(f.pattern, fullmatch=True).filter(lambda s: "\n" not in s and "\r" not in s and
                                                                not s.startswith(("=", "+", "-", "@", "\t"))) \
            if f.pattern else _text(f)
        if f.pattern == registry.PARTIAL_DATE:  # the pattern admits 0000 and 2025-02-30; the data does not
            base = st.builds(lambda d, n: d.isoformat()[:n], st.dates(dt.date(1800, 1, 1), dt.date(2200, 12, 31)),
                             st.sampled_from([4, 7, 10]))
    elif f.type == "integer":
        base = st.integers(int(f.minimum if f.minimum is not None else -10**9),
                           int(f.maximum if f.maximum is not None else 10**9))
    elif f.type == "number":
        base = st.floats(f.minimum if f.minimum is not None else -1e12, f.maximum if f.maximum is not None else 1e12,
                         allow_nan=False, allow_infinity=False)
    elif f.type == "boolean":
        base = st.booleans()
    else:
        base = st.dates(dt.date.fromisoformat(registry.DATE_MIN), dt.date.fromisoformat(registry.DATE_MAX))
    return base if f.required else st.none() | base


def rows_of(res: registry.Resource, min_size=0):
    row = st.fixed_dictionaries({f.name: value(f) for f in res.fields})
    unique = [res.primary_key] + [(f.name,) for f in res.fields if f.unique]
    return st.lists(row, min_size=min_size, max_size=6,
                    unique_by=tuple((lambda r, k=k: tuple(r[c] for c in k)) for k in unique))


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
        back, problems = read_csv(data, res, f"data/{res.name}.csv")
        assert problems == []
        assert schema_problems(res, back, CODES, lambda t, r: ("f", "")) == []
        key = lambda r: registry.record_key(res, r)  # noqa: E731
        assert sorted(back, key=key) == sorted(rows, key=key)
        assert write_csv(res, back) == data
        db = sqlite_utils.Database(memory=True)
        create_tables(db, [r for r in registry.RESOURCES if r.name in _with_targets(res)])
        load_rows(db, {res.name: rows}, [res])
        stored = list(db[res.name].rows)
        expected = [{k: _sql_value(v) for k, v in r.items()} for r in rows]
        assert sorted(stored, key=key) == sorted(expected, key=key)

    check()


def _mutate_rows(data: bytes, mutate) -> bytes:
    records = list(csv.reader(io.StringIO(data.decode("utf-8"), newline="")))
    mutate(records)
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows(records)
    return buf.getvalue().encode("utf-8")


CORRUPTIONS = ["nul", "bad_utf8", "ragged", "duplicate_row", "empty_required", "bad_code", "formula"]


@pytest.mark.parametrize("res", [registry.resource(n) for n in ("projects", "agreement_parties", "citations",
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
            corrupt = _mutate_rows(valid, lambda recs: recs[line].append("extra"))
        elif kind == "duplicate_row":
            corrupt = _mutate_rows(valid, lambda recs: recs.append(list(recs[line])))
        elif kind == "empty_required":
            f = data.draw(st.sampled_from([f for f in res.fields if f.required]))
            corrupt = _mutate_rows(valid, lambda recs: recs[line].__setitem__(col(f), ""))
        elif kind == "bad_code" and coded:
            f = data.draw(st.sampled_from(coded))
            corrupt = _mutate_rows(valid, lambda recs: recs[line].__setitem__(col(f), "not-a-code"))
        elif kind == "formula" and text_fields:
            f = data.draw(st.sampled_from(text_fields))
            corrupt = _mutate_rows(valid, lambda recs: recs[line].__setitem__(col(f), "=1+1"))
        else:
            return
        back, problems = read_csv(corrupt, res, file)
        origin = lambda t, r: (file, registry.record_key(res, r) if r else "")  # noqa: E731
        problems += schema_problems(res, back, CODES, origin) if not problems else []
        assert problems, kind
        for p in problems:
            assert p.file == file
            assert p.record or p.field or "byte" in p.message or "offset" in p.message, p

    check()
