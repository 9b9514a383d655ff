"""Facet counts from columns held in memory, for the immutable database: the same rows SQLite
would return, without reading ~50,000 index entries per facet.

Datasette counts a facet with one SQL statement per facet column, over the page's filtered rows.
At 100k projects each takes 1-6 ms for a filter on the key and up to 150 ms (past the 200 ms
facet limit when three run, so facets vanish) for a key range and a facet value together: SQLite
has no counted b-trees, so a count reads every matching entry.

The database file never changes while it is served (a rebuilt file is a new file, see
reloading.py), so a table's facet columns can be read once, in key order, as small integer codes.
A facet statement is answered here only when its filters are all of two kinds whose meaning is
exact on those codes:
- a range on the table's one-column text key (`"project_id" > :p0`, >=, <, <=): the rows it keeps
  are a contiguous run in key order, whose bounds SQLite itself counts on the key's index (one
  `count(*)` with the same comparison, so collation and affinity are SQLite's);
- equality of a facet column with a text value (`"sector" = :p1`, a facet chosen on the page).
Anything else (full-text search, `_where`, other operators, non-text values, other tables or
columns) goes to SQLite as before. The statement must be exactly the one Datasette 0.65.5 builds
(FACET_SQL); another version's statement is simply not recognised.
"""
from __future__ import annotations

import re
import sqlite3
import threading
from dataclasses import dataclass

import numpy as np
from cachetools import LRUCache

from infratracker.core import registry

# datasette/facets.py, ColumnFacet.facet_results (0.65.5), with the table view's
# `select <columns> from <table> [where <clauses> ]` inside.
FACET_SQL = re.compile(
    r"\s*select (?P<col>\w+|\[[^\]]+\]) as value, count\(\*\) as count from \(\n"
    r"\s*select (?P<cols>[^()]+?) from (?P<table>\w+|\[[^\]]+\]) (?:where (?P<where>[^()]*?) )?\n"
    r"\s*\)\n"
    r"\s*where (?P=col) is not null\n"
    r"\s*group by (?P=col) order by count desc, value limit (?P<limit>\d+)\s*")
# One clause of Datasette's Filters: a quoted column, an operator, a named parameter.
CLAUSE = re.compile(r'"(?P<col>[^"]+)" (?P<op>>=|<=|>|<|=) :(?P<param>\w+)')
RANGE_OPS = {">", ">=", "<", "<="}
# Key-range counts kept (a few hundred bytes each; keys are bounded by the URL length limit).
RANGE_COUNTS = 4096


def _unquote(name: str) -> str:
    return name[1:-1] if name.startswith("[") else name


@dataclass
class TableCodes:
    """A table's facet columns in key order: per column, one code per row (-1 for null) and the
    distinct values the codes stand for."""
    rows: int
    key: str
    codes: dict[str, np.ndarray]
    values: dict[str, list[str]]
    lookup: dict[str, dict[str, int]]


def read_table(conn: sqlite3.Connection, table: str) -> TableCodes | None:
    """The codes of a registry table's facet columns, or None when they could not give exactly
    SQLite's answers (a key that is not one text column, a collation, non-text values)."""
    res = registry.RESOURCE_METADATA.get(table)
    if res is None or len(res.primary_key) != 1 or not res.facets:
        return None
    key = res.primary_key[0]
    schema = conn.execute("select sql from sqlite_master where type = 'table' and name = ?", [table]).fetchone()
    if schema is None or "collate" in (schema[0] or "").lower():
        return None
    declared = {r[1]: (r[2] or "").upper() for r in conn.execute(f'pragma table_info("{table}")').fetchall()}
    columns = [c for c in res.facets if c != key and declared.get(c) == "TEXT"]
    if declared.get(key) != "TEXT" or not columns:
        return None
    rows = conn.execute(f'select count(*), count("{key}") from "{table}"').fetchone()
    if rows[0] != rows[1]:  # a null key would sort outside every range
        return None
    quoted = ", ".join(f'"{c}"' for c in columns)
    codes = {c: np.empty(rows[0], dtype=np.int32) for c in columns}
    lookup: dict[str, dict[str, int]] = {c: {} for c in columns}
    cursor = conn.cursor()
    cursor.row_factory = None  # plain tuples, and not the site's cap on one statement's result bytes
    i = -1
    for i, row in enumerate(cursor.execute(f'select {quoted} from "{table}" order by "{key}"')):
        for c, v in zip(columns, row):
            if v is None:
                codes[c][i] = -1
                continue
            if type(v) is not str:
                return None
            known = lookup[c]
            code = known.get(v)
            if code is None:
                code = known[v] = len(known)
            codes[c][i] = code
    if i + 1 != rows[0]:
        return None
    values = {c: list(lookup[c]) for c in columns}
    return TableCodes(rows[0], key, codes, values, lookup)


