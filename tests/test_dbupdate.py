"""The incremental update of the database against the full load: after new articles, a changed
record and a removed one, every table, view and full-text index must hold what a full load of
the same CSVs holds; on anything unusual the full load runs, and bad input never reaches the
published database."""
import hashlib
import json
import shutil
import sqlite3

import pytest
from test_incremental import write_article

from infratracker.bench.run import Progress, add_article_files, write_corpus
from infratracker.cli import main
from infratracker.core import registry
from infratracker.core.paths import Layout
from infratracker.core.problems import ProblemsFound
from infratracker.publish import dbupdate, snapshot
from infratracker.publish.build import build_and_publish
from infratracker.publish.database import build_database
from infratracker.serve.datasette_plugin.reloading import signature as served_signature

FTS = [(r.name, r.primary_key[0]) for r in registry.RESOURCES if r.search]


@pytest.fixture
def corpus(tmp_path) -> Layout:
    layout = write_corpus(tmp_path / "corpus", 30, Progress(True))
    build_and_publish(layout)
    loaded = dbupdate.load_database(layout)
    assert not loaded.incremental and "no saved database state" in loaded.full_because
    return layout


def contents(path) -> dict[str, list[tuple]]:
    """Every table and view, rows sorted (rowids are not content: an updated database gives a
    new row the next rowid, a full load the rowid of its place in the CSV), the schema, and
    what every FTS5 index finds for every word of every indexed text, with its bm25 rank."""
    conn = sqlite3.connect(path)
    try:
        out: dict[str, list[tuple]] = {"schema": sorted(conn.execute(
            "select type, name, tbl_name, sql from sqlite_master where name not like 'sqlite_%'"))}
        names = [n for (n,) in conn.execute("select name from sqlite_master where type in ('table', 'view') "
                                             "and name not like 'sqlite_%' and name not like '%_fts_%'")]
        for name in names:
            rows = conn.execute(f'select * from "{name}"').fetchall()
            out[name] = sorted(rows, key=repr)
        for table, key in [*FTS, ("search_index", "record_table || '/' || t.record_id")]:
            column = key if table == "search_index" else f"t.{key}"
            words: set[str] = set()
            cols = [c[1] for c in conn.execute(f'pragma table_info("{table}_fts")')]
            for row in conn.execute(f'select {", ".join(cols)} from "{table}_fts"'):
                words |= {w.lower() for v in row if isinstance(v, str) for w in v.split() if w.isalnum()}
            found = []
            for word in sorted(words):
                found += [(word, *hit) for hit in conn.execute(
                    f'select {column}, round(bm25("{table}_fts"), 6) from "{table}_fts" '
                    f'join "{table}" t on t.rowid = "{table}_fts".rowid where "{table}_fts" match ?', [f'"{word}"'])]
            out[f"fts {table}"] = sorted(found)
        return out
    finally:
        conn.close()


def fts_integrity(path) -> None:
    """FTS5's own check that each index holds exactly what its content table holds."""
    conn = sqlite3.connect(path)
    try:
        for table in [t for t, _k in FTS] + ["search_index"]:
            conn.execute(f"insert into \"{table}_fts\" (\"{table}_fts\") values ('integrity-check')")
    finally:
        conn.close()


def full_load(layout: Layout, tmp_path) -> dict[str, list[tuple]]:
    path = tmp_path / "full.db"
    path.unlink(missing_ok=True)
    build_database(layout, path)
    return contents(path)


def assert_same_as_full_load(layout: Layout, tmp_path) -> None:
    fts_integrity(layout.database)
    ours, full = contents(layout.database), full_load(layout, tmp_path)
    assert ours.keys() == full.keys()
    for name in full:
        assert ours[name] == full[name], name


def test_new_articles_update_the_database_as_a_full_load_would(corpus, tmp_path):
    for i in (30, 31):  # later articles also return to earlier projects: their citations change search text
        add_article_files(corpus, i, 40)
        assert build_and_publish(corpus)[0].incremental
        before = served_signature(str(corpus.database))
        loaded = dbupdate.load_database(corpus)
        assert loaded.incremental, loaded.full_because
        assert loaded.changes["projects"] == (10, 0, 0) and loaded.changes["citations"][0] >= 100
        assert served_signature(str(corpus.database)) != before  # what the running server watches
    assert_same_as_full_load(corpus, tmp_path)
    conn = sqlite3.connect(corpus.database)
    hits = conn.execute("select record_id from search_index where rowid in (select rowid from search_index_fts "
                        "where search_index_fts match ?)", ['"prj-310"']).fetchall()
    conn.close()
    assert hits == [("prj-310",)]


def test_changed_and_removed_records_are_updated_and_deleted(corpus, tmp_path):
    """A contradicting source renames a project and moves its status (updates, conflicts); then
    an article is removed, which the build does in full: the database still takes only the rows
    that changed, deletions included."""
    def contradict(doc, say):
        doc["projects"].append({
            "id": "prj-5", "name": "Renamed Corridor 5", "aliases": ["The Fifth Corridor"], "evidence": [
                {"quote": say("Project 5 is now called the Renamed Corridor 5."), "field": "name"}],
            "status_events": [{"status": "cancelled", "event_date": "2030-01",
                               "quote": say("Project 5 was cancelled in January 2030.")}],
        })
        doc["source"]["published_date"] = "2031-01-01"

    write_article(corpus, 30, 40, contradict)
    assert build_and_publish(corpus)[0].incremental
    loaded = dbupdate.load_database(corpus)
    assert loaded.incremental and loaded.changes["projects"][1] >= 1 and "conflicts" in loaded.changes
    assert_same_as_full_load(corpus, tmp_path)

    (corpus.extracts / "bench-wire-000029.yaml").unlink()
    (corpus.archive / "bench-wire-000029.txt").unlink()
    assert not build_and_publish(corpus)[0].incremental
    loaded = dbupdate.load_database(corpus)
    assert loaded.incremental, loaded.full_because
    assert loaded.changes["projects"][2] == 10 and loaded.changes["sources"] == (0, 0, 1)
    assert_same_as_full_load(corpus, tmp_path)


