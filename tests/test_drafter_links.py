"""The drafter's links (issue 13): who lends to whom, who builds, a project's stage, sanctions,
agreements, progress and shares, proposed in the extract's own form and linked by id. Every
sentence here is synthetic, written by the test, with made-up names where a name is new."""
import datetime as dt

import pytest

from infratracker.intake import drafting
from infratracker.intake.numbers import quantities

PUBLISHED = dt.date(2026, 4, 2)


@pytest.fixture(scope="module")
def lexicon(tmp_path_factory):
    from tests.conftest import copy_checkout

    return drafting.build_lexicon(copy_checkout(tmp_path_factory.mktemp("lex") / "repo"))


def draft(text, lexicon, language="en"):
    return drafting.detect(text, lexicon, language=language, published=PUBLISHED)["draft"]


def drafted_id(d, kind, name):
    return next(e["id"] for e in d[kind] if e["name"] == name)


def without(entries, *keys):
    return [{k: v for k, v in e.items() if k not in keys} for e in entries]


def test_a_loan_names_its_lender_borrower_and_project(lexicon):
    d = draft("The Velmor Development Bank will lend $250 million to Ostrava Rail Company, the operator of the "
              "Kelgard–Durmin railway, with a tenor of 15 years.", lexicon)
    bank = drafted_id(d, "organisations", "Velmor Development Bank")
    borrower = drafted_id(d, "organisations", "Ostrava Rail Company")
    line = drafted_id(d, "projects", "Kelgard–Durmin railway")
    assert without(d["finance"], "quote") == [{
        "project_id": line, "kind": "loan", "financier_organisation_id": bank,
        "recipient_organisation_id": borrower, "amount": 250_000_000, "currency": "USD", "tenor_years": 15,
        "confidence": 0.8}]
    assert sorted((p["organisation_id"], p["role"], p["project_id"]) for p in d["parties"]) == sorted(
        [(bank, "lender", line), (borrower, "borrower", line)])


def test_a_preposition_binds_closer_than_a_verb(lexicon):
    # "from X, ..., to finance": X lends; it does not merely fund
    d = draft("The port will receive a concessional loan of up to $20 million from the Norvale Climate Fund, "
              "channelled through a partner bank, to finance new cranes at the Varsk port terminal.", lexicon)
    fund = drafted_id(d, "organisations", "Norvale Climate Fund")
    assert [f.get("financier_organisation_id") for f in d["finance"]] == [fund]
    assert [p["role"] for p in d["parties"] if p.get("organisation_id") == fund] == ["lender"]


def test_a_country_that_finances_with_a_loan_is_its_financier(lexicon):
    d = draft("Russia will finance the Kelgard–Durmin railway with a state loan of 1.3 bln euro.", lexicon)
    assert d["finance"][0]["financier_country_id"] == "RUS" and d["finance"][0]["kind"] == "loan"


def test_budget_money_in_its_own_clause_is_a_budget_allocation():
    from infratracker.intake.numbers import money

    found = money("The Velmor Bank will co-finance the line with a loan of USD 150 mln, while the government "
                  "will contribute $62 million from the budget.")
    assert [(m["kind"], m["amount"]) for m in found] == [("loan", 150_000_000), ("budget_allocation", 62_000_000)]


def test_who_builds_and_the_stage(lexicon):
    d = draft("The Kelgard–Durmin railway is being built by Sandvale Construction Group, and track laying "
              "began in January 2026.", lexicon)
    line = drafted_id(d, "projects", "Kelgard–Durmin railway")
    builder = drafted_id(d, "organisations", "Sandvale Construction Group")
    assert [(p["organisation_id"], p["role"], p["project_id"]) for p in d["parties"]] == [(builder, "contractor", line)]
    assert without(d["status_events"], "quote", "confidence") == [
        {"project_id": line, "status": "implementation", "event_date": "2026-01"}]


