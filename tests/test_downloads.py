"""`infratracker site` after a few changed rows (issue 15): only the downloads those rows touch
are made again, and every file is byte for byte what a full `site` makes of the same package;
anything unusual makes them all again, and a bad package changes none of them."""
import hashlib
import io
import json
import shutil
import subprocess
import zipfile

import pytest
from test_incremental import write_article

from infratracker.bench.run import Progress, add_article_files, write_corpus
from infratracker.cli import main
from infratracker.core import csvio, registry
from infratracker.core.paths import Layout
from infratracker.publish import dbupdate, downloads, oc4ids, zipped
from infratracker.publish.build import build_and_publish
from infratracker.serve.site import write_site_files


def site_files(layout: Layout) -> dict[str, bytes]:
    paths = [layout.build / "metadata.json", layout.build / "inspect.json",
             *sorted(p for p in (layout.build / "downloads").rglob("*") if p.is_file())]
    return {layout.rel(p): p.read_bytes() for p in paths}


def rebuild(layout: Layout) -> downloads.Downloads:
    build_and_publish(layout)
    dbupdate.load_database(layout)
    return write_site_files(layout).downloads


def assert_same_as_full_site(layout: Layout, tmp_path) -> None:
    """A copy of the checkout, its site state and zip cache removed, written again in full."""
    ours = site_files(layout)
    other = Layout(tmp_path / "full-copy")
    shutil.rmtree(other.root, ignore_errors=True)
    shutil.copytree(layout.root, other.root, symlinks=True)
    shutil.rmtree(other.build / "state" / "site")
    shutil.rmtree(other.build / "cache" / "zip")
    shutil.rmtree(other.build / "downloads")
    made = write_site_files(other).downloads
    assert not made.incremental
    theirs = site_files(other)
    theirs["build/inspect.json"] = theirs["build/inspect.json"].replace(str(other.root).encode(), str(layout.root).encode())
    assert sorted(ours) == sorted(theirs)
    assert [name for name in ours if ours[name] != theirs[name]] == []


@pytest.fixture
def corpus(tmp_path) -> Layout:
    layout = write_corpus(tmp_path / "corpus", 30, Progress(True))
    made = rebuild(layout)
    assert not made.incremental and made.full_because.startswith("no saved state of the downloads")
    return layout


def test_new_articles_remake_only_what_they_touch(corpus, tmp_path):
    for i in (30, 31):  # later articles also return to two earlier projects each
        add_article_files(corpus, i, 40)
        made = rebuild(corpus)
        assert made.incremental, made.full_because
        assert made.remade_projects == 12  # 10 new, 2 returned to
        assert "countries" not in made.remade_tables and "projects" in made.remade_tables
        assert f"build/downloads/parquet/countries.parquet" in made.kept
        reused, compressed = made.zip_pieces
        assert reused > compressed > 0
        assert not (corpus.build / "site-work").exists()  # the large files were moved into place
    assert_same_as_full_site(corpus, tmp_path)
    doc = json.loads((corpus.build / "downloads" / oc4ids_name()).read_bytes())
    assert {"prj-310", "prj-319"} <= {p["id"] for p in doc["projects"]}


def oc4ids_name() -> str:
    return downloads.OC4IDS_NAME


def test_changed_and_removed_records(corpus, tmp_path):
    """A contradicting source renames a project; then an article is removed: the renamed
    project and the removed ones are right in every download."""
    def contradict(doc, say):
        doc["projects"].append({"id": "prj-5", "name": "Renamed Corridor 5", "evidence": [
            {"quote": say("Project 5 is now called the Renamed Corridor 5."), "field": "name"}]})
        doc["source"]["published_date"] = "2031-01-01"

    write_article(corpus, 30, 40, contradict)
    made = rebuild(corpus)
    assert made.incremental, made.full_because
    projects = {p["id"]: p for p in json.loads((corpus.build / "downloads" / oc4ids_name()).read_bytes())["projects"]}
    assert projects["prj-5"]["title"] == "Renamed Corridor 5"
    assert_same_as_full_site(corpus, tmp_path)

    (corpus.extracts / "bench-wire-000029.yaml").unlink()
    (corpus.archive / "bench-wire-000029.txt").unlink()
    made = rebuild(corpus)
    assert made.incremental, made.full_because
    ids = {p["id"] for p in json.loads((corpus.build / "downloads" / oc4ids_name()).read_bytes())["projects"]}
    assert "prj-290" not in ids and "prj-280" in ids
    assert_same_as_full_site(corpus, tmp_path)


