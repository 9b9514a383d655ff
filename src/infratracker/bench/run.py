"""`infratracker bench`: a deterministic synthetic corpus shaped like the real data, the real
pipeline run on it stage by stage, and the tools a user would otherwise use, in the same run.

Every stage and baseline runs in its own process, so its wall time and peak memory (the
child's maximum resident set, from wait4) are its own. Results go to build/bench/results.json
and build/bench/results.md.
"""
from __future__ import annotations

import asyncio
import datetime as dt
import json
import os
import platform
import random
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from infratracker.core import captures
from infratracker.core import registry
from infratracker.core.paths import REPO_ROOT, Layout
from infratracker.serve.loopback import free_port, wait_until_up

DUMPER = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
COUNTRIES = ["KAZ", "IRN", "TKM", "UZB", "KGZ", "TJK", "RUS", "CHN", "TUR", "AZE", "GEO", "ARM", "IND", "PAK",
             "AFG", "MNG", "UKR", "BLR", "POL", "DEU", "ITA", "GRC", "EGY", "SAU", "ARE", "OMN", "QAT", "IRQ",
             "SYR", "JOR", "ISR", "LBN", "KWT", "BHR", "YEM", "ETH", "KEN", "TZA", "NGA", "ZAF", "NAM", "BRA"]
KINDS = [("railway", "transport.rail"), ("road", "transport.road"), ("port", "transport.water"),
         ("pipeline", "energy"), ("corridor", "transport"), ("logistics_route", "transport"),
         ("cultural_site", "cultureSportsAndRecreation")]
WORDS = ["north", "south", "east", "west", "caspian", "steppe", "silk", "amber", "desert", "river", "gulf",
         "mountain", "valley", "coastal", "trans", "central", "lake", "delta", "plateau", "harbour"]
STATUSES = ["identification", "preparation", "implementation", "completion", "maintenance"]
ROLES = ["host", "transit", "partner", "funder", "promoter"]
PROJECTS_PER_ARTICLE = 10


def _project_name(i: int) -> str:
    rng = random.Random(i)
    kind, _sector = KINDS[i % len(KINDS)]
    return f"{rng.choice(WORDS).title()} {rng.choice(WORDS).title()} {kind.replace('_', ' ')} {i}"


class _Draft:
    """A synthetic article being written: its extract (the source block first) and every
    sentence that a quote of it takes, which make its text."""

    def __init__(self, i: int, title: str, published: dt.date):
        sid = f"bench-wire-{i:06d}"
        self.title, self.sentences = title, []
        self.doc: dict[str, Any] = {"source": {
            "id": sid, "publisher": "Bench Wire", "title": title, "published_date": published.isoformat(),
            "language": "en", "machine_translation": False, "archive_path": f"archive/{sid}.txt",
            "encoding": "utf-8", "body_rule": "plain"}}

    def say(self, text: str) -> str:
        self.sentences.append(text)
        return text

    def finish(self, rng: random.Random) -> tuple[str, dict[str, Any]]:
        rng.shuffle(self.sentences)  # quotes are found anywhere in the body, in any order
        lines = (" ".join(self.sentences[j:j + 5]) for j in range(0, len(self.sentences), 5))
        return f"{self.title}\n\n" + "\n".join(lines) + "\n", self.doc