@pytest.mark.parametrize("sentence,stage", [
    ("The Kelgard–Durmin railway was put into operation in March 2025.", "completion"),
    ("The Kelgard–Durmin railway will be completed by 2028.", None),  # the future is no completion
    ("Construction of the Kelgard–Durmin railway is 60 percent complete.", "implementation"),
    ("The feasibility study for the Kelgard–Durmin railway is due next year.", "preparation"),
    ("The Kelgard–Durmin railway project was shelved in 2024.", "cancelled"),
])
def test_stages_and_tense(lexicon, sentence, stage):
    d = draft(sentence, lexicon)
    assert [e["status"] for e in d.get("status_events", [])] == ([stage] if stage else [])


def test_a_sentence_without_a_project_speaks_of_the_story_project(lexicon):
    d = draft("The Kelgard–Durmin railway will link the two valleys. The Kelgard–Durmin railway is key. "
              "Construction is scheduled to start in October 2026.", lexicon)
    line = drafted_id(d, "projects", "Kelgard–Durmin railway")
    event = d["status_events"][0]
    assert (event["project_id"], event["status"], event["confidence"]) == (line, "preparation", 0.3)


def test_a_drafted_name_is_found_again_without_its_cue(lexicon):
    d = draft("The Velmor Development Bank opened an office in the capital. Later, the Velmor Development Bank "
              "lent $40 million for the Varsk port terminal.", lexicon)
    bank = drafted_id(d, "organisations", "Velmor Development Bank")
    assert d["finance"][0]["financier_organisation_id"] == bank


def test_russian_cases_tell_the_lender_from_the_borrower(lexicon):
    d = draft("Евразийский банк развития выделит Кыргызстану кредит в размере 200 млн долларов.", lexicon,
              language="ru")
    loan = d["finance"][0]
    assert (loan["kind"], loan["amount"], loan["currency"], loan.get("recipient_country_id")) == (
        "loan", 200_000_000, "USD", "KGZ")
    assert loan["financier_organisation_id"] == d["organisations"][0]["id"]


def test_russian_subject_after_the_verb_is_the_funder(lexicon):
    d = draft("Разработку ТЭО железной дороги «Кельгард — Дурмин» профинансирует Узбекистан.", lexicon, language="ru")
    (party,) = d["parties"]
    assert (party["country_id"], party["role"], party["project_id"]) == ("UZB", "funder", d["projects"][0]["id"])


@pytest.mark.parametrize("sentence,language,by,on,likelihood", [
    ("US sanctions against Iran limit the financing of the port.", "en", "USA", "IRN", "in_effect"),
    ("Banks that deal with the operator risk secondary sanctions imposed by the United States.", "en", "USA",
     None, "possible"),
    ("Санкции против России осложняют поставки оборудования.", "ru", None, "RUS", "in_effect"),
])
def test_sanctions_are_funding_constraints(lexicon, sentence, language, by, on, likelihood):
    (c,) = draft(sentence, lexicon, language)["funding_constraints"]
    assert (c["constraint_type"], c.get("imposed_by_country_id"), c.get("affected_country_id"), c["likelihood"]) == (
        "sanctions", by, on, likelihood)
    assert c["name"] and c["name"].casefold() in sentence.casefold()  # the source's words


def test_an_agreement_with_its_type_status_date_parties_and_project(lexicon):
    d = draft("Kazakhstan and Uzbekistan signed a memorandum on the Kelgard–Durmin railway on 3 March 2026.", lexicon)
    (a,) = d["agreements"]
    line = drafted_id(d, "projects", "Kelgard–Durmin railway")
    assert (a["agreement_type"], a["status"], a["date"]) == ("memorandum", "signed", "2026-03-03")
    assert a["name"] == "Memorandum on the Kelgard–Durmin railway on 3 March 2026"
    assert without(a["parties"], "quote") == [{"country_id": "KAZ", "role": "party"}, {"country_id": "UZB", "role": "party"}]
    assert a["projects"] == [{"project_id": line, "quote": a["quote"]}]  # every link carries its evidence


@pytest.mark.parametrize("sentence,language,expected", [
    ("Construction of the line is 60 percent complete.", "en", [("progress", 60)]),
    ("Works on the bridge have reached 45%.", "en", [("progress", 45)]),
    ("Готовность объекта составляет 72%.", "ru", [("progress", 72)]),
    ("China will hold 51 percent of the joint venture, and Kyrgyzstan and Uzbekistan 24.5 percent each.", "en",
     [("share", 51), ("share", 24.5)]),
    ("Компании принадлежит 85% в операторе газопровода.", "ru", [("share", 85)]),
    ("Cargo traffic grew 12% last year.", "en", []),
    ("The interest rate is 2.5% and the market share of rail is 40%.", "en", []),
])
def test_progress_and_shares_in_per_cent(sentence, language, expected):
    found = [(q["kind"], q["value"]) for q in quantities(sentence, language) if q["unit"] == "%"]
    assert found == expected


