"""Datasette's own pages made readable (issue 14, item 3): wide tables open on their main
columns with the rest one click away, every id in every view links to its record's page, and a
row page is headed by the record's name."""
import asyncio
import html
import re

import pytest

from infratracker.core import registry
from infratracker.publish.views import VIEWS
from infratracker.serve.site import main_columns, make_app
from infratracker.serve.addresses import record_path


@pytest.fixture(scope="module")
def app(rich_site):
    return make_app(rich_site)


def get(app, path):
    r = asyncio.run(app.client.get(path))
    assert r.status_code == 200, path
    return r


def header_columns(page: str) -> list[str]:
    table = re.search(r'<table class="rows-and-columns">.*?</thead>', page, re.S).group(0)
    return re.findall(r'data-column="([^"]+)"', table)


def test_projects_open_on_name_type_sector_status_length_cost(app):
    page = get(app, "/infratracker/projects").text
    assert header_columns(page) == ["project_id", "name", "project_type", "sector", "status", "length_km",
                                    "cost_amount", "cost_currency", "cost_amount_usd"]
    assert "Show all 14 columns" in page
    everything = get(app, "/infratracker/projects?_columns=all").text
    assert header_columns(everything)[:9] == header_columns(page)
    assert sorted(header_columns(everything)) == sorted(registry.RESOURCE_METADATA["projects"].field_names)
    # a column sorted on is shown; Datasette's own _col choice is shown as made; JSON keeps all
    assert "note" in header_columns(get(app, "/infratracker/projects?_sort=note").text)
    assert header_columns(get(app, "/infratracker/projects?_col=note").text) == ["project_id", "note"]
    row = get(app, "/infratracker/projects.json?_shape=array&_size=1").json()[0]
    assert set(row) == set(registry.RESOURCE_METADATA["projects"].field_names)


@pytest.mark.parametrize("res", [r for r in registry.RESOURCES if main_columns(r)], ids=lambda r: r.name)
def test_every_wide_table_opens_on_columns_it_has(app, res):
    page = get(app, f"/infratracker/{res.name}").text
    if 'class="rows-and-columns"' not in page:
        pytest.skip(f"{res.name} has no rows in this build")
    assert header_columns(page) == main_columns(res)


def test_row_page_is_headed_by_the_name(app):
    page = get(app, "/infratracker/projects/kazakhstan-turkmenistan-iran-railway").text
    h1 = re.search(r"<h1[^>]*>(.*?)</h1>", page, re.S).group(1)
    assert h1 == "Kazakhstan–Turkmenistan–Iran railway"
    assert "<code>kazakhstan-turkmenistan-iran-railway</code>" in page
    # a row with no name keeps its key
    h1 = re.search(r"<h1[^>]*>(.*?)</h1>", get(app, "/infratracker/bloc_members/central-asian-countries,TKM").text,
                   re.S).group(1)
    assert h1 == "central-asian-countries, TKM"


# view -> (column, the table its values are records of, or the column naming the kind)
VIEW_IDS = {
    "project_overview": [("project_id", "projects")],
    "project_country_roles": [("project_id", "projects"), ("country_id", "countries")],
    "projects_facing_constraints": [("project_id", "projects"), ("constraint_id", "funding_constraints")],
    "agreement_overview": [("agreement_id", "agreements")],
    "involvement": [("record_id", "record_kind"), ("party_id", "party_kind")],
    "finance_overview": [("finance_id", "finance"), ("project_id", "projects"), ("agreement_id", "agreements"),
                         ("amount_source_id", "sources")],
    "disagreements": [("record_id", "record_table"), ("published_source_id", "sources")],
    "evidence": [("record_id", "record_table"), ("source_id", "sources")],
    "place_map": [("place_id", "places")],
}
KINDS = {"project": "projects", "agreement": "agreements", "organisation": "organisations", "bloc": "blocs",
         "country": "countries", "person": "people"}


def test_every_view_is_checked():
    assert set(VIEW_IDS) == set(VIEWS)


@pytest.mark.parametrize("view", sorted(VIEW_IDS))
def test_ids_in_views_link_to_record_pages(app, view):
    rows = get(app, f"/infratracker/{view}.json?_shape=array&_size=max").json()
    page = get(app, f"/infratracker/{view}?_size=max").text
    checked = 0
    for row in rows:
        for column, target in VIEW_IDS[view]:
            if not row.get(column):
                continue
            table = row[target] if target in row else target
            table = KINDS.get(table, table)
            href = html.escape(record_path(table, row[column]))
            assert f'href="{href}"' in page, (view, column, row[column])
            checked += 1
    if view not in ("place_map",):
        assert checked, f"no id checked in {view}: the rich site should fill it"
    else:
        assert checked or not rows


def test_facets_show_codelist_labels_with_the_code_on_hover(app):
    page = get(app, "/infratracker/projects").text
    facet = re.search(r'<div class="facet-info [^"]*-project_type".*?</div>', page, re.S).group(0)
    assert re.search(r'<a href="[^"]*project_type=corridor[^"]*" title="corridor">Corridor</a>', facet)
    assert "cultural_exchange<" not in facet and "Cultural exchange</a>" in facet
    chosen = get(app, "/infratracker/projects?project_type=corridor").text
    assert re.search(r"<li>Corridor &middot; \d", chosen)
    # JSON keeps the codes; a foreign key facet keeps Datasette's label (the country's name)
    facets = get(app, "/infratracker/projects.json?_facet=sector").json()["facet_results"]
    assert "corridor" in [v["value"] for v in facets["project_type"]["results"]]
    assert ">Kazakhstan</a>" in get(app, "/infratracker/parties?_facet=country_id").text
