"""What real articles report, held as they say it: organisations and parties with roles, money by
kind with its terms, quantities with units, disagreements compared like with like, notes that stay
with their source, and the OC4IDS export. Every article here is synthetic, written by the test."""
import json

import pytest
import yaml

from infratracker.cli import main
from infratracker.publish import oc4ids
from test_curate import build, rows, write_source

KTI = "kazakhstan-turkmenistan-iran-railway"


def by_key(layout, table, key):
    return {r[key]: r for r in rows(layout, table)}


def test_loan_and_total_cost_in_two_currencies_are_two_rows_not_a_conflict(checkout):
    loan = "Russia will lend Iran USD 1.6 billion for 10 years at 3% through its state bank."
    cost = "The whole line is estimated at EUR 1.6 billion."
    write_source(checkout, "wire-a", loan, "2025-05-20", {
        "organisations": [{"id": "vnesheconombank", "name": "VEB.RF", "organisation_type": "development_finance_institution",
                           "country_id": "RUS", "quote": "its state bank"}],
        "projects": [{"id": KTI, "quote": loan, "finance": [
            {"kind": "loan", "financier_organisation_id": "vnesheconombank", "recipient_country_id": "IRN",
             "amount": 1.6e9, "currency": "USD", "tenor_years": 10, "interest_rate_pct": 3, "status": "agreed",
             "quote": loan}]}]})
    write_source(checkout, "wire-b", cost, "2025-06-02", {
        "projects": [{"id": KTI, "quote": cost, "finance": [
            {"kind": "total_cost", "amount": 1.6e9, "currency": "EUR", "amount_year": 2024, "quote": cost}]}]})
    assert build(checkout)[0] == 0
    finance = by_key(checkout, "finance", "finance_id")
    loan_row = finance[f"{KTI}--loan--vnesheconombank"]
    cost_row = finance[f"{KTI}--total_cost"]
    assert (loan_row["amount"], loan_row["currency"], loan_row["amount_year"], loan_row["tenor_years"],
            loan_row["interest_rate_pct"], loan_row["recipient_country_id"]) == ("1600000000.0", "USD", "", "10.0", "3.0", "IRN")
    # no year stated: the rate of the source's publication date, and it says so
    assert (loan_row["usd_basis"], loan_row["usd_rate_date"], loan_row["amount_usd"]) == (
        "publication_date", "2025-05-20", "1600000000.0")
    assert (cost_row["usd_basis"], cost_row["usd_rate_date"]) == ("stated_year", "2024-07-01")
    assert rows(checkout, "conflicts") == []  # a loan is not a total cost
    prj = by_key(checkout, "projects", "project_id")[KTI]
    assert (prj["cost_finance_id"], prj["cost_amount"], prj["cost_currency"], prj["cost_year"]) == (
        f"{KTI}--total_cost", "1600000000.0", "EUR", "2024")
    assert prj["cost_amount_usd"] == cost_row["amount_usd"] and 1.6e9 < float(prj["cost_amount_usd"]) < 1.9e9


def test_same_kind_from_two_sources_is_compared_as_one_value(checkout):
    write_source(checkout, "wire-a", "It costs EUR 1.6 billion.", "2025-05-20", {"projects": [{
        "id": KTI, "quote": "It costs EUR 1.6 billion.",
        "finance": [{"kind": "total_cost", "amount": 1.6e9, "currency": "EUR", "quote": "It costs EUR 1.6 billion."}]}]})
    write_source(checkout, "wire-b", "It costs USD 1.6 billion.", "2025-06-02", {"projects": [{
        "id": KTI, "quote": "It costs USD 1.6 billion.",
        "finance": [{"kind": "total_cost", "amount": 1.6e9, "currency": "USD", "quote": "It costs USD 1.6 billion."}]}]})
    assert build(checkout)[0] == 0
    conflicts = sorted((c["field"], c["value"], c["source_id"], c["published"], c["rule"])
                       for c in rows(checkout, "conflicts"))
    assert conflicts == [
        ("amount+currency+amount_year", "1600000000 EUR (no year stated)", "wire-a", "false", "superseded"),
        ("amount+currency+amount_year", "1600000000 USD (no year stated)", "wire-b", "true", "most_recent")]
    reasons = {c["source_id"]: c["reason"] for c in rows(checkout, "conflicts")}
    assert reasons["wire-b"].startswith("published: no pin, and wire-b is the most recently published source (2025-06-02)")
    assert reasons["wire-a"].startswith("not published: wire-b wins")


