"""`add-article` (issue 10, items 11 and 14): atomic, restartable after a crash, and refusing
inputs that are not regular files or are over the size limit."""
import os
import random
import signal
import subprocess
import sys
import time

import pytest

from infratracker.cli import main
from infratracker.intake import drafting

TEXT = ("Uzbekistan and the Central Asian countries back the North South Transport Corridor. "
        "President Pezehizyan spoke in Astana about the Abraham Accord.\n")
SID = "test-wire-2026-03-13-uzbekistan-and-the-central-asian"


def files(layout):
    return {p.relative_to(layout.root).as_posix(): p.read_bytes()
            for d in (layout.archive, layout.extracts) for p in d.iterdir()}


def add(layout, path, *extra):
    return main(["--root", str(layout.root), "add-article", str(path), "--publisher", "Test Wire",
                 "--published", "2026-03-13", *extra])


# --- item 14: what is read --------------------------------------------------------------------

def test_symlink_to_a_system_file_is_refused(checkout, tmp_path, capsys):
    link = tmp_path / "innocent.txt"
    link.symlink_to("/etc/passwd")
    before = files(checkout)
    assert add(checkout, link) == 1
    err = capsys.readouterr().err
    assert "innocent.txt is a symbolic link, not a regular file" in err and "Traceback" not in err
    assert files(checkout) == before


def test_fifo_and_directory_are_refused_without_blocking(checkout, tmp_path, capsys):
    fifo = tmp_path / "pipe.txt"
    os.mkfifo(fifo)
    before = files(checkout)
    assert add(checkout, fifo) == 1  # opening a FIFO to read would wait for a writer for ever
    assert "pipe.txt is a FIFO, not a regular file" in capsys.readouterr().err
    assert add(checkout, tmp_path) == 1
    assert "is a directory, not a regular file" in capsys.readouterr().err
    assert files(checkout) == before


def test_input_over_the_size_limit_is_refused_before_it_is_read(checkout, tmp_path, capsys):
    big = tmp_path / "big.txt"
    with open(big, "wb") as fh:  # sparse: 50 MB that cost no disk
        fh.truncate(50 * 1024 * 1024)
    before = files(checkout)
    start = time.perf_counter()
    assert add(checkout, big) == 1
    took = time.perf_counter() - start
    err = capsys.readouterr().err
    assert f"big.txt has 52428800 bytes, over the limit of {drafting.MAX_CAPTURE_BYTES} bytes" in err
    assert files(checkout) == before
    print(f"50 MB input refused in {took:.3f} s")
    assert took < 5