def test_a_renamed_organisation_or_source_remakes_the_projects_that_name_it(corpus, tmp_path):
    """Rows of the parties and citations stay as they were, yet the projects show the new name."""
    text = "The builder is Kappa Works."

    def with_builder(name, title):
        def edit(doc, say):
            doc["organisations"] = [{"id": "kappa-works", "name": name, "organisation_type": "company",
                                     "quote": say(text)}]
            doc["projects"].append({"id": "prj-3", "quote": text, "parties": [{"organisation_id": "kappa-works",
                                                                "role": "contractor", "quote": text}]})
            doc["source"]["title"] = title
        return edit

    write_article(corpus, 30, 40, with_builder("Kappa Works", "Wire 30"))
    assert rebuild(corpus).incremental
    write_article(corpus, 30, 40, with_builder("Kappa Works International", "Wire 30, corrected"))
    made = rebuild(corpus)
    assert made.incremental, made.full_because
    assert "organisations" in made.remade_tables and "parties" not in made.remade_tables
    projects = {p["id"]: p for p in json.loads((corpus.build / "downloads" / oc4ids_name()).read_bytes())["projects"]}
    assert "Kappa Works International" in {p["name"] for p in projects["prj-3"]["parties"]}
    assert "Wire 30, corrected" in {d["title"] for d in projects["prj-300"]["documents"]}
    assert_same_as_full_site(corpus, tmp_path)


@pytest.mark.parametrize("change, why", [
    ("no_state", "no saved state of the downloads (a first `site`, or the last one did not finish)"),
    ("code", "the code or the reference data changed"),
    ("download_edited", "build/downloads/parquet/projects.parquet changed since the last `site`"),
    ("copy_gone", "the saved state does not fit the files (FileNotFoundError)"),
    ("not_built", "data/countries.csv is not what the last build published"),
])
def test_anything_unusual_makes_every_download_again(corpus, tmp_path, change, why):
    add_article_files(corpus, 30, 40)
    build_and_publish(corpus)
    dbupdate.load_database(corpus)
    if change == "no_state":
        downloads.forget(corpus)
    elif change == "code":  # as if made by another version of the code
        path = corpus.build / "state" / "site" / "manifest.json"
        path.write_text(json.dumps({**json.loads(path.read_text()), "code": "another version"}))
    elif change == "download_edited":
        (corpus.build / "downloads" / "parquet" / "projects.parquet").write_bytes(b"not parquet")
    elif change == "copy_gone":
        (corpus.build / "state" / "site" / "citations.csv").unlink()
    elif change == "not_built":  # agrees with datapackage.json, but no build published it
        path = corpus.data / "countries.csv"
        data = path.read_bytes().replace(b"Zimbabwe", b"Zimbabwe (edited)")
        path.write_bytes(data)
        descriptor = json.loads(corpus.descriptor.read_text(encoding="utf-8"))
        for res in descriptor["resources"]:
            if res["name"] == "countries":
                res["hash"], res["bytes"] = f"sha256:{hashlib.sha256(data).hexdigest()}", len(data)
        corpus.descriptor.write_text(json.dumps(descriptor), encoding="utf-8")
    made = write_site_files(corpus).downloads
    assert not made.incremental and made.full_because == why
    assert_same_as_full_site(corpus, tmp_path)
    add_article_files(corpus, 31, 40)
    if change == "not_built":  # a state cannot vouch for what no build published: none was saved
        assert rebuild(corpus).full_because.startswith("no saved state of the downloads")
        add_article_files(corpus, 32, 40)
    assert rebuild(corpus).incremental  # the full run saved a fresh state


def test_an_edited_csv_is_reported_and_no_download_changes(corpus, capsys):
    add_article_files(corpus, 30, 40)
    build_and_publish(corpus)
    dbupdate.load_database(corpus)
    before = site_files(corpus)
    state = (corpus.build / "state" / "site" / "manifest.json").read_bytes()
    with open(corpus.data / "projects.csv", "a", encoding="utf-8") as fh:
        fh.write("extra,row\n")
    assert main(["--root", str(corpus.root), "site"]) == 1
    err = capsys.readouterr().err
    assert "data/projects.csv" in err and "Traceback" not in err
    assert site_files(corpus) == before
    assert (corpus.build / "state" / "site" / "manifest.json").read_bytes() == state
    assert not (corpus.build / "site-work").exists()


