"""pandas users: typed, validated frames in one line, from the repo, a copy or a URL."""
import functools
import http.server
import shutil
import threading

import pandas as pd
import pytest

from infratracker.check.package import validate_package
from infratracker.core import registry
from infratracker.core.problems import ProblemsFound
import infratracker


def test_load_returns_every_table_typed():
    tables = infratracker.load()
    assert list(tables) == [r.name for r in registry.RESOURCES]
    src = tables["sources"]
    assert str(src["published_date"].dtype) == "datetime64[ns]"
    assert src["published_date"].iloc[0] == pd.Timestamp("2025-12-16")
    assert str(src["bytes"].dtype) == "Int64"
    assert str(src["machine_translation"].dtype) == "boolean"
    prj = tables["projects"]
    assert isinstance(prj["status"].dtype, pd.CategoricalDtype)
    assert list(prj["status"].cat.categories)[:3] == ["identification", "preparation", "implementation"]
    assert str(prj["length_km"].dtype) == "float64" and str(prj["cost_year"].dtype) == "Int64"
    assert str(prj["name"].dtype) == "string"


def test_load_one_table_matches_csv():
    prj = infratracker.load("projects")
    raw = pd.read_csv(infratracker.core.paths.REPO_ROOT / "data/projects.csv", dtype=str, keep_default_na=False)
    assert list(prj["project_id"]) == list(raw["project_id"])
    assert prj.loc[prj.project_id == "instc", "name"].item() == "International North–South Transport Corridor"


def test_load_unknown_table_is_a_clear_error():
    with pytest.raises(KeyError, match="no table 'project'"):
        infratracker.load("project")


def test_load_a_downloaded_copy_over_http(tmp_path, repo):
    copy = tmp_path / "download"
    copy.mkdir()
    shutil.copy(repo.descriptor, copy / "datapackage.json")
    shutil.copytree(repo.data, copy / "data")
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(copy))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/datapackage.json"
        prj = infratracker.load("projects", path=url)
        assert len(prj) == len(infratracker.load("projects"))
        assert validate_package(url).rows("countries")
    finally:
        server.shutdown()


def test_load_refuses_an_edited_copy(checkout):
    path = checkout.data / "project_countries.csv"
    path.write_text(path.read_text(encoding="utf-8").replace(",partner,", ",sponsor,", 1), encoding="utf-8")
    with pytest.raises(ProblemsFound) as info:
        infratracker.load("project_countries", path=checkout.root)
    text = info.value.report()
    assert "data/project_countries.csv: record -: field hash" in text
    assert "field role: 'sponsor' is not a code of codelist 'country_role'" in text


def test_frictionless_validates_the_published_package(repo):
    import frictionless

    report = frictionless.validate(str(repo.descriptor))
    assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "note"])
