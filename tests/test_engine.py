"""The rule engine (Arrow + vectorized Pandera) against an independent row-wise oracle.

The contract: whatever the engine accepts, the oracle accepts, with the same values; whatever
the oracle rejects, the engine rejects too, at a named place."""
import csv
import hashlib
import io
import json
import re

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pytest
from hypothesis import given
from hypothesis import strategies as st
from support import (SETTINGS, engine_check, mutate_rows, oracle_check, oracle_read_csv,
                     oracle_typed_frame, rows_of, sql_value)

from infratracker.check.package import Package, check
from infratracker.check.schemas import FORMULA_SAFE, python_pattern
from infratracker.core import registry
from infratracker.core.cells import format_cell
from infratracker.core.csvio import canonical_size, read_strings, render_csv, write_csv, write_csv_rows

RESOURCES = [r for r in registry.RESOURCES if r.name != "codelists"]


def engine_rows(res, data):
    """Rows the engine accepts for one table, or None where it finds a problem."""
    rows, problems = engine_check(res, data)
    return None if problems else rows


def test_the_published_package_is_checked_with_the_oracles_values(repo):
    checked = check(Package(repo.descriptor))
    assert checked.arrow is not None
    for res in registry.RESOURCES:
        data = (repo.data / f"{res.name}.csv").read_bytes()
        rows, problems = oracle_read_csv(data, res, res.name)
        assert problems == []
        assert checked.rows(res.name) == rows
        assert list(checked.sql_tuples(res.name)) == [tuple(sql_value(r[n]) for n in res.field_names) for r in rows]
        pd.testing.assert_frame_equal(checked.frame(res.name), oracle_typed_frame(res, rows))


@pytest.mark.parametrize("res", RESOURCES, ids=lambda r: r.name)
def test_valid_tables_are_accepted_with_the_oracles_values(res):
    @SETTINGS
    @given(rows_of(res))
    def check_rows(rows):
        data = write_csv(res, rows)
        back, problems = oracle_check(res, data)
        assert problems == []
        assert canonical_size(read_strings(data, res)) == len(data)
        assert engine_rows(res, data) == back

    check_rows()


@pytest.mark.parametrize("res", RESOURCES, ids=lambda r: r.name)
def test_the_arrow_writer_gives_the_bytes_of_pythons_csv_writer(res):
    @SETTINGS
    @given(rows_of(res))
    def check_rows(rows):
        data, keys, starts = render_csv(res, rows)
        assert data == write_csv_rows(res, rows)
        lines = [data[a:b] for a, b in zip(starts.tolist(), [*starts.tolist()[1:], len(data)])]
        assert [oracle_read_csv(data[:starts[0]] + line, res, "f")[0][0] for line in lines] == \
            sorted(oracle_read_csv(data, res, "f")[0], key=lambda r: tuple(format_cell(res.field(k), r[k])
                                                                       for k in res.primary_key))
        assert keys.to_pylist() == sorted(keys.to_pylist())

    check_rows()


def _non_canonical(data: bytes, kind: str) -> bytes:
    """Valid or invalid CSV that is not in the form our writer gives."""
    records = list(csv.reader(io.StringIO(data.decode("utf-8"), newline="")))
    if kind == "blank_line":
        return data.replace(b"\n", b"\n\n", 1)
    if kind == "quote_all":
        buf = io.StringIO()
        csv.writer(buf, lineterminator="\n", quoting=csv.QUOTE_ALL).writerows(records)
        return buf.getvalue().encode("utf-8")
    if kind == "text_after_quote":  # `"ab"c`: Python's strict reader refuses it
        first, rest = data.split(b"\n", 1)
        return first + b'\n"ab"c' + rest[rest.find(b","):] if b"," in rest else data
    if kind == "no_final_newline":
        return data[:-1]
    raise AssertionError(kind)


