"""Bad input: every problem at once, each naming file, record and field; exit 1; nothing published."""
import subprocess
import sys

import pytest
from support import build_refused, snapshot

from infratracker.cli import main

EXTRACT = "extracts/seetao-2025-12-16-yiha-summit.yaml"
FILE = EXTRACT


def edit(layout, old, new, path=EXTRACT, count=1):
    p = layout.root / path
    text = p.read_text(encoding="utf-8")
    assert text.count(old) >= count, old
    p.write_text(text.replace(old, new, count), encoding="utf-8")


CASES = {
    "unknown country": (
        lambda l: edit(l, "  - id: TJK\n", "  - id: XKX\n"),
        [f"{FILE}: record XKX: field country_id: unknown country 'XKX'"]),
    "unknown country in a link": (
        lambda l: edit(l, "      - country_id: TKM\n        role: transit", "      - country_id: TKX\n        role: transit"),
        [f"{FILE}: record turkmenistan-transport-corridors-modernisation--TKX--transit: field country_id: unknown countries id 'TKX'"]),
    "duplicate id": (
        lambda l: edit(l, "  - id: caspian-logistics-channels\n", "  - id: caspian-ports-cooperation\n"),
        [f"{FILE}: record caspian-ports-cooperation: field project_id: duplicate id"]),
    "dangling reference": (
        lambda l: edit(l, "      - project_id: instc\n        quote: 'especially", "      - project_id: instc-typo\n        quote: 'especially"),
        [f"{FILE}: record kazakhstan-iran-astana-talks/instc-typo: field project_id: unknown projects id 'instc-typo'"]),
    "quote not in source": (
        lambda l: edit(l, '- quote: "held a meeting in Astana"', '- quote: "held a summit in Astana"'),
        [f"{FILE}: record astana: field evidence: quote not found in the archived text"]),
    "invalid date": (
        lambda l: edit(l, 'published_date: "2025-12-16"', 'published_date: "2025-13-16"'),
        [f"{FILE}: record seetao-2025-12-16-yiha-summit: field published_date: invalid date '2025-13-16'"]),
    "value outside codelist": (
        lambda l: edit(l, "sector: transport.rail", "sector: transport.railway"),
        [f"{FILE}: record kazakhstan-turkmenistan-iran-railway: field sector: 'transport.railway' is not a code of codelist 'project_sector'"]),
    "malformed yaml": (
        lambda l: edit(l, "  - id: astana\n", "  - id: [astana\n"),
        [f"{FILE}: record -: field -: malformed YAML at line"]),
    "changed archived article": (
        lambda l: (l.root / "archive/seetao-2025-12-16-yiha-summit.txt").write_bytes(
            (l.root / "archive/seetao-2025-12-16-yiha-summit.txt").read_bytes().replace(b"Astana", b"Astana!")),
        [f"{FILE}: record seetao-2025-12-16-yiha-summit: field sha256: checksum mismatch"]),
    "unknown key": (
        lambda l: edit(l, "    project_type: railway\n", "    project_typ: railway\n"),
        [f"{FILE}: record kazakhstan-turkmenistan-iran-railway: field project_typ: unknown key 'project_typ'",
         f"{FILE}: record kazakhstan-turkmenistan-iran-railway: field project_type: required value is missing"]),
    "yaml boolean for text": (
        lambda l: edit(l, "    country_id: KAZ\n    geonames_id", "    country_id: no\n    geonames_id"),
        [f"{FILE}: record astana: field country_id: expected text, got the YAML boolean False"]),
    "gazetteer disagrees on country": (
        lambda l: edit(l, "    country_id: KAZ\n    geonames_id", "    country_id: IRN\n    geonames_id"),
        [f"{FILE}: record astana: field country_id: the gazetteer puts GeoNames 1526273 (Astana) in KZ, not IRN"]),
    "quote too long": (
        lambda l: edit(l, '- quote: "held a meeting in Astana"', '- quote: "held a meeting in Astana' + " x" * 200 + '"'),
        [f"{FILE}: record astana: field quote: text of"]),
    "amount without currency": (
        lambda l: edit(l, "    project_type: railway\n", "    project_type: railway\n    finance:\n      - kind: loan\n"
                       "        amount: 1.6\n        quote: \"the Kazakhstan Turkmenistan Iran\"\n"),
        [f"{FILE}: record kazakhstan-turkmenistan-iran-railway--loan: field currency: required when amount is set"]),
    "a derived field in an extract": (
        lambda l: edit(l, "    project_type: railway\n", "    project_type: railway\n    cost_amount: 1.6\n"),
        [f"{FILE}: record kazakhstan-turkmenistan-iran-railway: field cost_amount: unknown key 'cost_amount'"]),
    "party both country and bloc": (
        lambda l: edit(l, "      - country_id: TKM\n        role: prospective_party",
                       "      - country_id: TKM\n        bloc_id: the-west\n        role: prospective_party"),
        [f"{FILE}: record central-asia-iran-dialogue-mechanism--the-west--prospective_party: field country_id: at most one "
         "of country_id or bloc_id or organisation_id may be set"]),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_input_is_reported_and_nothing_is_published(checkout, capsys, case):
    damage, expected = CASES[case]
    build_refused(checkout, capsys, damage, expected)


def test_every_problem_is_reported_at_once(checkout, capsys):
    before = snapshot(checkout)
    for case in ("unknown country", "invalid date", "value outside codelist", "dangling reference"):
        CASES[case][0](checkout)
    assert main(["--root", str(checkout.root), "build"]) == 1
    err = capsys.readouterr().err
    for case in ("unknown country", "invalid date", "value outside codelist", "dangling reference"):
        assert CASES[case][1][0] in err
    assert "4 problem(s)" in err
    assert snapshot(checkout) == before


def test_command_line_gives_no_traceback(checkout):
    CASES["malformed yaml"][0](checkout)
    proc = subprocess.run([sys.executable, "-m", "infratracker.cli", "--root", str(checkout.root), "build"],
                          capture_output=True, text=True)
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr and "malformed YAML at line" in proc.stderr


def test_csv_edited_after_build_is_detected(checkout, capsys):
    path = checkout.data / "projects.csv"
    path.write_bytes(path.read_bytes().replace(b"Farabi Memorial Complex,", b"Farabi Memorial Complexx,"))
    assert main(["--root", str(checkout.root), "validate"]) == 1
    err = capsys.readouterr().err
    assert "data/projects.csv: record -: field hash: file hash" in err
    assert "data/projects.csv: record -: field bytes: file has" in err


def test_namibia_survives_a_round_trip(checkout):
    import infratracker

    countries = infratracker.load("countries", path=checkout.descriptor)
    assert countries.set_index("country_id").loc["NAM", "iso_alpha2"] == "NA"
