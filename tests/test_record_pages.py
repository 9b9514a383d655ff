"""A page per record (issue 14, item 1), served by the site's own app through the plugin's
route, and search results that lead to those pages (item 2). Tables, keys and references are
read from the registry, so these tests follow the data model as it changes."""
import asyncio
import html
import re
import sqlite3

import pytest

from infratracker.core import registry
from infratracker.serve.site import make_app
from infratracker.serve.addresses import record_path
from support import site_with_a_script_in_a_note


@pytest.fixture(scope="module")
def app(site_built):
    return make_app(site_built)


@pytest.fixture(scope="module")
def db(site_built):
    conn = sqlite3.connect(site_built.database)
    conn.row_factory = sqlite3.Row
    yield conn
    conn.close()


def get(app, path, **kw):
    return asyncio.run(app.client.get(path, **kw))


def first_record(db, res):
    order = ", ".join(f'"{k}"' for k in res.primary_key)
    row = db.execute(f'select * from "{res.name}" order by {order} limit 1').fetchone()
    return None if row is None else dict(row)


def text_of(page: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", " ", page))


CITABLE = [r for r in registry.RESOURCES if r.citable]
SECTIONS = {"parties": "parties", "finance": "finance", "quantities": "quantities", "status_events": "timeline"}


@pytest.mark.parametrize("res", CITABLE, ids=[r.name for r in CITABLE])
def test_every_citable_table_has_record_pages_named_by_their_label(app, db, res):
    row = first_record(db, res)
    if row is None:
        pytest.skip(f"{res.name} has no rows in this build")
    key = registry.record_key(res, row)
    r = get(app, record_path(res.name, key))
    assert r.status_code == 200, (res.name, key)
    assert "frame-ancestors 'none'" in r.headers["content-security-policy"]  # through the plugin's guard
    page = r.text
    if res.label_column:
        label = html.escape(str(row[res.label_column]), quote=False)
        assert f"<h1>{label}</h1>" in page
        assert re.search(rf"<title>{re.escape(label)} ·", page)
    for f in res.fields:  # every field, with its label
        assert f.name.replace("_", " ").capitalize() in page, f.name


def test_project_page_labels_codes_links_references_and_shows_quotes(app, db):
    page = get(app, record_path("projects", "instc")).text
    # a code shows its codelist label; the code is kept on hover
    sector = db.execute("select label from codelists where codelist = 'project_sector' and code = 'transport'").fetchone()[0]
    assert re.search(rf'<span class="code" title="transport[^"]*">{sector}</span>', page)
    # rows of tables that reference the project, with links to the referenced records' pages
    for other in registry.RESOURCES:
        for f in other.fields:
            if f.references == ("projects", "project_id") and other.name not in ("citations", "aliases"):
                count = db.execute(f'select count(*) from "{other.name}" where "{f.name}" = ?', ["instc"]).fetchone()[0]
                if count and other.name in SECTIONS:  # shown as a readable section of its own
                    assert f'<section class="record-section {SECTIONS[other.name]}"' in page, other.name
                elif count:
                    assert html.escape(other.title) in page, other.name
    linked = db.execute("select country_id from project_countries where project_id = 'instc'").fetchall() \
        if "project_countries" in registry.RESOURCE_METADATA else []
    for (country,) in linked:
        assert f'href="{record_path("countries", country)}"' in page
    # every quote behind the record and its links, with its source named and linked
    quotes = [q for (q,) in db.execute("select quote from citations where record_table = 'projects' and record_id = 'instc'")]
    assert quotes and all(q in text_of(page) for q in quotes)
    title = db.execute("select title from sources limit 1").fetchone()[0]
    assert html.escape(title, quote=False) in page
    assert f'href="{record_path("sources", db.execute("select source_id from sources limit 1").fetchone()[0])}"' in page
    # the names sources use
    for (alias,) in db.execute("select alias from aliases where record_table = 'projects' and record_id = 'instc'"):
        assert alias in text_of(page)


def test_a_link_row_has_its_own_page_with_both_ends_linked(app, db):
    for res in CITABLE:
        fks = [f for f in res.fields if f.references and f.name in res.primary_key]
        if len(res.primary_key) > 1 and len(fks) >= 2 and (row := first_record(db, res)):
            break
    else:
        pytest.skip("no link table")
    page = get(app, record_path(res.name, registry.record_key(res, row))).text
    for f in fks:
        if row[f.name]:
            assert f'href="{record_path(f.references[0], row[f.name])}"' in page


def test_source_page_says_the_text_is_not_published_and_lists_every_record_it_supports(app, db):
    source_id = db.execute("select source_id from sources limit 1").fetchone()[0]
    page = get(app, record_path("sources", source_id)).text
    assert "not published here" in page
    supported = db.execute("select distinct record_table, record_id from citations where source_id = ?",
                           [source_id]).fetchall()
    assert supported
    for table, record_id in supported:
        assert f'href="{record_path(table, record_id)}"' in page


@pytest.mark.parametrize("path", ["/-/record/nope/instc", "/-/record/projects/nope", "/-/record/projects/instc/more",
                                  "/-/record/citations/" + "cit-000000000000", "/-/record/projects/~zz",
                                  "/-/record/projects/", "/-/record/bloc_members/central-asian-countries"])
def test_unknown_tables_and_records_are_404(app, path):
    r = get(app, path, follow_redirects=True)  # Datasette drops a trailing slash first
    assert r.status_code == 404, path
    assert "x-frame-options" in r.headers


def test_hostile_ids_are_escaped_and_parameterised(app):
    r = get(app, "/-/record/projects/~3Cscript~3Ealert(1)~27~20or~201=1")
    assert r.status_code == 404
    assert "<script>alert" not in r.text


def test_record_pages_are_cached_per_url_and_404s_are_not(site_built):
    app = make_app(site_built)
    first = get(app, record_path("projects", "instc"))
    second = get(app, record_path("projects", "instc"))
    assert first.content == second.content
    other = get(app, record_path("projects", "kazakhstan-turkmenistan-iran-railway"))
    assert other.content != first.content
    cache = app.client.app.cache
    assert any(k[2] == record_path("projects", "instc").encode() for k in cache.lru)
    assert get(app, "/-/record/projects/nope").status_code == 404
    assert all(k[2] != b"/-/record/projects/nope" for k in cache.lru)


def test_row_page_links_to_the_record_page(app):
    page = get(app, "/infratracker/projects/instc").text
    assert f'href="{record_path("projects", "instc")}"' in page
    assert "<title>International North–South Transport Corridor ·" in page


def test_search_finds_acronyms_and_links_results_to_record_pages(app):
    rows = get(app, "/infratracker/search_index.json?_search=INSTC&_shape=array").json()
    assert [(r["record_table"], r["record_id"]) for r in rows] == [("projects", "instc")]
    page = get(app, "/infratracker/search_index?_search=INSTC").text
    assert f'<a href="{record_path("projects", "instc")}">International North–South Transport Corridor</a>' in page
    garbled = get(app, "/infratracker/search_index?_search=Pei+Zexi+Qiwan").text
    assert f'href="{record_path("people", "masoud-pezeshkian")}"' in garbled


def test_acronyms():
    from infratracker.publish.database import acronyms

    assert "INSTC" in acronyms("International North–South Transport Corridor")
    assert acronyms("Bank of China") == {"BOC", "BC"}
    assert acronyms("Astana") == set()


def test_script_in_a_cell_is_escaped_on_the_record_page(checkout):
    site_with_a_script_in_a_note(checkout)
    page = get(make_app(checkout), record_path("projects", "caspian-ports-cooperation")).text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<script>alert(1)</script>" not in page
