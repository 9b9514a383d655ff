import csv
import io

from support import copy_checkout, snapshot

from infratracker.cli import main
from infratracker.core import captures
from infratracker.core import registry
from infratracker.core.reference import load_yaml
from infratracker.publish import build


def rows(layout, table):
    return list(csv.DictReader(io.StringIO((layout.data / f"{table}.csv").read_text(encoding="utf-8"))))


def test_fresh_build_reproduces_committed_outputs(repo, tmp_path):
    """Green CI must prove something: the committed data equals a fresh build from the sources."""
    fresh = copy_checkout(tmp_path / "fresh", with_outputs=False)
    built = build.build(fresh)
    for rel, data in built.outputs.items():
        assert (repo.root / rel).read_bytes() == data, f"{rel} differs from a fresh build: run `make build`"
    committed = {repo.rel(p) for p in [*repo.data.glob("*.csv"), *repo.schemas.glob("*.yaml")]}
    assert committed <= set(built.outputs)


def test_build_twice_is_byte_identical(checkout):
    assert main(["--root", str(checkout.root), "build"]) == 0
    first = snapshot(checkout)
    assert main(["--root", str(checkout.root), "build"]) == 0
    assert snapshot(checkout) == first


def test_outputs_are_utf8_without_bom_with_lf_line_ends(repo):
    for path in [*repo.data.glob("*.csv"), repo.descriptor]:
        data = path.read_bytes()
        assert not data.startswith(b"\xef\xbb\xbf")
        assert b"\r" not in data
        data.decode("utf-8")


def test_rows_are_sorted_by_primary_key(repo):
    for res in registry.RESOURCES:
        keys = [tuple(r[k] for k in res.primary_key) for r in rows(repo, res.name)]
        assert keys == sorted(keys), res.name


def test_project_rows_exact(repo):
    by_id = {r["project_id"]: r for r in rows(repo, "projects")}
    assert set(by_id) == {
        "instc", "kazakhstan-turkmenistan-iran-railway", "caspian-ports-cooperation",
        "caspian-logistics-channels", "turkmenistan-transport-corridors-modernisation",
        "farabi-memorial-complex", "iran-kazakhstan-manuscripts-transfer", "belt-and-road-initiative",
    }
    kti = by_id["kazakhstan-turkmenistan-iran-railway"]
    assert (kti["name"], kti["project_type"], kti["sector"], kti["status"], kti["length_km"]) == (
        "Kazakhstan–Turkmenistan–Iran railway", "railway", "transport.rail", "", "")
    assert by_id["iran-kazakhstan-manuscripts-transfer"]["status"] == "completion"
    assert by_id["farabi-memorial-complex"]["status"] == "identification"


def test_translation_error_is_corrected_with_note(repo):
    (cor,) = rows(repo, "corrections")
    assert (cor["record_table"], cor["record_id"], cor["field"], cor["as_printed"], cor["corrected"]) == (
        "parties", "central-asia-iran-dialogue-mechanism--UZB--prospective_party", "country_id", "Ukraine", "UZB")
    assert "Uzbekistan" in cor["note"]
    assert not [r for r in rows(repo, "parties") if r["country_id"] == "UKR"]


def test_garbled_names_are_aliases_of_canonical_records(repo):
    aliases = {(a["record_id"], a["alias"]) for a in rows(repo, "aliases")}
    assert {("masoud-pezeshkian", "Pezehezhian"), ("masoud-pezeshkian", "Pezehizyan"),
            ("masoud-pezeshkian", "Pei Zexi Qiwan"), ("kazakhstan-iran-astana-talks", "Yiha Summit"),
            ("abraham-accords", "Abraham Accord")} <= aliases


def test_uncertainty_is_kept(repo):
    agreements = {r["agreement_id"]: r for r in rows(repo, "agreements")}
    docs = agreements["kazakhstan-iran-cooperation-documents"]
    assert docs["status"] == "signed" and docs["document_count"] == ""  # "multiple" is not a count
    assert agreements["central-asia-iran-dialogue-mechanism"]["status"] == "proposed"  # "feasible"
    assert all(a["date"] == "" for a in agreements.values())  # the source dates nothing
    (src,) = rows(repo, "sources")
    assert src["url"] == "" and src["timezone"] == ""


def test_every_quote_occurs_in_its_archived_source(repo):
    rules = load_yaml(repo.reference / "publishers.yaml")
    srcs = {s["source_id"]: s for s in rows(repo, "sources")}
    bodies = {}
    for sid, s in srcs.items():
        raw = (repo.root / s["archive_path"]).read_bytes()
        assert captures.sha256(raw) == s["sha256"]
        bodies[sid] = captures.normalise(captures.derive_body(raw.decode("utf-8"),
                                                            captures.BodyRule.from_spec(rules[s["body_rule"]])))
    cits = rows(repo, "citations")
    assert len(cits) > 50
    for c in cits:
        assert len(c["quote"]) <= 300
        assert captures.normalise(c["quote"]) in bodies[c["source_id"]], c["citation_id"]


def test_body_drops_site_furniture(repo):
    raw = (repo.archive / "seetao-2025-12-16-yiha-summit.txt").read_text(encoding="utf-8")
    rule = captures.BodyRule.from_spec(load_yaml(repo.reference / "publishers.yaml")["seetao"])
    body = captures.derive_body(raw, rule)
    assert body.startswith("The Yiha Summit deepens economic ties")
    assert body.endswith("direction and depth of regional cooperation.")
    for furniture in ("Related articles", "Retrieve password", "Reading this article requires", "Editor/"):
        assert furniture not in body


def test_every_record_has_evidence(repo):
    cited = {(c["record_table"], c["record_id"]) for c in rows(repo, "citations")}
    for res in registry.RESOURCES:
        if not res.citable or res.name in ("countries", "sources"):
            continue
        for row in rows(repo, res.name):
            assert (res.name, registry.record_key(res, row)) in cited, (res.name, row)


def test_countries_come_from_iso_3166(repo):
    countries = {r["country_id"]: r for r in rows(repo, "countries")}
    assert len(countries) == 249
    assert countries["NAM"]["iso_alpha2"] == "NA"  # not read as missing
    assert countries["AFG"]["iso_numeric"] == "004"  # leading zeros kept
    assert (countries["KAZ"]["region"], countries["KAZ"]["subregion"]) == ("Asia", "Central Asia")


def test_places_take_coordinates_from_the_gazetteer(repo):
    places = {r["place_id"]: r for r in rows(repo, "places")}
    assert (places["astana"]["latitude"], places["astana"]["longitude"],
            places["astana"]["coordinates_source"]) == ("51.1801", "71.44598", "gazetteer")
    assert places["caspian-sea"]["latitude"] == "" and places["caspian-sea"]["coordinates_source"] == "none"


def test_second_build_refused_while_one_runs(checkout):
    import pytest

    with build.build_lock(checkout):
        with pytest.raises(build.BuildLocked):
            with build.build_lock(checkout):
                pass
    assert main(["--root", str(checkout.root), "build"]) == 0
