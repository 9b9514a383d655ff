"""The one rule engine: every rule the registry declares, run over Arrow tables.

Types, patterns, codelists, lengths, ranges, formula safety, required and unique columns and
primary keys (Pandera schemas generated from the registry, on Arrow-backed frames so string
checks run in RE2), partial dates that are days of the calendar, fields that require others and one-of rules (`Resource.rules`), foreign
keys and polymorphic record references (`RecordRef`). Each failure names its table, row and
field; `explain` turns failures into Problems naming the file and record to blame, through an
origin function the caller gives (the build's: the extract that produced the row).

A valid package costs only vectorized checks; row positions are worked out only for failures.
"""
from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Callable, Iterable

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from infratracker.check.schemas import ARROW_TYPES, FORMULA_SAFE, arrow_schema, python_pattern
from infratracker.core import csvio
from infratracker.core import registry
from infratracker.core.cells import parse_cell, partial_date_problem
from infratracker.core.problems import Problem
from infratracker.core.registry import DATE_MAX, DATE_MIN, RecordRef, Resource, SetCount

# A partial date spelled as the pattern wants can still be no day of the calendar (2025-02-30);
# one spelled otherwise is the schema's to report.
_PARTIAL = re.compile(python_pattern(registry.PARTIAL_DATE))

# The spelling of a cell of each type as the package writes it (cells.format_cell). A cell
# spelled otherwise is read by cells.parse_cell, which accepts it or says what is wrong.
SPELLING = {
    "integer": r"^-?[0-9]+$",
    "number": r"^-?[0-9]+(\.[0-9]+)?(e[-+]?[0-9]+)?$",
    "date": r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$",
}

# (table, row) -> (file to blame, record id)
OriginOf = Callable[[str, dict[str, Any]], tuple[str, str]]
# (table, field or None for the record key) -> the values a reference may take
KeysOf = Callable[[str, "str | None"], pa.Array]


class Failed(Exception):
    """Raised by callers that need a verdict, not an explanation (the incremental rebuild)."""


@dataclass(frozen=True)
class Failure:
    table: str
    row: int | None  # position in the table as checked; None: the table as a whole
    field: str
    message: str


def _rows_where(mask: pa.Array) -> list[int]:
    return pc.indices_nonzero(pc.fill_null(mask, False)).to_pylist()


def _column(table: pa.Table, name: str) -> pa.Array:
    col = table[name]
    return col.combine_chunks() if isinstance(col, pa.ChunkedArray) else col


# --- types ---------------------------------------------------------------------------------------

def typed(res: Resource, strings: pa.Table) -> tuple[pa.Table, list[Failure]]:
    """Every column in its registry type; a cell that is not a value of its type is a failure
    and becomes null (so the other checks see the rest of the row)."""
    failures: list[Failure] = []
    columns = []
    for f in res.fields:
        col = _column(strings, f.name)
        if f.type == "string":
            columns.append(col)
            continue
        present = pc.is_valid(col)
        if f.type == "boolean":
            odd = pc.and_(present, pc.invert(pc.is_in(col, value_set=pa.array(["true", "false"]))))
        else:
            odd = pc.and_(present, pc.invert(pc.fill_null(pc.match_substring_regex(col, SPELLING[f.type]), False)))
            if f.type == "date":
                odd = pc.or_(odd, pc.and_(present, pc.or_(pc.less(col, DATE_MIN), pc.greater(col, DATE_MAX))))
        out = None
        if not pc.any(odd).as_py():
            try:
                out = pc.equal(col, "true") if f.type == "boolean" else pc.cast(col, ARROW_TYPES[f.type])
            except (pa.ArrowInvalid, pa.ArrowNotImplementedError):  # overflow, or a 30 February
                out = None
        if out is None:
            out = _typed_cell_by_cell(res, f, col, failures)
        columns.append(out)
    return pa.table(columns, names=res.field_names), failures