def test_nothing_changed_writes_nothing(corpus, capsys):
    assert main(["--root", str(corpus.root), "site"]) == 0
    out = capsys.readouterr().out
    assert "incremental: downloads of the changed tables only (none)" in out and "wrote 0 changed" in out


# --- the zip ------------------------------------------------------------------------------------

def test_the_zip_holds_the_package_and_is_made_the_same_with_or_without_the_cache(corpus, tmp_path):
    archive = (corpus.build / "downloads" / downloads.ZIP_NAME).read_bytes()
    assert archive == downloads.package_zip(corpus)
    zf = zipfile.ZipFile(io.BytesIO(archive))
    assert zf.testzip() is None
    names = zf.namelist()
    assert names[:2] == ["infratracker/datapackage.json", "infratracker/docs/data-dictionary.md"]
    for name in names:
        assert zf.read(name) == (corpus.root / name.removeprefix("infratracker/")).read_bytes()
        assert zf.getinfo(name).date_time == (1980, 1, 1, 0, 0, 0)
    assert len(names) == len(registry.RESOURCES) + 2 + len(list(corpus.schemas.glob("*.yaml")))
    if shutil.which("unzip"):
        assert subprocess.run(["unzip", "-tq", str(corpus.build / "downloads" / downloads.ZIP_NAME)]).returncode == 0
    cache = corpus.build / "cache" / "zip"
    pieces = {p.name for p in cache.iterdir()}
    add_article_files(corpus, 30, 40)
    rebuild(corpus)
    after = {p.name for p in cache.iterdir()}
    assert after != pieces and len(after) < 2 * len(pieces)  # bounded: only the pieces of the zip published


def test_pieces_are_chosen_by_content_so_an_insertion_changes_only_its_neighbours():
    lines = [f"cit-{i:08x},projects,prj-{i % 977},name,,wire-{i % 131},A sentence about project {i}.,\n"
             for i in range(60_000)]
    data = "".join(lines).encode()
    cuts = zipped.boundaries(data)
    assert len(cuts) >= 8 and all(b - a >= zipped.MIN_PIECE for a, b in zip([0, *cuts], cuts))
    at = len("".join(lines[:30_000]).encode())
    extra = b"cit-new,projects,prj-1,name,,wire-1,Inserted.,\n"
    moved = [c + len(extra) if c > at else c for c in cuts]
    after = zipped.boundaries(data[:at] + extra + data[at:])
    assert len(set(after) ^ set(moved)) <= 2
    stream = zipped.deflate(data, zipped.PieceCache(None))
    import zlib
    assert zlib.decompress(stream, -15) == data


# --- the spreadsheet CSV --------------------------------------------------------------------------

def test_the_spreadsheet_csv_is_made_from_the_package_csv_as_from_its_rows(corpus):
    from infratracker.check.package import Package, check

    checked = check(Package(corpus.descriptor))
    fast = 0
    for res in registry.RESOURCES:
        data = (corpus.data / f"{res.name}.csv").read_bytes()
        made = csvio.spreadsheet_from_canonical(res, data)
        fast += made is not None
        assert made in (None, csvio.spreadsheet_csv(res, checked.rows(res.name))), res.name
    assert fast == len(registry.RESOURCES)


@pytest.mark.parametrize("block", [1, 7, 64, 1 << 20])
def test_the_spreadsheet_body_is_written_block_by_block_as_one_replace(corpus, monkeypatch, block):
    """Blocks of any size, cutting lines and UTF-8 sequences anywhere, give the same bytes."""
    data = (corpus.data / "citations.csv").read_bytes()[:50_000] + "Ташкент — «Қазақстан»\n".encode()
    monkeypatch.setattr(csvio, "SPREADSHEET_BLOCK", block)
    out = io.BytesIO()
    csvio.write_spreadsheet_body(out, data)
    assert out.getvalue() == data.replace(b"\n", b"\r\n")


@pytest.mark.parametrize("cell", ["=1+1", " =cmd|x", "\u2003@SUM(A1)", "-2", "two\nlines"])
def test_a_cell_that_needs_care_is_left_to_the_row_by_row_writer(cell):
    res = registry.resource("aliases")
    rows = [{"alias_id": "als-1", "record_table": "projects", "record_id": "p", "alias": cell, "language": "en",
             "source_id": "s", "note": None}]
    data = csvio.write_csv(res, rows)
    assert csvio.spreadsheet_from_canonical(res, data) is None
    assert "'" in csvio.spreadsheet_csv(res, rows).decode("utf-8-sig") or "\n" in cell


