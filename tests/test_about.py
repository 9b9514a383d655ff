"""The about page, CITATION.cff and the descriptor's version and dates (issue 14, item 4); the
licence in every footer whatever the cache holds (item 6); labels, titles and folded column
descriptions on Datasette's own pages (item 3)."""
import asyncio
import html
import json
import re
import sqlite3

import pytest
import yaml

from infratracker.core import reference, registry
from infratracker.core.paths import REPO_ROOT
from infratracker.serve.site import CANNED_QUERIES, make_app

LICENCE = "CC BY 4.0 (data)"
SOURCE = "Curated extracts of archived articles"


def get(app, path):
    return asyncio.run(app.client.get(path))


def footer(page: str) -> str:
    found = re.search(r'<footer class="ft">(.*?)</footer>', page, re.S)
    assert found, "no footer"
    return found.group(1)


def assert_footer(page: str, path: str) -> None:
    ft = footer(page)
    assert LICENCE in ft and "creativecommons.org/licenses/by/4.0" in ft, path
    assert SOURCE in ft, path
    assert 'href="/-/about"' in ft, path


@pytest.mark.parametrize("order", [["/infratracker/projects/instc", "/infratracker/projects"],
                                   ["/infratracker/projects", "/infratracker/projects/instc"]],
                         ids=["row-then-table", "table-then-row"])
def test_row_and_table_pages_name_the_licence_in_either_order(site_built, order):
    app = make_app(site_built)  # a fresh app: Datasette's metadata and the response cache start empty
    for path in order + order:  # the second round comes from the response cache
        r = get(app, path)
        assert r.status_code == 200
        assert_footer(r.text, path)


@pytest.mark.parametrize("path", ["/", "/infratracker", "/-/about", "/-/record/projects/instc",
                                  "/infratracker/search_index?_search=INSTC",
                                  *[f"/infratracker/{q}" for q in CANNED_QUERIES]])
def test_every_kind_of_page_names_the_licence(site_built, path):
    r = get(make_app(site_built), path)
    assert r.status_code == 200
    assert_footer(r.text, path)


@pytest.fixture(scope="module")
def app(site_built):
    return make_app(site_built)


def test_about_page_counts_what_the_database_holds(app, site_built):
    page = get(app, "/-/about").text
    text = html.unescape(re.sub(r"<[^>]+>", " ", page))
    conn = sqlite3.connect(site_built.database)
    try:
        for res in registry.RESOURCES:
            if res.citable and res.label_column:
                (total,) = conn.execute(f'select count(*) from "{res.name}"').fetchone()
                (cited,) = conn.execute("select count(distinct record_id) from citations where record_table = ?",
                                        [res.name]).fetchone()
                row = re.search(rf'<tr class="coverage-{res.name}">(.*?)</tr>', page, re.S).group(1)
                cells = re.findall(r"<td>(.*?)</td>", row)
                assert cells[0] == f"{total:,}", res.name
                if res.name != "sources":
                    assert cells[1] == f"{cited:,}", res.name
        (quotes,) = conn.execute("select count(*) from citations").fetchone()
    finally:
        conn.close()
    assert f"{quotes:,} verbatim quotes" in text
    assert "1 source, a machine translation" in text
    package = reference.load_yaml(site_built.reference / "package.yaml")
    assert f"Version {package['version']}" in text
    manifest = json.loads((site_built.root / "releases" / f"{package['version']}.json").read_text())
    assert f"released {manifest['date']}" in text
    for heading in ("Method.", "Curation rules.", "Corrections.", "Disagreements.", "Licence", "How to cite"):
        assert heading in text
    assert "@misc{infratracker_" in text and "author = {{infratracker curators}}" in text
    assert "url =" not in text  # no address is set, and none is invented
    assert "<h2>Changelog</h2>" in page and f"{package['version']} ({manifest['date']})" in text


