"""Curating new articles: add-article, merging sources, status history, encodings, releases.
Every article here is synthetic, written by the test."""
import csv
import io
import json

import yaml

from infratracker.assemble.release import changelog, manifests
from infratracker.cli import main
from infratracker.core import captures
from infratracker.intake import drafting
import infratracker

KNOWN = ("Uzbekistan and the Central Asian countries back the North South Transport Corridor. "
         "President Pezehizyan spoke in Astana about the Abraham Accord.")
NEW = ("On 12 March 2026 the sides signed a memorandum on a 908 km railway to Aktau. "
       "President Serdar Berdimuhamedow said the line would cost USD 1.6 billion, or 1.5 billion euros, by 2030.")


def rows(layout, table):
    return list(csv.DictReader(io.StringIO((layout.data / f"{table}.csv").read_text(encoding="utf-8"))))


def write_source(layout, source_id, text, published, body, encoding="utf-8", language="en"):
    """Archive a synthetic article and write its extract (the part a curator would write)."""
    data = text.encode(encoding)
    (layout.archive / f"{source_id}.txt").write_bytes(data)
    doc = {"source": {"id": source_id, "publisher": "Test Wire", "title": f"Test {source_id}",
                      "published_date": published, "language": language, "machine_translation": False,
                      "archive_path": f"archive/{source_id}.txt", "encoding": encoding,
                      "sha256": captures.sha256(data), "body_rule": "plain"}}
    doc.update(body)
    (layout.extracts / f"{source_id}.yaml").write_text(yaml.safe_dump(doc, allow_unicode=True, sort_keys=False),
                                                       encoding="utf-8")


def build(layout, capsys=None):
    code = main(["--root", str(layout.root), "build"])
    return code, (capsys.readouterr().err if capsys else "")


def test_detects_every_kind_of_candidate(checkout):
    found = drafting.detect(KNOWN + "\n" + NEW, drafting.build_lexicon(checkout))
    ids = {section: [e["id"] for e in found.get(section, [])] for section in
           ("countries", "blocs", "projects", "agreements", "people", "places")}
    assert ids == {"countries": ["UZB"], "blocs": ["central-asian-countries"], "projects": ["instc"],
                   "agreements": ["abraham-accords"], "people": ["masoud-pezeshkian"], "places": ["astana"]}
    assert found["projects"][0]["evidence"] == [
        {"quote": "Uzbekistan and the Central Asian countries back the North South Transport Corridor."}]
    draft = found["draft"]
    assert [(p["name"], p["country_id"], p["geonames_id"]) for p in draft["places"]] == [("Aktau", "KAZ", 610612)]
    assert [p["name"] for p in draft["people"]] == ["Serdar Berdimuhamedow"]
    assert [(d["text"], d["date"]) for d in draft["dates"]] == [("On 12 March 2026", "2026-03-12"), ("by 2030", "2030")]
    assert [(a["amount"], a["currency"]) for a in draft["finance"]] == [(1.6e9, "USD"), (1.5e9, "EUR")]
    assert [(q["value"], q["unit"], q["basis"]) for q in draft["quantities"]] == [(908, "km", "design")]
    assert all(0 < e["confidence"] <= 1 for kind in draft.values() for e in kind)
    assert [a["quote"][:40] for a in draft["agreements"]] == [
        "President Pezehizyan spoke in Astana abo", "On 12 March 2026 the sides signed a memo"]


