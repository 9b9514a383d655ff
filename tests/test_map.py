"""The map of projects (issue 14, item 7): each project at its places, at its countries'
capitals where it has no located place, the places the gazetteer lacks listed as not mapped,
Leaflet from the installed datasette-leaflet (nothing but tiles from elsewhere), and GeoJSON."""
import asyncio
import html
import re

import pytest
from support import KTI

from infratracker.serve.site import make_app
from infratracker.serve.addresses import record_path


@pytest.fixture(scope="module")
def app(rich_site):
    return make_app(rich_site)


def get(app, path):
    return asyncio.run(app.client.get(path))


def test_capitals_come_from_the_installed_gazetteer():
    import datasette.plugins  # noqa: F401  Datasette registers the plugin whole before it is imported here

    from infratracker.serve.datasette_plugin.mapping import capitals

    lat, lon, name = capitals()["KAZ"]
    assert name == "Astana" and (round(lat, 1), round(lon, 1)) == (51.2, 71.4)
    assert len(capitals()) > 240


def test_map_page_draws_every_project_or_says_why_not(app, rich_site):
    import sqlite3

    r = get(app, "/-/map")
    assert r.status_code == 200
    assert "frame-ancestors 'none'" in r.headers["content-security-policy"]
    page = r.text
    assert "<h1>Map of projects</h1>" in page and "<title>Map of projects ·" in page
    # every project is named once, on the map or in the "not mapped" list
    conn = sqlite3.connect(rich_site.database)
    for (pid,) in conn.execute("select project_id from projects"):
        assert f'href="{html.escape(record_path("projects", pid))}"' in page, pid
    # a project with a located place is drawn there, not at its countries
    items = {re.sub(r"<[^>]+>", "", li).split(",")[0]: li for li in re.findall(r"<li>(.*?)</li>", page, re.S)}
    kti = items["Kazakhstan–Turkmenistan–Iran railway"]
    assert "by its places" in kti and "Aktau" in kti
    instc = items["International North–South Transport Corridor"]
    assert "by its countries (at their capitals)" in instc and "Iran (at Tehran)" in instc
    # the sea the gazetteer lacks is listed, with why and its projects
    unmapped = re.search(r'<ul class="not-mapped-places">(.*?)</ul>', page, re.S).group(1)
    assert "Caspian Sea" in unmapped and "no water bodies" in unmapped
    assert html.escape(record_path("projects", "caspian-ports-cooperation")) in unmapped
    # Leaflet from this site, and the page says why there are no lines
    assert "import * as L from \"/-/static-plugins/datasette-leaflet/leaflet-v1.7.1.js\";" in page
    assert not re.search(r'<(script|link)[^>]+(src|href)="https?://', page)
    assert "does not record the order" in page


def test_geojson_download(app):
    r = get(app, "/-/map.geojson")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("application/geo+json")
    assert 'filename="infratracker-projects.geojson"' in r.headers["content-disposition"]
    doc = r.json()
    assert doc["type"] == "FeatureCollection"
    kti = [f for f in doc["features"] if f["properties"]["project_id"] == KTI]
    assert [(f["properties"]["located_by"], f["properties"]["where"]) for f in kti] == [("place", "Aktau")]
    lon, lat = kti[0]["geometry"]["coordinates"]
    assert 43 < lat < 44 and 51 < lon < 52  # Aktau, on the Caspian's east shore


def test_script_in_a_name_is_escaped_in_the_map_data(app):
    page = get(app, "/-/map").text
    data = re.search(r'<script type="application/json" id="project-map-data">(.*?)</script>', page, re.S).group(1)
    assert "</" not in data  # tojson escapes <, > and &: a name cannot close the script


def test_home_page_links_to_the_map(app):
    page = get(app, "/").text
    assert '<a href="/-/map">Map of projects</a>' in page and 'href="/-/map.geojson"' in page
