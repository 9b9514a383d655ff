"""Deterministic CSV writing and strict CSV reading, driven by the registry."""
from __future__ import annotations

import csv
import io
import operator
import re
from typing import Any, BinaryIO

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from infratracker.core.cells import format_cell
from infratracker.core.problems import Problem
from infratracker.core.registry import Resource
from infratracker.core.textfiles import file_problems


# The csv module's field limit is global and other libraries (frictionless) raise it on import;
# set it here so reading never depends on import order. Lengths are checked by the registry.
csv.field_size_limit(2**31 - 1)


def _column(f, rows: list[dict[str, Any]]) -> list[str]:
    """One column as written to CSV (cells.format_cell), built a column at a time."""
    return _formatted(f, [row.get(f.name) for row in rows])


def _formatted(f, values) -> list[str]:
    if f.type == "string":
        return ["" if v is None else v for v in values]
    return [format_cell(f, v) for v in values]


def _columns(res: Resource, rows: list[dict[str, Any]]) -> list[np.ndarray]:
    """Every column's values as an object array (references to the rows' own values), a C-level
    pass per column when every row has every key (and no tuple per row: a million short-lived
    tuples leave the allocator's arenas fragmented)."""
    n = len(rows)
    try:
        return [np.fromiter(map(operator.itemgetter(name), rows), dtype=object, count=n)
                for name in res.field_names]
    except KeyError:
        return [np.fromiter((row.get(name) for row in rows), dtype=object, count=n) for name in res.field_names]