def test_the_oc4ids_file_is_json_dumps_of_the_package(corpus):
    from infratracker.check.package import Package, check

    checked = check(Package(corpus.descriptor))
    doc = oc4ids.project_package(corpus, {name: checked.rows(name) for name in checked.names})
    assert oc4ids.export(corpus) == (json.dumps(doc, indent=2, ensure_ascii=False) + "\n").encode()
    assert (corpus.build / "downloads" / oc4ids_name()).read_bytes() == oc4ids.export(corpus)


def test_the_parquet_files_read_back_as_the_frames_load_gives(corpus):
    import pandas as pd

    from infratracker.check.package import Package, check

    checked = check(Package(corpus.descriptor))
    for res in registry.RESOURCES:
        got = pd.read_parquet(corpus.build / "downloads" / "parquet" / f"{res.name}.parquet")
        if checked.count(res.name):
            pd.testing.assert_frame_equal(got, checked.frame(res.name))
        else:  # Parquet keeps no dictionary for a column without rows, so no categories either
            assert list(got.columns) == res.field_names and len(got) == 0


def test_inspect_json_is_what_datasette_inspect_writes_and_follows_the_database(corpus, tmp_path):
    """Made in process now; it must still be the command's output, for the database as it is."""
    import sys

    def command_output() -> bytes:
        out = tmp_path / "inspect.json"
        subprocess.run([sys.executable, "-m", "datasette", "inspect", str(corpus.database), "--inspect-file",
                        str(out)], check=True, capture_output=True)
        return out.read_bytes()

    assert (corpus.build / "inspect.json").read_bytes() == command_output()
    add_article_files(corpus, 30, 40)
    rebuild(corpus)  # the database changed: counted again
    assert (corpus.build / "inspect.json").read_bytes() == command_output()


def test_the_steps_script_times_the_steps_publish_and_the_loop(corpus, capsys):
    """scripts/bench_steps.py, whose figures docs/performance.md gives, on a small corpus."""
    import importlib.util

    from infratracker.core.paths import REPO_ROOT

    spec = importlib.util.spec_from_file_location("bench_steps", REPO_ROOT / "scripts" / "bench_steps.py")
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    assert script.main([str(corpus.root), "--articles", "2"]) == 0
    rows = [line for line in capsys.readouterr().out.splitlines() if line.startswith("| 1 ") or line.startswith("| 2 ")]
    assert len(rows) == 2 and all(len(r.split("|")) == 10 for r in rows)
    assert (corpus.extracts / "bench-wire-000031.yaml").exists()
    assert json.loads((corpus.build / "state" / "site" / "manifest.json").read_text())["outputs"]
    assert script.main([str(corpus.root), "--articles", "1", "--publish"]) == 0
    rows = [line for line in capsys.readouterr().out.splitlines() if line.startswith("| 1 ")]
    assert len(rows) == 1 and len(rows[0].split("|")) == 6
    # the whole loop: add-article, then publish while the running server is asked for the records
    assert script.main([str(corpus.root), "--articles", "1", "--loop"]) == 0
    (row,) = [line for line in capsys.readouterr().out.splitlines() if line.startswith("| 1 ")]
    served_after, to_served, to_done = (float(c) for c in row.strip("| ").split(" | ")[3:])
    assert 0 < served_after and to_served <= to_done + 1
    # the cold build as `make bench` runs it, on a copy: the corpus itself is left as it was
    before = sorted(p.name for p in corpus.build.iterdir())
    assert script.main([str(corpus.root), "--articles", "1", "--cold-build"]) == 0
    (row,) = [line for line in capsys.readouterr().out.splitlines() if line.startswith("| 1 ")]
    assert float(row.strip("| ").split(" | ")[2]) > 0
    assert sorted(p.name for p in corpus.build.iterdir()) == before
    # the served workloads of `make bench`
    assert script.main([str(corpus.root), "--articles", "1", "--serve", "--serve-seconds", "0.5"]) == 0
    (row,) = [line for line in capsys.readouterr().out.splitlines() if line.startswith("| 1 ")]
    assert row.strip("| ").endswith(" | 0")  # no errors
