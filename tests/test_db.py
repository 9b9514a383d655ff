"""build/infratracker.db: schema from the registry, checks, and the old database kept on failure."""
import sqlite3

import pytest

from infratracker.core import registry
from infratracker.core.problems import ProblemsFound
from infratracker.publish.database import build_database

SQL_TYPES = {"string": "TEXT", "integer": "INTEGER", "number": "REAL", "boolean": "INTEGER", "date": "TEXT"}


@pytest.fixture
def db(checkout):
    path = checkout.build / "test.db"
    counts = build_database(checkout, path)
    conn = sqlite3.connect(path)
    yield conn, counts
    conn.close()


@pytest.mark.parametrize("res", registry.RESOURCES, ids=lambda r: r.name)
def test_tables_follow_the_registry(db, res):
    conn, counts = db
    cols = conn.execute(f'pragma table_info("{res.name}")').fetchall()
    assert [c[1] for c in cols] == res.field_names
    assert {c[1]: c[2] for c in cols} == {f.name: SQL_TYPES[f.type] for f in res.fields}
    assert [c[1] for c in sorted(cols, key=lambda c: c[5]) if c[5]] == list(res.primary_key)
    fks = {(r[3], r[2], r[4]) for r in conn.execute(f'pragma foreign_key_list("{res.name}")')}
    assert fks == set(res.foreign_keys)
    indexed = {conn.execute(f'pragma index_info("{i[1]}")').fetchone()[2]
               for i in conn.execute(f'pragma index_list("{res.name}")')}
    for column in {n for n, _t, _f in res.foreign_keys} | set(res.facets) - {res.primary_key[0]}:
        assert column in indexed, column
    assert conn.execute(f'select count(*) from "{res.name}"').fetchone()[0] == counts[res.name]


def test_database_is_clean_and_not_wal(db):
    conn, _ = db
    assert conn.execute("pragma integrity_check").fetchone() == ("ok",)
    assert conn.execute("pragma foreign_key_check").fetchall() == []
    assert conn.execute("pragma journal_mode").fetchone() == ("delete",)
    assert conn.execute("select count(*) from sqlite_stat1").fetchone()[0] > 0  # ANALYZE ran


def test_codes_with_leading_zeros_stay_text(db):
    conn, _ = db
    assert conn.execute("select iso_numeric, typeof(iso_numeric) from countries where country_id = 'AFG'"
                        ).fetchone() == ("004", "text")
    assert conn.execute("select iso_alpha2 from countries where country_id = 'NAM'").fetchone() == ("NA",)


def test_full_text_search_finds_canonical_record_from_source_spelling(db):
    conn, _ = db
    hits = conn.execute("select record_table, record_id from search_index where rowid in "
                        "(select rowid from search_index_fts where search_index_fts match ?)",
                        ["Pezehizyan"]).fetchall()
    assert ("people", "masoud-pezeshkian") in hits
    stemmed = conn.execute("select project_id from projects where rowid in (select rowid from projects_fts "
                           "where projects_fts match 'corridors')").fetchall()  # porter: corridor
    assert ("instc",) in stemmed


def test_views_answer_questions(db):
    conn, _ = db
    conn.row_factory = sqlite3.Row
    row = conn.execute("select * from project_overview where project_id = 'caspian-ports-cooperation'").fetchone()
    assert (row["countries"], row["agreements"], row["funding_constraints"]) == (
        "Iran (partner); Kazakhstan (partner)", 1, 1)
    constrained = {r["project_id"] for r in conn.execute(
        "select project_id from projects_facing_constraints where constraint_id = 'western-sanctions-on-iran'")}
    assert constrained == {"instc", "kazakhstan-turkmenistan-iran-railway", "caspian-ports-cooperation"}
    ev = conn.execute("select record_name, publisher from evidence where record_id = 'astana'").fetchone()
    assert tuple(ev) == ("Astana", "Seetao")


def test_failed_load_keeps_the_old_database(checkout):
    path = checkout.build / "kept.db"
    build_database(checkout, path)
    before = path.read_bytes()
    csv = checkout.data / "projects.csv"
    csv.write_bytes(csv.read_bytes() + b"extra,row\n")
    with pytest.raises(ProblemsFound) as info:
        build_database(checkout, path)
    assert "data/projects.csv" in info.value.report()
    assert path.read_bytes() == before
    assert [p.name for p in checkout.build.iterdir() if p.name.endswith(".tmp")] == []


def test_full_disk_gives_a_message_and_keeps_the_old_database(checkout, monkeypatch, capsys):
    """A real SQLITE_FULL: the new database may not grow past a few pages, as on a full disk."""
    import sqlite_utils

    from infratracker.publish import database
    from infratracker.cli import main

    assert main(["--root", str(checkout.root), "db"]) == 0
    before = checkout.database.read_bytes()
    capsys.readouterr()

    class FullDisk(sqlite_utils.Database):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self.conn.execute("pragma max_page_count = 20")

    monkeypatch.setattr(database.sqlite_utils, "Database", FullDisk)
    assert main(["--root", str(checkout.root), "db"]) == 1
    err = capsys.readouterr().err
    assert "database or disk is full" in err and "build/infratracker.db is unchanged" in err, err
    assert "Traceback" not in err and str(checkout.root) not in err
    assert checkout.database.read_bytes() == before
    assert [p.name for p in checkout.build.iterdir() if ".tmp" in p.name] == []


def test_files_left_by_a_killed_load_are_removed_by_the_next_run(checkout):
    import os
    import signal
    import subprocess
    import sys
    import time

    cmd = [sys.executable, "-m", "infratracker.cli", "--root", str(checkout.root), "db"]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while not list(checkout.build.glob(".infratracker.db.*.tmp-journal")) and time.monotonic() < deadline:
        time.sleep(0.005)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    left = sorted(p.name for p in checkout.build.glob(".infratracker.db.*"))
    assert left == [f".infratracker.db.{proc.pid}.tmp", f".infratracker.db.{proc.pid}.tmp-journal"]
    assert subprocess.run(cmd, capture_output=True).returncode == 0
    assert sorted(p.name for p in checkout.build.glob(".infratracker.db.*")) == []
    conn = sqlite3.connect(checkout.database)
    assert conn.execute("pragma integrity_check").fetchone() == ("ok",)
    conn.close()
