"""The columnar path: read published CSVs with Arrow and check them with vectorized Pandera.

It proves a package valid; it does not explain an invalid one. Each step refuses anything it
is not sure of (a file not in the exact form our writer produces, a cell Arrow would read
differently from `frames.parse_cell`, any failed check), and then the caller runs the row-wise
path (csvio + Pandera over Python rows), which names every problem with file, record and field.
So the columnar path is never more lenient than the row-wise one; tests/test_columnar.py checks
that on generated tables and corruptions.
"""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any, Iterator

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from . import registry
from .registry import DATE_MAX, DATE_MIN, Resource
from .schemas import ARROW_TYPES, arrow_schema

# The spelling of a cell of each type as our writer gives it (frames.format_cell); a cell
# spelled otherwise goes to the row-wise path.
SPELLING = {
    "integer": r"^-?[0-9]+$",
    "number": r"^-?[0-9]+(\.[0-9]+)?(e[-+]?[0-9]+)?$",
    "date": r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$",
}


NEEDS_QUOTES = r'[,"\n]'  # a cell Python's csv writer quotes (QUOTE_MINIMAL, "\n" line ends)


def may_need_quotes(text: bytes) -> bool:
    """Whether any cell of a column (its values end to end) can need quoting: where none can,
    the per-cell NEEDS_QUOTES regex is skipped."""
    return b"," in text or b'"' in text or b"\n" in text


class NotProven(Exception):
    """The columnar path cannot vouch for this input; use the row-wise path."""


def read_strings(data: bytes, res: Resource) -> pa.Table:
    """Every column as text (empty cells as nulls), if `data` is exactly what our writer gives."""
    if data.startswith(b"\xef\xbb\xbf") or b"\r" in data or b"\x00" in data:  # UTF-8 itself: Arrow checks it
        raise NotProven("byte-level problems")
    try:
        table = pacsv.read_csv(
            pa.py_buffer(data),
            read_options=pacsv.ReadOptions(block_size=1 << 24),
            parse_options=pacsv.ParseOptions(newlines_in_values=True),
            convert_options=pacsv.ConvertOptions(
                column_types={n: pa.string() for n in res.field_names}, null_values=[""],
                strings_can_be_null=True, quoted_strings_can_be_null=True, include_columns=None),
        )
    except (pa.ArrowInvalid, pa.ArrowTypeError) as exc:
        raise NotProven(str(exc)) from None
    if table.column_names != res.field_names:
        raise NotProven("header")
    if canonical_size(table) != len(data):
        raise NotProven("not in canonical form")  # e.g. blank lines, extra quoting, `"ab"c`
    return table


def canonical_size(table: pa.Table) -> int:
    """Bytes of the CSV our writer would produce for these cells: a file of any other size is
    not in canonical form, so Arrow's reading of it is not trusted. Python's csv writer
    (QUOTE_MINIMAL, "\\n" line ends) quotes a cell holding `,`, `"` or a newline, doubling `"`."""
    size = len(",".join(table.column_names)) + 1 + table.num_rows * table.num_columns  # commas and "\n"
    for col in table.columns:
        if col.null_count == len(col):
            continue
        text = b"".join(value_bytes(chunk) for chunk in col.chunks)
        size += len(text) + text.count(b'"')  # each `"` is doubled
        if may_need_quotes(text):
            size += 2 * (pc.sum(pc.match_substring_regex(col, NEEDS_QUOTES)).as_py() or 0)
    return size


def value_bytes(arr: pa.Array) -> bytes:
    """The text of a string array's values, end to end, as UTF-8 bytes."""
    if len(arr) == 0 or arr.buffers()[2] is None:
        return b""
    offsets = np.frombuffer(arr.buffers()[1], dtype=np.int64 if pa.types.is_large_string(arr.type) else np.int32)
    return memoryview(arr.buffers()[2])[offsets[arr.offset]:offsets[arr.offset + len(arr)]].tobytes()


