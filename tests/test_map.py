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


@pytest.mark.parametrize("sequences, line", [((2, 1, 3), True), ((1, None, 2), False), ((None, None, None), False)])
def test_a_route_is_a_line_only_where_every_place_has_its_position(tmp_path, sequences, line):
    import sqlite3

    import datasette.plugins  # noqa: F401  Datasette registers the plugin whole before it is imported here
    import sqlite_utils

    from infratracker.publish.database import create_tables
    from infratracker.serve.datasette_plugin.mapping import map_context

    db = sqlite_utils.Database(tmp_path / "map.db")
    create_tables(db)
    db["projects"].insert({"project_id": "line", "name": "A line", "project_type": "railway"})
    stops = [("a", 40.0, 50.0), ("b", 41.0, 51.0), ("c", 42.0, 52.0)]
    for (place, lat, lon), seq in zip(stops, sequences):
        db["places"].insert({"place_id": place, "name": place.upper(), "place_type": "city", "latitude": lat,
                             "longitude": lon, "coordinates_source": "source"})
        db["project_places"].insert({"project_id": "line", "place_id": place, "sequence": seq})
    conn = sqlite3.connect(tmp_path / "map.db")
    conn.row_factory = sqlite3.Row
    features = map_context(conn, "")["geojson"]["features"]
    routes = [f for f in features if f["geometry"]["type"] == "LineString"]
    assert [f["geometry"]["type"] for f in features].count("Point") == 3
    if line:  # in sequence order, not the order the rows were written
        assert [r["geometry"]["coordinates"] for r in routes] == [[[51.0, 41.0], [50.0, 40.0], [52.0, 42.0]]]
        assert routes[0]["properties"]["where"] == "B – A – C"
    else:
        assert routes == []
