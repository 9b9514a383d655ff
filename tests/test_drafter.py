"""The article drafter (issue 13): names that respect words, numbers and dates as the press
writes them in English and Russian, headlines, the evaluation report and the build's refusal.
Every article here is synthetic, written by the test."""
import datetime as dt
import json

import pytest
import yaml

from infratracker.cli import main
from infratracker.intake import drafting
from infratracker.intake.dates import find_dates
from infratracker.intake.evaluation import KINDS
from infratracker.intake.numbers import money, parse_number, quantities
from infratracker.intake.text import html_title, plain_title, sentences

PUBLISHED = dt.date(2026, 4, 2)  # a Thursday


@pytest.fixture(scope="module")
def lexicon(tmp_path_factory):
    from tests.conftest import copy_checkout

    return drafting.build_lexicon(copy_checkout(tmp_path_factory.mktemp("lex") / "repo"))


def draft_of(text, lexicon, language="en"):
    return drafting.detect(text, lexicon, language=language, published=PUBLISHED)


def ids(found, section):
    return [e["id"] for e in found.get(section, [])]


def names(found, kind):
    return [e["name"] for e in found.get("draft", {}).get(kind, [])]


# --- names that respect words -----------------------------------------------------------------

def test_a_known_name_inside_a_longer_proper_name_is_no_hit(lexicon):
    found = draft_of("The tender was won by Caspian Service, a contractor from Aktau. "
                     "Vladimir Putin met the delegation in Moscow.", lexicon)
    assert "caspian-sea" not in ids(found, "places") and "Caspian Sea" not in names(found, "places")
    assert "Vladimir" not in names(found, "places")
    assert "Caspian Service" in names(found, "organisations")
    assert "Vladimir Putin" in names(found, "people")


def test_a_persons_given_name_is_not_a_country(lexicon):
    found = draft_of("\"Corridors need cargo,\" analyst Georgia Mills said. Jordan Ellis, director of the "
                     "institute, agreed.", lexicon)
    assert ids(found, "countries") == []
    assert {"Georgia Mills", "Jordan Ellis"} <= set(names(found, "people"))


def test_a_western_branch_is_not_the_west(lexicon):
    found = draft_of("The western branch of the corridor runs along the coast.", lexicon)
    assert ids(found, "blocs") == []


def test_case_and_word_boundaries_count_for_countries(lexicon):
    found = draft_of("Omani officials visited Kazakhstan; the oman word means nothing here.", lexicon)
    assert ids(found, "countries") == ["KAZ"]


def test_russian_country_names_in_every_case_form(lexicon):
    found = draft_of("Россия предоставит Ирану кредит, а Казахстаном и Китаем подписан меморандум.", lexicon, "ru")
    assert ids(found, "countries") == ["CHN", "IRN", "KAZ", "RUS"]


def test_organisations_people_and_new_projects(lexicon):
    found = draft_of("Azerbaijan Railways CJSC (ADY) and KazZholStroy LLP will build the 160-km Aktau–Zhetybai "
                     "railway, Deputy Transport Minister Pavel Lugovoi said.", lexicon)
    orgs = {o["name"]: o for o in found["draft"]["organisations"]}
    assert orgs["Azerbaijan Railways CJSC"]["aliases"] == ["ADY"]
    assert orgs["KazZholStroy LLP"]["organisation_type"] == "company"
    assert "AZE" in ids(found, "countries")  # the country that owns the railway company
    people = found["draft"]["people"]
    assert [(p["name"], p["position"]) for p in people] == [("Pavel Lugovoi", "Deputy Transport Minister")]
    assert "Aktau–Zhetybai railway" in names(found, "projects")
    assert all(0 < e["confidence"] <= 1 for kind in found["draft"].values() for e in kind)


def test_a_known_project_is_a_link_not_a_new_record(lexicon):
    found = draft_of("Traffic on the North-South Transport Corridor grew.", lexicon)
    assert "instc" in ids(found, "projects")
    assert not names(found, "projects")


def test_quotes_are_whole_sentences():
    body = ("MOSCOW, April 2. /TASS/. Russia and Iran approved the route of the railway, the U.S. "
            "side was not told. The line is to start its work on the coast in 2028.")
    assert sentences(body) == [
        "MOSCOW, April 2. /TASS/. Russia and Iran approved the route of the railway, the U.S. side was not told.",
        "The line is to start its work on the coast in 2028."]


# --- English names by the cues of English-language news (names.py) -----------------------------

def test_an_organisation_by_the_common_noun_before_or_after_it(lexicon):
    found = draft_of("The Hungarian utility Kelvora and Tornvik, the national shipping company, signed the deal. "
                     "The state concern Velgaz on Sunday agreed.", lexicon)
    assert {"Kelvora", "Tornvik", "Velgaz"} <= set(names(found, "organisations"))
    assert not {"Hungarian", "Velgaz on Sunday"} & set(names(found, "organisations"))


def test_an_employer_after_a_job_title(lexicon):
    found = draft_of("\"Freight will come,\" said Mara Quell, senior analyst at Brightwater Insights. "
                     "The Chief Executive Officer of Sandgate Marine agreed.", lexicon)
    assert "Mara Quell" in names(found, "people")
    assert {"Brightwater Insights", "Sandgate Marine"} <= set(names(found, "organisations"))
    assert not any("Sandgate" in n for n in names(found, "people"))


def test_a_chairman_of_the_board_is_a_title_not_an_employer(lexicon):
    found = draft_of("Velro Chairman of the Board Oskar Dunmere said the line was ready.", lexicon)
    assert names(found, "people") == ["Oskar Dunmere"]
    assert not any("Board" in n for n in names(found, "organisations"))


def test_a_company_form_after_a_comma_is_part_of_the_name(lexicon):
    found = draft_of("The tunnel is dug by Altair-Rovno Railway Co., Ltd. for the state.", lexicon)
    assert names(found, "organisations") == ["Altair-Rovno Railway Co., Ltd."]


def test_an_acronym_in_brackets_defines_the_name_and_its_later_uses(lexicon):
    found = draft_of("The Office of Coastal Freight Control (OCFC) fined two carriers. The 400-km "
                     "Velmor–Durask–Ostrin (VDO) pipeline will carry gas. The VDO gas pipeline is due in 2029. "
                     "The Lantern Route for Regional Trade (LRRT) would run 40 km.", lexicon)
    orgs = {o["name"]: o for o in found["draft"]["organisations"]}
    assert orgs["Office of Coastal Freight Control"]["aliases"] == ["OCFC"]
    projects = {p["name"]: p for p in found["draft"]["projects"]}
    assert projects["Velmor–Durask–Ostrin pipeline"]["aliases"] == ["VDO"]
    assert "VDO gas pipeline" not in projects
    assert projects["Lantern Route for Regional Trade"]["aliases"] == ["LRRT"]
    assert {"Velmor", "Durask", "Ostrin"} <= set(names(found, "places"))