class FacetCounts:
    """Per database file and table, the codes (read on first use, once)."""

    def __init__(self):
        self.lock = threading.Lock()
        self.tables: dict[tuple, TableCodes | None] = {}
        # A page's facets share its filter: its key range is counted once, not once per facet.
        self.range_counts: LRUCache = LRUCache(maxsize=RANGE_COUNTS)
        self.answered = 0

    def range_count(self, conn, signature, table: str, column: str, op: str, value: str) -> int:
        key = (signature, table, column, op, value)
        n = self.range_counts.get(key)
        if n is None:
            n = conn.execute(f'select count(*) from "{table}" where "{column}" {op} ?', [value]).fetchone()[0]
            self.range_counts[key] = n
        return n

    def codes(self, conn, signature, table: str) -> TableCodes | None:
        key = (signature, table)
        if key not in self.tables:
            with self.lock:  # one reading of a table, however many threads ask at once
                if key not in self.tables:
                    self.tables = {k: v for k, v in self.tables.items() if k[0] == signature}  # an old file's go
                    self.tables[key] = read_table(conn, table)
        return self.tables[key]

    def answer(self, conn: sqlite3.Connection, signature, sql: str, params) -> list[sqlite3.Row] | None:
        """The rows of Datasette's facet statement `sql`, or None to let SQLite answer it."""
        m = FACET_SQL.fullmatch(sql)
        if m is None:
            return None
        column, table = _unquote(m["col"]), _unquote(m["table"])
        if column not in [_unquote(c) for c in m["cols"].split(", ")]:
            return None
        params = params or {}
        if not isinstance(params, dict):
            return None
        clauses = []
        for part in (m["where"].split(" and ") if m["where"] else []):
            c = CLAUSE.fullmatch(part)
            if c is None or not isinstance(params.get(c["param"]), str):
                return None
            clauses.append((c["col"], c["op"], params[c["param"]]))
        found = self.codes(conn, signature, table)
        if found is None or column not in found.codes:
            return None
        start, stop, equal = 0, found.rows, []
        for col, op, value in clauses:
            if op in RANGE_OPS and col == found.key:
                # how many rows pass, counted by SQLite on the key's index: they are the last
                # (> and >=) or first (< and <=) rows in key order
                n = self.range_count(conn, signature, table, col, op, value)
                if op in (">", ">="):
                    start = max(start, found.rows - n)
                else:
                    stop = min(stop, n)
            elif op == "=" and col in found.codes:
                equal.append((col, found.lookup[col].get(value)))
            else:
                return None
        size = len(found.values[column])
        if start >= stop or any(code is None for _c, code in equal):
            counts = np.zeros(size, dtype=np.int64)
        else:
            picked = found.codes[column][start:stop]
            if equal:
                keep = np.ones(stop - start, dtype=bool)
                for col, code in equal:
                    keep &= found.codes[col][start:stop] == code
                picked = picked[keep]
            counts = np.bincount(picked[picked >= 0], minlength=size)
        pairs = sorted(((-int(n), found.values[column][i]) for i, n in enumerate(counts) if n),)
        pairs = pairs[:int(m["limit"])]
        shape = conn.execute("select null as value, null as count limit 0")  # rows shaped as SQLite's
        self.answered += 1
        return [sqlite3.Row(shape, (value, -negative)) for negative, value in pairs]