def test_add_article_archives_and_drafts(checkout, tmp_path, capsys):
    article = tmp_path / "capture.html"
    article.write_text(f"<html><head><title>Rail news</title><script>var x=1;</script></head><body>"
                       f"<nav>Home | Login</nav><article><h1>Rail news</h1><p>{KNOWN}</p><p>{NEW}</p></article>"
                       f"<footer>Related articles</footer></body></html>", encoding="utf-8")
    assert main(["--root", str(checkout.root), "add-article", str(article), "--publisher", "Test Wire",
                 "--published", "2026-03-13", "--url", "https://example.org/rail"]) == 0
    sid = "test-wire-2026-03-13-rail-news"
    assert (checkout.archive / f"{sid}.html").read_bytes() == article.read_bytes()
    draft = yaml.safe_load((checkout.extracts / f"{sid}.yaml").read_text(encoding="utf-8"))
    assert draft["source"]["sha256"] == captures.sha256(article.read_bytes())
    assert draft["source"]["body_rule"] == "html" and draft["source"]["title"] == "Rail news"
    assert [e["id"] for e in draft["projects"]] == ["instc"]
    # the build refuses the draft until the curator has sorted it...
    before = (checkout.data / "citations.csv").read_bytes()
    code, err = build(checkout, capsys)
    assert code == 1 and f"extracts/{sid}.yaml: record -: field draft: the draft section is still here" in err
    assert (checkout.data / "citations.csv").read_bytes() == before
    # ...and accepts it once the draft section is gone: mentions become citations
    del draft["draft"]
    (checkout.extracts / f"{sid}.yaml").write_text(yaml.safe_dump(draft, allow_unicode=True), encoding="utf-8")
    assert build(checkout)[0] == 0
    cits = [c for c in rows(checkout, "citations") if c["source_id"] == sid]
    assert ("projects", "instc") in {(c["record_table"], c["record_id"]) for c in cits}


def test_add_article_reads_published_sources_not_every_extract(checkout, tmp_path, capsys, repo, monkeypatch):
    """A published extract is known from data/sources.csv; only an extract changed since the
    build is parsed, and what it says now is what counts."""
    import os
    import time

    old = time.time() - 3600  # every extract older than the published sources.csv
    for f in checkout.extracts.glob("*.yaml"):
        os.utime(f, (old, old))
    os.utime(checkout.data / "sources.csv")
    from infratracker.assemble import merge

    def every_extract(*a, **k):
        raise AssertionError("add-article parsed every extract")
    monkeypatch.setattr(merge, "process_all", every_extract)
    parsed = []
    real = drafting.yaml.safe_load
    monkeypatch.setattr(drafting.yaml, "safe_load",
                        lambda text, *a: (parsed.append(text) if "archive_path" in str(text) else None) or real(text))
    seed = repo.archive / "seetao-2025-12-16-yiha-summit.txt"
    assert main(["--root", str(checkout.root), "add-article", str(seed)]) == 1
    assert "already archived: same SHA-256 as source seetao-2025-12-16-yiha-summit" in capsys.readouterr().err
    assert parsed == []
    # edited since the build: read from the file, so its new URL is a duplicate's URL
    extract = checkout.extracts / "seetao-2025-12-16-yiha-summit.yaml"
    extract.write_text(extract.read_text(encoding="utf-8").replace("  url: null", "  url: https://example.org/y", 1),
                       encoding="utf-8")
    other = tmp_path / "c.txt"
    other.write_text(KNOWN, encoding="utf-8")
    assert main(["--root", str(checkout.root), "add-article", str(other), "--url", "https://example.org/y"]) == 1
    assert "already archived: same URL as source seetao-2025-12-16-yiha-summit" in capsys.readouterr().err
    assert len(parsed) == 1


def test_add_article_reads_every_extract_when_the_sources_csv_lacks_a_column(checkout, capsys, repo):
    """A sources.csv without the columns it reads (edited by hand, or of another version) is not
    trusted: every extract is read, and a duplicate is still refused, without a traceback."""
    sources = checkout.data / "sources.csv"
    lines = sources.read_text(encoding="utf-8").splitlines(keepends=True)
    sources.write_text(lines[0].replace("sha256", "checksum", 1) + "".join(lines[1:]), encoding="utf-8")
    seed = repo.archive / "seetao-2025-12-16-yiha-summit.txt"
    assert main(["--root", str(checkout.root), "add-article", str(seed)]) == 1
    assert "already archived: same SHA-256 as source seetao-2025-12-16-yiha-summit" in capsys.readouterr().err


def test_same_article_twice_is_refused(checkout, tmp_path, capsys, repo):
    seed = repo.archive / "seetao-2025-12-16-yiha-summit.txt"
    assert main(["--root", str(checkout.root), "add-article", str(seed)]) == 1
    assert "already archived: same SHA-256 as source seetao-2025-12-16-yiha-summit" in capsys.readouterr().err
    first = tmp_path / "a.txt"
    first.write_text(KNOWN, encoding="utf-8")
    assert main(["--root", str(checkout.root), "add-article", str(first), "--url", "https://example.org/x",
                 "--published", "2026-01-01"]) == 0
    second = tmp_path / "b.txt"
    second.write_text(KNOWN + " Updated.", encoding="utf-8")
    assert main(["--root", str(checkout.root), "add-article", str(second), "--url", "https://example.org/x"]) == 1
    assert "already archived: same URL as source source-2026-01-01-uzbekistan-and-the-central-asian" in \
        capsys.readouterr().err


