"""The curator's loop, timed as a curator runs it: one new article from its capture to its
records served by a running site.

After an untimed `publish` (the curator's previous one, which leaves the drafter's lexicon of
the data as it is), `add-article` drafts the extract from the capture; the review (human time, not timed) is
played by swapping in the article's own extract under the drafted `source:` block; then
`publish` (build, db and site in one process) with its peak memory, while a thread asks the
running server (started before, never restarted) for the new source until it answers: the
records are served once db has swapped the database in, before the downloads are remade.
"""
from __future__ import annotations

import subprocess
import threading
import time
from typing import Any

import yaml

from infratracker.core.paths import Layout
from infratracker.serve.loopback import free_port, wait_until_up


def curator_loop(layout: Layout, n_articles: int, progress, shape, run_child, python: str,
                 stage: list[str], i: int | None = None) -> dict[str, Any]:
    """`shape` (bench.run.Shape) gives an article's text and extract (`shape.article(i, n)`) and
    how many projects the corpus has, `run_child(cmd)` runs a step, `stage`
    is the command that starts a stage of the bench (bench.run passes its own); `i` is the
    article's number (default: one no other step of the bench writes)."""
    import httpx

    DUMPER = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
    PY, STAGE = python, stage
    i = n_articles + 5 if i is None else i
    text, doc = shape.article(i, n_articles)
    # it returns to earlier projects; keep only those the corpus has (its own are named)
    have = {f"prj-{p}" for p in range(shape.projects(n_articles))}
    doc["projects"] = [p for p in doc["projects"] if "name" in p or p["id"] in have]
    capture = layout.build / "loop-capture.txt"
    capture.parent.mkdir(parents=True, exist_ok=True)
    capture.write_text(text, encoding="utf-8")
    cli = [PY, "-m", "infratracker.cli", "--root", str(layout.root)]
    port = free_port()
    server = subprocess.Popen([*STAGE, "serve-ours", str(layout.root), str(port)], cwd=layout.root,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    out: dict[str, Any] = {}
    try:
        if not wait_until_up(base, 60):
            raise RuntimeError("the server for the curator's loop did not start")
        # the curator's previous `publish`, untimed: it leaves the drafter's lexicon of the data
        # as it is (intake/lexicon_cache.py), as a curator's last publish would
        warm = run_child([*cli, "publish"])
        out["publish_before"] = {k: warm[k] for k in ("seconds", "peak_mib", "returncode")}
        if warm["returncode"] != 0:
            out["error"] = warm["stderr"][-500:]
            return out
        progress.say("  curator's loop: add-article ...")
        src = doc["source"]
        add = run_child([*cli, "add-article", str(capture), "--publisher", src["publisher"],
                         "--published", src["published_date"], "--title", src["title"]])
        out["add_article"] = {k: add[k] for k in ("seconds", "peak_mib", "returncode")}
        if add["returncode"] != 0:
            out["error"] = add["stderr"][-500:]
            return out
        drafted_path = max(layout.extracts.glob("*.yaml"), key=lambda p: p.stat().st_mtime_ns)
        drafted = yaml.safe_load(drafted_path.read_text(encoding="utf-8"))
        reviewed = {"source": drafted["source"], **{k: v for k, v in doc.items() if k != "source"}}
        with open(drafted_path, "w", encoding="utf-8") as fh:
            yaml.dump(reviewed, fh, Dumper=DUMPER, sort_keys=False, allow_unicode=True, width=1000)
        # `publish` runs build, db and site; the records are served as soon as db has swapped
        # the database in, before the downloads are made again: a thread asks from the start
        source_id = drafted["source"]["id"]
        first_served: list[float] = []
        stop = threading.Event()

        def ask() -> None:
            with httpx.Client(base_url=base, timeout=30) as http:
                while not stop.is_set():
                    try:
                        r = http.get(f"/infratracker/sources/{source_id}.json")
                        if r.status_code == 200 and r.json().get("rows"):
                            first_served.append(time.perf_counter())
                            return
                    except httpx.HTTPError:
                        pass
                    stop.wait(0.05)

        progress.say("  curator's loop: publish ...")
        start = time.perf_counter()
        asker = threading.Thread(target=ask, daemon=True)
        asker.start()
        step = run_child([*cli, "publish"])
        out["publish"] = {k: step[k] for k in ("seconds", "peak_mib", "returncode")}
        if step["returncode"] != 0:
            stop.set()
            out["error"] = step["stderr"][-500:]
            if "build failed" in step["stderr"]:  # leave the corpus as it was for the steps after the loop
                (layout.root / drafted["source"]["archive_path"]).unlink(missing_ok=True)
                drafted_path.unlink(missing_ok=True)
            return out
        asker.join(60)
        stop.set()
        served = bool(first_served)
        out["served_after_s"] = round(first_served[0] - start, 3) if served else None
        # to the records served (the target) and to the downloads made again as well
        out["total_s"] = round(out["add_article"]["seconds"] + out["served_after_s"], 2) if served else None
        out["all_done_s"] = round(out["add_article"]["seconds"] + out["publish"]["seconds"], 2)
        out["peak_mib"] = max(out[k]["peak_mib"] for k in ("add_article", "publish"))
        return out
    finally:
        server.terminate()
        server.wait(timeout=30)
        capture.unlink(missing_ok=True)


def markdown_rows(results: dict[str, Any]) -> list[str]:
    rows = [r for r in results["sizes"] if r.get("curator_loop")]
    if not rows:
        return []
    lines = ["", "Curator's loop, one article from its capture to its records served by the running site "
             "(no restart): seconds and peak MiB per step. `publish` is build, db and site in one process; "
             "the records are served once db has swapped the database in (served after: from the start of "
             "`publish`), and the downloads are made again after that.", "",
             "| articles | add-article | publish | served after s | to records served s | to downloads made s | peak MiB |",
             "|---|---|---|---|---|---|---|"]
    for r in rows:
        loop = r["curator_loop"]
        cells = [f"{loop[k]['seconds']} s, {loop[k]['peak_mib']}" if k in loop else "-"
                 for k in ("add_article", "publish")]
        lines.append(f"| {r['articles']} | " + " | ".join(cells) +
                     f" | {loop.get('served_after_s', '-')} | {loop.get('total_s', '-')} | {loop.get('all_done_s', '-')}"
                     f" | {loop.get('peak_mib', '-')} |")
    return lines
