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
    path = checkout.data / "parties.csv"
    path.write_text(path.read_text(encoding="utf-8").replace(",partner,", ",sponsor,", 1), encoding="utf-8")
    with pytest.raises(ProblemsFound) as info:
        infratracker.load("parties", path=checkout.root)
    text = info.value.report()
    assert "data/parties.csv: record -: field hash" in text
    assert "field role: 'sponsor' is not a code of codelist 'party_role'" in text


def test_frictionless_validates_the_published_package(repo):
    import frictionless

    report = frictionless.validate(str(repo.descriptor))
    assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "note"])


def test_codelist_columns_are_ordered_like_their_codelists(repo):
    from infratracker.loading.api import load

    projects = load("projects", path=repo.root)
    order = list(projects["status"].cat.categories)
    assert projects["status"].cat.ordered and order.index("preparation") < order.index("implementation")
    later = projects[projects["status"] >= "preparation"]  # raised "Unordered Categoricals" before
    assert set(later["status"].dropna()) <= set(order[order.index("preparation"):])


def test_a_path_with_a_tilde_is_expanded(repo, tmp_path, monkeypatch):
    import shutil

    from infratracker.loading.api import load

    home = tmp_path / "home"
    shutil.copytree(repo.data, home / "Downloads" / "infratracker" / "data")
    shutil.copy(repo.descriptor, home / "Downloads" / "infratracker" / "datapackage.json")
    monkeypatch.setenv("HOME", str(home))
    assert len(load("projects", path="~/Downloads/infratracker")) == len(load("projects", path=repo.root))


def test_a_missing_package_or_wrong_url_is_a_clear_problem(tmp_path):
    from infratracker.core.problems import ProblemsFound
    from infratracker.loading.api import load

    with pytest.raises(ProblemsFound, match="cannot read the package descriptor"):
        load(path=tmp_path / "nowhere")
    with pytest.raises(ProblemsFound, match="cannot read the package descriptor"):
        load(path="http://127.0.0.1:9/infratracker/datapackage.json")  # nothing listens on port 9


def test_an_invalid_package_names_its_problems_in_the_exception(checkout):
    from infratracker.core.problems import ProblemsFound
    from infratracker.loading.api import load

    path = checkout.data / "projects.csv"
    path.write_bytes(path.read_bytes().replace(b",railway,", b",not-a-type,", 1))
    with pytest.raises(ProblemsFound) as err:
        load(path=checkout.root)
    assert "data/projects.csv" in str(err.value) and "hash" in str(err.value)