def test_non_utf8_article(checkout, tmp_path, capsys):
    text = "Коридор «Север — Юг» длиной 7200 км соединит Россию и Иран."
    capture = tmp_path / "ru.txt"
    capture.write_bytes(text.encode("cp1251"))
    archive_before = sorted(p.name for p in checkout.archive.iterdir())
    assert main(["--root", str(checkout.root), "add-article", str(capture), "--language", "ru"]) == 1
    err = capsys.readouterr().err
    assert "ru.txt is not valid utf-8 at byte 0" in err and "--encoding" in err
    assert sorted(p.name for p in checkout.archive.iterdir()) == archive_before  # nothing archived
    assert main(["--root", str(checkout.root), "add-article", str(capture), "--language", "ru",
                 "--encoding", "cp1251", "--published", "2026-02-01", "--publisher", "Test Wire"]) == 0
    sid = "test-wire-2026-02-01-7200"
    assert (checkout.archive / f"{sid}.txt").read_bytes() == text.encode("cp1251")
    draft = yaml.safe_load((checkout.extracts / f"{sid}.yaml").read_text(encoding="utf-8"))
    assert draft["source"]["encoding"] == "cp1251"
    assert [(q["value"], q["unit"], q["quote"]) for q in draft["draft"]["quantities"]] == [(7200, "km", text)]
    assert [c["id"] for c in draft["countries"]] == ["IRN", "RUS"]  # "Россию и Иран", in their case forms
    # the curator links it to the corridor, keeping the Russian name as an alias
    del draft["draft"]
    draft["projects"] = [{"id": "instc", "aliases": [{"alias": "Север — Юг", "language": "ru"}],
                          "evidence": [{"quote": "Коридор «Север — Юг»"}]}]
    (checkout.extracts / f"{sid}.yaml").write_text(yaml.safe_dump(draft, allow_unicode=True), encoding="utf-8")
    assert build(checkout)[0] == 0
    assert {"record_id": "instc", "alias": "Север — Юг", "language": "ru", "source_id": sid}.items() <= \
        next(a for a in rows(checkout, "aliases") if a["alias"] == "Север — Юг").items()


def _project(source_id, **fields):
    quote = fields.pop("quote")
    return {"projects": [{"id": "kazakhstan-turkmenistan-iran-railway", **fields,
                          "evidence": [{"quote": quote, "field": next(iter(fields), None)}]}]}


def test_second_source_confirms(checkout):
    text = "The Kazakhstan–Turkmenistan–Iran railway is a railway."
    write_source(checkout, "test-confirm", text, "2026-01-10",
                 _project("test-confirm", project_type="railway", quote=text))
    assert build(checkout)[0] == 0
    assert rows(checkout, "conflicts") == []
    cited = {c["source_id"] for c in rows(checkout, "citations")
             if c["record_id"] == "kazakhstan-turkmenistan-iran-railway" and c["record_table"] == "projects"}
    assert cited == {"seetao-2025-12-16-yiha-summit", "test-confirm"}


def _length(source_id, km, quote):
    return {"projects": [{"id": "kazakhstan-turkmenistan-iran-railway", "quote": quote, "quantities": [
        {"kind": "length", "basis": "measured", "value": km, "unit": "km", "quote": quote}]}]}


def test_sources_that_disagree(checkout):
    write_source(checkout, "test-a", "The line is 908 km long.", "2026-01-10",
                 _length("test-a", 908, "The line is 908 km long."))
    write_source(checkout, "test-b", "The line is 928 km long.", "2026-02-10",
                 _length("test-b", 928, "The line is 928 km long."))
    assert build(checkout)[0] == 0
    prj = {r["project_id"]: r for r in rows(checkout, "projects")}["kazakhstan-turkmenistan-iran-railway"]
    assert prj["length_km"] == "928.0"  # the most recent source wins
    conflicts = sorted((c["source_id"], c["value"], c["published"], c["rule"]) for c in rows(checkout, "conflicts"))
    assert conflicts == [("test-a", "908 km", "false", "superseded"), ("test-b", "928 km", "true", "most_recent")]
    # a curator pin wins over recency
    path = checkout.extracts / "test-a.yaml"
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    doc["projects"][0]["quantities"][0]["pin"] = ["value"]
    path.write_text(yaml.safe_dump(doc), encoding="utf-8")
    assert build(checkout)[0] == 0
    prj = {r["project_id"]: r for r in rows(checkout, "projects")}["kazakhstan-turkmenistan-iran-railway"]
    assert prj["length_km"] == "908.0"
    assert sorted((c["source_id"], c["rule"]) for c in rows(checkout, "conflicts")) == [
        ("test-a", "pinned"), ("test-b", "superseded")]