def test_input_at_the_size_limit_is_archived(checkout, tmp_path):
    at_limit = tmp_path / "long.txt"
    sentence = TEXT.encode()
    at_limit.write_bytes((sentence * (drafting.MAX_CAPTURE_BYTES // len(sentence) + 1))[:drafting.MAX_CAPTURE_BYTES])
    start = time.perf_counter()
    assert add(checkout, at_limit) == 0
    print(f"input at the limit ({drafting.MAX_CAPTURE_BYTES} bytes) archived and drafted in "
          f"{time.perf_counter() - start:.1f} s")


def test_published_date_must_be_a_calendar_date(checkout, tmp_path, capsys):
    article = tmp_path / "a.txt"
    article.write_text(TEXT, encoding="utf-8")
    for bad in ("20260313", "2026-W11-5", "2026-02-30"):
        assert main(["--root", str(checkout.root), "add-article", str(article), "--published", bad]) == 1
        assert f"--published {bad!r} is not a date" in capsys.readouterr().err


# --- item 11: atomic, and what validate says about archives -----------------------------------

def test_rerun_after_a_crash_between_archive_and_extract_completes(checkout, tmp_path, capsys, monkeypatch):
    article = tmp_path / "a.txt"
    article.write_text(TEXT, encoding="utf-8")
    real_link = os.link
    calls = []

    def crash_after_first(src, dst, *args, **kwargs):
        calls.append(dst)
        if len(calls) == 2:
            raise KeyboardInterrupt("simulated crash between archive and extract")
        return real_link(src, dst, *args, **kwargs)

    monkeypatch.setattr(drafting.os, "link", crash_after_first)
    with pytest.raises(KeyboardInterrupt):
        add(checkout, article)
    monkeypatch.setattr(drafting.os, "link", real_link)
    assert (checkout.archive / f"{SID}.txt").read_bytes() == article.read_bytes()
    assert not (checkout.extracts / f"{SID}.yaml").exists()
    # validate names the archive no extract names...
    assert main(["--root", str(checkout.root), "validate"]) == 1
    err = capsys.readouterr().err
    assert f"archive/{SID}.txt: record -: field -: no extract names this archived capture" in err
    # ...and the same command again finishes the job
    assert add(checkout, article) == 0
    assert (checkout.extracts / f"{SID}.yaml").exists()
    assert "File exists" not in capsys.readouterr().err


def test_archive_whose_hash_differs_from_its_record_is_reported_by_validate(checkout, capsys):
    path = checkout.archive / "seetao-2025-12-16-yiha-summit.txt"
    path.write_bytes(path.read_bytes() + b" ")
    assert main(["--root", str(checkout.root), "validate"]) == 1
    assert "record seetao-2025-12-16-yiha-summit: field sha256: checksum mismatch" in capsys.readouterr().err


@pytest.mark.slow
def test_sigkill_at_random_moments_leaves_a_state_the_next_run_finishes(checkout, tmp_path):
    article = tmp_path / "a.txt"
    article.write_text(TEXT, encoding="utf-8")
    cmd = [sys.executable, "-m", "infratracker.cli", "--root", str(checkout.root), "add-article", str(article),
           "--publisher", "Test Wire", "--published", "2026-03-13"]
    before = files(checkout)
    start = time.monotonic()
    assert subprocess.run(cmd, capture_output=True).returncode == 0
    full = time.monotonic() - start
    done = files(checkout)
    archive, extract = f"archive/{SID}.txt", f"extracts/{SID}.yaml"
    assert set(done) - set(before) == {archive, extract}
    rng = random.Random(20261127)
    outcomes = {"untouched": 0, "completed": 0, "archive only": 0}
    for _ in range(12):
        for rel in (archive, extract):
            (checkout.root / rel).unlink()
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(rng.uniform(0.5 * full, full))
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        now = files(checkout)
        for rel, data in now.items():  # whole files only: never a partial archive or draft
            assert data == before.get(rel, done.get(rel)), rel
        new = set(now) - set(before)
        outcomes[{frozenset(): "untouched", frozenset({archive, extract}): "completed",
                  frozenset({archive}): "archive only"}[frozenset(new)]] += 1
        if new != {archive, extract}:
            assert subprocess.run(cmd, capture_output=True).returncode == 0  # the same command finishes
        assert files(checkout) == done
    print("add-article sigkill outcomes:", outcomes)


def test_every_message_is_true_when_a_write_fails(checkout, tmp_path, capsys, monkeypatch):
    import errno

    article = tmp_path / "a.txt"
    article.write_text(TEXT, encoding="utf-8")
    real_link = os.link
    calls = []

    def no_space_on(n):
        def link(src, dst, *args, **kwargs):
            calls.append(dst)
            if len(calls) == n:
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(dst))
            return real_link(src, dst, *args, **kwargs)
        return link

    before = files(checkout)
    monkeypatch.setattr(drafting.os, "link", no_space_on(1))
    assert add(checkout, article) == 1
    err = capsys.readouterr().err
    assert "No space left on device" in err and "nothing was archived" in err and files(checkout) == before
    calls.clear()
    monkeypatch.setattr(drafting.os, "link", no_space_on(2))
    assert add(checkout, article) == 1
    err = capsys.readouterr().err
    assert f"archived archive/{SID}.txt but could not write extracts/{SID}.yaml" in err
    assert "nothing was archived" not in err and "Traceback" not in err
    monkeypatch.setattr(drafting.os, "link", real_link)
    assert add(checkout, article) == 0
    assert [p.name for p in (checkout.build / "add-article").iterdir()] == []
