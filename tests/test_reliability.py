"""Reliability: hand-edited files, crashes, full disks, concurrent builds, determinism."""
import csv
import errno
import io
import os
import subprocess
import sys
import time

import pytest
import yaml
from support import build_refused, copy_checkout, crash_between_two_renames, kill_at_random_moments, snapshot

from infratracker.cli import main
from infratracker.core import csvio
from infratracker.core import registry
from infratracker.publish import build

EXTRACT = "extracts/seetao-2025-12-16-yiha-summit.yaml"


def replace_bytes(layout, rel, old: bytes, new: bytes):
    p = layout.root / rel
    data = p.read_bytes()
    assert old in data, old
    p.write_bytes(data.replace(old, new, 1))


EXTRACT_CASES = {
    "byte-order mark": (lambda l: (l.root / EXTRACT).write_bytes(b"\xef\xbb\xbf" + (l.root / EXTRACT).read_bytes()),
                        "record -: field -: starts with a byte-order mark"),
    "CRLF line ends": (lambda l: (l.root / EXTRACT).write_bytes((l.root / EXTRACT).read_bytes().replace(b"\n", b"\r\n")),
                       "record -: field -: has CR line ends"),
    "NUL byte": (lambda l: replace_bytes(l, EXTRACT, b"Astana", b"Ast\x00ana"), "record -: field -: contains a NUL byte"),
    "cp1252 bytes": (lambda l: replace_bytes(l, EXTRACT, "Türkiye's growing".encode(), "Türkiye's growing".encode("cp1252")),
                     "record -: field -: not valid UTF-8 at byte"),
    "NFD text": (lambda l: replace_bytes(l, EXTRACT, "name: Türkiye's growing".encode(),
                                         "name: Tu\u0308rkiye's growing".encode()),
                 "record turkiye-influence-in-central-asia: field name: text is not in Unicode NFC form"),
    "number where text must keep leading zeros": (
        lambda l: replace_bytes(l, EXTRACT, b"    position: President of Iran", b"    position: 004"),
        "record masoud-pezeshkian: field position: expected text, got the YAML number 4; put the value in quotes"),
    "over-long field": (lambda l: replace_bytes(l, EXTRACT, b"    name: Farabi Memorial Complex",
                                                b"    name: Farabi Memorial Complex" + b" x" * 200),
                        "record farabi-memorial-complex: field name: text of 423 characters is longer than the limit of 200"),
    "date out of range": (lambda l: replace_bytes(l, EXTRACT, b'published_date: "2025-12-16"', b'published_date: "2263-01-01"'),
                           "record seetao-2025-12-16-yiha-summit: field published_date: date 2263-01-01 is outside 1800-01-01 to 2200-12-31"),
    "formula in a text cell": (lambda l: replace_bytes(l, EXTRACT, b"    note: The source names no port.",
                                                       b"    note: '=HYPERLINK(\"http://x\")'"),
                               "record caspian-ports-cooperation: field note: '=HYPERLINK(\"http://x\")' starts with =, +, -, @"),
}


@pytest.mark.parametrize("case", sorted(EXTRACT_CASES))
def test_hand_edited_extract_is_refused(checkout, capsys, case):
    damage, message = EXTRACT_CASES[case]
    build_refused(checkout, capsys, damage, [f"{EXTRACT}: {message}"])


CSV = "data/projects.csv"
CSV_CASES = {
    "byte-order mark": (lambda d: b"\xef\xbb\xbf" + d, "record -: field -: starts with a byte-order mark"),
    "CRLF line ends": (lambda d: d.replace(b"\n", b"\r\n"), "record -: field -: has CR line ends"),
    "semicolon delimiter": (lambda d: d.replace(b",", b";"), "record -: field -: header"),
    "NUL byte": (lambda d: d.replace(b"instc", b"ins\x00tc", 1), "record -: field -: contains a NUL byte"),
    "cp1252 bytes": (lambda d: d.replace("North–South".encode(), "North–South".encode("cp1252"), 1),
                     "record -: field -: not valid UTF-8 at byte"),
    "ragged row": (lambda d: d.replace(b"\ninstc,", b"\ninstc,extra,", 1), "record line 6: field -: has 15 fields, the header 14"),
    "duplicate header": (lambda d: d.replace(b"project_id,name,", b"project_id,project_id,", 1),
                         "record -: field -: header"),
    "field over the CSV limit": (lambda d: d.replace(b"The source names no port.", b"x" * 200_000, 1),
                                 "record caspian-ports-cooperation: field note: text of 200000 characters is longer than the limit of 2000"),
    "ids differing only in normalisation": (
        lambda d: d.replace(b"\ninstc,", "\ninstc\u0301,".encode(), 1),
        "record instc\u0301: field project_id: 'instc\u0301' does not match the pattern"),
    "formula cell": (lambda d: d.replace(b"The source names no port.", b"@SUM(A1:A9)", 1),
                     "record caspian-ports-cooperation: field note: '@SUM(A1:A9)' starts with =, +, -, @"),
}