def _length(checkout, sid, published, text, value, unit):
    write_source(checkout, sid, text, published, {"projects": [{"id": KTI, "quote": text, "quantities": [
        {"kind": "length", "basis": "measured", "value": value, "unit": unit, "quote": text}]}]})


@pytest.mark.parametrize("a, b, conflict", [
    ((162, "km"), (160, "km"), True),        # two kilometres apart: a disagreement
    ((1814, "km"), (1814.0, "km"), False),   # the same number written two ways
    ((1814, "km"), (1814000, "m"), False),   # the same length in two units
    ((100, "mi"), (160.9344, "km"), False),  # a mile is 1.609344 km exactly
])
def test_lengths_are_compared_after_normalisation(checkout, a, b, conflict):
    _length(checkout, "wire-a", "2025-05-20", "The line is long.", *a)
    _length(checkout, "wire-b", "2025-06-02", "The line is very long.", *b)
    assert build(checkout)[0] == 0
    found = [(c["value"], c["normalised"], c["source_id"], c["published"]) for c in rows(checkout, "conflicts")]
    prj = by_key(checkout, "projects", "project_id")[KTI]
    if conflict:
        assert sorted(found) == [("160 km", "160 km", "wire-b", "true"), ("162 km", "162 km", "wire-a", "false")]
        assert prj["length_km"] == "160.0"
    else:
        assert found == []
        qty = rows(checkout, "quantities")
        assert len(qty) == 1 and qty[0]["unit_normalised"] == "km"
        assert float(prj["length_km"]) == pytest.approx(float(qty[0]["value_normalised"]))


def test_section_lengths_per_country_and_targets_are_their_own_quantities(checkout):
    text = "Of the 700 km line, 300 km run through Turkmenistan; it should carry 10 million tonnes a year by 2030."
    write_source(checkout, "wire-a", text, "2025-05-20", {"projects": [{"id": KTI, "quote": text, "quantities": [
        {"kind": "length", "basis": "design", "value": 700, "unit": "km", "quote": text},
        {"kind": "section_length", "basis": "design", "value": 300, "unit": "km", "country_id": "TKM", "quote": text},
        {"kind": "freight_volume", "basis": "target", "target_year": 2030, "value": 10, "unit": "Mt/a", "quote": text}]}]})
    assert build(checkout)[0] == 0
    qty = {(q["kind"], q["country_id"]): q for q in rows(checkout, "quantities")}
    assert qty[("freight_volume", "")]["target_year"] == "2030"
    assert (qty[("freight_volume", "")]["value_normalised"], qty[("freight_volume", "")]["unit_normalised"]) == (
        "10000000.0", "t/a")
    assert by_key(checkout, "projects", "project_id")[KTI]["length_km"] == "700.0"  # not the section


def test_trade_target_with_a_year_belongs_to_the_agreement(checkout):
    text = "The presidents set a goal of USD 3 billion in trade by 2030."
    write_source(checkout, "wire-a", text, "2025-05-20", {"agreements": [{"id": "kazakhstan-iran-astana-talks",
        "quote": text, "quantities": [{"kind": "trade_value", "basis": "target", "target_year": 2030,
                                       "value": 3e9, "currency": "USD", "quote": text}]}]})
    assert build(checkout)[0] == 0
    [q] = rows(checkout, "quantities")
    assert (q["agreement_id"], q["project_id"], q["value"], q["currency"], q["unit"], q["target_year"],
            q["unit_normalised"]) == ("kazakhstan-iran-astana-talks", "", "3000000000.0", "USD", "", "2030", "USD")