def _typed_column(f: registry.Field, col: pa.Array) -> pa.Array:
    if f.type == "string":
        return col
    present = col.drop_null()
    if f.type == "boolean":
        if len(present) and not pc.all(pc.is_in(present, value_set=pa.array(["true", "false"]))).as_py():
            raise NotProven(f.name)
        return pc.equal(col, "true")
    if len(present) and not pc.all(pc.match_substring_regex(present, SPELLING[f.type])).as_py():
        raise NotProven(f.name)
    if f.type == "date" and len(present):
        if pc.min(present).as_py() < DATE_MIN or pc.max(present).as_py() > DATE_MAX:
            raise NotProven(f.name)
    try:
        return pc.cast(col, ARROW_TYPES[f.type])  # overflow or a 30 February raises
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        raise NotProven(f.name) from None


def typed_table(res: Resource, strings: pa.Table) -> pa.Table:
    return pa.table([_typed_column(f, strings[f.name]) for f in res.fields], names=res.field_names)


def arrow_frame(table: pa.Table) -> pd.DataFrame:
    return table.to_pandas(types_mapper=pd.ArrowDtype)


def check_schema(res: Resource, table: pa.Table, codes: dict[str, list[str]]) -> None:
    import pandera.pandas as pdr

    try:
        arrow_schema(res, codes).validate(arrow_frame(table), lazy=True)
    except pdr.errors.SchemaErrors:
        raise NotProven(res.name) from None


def _key_strings(res: Resource, table: pa.Table) -> pa.Array:
    """registry.record_key of every row, as one array."""
    cols = [table[k] if table[k].type == pa.string() else pc.cast(table[k], pa.string()) for k in res.primary_key]
    return cols[0] if len(cols) == 1 else pc.binary_join_element_wise(*cols, "/")


def check_keys(tables: dict[str, pa.Table]) -> None:
    """Foreign keys, polymorphic record references and the registry's row rules, as
    validate.key_problems checks them row by row."""
    def all_in(values: pa.Array, allowed: pa.Array) -> bool:
        values = values.drop_null()
        return len(values) == 0 or pc.all(pc.is_in(values, value_set=allowed)).as_py()

    citable = {r.name: _key_strings(r, tables[r.name]) for r in registry.RESOURCES if r.citable}
    for res in registry.RESOURCES:
        table = tables[res.name]
        for name, ref_table, ref_field in res.foreign_keys:
            if not all_in(table[name], tables[ref_table][ref_field]):
                raise NotProven(f"{res.name}.{name}")
        check_row_rules(res, table)
        if "record_table" in res.field_names:
            for target in pc.unique(table["record_table"]).drop_null().to_pylist():
                if target not in citable:
                    continue  # as in the row-wise path, only references into citable tables are checked
                mask = pc.fill_null(pc.equal(table["record_table"], target), False)
                if not all_in(pc.filter(table["record_id"], mask), citable[target]):
                    raise NotProven(f"{res.name}.record_id")


def check_row_rules(res: Resource, table: pa.Table) -> None:
    """The registry's rules within a row: fields that require others, and a party that is
    exactly one of a country or a bloc."""
    for f in res.fields:
        for needed in f.requires:
            if pc.any(pc.and_(pc.is_valid(table[f.name]), pc.is_null(table[needed]))).as_py():
                raise NotProven(f"{res.name}.{needed}")
    if res.name == "agreement_parties" and len(table):
        if pc.any(pc.equal(pc.is_null(table["country_id"]), pc.is_null(table["bloc_id"]))).as_py():
            raise NotProven("agreement_parties")


def check_partial_dates(res: Resource, table: pa.Table) -> None:
    """Partial dates the registry's pattern admits and the calendar does not (2025-02-30, 0000)."""
    from .frames import partial_date_problem

    for f in res.fields:
        if f.pattern == registry.PARTIAL_DATE and f.name in table.column_names:
            if any(partial_date_problem(v) for v in pc.unique(table[f.name].drop_null()).to_pylist()):
                raise NotProven(f"{res.name}.{f.name}")


