"""`infratracker site` (issue 10, item 10): staged and swapped like `build`, so that a kill or a
full disk never leaves a missing or partial site file, and every message is true."""
import resource
import signal
import subprocess
import sys
import time

import pytest
from support import copy_checkout, crash_between_two_renames, kill_at_random_moments

from infratracker.cli import main

EXTRACT = "extracts/seetao-2025-12-16-yiha-summit.yaml"


def site_files(layout) -> dict[str, bytes]:
    paths = [layout.build / "metadata.json", layout.build / "inspect.json",
             *sorted(p for p in (layout.build / "downloads").rglob("*") if p.is_file())]
    return {layout.rel(p): p.read_bytes() for p in paths if p.exists()}


def cli(layout, *args, **kwargs):
    return subprocess.run([sys.executable, "-m", "infratracker.cli", "--root", str(layout.root), *args],
                          capture_output=True, text=True, **kwargs)


def old_site_then_new_data(tmp_path):
    """A checkout serving a site made from its data, whose data then changed: the next
    `infratracker site` rewrites some of its files."""
    layout = copy_checkout(tmp_path / "repo")
    assert cli(layout, "db").returncode == 0 and cli(layout, "site").returncode == 0
    old = site_files(layout)
    path = layout.root / EXTRACT
    path.write_bytes(path.read_bytes().replace(b"name: Caspian logistics channels",
                                               b"name: Caspian logistics routes", 1))
    assert cli(layout, "build").returncode == 0 and cli(layout, "db").returncode == 0
    return layout, old


def _limit_file_size(limit):
    def apply():
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit then fails with EFBIG
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
    return apply


def test_a_write_that_fails_leaves_every_site_file_as_it_was(tmp_path):
    """A real write failure from the kernel: no file may grow past 50 kB (datapackage.json has
    75 kB), as when the disk fills up midway."""
    layout, old = old_site_then_new_data(tmp_path)
    proc = cli(layout, "site", preexec_fn=_limit_file_size(50_000))
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "File too large" in proc.stderr and "the site files are unchanged" in proc.stderr, proc.stderr
    assert "Traceback" not in proc.stderr and str(tmp_path) not in proc.stderr
    assert site_files(layout) == old
    assert not (layout.build / "publish-staging").exists()
    assert not (layout.build / "publish-journal.json").exists()
    assert cli(layout, "site").returncode == 0 and site_files(layout) != old


def test_full_disk_message_is_true(tmp_path, monkeypatch, capsys):
    import errno
    import os

    from infratracker.publish import build

    layout, old = old_site_then_new_data(tmp_path)

    def no_space(path, data):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path))

    monkeypatch.setattr(build, "_write_durably", no_space)
    assert main(["--root", str(layout.root), "site"]) == 1
    err = capsys.readouterr().err
    assert "No space left on device" in err and "the site files are unchanged" in err
    assert "published files are unchanged" not in err
    assert site_files(layout) == old


@pytest.mark.slow
def test_sigkill_at_random_moments_never_leaves_a_missing_or_partial_site_file(tmp_path):
    layout, old = old_site_then_new_data(tmp_path)
    start = time.monotonic()
    assert cli(layout, "site").returncode == 0
    full = time.monotonic() - start
    new = site_files(layout)
    assert set(new) == set(old) and new != old
    for rel, data in old.items():
        (layout.root / rel).write_bytes(data)
    cmd = [sys.executable, "-m", "infratracker.cli", "--root", str(layout.root), "site"]

    def finish():
        proc = cli(layout, "site")
        assert proc.returncode == 0, proc.stderr

    outcomes = kill_at_random_moments(cmd, 10, full, lambda: site_files(layout), old, new, layout.root, finish,
                                      earliest=0.3, every_file_kept=True)
    print("site sigkill outcomes:", outcomes)


def test_interrupted_site_swap_is_finished_by_the_next_run(tmp_path, monkeypatch):
    from infratracker.publish import build
    from infratracker.serve.site import write_site_files

    layout, old = old_site_then_new_data(tmp_path)
    with crash_between_two_renames(monkeypatch, build, lambda src: "publish-staging" in src):
        write_site_files(layout)
    assert (layout.build / "publish-journal.json").exists()
    assert set(site_files(layout)) == set(old)  # every file still there, old or new
    assert main(["--root", str(layout.root), "site"]) == 0
    assert not (layout.build / "publish-journal.json").exists()
    new = site_files(layout)
    assert new != old and write_site_files(layout).changed == []  # finished: nothing left to change
