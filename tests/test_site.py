"""The Datasette site, through Datasette's own test client."""
import asyncio
import json
import re
import io

import pandas as pd
import pytest

from infratracker.core import registry
from infratracker.publish.views import VIEWS
from infratracker.serve.site import CANNED_QUERIES, make_app, metadata
from support import site_with_a_script_in_a_note


@pytest.fixture(scope="module")
def app(site_built):
    return make_app(site_built)


def get(app, path):
    return asyncio.run(app.client.get(path))


PAGES = ([f"/infratracker/{r.name}" for r in registry.RESOURCES] + [f"/infratracker/{v}" for v in VIEWS]
         + ["/", "/infratracker", "/infratracker/search_index", "/infratracker/projects/instc"]
         + [f"/infratracker/{q}" for q in CANNED_QUERIES])


@pytest.mark.parametrize("path", PAGES)
def test_every_page_responds_with_security_headers(app, path):
    r = get(app, path)
    assert r.status_code == 200, path
    assert "frame-ancestors 'none'" in r.headers["content-security-policy"]
    assert r.headers["x-frame-options"] == "DENY"
    assert r.headers["x-content-type-options"] == "nosniff"
    assert get(app, path.rstrip("/") + ".json" if path != "/" else "/.json").status_code == 200


def test_facets_count_the_right_rows(app, repo):
    data = get(app, "/infratracker/projects.json?_facet=status&_size=0").json()
    counts = {f["value"]: f["count"] for f in data["facet_results"]["status"]["results"]}
    expected = pd.read_csv(repo.data / "projects.csv", dtype=str, keep_default_na=False)["status"]
    assert counts == {k: v for k, v in expected[expected != ""].value_counts().items()}


def test_default_facets_from_registry(app):
    data = get(app, "/infratracker/funding_constraints.json?_size=0").json()
    assert set(data["facet_results"]) == {"constraint_type", "likelihood"}


def test_search_finds_canonical_record_from_garbled_spelling(app):
    rows = get(app, "/infratracker/search_index.json?_search=Pei+Zexi+Qiwan&_shape=array").json()
    assert [(r["record_table"], r["record_id"]) for r in rows] == [("people", "masoud-pezeshkian")]
    rows = get(app, "/infratracker/projects.json?_search=railway&_shape=array").json()
    assert [r["project_id"] for r in rows] == ["kazakhstan-turkmenistan-iran-railway"]


def test_foreign_keys_show_names(app):
    rows = get(app, "/infratracker/parties.json?_labels=on&_shape=array&project_id=instc").json()
    assert [r["country_id"] for r in rows] == [{"value": "IRN", "label": "Iran"}, {"value": "KAZ", "label": "Kazakhstan"}]
    html = get(app, "/infratracker/parties?agreement_id=kazakhstan-iran-astana-talks").text
    assert ">Masoud Pezeshkian</a>" in html


@pytest.mark.parametrize("table", ["projects", "countries", "citations", "parties", "finance", "source_notes"])
def test_csv_download_equals_the_published_csv(app, repo, table):
    r = get(app, f"/infratracker/{table}.csv?_size=max")
    served = pd.read_csv(io.StringIO(r.text), dtype=str, keep_default_na=False)
    published = pd.read_csv(repo.data / f"{table}.csv", dtype=str, keep_default_na=False)
    pd.testing.assert_frame_equal(served, published)


def test_package_and_parquet_downloads(app, repo):
    r = get(app, "/downloads/package/datapackage.json")
    assert r.status_code == 200 and r.content == repo.descriptor.read_bytes()
    assert get(app, "/downloads/package/data/projects.csv").content == (repo.data / "projects.csv").read_bytes()
    r = get(app, "/downloads/parquet/projects.parquet")
    frame = pd.read_parquet(io.BytesIO(r.content))
    assert isinstance(frame["status"].dtype, pd.CategoricalDtype)
    import pyarrow.parquet as pq

    status = pq.read_schema(io.BytesIO(r.content)).field("status").type
    codes = list(pd.read_csv(repo.data / "codelists.csv").query("codelist == 'project_status'")
                 .sort_values("position")["code"])
    assert status.ordered and list(frame["status"].cat.categories)[:len(codes)] == codes  # codelist order
    assert sorted(frame["project_id"]) == sorted(pd.read_csv(repo.data / "projects.csv")["project_id"])


@pytest.mark.parametrize("path", ["/\\evil.com/", "//evil.com/", "/%5Cevil.com/"])
def test_no_open_redirects(app, path):
    r = get(app, path)
    assert r.status_code == 404 or not r.headers.get("location", "").lstrip("/").startswith(("evil", "\\"))
    assert "evil.com" not in r.headers.get("location", "")


def test_metadata_describes_every_column_from_the_registry(site_built):
    meta = metadata(site_built)["databases"]["infratracker"]["tables"]
    for res in registry.RESOURCES:
        assert meta[res.name]["columns"] == {f.name: f.description for f in res.fields}
        assert meta[res.name].get("label_column") == res.label_column
    html = asyncio.run(make_app(site_built).client.get("/infratracker/projects")).text
    assert registry.resource("projects").field("length_km").description in html


def test_script_payload_in_a_cell_comes_back_escaped(checkout):
    site_with_a_script_in_a_note(checkout)
    app = make_app(checkout)
    html = asyncio.run(app.client.get("/infratracker/projects/caspian-ports-cooperation")).text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<script>alert(1)</script>" not in html


