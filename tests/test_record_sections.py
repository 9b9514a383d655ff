"""Record pages finished (issue 14, item 1): a summary line made only of what the record and its
rows hold, parties with roles, money with its year, US dollar basis and terms, quantities with
units, a status timeline in date order, and disagreements laid out as the published value and
why against the others. The first source's data have no finance, quantity or conflict, so these
tests read the `rich_site` (conftest.py), built from synthetic articles on top of it."""
import asyncio
import html
import re

import pytest

from infratracker.serve.site import make_app
from infratracker.serve.addresses import record_path

from support import KTI



@pytest.fixture(scope="module")
def page(rich_site):
    app = make_app(rich_site)
    r = asyncio.run(app.client.get(record_path("projects", KTI)))
    assert r.status_code == 200
    return r.text


def section(page: str, name: str) -> str:
    found = re.search(rf'<section class="record-section {name}".*?</section>', page, re.S)
    assert found, f"no {name} section"
    return found.group(0)


def text(fragment: str) -> str:
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", "", fragment))).strip()


def test_summary_line_says_only_what_the_rows_hold(page):
    line = text(re.search(r'<p class="record-summary-line">(.*?)</p>', page, re.S).group(1))
    assert line.startswith("A railway in rail transport, at the implementation stage.")
    assert "700 km long." in line
    assert "Involved: " in line and "RZD International (Contractor)" in line
    assert "loan 1.6 billion USD from VEB.RF" in line
    assert "freight volume 10 million tonnes a year by 2030" in line
    assert "Sources disagree on 1 claim." in line
    assert "Iran (Host, Partner)" in line and len(re.findall(r"[:,] Iran \(", line)) == 1  # named once, with its roles
    assert "Agreements: Kazakhstan–Iran presidential talks in Astana." in line
    assert "Funding constraints: Western sanctions on Iran." in line


def test_project_without_money_or_stage_gets_a_short_line_that_says_so(rich_site):
    app = make_app(rich_site)
    page = asyncio.run(app.client.get(record_path("projects", "instc"))).text
    line = text(re.search(r'<p class="record-summary-line">(.*?)</p>', page, re.S).group(1))
    assert line.startswith("A corridor in transport, stage not given by the sources.")
    assert "Money" not in line and "km long" not in line and "disagree" not in line
    assert 'class="record-section finance"' not in page and 'class="record-section timeline"' not in page


def test_parties_with_role_labels_and_links(page):
    parties = section(page, "parties")
    assert f'href="{record_path("organisations", "rzd-international")}"' in parties
    assert re.search(r'<span class="code" title="contractor[^"]*">Contractor</span>', parties)
    assert "Client" in text(parties) and "which will build the line" in text(parties)


def test_finance_shows_amount_year_usd_basis_and_terms(page):
    money = text(section(page, "finance"))
    assert ("Loan (Agreed): 1,600,000,000 US Dollar (1.6 billion), no year stated; "
            "1,600,000,000 US dollars (1.6 billion) at the rate of 2025-05-20 (Publication date).") in money
    assert "From VEB.RF to Iran" in money
    assert "Terms: interest 3%, 10 years." in money
    assert "stated in 2024 money" in money and "(Stated year)" in money


def test_quantities_with_unit_labels_normalised_and_target_year(page):
    qty = text(section(page, "quantities"))
    assert "Length (Design): 700 kilometres." in qty, qty
    assert "Section length (Design) in Turkmenistan: 300 kilometres." in qty
    assert "Freight volume (Target): 10 million tonnes a year, that is 10,000,000 tonnes a year, by 2030." in qty


def test_status_timeline_in_date_order_with_sources(page):
    timeline = section(page, "timeline")
    items = [text(li) for li in re.findall(r"<li>(.*?)</li>", timeline, re.S)]
    # the undated event sorts by the day it was reported (May 2025), before September 2025,
    # as the model orders them for projects.status
    assert [i.split(":")[0] for i in items] == ["Preparation", "Implementation"]
    assert "undated; reported 2025-05-20, according to Test wire-a" in items[0]
    assert "2025-09, according to Test wire-b" in items[1]
    assert f'href="{record_path("sources", "wire-b")}"' in timeline


def test_disagreement_shows_published_value_and_why_against_the_other(page):
    conflicts = section(page, "conflicts")
    published = text(re.search(r'<p class="conflict-published">(.*?)</p>', conflicts, re.S).group(1))
    assert published.startswith("Published: 1900000000 EUR (2024), from")  # the normalised form adds nothing here
    assert "from Test wire-b" in published and "Why: published: no pin, and wire-b is the most recently" in published
    other = text(re.search(r"<ul><li>(.*?)</li></ul>", conflicts, re.S).group(1))
    assert other.startswith("1600000000 EUR") and "Test wire-a" in other and "not published: wire-b wins" in other


def test_sections_replace_the_unreadable_generic_tables(page):
    for table in ("finance", "quantities", "status_events", "conflicts"):
        assert f'class="related related-{table}"' not in page, table
    assert 'class="related related-parties"' not in page


def test_a_finance_row_has_its_own_page_named_by_what_it_is(rich_site):
    app = make_app(rich_site)
    r = asyncio.run(app.client.get(record_path("finance", f"{KTI}--loan--vnesheconombank")))
    assert r.status_code == 200
    h1 = text(re.search(r"<h1>(.*?)</h1>", r.text, re.S).group(1))
    assert h1 == "Kazakhstan–Turkmenistan–Iran railway · Loan · VEB.RF", h1
    assert re.search(r"<title>Kazakhstan–Turkmenistan–Iran railway · Loan · VEB.RF ·", r.text)


def test_every_row_page_linked_from_a_section_exists(rich_site, page):
    # Links to rows with derived keys (parties, finance, quantities) once ended in a slash or
    # held "//", and led to a redirect or a 404.
    app = make_app(rich_site)
    hrefs = re.findall(r'<a class="row-page" href="([^"]+)"', page)
    assert len(hrefs) >= 8
    for href in hrefs:
        r = asyncio.run(app.client.get(html.unescape(href)))
        assert r.status_code == 200, href