def test_every_link_names_a_record_of_the_draft_or_the_data(lexicon):
    """No dangling id: every *_id a proposal links to is a drafted record's id, or a record in
    the data (or a country code)."""
    d = drafting.detect(
        "The Velmor Development Bank (VDB) will lend $250 million to Ostrava Rail Company, the operator of the "
        "Kelgard–Durmin railway. The VDB loan has a tenor of 15 years. Sandvale Construction Group is building the line. "
        "Kazakhstan and Uzbekistan signed a memorandum on the Kelgard–Durmin railway on 3 March 2026.",
        lexicon, published=PUBLISHED)
    drafted = {e["id"] for k in drafting.RECORD_KINDS if k in d["draft"] for e in d["draft"][k]}
    known = {e["id"] for k, v in d.items() if k != "draft" for e in v}
    for kind in ("parties", "finance", "status_events", "quantities"):
        for e in d["draft"].get(kind, []):
            for key, value in e.items():
                if key.endswith("_id") and not key.endswith("country_id"):
                    assert value in drafted | known, (kind, key, value)


# --- the README's walk-through, run for real ----------------------------------------------------

def test_the_readme_walkthrough_end_to_end(tmp_path, capsys):
    """add-article on docs/examples/velmor-loan.txt drafts what the README shows; build refuses the
    draft and names what is left; the reviewed extract in docs/examples builds, and its rows are
    published with their citations."""
    import csv
    import re

    import yaml

    from infratracker.cli import main
    from support import REPO_ROOT, copy_checkout

    layout = copy_checkout(tmp_path / "repo")
    root = str(layout.root)
    article = REPO_ROOT / "docs" / "examples" / "velmor-loan.txt"
    assert main(["--root", root, "add-article", str(article), "--publisher", "Example Wire",
                 "--published", "2026-04-02"]) == 0
    (extract,) = [p for p in layout.extracts.glob("example-wire-*.yaml")]
    drafted = yaml.safe_load(extract.read_text(encoding="utf-8"))

    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    shown = yaml.safe_load(re.search(r"<!-- walkthrough-draft[^>]*-->\n```yaml\n(.*?)```", readme, re.S)[1])
    for kind, entries in shown.items():
        actual = [{k: v for k, v in e.items() if k != "quote"} for e in drafted["draft"][kind]]
        for entry in entries:
            assert entry in actual, (kind, entry, actual)

    capsys.readouterr()
    assert main(["--root", root, "build"]) == 1
    err = capsys.readouterr().err
    assert "unreviewed:" in err and "velmor-development-bank as lender" in err, err

    reviewed = yaml.safe_load((REPO_ROOT / "docs" / "examples" / "velmor-loan.reviewed.yaml").read_text("utf-8"))
    extract.write_text(yaml.safe_dump({"source": drafted["source"], **reviewed}, allow_unicode=True, sort_keys=False),
                       encoding="utf-8")
    assert main(["--root", root, "build"]) == 0, capsys.readouterr().err

    def rows(table, **where):
        with open(layout.data / f"{table}.csv", encoding="utf-8") as fh:
            return [r for r in csv.DictReader(fh) if all(r[k] == v for k, v in where.items())]

    (loan,) = rows("finance", project_id="kelgard-durmin-railway")
    assert (loan["kind"], loan["financier_organisation_id"], loan["recipient_organisation_id"], float(loan["amount"]),
            loan["currency"], float(loan["tenor_years"]), loan["usd_basis"]) == (
        "loan", "velmor-development-bank", "ostrava-rail-company", 250e6, "USD", 15, "publication_date")
    assert sorted((r["organisation_id"] or r["country_id"], r["role"])
                  for r in rows("parties", project_id="kelgard-durmin-railway")) == [
        ("KAZ", "host"), ("ostrava-rail-company", "borrower"), ("ostrava-rail-company", "operator"),
        ("sandvale-construction-group", "contractor"), ("velmor-development-bank", "lender")]
    assert [(r["status"], r["event_date"]) for r in rows("status_events", project_id="kelgard-durmin-railway")] == [
        ("implementation", "2026-01")]
    assert sorted((r["kind"], r["basis"], float(r["value"])) for r in rows("quantities", project_id="kelgard-durmin-railway")) \
        == [("freight_volume", "target", 5e6), ("length", "design", 210)]
    source = drafted["source"]["id"]
    assert rows("citations", source_id=source, record_table="finance")


