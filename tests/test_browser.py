"""The site in a real browser: Debian's headless Chromium driven by Playwright (no download)."""
import os
import shutil
from pathlib import Path

import pytest

from infratracker.core.paths import REPO_ROOT
from support import BROWSER_MARKS, chromium, serving

pytestmark = BROWSER_MARKS
SHOTS = Path("screenshots-not-set")  # the page fixture points it at a temporary folder


@pytest.fixture(scope="module")
def server(site_built):
    with serving(site_built) as base:
        yield base


@pytest.fixture(scope="module")
def page(server, tmp_path_factory):
    global SHOTS
    SHOTS = tmp_path_factory.mktemp("screenshots")  # never into the checkout
    with chromium(tmp_path_factory.mktemp("chromium"), 1280, 900) as context:
        yield context.new_page()


def shot(page, name: str) -> Path:
    path = SHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=False)
    assert path.stat().st_size > 5000
    # `make screenshots` sets this to refresh the README's pictures in docs/screenshots.
    if os.environ.get("INFRATRACKER_SCREENSHOTS"):
        dest = REPO_ROOT / os.environ["INFRATRACKER_SCREENSHOTS"]
        dest.mkdir(parents=True, exist_ok=True)
        shutil.copy(path, dest / path.name)
    return path


def test_home_page_search_box_finds_records(page, server):
    page.goto(server + "/")
    assert "infratracker" in page.title()
    shot(page, "home")
    page.fill("input#q", "sanctions")
    page.click("input[type=submit][value=Search]")
    page.wait_for_url("**/search_index?_search=sanctions**")
    assert "Western sanctions on Iran" in page.locator("table.rows-and-columns").inner_text()


def test_project_page_shows_labels_and_links(page, server):
    page.goto(server + "/infratracker/projects/kazakhstan-turkmenistan-iran-railway")
    assert page.locator("h1").inner_text() == "Kazakhstan–Turkmenistan–Iran railway"  # the name, not the id
    assert page.get_by_text("Kazakhstan–Turkmenistan–Iran railway", exact=True).count() >= 1
    # foreign keys into this row, shown as links with counts
    assert page.get_by_text("rows from project_id in parties").count() == 1
    shot(page, "project")


def test_facet(page, server):
    page.goto(server + "/infratracker/project_country_roles")
    page.locator(".facet-info-name", has_text="country").locator("xpath=..").get_by_role(
        "link", name="Kazakhstan").click()
    page.wait_for_url("**country=Kazakhstan**")
    roles = page.locator("table.rows-and-columns td.col-country").all_inner_texts()
    assert roles and set(roles) == {"Kazakhstan"}
    shot(page, "facet")


def test_search_finds_canonical_record_from_garbled_spelling(page, server):
    page.goto(server + "/infratracker/search_index?_search=Pezehizyan")
    cells = page.locator("table.rows-and-columns td.col-name").all_inner_texts()
    assert "Masoud Pezeshkian" in cells
    shot(page, "search")


def test_map(page, server):
    page.goto(server + "/infratracker/place_map")
    page.wait_for_selector(".leaflet-container", timeout=15000)
    page.wait_for_selector(".leaflet-marker-icon, .marker-cluster", timeout=15000)
    shot(page, "map")


def test_projects_overview(page, server):
    page.goto(server + "/infratracker/project_overview")
    assert page.get_by_text("International North–South Transport Corridor").count() == 1
    shot(page, "projects")


def test_record_page_with_its_evidence(page, server):
    page.goto(server + "/-/record/projects/instc")
    assert page.locator("h1").inner_text() == "International North–South Transport Corridor"
    assert page.locator(".record-summary-line").inner_text().startswith("A corridor in transport")
    assert page.locator("figure.quote").count() >= 1
    shot(page, "record")


def test_map_of_projects(page, server):
    page.goto(server + "/-/map")
    page.wait_for_selector("#project-map path.leaflet-interactive", timeout=15000)  # the circle markers
    assert "Caspian Sea" in page.locator(".not-mapped-places").inner_text()
    # one marker per point, however many projects share it (six projects are drawn at Tehran)
    features = page.evaluate("JSON.parse(document.getElementById('project-map-data').textContent).features")
    points = {tuple(f["geometry"]["coordinates"]) for f in features}
    assert page.locator("#project-map path.leaflet-interactive").count() == len(points) < len(features)
    busiest = max(points, key=lambda p: sum(tuple(f["geometry"]["coordinates"]) == p for f in features))
    shared = sum(tuple(f["geometry"]["coordinates"]) == busiest for f in features)
    for i in range(len(points)):
        page.locator("#project-map path.leaflet-interactive").nth(i).click(force=True)
        popup = page.locator(".leaflet-popup-content")
        if popup.count() and popup.locator("a").count() == shared:
            break
    else:
        raise AssertionError("no marker's popup names every project at the busiest point")
    page.wait_for_function("() => getComputedStyle(document.querySelector('.leaflet-popup')).opacity === '1'")
    shot(page, "project-map")


def test_about_page(page, server):
    page.goto(server + "/-/about")
    assert page.locator("h1").inner_text() == "About infratracker"
    shot(page, "about")