CORRUPTIONS = {
    # (cell text, which fields it applies to)
    "plus_sign": ("+5", lambda f: f.type in ("integer", "number")),
    "float_word": ("inf", lambda f: f.type == "number"),
    "unicode_digit": ("\u0663", lambda f: f.type == "integer"),
    "30_february": ("2025-02-30", lambda f: f.type == "date"),
    "year_3000": ("3000-01-01", lambda f: f.type == "date"),
    "capital_true": ("True", lambda f: f.type == "boolean"),
    "trailing_newline": ("x\n", lambda f: f.pattern is not None),
    "unicode_space": ("https://a.org/\u2003x", lambda f: f.pattern is not None),
    "bad_code": ("not-a-code", lambda f: f.codelist is not None),
    "formula": ("=1+1", lambda f: f.type == "string"),
    "empty_required": ("", lambda f: f.required),
    "too_long": ("x" * 6000, lambda f: f.type == "string"),
}


@pytest.mark.parametrize("res", RESOURCES, ids=lambda r: r.name)
def test_what_the_oracle_rejects_the_engine_rejects(res):
    @SETTINGS
    @given(rows_of(res, min_size=1), st.sampled_from(sorted(CORRUPTIONS) + ["duplicate_row", "blank_line",
                                                                             "quote_all", "text_after_quote",
                                                                             "no_final_newline"]), st.data())
    def check_rows(rows, kind, data):
        valid = write_csv(res, rows)
        if kind in CORRUPTIONS:
            text, applies = CORRUPTIONS[kind]
            fields = [f for f in res.fields if applies(f)]
            if not fields:
                return
            f = data.draw(st.sampled_from(fields))
            line = data.draw(st.integers(1, len(rows)))
            corrupt = mutate_rows(valid, lambda recs: recs[line].__setitem__(res.field_names.index(f.name), text))
        elif kind == "duplicate_row":
            corrupt = mutate_rows(valid, lambda recs: recs.append(list(recs[1])))
        else:
            corrupt = _non_canonical(valid, kind)
        back, problems = oracle_check(res, corrupt)
        accepted = engine_rows(res, corrupt)
        if problems:
            assert accepted is None, (kind, problems)
        elif accepted is not None:
            assert accepted == back, kind

    check_rows()


PROBES = ["", "a", "abc", "x\n", "KAZ", "KAZ\n", "\nKAZ", "2025-12", "2025-13", "12:30", "24:00", "\u0663\u0663\u0663",
          "https://a.org/x", "https://a.org/\u2003x", "https://a.org/\xa0x", "https://a.org/\x85x", "http://a b",
          "https://a.org/\u3000", "https://a.org/\u202f", "https://a.org/\x1c", "https://ok.org/é", "prj-1", "prj--1",
          "cit-0123456789ab", "cit-0123456789abc", "archive/a-b.txt", "archive/a.html\n", "utf-8", "en-GB", "000",
          "0" * 64, "=x", "+x", "-x", "@x", "\tx", "\rx", "x=", "é"]


@pytest.mark.parametrize("pattern", sorted({f.pattern for r in registry.RESOURCES for f in r.fields if f.pattern}
                                           | {FORMULA_SAFE}))
def test_python_and_re2_agree_on_every_registry_pattern(pattern):
    """The oracle runs patterns in Python's re, the engine in RE2."""
    python = [re.match(python_pattern(pattern), p) is not None for p in PROBES]
    re2 = pc.match_substring_regex(pa.array(PROBES), pattern).to_pylist()
    assert python == re2


def test_a_package_not_in_canonical_form_is_read_by_pythons_csv_and_judged_by_the_engine(checkout):
    """Quoting every cell is valid CSV but not our canonical form: it is still accepted."""
    path = checkout.data / "blocs.csv"
    data = path.read_bytes()
    quoted = _non_canonical(data, "quote_all")
    path.write_bytes(quoted)
    desc = json.loads(checkout.descriptor.read_text())
    for r in desc["resources"]:
        if r["name"] == "blocs":
            r["bytes"], r["hash"] = len(quoted), "sha256:" + hashlib.sha256(quoted).hexdigest()
    checkout.descriptor.write_text(json.dumps(desc))
    checked = check(Package(checkout.descriptor))
    assert checked.rows("blocs") == oracle_read_csv(data, registry.resource("blocs"), "blocs")[0]
