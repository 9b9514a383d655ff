"""build/infratracker.db: schema from the registry, checks, and the old database kept on failure."""
import sqlite3

import pytest

from infratracker import registry
from infratracker.db import build_database
from infratracker.problems import ProblemsFound

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
