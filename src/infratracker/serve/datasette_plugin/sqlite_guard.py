"""What one SQL statement on the site may do: a read-only authorizer, SQLite's own size limits,
and a cap on the bytes of the rows it returns."""
from __future__ import annotations

import sqlite3
import threading

# Defence in depth under Datasette's own SELECT-only rule: what the authorizer refuses.
DENIED_ACTIONS = {getattr(sqlite3, name) for name in (
    "SQLITE_ATTACH", "SQLITE_DETACH", "SQLITE_INSERT", "SQLITE_UPDATE", "SQLITE_DELETE",
    "SQLITE_CREATE_TABLE", "SQLITE_CREATE_INDEX", "SQLITE_CREATE_VIEW", "SQLITE_CREATE_TRIGGER",
    "SQLITE_CREATE_TEMP_TABLE", "SQLITE_CREATE_TEMP_VIEW", "SQLITE_CREATE_TEMP_TRIGGER",
    "SQLITE_CREATE_TEMP_INDEX", "SQLITE_CREATE_VTABLE", "SQLITE_DROP_TABLE", "SQLITE_DROP_INDEX",
    "SQLITE_DROP_VIEW", "SQLITE_DROP_TRIGGER", "SQLITE_DROP_VTABLE", "SQLITE_ALTER_TABLE",
    "SQLITE_REINDEX", "SQLITE_ANALYZE", "SQLITE_TRANSACTION", "SQLITE_SAVEPOINT")}
# The `file` column of database_list is an absolute path of this machine. Datasette itself runs
# `PRAGMA database_list` (a statement users cannot send), so only the table-valued form, which
# users can SELECT from, is refused.
DENIED_TABLES = {"pragma_database_list"}
# printf (and its alias format) with `%.*c` and a huge precision loops inside one C call for
# seconds in SQLite 3.40 (Debian 12's), past every limit below: measured 5.4 s for a precision of
# 999,999,999 with a 2 MiB value limit. No other function loops on a count it is given.
DENIED_FUNCTIONS = {"load_extension", "readfile", "writefile", "edit", "fts3_tokenizer", "printf", "format"}

# A single C call (printf('%.*c', 999999999, 'x'), randomblob(1e8), replace() on a big blob) is
# never interrupted by Datasette's time limit, which SQLite checks between VM steps; what bounds
# it is the size of the value it may build. No stored value comes near these sizes (the largest
# are search-index rows of one record's quotes).
LIMITS = {
    sqlite3.SQLITE_LIMIT_LENGTH: 2 * 2**20,          # one string, blob or row
    sqlite3.SQLITE_LIMIT_SQL_LENGTH: 100_000,        # one statement's text
    sqlite3.SQLITE_LIMIT_LIKE_PATTERN_LENGTH: 1_000,  # LIKE/GLOB backtracking grows with the pattern
}
# Rows are built in Python before a response is written: this caps one statement's result.
RESULT_BYTES = 8 * 2**20

_last = threading.local()


class ResultTooLarge(sqlite3.OperationalError):
    """Raised while fetching: Datasette answers it as a 400 like any other bad query."""


def capped_row(cursor: sqlite3.Cursor, row: tuple) -> sqlite3.Row:
    """Datasette's row factory (sqlite3.Row), counting the bytes a statement has returned.

    Each SQL thread runs one statement at a time, and each statement gets a new cursor, so the
    count restarts when the cursor changes."""
    if getattr(_last, "cursor", None) is not cursor:
        _last.cursor, _last.size = cursor, 0
    _last.size += sum(len(v) if isinstance(v, (str, bytes)) else 8 for v in row)
    if _last.size > RESULT_BYTES:
        _last.cursor = None
        raise ResultTooLarge(f"the result is larger than {RESULT_BYTES // 2**20} MiB: "
                             "ask for fewer rows (_size, limit) or fewer columns")
    return sqlite3.Row(cursor, row)


def read_only_authorizer(action, arg1, arg2, _db, _trigger):
    # SQLite asks to "update sqlite_master.type" whenever it connects an eponymous or FTS5
    # virtual table for a SELECT; the file is opened immutable, so nothing can be written.
    if action == sqlite3.SQLITE_UPDATE and arg1 == "sqlite_master":
        return sqlite3.SQLITE_OK
    if action in DENIED_ACTIONS:
        return sqlite3.SQLITE_DENY
    if action == sqlite3.SQLITE_READ and (arg1 or "").lower() in DENIED_TABLES:
        return sqlite3.SQLITE_DENY
    if action == sqlite3.SQLITE_FUNCTION and (arg2 or "").lower() in DENIED_FUNCTIONS:
        return sqlite3.SQLITE_DENY
    return sqlite3.SQLITE_OK


def guard(conn: sqlite3.Connection) -> None:
    conn.set_authorizer(read_only_authorizer)
    for limit, value in LIMITS.items():
        conn.setlimit(limit, value)
    conn.row_factory = capped_row