# --- names the links rely on ---------------------------------------------------------------------

def test_a_role_cue_makes_an_unmarked_name_an_organisation(lexicon):
    d = draft("The Sarnak dam is being built by Italy's Veltrano Costruzioni under a contract signed in 2016. "
              "Later, KorTurbo will supply the turbines for the dam.", lexicon)
    assert {"Veltrano Costruzioni", "KorTurbo"} <= {o["name"] for o in d["organisations"]}
    roles = {(p.get("organisation_id") or p.get("country_id"), p["role"]) for p in d["parties"]}
    assert ("veltrano-costruzioni", "contractor") in roles and ("korturbo", "supplier") in roles
    assert not any(p.get("country_id") == "ITA" for p in d["parties"])  # "Italy's Veltrano ...": the company's role
    # a lone plain word is no organisation on a cue alone: too often a common noun ("the Bank")
    assert "Bank" not in {o["name"] for o in draft("Later, the Bank will lend $5 million to the port.", lexicon).get(
        "organisations", [])}


def test_latin_script_names_in_russian_are_organisations(lexicon):
    d = draft("Оператором газопровода станет совместное предприятие QazaqGaz и Velmor Energy, "
              "мощность линии составит 10 млрд кубометров в год.", lexicon, language="ru")
    assert {"QazaqGaz", "Velmor Energy"} <= {o["name"] for o in d["organisations"]}


def test_the_full_name_replaces_an_acronym_used_first(lexicon):
    d = draft("VDB lends $40 million for the Varsk port terminal.\n\nThe Velmor Development Bank (VDB) said "
              "the loan would be repaid over 12 years.", lexicon)
    (bank,) = [o for o in d["organisations"] if "VDB" in [o["name"], *o.get("aliases", [])]]
    assert (bank["name"], bank["aliases"]) == ("Velmor Development Bank", ["VDB"])
    assert d["finance"][0]["financier_organisation_id"] == bank["id"]


def test_the_financier_in_the_amounts_own_clause(lexicon):
    d = draft("The Velmor Development Bank (VDB) will co-finance the Kelgard–Durmin railway with a loan of $150 "
              "million, while the government of Kazakhstan will contribute $62 million from the budget.", lexicon)
    by_amount = {f["amount"]: (f["kind"], f.get("financier_organisation_id") or f.get("financier_country_id"))
                 for f in d["finance"]}
    assert by_amount == {150_000_000: ("loan", drafted_id(d, "organisations", "Velmor Development Bank")),
                         62_000_000: ("budget_allocation", "KAZ")}


@pytest.mark.parametrize("sentence,person", [
    ("Minister of Energy and Water Resources Jamshed Vorzoda said the line was ready.", "Jamshed Vorzoda"),
    ("Minister of Energy of the Kyrgyz Republic Talant Ibrask said the line was ready.", "Talant Ibrask"),
])
def test_a_person_after_a_long_title(lexicon, sentence, person):
    assert [p["name"] for p in draft(sentence, lexicon)["people"]] == [person]


def test_a_feature_word_after_a_town_names_the_feature(lexicon):
    d = draft("The dam will be built on the Naryn river, upstream of the town.", lexicon)
    (place,) = d["places"]
    assert (place["name"], place.get("geonames_id"), place["place_type"]) == ("Naryn river", None, "region")


def test_a_route_with_a_spaced_dash(lexicon):
    d = draft("Construction of the 836-km Dostyk – Moyynty railway line was completed last year.", lexicon)
    assert [p["name"] for p in d["projects"]] == ["Dostyk – Moyynty railway line"]


