"""Deterministic CSV writing and strict CSV reading, driven by the registry."""
from __future__ import annotations

import csv
import io
from typing import Any

from .frames import format_cell, parse_cell
from .extracts import file_problems
from .problems import Problem
from .registry import Resource, record_key


# The csv module's field limit is global and other libraries (frictionless) raise it on import;
# set it here so reading never depends on import order. Lengths are checked by the registry.
csv.field_size_limit(2**31 - 1)


def sort_rows(res: Resource, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    pk = [res.field(k) for k in res.primary_key]
    return sorted(rows, key=lambda r: tuple(format_cell(f, r.get(f.name)) for f in pk))


def write_csv(res: Resource, rows: list[dict[str, Any]]) -> bytes:
    """UTF-8 without BOM, `\\n` line ends, registry column order, rows sorted by key."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(res.field_names)
    for row in sort_rows(res, rows):
        writer.writerow([format_cell(f, row.get(f.name)) for f in res.fields])
    return buf.getvalue().encode("utf-8")


def read_csv(data: bytes, res: Resource, file: str) -> tuple[list[dict[str, Any]], list[Problem]]:
    """Rows of a published CSV as Python values, with every problem found (never raises)."""
    problems = file_problems(data, file)
    if problems:
        return [], problems
    text = data.decode("utf-8")
    try:
        records = list(csv.reader(io.StringIO(text, newline=""), strict=True))
    except csv.Error as exc:  # an unbalanced quote, or a field over the csv module's limit
        return [], [Problem(file, "", "", f"is not a well-formed CSV file: {exc}")]
    if not records:
        return [], [Problem(file, "", "", "empty file: expected a header row")]
    header = records[0]
    if header != res.field_names:
        dupes = sorted({h for h in header if header.count(h) > 1})
        why = f"duplicate columns {dupes}" if dupes else (
            "one column: is the delimiter ';'? the package uses ','" if len(header) == 1 and ";" in header[0] else
            f"expected {res.field_names}")
        return [], [Problem(file, "", "", f"header {header} differs from the registry's columns: {why}")]
    rows = []
    for line_no, cells in enumerate(records[1:], start=2):
        if len(cells) != len(header):
            problems.append(Problem(file, f"line {line_no}", "", f"has {len(cells)} fields, the header {len(header)}"))
            continue
        raw = dict(zip(header, cells))
        row: dict[str, Any] = {}
        for f in res.fields:
            try:
                row[f.name] = parse_cell(f, raw[f.name])
            except ValueError as exc:
                row[f.name] = None
                problems.append(Problem(file, record_key(res, raw), f.name, str(exc)))
        rows.append(row)
    return rows, problems


FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


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
            cells.append("'" + cell if f.type == "string" and cell.startswith(FORMULA_START) else cell)
        writer.writerow(cells)
    return ("\ufeff" + buf.getvalue()).encode("utf-8")
