"""Hostile extracts (issue 10, items 8 and 9): alias bombs, recursion, huge numbers, duplicate
keys, non-finite numbers and impossible dates are each a problem naming file, record and field,
found in bounded time and memory, with nothing published."""
import subprocess
import sys

import pytest
from support import build_refused

from infratracker.extracts.parse import parse_extract

EXTRACT = "extracts/seetao-2025-12-16-yiha-summit.yaml"
SID = "seetao-2025-12-16-yiha-summit"

# The classic "billion laughs": nine levels of nine aliases, 9**9 strings once expanded.
L = "abcdefghi"
BOMB = 'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n' + "".join(
    f"{L[i]}: &{L[i]} [{','.join([f'*{L[i - 1]}'] * 9)}]\n" for i in range(1, 9))


def edit(layout, old, new):
    p = layout.root / EXTRACT
    text = p.read_text(encoding="utf-8")
    assert old in text, old
    p.write_text(text.replace(old, new, 1), encoding="utf-8")


def append(layout, text):
    p = layout.root / EXTRACT
    p.write_text(p.read_text(encoding="utf-8") + text, encoding="utf-8")


F = EXTRACT
CASES = {
    "alias bomb appended": (
        lambda l: append(l, BOMB),
        [f"{F}: record b[1]: field -: YAML alias *a (anchor at line 557)", "anchors and aliases are not allowed in extracts"]),
    "alias inside a record": (
        lambda l: edit(l, "    name: Astana\n", "    name: &n Astana\n    note: *n\n"),
        [f"{F}: record astana: field note: YAML alias *n (anchor at line"]),
    "self-referencing alias": (
        lambda l: edit(l, "    place_type: sea\n", "    place_type: sea\n    aliases: &me [*me]\n"),
        [f"{F}: record caspian-sea: field aliases: YAML alias *me (anchor at line"]),
    "30-digit integer": (
        lambda l: edit(l, "    geonames_id: 1526273\n", "    geonames_id: 123456789012345678901234567890\n"),
        [f"{F}: record astana: field geonames_id: 123456789012345678901234567890 is too large"]),
    "5000-digit integer": (
        lambda l: edit(l, "    geonames_id: 1526273\n", "    geonames_id: " + "9" * 5000 + "\n"),
        [f"{F}: record astana: field geonames_id: cannot read the value at line"]),
    "duplicate key": (
        lambda l: edit(l, "  publisher: Seetao\n", "  publisher: Seetao\n  publisher: Other\n"),
        [f"{F}: record {SID}: field publisher: duplicate key 'publisher' at line 13"]),
    "duplicate key in a record": (
        lambda l: edit(l, "    place_type: city\n", "    place_type: city\n    place_type: sea\n"),
        [f"{F}: record astana: field place_type: duplicate key 'place_type'"]),
    ".nan": (
        lambda l: edit(l, "    project_type: railway\n", "    project_type: railway\n    quantities:\n      - kind: length\n"
                       "        basis: measured\n        unit: km\n        value: .nan\n        quote: \"railway\"\n"),
        [f"{F}: record kazakhstan-turkmenistan-iran-railway: field value: expected a finite number, got nan"]),
    ".inf": (
        lambda l: edit(l, "    project_type: railway\n", "    project_type: railway\n    finance:\n      - kind: loan\n"
                       "        currency: USD\n        amount: .inf\n        quote: \"railway\"\n"),
        [f"{F}: record kazakhstan-turkmenistan-iran-railway: field amount: expected a finite number, got inf"]),
    "30 February as a partial date": (
        lambda l: edit(l, "    agreement_type: talks\n", "    agreement_type: talks\n    date: '2025-02-30'\n"),
        [f"{F}: record kazakhstan-iran-astana-talks: field date: '2025-02-30' is not a date in the calendar"]),
    "30 February unquoted": (
        lambda l: edit(l, "    agreement_type: talks\n", "    agreement_type: talks\n    date: 2025-02-30\n"),
        [f"{F}: record kazakhstan-iran-astana-talks: field date: cannot read the value at line"]),
    "year 0000 as a partial date": (
        lambda l: edit(l, "    agreement_type: talks\n", "    agreement_type: talks\n    date: '0000'\n"),
        [f"{F}: record kazakhstan-iran-astana-talks: field date: year 0000 is outside 1800 to 2200"]),
    "basic-format published date": (
        lambda l: edit(l, 'published_date: "2025-12-16"', 'published_date: "20251216"'),
        [f"{F}: record {SID}: field published_date: invalid date '20251216': expected YYYY-MM-DD"]),
    "week-date published date": (
        lambda l: edit(l, 'published_date: "2025-12-16"', 'published_date: "2025-W51-2"'),
        [f"{F}: record {SID}: field published_date: invalid date '2025-W51-2': expected YYYY-MM-DD"]),
    "30 February as published date": (
        lambda l: edit(l, 'published_date: "2025-12-16"', 'published_date: "2025-02-30"'),
        [f"{F}: record {SID}: field published_date: invalid date '2025-02-30'"]),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_hostile_extract_is_a_problem_with_file_record_and_field(checkout, capsys, case):
    damage, messages = CASES[case]
    err = build_refused(checkout, capsys, damage, messages)
    assert "Traceback" not in err


def test_alias_bomb_is_refused_in_bounded_time_and_memory(repo):
    """In a fresh process, so that its peak memory is the parse's own."""
    text = (repo.root / EXTRACT).read_text(encoding="utf-8") + BOMB
    code = (
        "import resource, sys, time\n"
        "from infratracker.extracts.parse import parse_extract\n"
        "text = sys.stdin.read()\n"
        "before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
        "start = time.perf_counter()\n"
        "ext, problems = parse_extract(text, 'x.yaml')\n"
        "took = time.perf_counter() - start\n"
        "grew = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before\n"
        "assert ext is None and any('alias' in p.message for p in problems), problems\n"
        "print(f'{took:.4f} {grew / 1024:.1f}')\n")
    proc = subprocess.run([sys.executable, "-c", code], input=text, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    took, grew_mib = map(float, proc.stdout.split())
    print(f"alias bomb refused in {took:.4f} s, peak memory grew {grew_mib:.1f} MiB")
    assert took < 1 and grew_mib < 50


@pytest.mark.parametrize("text", [
    "source: " + "[" * 990 + "]" * 990 + "\n",
    "source: " + "{a: " * 990 + "1" + "}" * 990 + "\n",
    "source: " + "[" * 5000 + "]" * 5000 + "\n",
])
def test_deep_nesting_is_a_problem_not_a_crash(text):
    ext, problems = parse_extract(text, "x.yaml")
    assert problems and all(p.file == "x.yaml" for p in problems)


@pytest.mark.parametrize("date, message", [("2025-02-30", "'2025-02-30' is not a date in the calendar"),
                                           ("0000", "year 0000 is outside 1800 to 2200")])
def test_package_with_an_impossible_partial_date_is_not_valid(checkout, capsys, date, message):
    """A package whose descriptor vouches for the edited bytes (hashes updated too): the
    registry's pattern admits these, the calendar does not."""
    import hashlib
    import json

    from infratracker.cli import main

    path = checkout.data / "agreements.csv"
    precision = "day" if len(date) == 10 else "year"
    data = path.read_bytes().replace(b"\nkazakhstan-iran-astana-talks,Kazakhstan\xe2\x80\x93Iran presidential talks in "
                                     b"Astana,talks,discussed,,,",
                                     b"\nkazakhstan-iran-astana-talks,Kazakhstan\xe2\x80\x93Iran presidential talks in "
                                     b"Astana,talks,discussed," + f"{date},{precision},".encode(), 1)
    assert data != path.read_bytes()
    path.write_bytes(data)
    desc = json.loads(checkout.descriptor.read_text(encoding="utf-8"))
    res = next(r for r in desc["resources"] if r["name"] == "agreements")
    res["bytes"], res["hash"] = len(data), "sha256:" + hashlib.sha256(data).hexdigest()
    checkout.descriptor.write_text(json.dumps(desc, indent=2), encoding="utf-8")
    assert main(["validate", str(checkout.descriptor)]) == 1
    err = capsys.readouterr().err
    assert f"data/agreements.csv: record kazakhstan-iran-astana-talks: field date: {message}" in err, err