def test_contractor_and_client_are_organisations_with_roles(checkout):
    text = ("Iran's state railway RAI signed the contract with the Russian company RZD International, "
            "part of Russian Railways, which will build the line.")
    write_source(checkout, "wire-a", text, "2025-05-20", {
        "organisations": [
            {"id": "russian-railways", "name": "Russian Railways", "organisation_type": "state_company",
             "country_id": "RUS", "aliases": [{"alias": "РЖД", "language": "ru"}], "quote": "Russian Railways"},
            {"id": "rzd-international", "name": "RZD International", "organisation_type": "company",
             "country_id": "RUS", "parent_organisation_id": "russian-railways", "quote": "RZD International"},
            {"id": "railways-of-iran", "name": "Railways of the Islamic Republic of Iran", "organisation_type": "state_company",
             "country_id": "IRN", "aliases": ["RAI"], "quote": "Iran's state railway RAI"}],
        "projects": [{"id": KTI, "quote": text, "parties": [
            {"organisation_id": "rzd-international", "role": "contractor", "quote": "which will build the line"},
            {"organisation_id": "railways-of-iran", "role": "client", "quote": "Iran's state railway RAI signed the contract"}]}]})
    assert build(checkout)[0] == 0
    orgs = by_key(checkout, "organisations", "organisation_id")
    assert orgs["rzd-international"]["parent_organisation_id"] == "russian-railways"
    parties = {(p["party_id"], p["role"]) for p in rows(checkout, "parties") if p["project_id"] == KTI}
    assert {("rzd-international", "contractor"), ("railways-of-iran", "client"), ("KAZ", "host")} <= parties
    assert {"РЖД", "RAI"} <= {a["alias"] for a in rows(checkout, "aliases") if a["record_table"] == "organisations"}
    assert main(["--root", str(checkout.root), "export", "oc4ids", "--output", str(checkout.root / "x.json")]) == 0
    doc = json.loads((checkout.root / "x.json").read_text())
    [prj] = [p for p in doc["projects"] if p["id"] == KTI]
    roles = {p["id"]: p.get("roles") for p in prj["parties"]}
    assert roles["organisation/rzd-international"] == ["supplier"] and roles["organisation/railways-of-iran"] == ["buyer"]
    assert oc4ids.problems(checkout, doc) == []


def test_no_year_is_not_forced_and_an_unquoted_currency_says_why(checkout):
    text = "The port will cost 50 trillion rials."
    write_source(checkout, "wire-a", text, "2025-05-20", {"projects": [{"id": "caspian-ports-cooperation", "quote": text,
        "finance": [{"kind": "total_cost", "amount": 5e13, "currency": "IRR", "quote": text}]}]})
    assert build(checkout)[0] == 0
    [fin] = rows(checkout, "finance")
    assert (fin["amount_year"], fin["amount_usd"], fin["usd_basis"]) == ("", "", "no_rate")
    assert fin["usd_note"] == "the ECB publishes no reference rate for IRR"


def test_a_count_refines_multiple_and_the_old_note_does_not_go_stale(checkout):
    text = "In Astana the sides signed 14 cooperation documents."
    write_source(checkout, "wire-a", text, "2025-12-20", {"agreements": [{
        "id": "kazakhstan-iran-cooperation-documents", "document_count": 14,
        "evidence": [{"quote": text, "field": "document_count"}]}]})
    assert build(checkout)[0] == 0
    agr = by_key(checkout, "agreements", "agreement_id")["kazakhstan-iran-cooperation-documents"]
    assert agr["document_count"] == "14"
    assert agr["note"] == ""  # the seed's "document_count is left empty" is not the record's any more
    notes = {n["source_id"]: n["note"] for n in rows(checkout, "source_notes")
             if n["record_id"] == "kazakhstan-iran-cooperation-documents"}
    assert list(notes) == ["seetao-2025-12-16-yiha-summit"] and "multiple" in notes["seetao-2025-12-16-yiha-summit"]
    assert rows(checkout, "conflicts") == []
    # a curator sets the record's note on purpose, with a pin
    path = checkout.extracts / "wire-a.yaml"
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    doc["agreements"][0].update(note="Fourteen documents, none named.", pin=["note"])
    path.write_text(yaml.safe_dump(doc), encoding="utf-8")
    assert build(checkout)[0] == 0
    assert by_key(checkout, "agreements", "agreement_id")["kazakhstan-iran-cooperation-documents"]["note"] == \
        "Fourteen documents, none named."