@pytest.mark.parametrize("case", sorted(CSV_CASES))
def test_hand_edited_published_csv_is_detected(checkout, capsys, case):
    corrupt, message = CSV_CASES[case]
    path = checkout.root / CSV
    path.write_bytes(corrupt(path.read_bytes()))
    assert main(["validate", str(checkout.descriptor)]) == 1
    err = capsys.readouterr().err
    assert f"{CSV}: {message}" in err, err
    assert "the package is not valid" in err
    if "record -: field -:" in message:  # a table that cannot be read is not also blamed row by row
        assert "no projects record" not in err


def test_semicolon_and_duplicate_headers_say_why(checkout, capsys):
    path = checkout.root / CSV
    data = path.read_bytes()
    path.write_bytes(data.replace(b",", b";"))
    main(["validate", str(checkout.descriptor)])
    assert "one column: is the delimiter ';'? the package uses ','" in capsys.readouterr().err
    path.write_bytes(data.replace(b"project_id,name,", b"project_id,project_id,", 1))
    main(["validate", str(checkout.descriptor)])
    assert "duplicate columns ['project_id']" in capsys.readouterr().err


def test_leading_zeros_and_namibia_stay_text(checkout, capsys):
    path = checkout.data / "countries.csv"
    data = path.read_bytes()
    assert b"\nAFG,AF,004," in data and b"\nNAM,NA,516," in data
    path.write_bytes(data.replace(b"\nAFG,AF,004,", b"\nAFG,AF,4,"))
    assert main(["validate", str(checkout.descriptor)]) == 1
    assert "data/countries.csv: record AFG: field iso_numeric: '4' does not match the pattern" in capsys.readouterr().err


def test_spreadsheet_variant_defuses_formulas():
    res = registry.resource("blocs")
    rows = [{"bloc_id": "x", "name": "=cmd|' /C calc'!A0", "bloc_type": "informal_group", "description": "-2+3",
             "note": "plain"}]
    text = csvio.spreadsheet_csv(res, rows).decode("utf-8")
    assert text.startswith("\ufeffbloc_id,") and "\r\n" in text
    assert "'=cmd|' /C calc'!A0" in text and ",'-2+3," in text and ",plain\r\n" in text


@pytest.mark.parametrize("cell", [" =cmd|' /C calc'!A0", "  +1+1", "\u00a0-2+3", "\n@SUM(A1)", " \t=1",
                                  "\u3000=1", "\r\n=HYPERLINK(\"http://x\")"])
def test_spreadsheet_variant_defuses_formulas_behind_whitespace(cell):
    res = registry.resource("blocs")
    rows = [{"bloc_id": "x", "name": cell, "bloc_type": "informal_group", "description": "a - b", "note": "-"}]
    text = csvio.spreadsheet_csv(res, rows).decode("utf-8")
    header, row = list(csv.reader(io.StringIO(text[1:])))
    assert row[1] == "'" + cell and row[3] == "a - b" and row[4] == "'-"


# --- crashes -------------------------------------------------------------------------------

def _changed_checkout(tmp_path):
    """A checkout whose extract differs from its published outputs, so a build rewrites files."""
    layout = copy_checkout(tmp_path / "repo")
    layout.build.mkdir()
    replace_bytes(layout, EXTRACT, b"name: Caspian logistics channels", b"name: Caspian logistics routes")
    return layout


