"""The incremental rebuild against the full build: after new extracts it must publish exactly
the bytes a full build publishes, and on anything else it must step aside for the full build."""
import json
import shutil
import subprocess
import sys

import pytest
import yaml

from infratracker.bench.run import DUMPER, Progress, add_article_files, article, write_corpus
from infratracker.core import captures
from infratracker.core.paths import Layout
from infratracker.core.problems import ProblemsFound
from infratracker.publish import incremental
from infratracker.publish.build import build_and_publish

PUBLISHED = ["datapackage.json", "docs/data-dictionary.md", "schemas", "data"]


def published(layout: Layout) -> dict[str, bytes]:
    out = {}
    for name in PUBLISHED:
        path = layout.root / name
        for file in sorted(path.rglob("*")) if path.is_dir() else [path]:
            out[layout.rel(file)] = file.read_bytes()
    return out


def full_build_of_a_copy(layout: Layout, tmp_path) -> dict[str, bytes]:
    """What a full build publishes from the same inputs (and the same published files, which
    a full build does not read)."""
    copy = Layout(tmp_path / "full")
    shutil.rmtree(copy.root, ignore_errors=True)
    shutil.copytree(layout.root, copy.root, ignore=shutil.ignore_patterns("build"))
    built, _changed = build_and_publish(copy, incremental_ok=False)
    assert not built.incremental
    return published(copy)


def write_article(layout: Layout, i: int, n: int, edit=None) -> None:
    """Synthetic article i, its extract changed by `edit(doc, say)` where `say` adds a sentence
    to the archived text and returns it (for quotes)."""
    text, doc = article(i, n)
    extra: list[str] = []

    def say(sentence: str) -> str:
        extra.append(sentence)
        return sentence

    if edit:
        edit(doc, say)
    data = (text + " ".join(extra) + "\n").encode("utf-8")
    (layout.archive / f"bench-wire-{i:06d}.txt").write_bytes(data)
    doc["source"]["sha256"] = captures.sha256(data)
    (layout.extracts / f"bench-wire-{i:06d}.yaml").write_text(
        yaml.dump(doc, Dumper=DUMPER, sort_keys=False, allow_unicode=True, width=1000), encoding="utf-8")


@pytest.fixture
def corpus(tmp_path) -> Layout:
    layout = write_corpus(tmp_path / "corpus", 30, Progress(True))
    built, _ = build_and_publish(layout)
    assert not built.incremental  # no state yet
    return layout


def test_new_articles_are_built_incrementally_with_the_bytes_of_a_full_build(corpus, tmp_path):
    for i in (30, 31, 32):  # later articles also return to earlier projects
        add_article_files(corpus, i, 40)
        built, changed = build_and_publish(corpus)
        assert built.incremental
        assert "data/citations.csv" in changed and "datapackage.json" in changed
    assert published(corpus) == full_build_of_a_copy(corpus, tmp_path)


def test_a_contradicting_source_and_a_status_change_are_merged_as_the_full_build_merges_them(corpus, tmp_path):
    def contradict(doc, say):
        doc["projects"].append({
            "id": "prj-5", "name": "Renamed Corridor 5", "evidence": [
                {"quote": say("Project 5 is now called the Renamed Corridor 5."), "field": "name"}],
            "status_events": [{"status": "cancelled", "event_date": "2030-01",
                               "quote": say("Project 5 was cancelled in January 2030.")}],
        })
        doc["projects"].append({  # an older event: prj-6 keeps the status it has
            "id": "prj-6", "evidence": [{"quote": say("Project 6 was first proposed in 2001.")}],
            "status_events": [{"status": "identification", "event_date": "2001",
                               "quote": say("Project 6 was at the identification stage in 2001.")}],
        })
        doc["source"]["published_date"] = "2031-01-01"

    write_article(corpus, 30, 40, contradict)
    built, _changed = build_and_publish(corpus)
    assert built.incremental
    projects = (corpus.data / "projects.csv").read_text(encoding="utf-8")
    assert "prj-5,Renamed Corridor 5," in projects and ",cancelled,2030-01," in projects
    prj6 = next(line for line in projects.splitlines() if line.startswith("prj-6,"))
    assert ",identification," not in prj6
    conflicts = (corpus.data / "conflicts.csv").read_text(encoding="utf-8")
    assert "prj-5,name,Renamed Corridor 5,Renamed Corridor 5,bench-wire-000030,true,most_recent" in conflicts
    assert published(corpus) == full_build_of_a_copy(corpus, tmp_path)


@pytest.mark.parametrize("change", ["edit_extract", "remove_extract", "edit_archive", "edit_published_csv",
                                    "edit_reference", "no_state"])
def test_anything_but_new_extracts_gets_a_full_build(corpus, tmp_path, change):
    add_article_files(corpus, 30, 40)
    extract = corpus.extracts / "bench-wire-000003.yaml"
    if change == "edit_extract":
        extract.write_text(extract.read_text(encoding="utf-8").replace("Bench article 3", "Bench article three"),
                           encoding="utf-8")
    elif change == "remove_extract":
        extract.unlink()
    elif change == "edit_archive":
        (corpus.archive / "bench-wire-000003.txt").write_bytes(b"changed\n")
    elif change == "edit_published_csv":
        with open(corpus.data / "people.csv", "a", encoding="utf-8") as fh:
            fh.write("person-x,Someone,,,,\n")
    elif change == "edit_reference":
        path = corpus.reference / "package.yaml"
        path.write_text(path.read_text(encoding="utf-8").replace("0.1.0", "0.1.1"), encoding="utf-8")
    else:
        incremental.forget(corpus)
    try:
        expected = full_build_of_a_copy(corpus, tmp_path)
    except ProblemsFound as exc:  # an edited archive; evidence for a removed record
        with pytest.raises(ProblemsFound) as err:
            build_and_publish(corpus)
        assert [str(p) for p in err.value.problems] == [str(p) for p in exc.problems]
        return
    built, _changed = build_and_publish(corpus)
    assert not built.incremental
    assert published(corpus) == expected
    assert built.full_because == {  # what `infratracker build` prints, so a curator knows why
        "edit_extract": "an extract was changed", "remove_extract": "an extract was removed",
        "edit_published_csv": "data/people.csv differs from what the last build published",
        "edit_reference": "the code or the reference data changed",
        "no_state": "no saved state (a first build, or the last one did not finish)"}[change]