def codes_of(codelists: pa.Table) -> dict[str, list[str]]:
    from .reference import codes_by_list

    return codes_by_list(codelists.select(["codelist", "code", "position"]).to_pylist())


def _key_columns(res: Resource) -> list[str]:
    """The columns check_keys reads."""
    referenced = {f for r in registry.RESOURCES for _n, t, f in r.foreign_keys if t == res.name}
    needed = set(res.primary_key) | referenced | {n for n, _t, _f in res.foreign_keys}
    needed |= {f.name for f in res.fields if f.requires} | {n for f in res.fields for n in f.requires}
    needed |= {"record_table", "record_id", "country_id", "bloc_id"} & set(res.field_names)
    return [n for n in res.field_names if n in needed]


def prove(csvs: dict[str, bytes], keys: bool = True, keep: bool = True) -> dict[str, pa.Table]:
    """Typed, checked Arrow tables of the CSV bytes of some tables (codelists among them);
    with `keys`, of every table, foreign keys included. Raises NotProven. Without `keep`, only
    the columns the key checks need are kept once a table's own checks pass (a build that only
    needs the verdict then holds a fraction of the data)."""
    codelists = typed_table(registry.resource("codelists"), read_strings(csvs["codelists"],
                                                                         registry.resource("codelists")))
    codes = codes_of(codelists)

    def one(name: str) -> pa.Table:
        res = registry.resource(name)
        table = codelists if name == "codelists" else typed_table(res, read_strings(csvs[name], res))
        check_schema(res, table, codes)
        check_partial_dates(res, table)
        return table if keep else table.select(_key_columns(res))

    # two tables at a time: Arrow's kernels release the GIL, so one table's parsing and RE2
    # checks overlap another's Pandera bookkeeping in Python
    with ThreadPoolExecutor(2) as pool:
        tables = dict(zip(csvs, pool.map(one, csvs)))
    if keys:
        check_keys(tables)
    return tables


# --- Arrow tables to what the rest of the package uses --------------------------------------

def python_rows(table: pa.Table) -> list[dict[str, Any]]:
    """Rows as frames.parse_cell gives them: str, int, float, bool, datetime.date or None."""
    return table.to_pylist()


def sql_tuples(res: Resource, table: pa.Table) -> Iterator[tuple[Any, ...]]:
    """Rows in registry order as SQLite values: booleans as 0/1, dates as ISO text."""
    columns = []
    for f in res.fields:
        col = table[f.name]
        if f.type == "boolean":
            col = pc.cast(col, pa.int64())
        elif f.type == "date":
            col = pc.cast(col, pa.string())
        columns.append(col.to_pylist())
    return zip(*columns)


def pandas_frame(res: Resource, table: pa.Table, codes: dict[str, list[str]]) -> pd.DataFrame:
    """The frame `load()` gives: the same dtypes as frames.typed_frame."""
    columns = {}
    for f in res.fields:
        col = table[f.name]
        if f.codelist:
            values = col.to_pylist()
            listed = codes.get(f.codelist, [])
            extra = sorted({v for v in values if v is not None} - set(listed))
            columns[f.name] = pd.Categorical(values, categories=[*listed, *extra])
        elif f.type == "date":
            columns[f.name] = pc.cast(col, pa.timestamp("ns")).to_pandas().astype("datetime64[ns]")
        elif f.type == "string":
            columns[f.name] = pd.arrays.StringArray._from_sequence(col.to_pylist(), dtype=pd.StringDtype())
        elif f.type == "integer":
            columns[f.name] = pd.Int64Dtype().__from_arrow__(col)
        elif f.type == "boolean":
            columns[f.name] = pd.BooleanDtype().__from_arrow__(col)
        else:
            columns[f.name] = col.to_pandas()
    return pd.DataFrame(columns, columns=res.field_names)


__all__ = ["NotProven", "prove", "read_strings", "typed_table", "check_schema", "check_keys", "python_rows",
           "sql_tuples", "pandas_frame"]