def sort_rows(res: Resource, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    keys = list(zip(*(_column(res.field(k), rows) for k in res.primary_key)))
    return [rows[i] for i in sorted(range(len(rows)), key=keys.__getitem__)]


KEY_SEPARATOR = "\x00"  # joins the cells of a composite key so that strings sort as the tuples do


def write_csv(res: Resource, rows: list[dict[str, Any]]) -> bytes:
    """UTF-8 without BOM, `\\n` line ends, registry column order, rows sorted by key: exactly
    what Python's csv writer gives (`write_csv_rows`), built column-wise in Arrow, which sorts,
    quotes and joins a million rows in a fraction of the time."""
    return render_csv(res, rows)[0]


def render_csv(res: Resource, rows: list[dict[str, Any]]):
    """write_csv's bytes, and where each row is: its sort key (the key cells joined by
    KEY_SEPARATOR) and the byte offset of its line, in file order."""
    import pyarrow as pa
    import pyarrow.compute as pc

    def text_of(s: str) -> pa.Scalar:
        return pa.scalar(s, pa.large_string())

    header = (",".join(res.field_names) + "\n").encode("utf-8")
    if not rows:
        return header, pa.array([], pa.large_string()), np.zeros(0, dtype=np.int64)
    values = _columns(res, rows)
    keys = pa.table({k: pa.array(_formatted(res.field(k), values[res.field_names.index(k)]), pa.large_string())
                     for k in res.primary_key})
    order = pc.sort_indices(keys, sort_keys=[(k, "ascending") for k in res.primary_key])
    keys = keys.take(order).combine_chunks()
    sortkeys = keys.column(0).chunk(0) if len(res.primary_key) == 1 else \
        pc.binary_join_element_wise(*[c.chunk(0) for c in keys.columns], text_of(KEY_SEPARATOR))
    del keys
    order = order.to_numpy()
    # Each chunk's rows are taken from the Python values, made Arrow text and written as lines
    # into one growing buffer. Only a chunk of the table is ever Arrow text at once (before, the
    # whole table was, 165 MiB for the citations at the build's peak), and no list of pieces is
    # joined at the end (it held the CSV twice, 118 MiB); BytesIO grows in place and hands over
    # its buffer without a copy.
    out = io.BytesIO()
    out.write(header)
    starts = []
    for first in range(0, len(rows), CHUNK_ROWS):
        taken = order[first:first + CHUNK_ROWS]
        body, offsets = _lines([pa.array(_formatted(f, values[i][taken]), pa.large_string())
                                for i, f in enumerate(res.fields)], text_of)
        starts.append(out.tell() + offsets)
        out.write(body)
        del body
    del values
    return out.getvalue(), sortkeys, np.concatenate(starts)


# Rows made Arrow text and CSV lines at once. At 50,000 a chunk's transient text no longer
# raises the 10,000-article build's peak above the rows' own (1,939 -> 1,872-1,884 MiB with
# the checks; 200,000 added ~65 MiB while the citations were rendered).
CHUNK_ROWS = 50_000


def _lines(cells, text_of):
    """CSV lines of some rows, from one text array per column; (their bytes as a uint8 array,
    offset of each line)."""
    import pyarrow.compute as pc

    quoted_cells = []
    for col in cells:
        text = value_bytes(col)
        if may_need_quotes(text):
            doubled = pc.replace_substring(col, '"', '""') if b'"' in text else col
            quoted = pc.binary_join_element_wise(text_of('"'), doubled, text_of('"'), text_of(""))
            col = pc.if_else(pc.match_substring_regex(col, NEEDS_QUOTES), quoted, col)
        quoted_cells.append(col)
    lines = pc.binary_join_element_wise(*quoted_cells, text_of(","))
    del quoted_cells
    # "\n" inserted after each line's end: one copy, where another join would make two
    offsets = np.frombuffer(lines.buffers()[1], dtype=np.int64)[lines.offset:lines.offset + len(lines) + 1]
    values = np.frombuffer(lines.buffers()[2], dtype=np.uint8)[offsets[0]:offsets[-1]]
    body = np.insert(values, offsets[1:] - offsets[0], np.uint8(ord("\n")))
    return body, offsets[:-1] - offsets[0] + np.arange(len(offsets) - 1, dtype=np.int64)


def write_csv_rows(res: Resource, rows: list[dict[str, Any]]) -> bytes:
    """The same bytes as write_csv, with Python's csv writer: the reference it is tested against."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(res.field_names)
    ordered = sort_rows(res, rows)
    writer.writerows(zip(*(_column(f, ordered) for f in res.fields)) if ordered else [])
    return buf.getvalue().encode("utf-8")


# --- reading ---------------------------------------------------------------------------------

NEEDS_QUOTES = r'[,"\n]'  # a cell Python's csv writer quotes (QUOTE_MINIMAL, "\n" line ends)


def may_need_quotes(text: bytes) -> bool:
    """Whether any cell of a column (its values end to end) can need quoting: where none can,
    the per-cell NEEDS_QUOTES regex is skipped."""
    return b"," in text or b'"' in text or b"\n" in text


class NotCanonical(Exception):
    """The bytes are not exactly what the package's writer gives; Arrow's reading of them is
    not trusted."""


def read_strings(data: bytes, res: Resource) -> pa.Table:
    """Every column as text (empty cells as nulls), if `data` is exactly what our writer gives;
    else raises NotCanonical."""
    if data.startswith(b"\xef\xbb\xbf") or b"\r" in data or b"\x00" in data:  # UTF-8 itself: Arrow checks it
        raise NotCanonical("byte-level problems")
    try:
        table = pacsv.read_csv(
            pa.py_buffer(data),
            read_options=pacsv.ReadOptions(block_size=1 << 24),
            parse_options=pacsv.ParseOptions(newlines_in_values=True),
            convert_options=pacsv.ConvertOptions(
                column_types={n: pa.string() for n in res.field_names}, null_values=[""],
                strings_can_be_null=True, quoted_strings_can_be_null=True, include_columns=None),
        )
        names = table.column_names
    except (pa.ArrowInvalid, pa.ArrowTypeError, UnicodeDecodeError) as exc:  # bad UTF-8 in the header
        raise NotCanonical(str(exc)) from None
    if names != res.field_names:
        raise NotCanonical("header")
    if canonical_size(table) != len(data):
        raise NotCanonical("not in canonical form")  # e.g. blank lines, extra quoting, `"ab"c`
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


def empty_strings(res: Resource) -> pa.Table:
    return pa.table({n: pa.array([], pa.string()) for n in res.field_names})


def text_table(data: bytes, res: Resource, file: str) -> tuple[pa.Table | None, list[Problem]]:
    """A CSV's cells as text (empty as null), with every problem of form found; None when the
    file as a whole cannot be read. Exactly-canonical bytes are read by Arrow; anything else
    (a hand-edited file) by Python's csv module, which names each problem of form."""
    try:
        return read_strings(data, res), []
    except NotCanonical:
        pass
    problems = file_problems(data, file)
    if problems:
        return None, problems
    text = data.decode("utf-8")
    try:
        records = list(csv.reader(io.StringIO(text, newline=""), strict=True))
    except csv.Error as exc:  # an unbalanced quote, or a field over the csv module's limit
        return None, [Problem(file, "", "", f"is not a well-formed CSV file: {exc}")]
    if not records:
        return None, [Problem(file, "", "", "empty file: expected a header row")]
    header = records[0]
    if header != res.field_names:
        dupes = sorted({h for h in header if header.count(h) > 1})
        why = f"duplicate columns {dupes}" if dupes else (
            "one column: is the delimiter ';'? the package uses ','" if len(header) == 1 and ";" in header[0] else
            f"expected {res.field_names}")
        return None, [Problem(file, "", "", f"header {header} differs from the registry's columns: {why}")]
    rows = []
    for line_no, cells in enumerate(records[1:], start=2):
        if len(cells) != len(header):
            problems.append(Problem(file, f"line {line_no}", "", f"has {len(cells)} fields, the header {len(header)}"))
            continue
        rows.append([c or None for c in cells])
    columns = list(zip(*rows)) if rows else [()] * len(header)
    return pa.table([pa.array(list(c), pa.string()) for c in columns], names=res.field_names), problems


FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
# Spreadsheets trim leading blanks before deciding that a cell is a formula, so " =cmd|..." runs
# too: whitespace of any kind (and zero-width characters) does not hide a formula.
FORMULA_BEHIND_BLANKS = re.compile(r"[\s\u200b-\u200d\u2060\ufeff]*[=+\-@]")


def spreadsheet_csv(res: Resource, rows: list[dict[str, Any]]) -> bytes:
    """A variant for spreadsheets: BOM (Excel then reads UTF-8), CRLF, and any text cell that a
    spreadsheet would run as a formula prefixed with an apostrophe. The data itself refuses such
    cells; this guards anything that gets past it."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(res.field_names)
    for row in sort_rows(res, rows):
        cells = []
        for f in res.fields:
            cell = format_cell(f, row.get(f.name))
            risky = cell.startswith(FORMULA_START) or FORMULA_BEHIND_BLANKS.match(cell)
            cells.append("'" + cell if f.type == "string" and risky else cell)
        writer.writerow(cells)
    return ("\ufeff" + buf.getvalue()).encode("utf-8")


# A superset of what FORMULA_START and FORMULA_BEHIND_BLANKS catch, in RE2 (which has no
# Unicode \s): every kind of blank Python's \s matches, and all of Unicode's separators.
_RISKY_RE2 = (r"^[\t\n\x0b\x0c\r\x1c-\x1f \x{85}\x{a0}\x{1680}\x{2000}-\x{200d}\x{2028}\x{2029}\x{202f}"
              r"\x{205f}\x{2060}\x{3000}\x{feff}\pZ]*[=+\-@]|^[\t\r]")


def spreadsheet_from_canonical(res: Resource, data: bytes, table: pa.Table | None = None) -> bytes | None:
    """The file spreadsheet_csv gives, made from the package's canonical CSV of the same rows,
    or None (see spreadsheet_ready)."""
    if not spreadsheet_ready(res, data, table):
        return None
    out = io.BytesIO()
    write_spreadsheet_body(out, data)
    return SPREADSHEET_BOM + out.getvalue()


SPREADSHEET_BOM = b"\xef\xbb\xbf"  # Excel then reads UTF-8
SPREADSHEET_BLOCK = 8 << 20


def spreadsheet_ready(res: Resource, data: bytes, table: pa.Table | None = None) -> bool:
    """Whether spreadsheet_csv's bytes after the BOM are `data` with CRLF line ends, so they can
    be made without parsing the rows into Python values (10 s against 0.5 s for a million
    citations): not when a cell would need the apostrophe, nor when a line break inside a cell
    would need care (the caller then uses spreadsheet_csv). `table`: the rows of `data` already
    read (their text columns are read_strings'). A test compares the two on every table."""
    if table is None:
        try:
            table = read_strings(data, res)  # raises NotCanonical for a \r anywhere
        except NotCanonical:
            return False
    if b"\r" in data or data.count(b"\n") != table.num_rows + 1:  # a line break inside a quoted cell
        return False
    for f in res.fields:
        if f.type == "string" and table[f.name].null_count < table.num_rows:
            if pc.any(pc.match_substring_regex(table[f.name], _RISKY_RE2)).as_py():
                return False
    return True


def write_spreadsheet_body(fh: BinaryIO, data: bytes) -> None:
    """`data` with CRLF line ends, block by block: never a second copy of a 120 MB file in
    memory (a line end is one byte, so no block boundary can split one)."""
    view = memoryview(data)
    for start in range(0, len(data), SPREADSHEET_BLOCK):
        fh.write(bytes(view[start:start + SPREADSHEET_BLOCK]).replace(b"\n", b"\r\n"))