def _typed_cell_by_cell(res: Resource, f: registry.Field, col: pa.Array, failures: list[Failure]) -> pa.Array:
    """The slow path for a column with odd cells: cells.parse_cell reads or explains each."""
    values = []
    for i, text in enumerate(col.to_pylist()):
        try:
            value = None if text is None else parse_cell(f, text)
            if value is not None:
                pa.array([value], ARROW_TYPES[f.type])  # a whole number too large for 64 bits
        except (ValueError, OverflowError, pa.ArrowInvalid) as exc:
            message = str(exc) if isinstance(exc, ValueError) and not isinstance(exc, pa.ArrowInvalid) \
                else f"{text!r} is out of range for a 64-bit {f.type}"
            failures.append(Failure(res.name, i, f.name, message))
            value = None
        values.append(value)
    return pa.array(values, ARROW_TYPES[f.type])


# --- one table's own rules ---------------------------------------------------------------------

def _describe(check: str, case: Any, field: registry.Field | None) -> str:
    if check == "not_nullable":
        return "required value is missing"
    if check == "field_uniqueness":
        return f"duplicate value {case!r}: must be unique"
    if check.startswith("isin") and field is not None:
        return f"{case!r} is not a code of codelist {field.codelist!r}"
    if check.startswith(f"str_matches('{FORMULA_SAFE[:8]}"):
        return f"{str(case)[:40]!r} starts with =, +, -, @, tab or CR, which a spreadsheet would run as a formula"
    if check.startswith("str_matches") and field is not None:
        return f"{case!r} does not match the pattern {field.pattern}"
    if check.startswith("str_length") and field is not None:
        return f"text of {len(str(case))} characters is longer than the limit of {field.length_limit}"
    if check.startswith(("greater_than", "less_than", "in_range")):
        return f"{case!r} is out of range ({check})"
    return f"{check}: {case!r}"


def schema_failures(res: Resource, table: pa.Table, codes: dict[str, list[str]]) -> list[Failure]:
    """The Pandera schema generated from the registry, on an Arrow-backed frame."""
    import pandera.pandas as pdr

    try:
        arrow_schema(res, codes).validate(table.to_pandas(types_mapper=pd.ArrowDtype), lazy=True)
        return []
    except pdr.errors.SchemaErrors as errors:
        cases = errors.failure_cases
    failures = []
    for case in cases.to_dict("records"):
        idx, column, check = case.get("index"), case.get("column"), str(case.get("check"))
        row = int(idx) if idx is not None and idx == idx and 0 <= int(idx) < table.num_rows else None
        if check == "multiple_fields_uniqueness" or (column not in res.field_names and row is not None):
            failures.append(Failure(res.name, row, "/".join(res.primary_key), "duplicate key"))
            continue
        fld = res.field(column) if column in res.field_names else None
        failures.append(Failure(res.name, row, str(column or ""), _describe(check, case.get("failure_case"), fld)))
    return failures


def rule_failures(res: Resource, table: pa.Table) -> list[Failure]:
    """Rules within a row: partial dates that are days of the calendar, fields that require
    others, and SetCount (exactly one of, at most one of...)."""
    failures = []
    for f in res.fields:
        if f.pattern == registry.PARTIAL_DATE and table.num_rows:
            col = _column(table, f.name)
            bad = {v: why for v in pc.unique(col.drop_null()).to_pylist()
                   if isinstance(v, str) and _PARTIAL.match(v) and (why := partial_date_problem(v))}
            if bad:
                mask = pc.is_in(col, value_set=pa.array(sorted(bad), pa.string()))
                values = col.to_pylist()
                failures += [Failure(res.name, i, f.name, bad[values[i]]) for i in _rows_where(mask)]
    for f in res.fields:
        for needed in f.requires:
            mask = pc.and_(pc.is_valid(table[f.name]), pc.is_null(table[needed]))
            failures += [Failure(res.name, i, needed, f"required when {f.name} is set") for i in _rows_where(mask)]
    for rule in res.rules:
        if isinstance(rule, SetCount) and table.num_rows:
            set_count = None
            for name in rule.fields:
                one = pc.cast(pc.is_valid(table[name]), pa.int8())
                set_count = one if set_count is None else pc.add(set_count, one)
            bad = pc.less(set_count, rule.least)
            if rule.most is not None:
                bad = pc.or_(bad, pc.greater(set_count, rule.most))
            failures += [Failure(res.name, i, rule.fields[0], rule.describe()) for i in _rows_where(bad)]
    return failures