def test_places_by_the_words_around_them(lexicon):
    found = draft_of("A ferry left the port of Varsk for the Tolmek border crossing. The Krasnovale-based Ostra "
                     "Freight Company paid for work at the Belvard port.", lexicon)
    assert {"Varsk", "Tolmek", "Krasnovale", "Belvard"} <= set(names(found, "places"))
    crossings = draft_of("The Kazakhstan-China border crossing reopened and the Jalal-Abad border crossing is "
                         "busy.", lexicon)
    assert names(crossings, "places") == ["Jalal-Abad"]
    assert "Ostra Freight Company" in names(found, "organisations")
    assert "Belvard port" in names(found, "projects")


def test_common_words_adjectives_and_regions_are_no_towns(lexicon):
    found = draft_of("ASTANA, March 12. The European Union met the delegation in May. \"Of the two, one is "
                     "ready,\" she said. Cargo was stored in the Vladimir region on the Kazakh coast.", lexicon)
    places = names(found, "places")
    assert not {"March", "May", "Union", "Of", "Vladimir", "Kazakh"} & set(places)
    assert "Vladimir region" in places


def test_towns_by_the_names_the_english_press_writes(lexicon):
    found = draft_of("Trains will link Termez with Mazar-i-Sharif and Nakhchivan.", lexicon)
    places = {p["name"]: p for p in found["draft"]["places"]}
    assert {"Termez", "Mazar-i-Sharif", "Nakhchivan"} <= set(places)
    assert places["Termez"]["geonames_id"] and places["Termez"]["aliases"]  # the gazetteer's own name


def test_people_in_any_alphabet_and_no_bylines(lexicon):
    found = draft_of("By Staff Writer. Energy Minister Gülşen Arıkoğlu and Oil Minister Ali-Reza Tavani said "
                     "the line would open.", lexicon)
    assert names(found, "people") == ["Gülşen Arıkoğlu", "Ali-Reza Tavani"]


def test_descriptions_are_no_projects(lexicon):
    found = draft_of("A Romanian port and the Northern route compete. Tunnel works stopped at the "
                     "Caspian-Ural Green Energy Corridor. The Soviet-era railway and a China-funded highway "
                     "need repairs.", lexicon)
    assert names(found, "projects") == ["Caspian-Ural Green Energy Corridor"]
    assert not names(found, "organisations")
    assert "Green" not in names(found, "places")


def test_a_number_sign_does_not_end_a_sentence():
    assert sentences("The contract went to Velro Bridge No.4 Works Group. Work starts in May.") == [
        "The contract went to Velro Bridge No.4 Works Group.", "Work starts in May."]


def test_a_name_stops_at_a_full_stop_pysbd_missed():
    from infratracker.intake.names import chunks

    texts = [c.text for c in chunks("Work went to Qarval Engineering Group. On the Chinese side it stopped.")]
    assert "Qarval Engineering Group" in texts and not any("On" in t for t in texts)


def test_a_ministry_in_the_form_of_its_records(lexicon):
    found = draft_of("Moldova's Transport Ministry said the Foreign Ministry agreed. The Ruritanian Republic "
                     "Ministry of Roads and Bridges approved it. The Roads Office of the Ministry of Works of "
                     "Freedonia will build it.", lexicon)
    orgs = {o["name"]: o for o in found["draft"]["organisations"]}
    assert orgs["Ministry of Transport of Moldova"]["aliases"] == ["Moldova's Transport Ministry"]
    assert orgs["Ministry of Transport of Moldova"]["organisation_type"] == "ministry"
    assert "Ministry of Foreign Affairs" in orgs
    assert "Ministry of Roads and Bridges of the Ruritanian Republic" in orgs
    assert "Roads Office of the Ministry of Works of Freedonia" in orgs


def test_places_named_with_of(lexicon):
    found = draft_of("Talks on the Legal Status of the Aral Sea went on in the Republic of Karakalpakstan.", lexicon)
    places = names(found, "places")
    assert "Aral Sea" in places and "Republic of Karakalpakstan" in places
    assert not any(p.startswith("Legal") for p in places)


def test_the_works_are_the_project_and_one_route_is_one_proposal(lexicon):
    found = draft_of("The bank will finance the electrification of the 210-km Velmor–Durask railway section. "
                     "Traffic on the Velmor–Durask section will double. The Ostrin port expansion starts in 2027.",
                     lexicon)
    projects = {p["name"]: p for p in found["draft"]["projects"]}
    assert projects["Velmor–Durask railway section electrification"]["aliases"] == ["Velmor–Durask railway section"]
    assert "Velmor–Durask section" not in projects
    assert "Ostrin port expansion" in projects


def test_datelines_are_where_the_story_was_filed(lexicon):
    found = draft_of("ISTANBUL · Officials met. Tbilisi, October 14, 2026 – The board approved the loan for "
                     "a road to Batumi. ALMATY, Sept 9 (Xinhua) -- A centre opens near the Port of Poti, the "
                     "Velmor Courier newspaper said.", lexicon)
    places = names(found, "places")
    assert "Batumi" in places and not {"Istanbul", "Tbilisi", "Xinhua", "Port"} & set(places)
    assert "Velmor Courier" in names(found, "organisations")


def test_a_town_of_a_region_of_a_country(lexicon):
    found = draft_of("The line starts from Kashgar of Velmoria of China and reaches Andijan of Uzbekistan, "
                     "across the Dursk Range.", lexicon)
    assert {"Kashgar", "Velmoria", "Andijan", "Dursk Range"} <= set(names(found, "places"))
    assert not {"Velmoria of China", "China", "Uzbekistan"} & set(names(found, "places"))
    assert {"CHN", "UZB"} <= set(ids(found, "countries"))


def test_a_name_at_the_end_of_a_sentence(lexicon):
    found = draft_of("The deal was signed in the presence of Iranian Oil Minister Ali-Reza Tavani.", lexicon)
    assert names(found, "people") == ["Ali-Reza Tavani"]


def test_names_listed_together_are_of_one_kind(lexicon):
    found = draft_of("Trains cross at Tashkent and Velmorsk. Kelgaz and the Ostra Freight Company signed. "
                     "At a ceremony in Samarkand, Durovic said the line was ready.", lexicon)
    assert "Velmorsk" in names(found, "places")
    assert "Kelgaz" in names(found, "organisations")
    assert "Durovic" not in names(found, "places")


