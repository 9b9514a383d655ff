"""The benchmark at a smoke size (CI runs only this; `make bench` runs the real sizes), and the
per-extract cache that makes rebuilds cheaper. No timing is asserted: figures are reported."""
import json

import pytest
from support import snapshot

from infratracker.bench import run
from infratracker.cli import main
from infratracker.core import captures

EXTRACT = "extracts/seetao-2025-12-16-yiha-summit.yaml"


def test_synthetic_articles_are_deterministic_and_their_quotes_occur():
    text, doc = run.article(7, 10)
    assert run.article(7, 10) == (text, doc)
    body = captures.normalise(text)
    quotes = [e["quote"] for section in ("projects", "agreements", "countries", "people")
              for rec in doc[section] for e in rec.get("evidence", [])]
    assert len(quotes) > 40 and all(captures.normalise(q) in body for q in quotes)


def test_the_tracker_shape_is_a_large_trackers_sources(tmp_path):
    """issue 15, target 4: most articles come back to known projects (about 6 sources a project,
    as AidData's 6.8), about 10 citations an article, later sources disagreeing on some claims;
    the corpus builds clean, and its article i is the same every time."""
    shape = run.SHAPES["tracker"]
    assert shape.article(12, 40) == shape.article(12, 40)
    layout = run.write_corpus(tmp_path / "corpus", 200, run.Progress(True), shape)
    assert main(["--root", str(layout.root), "build"]) == 0
    rows = run.count_rows(layout)
    assert rows["sources"] == 200 and rows["projects"] == shape.projects(200) == 40
    assert 8 * 200 <= rows["citations"] <= 12 * 200
    assert rows["conflicts"] > 0
    import csv

    with open(layout.data / "citations.csv", newline="", encoding="utf-8") as fh:
        sources = {}
        for cit in csv.DictReader(fh):
            if cit["record_table"] == "projects":
                sources.setdefault(cit["record_id"], set()).add(cit["source_id"])
    assert len(sources) == 40 and 4 <= sum(map(len, sources.values())) / 40 <= 8


@pytest.mark.slow
def test_bench_smoke_run(tmp_path):
    results = run.run_bench([3], tmp_path, serve_seconds=0.5, quiet=True)
    (size,) = results["sizes"]
    assert size["full_build"]["returncode"] == 0
    assert size["rows"]["projects"] == 30 and size["rows"]["citations"] > 250
    assert size["stages"]["problems"] == 0
    assert size["frictionless_validate"]["valid"] is True
    assert size["validate_package_ours"]["returncode"] == 0
    assert size["sqlite_ours"]["rows"] == size["executemany"]["rows"] == size["pandas_read_csv"]["rows"]
    duck = size["duckdb_parquet"]  # DuckDB read the published Parquet: every citation, SQLite's answer
    assert duck["returncode"] == 0 and duck["rows"] == size["rows"]["citations"] and duck["same_as_sqlite"] is True
    assert sum(g[1] for g in duck["groups"]) == size["rows"]["citations"]
    for server in ("serve_ours", "serve_datasette_defaults"):
        assert all(w["errors"] == 0 and w["requests"] > 0 for w in size[server].values()), size[server]
    loop = size["curator_loop"]  # a capture through add-article and publish, served without a restart
    assert "error" not in loop, loop
    assert all(loop[step]["returncode"] == 0 for step in ("add_article", "publish"))
    assert loop["served_after_s"] is not None and loop["total_s"] > 0 and loop["all_done_s"] > 0
    assert size["rebuild_one_article"]["returncode"] == 0
    assert size["rebuild_one_article"]["incremental"]  # the full build before it left a state
    assert size["rebuild_one_article_full"]["returncode"] == 0
    assert size["db_full"]["returncode"] == size["db_one_article"]["returncode"] == 0
    assert size["db_one_article"]["incremental"]  # the loop's `db` takes the incremental update
    assert json.loads((tmp_path / "results.json").read_text())["sizes"][0]["articles"] == 3
    assert "| 3 | 30 |" in (tmp_path / "results.md").read_text()
    assert "DuckDB grouped query s" in (tmp_path / "results.md").read_text()


def test_duckdb_reads_the_published_parquet_as_the_csv_says(site_built):
    """The bench's DuckDB stage on the real package: its grouped counts are the CSV's."""
    import pandas as pd

    from infratracker.bench.stages import duckdb_parquet

    result = duckdb_parquet(site_built)
    citations = pd.read_csv(site_built.data / "citations.csv", dtype=str, keep_default_na=False)
    expected = {table: (len(rows), rows["source_id"].nunique()) for table, rows in citations.groupby("record_table")}
    assert {g[0]: (g[1], g[2]) for g in result["groups"]} == expected
    assert result["rows"] == len(citations) and result["same_as_sqlite"] is True


def test_cache_is_used_and_never_hides_a_changed_archive(checkout, capsys):
    assert main(["--root", str(checkout.root), "build"]) == 0
    cached = list((checkout.build / "cache" / "extracts").glob("*.pickle"))
    assert len(cached) == 1
    before = snapshot(checkout)
    archive = checkout.archive / "seetao-2025-12-16-yiha-summit.txt"
    archive.write_bytes(archive.read_bytes().replace(b"Astana", b"Astana!", 1))
    assert main(["--root", str(checkout.root), "build"]) == 1
    assert "field sha256: checksum mismatch" in capsys.readouterr().err
    assert snapshot(checkout) == before


def test_cache_is_invalidated_by_an_edit_or_new_publisher_rules(checkout, capsys):
    assert main(["--root", str(checkout.root), "build"]) == 0
    path = checkout.root / EXTRACT
    path.write_text(path.read_text(encoding="utf-8").replace('- quote: "held a meeting in Astana"',
                                                            '- quote: "held a summit in Astana"'), encoding="utf-8")
    assert main(["--root", str(checkout.root), "build"]) == 1
    assert "record astana: field evidence: quote not found" in capsys.readouterr().err
    path.write_text(path.read_text(encoding="utf-8").replace('- quote: "held a summit in Astana"',
                                                            '- quote: "held a meeting in Astana"'), encoding="utf-8")
    rules = checkout.reference / "publishers.yaml"
    rules.write_text(rules.read_text().replace("ends_before: '^Comment$'", "ends_before: '^Humanistic cooperation'"))
    assert main(["--root", str(checkout.root), "build"]) == 1  # the body now ends earlier: quotes after it fail
    assert "quote not found in the archived text" in capsys.readouterr().err


def test_the_extract_cache_keeps_only_entries_of_the_extracts_as_they_are(checkout):
    """Bounded: an edited extract's old entry is removed, whatever edits came before."""
    cache = checkout.build / "cache" / "extracts"
    assert main(["--root", str(checkout.root), "build", "--full"]) == 0
    first = {p.name for p in cache.glob("*.pickle")}
    assert len(first) == len(list(checkout.extracts.glob("*.yaml")))
    path = checkout.root / EXTRACT
    for i in range(3):
        path.write_text(path.read_text(encoding="utf-8") + f"\n# edit {i}\n", encoding="utf-8")
        assert main(["--root", str(checkout.root), "build", "--full"]) == 0
    now = {p.name for p in cache.glob("*.pickle")}
    assert len(now) == len(first) and not now & first