# --- references between tables -----------------------------------------------------------------

def record_keys(res: Resource, table: pa.Table) -> pa.Array:
    """registry.record_key of every row, as one array."""
    cols = [pc.cast(_column(table, k), pa.string()) for k in res.primary_key]
    return cols[0] if len(cols) == 1 else pc.binary_join_element_wise(*cols, "/")


def keys_of_tables(tables: dict[str, pa.Table]) -> KeysOf:
    cache: dict[tuple[str, str | None], pa.Array] = {}

    def keys_of(table: str, field: str | None) -> pa.Array:
        if (table, field) not in cache:
            cache[table, field] = record_keys(registry.resource(table), tables[table]) if field is None \
                else pc.cast(_column(tables[table], field), pa.string())
        return cache[table, field]

    return keys_of


def reference_failures(res: Resource, table: pa.Table, keys_of: KeysOf,
                       unreadable: Iterable[str] = ()) -> list[Failure]:
    """Foreign keys and polymorphic record references, against the keys `keys_of` gives.
    References into tables already reported unreadable as a whole are not checked."""
    skip = set(unreadable)
    failures = []
    for name, ref_table, ref_field in res.foreign_keys:
        if ref_table in skip:
            continue
        col = pc.cast(table[name], pa.string())
        missing = pc.and_(pc.is_valid(col), pc.invert(pc.is_in(col, value_set=keys_of(ref_table, ref_field))))
        what = ("not an ISO 3166-1 alpha-3 code" if ref_table == "countries" else f"no such {ref_field} in {ref_table}")
        values = col.to_pylist() if pc.any(missing).as_py() else []
        failures += [Failure(res.name, i, name, f"unknown {ref_table} id {values[i]!r}: {what}")
                     for i in _rows_where(missing)]
    for rule in res.rules:
        if not isinstance(rule, RecordRef):
            continue
        targets = _column(table, rule.table_field)
        ids = _column(table, rule.id_field)
        for target in pc.unique(targets).drop_null().to_pylist():
            if target not in registry.RESOURCE_METADATA or not registry.resource(target).citable or target in skip:
                continue
            of_target = pc.fill_null(pc.equal(targets, target), False)
            missing = pc.and_(of_target, pc.invert(pc.is_in(ids, value_set=keys_of(target, None))))
            if pc.any(missing).as_py():
                values = ids.to_pylist()
                failures += [Failure(res.name, i, rule.id_field, f"no {target} record {values[i]!r}")
                             for i in _rows_where(missing)]
    return failures


def clash_failures(res: Resource, table: pa.Table, taken: KeysOf) -> list[Failure]:
    """Keys and unique values of new rows that rows kept from before already hold: uniqueness
    across a table of which only the new rows are at hand (the incremental rebuild)."""
    failures = []
    checks = [(None, record_keys(res, table))]
    checks += [(f.name, pc.cast(_column(table, f.name), pa.string())) for f in res.fields
               if f.unique and (f.name,) != res.primary_key]
    for field, values in checks:
        clash = pc.and_(pc.is_valid(values), pc.is_in(values, value_set=taken(res.name, field)))
        if pc.any(clash).as_py():
            shown = values.to_pylist()
            failures += [Failure(res.name, i, field or "/".join(res.primary_key),
                                 "duplicate key" if field is None else f"duplicate value {shown[i]!r}: must be unique")
                         for i in _rows_where(clash)]
    return failures


# --- a whole package ---------------------------------------------------------------------------