def test_nothing_changed_leaves_the_file_alone(corpus):
    before = served_signature(str(corpus.database))
    loaded = dbupdate.load_database(corpus)
    assert loaded.incremental and loaded.changes == {}
    assert served_signature(str(corpus.database)) == before


@pytest.mark.parametrize("change", ["no_state", "other_database", "code", "copy_gone", "full"])
def test_anything_unusual_gets_the_full_load(corpus, tmp_path, change, monkeypatch):
    add_article_files(corpus, 30, 40)
    build_and_publish(corpus)
    if change == "no_state":
        dbupdate.forget(corpus)
    elif change == "other_database":
        build_database(corpus)  # another file than the state describes, though the same rows
    elif change == "copy_gone":
        (corpus.build / "state" / "db" / "citations.csv").unlink()
    elif change == "code":
        monkeypatch.setattr(snapshot, "fingerprint", lambda reference: "another version")
    loaded = dbupdate.load_database(corpus, incremental_ok=change != "full")
    assert not loaded.incremental
    assert loaded.full_because == {
        "no_state": "no saved database state (a first load, or the last one did not finish)",
        "other_database": "the database is not the one the last load wrote",
        "code": "the code or the reference data changed",
        "copy_gone": "the saved state does not fit the files (FileNotFoundError)", "full": None}[change]
    assert_same_as_full_load(corpus, tmp_path)
    add_article_files(corpus, 31, 40)  # the full load saved a fresh state
    build_and_publish(corpus)
    assert dbupdate.load_database(corpus).incremental


def test_an_edited_csv_is_reported_and_the_database_kept(corpus, capsys):
    before = corpus.database.read_bytes()
    with open(corpus.data / "projects.csv", "a", encoding="utf-8") as fh:
        fh.write("extra,row\n")
    assert main(["--root", str(corpus.root), "db"]) == 1
    err = capsys.readouterr().err
    assert "data/projects.csv" in err and "Traceback" not in err
    assert corpus.database.read_bytes() == before
    assert [p.name for p in corpus.build.iterdir() if ".tmp" in p.name] == []


def test_a_broken_foreign_key_that_fits_every_record_is_caught_and_the_database_kept(corpus, monkeypatch):
    """A CSV that agrees with datapackage.json and with the build state, yet cites a source that
    does not exist: only SQLite's deferred foreign-key check at commit sees it; then the full
    load runs and reports it, and the published database is untouched."""
    add_article_files(corpus, 30, 40)
    build_and_publish(corpus)
    before = corpus.database.read_bytes()
    path = corpus.data / "citations.csv"
    data = path.read_bytes().replace(b",bench-wire-000030,", b",bench-wire-999999,")
    tmp = path.with_suffix(".new")
    tmp.write_bytes(data)
    tmp.replace(path)  # renamed into place, as a build does
    digest = hashlib.sha256(data).hexdigest()
    descriptor = json.loads(corpus.descriptor.read_text(encoding="utf-8"))
    for res in descriptor["resources"]:
        if res["name"] == "citations":
            res["hash"], res["bytes"] = f"sha256:{digest}", len(data)
    corpus.descriptor.write_text(json.dumps(descriptor), encoding="utf-8")
    state = corpus.build / "state" / "manifest.json"
    manifest = json.loads(state.read_text(encoding="utf-8"))
    manifest["outputs"]["data/citations.csv"] = digest
    state.write_text(json.dumps(manifest), encoding="utf-8")
    calls = []
    real = dbupdate._write_copy

    def spy(*args):
        try:
            real(*args)
        except dbupdate.Unsure as exc:
            calls.append(str(exc))
            raise

    monkeypatch.setattr(dbupdate, "_write_copy", spy)
    with pytest.raises(ProblemsFound) as err:
        dbupdate.load_database(corpus)
    assert calls == ["a changed row breaks a foreign key"]
    assert "bench-wire-999999" in err.value.report()
    assert corpus.database.read_bytes() == before
    assert [p.name for p in corpus.build.iterdir() if ".tmp" in p.name] == []


def test_the_cli_says_what_it_did(corpus, capsys):
    add_article_files(corpus, 30, 40)
    build_and_publish(corpus)
    assert main(["--root", str(corpus.root), "db"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("incremental: only the changed rows were applied (sources +1 ~0 -0;"), out
    assert main(["--root", str(corpus.root), "db", "--full"]) == 0
    assert "wrote build/infratracker.db" in capsys.readouterr().out
    shutil.rmtree(corpus.build / "state" / "db")
    assert main(["--root", str(corpus.root), "db"]) == 0
    assert capsys.readouterr().out.startswith("full load: no saved database state")