@pytest.mark.parametrize("entry, message", [
    ({"country_id": "KAZ", "organisation_id": "nobody", "role": "host"},
     "field country_id: at most one of country_id or bloc_id or organisation_id may be set"),
    ({"role": "host"}, "field country_id: at least one of country_id or bloc_id or organisation_id or person_id must be set"),
])
def test_party_rules_name_file_record_and_field(checkout, capsys, entry, message):
    text = "The line is built."
    write_source(checkout, "wire-a", text, "2025-05-20", {"projects": [{"id": KTI, "quote": text,
                                                                       "parties": [{**entry, "quote": text}]}]})
    before = (checkout.data / "parties.csv").read_bytes()
    code, err = build(checkout, capsys)
    assert code == 1 and message in err and "extracts/wire-a.yaml" in err
    assert (checkout.data / "parties.csv").read_bytes() == before


def test_quantity_needs_a_unit_or_a_currency(checkout, capsys):
    text = "The line is long."
    write_source(checkout, "wire-a", text, "2025-05-20", {"projects": [{"id": KTI, "quote": text, "quantities": [
        {"kind": "length", "basis": "measured", "value": 5, "unit": "km", "currency": "USD", "quote": text},
        {"kind": "capacity", "basis": "design", "value": 5, "unit": "furlongs", "quote": text}]}]})
    code, err = build(checkout, capsys)
    assert code == 1
    assert "field unit: exactly one of unit or currency must be set" in err
    assert "field unit: " in err and "furlongs" in err


def test_oc4ids_export_is_valid_and_an_invalid_one_is_refused(checkout, capsys):
    assert main(["--root", str(checkout.root), "export", "oc4ids", "--output", str(checkout.root / "x.json")]) == 0
    doc = json.loads((checkout.root / "x.json").read_text())
    assert oc4ids.problems(checkout, doc) == []
    assert len(doc["projects"]) == len(rows(checkout, "projects"))
    assert doc["uri"].startswith("urn:infratracker:") and doc["publishedDate"] == "2026-11-27T00:00:00Z"
    instc = next(p for p in doc["projects"] if p["id"] == "instc")
    assert {p["name"] for p in instc["parties"]} == {"Iran", "Kazakhstan"}
    assert instc["documents"][0]["publisher"] == {"name": "Seetao"}
    doc["projects"][0]["status"] = "finished"
    doc["projects"][1]["parties"] = [{"id": "x", "name": "X", "roles": ["builder"]}]
    found = oc4ids.problems(checkout, doc)
    assert [(p.record, p.field) for p in found] == [
        (doc["projects"][0]["id"], "projects/0/status"), (doc["projects"][1]["id"], "projects/1/parties/0/roles/0")]


def test_oc4ids_refuses_a_project_listed_twice(checkout):
    """The schema's uniqueItems on the projects, checked by canonical JSON (jsonschema's pairwise
    comparison of 100k projects did not finish): the repeated project is named."""
    from infratracker.check.package import Package, check

    checked = check(Package(checkout.descriptor))
    doc = oc4ids.project_package(checkout, {name: checked.rows(name) for name in checked.names})
    assert oc4ids.problems(checkout, doc) == []
    doc["projects"].append(json.loads(json.dumps(doc["projects"][0])))
    found = oc4ids.problems(checkout, doc)
    assert [(p.record, p.field, p.message) for p in found] == [
        (doc["projects"][0]["id"], f"projects/{len(doc['projects']) - 1}", "projects has non-unique elements")]