def article(i: int, n_articles: int) -> tuple[str, dict[str, Any]]:
    """Article i: its text and its extract. Pure and deterministic."""
    rng = random.Random(1000003 * i + 7)
    draft = _Draft(i, f"Bench article {i}", dt.date(2020, 1, 1) + dt.timedelta(days=i % 2000))
    say, doc = draft.say, draft.doc
    countries = rng.sample(COUNTRIES, 3)
    doc["countries"] = [{"id": c, "evidence": [{"quote": say(f"Officials of {c} spoke in article {i}.")}]}
                        for c in countries]
    doc["people"] = [{"id": f"person-{i}", "name": f"Minister Number {i}", "country_id": countries[0],
                      "position": "Minister of Transport",
                      "evidence": [{"quote": say(f"Minister Number {i} of {countries[0]} announced the plans.")}]}]
    projects = []
    first = i * PROJECTS_PER_ARTICLE
    for p in range(first, first + PROJECTS_PER_ARTICLE):
        kind, sector = KINDS[p % len(KINDS)]
        name = _project_name(p)
        entry: dict[str, Any] = {
            "id": f"prj-{p}", "name": name, "project_type": kind, "sector": sector,
            "description": f"A {kind.replace('_', ' ')} linking {countries[0]} and {countries[1]}.",
            "aliases": [f"{name} line"],
            "evidence": [{"quote": say(f"The {name} was discussed in article {i}.")},
                         {"quote": say(f"The {name} links {countries[0]} and {countries[1]}."), "field": "description"},
                         {"quote": say(f"It is a {kind.replace('_', ' ')}, numbered {p}."), "field": "project_type"},
                         {"quote": say(f"Its sector code is {sector} for project {p}."), "field": "sector"}],
            "parties": [{"country_id": c, "role": ROLES[(p + k) % len(ROLES)],
                           "quote": say(f"{c} takes part in project {p} as {ROLES[(p + k) % len(ROLES)]}.")}
                          for k, c in enumerate(countries[: 2 + p % 2])],
            "status_events": [{"status": STATUSES[p % len(STATUSES)],
                               "quote": say(f"Project {p} is now at the {STATUSES[p % len(STATUSES)]} stage.")}],
        }
        if p % 3 == 0:
            entry["quantities"] = [{"kind": "length", "basis": "measured", "value": float(100 + p % 900), "unit": "km",
                                    "quote": say(f"Project {p} is {100 + p % 900} km long.")}]
        if p % 5 == 0:
            entry["finance"] = [{"kind": "total_cost", "amount": float(10 + p % 90) * 1e6, "currency": "EUR",
                                 "quote": say(f"Project {p} costs {10 + p % 90} million euros.")}]
        projects.append(entry)
    for k, old in enumerate(rng.sample(range(first), 2) if i else []):  # later articles return to earlier projects
        projects.append({"id": f"prj-{old}", "evidence": [{"quote": say(f"Article {i} returns to project {old} ({k}).")}]})
    doc["projects"] = projects
    agreements = []
    for a in range(2):
        aid = f"agr-{i}-{a}"
        parties = [{"country_id": c, "role": "party", "quote": say(f"{c} is a party to agreement {aid}.")}
                   for c in countries]
        linked = [{"project_id": f"prj-{first + a * 3 + k}", "quote": say(f"Agreement {aid} covers project {first + a * 3 + k}.")}
                  for k in range(2)]
        agreements.append({"id": aid, "name": f"Cooperation memorandum {aid}", "agreement_type": "memorandum",
                           "status": "signed" if a == 0 else "discussed",
                           "evidence": [{"quote": say(f"The memorandum {aid} was {'signed' if a == 0 else 'discussed'}.")},
                                        {"quote": say(f"Agreement {aid} is a memorandum."), "field": "agreement_type"}],
                           "parties": parties, "projects": linked})
    doc["agreements"] = agreements
    if i % 2 == 0:
        cid = f"constraint-{i}"
        doc["funding_constraints"] = [{
            "id": cid, "name": f"Sanctions noted in article {i}", "constraint_type": "sanctions",
            "affected_country_id": countries[1], "likelihood": "in_effect", "effect": "Limits financing.",
            "evidence": [{"quote": say(f"Sanctions on {countries[1]} limit financing, says article {i}.")},
                         {"quote": say(f"Constraint {cid} is in effect."), "field": "likelihood"}],
            "projects": [{"project_id": f"prj-{first + k}", "quote": say(f"Constraint {cid} affects project {first + k}.")}
                         for k in range(2)],
        }]
    return draft.finish(rng)


ARTICLES_PER_PROJECT = 5