def test_an_and_before_an_adjective_ends_a_name(lexicon):
    found = draft_of("Money will come from the Development Bank of Moldova and Chinese lenders, analysts at "
                     "Grayfield Ratings said, quoting the press service Velmorda.", lexicon)
    orgs = {o["name"]: o for o in found["draft"]["organisations"]}
    assert orgs["Development Bank of Moldova"]["confidence"] == 0.8
    assert {"Grayfield Ratings", "Velmorda"} <= set(orgs)


def test_the_organisation_before_a_lowercase_title(lexicon):
    found = draft_of("Velmor Railway chief Ivar Dunsk declined to comment.", lexicon)
    assert names(found, "organisations") == ["Velmor Railway"]
    assert not names(found, "projects")
    assert names(found, "people") == ["Ivar Dunsk"]


def test_appositive_people_their_employers_and_later_surnames(lexicon):
    found = draft_of("\"Volumes will double,\" said Anna Berg, the head of logistics at Velmor Ports. According "
                     "to Ivo Dask, chairman of the Caspian Ferry Association, the fleet is old. Mr Dask added "
                     "that VX Marine and the Ostra Freight Company had ordered ferries.", lexicon)
    assert names(found, "people") == ["Anna Berg", "Ivo Dask"]
    assert {"Velmor Ports", "Caspian Ferry Association", "VX Marine"} <= set(names(found, "organisations"))


def test_english_press_names_of_countries_and_no_currency(lexicon):
    found = draft_of("The corridor links Turkey with the UK. The loan is US$ 50 million.", lexicon)
    assert ids(found, "countries") == ["GBR", "TUR"]


def test_energy_links_zones_and_hubs_are_projects_and_units_are_not_names(lexicon):
    found = draft_of("The Velmor Sea HVDC cable will carry power. The Durask Free Economic Zone grows and the "
                     "Ostrin logistics centre opened. A 50 MW solar power plant is planned.", lexicon)
    projects = {p["name"]: p["project_type"] for p in found["draft"]["projects"]}
    assert projects == {"Velmor Sea HVDC cable": "power_line", "Durask Free Economic Zone": "other",
                        "Ostrin logistics centre": "logistics_hub"}


# --- numbers, money, lengths -------------------------------------------------------------------

@pytest.mark.parametrize("text,language,value", [
    ("1,814", "en", 1814), ("1,2", "ru", 1.2), ("1 860", "ru", 1860), ("4.5", "en", 4.5), ("12,500,000", "en", 12.5e6)])
def test_numbers(text, language, value):
    assert parse_number(text, language) == value


@pytest.mark.parametrize("sentence,language,amount,currency", [
    ("The cost of the project is estimated at 1.6 bln euro.", "en", 1.6e9, "EUR"),
    ("The Bank signed a $3 Billion loan.", "en", 3e9, "USD"),
    ("It allocated USD 150 mln for the terminal.", "en", 150e6, "USD"),
    ("The fund invested EUR100 million.", "en", 100e6, "EUR"),
    ("The line will cost 400 million US dollars.", "en", 400e6, "USD"),
    ("The cost is 1.2 trillion tenge.", "en", 1.2e12, "KZT"),
    ("Банк выделит кредит на сумму 1,2 млрд долларов.", "ru", 1.2e9, "USD"),
    ("Стоимость оценивается в 1,2 трлн руб.", "ru", 1.2e12, "RUB"),
    ("Грант составит двадцать восемь миллионов долларов.", "ru", 28e6, "USD"),
])
def test_money(sentence, language, amount, currency):
    assert [(a["amount"], a["currency"]) for a in money(sentence, language)] == [(amount, currency)]


def test_loan_terms():
    [loan] = money("Russia will lend Iran 1.3 billion euros for 15 years at 2.5% per annum, with a grace "
                   "period of 5 years.")
    assert (loan["kind"], loan["tenor_years"], loan["interest_rate_pct"], loan["grace_period_years"]) == ("loan", 15, 2.5, 5)
    [ru] = money("ЕАБР предоставит кредит в размере 100 млн долларов сроком на 20 лет под 3% годовых.", "ru")
    assert (ru["kind"], ru["amount"], ru["tenor_years"], ru["interest_rate_pct"]) == ("loan", 1e8, 20, 3)


@pytest.mark.parametrize("sentence,language,value,unit", [
    ("the 162-kilometer Rasht-Astara railway", "en", 162, "km"),
    ("a 160-km road", "en", 160, "km"),
    ("a line 100 miles long", "en", 160.9344, "km"),
    ("дорога протяжённостью 450 км", "ru", 450, "km"),
    ("сеть в 2,6 тыс. км", "ru", 2600, "km"),
    ("ГЭС мощностью 1 860 МВт", "ru", 1860, "MW"),
    ("up to 15 million tonnes of cargo a year", "en", 15e6, "t/a"),
    ("six million tonnes a year", "en", 6e6, "t/a"),
    ("33 млрд кубометров газа в год", "ru", 33e9, "m3/a"),
])
def test_quantities(sentence, language, value, unit):
    assert [(q["value"], q["unit"]) for q in quantities(sentence, language)] == [(value, unit)]


# --- dates ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("sentence,language,value", [
    ("Work began in October 2017.", "en", "2017-10"),
    ("It is to be finished in the second half of 2026.", "en", "2026-07/2026-12"),
    ("Trains will run from early 2027.", "en", "2027-01/2027-04"),
    ("The design was agreed last December.", "en", "2025-12"),
    ("The minister said so on Thursday.", "en", "2026-04-02"),
    ("It opens by the end of 2027.", "en", "2027-12"),
    ("The deal was signed on 12 March 2026.", "en", "2026-03-12"),
    ("Стройка начнется в первом квартале 2027 года.", "ru", "2027-01/2027-03"),
    ("Соглашение подписано в сентябре прошлого года.", "ru", "2025-09"),
    ("Об этом сообщили в среду.", "ru", "2026-04-01"),
    ("Дорогу сдадут к 2030 году.", "ru", "2030"),
])
def test_dates(sentence, language, value):
    assert value in [d["date"] for d in find_dates(sentence, PUBLISHED, language)]


def test_relative_dates_need_a_publication_date():
    assert find_dates("agreed last December", None) == []


# --- headlines ------------------------------------------------------------------------------------

def test_html_title_from_h1_else_title_without_site():
    assert html_title("<title>Rail deal | Daily Wire</title><h1>Rail <b>deal</b> signed</h1>") == "Rail deal signed"
    assert html_title("<title>Rail deal signed in Baku | Daily Wire</title>") == "Rail deal signed in Baku"


def test_plain_title_is_never_a_paragraph():
    assert plain_title("Rail deal signed\n\nBody.") == "Rail deal signed"
    long_first = "Russia and Iran signed. " + "x " * 150
    assert plain_title(long_first) == "Russia and Iran signed."
    assert plain_title("word " * 100) is None


