"""One benchmark stage in its own process (so its peak memory is its own). Prints JSON.

    python -m infratracker.bench.stages STAGE CORPUS [PORT]
"""
from __future__ import annotations

import csv
import json
import sqlite3
import sys
import time
from pathlib import Path

from infratracker.core.paths import Layout


def timed(fn, *args):
    start = time.perf_counter()
    result = fn(*args)
    return result, round(time.perf_counter() - start, 3)


def stages(layout: Layout) -> dict:
    """The build, stage by stage, as `infratracker build` runs it."""
    from infratracker.core import registry
    from infratracker.assemble.merge import assemble
    from infratracker.check.engine import check_csvs
    from infratracker.publish.build import publish
    from infratracker.publish.render import render

    asm, t_assemble = timed(assemble, layout)
    outputs, t_render = timed(render, layout, asm.tables)
    csvs = {res.name: outputs[f"data/{res.name}.csv"] for res in registry.RESOURCES}
    (_tables, failures, form), t_validate = timed(check_csvs, csvs)
    assert not failures and not form, (failures[:3], form[:3])  # the corpus is valid
    _changed, t_publish = timed(publish, layout, outputs)
    rows = sum(len(t) for t in asm.tables.values())
    return {"rows": rows, "problems": len(asm.problems), "first_problems": [str(p) for p in asm.problems[:3]],
            "extracts_to_tables_s": t_assemble, "validation_s": t_validate,
            "descriptor_and_csv_s": t_render, "publish_s": t_publish}


def db_stage(layout: Layout) -> dict:
    import sqlite_utils

    from infratracker.core import registry
    from infratracker.publish.database import build_database, create_indexes, create_search, create_tables, load_rows
    from infratracker.check.package import validate_package

    tables, t_read = timed(validate_package, layout.descriptor)
    rows = sum(tables.count(n) for n in tables.names)
    path = layout.build / "load-only.db"
    path.unlink(missing_ok=True)
    db = sqlite_utils.Database(path)
    start = time.perf_counter()
    with db.conn:
        create_tables(db)
        load_rows(db, tables)
    t_load = round(time.perf_counter() - start, 3)
    start = time.perf_counter()
    with db.conn:
        create_indexes(db)
        create_search(db)
    t_index = round(time.perf_counter() - start, 3)
    db.close()
    path.unlink()
    _counts, t_full = timed(build_database, layout, layout.database)
    return {"rows": rows, "read_and_validate_csv_s": t_read, "insert_s": t_load,
            "insert_rows_per_s": round(rows / t_load), "indexes_and_fts_s": t_index, "db_command_s": t_full,
            "tables": len(registry.RESOURCES)}


def executemany(layout: Layout) -> dict:
    """Raw sqlite3.executemany of every CSV: the near-limit for loading."""
    from infratracker.core import registry

    path = layout.build / "executemany.db"
    path.unlink(missing_ok=True)
    conn = sqlite3.connect(path)
    start = time.perf_counter()
    rows = 0
    with conn:
        for res in registry.RESOURCES:
            cols = ", ".join(f'"{c}"' for c in res.field_names)
            conn.execute(f'create table "{res.name}" ({cols})')
            with open(layout.data / f"{res.name}.csv", newline="", encoding="utf-8") as fh:
                reader = csv.reader(fh)
                next(reader)
                marks = ", ".join("?" for _ in res.field_names)
                batch = list(reader)
                rows += len(batch)
                conn.executemany(f'insert into "{res.name}" values ({marks})', batch)
    seconds = time.perf_counter() - start
    conn.close()
    path.unlink()
    return {"rows": rows, "seconds": round(seconds, 3), "rows_per_s": round(rows / seconds)}


def pandas_read(layout: Layout) -> dict:
    import pandas as pd

    from infratracker.core import registry

    start = time.perf_counter()
    rows = sum(len(pd.read_csv(layout.data / f"{r.name}.csv", dtype=str, keep_default_na=False))
               for r in registry.RESOURCES)
    seconds = time.perf_counter() - start
    return {"rows": rows, "seconds": round(seconds, 3), "rows_per_s": round(rows / seconds)}


# What a user who outgrows SQLite asks of the Parquet downloads: citations per kind of record,
# and from how many sources. The same statement runs on the site's SQLite database, for scale.
GROUPED = ("select record_table, count(*) as citations, count(distinct source_id) as sources "
           "from {table} group by record_table order by citations desc, record_table")


def duckdb_parquet(layout: Layout) -> dict:
    """DuckDB reads the published citations.parquet (as downloaded from the site) and answers a
    grouped query; the same query on the SQLite database. Timed from a fresh connection."""
    path = layout.build / "downloads" / "parquet" / "citations.parquet"
    try:
        import duckdb
    except ImportError:  # an optional dependency (pyproject's `bench` extra; requirements.lock pins it)
        return {"skipped": "duckdb is not installed"}
    start = time.perf_counter()
    con = duckdb.connect()
    groups = con.execute(GROUPED.format(table="read_parquet($path)"), {"path": str(path)}).fetchall()
    query_s = time.perf_counter() - start
    rows = con.execute("select count(*) from read_parquet($path)", {"path": str(path)}).fetchone()[0]
    con.close()
    start = time.perf_counter()
    db = sqlite3.connect(f"file:{layout.database}?immutable=1", uri=True)
    in_sqlite = db.execute(GROUPED.format(table="citations")).fetchall()
    sqlite_s = time.perf_counter() - start
    db.close()
    return {"duckdb": duckdb.__version__, "parquet_bytes": path.stat().st_size, "rows": rows,
            "groups": [list(g) for g in groups], "query_s": round(query_s, 3),
            "same_as_sqlite": [tuple(g) for g in groups] == [tuple(g) for g in in_sqlite],
            "sqlite_query_s": round(sqlite_s, 3)}


def serve_ours(layout: Layout, port: str) -> None:
    """What `make serve` runs: `infratracker serve`, with its default number of processes."""
    from infratracker.serve.server import serve

    serve(layout, "127.0.0.1", int(port))


def serve_default(layout: Layout, port: str) -> None:
    """Datasette with its default settings on the plain sqlite-utils database, without our plugin."""
    from datasette.cli import cli
    from datasette.plugins import pm

    plugin = pm.get_plugin("infratracker")
    if plugin is not None:
        pm.unregister(plugin)
    cli.main(["serve", str(layout.build / "plain" / "infratracker.db"), "-h", "127.0.0.1", "-p", port],
             standalone_mode=True)


def main(argv: list[str]) -> int:
    stage, corpus = argv[0], Layout(Path(argv[1]))
    if stage == "serve-ours":
        serve_ours(corpus, argv[2])
        return 0
    if stage == "serve-default":
        serve_default(corpus, argv[2])
        return 0
    result = {"stages": stages, "db": db_stage, "executemany": executemany, "pandas": pandas_read,
              "duckdb": duckdb_parquet}[stage](corpus)
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