def test_a_bad_new_extract_is_reported_by_the_full_build_and_changes_nothing(corpus, capsys):
    before = published(corpus)

    def break_it(doc, say):
        doc["projects"][0]["sector"] = "not-a-sector"
        doc["projects"][1]["parties"][0]["country_id"] = "XXX"

    write_article(corpus, 30, 40, break_it)
    with pytest.raises(ProblemsFound) as err:
        build_and_publish(corpus)
    messages = [str(p) for p in err.value.problems]
    assert any("prj-300" in m and "sector" in m and "not-a-sector" in m for m in messages), messages
    assert any("XXX" in m for m in messages), messages
    assert published(corpus) == before


def test_a_damaged_state_is_ignored(corpus, tmp_path):
    (corpus.build / "state" / "rows" / "citations.arrow").write_bytes(b"not arrow")
    add_article_files(corpus, 30, 40)
    built, _changed = build_and_publish(corpus)
    assert not built.incremental
    assert published(corpus) == full_build_of_a_copy(corpus, tmp_path)
    add_article_files(corpus, 31, 40)  # the full build wrote a fresh state
    assert build_and_publish(corpus)[0].incremental


def test_a_new_source_whose_capture_is_already_archived_is_refused_by_the_full_build(corpus, capsys):
    """Uniqueness across the rows that stay (here sources.sha256) is the engine's clash rule."""
    before = published(corpus)
    text, doc = article(30, 40)
    first = sorted(corpus.archive.glob("bench-wire-*.txt"))[0].read_bytes()
    (corpus.archive / "bench-wire-000030.txt").write_bytes(first)
    doc["source"]["sha256"] = captures.sha256(first)
    doc["projects"], doc["agreements"] = [], []
    (corpus.extracts / "bench-wire-000030.yaml").write_text(
        yaml.dump(doc, Dumper=DUMPER, sort_keys=False, allow_unicode=True, width=1000), encoding="utf-8")
    with pytest.raises(ProblemsFound) as err:
        build_and_publish(corpus)
    assert any("sha256" in str(p) and "must be unique" in str(p) for p in err.value.problems), err.value.problems
    assert published(corpus) == before


def test_the_state_keeps_one_row_per_extract_in_arrow_through_rebuilds(corpus):
    """The extracts' cache entries, archives and signatures are saved as one Arrow table (not as
    100,000 JSON entries in the manifest, read back into Python strings at every rebuild), one
    record batch however many rebuilds added to it; an added article is a row."""
    import pyarrow as pa

    def saved():
        with pa.memory_map(str(corpus.build / "state" / "extracts.arrow")) as source:
            reader = pa.ipc.open_file(source)
            return reader.num_record_batches, reader.read_all().to_pylist()

    batches, rows = saved()
    assert batches == 1 and [r["extract"] for r in rows] == sorted(
        corpus.rel(p) for p in corpus.extracts.glob("*.yaml"))
    assert list(rows[0]) == ["extract", "entry", "archive", "digest", "extract_size", "extract_mtime_ns",
                             "archive_size", "archive_mtime_ns"]
    first = corpus.extracts / "bench-wire-000000.yaml"
    assert rows[0]["extract_size"] == first.stat().st_size and rows[0]["extract_mtime_ns"] == first.stat().st_mtime_ns
    assert "extracts" not in json.loads((corpus.build / "state" / "manifest.json").read_text(encoding="utf-8"))
    for i in (30, 31):
        add_article_files(corpus, i, 40)
        built, _ = build_and_publish(corpus)
        assert built.incremental
    batches, after = saved()
    assert batches == 1 and after[:len(rows)] == rows
    assert [r["extract"] for r in after[len(rows):]] == ["extracts/bench-wire-000030.yaml",
                                                          "extracts/bench-wire-000031.yaml"]
    add_article_files(corpus, 32, 40)  # the saved rows are read back and used
    (corpus.archive / "bench-wire-000001.txt").write_bytes(b"edited")
    with pytest.raises(ProblemsFound):
        build_and_publish(corpus)


def test_process_lifetime_lookups_are_made_before_the_first_extract_is_read(corpus):
    """The currency rates, the countries and the schemas' modules, which the process keeps, are
    made before the rows: made among them, they kept the arenas of the freed rows resident
    (1.3 GiB after a 100,000-article build let its rows go, 133 MB of it in use). A new process,
    so that nothing is loaded already."""
    script = f"""
import sys
from infratracker.assemble import merge, money
from infratracker.core import reference
from infratracker.core.paths import Layout
from pathlib import Path
seen = []
real = merge.process_all
def spy(layout, files=None):
    seen.append((money._converter.cache_info().currsize, reference.country_rows.cache_info().currsize,
                 "pandera.pandas" in sys.modules, "pyarrow" in sys.modules))
    return real(layout, files)
merge.process_all = spy
merge.assemble(Layout(Path({str(corpus.root)!r})))
print(seen)
"""
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert (done.returncode, done.stderr[-500:], done.stdout.strip()) == (0, "", "[(1, 1, True, True)]")
