"""`infratracker publish`: build, db and site in one process give exactly what the three
commands give, and a step that fails stops the ones after it, with the earlier ones published."""
import os
import sqlite3

import pytest
from test_downloads import rebuild, site_files

from infratracker.bench.run import Progress, add_article_files, write_corpus
from infratracker.cli import main
from infratracker.core import registry
from infratracker.core.paths import Layout
from infratracker.intake import lexicon_cache
from infratracker.publish.snapshot import signature


def made(folder) -> Layout:
    layout = write_corpus(folder, 12, Progress(True))
    rebuild(layout)
    return layout


@pytest.fixture
def corpus(tmp_path) -> Layout:
    return made(tmp_path / "corpus")


def published(layout: Layout) -> dict[str, bytes]:
    files = [layout.descriptor, *sorted(layout.data.glob("*.csv"))]
    return {layout.rel(p): p.read_bytes() for p in files}


def database_rows(layout: Layout) -> dict[str, list[tuple]]:
    conn = sqlite3.connect(layout.database)
    try:
        # by key: an incremental update appends, a full load writes in the CSV's order
        return {r.name: conn.execute(f'select * from "{r.name}" order by ' +
                                     ", ".join(f'"{k}"' for k in r.primary_key)).fetchall() for r in registry.RESOURCES}
    finally:
        conn.close()


def test_publish_equals_build_db_and_site(corpus, tmp_path, capsys):
    other = made(tmp_path / "other")  # made as the corpus was, so both take the incremental paths
    add_article_files(corpus, 12, 20)
    add_article_files(other, 12, 20)
    capsys.readouterr()
    assert main(["--root", str(corpus.root), "publish"]) == 0
    out = capsys.readouterr().out
    # each step's own report, in order, each the incremental one
    assert [line for line in out.splitlines() if line.endswith(":")] == ["build:", "db:", "site:"]
    assert "incremental: only new extracts" in out and "incremental: only the changed rows" in out
    assert "incremental: downloads of the changed tables only" in out
    for step in ("build", "db", "site"):
        assert main(["--root", str(other.root), step]) == 0
    assert published(corpus) == published(other)
    assert database_rows(corpus) == database_rows(other)
    ours, theirs = site_files(corpus), site_files(other)
    theirs["build/inspect.json"] = theirs["build/inspect.json"].replace(str(other.root).encode(), str(corpus.root).encode())
    assert sorted(ours) == sorted(theirs)
    assert [name for name in ours if ours[name] != theirs[name]] == []
    # last, the drafter's lexicon of the published data, for the next add-article
    assert "drafter's lexicon made for the next add-article" in out
    assert (lexicon_cache.folder(corpus) / f"{lexicon_cache.key(corpus)}.pickle").is_file()


def test_a_failed_build_runs_nothing_after_it(corpus, capsys):
    before, db, site = published(corpus), signature(corpus.database), site_files(corpus)
    (corpus.extracts / "broken.yaml").write_text("source: [unclosed\n", encoding="utf-8")
    capsys.readouterr()
    assert main(["--root", str(corpus.root), "publish"]) == 1
    err = capsys.readouterr().err
    assert "extracts/broken.yaml" in err
    assert "infratracker publish: build failed; nothing after it was run" in err
    assert "Traceback" not in err
    assert published(corpus) == before and signature(corpus.database) == db and site_files(corpus) == site


def test_a_failed_db_leaves_the_build_published(corpus, capsys):
    add_article_files(corpus, 12, 20)
    site = site_files(corpus)
    # the database's place taken by a folder: `db` cannot put a file there
    os.replace(corpus.database, corpus.build / "moved.db")
    corpus.database.mkdir()
    capsys.readouterr()
    assert main(["--root", str(corpus.root), "publish"]) == 1
    err = capsys.readouterr().err
    assert "build/infratracker.db is unchanged" in err
    assert "infratracker publish: db failed; build published, nothing after it was run" in err
    assert "Traceback" not in err
    assert "bench-wire-000012" in (corpus.data / "sources.csv").read_text(encoding="utf-8")  # the build's output
    assert corpus.database.is_dir() and site_files(corpus) == site