def tracker_article(i: int, n_articles: int) -> tuple[str, dict[str, Any]]:
    """Article i of a corpus shaped as a large tracker's sources are (issue 15, target 4): AidData
    cites 6.8 sources for each of its 20,985 projects, so most articles come back to projects
    already known, and only every fifth brings a new one: about 6 sources a project and 10
    citations an article, so 100,000 articles give 20,000 projects and ~1 M citations. Later sources restate some claims
    differently (a description, a status), so records are merged and conflicts listed as a real
    tracker's are. Pure and deterministic."""
    rng = random.Random(7000003 * i + 11)
    draft = _Draft(i, f"Tracker article {i}", dt.date(2015, 1, 1) + dt.timedelta(days=(i * 7) % 4000))
    say, doc = draft.say, draft.doc
    countries = rng.sample(COUNTRIES, 3)
    doc["countries"] = [{"id": c, "evidence": [{"quote": say(f"Delegations of {c} met for article {i}.")}]}
                        for c in countries]
    projects = []
    if i % ARTICLES_PER_PROJECT == 0:
        p = i // ARTICLES_PER_PROJECT
        kind, sector = KINDS[p % len(KINDS)]
        name = _project_name(p)
        projects.append({
            "id": f"prj-{p}", "name": name, "project_type": kind, "sector": sector,
            "description": f"A {kind.replace('_', ' ')} linking {countries[0]} and {countries[1]}.",
            "aliases": [f"{name} line"],
            "evidence": [{"quote": say(f"The {name} was announced in article {i}.")},
                         {"quote": say(f"The {name} links {countries[0]} and {countries[1]}."), "field": "description"},
                         {"quote": say(f"It is a {kind.replace('_', ' ')}, numbered {p}."), "field": "project_type"}],
            "parties": [{"country_id": c, "role": "host",
                         "quote": say(f"{c} hosts part of project {p}.")} for c in countries],
            "status_events": [{"status": "identification", "quote": say(f"Project {p} is being identified.")}]})
    known = i // ARTICLES_PER_PROJECT + (i % ARTICLES_PER_PROJECT > 0)  # projects made by articles 0..i-1
    back = 0 if i % ARTICLES_PER_PROJECT == 0 else 1 + (i % 3 == 0)  # ~1.3 projects an article in all
    for old in rng.sample(range(known), min(back, known)):
        status = STATUSES[(i + old) % len(STATUSES)]
        role = ROLES[(i + old) % len(ROLES)]
        entry: dict[str, Any] = {
            "id": f"prj-{old}",
            "evidence": [{"quote": say(f"Article {i} reports on project {old} again.")},
                         {"quote": say(f"Work on project {old} was discussed by the delegations of article {i}.")}],
            "parties": [{"country_id": countries[0], "role": role,
                         "quote": say(f"{countries[0]} is a {role} of project {old}, says article {i}.")}],
            "status_events": [{"status": status, "quote": say(f"Project {old} reached the {status} stage in article {i}.")}]}
        if i % 10 == 3:  # a later source words the description its own way: a conflict to list
            entry["description"] = f"A route of {countries[0]} and {countries[1]}, as article {i} puts it."
            entry["evidence"].append({"quote": say(entry["description"]), "field": "description"})
        if i % 7 == 0:
            entry["finance"] = [{"kind": "total_cost", "amount": float(10 + i % 90) * 1e6, "currency": "USD",
                                 "quote": say(f"Project {old} will cost {10 + i % 90} million dollars.")}]
        projects.append(entry)
    doc["projects"] = projects
    if i % 10 == 5 and projects:
        aid = f"agr-{i}"
        doc["agreements"] = [{
            "id": aid, "name": f"Cooperation memorandum {aid}", "agreement_type": "memorandum", "status": "signed",
            "evidence": [{"quote": say(f"The memorandum {aid} was signed.")}],
            "parties": [{"country_id": c, "role": "party", "quote": say(f"{c} signed memorandum {aid}.")}
                        for c in countries],
            "projects": [{"project_id": projects[0]["id"],
                          "quote": say(f"Memorandum {aid} covers project {projects[0]['id'][4:]}.")}]}]
    return draft.finish(rng)


@dataclass(frozen=True)
class Shape:
    """How a synthetic corpus is made: its article i, and how many projects n articles name."""
    name: str
    article: Callable[[int, int], tuple[str, dict[str, Any]]]
    projects: Callable[[int], int]