def test_changelog_markdown_is_escaped():
    from infratracker.serve.datasette_plugin.pages import markdown_blocks

    blocks = markdown_blocks("# T\n\n- added `<b>x</b>` and <i>\nplain")
    assert blocks[0] == {"kind": "heading", "level": 2, "parts": [{"text": "T", "code": False}]}
    assert blocks[1]["items"][0][1] == {"text": "<b>x</b>", "code": True}  # data: the template escapes it
    assert blocks[2]["kind"] == "paragraph"


def test_descriptor_has_version_created_and_no_invented_homepage(repo):
    descriptor = json.loads(repo.descriptor.read_text())
    package = reference.load_yaml(repo.reference / "package.yaml")
    assert descriptor["version"] == str(package["version"])
    manifest = json.loads((repo.root / "releases" / f"{package['version']}.json").read_text())
    assert descriptor["created"] == f"{manifest['date']}T00:00:00Z"
    assert ("homepage" in descriptor) == bool(package.get("homepage"))


def test_created_follows_the_release_of_this_version_only(tmp_path):
    from infratracker.publish.descriptor import created

    assert created(tmp_path, "0.2.0") is None  # not released yet: nothing is guessed
    (tmp_path / "0.2.0.json").write_text(json.dumps({"version": "0.2.0", "date": "2027-01-05", "tables": {}}))
    assert created(tmp_path, "0.2.0") == "2027-01-05T00:00:00Z"
    assert created(tmp_path, "0.3.0") is None


def test_descriptor_with_created_passes_frictionless(repo):
    from frictionless import Package

    report = Package(str(repo.descriptor)).validate()
    assert report.valid, report.flatten(["type", "note"])[:5]


def test_citation_cff_is_valid_and_invents_nothing(repo):
    cff = yaml.safe_load((REPO_ROOT / "CITATION.cff").read_text(encoding="utf-8"))
    package = reference.load_yaml(repo.reference / "package.yaml")
    assert cff["cff-version"] == "1.2.0"
    assert isinstance(cff["message"], str) and cff["message"]
    assert cff["title"] == package["title"]
    assert cff["authors"] == [{"name": "infratracker curators"}]  # an entity, not a person
    assert str(cff["version"]) == str(package["version"])
    manifest = json.loads((repo.root / "releases" / f"{package['version']}.json").read_text())
    assert str(cff["date-released"]) == manifest["date"]
    assert cff["type"] == "dataset" and cff["license"] == "CC-BY-4.0"
    allowed = {"cff-version", "message", "title", "authors", "version", "date-released", "type", "license",
               "abstract", "keywords", "url", "repository-code", "doi", "identifiers"}
    assert set(cff) <= allowed
    if not package.get("homepage"):
        assert not {"url", "doi", "identifiers", "repository-code"} & set(cff)


def test_codes_show_labels_with_the_code_on_hover_and_json_keeps_codes(app):
    page = get(app, "/infratracker/projects?project_id=instc").text
    assert re.search(r'<td class="col-sector[^"]*"><span class="code" title="transport[^"]*">Transport</span></td>', page)
    assert get(app, "/infratracker/projects.json?project_id=instc&_shape=array").json()[0]["sector"] == "transport"
    sources = get(app, "/infratracker/sources").text
    assert re.search(r'<td class="col-machine_translation[^"]*"><span class="code" title="1">yes</span>', sources)
    view = get(app, "/infratracker/project_overview").text  # a view: ids link to record pages
    assert '<a href="/-/record/projects/instc" title="the record&#39;s page">instc</a>' in view


def test_titles_are_names_and_column_descriptions_are_folded(app):
    home = get(app, "/").text
    assert "<title>infratracker: infratracker</title>" not in home
    title = reference.load_yaml(REPO_ROOT / "reference/package.yaml")["title"]
    assert f"<title>{html.escape(title)}</title>" in home
    table = get(app, "/infratracker/projects").text
    assert re.search(r"<title>Projects: [0-9,]+ rows · infratracker</title>", table)
    assert re.search(r'<details class="infratracker-columns"><summary>What each of the \d+ columns means</summary>', table)
    css = get(app, "/-/static-plugins/infratracker/infratracker.css")
    assert css.status_code == 200 and "dl.column-descriptions { display: none; }" in css.text
    assert '/-/static-plugins/infratracker/infratracker.css' in table