@pytest.mark.slow
def test_sigkill_at_random_moments_never_leaves_a_partial_file(tmp_path):
    layout = _changed_checkout(tmp_path)
    old = snapshot(layout)
    new = copy_checkout(tmp_path / "expected")
    replace_bytes(new, EXTRACT, b"name: Caspian logistics channels", b"name: Caspian logistics routes")
    assert main(["--root", str(new.root), "build"]) == 0
    expected = snapshot(new)
    assert expected != old
    cmd = [sys.executable, "-m", "infratracker.cli", "--root", str(layout.root), "build"]
    timed = _changed_checkout(tmp_path / "timed")  # how long a whole build takes here
    start = time.monotonic()
    assert subprocess.run([*cmd[:4], str(timed.root), "build"], capture_output=True).returncode == 0
    full = time.monotonic() - start
    outcomes = kill_at_random_moments(cmd, 20, full, lambda: snapshot(layout), old, expected, layout.root,
                                      lambda: main(["--root", str(layout.root), "build"]) == 0 or pytest.fail("rebuild"))
    print("sigkill outcomes:", outcomes)


def test_interrupted_swap_is_finished_by_the_next_run(tmp_path, monkeypatch):
    layout = _changed_checkout(tmp_path)
    old = snapshot(layout)
    with crash_between_two_renames(monkeypatch, build, lambda src: src.endswith((".csv", ".json"))):
        build.build_and_publish(layout)
    assert (layout.build / "publish-journal.json").exists()
    mixed = snapshot(layout)
    assert mixed != old
    assert main(["--root", str(layout.root), "validate"]) == 1  # refuses to judge a half-published state
    assert build.recover(layout) is True
    assert not (layout.build / "publish-journal.json").exists()
    assert main(["--root", str(layout.root), "validate"]) == 0


def test_full_disk_fails_cleanly(tmp_path, monkeypatch, capsys):
    layout = _changed_checkout(tmp_path)
    old = snapshot(layout)

    def no_space(path, data):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path))

    monkeypatch.setattr(build, "_write_durably", no_space)
    assert main(["--root", str(layout.root), "build"]) == 1
    err = capsys.readouterr().err
    assert "No space left on device" in err and "Traceback" not in err and str(tmp_path) not in err
    assert snapshot(layout) == old
    assert not (layout.build / "publish-staging").exists()
    assert not (layout.build / "publish-journal.json").exists()


def test_second_concurrent_build_refuses(checkout):
    with build.build_lock(checkout):
        proc = subprocess.run([sys.executable, "-m", "infratracker.cli", "--root", str(checkout.root), "build"],
                              capture_output=True, text=True)
    assert proc.returncode == 3
    assert "another build is running" in proc.stderr


def _shuffle_extract(layout):
    """Same facts, other order: records, links and keys reversed; comments dropped."""
    path = layout.root / EXTRACT
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))

    def reverse(node):
        if isinstance(node, dict):
            return {k: reverse(node[k]) for k in reversed(list(node))}
        if isinstance(node, list):
            return [reverse(x) for x in reversed(node)]
        return node

    source = doc.pop("source")
    doc = {"source": source, **reverse(doc)}
    path.write_text(yaml.safe_dump(doc, allow_unicode=True, sort_keys=False, width=60), encoding="utf-8")


@pytest.mark.parametrize("env", [
    {"PYTHONHASHSEED": "1", "TZ": "Pacific/Chatham", "LC_ALL": "C"},
    {"PYTHONHASHSEED": "4242", "TZ": "America/Adak", "LC_ALL": "C.UTF-8", "LANG": "tr_TR.UTF-8"},
])
def test_outputs_do_not_depend_on_order_hash_seed_time_zone_or_locale(tmp_path, repo, env):
    layout = copy_checkout(tmp_path / "repo", with_outputs=False)
    _shuffle_extract(layout)
    proc = subprocess.run([sys.executable, "-m", "infratracker.cli", "--root", str(layout.root), "build"],
                          capture_output=True, text=True, env={**os.environ, **env})
    assert proc.returncode == 0, proc.stderr
    assert snapshot(layout) == {rel: data for rel, data in snapshot(repo).items()}