SHAPES = {
    # 10 new projects an article: many records, few sources each (the default run)
    "wire": Shape("wire", article, lambda n: n * PROJECTS_PER_ARTICLE),
    # a large tracker's sources: ~6 per project, ~10 citations an article (issue 15, target 4)
    "tracker": Shape("tracker", tracker_article, lambda n: -(-n // ARTICLES_PER_PROJECT)),
}


def write_corpus(target: Path, n_articles: int, progress, shape: Shape | None = None) -> Layout:
    if target.exists():
        shutil.rmtree(target)
    layout = Layout(target)
    for sub in ("archive", "extracts", "data", "schemas"):
        (target / sub).mkdir(parents=True)
    shutil.copytree(REPO_ROOT / "reference", target / "reference")
    (target / "reference" / "removals.yaml").write_text("{}\n")
    shutil.copy(REPO_ROOT / "README.md", target / "README.md")
    for i in range(n_articles):
        add_article_files(layout, i, n_articles, shape)
        progress(i + 1, n_articles, "corpus")
    return layout


def add_article_files(layout: Layout, i: int, n_articles: int, shape: Shape | None = None) -> None:
    text, doc = (shape or SHAPES["wire"]).article(i, n_articles)
    data = text.encode("utf-8")
    (layout.archive / f"bench-wire-{i:06d}.txt").write_bytes(data)
    doc["source"]["sha256"] = captures.sha256(data)
    with open(layout.extracts / f"bench-wire-{i:06d}.yaml", "w", encoding="utf-8") as fh:
        yaml.dump(doc, fh, Dumper=DUMPER, sort_keys=False, allow_unicode=True, width=1000)


# --- running stages in their own processes -----------------------------------------------

def run_child(cmd: list[str], cwd: Path | None = None) -> dict[str, Any]:
    """Run a command; wall time and the child's own peak memory (wait4 rusage). Output goes to
    temporary files, so the child is reaped by wait4 itself, not by communicate()."""
    import tempfile

    start = time.perf_counter()
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        proc = subprocess.Popen(cmd, cwd=cwd, stdout=out, stderr=err)
        _pid, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read().decode(errors="replace"), err.read().decode(errors="replace")
    return {"seconds": round(wall, 3), "peak_mib": round(usage.ru_maxrss / 1024, 1), "returncode": proc.returncode,
            "stdout": stdout[-1500:], "stderr": stderr[-1500:]}


PY = sys.executable
STAGE = [PY, "-m", "infratracker.bench.stages"]


def count_rows(layout: Layout) -> dict[str, int]:
    counts = {}
    for res in registry.RESOURCES:
        with open(layout.data / f"{res.name}.csv", "rb") as fh:
            counts[res.name] = sum(1 for _ in fh) - 1
    return counts


async def _hammer(base: str, paths: list[str], clients: int, seconds: float) -> dict[str, Any]:
    import httpx

    lat: list[float] = []
    errors = 0
    stop = time.monotonic() + seconds
    async with httpx.AsyncClient(base_url=base, timeout=60, limits=httpx.Limits(max_connections=clients)) as http:
        async def one(k: int) -> None:
            nonlocal errors
            j = k
            while time.monotonic() < stop:
                start = time.monotonic()
                r = await http.get(paths[j % len(paths)])
                j += clients
                lat.append((time.monotonic() - start) * 1000)
                if r.status_code != 200:
                    errors += 1
        await asyncio.gather(*(one(k) for k in range(clients)))
    lat.sort()
    return {"requests": len(lat), "per_second": round(len(lat) / seconds, 1), "errors": errors,
            "p50_ms": round(lat[len(lat) // 2], 1) if lat else None,
            "p95_ms": round(lat[int(len(lat) * 0.95)], 1) if lat else None}


def serve_and_measure(cmd: list[str], cwd: Path, seconds: float, n_projects: int, by_rowid: bool = False) -> dict[str, Any]:
    port = free_port()
    proc = subprocess.Popen([*cmd, str(port)], cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        if not wait_until_up(base, 60):
            raise RuntimeError(f"server did not start: {' '.join(cmd)}")
        rng = random.Random(5)
        facet = "/{db}/projects?_facet=sector&_facet=status&_facet=project_type"  # the HTML page
        same = [facet]
        distinct = [facet + f"&sector={s}&_sort=name" for s in ("transport", "transport.rail", "transport.road",
                                                                 "transport.water", "energy")] + \
                   [facet + f"&status={s}" for s in STATUSES]
        # the plain sqlite-utils database has no primary key: its rows are addressed by rowid
        rows = [f"/{{db}}/projects/{rng.randrange(1, n_projects + 1)}.json" if by_rowid else
                f"/{{db}}/projects/prj-{rng.randrange(n_projects)}.json" for _ in range(500)]
        # every URL different: no cache can help (a filter that changes rows and facet counts)
        unique = [facet + f"&project_id__gt=prj-{rng.randrange(n_projects)}&_u={k}" for k in range(20000)]
        out = {}
        for name, paths in (("faceted_html_same_url", same), ("faceted_html_10_urls", distinct),
                            ("faceted_html_every_url_new", unique), ("row_json", rows)):
            paths = [p.format(db="infratracker") for p in paths]
            asyncio.run(_hammer(base, paths[:3], 2, 1.0))  # warm up
            out[name] = asyncio.run(_hammer(base, paths, 8, seconds))
        return out
    finally:
        proc.terminate()
        proc.wait(timeout=30)


class Progress:
    def __init__(self, quiet: bool):
        self.quiet = quiet
        self.last = 0.0

    def __call__(self, done: int, total: int, what: str) -> None:
        if self.quiet or (time.monotonic() - self.last < 0.2 and done < total):
            return
        self.last = time.monotonic()
        width = 30
        filled = int(width * done / max(total, 1))
        print(f"\r  {what:<10} [{'#' * filled}{'.' * (width - filled)}] {done}/{total}", end="" if done < total else "\n",
              file=sys.stderr, flush=True)

    def say(self, text: str) -> None:
        if not self.quiet:
            print(text, file=sys.stderr, flush=True)


def bench_size(n_articles: int, work: Path, progress: Progress, serve_seconds: float,
               frictionless: bool, shape: Shape | None = None) -> dict[str, Any]:
    shape = shape or SHAPES["wire"]
    progress.say(f"size: {n_articles} articles ({shape.name})")
    start = time.perf_counter()
    name = f"corpus-{n_articles}" if shape.name == "wire" else f"corpus-{shape.name}-{n_articles}"
    layout = write_corpus(work / name, n_articles, progress, shape)
    res: dict[str, Any] = {"articles": n_articles, "shape": shape.name, "generate_s": round(time.perf_counter() - start, 2)}
    cli = [PY, "-m", "infratracker.cli", "--root", str(layout.root)]

    def step(name: str, cmd: list[str]) -> dict[str, Any]:
        progress.say(f"  {name} ...")
        out = run_child(cmd)
        if out["returncode"] != 0:
            progress.say(f"  {name} failed: {out['stderr'][-500:]}")
        return out

    build = step("full build", [*cli, "build"])
    res["full_build"] = {k: build[k] for k in ("seconds", "peak_mib", "returncode")}
    res["rows"] = count_rows(layout)
    res["rows_total"] = sum(res["rows"].values())
    st = step("stages", [*STAGE, "stages", str(layout.root)])
    res["stages"] = {**json.loads(st["stdout"] or "{}"), "peak_mib": st["peak_mib"]}
    # the median of three runs: a 3-5 s run varies by a second on this VM; frictionless's one
    # run of 40-50 s averages such noise out by itself
    runs = sorted((step("validate (ours)", [*cli, "validate", str(layout.descriptor)]) for _ in range(3)),
                  key=lambda r: r["seconds"])
    ours = runs[1]
    res["validate_package_ours"] = {**{k: ours[k] for k in ("seconds", "peak_mib", "returncode")},
                                    "runs_s": [r["seconds"] for r in runs],
                                    "returncode": max(r["returncode"] for r in runs)}
    if frictionless:
        fl = step("frictionless validate", [str(Path(PY).with_name("frictionless")), "validate", str(layout.descriptor)])
        res["frictionless_validate"] = {k: fl[k] for k in ("seconds", "peak_mib", "returncode")}
        res["frictionless_validate"]["valid"] = fl["returncode"] == 0
        res["validation_speedup"] = round(fl["seconds"] / ours["seconds"], 1)
    db = step("sqlite load (ours)", [*STAGE, "db", str(layout.root)])
    res["sqlite_ours"] = {**json.loads(db["stdout"] or "{}"), "peak_mib": db["peak_mib"]}
    em = step("executemany", [*STAGE, "executemany", str(layout.root)])
    res["executemany"] = {**json.loads(em["stdout"] or "{}"), "peak_mib": em["peak_mib"]}
    if res["sqlite_ours"].get("insert_rows_per_s") and res["executemany"].get("rows_per_s"):
        res["load_ratio_to_executemany"] = round(res["sqlite_ours"]["insert_rows_per_s"] / res["executemany"]["rows_per_s"], 2)
    plain = layout.build / "plain"
    plain.mkdir(parents=True, exist_ok=True)
    su = str(Path(PY).with_name("sqlite-utils"))
    cmds = " && ".join(f"{su} insert {plain / 'infratracker.db'} {r.name} {layout.data / (r.name + '.csv')} --csv"
                       for r in registry.RESOURCES)
    sqlite_utils_cli = step("sqlite-utils insert --csv", ["bash", "-c", cmds])
    res["sqlite_utils_insert_csv"] = {"seconds": sqlite_utils_cli["seconds"], "peak_mib": sqlite_utils_cli["peak_mib"],
                                      "rows_per_s": round(res["rows_total"] / sqlite_utils_cli["seconds"])}
    pr = step("pandas read_csv", [*STAGE, "pandas", str(layout.root)])
    res["pandas_read_csv"] = {**json.loads(pr["stdout"] or "{}"), "peak_mib": pr["peak_mib"]}
    # `infratracker db` itself, in full, so that the loop below updates it (the site needs it too)
    db_full = step("db (full load)", [*cli, "db"])
    res["db_full"] = {k: db_full[k] for k in ("seconds", "peak_mib", "returncode")}
    if serve_seconds > 0:
        site = step("site files", [*cli, "site"])
        res["site_files_s"] = site["seconds"]
        duck = step("duckdb on citations.parquet", [*STAGE, "duckdb", str(layout.root)])
        res["duckdb_parquet"] = {**json.loads(duck["stdout"] or "{}"), "process_s": duck["seconds"],
                                 "peak_mib": duck["peak_mib"], "returncode": duck["returncode"]}
        n_projects = res["rows"]["projects"]
        progress.say("  serving: ours ...")
        res["serve_ours"] = serve_and_measure([*STAGE, "serve-ours", str(layout.root)], layout.root, serve_seconds,
                                              n_projects)
        progress.say("  serving: datasette defaults ...")
        res["serve_datasette_defaults"] = serve_and_measure([*STAGE, "serve-default", str(layout.root)], layout.root,
                                                            serve_seconds, n_projects, by_rowid=True)
        from infratracker.bench.loop import curator_loop

        res["curator_loop"] = curator_loop(layout, n_articles, progress, shape, run_child, PY, STAGE)
    add_article_files(layout, n_articles, n_articles + 1, shape)
    rebuild = step("rebuild after one new article", [*cli, "build"])
    res["rebuild_one_article"] = {k: rebuild[k] for k in ("seconds", "peak_mib", "returncode")}
    res["rebuild_one_article"]["incremental"] = "incremental:" in rebuild["stdout"]
    db_one = step("db after one new article", [*cli, "db"])
    res["db_one_article"] = {k: db_one[k] for k in ("seconds", "peak_mib", "returncode")}
    res["db_one_article"]["incremental"] = "incremental:" in db_one["stdout"]
    add_article_files(layout, n_articles + 1, n_articles + 2, shape)
    full = step("full rebuild after another new article (--full, cache warm)", [*cli, "build", "--full"])
    res["rebuild_one_article_full"] = {k: full[k] for k in ("seconds", "peak_mib", "returncode")}
    return res


def markdown(results: dict[str, Any]) -> str:
    shape = results.get("shape", "wire")
    lines = [f"Machine: {results['machine']}. Python {results['python']}. Date: {results['date']}. "
             f"Corpus shape: {shape} ({'~6 articles a project, ~10 citations an article' if shape == 'tracker' else '10 new projects an article'}).", ""]
    lines += ["| articles | projects | citations | rows | full build s | build peak MiB | extracts→tables s | "
              "validation s | CSV+descriptor s | rebuild +1 article s (incremental) | rebuild +1 article s (--full) |",
              "|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in results["sizes"]:
        s = r["stages"]
        inc = r["rebuild_one_article"]
        lines.append(f"| {r['articles']} | {r['rows']['projects']} | {r['rows']['citations']} | {r['rows_total']} | "
                     f"{r['full_build']['seconds']} | {r['full_build']['peak_mib']} | {s.get('extracts_to_tables_s')} | "
                     f"{s.get('validation_s')} | {s.get('descriptor_and_csv_s')} | {inc['seconds']}"
                     f"{'' if inc.get('incremental') else ' (full)'} | "
                     f"{r.get('rebuild_one_article_full', {}).get('seconds', '-')} |")
    lines += ["", "| articles | validate package: ours s | frictionless validate s | speed-up | SQLite insert rows/s: ours | "
              "executemany rows/s | ratio | sqlite-utils insert --csv rows/s | pandas read_csv rows/s |",
              "|---|---|---|---|---|---|---|---|---|"]
    for r in results["sizes"]:
        fl = r.get("frictionless_validate", {})
        lines.append(f"| {r['articles']} | {r['validate_package_ours']['seconds']} | {fl.get('seconds', '-')} | "
                     f"{r.get('validation_speedup', '-')} | {r['sqlite_ours'].get('insert_rows_per_s')} | "
                     f"{r['executemany'].get('rows_per_s')} | {r.get('load_ratio_to_executemany')} | "
                     f"{r['sqlite_utils_insert_csv']['rows_per_s']} | {r['pandas_read_csv'].get('rows_per_s')} |")
    if any("db_one_article" in r for r in results["sizes"]):
        lines += ["", "| articles | `db` full load s, peak MiB | `db` after +1 article s, peak MiB |", "|---|---|---|"]
        for r in results["sizes"]:
            full, one = r.get("db_full", {}), r.get("db_one_article", {})
            lines.append(f"| {r['articles']} | {full.get('seconds')}, {full.get('peak_mib')} | {one.get('seconds')}, "
                         f"{one.get('peak_mib')}{'' if one.get('incremental') else ' (full)'} |")
    ducked = [r for r in results["sizes"] if r.get("duckdb_parquet", {}).get("rows")]
    if ducked:
        lines += ["", "| articles | citations.parquet rows | MiB | DuckDB grouped query s | same answer as SQLite | "
                  "SQLite, same query s | DuckDB process peak MiB |", "|---|---|---|---|---|---|---|"]
        for r in ducked:
            d = r["duckdb_parquet"]
            lines.append(f"| {r['articles']} | {d['rows']} | {round(d['parquet_bytes'] / 2**20, 1)} | {d['query_s']} | "
                         f"{'yes' if d['same_as_sqlite'] else 'NO'} | {d['sqlite_query_s']} | {d['peak_mib']} |")
    served = [r for r in results["sizes"] if "serve_ours" in r]
    if served:
        lines += ["", "| articles | server | faceted HTML, same URL: req/s, p95 ms | faceted HTML, 10 URLs: req/s, p95 ms | "
                  "faceted HTML, every URL new: req/s, p95 ms | row JSON: req/s, p95 ms | errors |",
                  "|---|---|---|---|---|---|---|"]
        for r in served:
            for name in ("serve_ours", "serve_datasette_defaults"):
                m = r[name]
                errs = sum(m[k]["errors"] for k in m)
                lines.append(f"| {r['articles']} | {'ours' if name == 'serve_ours' else 'Datasette defaults'} | "
                             f"{m['faceted_html_same_url']['per_second']}, {m['faceted_html_same_url']['p95_ms']} | "
                             f"{m['faceted_html_10_urls']['per_second']}, {m['faceted_html_10_urls']['p95_ms']} | "
                             f"{m['faceted_html_every_url_new']['per_second']}, {m['faceted_html_every_url_new']['p95_ms']} | "
                             f"{m['row_json']['per_second']}, {m['row_json']['p95_ms']} | {errs} |")
    from infratracker.bench.loop import markdown_rows

    lines += markdown_rows(results)
    return "\n".join(lines) + "\n"


def run_bench(sizes: list[int], work: Path, serve_seconds: float = 10, quiet: bool = False,
              frictionless: bool = True, output: Path | None = None, shape: str = "wire") -> dict[str, Any]:
    progress = Progress(quiet)
    work.mkdir(parents=True, exist_ok=True)
    results = {"machine": f"{os.cpu_count()} cores, {_mem_gib()} GiB, {platform.machine()}, {platform.platform()}",
               "python": platform.python_version(), "date": dt.date.today().isoformat(), "shape": shape, "sizes": []}
    for n in sizes:
        results["sizes"].append(bench_size(n, work, progress, serve_seconds if n == max(sizes) else 0, frictionless,
                                           SHAPES[shape]))
    out = output or work
    stem = results_stem(shape)
    (out / f"{stem}.json").write_text(json.dumps(results, indent=2) + "\n")
    (out / f"{stem}.md").write_text(markdown(results))
    return results


def results_stem(shape: str) -> str:
    """build/bench/results.json for the default run; another shape's results beside it."""
    return "results" if shape == "wire" else f"results-{shape}"


def _mem_gib() -> int:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return round(int(line.split()[1]) / 1024 / 1024)
    except OSError:
        pass
    return 0