def test_status_history(checkout):
    for sid, date, status, text in (("test-s1", "2024-05-01", "preparation", "Design work has started."),
                                    ("test-s2", "2026-03-01", "implementation", "Construction began in 2025.")):
        body = {"projects": [{"id": "kazakhstan-turkmenistan-iran-railway", "evidence": [{"quote": text}],
                              "status_events": [{"status": status, "quote": text,
                                                 **({"event_date": "2025"} if sid == "test-s2" else {})}]}]}
        write_source(checkout, sid, text, date, body)
    assert build(checkout)[0] == 0
    prj = {r["project_id"]: r for r in rows(checkout, "projects")}["kazakhstan-turkmenistan-iran-railway"]
    assert (prj["status"], prj["status_date"]) == ("implementation", "2025")
    events = {e["event_id"]: e for e in rows(checkout, "status_events")}
    assert events["kazakhstan-turkmenistan-iran-railway-implementation-test-s2"]["date_precision"] == "year"
    pkg = checkout.descriptor
    assert infratracker.status_as_of("kazakhstan-turkmenistan-iran-railway", "2024-12-31", path=pkg) == "preparation"
    assert infratracker.status_as_of("kazakhstan-turkmenistan-iran-railway", "2025-06-01", path=pkg) == "implementation"
    assert infratracker.status_as_of("kazakhstan-turkmenistan-iran-railway", "2024-01-01", path=pkg) is None


def test_release_diff(checkout, capsys):
    assert main(["--root", str(checkout.root), "release", "--date", "2026-11-27"]) == 0 or \
        "exists" in capsys.readouterr().err
    first = manifests(checkout)[-1]
    # change a field, add a project, remove one
    path = checkout.extracts / "seetao-2025-12-16-yiha-summit.yaml"
    text = path.read_text(encoding="utf-8")
    text = text.replace("name: Caspian logistics channels", "name: Caspian logistics routes")
    start = text.index("  - id: belt-and-road-initiative")
    end = text.index("agreements:")
    path.write_text(text[:start] + text[end:], encoding="utf-8")
    assert build(checkout)[0] == 0
    pkg = checkout.reference / "package.yaml"
    pkg.write_text(pkg.read_text().replace(f"version: {first['version']}", "version: 9.0.0"))
    assert main(["--root", str(checkout.root), "release", "--date", "2026-12-01"]) == 1
    err = capsys.readouterr().err
    assert "reference/removals.yaml: record belt-and-road-initiative: field projects: removed without a reason" in err
    removals = checkout.reference / "removals.yaml"
    removals.write_text("projects:\n  belt-and-road-initiative: only a keyword of the seed article\n")
    assert main(["--root", str(checkout.root), "release", "--date", "2026-12-01"]) == 0
    log = (checkout.root / "CHANGELOG.md").read_text(encoding="utf-8")
    section = log.split("## 9.0.0 (2026-12-01)")[1].split("\n## ")[0]
    assert "### projects\n\n- removed 1: `belt-and-road-initiative` (only a keyword of the seed article)\n" \
           "- changed 1: `caspian-logistics-channels` (name)" in section
    assert changelog(manifests(checkout), yaml.safe_load(removals.read_text())) == log
    # a removed id can never come back
    path.write_text(text, encoding="utf-8")
    code, err = build(checkout, capsys)
    assert code == 1 and "record belt-and-road-initiative: field project_id: id 'belt-and-road-initiative' " \
        "was removed from projects in a release and may not be reused" in err
    assert json.loads((checkout.root / "releases/9.0.0.json").read_text())["version"] == "9.0.0"