def test_memoized_permission_checks_give_datasette_s_own_answers(site_built):
    app = make_app(site_built)
    assert get(app, "/").status_code == 200  # startup has run
    memo = app._table_permission_allows
    assert memo.memoized
    for table in [r.name for r in registry.RESOURCES] + list(VIEWS):
        assert memo("infratracker", table) == memo.original("infratracker", table)
    assert asyncio.run(app.permission_allowed(None, "view-table", ("infratracker", "projects"), default=True)) is True
    assert asyncio.run(app.permission_allowed(None, "execute-sql", "infratracker", default=True)) is True


def test_response_cache_is_bounded_and_keyed_by_url():
    from infratracker.serve.datasette_plugin.response_cache import OVERHEAD, ResponseCache

    json_ok = {"status": 200, "headers": [(b"content-type", b"application/json")]}
    scope = {"method": "GET", "path": "/a", "raw_path": b"/a", "query_string": b"x=1", "headers": []}
    key = cache_key = ResponseCache().key(scope, "localhost", ())
    assert key == ("http", "localhost", b"/a", b"x=1", ())
    entry = len(repr(key)) + OVERHEAD + len(b"content-type") + len(b"application/json")
    cache = ResponseCache(max_bytes=entry + 6 + 3, max_entry=entry + 6)
    assert cache.key({**scope, "headers": [(b"cookie", b"ds_actor=1")]}, "localhost", ()) is None  # personal
    assert cache.key({**scope, "method": "POST"}, "localhost", ()) is None
    key_b = cache.key({**scope, "raw_path": b"/b"}, "localhost", ())
    key_c = cache.key({**scope, "raw_path": b"/c"}, "localhost", ())
    assert cache.put(cache_key, json_ok, b"12345")
    assert not cache.put(key_b, json_ok, b"1234567")  # larger than an entry may be
    assert cache.put(key_c, json_ok, b"123456")  # evicts /a
    assert cache.get(key_b) is None and cache.get(key) is None and cache.get(key_c).body == b"123456"
    assert cache.size == entry + 6
    assert not cache.put(key_b, {**json_ok, "status": 500}, b"1")  # only successes
    assert not cache.put(key_b, {**json_ok, "headers": [*json_ok["headers"], (b"content-length", b"9")]}, b"1")


def test_cached_pages_are_byte_identical(site_built):
    app = make_app(site_built)
    first = get(app, "/infratracker/projects?_facet=sector")
    second = get(app, "/infratracker/projects?_facet=sector")
    assert first.status_code == second.status_code == 200
    assert first.content == second.content and second.headers["x-frame-options"] == "DENY"
    fresh = asyncio.run(app.client.get("/infratracker/projects?_facet=sector", cookies={"a": "b"}))  # not cached
    timing = re.compile(rb"Queries took [0-9.]+ms")
    assert timing.sub(b"", fresh.content) == timing.sub(b"", first.content)


def test_infratracker_serve_starts_the_site_and_version_is_printed(site_built):
    import subprocess
    import sys
    import urllib.request

    from infratracker import __version__
    from infratracker.serve.loopback import free_port, wait_until_up

    out = subprocess.run([sys.executable, "-m", "infratracker.cli", "--version"], capture_output=True, text=True)
    assert out.returncode == 0 and out.stdout.strip() == f"infratracker {__version__}"
    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "infratracker.cli", "--root", str(site_built.root), "serve",
                               "--port", str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        base = f"http://127.0.0.1:{port}"
        assert wait_until_up(base, 30)
        with urllib.request.urlopen(base + "/infratracker/projects.json?_shape=array") as r:
            assert {p["project_id"] for p in json.loads(r.read())} >= {"instc"}
    finally:
        server.terminate()
        server.wait(timeout=20)


def test_downloads_have_their_types_and_distinct_names(app, repo, site_built):
    import hashlib
    import zipfile

    r = get(app, "/downloads/parquet/projects.parquet")
    assert r.headers["content-type"] == "application/vnd.apache.parquet"
    assert r.headers["content-disposition"] == 'attachment; filename="infratracker-projects.parquet"'
    package = get(app, "/downloads/package/data/projects.csv").headers["content-disposition"]
    sheet = get(app, "/downloads/spreadsheet/projects.csv").headers["content-disposition"]
    assert package == 'attachment; filename="infratracker-projects.csv"'
    assert sheet == 'attachment; filename="infratracker-projects-spreadsheet.csv"'
    z = get(app, "/downloads/infratracker-package.zip")
    assert z.headers["content-type"] == "application/zip"
    digest = get(app, "/downloads/infratracker-package.zip.sha256").text.split()[0]
    assert digest == hashlib.sha256(z.content).hexdigest()
    with zipfile.ZipFile(io.BytesIO(z.content)) as zf:
        assert zf.read("infratracker/datapackage.json") == repo.descriptor.read_bytes()
        assert zf.read("infratracker/data/projects.csv") == (repo.data / "projects.csv").read_bytes()
        assert "infratracker/schemas/projects.pandera.yaml" in zf.namelist()
    from infratracker.serve.site import package_zip

    assert package_zip(site_built) == package_zip(site_built)  # the same files, the same bytes