@pytest.mark.parametrize("sentence,language,value", [
    ("The board approved the loan last week.", "en", "2026-03-23/2026-03-29"),
    ("The agreement was signed yesterday.", "en", "2026-04-01"),
    ("The line was opened at the end of January.", "en", "2026-01"),
    ("Договор подписан на прошлой неделе.", "ru", "2026-03-23/2026-03-29"),
    ("Накануне министр подписал приказ.", "ru", "2026-04-01"),
    ("Линию запустили в конце января.", "ru", "2026-01"),
])
def test_weeks_the_day_before_and_the_end_of_a_month(sentence, language, value):
    from infratracker.intake.dates import find_dates

    assert [d["date"] for d in find_dates(sentence, PUBLISHED, language)] == [value]


def test_a_day_earlier_than_what_is_no_date():
    from infratracker.intake.dates import find_dates

    assert find_dates("A day earlier, the minister said the line would open.", PUBLISHED, "en") == []


@pytest.mark.parametrize("sentence,language,currency", [
    ("The project will cost 1.3 trillion tugriks.", "en", "MNT"),
    ("Проект обойдётся в 1,3 трлн тугриков.", "ru", "MNT"),
    ("India offered a $230 million credit line for the port.", "en", "USD"),
])
def test_more_currencies_and_credit_lines(sentence, language, currency):
    from infratracker.intake.numbers import money

    (m,) = money(sentence, language)
    assert m["currency"] == currency
    if "credit line" in sentence:
        assert m["kind"] == "credit_line"


@pytest.mark.parametrize("sentence,stage", [
    ("The feasibility study for the Kelgard–Durmin railway was completed in May.", "preparation"),
    ("The Kelgard–Durmin railway is at the design stage.", "preparation"),
    ("Work also continues on the Kelgard–Durmin railway.", "implementation"),
    ("Two units of the Kelgard dam have been running since 2019.", "completion"),
    ("На участке Кельгард — Дурмин выполнено 85% работ, введены в эксплуатацию два моста.", "implementation"),
])
def test_more_stages(sentence, stage):
    from infratracker.intake.relations import status

    assert status(sentence, "ru" if sentence[0] in "НС" else "en") == stage


def test_a_stage_belongs_to_its_subject(lexicon):
    d = draft("The 990-km Kelgard–Durmin railway, which will link with the Velmor–Ostrin railway, was 78% complete "
              "at the end of September.", lexicon)
    assert [(e["project_id"], e["status"]) for e in d["status_events"]] == [
        (drafted_id(d, "projects", "Kelgard–Durmin railway"), "implementation")]


# --- every code a draft proposes is one the build accepts ----------------------------------------

def test_every_code_the_drafter_proposes_is_in_its_codelist(lexicon):
    """A proposal moved into the extract as it is must validate: its codes come from the
    codelists. Run over every article of the evaluation and development sets."""
    from support import REPO_ROOT

    from infratracker.core import reference, registry
    from infratracker.intake.evaluation import load_cases

    codes: dict[str, set[str]] = {}
    for row in reference.codelist_rows(REPO_ROOT / "reference"):
        codes.setdefault(row["codelist"], set()).add(row["code"])
    tables = {"projects": "projects", "organisations": "organisations", "people": "people", "places": "places",
              "agreements": "agreements", "parties": "parties", "finance": "finance", "quantities": "quantities",
              "status_events": "status_events", "funding_constraints": "funding_constraints"}
    bad = set()
    for folder in ("drafter_eval", "drafter_dev"):
        for case in load_cases(REPO_ROOT / "tests" / folder):
            found = drafting.detect(case.body, lexicon, language=case.language, published=case.published)
            for kind, table in tables.items():
                fields = {f.name: f for f in registry.resource(table).fields}
                for entry in found["draft"].get(kind, []):
                    links = [(entry, fields)] + [(p, {f.name: f for f in registry.resource("parties").fields})
                                                 for p in entry.get("parties", [])]
                    for item, known in links:
                        for key, value in item.items():
                            f = known.get(key)
                            if f is not None and f.codelist and f.codelist in codes and str(value) not in codes[f.codelist]:
                                bad.add((kind, key, str(value)))
    assert sorted(bad) == []