def test_a_plain_capture_without_headline_asks_for_a_title(checkout, tmp_path, capsys):
    capture = tmp_path / "blob.txt"
    capture.write_text("word " * 100 + "\n", encoding="utf-8")
    assert main(["--root", str(checkout.root), "add-article", str(capture)]) == 1
    assert "--title" in capsys.readouterr().err
    assert not any(checkout.archive.glob("*blob*"))


# --- the build names what is unreviewed ------------------------------------------------------------

def test_build_refusal_names_the_unreviewed_proposals(checkout, tmp_path, capsys):
    article = tmp_path / "a.txt"
    article.write_text("Rail deal\n\nRussia will lend Iran 1.3 bln euro, Deputy Transport Minister Pavel Lugovoi "
                       "said on Thursday.\n", encoding="utf-8")
    assert main(["--root", str(checkout.root), "add-article", str(article), "--publisher", "Test Wire",
                 "--published", "2026-04-02"]) == 0
    extract = checkout.extracts / "test-wire-2026-04-02-rail-deal.yaml"
    header = extract.read_text(encoding="utf-8").split("\nsource:")[0]
    assert "draft:" in header and "make build" in header
    capsys.readouterr()
    assert main(["--root", str(checkout.root), "build"]) == 1
    err = capsys.readouterr().err
    assert "unreviewed:" in err and "1 people (Pavel Lugovoi)" in err and "1 finance (1300000000 EUR)" in err


# --- the evaluation -------------------------------------------------------------------------------

