"""The drafter's lexicon kept in build/cache/lexicon/: read back only for the data it was made
from, equal to a new one, bounded, and passed by when it cannot be read."""
import csv
import io

import pytest

from infratracker.intake import detection, lexicon_cache


def same(a: detection.Lexicon, b: detection.Lexicon) -> None:
    assert list(a.names.items()) == list(b.names.items())
    assert list(a.new_places.items()) == list(b.new_places.items())
    assert a.ru_sources == b.ru_sources and a.labels == b.labels and a.longest == b.longest


def add_project(layout, name: str) -> None:
    """One more row in data/projects.csv, every other cell empty (the lexicon reads two columns)."""
    path = layout.data / "projects.csv"
    header = next(csv.reader(io.StringIO(path.read_text(encoding="utf-8"))))
    row = {c: "" for c in header} | {"project_id": name.lower().replace(" ", "-"), "name": name}
    with open(path, "a", encoding="utf-8", newline="") as fh:
        csv.DictWriter(fh, header, lineterminator="\n").writerow(row)


def refuse_to_make(*args, **kwargs):
    pytest.fail("the lexicon was made again, where the kept one should have been read")


def test_a_kept_lexicon_is_the_one_made_and_follows_the_data(checkout, monkeypatch):
    made = lexicon_cache.lexicon(checkout)
    same(made, detection.build_lexicon(checkout))
    assert len(list(lexicon_cache.folder(checkout).glob("*.pickle"))) == 1
    with monkeypatch.context() as m:
        m.setattr(detection, "build_lexicon", refuse_to_make)
        same(lexicon_cache.lexicon(checkout), made)
    add_project(checkout, "Zarafshan Freight Bypass")
    changed = lexicon_cache.lexicon(checkout)  # other data: a new lexicon
    assert changed.names[("zarafshan", "freight", "bypass")] == ("projects", "zarafshan-freight-bypass")
    assert ("zarafshan", "freight", "bypass") not in made.names
    add_project(checkout, "Kerki Ferry Terminal")
    lexicon_cache.lexicon(checkout)
    assert len(list(lexicon_cache.folder(checkout).glob("*.pickle"))) == lexicon_cache.KEEP


@pytest.mark.parametrize("damage", [b"", b"not a pickle", b"\x80\x05K\x01."])  # empty, garbage, the int 1
def test_a_damaged_copy_is_passed_by_and_replaced(checkout, damage):
    made = lexicon_cache.lexicon(checkout)
    (kept,) = lexicon_cache.folder(checkout).glob("*.pickle")
    kept.write_bytes(damage)
    same(lexicon_cache.lexicon(checkout), made)
    assert kept.read_bytes() != damage


def test_prepare_makes_the_copy_add_article_reads(checkout, monkeypatch):
    assert lexicon_cache.prepare(checkout) is True
    assert lexicon_cache.prepare(checkout) is False  # already there
    monkeypatch.setattr(detection, "build_lexicon", refuse_to_make)
    from infratracker.intake.drafting import add_article

    capture = checkout.root / "capture.txt"
    capture.write_text("Kazakhstan and Uzbekistan signed a railway agreement in Tashkent on 3 March 2026.\n",
                       encoding="utf-8")
    source_id, _archive, extract = add_article(checkout, capture, publisher="Example Wire", published="2026-03-04",
                                               title="Railway agreement")
    assert "KAZ" in extract.read_text(encoding="utf-8")


def test_a_killed_run_s_temporary_copy_is_removed(checkout):
    import subprocess
    import sys

    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    where = lexicon_cache.folder(checkout)
    where.mkdir(parents=True)
    left = where / f".{'0' * 64}.pickle.{gone.pid}.tmp"  # as _keep names it, of a process that ended
    left.write_bytes(b"half a pickle")
    lexicon_cache.lexicon(checkout)
    assert not left.exists()
    assert len(list(where.glob("*.pickle"))) == 1