def codes_of(codelists: pa.Table) -> dict[str, list[str]]:
    from infratracker.core.reference import codes_by_list

    return codes_by_list(codelists.select(["codelist", "code", "position"]).to_pylist())


def key_columns(res: Resource) -> list[str]:
    """The columns reference checks read (of this table, or of others referring to it)."""
    referenced = {f for r in registry.RESOURCES for _n, t, f in r.foreign_keys if t == res.name}
    needed = set(res.primary_key) | referenced | {n for n, _t, _f in res.foreign_keys}
    for rule in res.rules:
        if isinstance(rule, RecordRef):
            needed |= {rule.table_field, rule.id_field}
    return [n for n in res.field_names if n in needed]


def check(strings: dict[str, pa.Table], references: bool = True, keep: bool = True,
          unreadable: Iterable[str] = ()) -> tuple[dict[str, pa.Table], list[Failure]]:
    """Typed tables and every failure, for text tables of a package (codelists among them).
    With `references`, foreign keys and record references are checked between the tables
    given. Without `keep`, a table that has no failure keeps only the columns reference checks
    need, so a build that only needs the verdict holds a fraction of the data."""
    codelists, failures = typed(registry.resource("codelists"), strings["codelists"])
    codes = codes_of(codelists)

    def one(name: str) -> tuple[pa.Table, list[Failure]]:
        res = registry.resource(name)
        table, found = (codelists, []) if name == "codelists" else typed(res, strings[name])
        found = found + _not_again(found, schema_failures(res, table, codes)) + rule_failures(res, table)
        return (table if keep or found else table.select(key_columns(res))), found

    # two tables at a time: Arrow's kernels release the GIL, so one table's parsing and RE2
    # checks overlap another's Pandera bookkeeping in Python
    with ThreadPoolExecutor(2) as pool:
        done = dict(zip(strings, pool.map(one, strings)))
    tables = {name: table for name, (table, _f) in done.items()}
    failures = [f for name in strings for f in done[name][1]]
    if references:
        keys_of = keys_of_tables(tables)
        for name in strings:
            failures += reference_failures(registry.resource(name), tables[name], keys_of, unreadable)
    return tables, failures


def _not_again(first: list[Failure], then: list[Failure]) -> list[Failure]:
    """A cell that failed its type is null afterwards: its 'required value is missing' is no news."""
    places = {(f.row, f.field) for f in first}
    return [f for f in then if (f.row, f.field) not in places]


def explain(failures: list[Failure], tables: dict[str, pa.Table], origin_of: OriginOf) -> list[Problem]:
    """Problems naming the file and record to blame for each failure."""
    problems = []
    for f in failures:
        row = tables[f.table].slice(f.row, 1).to_pylist()[0] if f.row is not None else {}
        file, record = origin_of(f.table, row)
        message = f"duplicate key {record!r} in {f.table}" if f.message == "duplicate key" else f.message
        problems.append(Problem(file, record, f.field, message))
    return problems


def check_csvs(csvs: dict[str, bytes], keep: bool = True):
    """The engine over the CSV bytes of some tables (codelists among them): (typed tables,
    failures, problems of form)."""
    strings, form = {}, []
    for name, data in csvs.items():
        res = registry.resource(name)
        table, found = csvio.text_table(data, res, f"data/{name}.csv")
        strings[name] = table if table is not None else csvio.empty_strings(res)
        form += found
    tables, failures = check(strings, keep=keep)
    return tables, failures, form


def read_typed(data: bytes, res: Resource, file: str) -> tuple[pa.Table | None, list[Problem]]:
    """One published CSV, typed, with every problem of form and type (not the schema's other
    rules); None when the file as a whole cannot be read."""
    strings, problems = csvio.text_table(data, res, file)
    if strings is None:
        return None, problems
    table, failures = typed(res, strings)
    # records named by their cells as written, before a bad cell was set to null
    return table, problems + explain(failures, {res.name: strings},
                                     lambda _t, row: (file, registry.record_key(res, row) if row else ""))