def test_eval_drafter_reports_every_kind(repo, capsys):
    assert main(["--root", str(repo.root), "eval-drafter", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert list(report["kinds"]) == list(KINDS)
    assert len(report["articles"]) == 21
    for row in [*report["kinds"].values(), report["overall"]]:
        assert row["expected"] > 0 and 0 <= row["recall"] <= 1
        assert row["precision"] is None or 0 <= row["precision"] <= 1
    assert main(["--root", str(repo.root), "eval-drafter"]) == 0
    table = capsys.readouterr().out
    assert all(kind in table for kind in [*KINDS, "overall"])


def test_eval_matching_rule(tmp_path):
    from infratracker.intake.evaluation import meets

    assert meets("projects", {"name": "Rasht–Astara railway"}, {"name": "Rasht-Astara railway line"})
    assert meets("organisations", {"name": "ADY"}, {"name": "Azerbaijan Railways CJSC", "aliases": ["ADY"]})
    assert not meets("places", {"name": "Baku"}, {"name": "Batumi"})
    assert meets("quantities", {"value": 15e6, "unit": "t/a"}, {"value": 15000000, "unit": "t/year"})
    assert not meets("quantities", {"value": 15e6, "unit": "t"}, {"value": 15000000, "unit": "t/year"})
    assert meets("quantities", {"value": 9, "unit": "tunnels"}, {"value": 9, "unit": "Tunnels (road)"})
    assert not meets("quantities", {"value": 9, "unit": "tunnels"}, {"value": 9, "unit": "bridges"})
    assert not meets("quantities", {"value": 9, "unit": "tunnels"}, {"value": 12, "unit": "tunnels"})
    assert meets("amounts", {"amount": 1.3e9, "currency": "EUR"}, {"amount": 1300000000, "currency": "EUR"})
    assert meets("dates", {"value": "2026-07/2026-12"}, {"value": "2026-07/2026-12"})


# --- Russian names by the cues of the Russian-language press (names_ru.py, morph.py) ----------

def test_russian_names_come_back_in_the_nominative():
    from infratracker.intake.morph import nominative, person_nominative

    assert nominative("Министерства энергетики") == "Министерство энергетики"
    assert nominative("Северной железной дороги") == "Северная железная дорога"
    assert nominative("Аральского моря") == "Аральское море"
    assert person_nominative(["Ивана", "Смирнова"]) == "Иван Смирнов"
    assert person_nominative(["Марии", "Козловой"]) == "Мария Козлова"


def test_russian_organisations_in_guillemets_and_by_institution_words(lexicon):
    found = draft_of("Контракт получило ТОО «Степь Строй Инвест», сообщили в Министерстве энергетики "
                     "Республики Казахстан. Заём выделит Азиатский банк инфраструктурных инвестиций. "
                     "С ними работает «Трансгазстрой».", lexicon, "ru")
    orgs = names(found, "organisations")
    assert "ТОО «Степь Строй Инвест»" in orgs
    assert "Министерство энергетики Республики Казахстан" in orgs
    assert "Азиатский банк инфраструктурных инвестиций" in orgs
    assert "Трансгазстрой" in orgs


def test_a_ministers_title_names_the_ministry(lexicon):
    found = draft_of("Письмо направил министр сельского хозяйства Монголии Батбаяр Цэрэн.", lexicon, "ru")
    assert "Министерство сельского хозяйства Монголии" in names(found, "organisations")
    assert "Батбаяр Цэрэн" in names(found, "people")


def test_russian_projects_by_infrastructure_words(lexicon):
    found = draft_of("Строительство Северокавказской железной дороги и газопровода «Голубой поток 3» "
                     "продолжится. Первым построят участок Ставрополь — Невинномысск.", lexicon, "ru")
    projects = names(found, "projects")
    assert "Северокавказская железная дорога" in projects
    assert "Газопровод «Голубой поток 3»" in projects
    assert any(p.endswith("участок Ставрополь — Невинномысск") for p in projects)
    assert {"Ставрополь", "Невинномысск"} <= set(names(found, "places"))


def test_russian_people_after_a_title_or_a_speech_verb_and_before_one(lexicon):
    found = draft_of("Об этом заявил заместитель председателя правления ПАО «Сибнефть» Олег Воронин. "
                     "«Сроки реальны», — считает Ирина Белова. Пётр Орлов сообщил о задержке.", lexicon, "ru")
    people = names(found, "people")
    assert {"Олег Воронин", "Ирина Белова", "Пётр Орлов"} <= set(people)
    assert "ПАО «Сибнефть»" in names(found, "organisations")


def test_russian_places_in_any_case_and_by_cue_words(lexicon):
    found = draft_of("Грузы из Ташкента пойдут через порт Туркменбаши и вдоль реки Амударья к Аральскому морю.",
                     lexicon, "ru")
    places = names(found, "places")
    assert "Ташкент" in places  # the gazetteer's Russian name, read in the genitive
    assert "Туркменбаши" in places
    assert "река Амударья" in places
    assert "аральское море" in [p.casefold() for p in places]


def test_russian_false_friends_are_no_places(lexicon):
    found = draft_of("МОСКВА, 3 марта. Советский подход устарел, а «Южный поток» закрыт. Строительство идёт.",
                     lexicon, "ru")
    places = names(found, "places")
    assert "Москва" not in places  # a dateline
    assert not any(p.startswith("Советск") for p in places)  # an adjective first, a town second
    assert ids(found, "countries") == []


def test_a_country_inside_a_quoted_name_is_no_country(lexicon):
    found = draft_of("Трасса «Европа — Китай» станет короче.", lexicon, "ru")
    assert "CHN" not in ids(found, "countries")
    assert "Трасса «Европа — Китай»" in names(found, "projects")


def test_russian_rules_are_linear_on_long_input(lexicon):
    import time

    sentence = "А" + " Б" * 20_000 + " — " + "В" * 5000 + " «" + "Г " * 3000 + "»."
    lexicon.ru_index()  # built once, on first Russian use (2 s): not what this measures
    start = time.perf_counter()
    draft_of(sentence, lexicon, "ru")
    assert time.perf_counter() - start < 5


# --- bounded sentence splitting ------------------------------------------------------------

def test_pysbd_reads_only_an_articles_worth_of_a_huge_capture(monkeypatch):
    from infratracker.intake import text

    calls = []
    real = text._segmenter("en").segment
    monkeypatch.setattr(text, "PYSBD_BUDGET", 1_000)
    monkeypatch.setattr(text._segmenter("en"), "segment", lambda line: calls.append(line) or real(line))
    body = "Mr. Smith went to Washington. He met the U.S. envoy.\n" * 100
    out = sentences(body, "en")
    assert sum(map(len, calls)) <= 1_000
    assert out[0] == "Mr. Smith went to Washington." and len(out) == 200


# --- quantities, dates and amounts as the press states them (numbers.py, dates.py) -----------------

def _q(sentence, language="en", published=PUBLISHED):
    return [(q["value"], q["unit"]) for q in quantities(sentence, language, published)]


@pytest.mark.parametrize("sentence,language,expected", [
    # the period written apart from the number, after what is measured
    ("The port will handle 8 million tonnes of grain a year.", "en", [(8e6, "t/a")]),
    ("The terminal has a capacity of 3 mln tonnes per annum.", "en", [(3e6, "t/a")]),
    ("It will ship up to 7 billion cubic meters (bcm) of Russian gas a year.", "en", [(7e9, "m3/a")]),
    ("Терминал будет переваливать до 4 млн тонн угля в год.", "ru", [(4e6, "t/a")]),
    ("Газопровод пропускной способностью 12 млрд куб. м в год.", "ru", [(12e9, "m3/a")]),
    # "annual" before it, with words and a dash between
    ("The yard's annual throughput will grow from 80,000 to 150,000 TEU.", "en", [(80000, "TEU/a"), (150000, "TEU/a")]),
    ("Среднегодовая выработка станции — около 2,1 млрд кВт·ч.", "ru", [(2.1e9, "kWh/a")]),
    # one period for a list of figures
    ("The line will carry 3 million tons of cargo and 200,000 passengers annually.", "en",
     [(3e6, "t/a"), (200000, "passenger/a")]),
    # a volume carried in a whole year, or to be reached by one, is a yearly volume
    ("In 2024, the ferry line carried 2.3 million tonnes of cargo.", "en", [(2.3e6, "t/a")]),
    ("The route handled 1.1 million tonnes last year.", "en", [(1.1e6, "t/a")]),
    ("Грузооборот коридора должен достичь 20 млн тонн к 2030 году.", "ru", [(20e6, "t/a")]),
    ("В прошлом году по маршруту перевезли 3,4 млн т грузов.", "ru", [(3.4e6, "t/a")]),
    # ...but not one for part of a year, nor a store or a ship
    ("In the first nine months of 2026 the port handled 3 million tonnes.", "en", [(3e6, "t")]),
    ("В первом полугодии 2026 года перевезено 2,2 млн т.", "ru", [(2.2e6, "t")]),
    ("An underground storage capacity of 4 bcm.", "en", [(4e9, "m3")]),
    ("The company bought three 1,200-TEU vessels in 2025.", "en", [(1200, "TEU")]),
    # trains and vehicles are a capacity only per day
    ("Throughput will rise to 24 pairs of trains per day.", "en", [(24, "trains/d")]),
    ("The bridge can take 15,000 vehicles a day.", "en", [(15000, "vehicles/d")]),
    ("Трасса рассчитана на восемь тысяч автомобилей в сутки.", "ru", [(8000, "vehicles/d")]),
    ("The first 12 trains and 300 trucks crossed the border.", "en", []),
    # lengths, areas and power
    ("A 95-километровая ветка.", "ru", [(95, "km")]),
    ("строительство 120-километровой дороги", "ru", [(120, "km")]),
    ("The free zone covers 4.5 sq km next to 200 hectares of farmland.", "en", [(4.5, "km2"), (200, "ha")]),
    ("A 2.4 GW plant and a 220 kV line.", "en", [(2400, "MW"), (220, "kV")]),
    # from one figure to another: both, in the second one's unit
    ("Capacity will be raised from 4 million to 9 million tonnes a year.", "en", [(4e6, "t/a"), (9e6, "t/a")]),
    ("Мощность вырастет с 3 до 5 млн тонн в год.", "ru", [(3e6, "t/a"), (5e6, "t/a")]),
])
def test_quantities_per_period_and_units(sentence, language, expected):
    assert _q(sentence, language) == expected


@pytest.mark.parametrize("sentence,language", [
    ("Trains will run at up to 160 km/h.", "en"),
    ("Поезда пойдут со скоростью 120 км/ч.", "ru"),
    ("The depot lies 45 km north-west of the capital.", "en"),
    ("The station is 12 km from the border.", "en"),
    ("Станция расположена в 30 км от границы.", "ru"),
    ("Терминал построят в 15 км к югу от города.", "ru"),
    ("The survey covers a strip 3 kilometres wide.", "en"),
    ("Traffic grew 12% and 40 percent of it was transit.", "en"),
    ("The 58-year-old minister signed Article 5 in 2026 for $40 million.", "en"),
])
def test_no_false_quantities(sentence, language):
    assert _q(sentence, language) == []


def test_a_route_length_from_one_place_to_another_is_kept():
    assert _q("The road runs 410 km from Osh to Irkeshtam.") == [(410, "km")]


def test_length_ranges_take_the_upper_end_and_keep_the_range():
    for sentence in ("The line will be 1,300-1,450 km long.", "a cable between 1,300 and 1,450 km long",
                     "Протяжённость трассы составит 1 300–1 450 км."):
        [q] = quantities(sentence, "ru" if "трасс" in sentence else "en")
        assert (q["value"], q["unit"], q["range"]) == (1450, "km", [1300, 1450])


def test_number_words_before_a_figure_count_the_figures_things():
    assert _q("The line ordered three 600-TEU feeder ships.") == [(600, "TEU")]
    assert _q("Построят сорок мостов и 2 тоннеля длиной 3 км.", "ru") == [(3, "km"), (40, "bridges"), (2, "tunnels")]


def test_a_rate_carries_to_the_next_sentence_that_changes_the_figure(lexicon):
    found = draft_of("The terminal handles 5 million tonnes a year. After the upgrade it will reach 8 million "
                     "tonnes. A 40,000-tonne silo was also built.", lexicon)
    assert [(q["value"], q["unit"]) for q in found["draft"]["quantities"]] == [
        (5e6, "t/a"), (8e6, "t/a"), (40000, "t")]


@pytest.mark.parametrize("sentence,language,amount,low", [
    ("The bridge will cost $1.1-1.3 billion.", "en", 1.3e9, 1.1e9),
    ("The budget is EUR 200-250 million.", "en", 250e6, 200e6),
])
def test_money_ranges_take_the_upper_end(sentence, language, amount, low):
    [a] = money(sentence, language)
    assert (a["amount"], a["range"][0]) == (amount, low)


@pytest.mark.parametrize("sentence,language,amount,currency", [
    ("Стоимость оценивается в 1,1–1,3 млрд долларов.", "ru", 1.3e9, "USD"),
    ("The bank will lend up to $450 million.", "en", 450e6, "USD"),
    ("Банк выделит до 75 млн евро.", "ru", 75e6, "EUR"),
    ("The contract is worth $12.75 million.", "en", 12.75e6, "USD"),
])
def test_money_keeps_precision_and_up_to(sentence, language, amount, currency):
    assert [(a["amount"], a["currency"]) for a in money(sentence, language)] == [(amount, currency)]


@pytest.mark.parametrize("sentence,language,value", [
    ("Construction will begin early next year.", "en", "2027-01/2027-04"),
    ("The tender is due in the first half of next year.", "en", "2027-01/2027-06"),
    ("Testing is planned for the spring of 2027.", "en", "2027-03/2027-05"),
    ("Deliveries start in H2 2027.", "en", "2027-07/2027-12"),
    ("Работы начнутся в начале 2027 года.", "ru", "2027-01/2027-04"),
    ("Линию запустят в конце 2028 года.", "ru", "2028-10/2028-12"),
    ("Объект сдадут в середине следующего года.", "ru", "2027-06"),
    ("Ветку достроили в конце прошлого года.", "ru", "2025-10/2025-12"),
    ("Стройка пойдет весной 2027 года.", "ru", "2027-03/2027-05"),
    ("Программа рассчитана с 2026 по 2030 год.", "ru", "2026/2030"),
    ("Соглашение подписали в прошлом году.", "ru", "2025"),
    ("Дорогу откроют к 2030 году.", "ru", "2030"),
    ("It will open by the end of 2028.", "en", "2028-12"),
])
def test_partial_and_relative_dates(sentence, language, value):
    assert value in [d["date"] for d in find_dates(sentence, PUBLISHED, language)]


@pytest.mark.parametrize("sentence,language", [
    ("ALMATY, Kazakhstan, April 2.", "en"),
    ("TASHKENT. April 2 (Reuters) - The ministry said the line was approved.", "en"),
    ("БИШКЕК, 2 апреля — Sputnik.", "ru"),
    ("ДУШАНБЕ, 2 апреля. /ТАСС/. Министерство сообщило о начале работ.", "ru"),
    ("By Anna Petrova · 2 April 2026", "en"),
    ("2 April 2026, 09:40 Dana Serikova", "en"),
    ("Updated: April 2, 2026", "en"),
    ("A ferry leaves every Monday and on Fridays.", "en"),
    ("Паром ходит каждый вторник.", "ru"),
    ("The plan is part of Saudi Vision 2030 and the 2030 Agenda.", "en"),
    ("The 62-year-old engineer, aged 62, keeps the line open 24/7.", "en"),
])
def test_no_false_dates(sentence, language):
    assert find_dates(sentence, PUBLISHED, language) == []


def test_a_press_release_dateline_that_starts_the_story_is_a_date():
    assert [d["date"] for d in find_dates("Manila, April 2, 2026 – The Board approved a loan.", PUBLISHED)] == [
        "2026-04-02"]
    assert [d["date"] for d in find_dates("The deal was signed on 2 April 2026.", PUBLISHED)] == ["2026-04-02"]


def test_no_figures_or_dates_from_an_issuers_boilerplate_or_a_heading(lexicon):
    body = ("Projects to watch in 2027\n\n"
            "The bank will lend $200 million for the 95-km road, due in 2028. "
            "Uzbekistan became a founding member of the bank in 1992. "
            "To date, the bank has invested more than $5 billion in 120 projects in the country.\n\n"
            "About the Eurasian Fund\n"
            "The fund began operations in 2009 and has committed $9 billion.")
    draft = draft_of(body, lexicon)["draft"]
    assert [d["date"] for d in draft["dates"]] == ["2028"]
    assert [f["amount"] for f in draft["finance"]] == [200e6]
    assert [q["value"] for q in draft["quantities"]] == [95]
    ru = draft_of("Банк выделит 50 млн долларов на дорогу в 2027 году. С момента основания банк "
                  "инвестировал 4 млрд долларов в 90 проектов.", lexicon, "ru")["draft"]
    assert [f["amount"] for f in ru["finance"]] == [50e6]


def test_quantity_and_date_rules_are_linear_on_long_input():
    import time

    sentence = ("from 1 to 2 " * 150 + "annual " + "capacity 5 " * 100 + "1,000-" * 100 + " km wide")[:1990]
    start = time.perf_counter()
    quantities(sentence, "en", PUBLISHED)
    find_dates(sentence + " every " * 100, PUBLISHED)
    assert time.perf_counter() - start < 1


@pytest.mark.parametrize("sentence,language", [
    ("The terminal, located 25 km east of the city, opened.", "en"),
    ("The hub lies some 8 km outside Termez.", "en"),
    ("Depots are planned within a radius of 50 km.", "en"),
    ("The plant will cut CO2 emissions by 90,000 tonnes a year.", "en"),
    ("The line saves 40,000 tonnes of CO2 annually.", "en"),
    ("Выбросы парниковых газов сократятся на 70 тыс. тонн в год.", "ru"),
    ("Станция находится в 25 км от города.", "ru"),
])
def test_no_locations_or_emissions_as_quantities(sentence, language):
    assert _q(sentence, language) == []


def test_a_low_carbon_port_still_has_a_capacity():
    assert _q("A low-carbon port that will handle 10 million tonnes a year.") == [(10e6, "t/a")]


def test_sentence_initial_years_and_months_are_dates():
    assert [d["date"] for d in find_dates("In 2027, the line will open to traffic.", PUBLISHED)] == ["2027"]
    assert [d["date"] for d in find_dates("In March the sides signed a tariff deal.", PUBLISHED)] == ["2026-03"]
    assert find_dates("The line may open soon.", PUBLISHED) == []


def test_the_year_a_volume_was_carried_in_is_its_year_not_a_date(lexicon):
    draft = draft_of("In 2025, the corridor carried 4.1 million tonnes of cargo. The ferry line handled "
                     "900,000 tonnes last year. Volumes are to reach 9 million tonnes by 2030.", lexicon)["draft"]
    assert [(q["value"], q["unit"], q["target_year"]) for q in draft["quantities"]] == [
        (4.1e6, "t/a", 2025), (900000, "t/a", 2025), (9e6, "t/a", 2030)]
    assert [d["date"] for d in draft["dates"]] == ["2030"]
    ru = draft_of("В 2025 году по коридору перевезли 3 млн тонн грузов.", lexicon, "ru")["draft"]
    assert "dates" not in ru and ru["quantities"][0]["unit"] == "t/a"


@pytest.mark.parametrize("sentence,language,value", [
    # published on 2 April 2026: a month without its year is read by the sentence's tense
    ("The memorandum was signed in November.", "en", "2025-11"),
    ("The line will open in February.", "en", "2027-02"),
    ("The next round is scheduled for talks in September.", "en", "2026-09"),
    ("Стороны подписали протокол в ноябре.", "ru", "2025-11"),
    ("Маршрут откроют в феврале.", "ru", "2027-02"),
    ("В марте бюджет утвердили.", "ru", "2026-03"),
])
def test_a_month_without_its_year_follows_the_tense(sentence, language, value):
    assert [d["date"] for d in find_dates(sentence, PUBLISHED, language)] == [value]


@pytest.mark.parametrize("sentence,language", [
    ("Transit costs $150 per tonne.", "en"),
    ("The tariff is $40 a container.", "en"),
    ("Цена газа составит 250 долларов за тысячу кубометров.", "ru"),
    ("A ticket costs 5,000 tenge.", "en"),
])
def test_unit_prices_and_small_sums_are_no_amounts(sentence, language):
    assert money(sentence, language) == []


def test_a_yearly_sum_is_an_amount():
    assert [a["amount"] for a in money("Монголия рассчитывает получать 1,5 млрд долларов в год.", "ru")] == [1.5e9]


@pytest.mark.parametrize("sentence,language,expected", [
    ("The pass section has seven tunnels and 15 bridges.", "en", [(7, "tunnels"), (15, "bridges")]),
    ("Along the route 22 new stations will be built.", "en", [(22, "stations")]),
    ("На трассе возведут тридцать мостов и путепроводов.", "ru", [(30, "bridges and overpasses")]),
    ("Проект включает 4 тоннеля.", "ru", [(4, "tunnels")]),
    ("Bridge No. 12 was closed in 2025 for 3 days.", "en", []),
])
def test_counts_of_structures_as_curators_write_them(sentence, language, expected):
    assert _q(sentence, language) == expected


@pytest.mark.parametrize("sentence,language", [
    ("Baku, 2 April, AZERTAC", "en"),
    ("ASTANA, April 2 (Xinhua) -- The line will open soon.", "en"),
    ("BAKU, April 2. The agreement was signed by both sides.", "en"),
    ("09:15 02.04.2026", "ru"),
    ("Дорога откроется - Новости региона, 02.04.2026 | Новости региона", "ru"),
])
def test_more_datelines_and_page_stamps_are_no_dates(sentence, language):
    assert find_dates(sentence, PUBLISHED, language) == []


def test_numeric_day_first_dates():
    assert [d["date"] for d in find_dates("Соглашение подписано 12.03.2026 в Ташкенте.", PUBLISHED, "ru")] == ["2026-03-12"]
    assert [d["date"] for d in find_dates("The decree of 05.11.2025 took effect.", PUBLISHED)] == ["2025-11-05"]


def test_axle_loads_and_cranes_are_no_volumes():
    assert _q("The track will take an axle load of 25 tonnes.") == []
    assert _q("Port cranes with a 100-tonne lift were delivered.") == []
    assert _q("Путь рассчитан на нагрузку на ось 27 тонн.", "ru") == []


def test_a_figure_takes_the_year_of_its_own_clause():
    en = quantities("Last year the terminal handled 1.4 million tonnes, while the target is 3 million tonnes by 2030.",
                    "en", PUBLISHED)
    assert [(q["value"], q["unit"], q["target_year"]) for q in en] == [(1.4e6, "t/a", 2025), (3e6, "t/a", 2030)]
    ru = quantities("В прошлом году объём составил 1,4 млн тонн, а к 2030 году его планируется довести до 3 млн тонн.",
                    "ru", PUBLISHED)
    assert [(q["value"], q["unit"], q["target_year"]) for q in ru] == [(1.4e6, "t/a", 2025), (3e6, "t/a", 2030)]
    [bridge] = quantities("Мост длиной 350 метров, построенный в 1991 году, реконструируют.", "ru", PUBLISHED)
    assert "target_year" not in bridge


def test_money_between_two_sums_is_one_range():
    [a] = money("The road is estimated to cost between $400 million and $450 million.")
    assert (a["amount"], a["range"]) == (450e6, [400e6, 450e6])
    assert [x["amount"] for x in money("The cost rose from $1.1 billion to $1.5 billion.")] == [1.1e9, 1.5e9]


def test_membership_and_approvals_to_date_are_boilerplate(lexicon):
    draft = draft_of("Uzbekistan became a member of the bank in 2003. To date, the bank has approved more than "
                     "$4 billion for 150 projects in the country. The plan, adopted in December, foresees a "
                     "$90 million loan.", lexicon)["draft"]
    assert [f["amount"] for f in draft["finance"]] == [90e6]
    assert [d["date"] for d in draft["dates"]] == ["2025-12"]


@pytest.mark.parametrize("sentence,language,value", [
    ("Traffic rose 9% in January-March to 5 million tonnes.", "en", "2026-01/2026-03"),
    ("Talks ran from May to June 2025.", "en", "2025-05/2025-06"),
    ("За январь–март перевезено 2 млн т.", "ru", "2026-01/2026-03"),
    ("В январе-феврале 2025 года объём снизился.", "ru", "2025-01/2025-02"),
    ("Работы шли с января по март.", "ru", "2026-01/2026-03"),
])
def test_month_ranges_are_periods(sentence, language, value):
    assert [d["date"] for d in find_dates(sentence, PUBLISHED, language)] == [value]


def test_year_on_year_is_not_a_yearly_volume():
    assert _q("За январь–март объём вырос на 15% в годовом выражении, до 2,4 млн т.", "ru") == [(2.4e6, "t")]
    assert _q("The hub will serve 3 million people a year.") == [(3e6, "passenger/a")]
    assert _q("Пассажиропоток составит 2 млн человек в год, на стройке занято 4 тыс. человек.", "ru") == [
        (2e6, "passenger/a")]


def test_may_as_a_verb_is_a_future_and_may_as_a_month_is_not():
    assert [d["date"] for d in find_dates("The line may close in March.", dt.date(2026, 11, 3))] == ["2027-03"]
    assert [d["date"] for d in find_dates("In May the sides agreed a tariff.", dt.date(2026, 11, 3))] == ["2026-05"]


NOV = dt.date(2026, 11, 4)


@pytest.mark.parametrize("sentence,language,value", [
    ("The next meeting is scheduled to be held in Tbilisi in September.", "en", "2027-09"),
    ("Officials said the contract could be signed in December.", "en", "2026-12"),
    ("Как сообщил источник, контракт может быть подписан в декабре.", "ru", "2026-12"),
    ("The package will be presented next month.", "en", "2026-12"),
    ("Об этом стало известно в прошлом месяце.", "ru", "2026-10"),
])
def test_the_tense_nearest_to_the_month_and_relative_months(sentence, language, value):
    assert [d["date"] for d in find_dates(sentence, NOV, language)] == [value]


def test_a_short_month_alone_is_no_date():
    assert find_dates("(Reporting by Olzhas Auyezov; Editing by Jan Harvey)", NOV) == []


def test_prices_per_unit_a_year_earlier_and_wagons_are_no_quantities():
    assert _q("Стороны обсуждали цену в 250 долларов за 1000 куб. м.", "ru") == []
    assert _q("It carried 20 million tonnes, up from 16 million tonnes a year earlier.", "en", NOV) == [
        (20e6, "t"), (16e6, "t")]
    assert _q("The average wagon carries 68 tonnes.") == []


@pytest.mark.parametrize("sentence,value", [
    ("Линию сдадут во II полугодии 2027 г.", "2027-07/2027-12"),
    ("В 1-м полугодии 2026 года объём вырос.", "2026-01/2026-06"),
    ("Работы завершат в 3-м квартале 2027 года.", "2027-07/2027-09"),
    ("Проект завершат в 2028-м.", "2028"),
    ("В нынешнем году начнётся стройка.", "2026"),
])
def test_russian_ordinals_in_figures_and_roman_numerals(sentence, value):
    assert [d["date"] for d in find_dates(sentence, PUBLISHED, "ru")] == [value]


@pytest.mark.parametrize("sentence,language,expected", [
    ("Терминал мощностью 2 млн т/год.", "ru", [(2e6, "t/a")]),
    ("An LNG plant of 5 mtpa is planned.", "en", [(5e6, "t/a")]),
    ("The 3 Mt/y terminal opened.", "en", [(3e6, "t/a")]),
    ("A capacity of 400,000 tpa.", "en", [(400000, "t/a")]),
    ("Переход пропустит 500 грузовиков в сутки.", "ru", [(500, "vehicles/d")]),
])
def test_rate_units_written_as_one(sentence, language, expected):
    assert _q(sentence, language) == expected


@pytest.mark.parametrize("sentence,language,expected", [
    ("The plant will generate 5.6 billion kilowatt-hours a year.", "en", [(5.6e9, "kWh/a")]),
    ("Exports reached 3 TWh annually.", "en", [(3e9, "kWh/a")]),
    ("Накопитель ёмкостью 16 ГВт·ч.", "ru", [(16e6, "kWh")]),
    ("A 1.2 GW plant and a 600MW unit.", "en", [(1200, "MW"), (600, "MW")]),
    ("two gigawatts of wind", "en", [(2000, "MW")]),
])
def test_energy_and_power_units(sentence, language, expected):
    assert _q(sentence, language) == expected


@pytest.mark.parametrize("sentence,value", [
    ("The terminal will open by year-end.", "2026-12"),
    ("Completion is now expected end-2027.", "2027-12"),
    ("The line should open as early as 2028.", "2028"),
    ("It must be finished no later than 2029.", "2029"),
    ("Tenders follow in the third quarter.", "2026-07/2026-09"),
    ("Works resume in mid-March.", "2026-03"),
    ("Talks will go on until the middle of 2027.", "2027-06"),
    ("Between 2021 and 2025 the line carried 40 Mt.", "2021/2025"),
    ("Traffic fell during 2025.", "2025"),
])
def test_more_english_periods(sentence, value):
    assert [d["date"] for d in find_dates(sentence, PUBLISHED)] == [value]


def test_an_end_user_is_no_date():
    assert find_dates("The end-user pays the tariff in the middle of the road.", PUBLISHED) == []


@pytest.mark.parametrize("sentence,language", [
    ("Kazakhstan's GDP reached $260 billion last year.", "en"),
    ("The operator posted a net profit of 12 billion tenge.", "en"),
    ("ВВП страны составил 100 млрд долларов.", "ru"),
    ("Чистая прибыль компании выросла до 5 млрд рублей.", "ru"),
])
def test_accounts_are_no_project_amounts(sentence, language):
    assert money(sentence, language) == []


@pytest.mark.parametrize("sentence,language,expected", [
    ("It adds 10,000 square metres of warehouses.", "en", [(10000, "m2")]),
    ("Склад площадью 20 тыс. кв. м.", "ru", [(20000, "m2")]),
    ("The channel will be 4.5 metres deep.", "en", [(4.5, "m")]),
])
def test_square_metres_are_areas_not_lengths(sentence, language, expected):
    assert _q(sentence, language) == expected


def test_russian_metres_written_as_m():
    assert _q("Плотина высотой 256 м, длиной 1 км.", "ru") == [(256, "m"), (1, "km")]
    assert _q("Склад построят в 300 м от станции.", "ru") == []


def test_latin_t_after_a_scale_and_pax():
    assert _q("The port handled 5.2 million t of cargo in 2025.") == [(5.2e6, "t/a")]
    assert _q("The airport will serve 12 million pax a year.") == [(12e6, "passenger/a")]
    assert _q("Section 5 t and a 3 t truck.") == []


@pytest.mark.parametrize("sentence,language,value", [
    ("The ministers will meet on Friday.", "en", "2026-04-03"),
    ("The ministers met on Friday.", "en", "2026-03-27"),
    ("Министры встретятся в пятницу.", "ru", "2026-04-03"),
    ("Министры встретились в пятницу.", "ru", "2026-03-27"),
])
def test_a_weekday_in_the_future_tense_is_the_next_one(sentence, language, value):
    assert [d["date"] for d in find_dates(sentence, PUBLISHED, language)] == [value]
