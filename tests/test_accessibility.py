"""Every kind of page in Debian's headless Chromium at a desktop's and a phone's width, checked
with axe-core (issue 14, item 10): no serious or critical violation, nothing wider than the
screen. axe-core's script comes with axe-playwright-python, so the check runs offline. The site
is the rich one (conftest.py), so record pages show parties, money, quantities, a timeline and
a disagreement."""
import sqlite3

import pytest

from infratracker.core import registry
from infratracker.serve.addresses import record_path
from support import BROWSER_MARKS, chromium, serving

pytestmark = BROWSER_MARKS
WIDTHS = {"desktop": 1280, "phone": 390}
BLOCKING = ("serious", "critical")


def pages(layout) -> dict[str, str]:
    """One address per kind of page; a record page for every citable table that has a row."""
    out = {"home": "/", "database": "/infratracker", "table": "/infratracker/projects",
           "wide table, all columns": "/infratracker/finance?_columns=all",
           "row": "/infratracker/projects/instc", "view": "/infratracker/project_overview",
           "view of money": "/infratracker/finance_overview", "view of disagreements": "/infratracker/disagreements",
           "canned query": "/infratracker/projects_by_country?country=KAZ",
           "search": "/infratracker/search_index?_search=INSTC", "about": "/-/about", "map": "/-/map"}
    conn = sqlite3.connect(layout.database)
    conn.row_factory = sqlite3.Row
    for res in registry.RESOURCES:
        if not res.citable:
            continue
        order = ", ".join(f'"{k}"' for k in res.primary_key)
        row = conn.execute(f'select * from "{res.name}" order by {order} limit 1').fetchone()
        if row is not None:
            out[f"record: {res.name}"] = record_path(res.name, registry.record_key(res, dict(row)))
    out["record: projects (rich)"] = record_path("projects", "kazakhstan-turkmenistan-iran-railway")
    conn.close()
    return out


@pytest.fixture(scope="module")
def server(rich_site):
    with serving(rich_site) as base:
        yield base


@pytest.fixture(scope="module")
def browser(server, tmp_path_factory):
    with chromium(tmp_path_factory.mktemp("chromium"), 1280, 900) as context:
        yield context


def test_every_kind_of_page_passes_axe_at_both_widths(browser, server, rich_site):
    from axe_playwright_python.sync_playwright import Axe

    axe = Axe()
    page = browser.new_page()
    problems = []
    for kind, path in pages(rich_site).items():
        for width_name, width in WIDTHS.items():
            page.set_viewport_size({"width": width, "height": 900})
            response = page.goto(server + path)
            if response is None or response.status != 200:
                problems.append(f"{kind} ({path}) at {width_name}: status {response and response.status}")
                continue
            scroll = page.evaluate("document.documentElement.scrollWidth")
            if scroll > width:
                problems.append(f"{kind} ({path}) at {width_name}: {scroll} px wide")
            results = axe.run(page).response
            for v in results["violations"]:
                if v["impact"] in BLOCKING:
                    targets = [n["target"] for n in v["nodes"]][:3]
                    problems.append(f"{kind} ({path}) at {width_name}: {v['id']} ({v['impact']}) {targets}")
    page.close()
    assert not problems, "\n".join(problems)


def test_axe_runs_offline_and_reports_what_it_should(browser):
    # A page with a known critical violation: the check must see it, or its silence above
    # would prove nothing.
    from axe_playwright_python.sync_playwright import Axe

    page = browser.new_page()
    page.set_content('<html lang="en"><head><title>t</title></head><body><main><h1>t</h1>'
                     '<select><option>a</option></select></main></body></html>')
    ids = {v["id"] for v in Axe().run(page).response["violations"]}
    page.close()
    assert "select-name" in ids
