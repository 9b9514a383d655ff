"""Deterministic CSV writing and strict CSV reading, driven by the registry."""
from __future__ import annotations

import csv
import io
from typing import Any

from .frames import format_cell, parse_cell
from .problems import Problem
from .registry import Resource, record_key


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
    problems: list[Problem] = []
    if data.startswith(b"\xef\xbb\xbf"):
        return [], [Problem(file, "", "", "starts with a byte-order mark; save as UTF-8 without BOM")]
    nul = data.find(b"\x00")
    if nul >= 0:
        return [], [Problem(file, "", "", f"contains a NUL byte at offset {nul}")]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        return [], [Problem(file, "", "", f"not valid UTF-8 at byte {exc.start} (is it cp1252?)")]
    if "\r" in text:
        problems.append(Problem(file, "", "", "has CR line ends; the package uses \\n"))
    records = list(csv.reader(io.StringIO(text, newline="")))
    if not records:
        return [], [Problem(file, "", "", "empty file: expected a header row")]
    header = records[0]
    if header != res.field_names:
        return [], [Problem(file, "", "", f"header {header} differs from the registry's columns {res.field_names}")]
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
