"""The curator's loop, timed as a curator runs it: one new article from its capture to its
records served by a running site.

`add-article` drafts the extract from the capture; the review (human time, not timed) is
played by swapping in the article's own extract under the drafted `source:` block; then
`build`, `db` and `site`, each in its own process with its peak memory; then the running
server (started before, never restarted) is asked for the new source until it answers.
"""
from __future__ import annotations

import subprocess
import time
from typing import Any

import yaml

from infratracker.core.paths import Layout
from infratracker.serve.loopback import free_port, wait_until_up


def curator_loop(layout: Layout, n_articles: int, progress, article, run_child, python: str,
                 stage: list[str]) -> dict[str, Any]:
    """`article(i, n)` gives an article's text and extract, `run_child(cmd)` runs a step, `stage`
    is the command that starts a stage of the bench (bench.run passes its own)."""
    import httpx

    DUMPER = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
    PY, STAGE = python, stage
    i = n_articles + 5  # an article no other step of the bench writes
    text, doc = article(i, n_articles)
    # it returns to two earlier projects; keep only those the corpus has (its own are named)
    have = {f"prj-{p}" for p in range(n_articles * 10)}
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
        for name in ("build", "db", "site"):
            progress.say(f"  curator's loop: {name} ...")
            step = run_child([*cli, name])
            out[name] = {k: step[k] for k in ("seconds", "peak_mib", "returncode")}
            if step["returncode"] != 0:
                out["error"] = step["stderr"][-500:]
                if name == "build":  # leave the corpus as it was for the steps after the loop
                    (layout.root / drafted["source"]["archive_path"]).unlink(missing_ok=True)
                    drafted_path.unlink(missing_ok=True)
                return out
        source_id = drafted["source"]["id"]
        start = time.perf_counter()
        served = False
        with httpx.Client(base_url=base, timeout=30) as http:
            while time.perf_counter() - start < 60:
                r = http.get(f"/infratracker/sources/{source_id}.json")
                if r.status_code == 200 and r.json().get("rows"):
                    served = True
                    break
                time.sleep(0.05)
        out["served_after_s"] = round(time.perf_counter() - start, 3) if served else None
        steps = [out[k]["seconds"] for k in ("add_article", "build", "db", "site")]
        out["total_s"] = round(sum(steps) + (out["served_after_s"] or 0), 2) if served else None
        out["peak_mib"] = max(out[k]["peak_mib"] for k in ("add_article", "build", "db", "site"))
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
             "(no restart): seconds and peak MiB per step.", "",
             "| articles | add-article | build | db | site | served after s | total s | peak MiB |",
             "|---|---|---|---|---|---|---|---|"]
    for r in rows:
        loop = r["curator_loop"]
        cells = [f"{loop[k]['seconds']} s, {loop[k]['peak_mib']}" if k in loop else "-"
                 for k in ("add_article", "build", "db", "site")]
        lines.append(f"| {r['articles']} | " + " | ".join(cells) +
                     f" | {loop.get('served_after_s', '-')} | {loop.get('total_s', '-')} | {loop.get('peak_mib', '-')} |")
    return lines
