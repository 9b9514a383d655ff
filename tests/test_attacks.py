"""Attackers against the served site lose: no writes, no 5xx, no traversal, no open redirect,
no path of this machine, no script. Datasette's own test client, the same app as `make serve`."""
import asyncio
import hashlib
import urllib.parse

import pytest

from infratracker.serve.site import make_app


@pytest.fixture(scope="module")
def app(site_built):
    return make_app(site_built)


def get(app, path):
    return asyncio.run(app.client.get(path))


def sql(query):
    return "/infratracker.json?sql=" + urllib.parse.quote(query)


WRITES = [
    "update projects set name = 'x'",
    "delete from projects",
    "/* a comment first */ delete from projects",
    "select 1; delete from projects",
    "-- comment\ndelete from projects",
    "with x as (insert into projects (project_id, name, project_type) values ('x','x','railway') returning *) select * from x",
    "insert into projects (project_id, name, project_type) values ('x', 'x', 'railway')",
    "attach database 'file:/tmp/evil.db' as evil",
    "select * from (select 1) ; attach database ':memory:' as m",
    "pragma query_only = 0",
    "pragma writable_schema = 1",
    "select load_extension('/tmp/evil.so')",
    "select readfile('/etc/passwd')",
    "select writefile('/tmp/x', 'x')",
    "create table t (x)",
    "drop table projects",
    "vacuum into '/tmp/copy.db'",
    "select * from pragma_database_list",
    "select file from pragma_database_list()",
]


@pytest.mark.parametrize("query", WRITES)
def test_write_and_escape_attempts_fail_and_change_nothing(app, site_built, query):
    before = hashlib.sha256(site_built.database.read_bytes()).hexdigest()
    r = get(app, sql(query))
    assert r.status_code == 400, (query, r.status_code, r.text[:200])
    assert r.json()["ok"] is False
    assert str(site_built.root) not in r.text
    assert hashlib.sha256(site_built.database.read_bytes()).hexdigest() == before
    assert get(app, "/infratracker/projects.json?_size=0").json()["filtered_table_rows_count"] == 8
    assert get(app, "/infratracker/projects/x.json").status_code == 404


ABUSE = [
    "/infratracker/projects.json?_size=-1", "/infratracker/projects.json?_size=abc",
    "/infratracker/projects.json?_size=99999999999999999999", "/infratracker/projects.json?_size=1e9",
    "/infratracker/projects.json?_timelimit=abc", "/infratracker/projects.json?_timelimit=-5",
    "/infratracker/projects.json?_sort=nope", "/infratracker/projects.json?_sort_desc=" + urllib.parse.quote("name; drop"),
    "/infratracker/projects.json?_sort=name&_sort_desc=name",
    "/infratracker/projects.json?_where=" + urllib.parse.quote("1=1) union select * from sqlite_master --"),
    "/infratracker/projects.json?_where=" + urllib.parse.quote("load_extension('x')"),
    "/infratracker/projects.json?_where=nope", "/infratracker/projects.json?name__nope=1",
    "/infratracker/projects.json?name__contains=" + urllib.parse.quote("%' or 1=1 --"),
    "/infratracker/projects.json?name__in=" + urllib.parse.quote("[1,2"),
    "/infratracker/projects.json?_facet=nope", "/infratracker/projects.json?_facet=" + urllib.parse.quote("name) from x --"),
    "/infratracker/projects.json?_facet_array=name", "/infratracker/projects.json?_facet_date=name",
    "/infratracker/projects.json?_facet_size=abc", "/infratracker/projects.json?_facet_size=-1",
    "/infratracker/projects.json?_next=" + urllib.parse.quote("zzz,'"), "/infratracker/projects.json?_col=nope",
    "/infratracker/projects.json?_search=" + urllib.parse.quote('"unbalanced NEAR('),
    "/infratracker/project_places/a,b", "/infratracker/project_places/a,b.json",
    "/infratracker/projects/" + "x" * 5000, "/infratracker/projects.json?_shape=nope",
    "/infratracker/projects.json?_labels=nope&_json=nope", "/infratracker/nope.json",
]


@pytest.mark.parametrize("path", ABUSE)
def test_abusive_parameters_get_4xx_never_5xx(app, path):
    r = get(app, path)
    assert r.status_code < 500, (path, r.status_code, r.text[:300])
    assert "Traceback" not in r.text


def test_slow_query_is_stopped_with_4xx(app):
    r = get(app, sql("with recursive c(x) as (select 1 union all select x + 1 from c) select count(*) from c"))
    assert r.status_code == 400 and "took too long" in r.text.lower() or "interrupted" in r.text.lower()


TRAVERSAL = ["/downloads/../../etc/passwd", "/downloads/%2e%2e/%2e%2e/etc/passwd", "/downloads/..%2f..%2fetc/passwd",
             "/-/static/../../../etc/passwd", "/-/static/%2e%2e/%2e%2e/%2e%2e/etc/passwd",
             "/-/static-plugins/infratracker/../../../../etc/passwd", "/-/static-plugins/datasette-cluster-map/%2e%2e/setup.py",
             "/downloads/package/../../../../pyproject.toml"]


@pytest.mark.parametrize("path", TRAVERSAL)
def test_path_traversal_gives_404(app, path):
    r = get(app, path)
    assert r.status_code == 404, path
    assert "root:" not in r.text and "[project]" not in r.text


@pytest.mark.parametrize("path", ["//evil.com/", "/\\evil.com/", "/%5Cevil.com/", "/%5C%5Cevil.com", "//evil.com/%2e%2e",
                                  "/infratracker/projects/?x=//evil.com", "/\\\\evil.com/infratracker"])
def test_redirects_never_leave_the_host(app, path):
    r = get(app, path)
    location = r.headers.get("location", "")
    assert "evil.com" not in location.split("?")[0], (path, location)


@pytest.mark.parametrize("path", ["/-/databases.json", "/-/databases", "/infratracker/nope", "/nope",
                                  "/infratracker.json?sql=select+*+from+nope", "/-/metadata.json", "/-/settings.json",
                                  "/-/plugins.json", "/-/versions.json", "/infratracker.json?sql=select+sqlite_source_id()"])
def test_no_absolute_path_of_this_machine_is_revealed(app, site_built, path):
    r = get(app, path)
    assert str(site_built.root) not in r.text and "/work/" not in r.text and "/tmp/" not in r.text


@pytest.mark.parametrize("path", ["/", "/infratracker", "/infratracker/projects", "/infratracker/nope",
                                  "/infratracker/projects.json?_sort=nope", "/-/databases.json", "//evil.com/"])
def test_every_response_carries_security_headers(app, path):
    r = get(app, path)
    assert "default-src 'self'" in r.headers.get("content-security-policy", ""), path
    assert r.headers.get("x-frame-options") == "DENY"
    assert r.headers.get("x-content-type-options") == "nosniff"


def test_script_in_metadata_comes_back_escaped(site_built):
    app = make_app(site_built)
    app._metadata_local["databases"]["infratracker"]["tables"]["projects"]["description"] = \
        "<script>alert('meta')</script>"
    html = asyncio.run(app.client.get("/infratracker/projects")).text
    assert "&lt;script&gt;alert(&#39;meta&#39;)&lt;/script&gt;" in html
    assert "<script>alert('meta')</script>" not in html
