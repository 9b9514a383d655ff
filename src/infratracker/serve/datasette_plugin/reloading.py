"""A running site picks up a rebuilt database without a restart and without dropping a request.

`infratracker db` writes the new file beside the old one and renames it into place, so the path
always names a whole database. Datasette opens an immutable database once per SQL thread and
keeps the connection, on the old file, forever. `ReloadingDatabase` looks at the file's
signature (inode, size, mtime: one stat) before each query; when it has changed, the thread
opens the new file and closes its old connection after the query in flight there has ended.
A query that began on the old file finishes on it (its inode stays readable while open). The
table counts of the new file are Datasette's own (`inspect.json` describes the old one).
"""
from __future__ import annotations

import asyncio
import os
import threading

from datasette.database import Database, Results

_local = threading.local()


def signature(path: str) -> tuple[int, int, int] | None:
    try:
        st = os.stat(path)
    except OSError:
        return None  # mid-rename on some systems: keep using what is open
    return (st.st_ino, st.st_size, st.st_mtime_ns)


class ReloadingDatabase(Database):
    def __init__(self, ds, path: str):
        super().__init__(ds, path=path, is_mutable=False)
        self.opened_signature = signature(path)

    def _current(self) -> tuple[int, int, int] | None:
        now = signature(self.path)
        if now is not None and now != self.opened_signature:
            self.opened_signature = now
            # the counts and hash Datasette cached (and read from inspect.json) were the old file's
            self._cached_table_counts = {}
            self.cached_hash = self.cached_size = None
        return self.opened_signature

    def _connection(self):
        wanted = self._current()
        held = getattr(_local, "connections", None)
        if held is None:
            held = _local.connections = {}
        entry = held.get(self.name)
        if entry is None or entry[0] != wanted:
            if entry is not None:
                entry[1].close()
            conn = self.connect()
            self.ds._prepare_connection(conn, self.name)
            entry = held[self.name] = (wanted, conn)
        return entry[1]

    async def execute_fn(self, fn):
        if self.ds.executor is None:  # Datasette's non-threaded mode: one connection
            return fn(self._connection())
        return await asyncio.get_event_loop().run_in_executor(self.ds.executor, lambda: fn(self._connection()))

    # Answers some statements without running them (facet_counts.FacetCounts): set by the plugin.
    facet_counts = None

    async def execute(self, sql, params=None, *args, **kwargs):
        counts = self.facet_counts
        if counts is not None and " as value, count(*) as count from (" in sql:
            def answer(conn):  # in the SQL thread, just after _connection() chose conn's file
                return counts.answer(conn, _local.connections[self.name][0], sql, params)

            rows = await self.execute_fn(answer)
            if rows is not None:
                return Results(rows, False, [("value",), ("count",)])
        return await super().execute(sql, params, *args, **kwargs)

    @property
    def cached_table_counts(self):
        if self._cached_table_counts == {}:  # after a reload: count afresh, as for a new file
            return None
        return super().cached_table_counts


def install(datasette, name: str) -> None:
    """Serve the immutable database `name` through ReloadingDatabase (same file, same route)."""
    old = datasette.databases.get(name)
    if old is None or old.is_mutable or not old.path:
        return
    new = ReloadingDatabase(datasette, old.path)
    new._cached_table_counts = old._cached_table_counts
    new.name, new.route = old.name, old.route
    databases = datasette.databases.copy()
    databases[name] = new
    datasette.databases = databases  # replaced whole, as Datasette's add_database does
