"""Time the curator's steps after one new article on a corpus `make bench` already made,
without making the corpus again (a full `make bench` takes over 17 minutes here).

    .venv/bin/python scripts/bench_steps.py build/bench/corpus-10000 [--articles 3] [--publish | --loop]
    .venv/bin/python scripts/bench_steps.py build/bench/corpus-10000 --articles 2 --cold-build
    .venv/bin/python scripts/bench_steps.py build/bench/corpus-10000 --articles 3 --serve

Each article is written as the bench writes its own (bench.run.add_article_files, article
the numbers after the corpus's last, returning to earlier projects), then `build`, `db` and `site` run, each in
its own process under wait4, which gives its wall time and peak RSS. The first round after a
code change is a full one for each step (their states are keyed on the code); later rounds are
the curator's loop. `make bench` times the same steps with `add-article` and the served answer
(bench/loop.py).

`--cold-build` runs `infratracker build` from cold on a copy of the corpus's extracts, archive
and reference data with `data/` empty, as `make bench` runs its full build (the copy is made in a
temporary folder, the captures hard-linked). `--serve` starts the site on the corpus as `make
bench` does and runs its four served workloads (bench.run.serve_and_measure). Each round is
one line.
"""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from infratracker.bench.run import SHAPES, add_article_files, run_child
from infratracker.core.paths import Layout


def main(argv: list[str]) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("corpus", help="a corpus folder `make bench` made, e.g. build/bench/corpus-10000")
    p.add_argument("--articles", type=int, default=3, help="rounds, one new article each")
    p.add_argument("--shape", choices=sorted(SHAPES), default="wire", help="the shape the corpus was made with")
    p.add_argument("--publish", action="store_true", help="time `publish` (the three steps in one process)")
    p.add_argument("--loop", action="store_true",
                   help="time the whole curator's loop as `make bench` does (bench/loop.py): add-article, then "
                   "publish while a running server is asked for the new records")
    p.add_argument("--cold-build", action="store_true", help="time the full build from cold, data/ empty")
    p.add_argument("--serve", action="store_true", help="measure the served workloads of `make bench`")
    p.add_argument("--serve-seconds", type=float, default=10, help="seconds per served workload")
    args = p.parse_args(argv)
    layout = Layout(Path(args.corpus).resolve())
    if args.cold_build:
        return cold_build(layout, args.articles)
    if args.serve:
        return serve(layout, args.articles, args.serve_seconds)
    n = len(list(layout.extracts.glob("bench-wire-*.yaml")))
    done = {int(x.stem.rsplit("-", 1)[1]) for x in layout.extracts.glob("bench-wire-*.yaml")}
    cli = [sys.executable, "-m", "infratracker.cli", "--root", str(layout.root)]
    if args.loop:
        return loop(layout, n, max(done) + 1, args.articles, SHAPES[args.shape])
    steps = ("publish",) if args.publish else ("build", "db", "site")
    print("| round | " + " | ".join(f"{s} s | {s} MiB" for s in steps) + " | total s |")
    print("|---|---|---|" + "---|---|" * (len(steps) - 1) + "---|")
    i = max(done) + 1  # the article after the corpus's last: it returns to projects the corpus has
    for r in range(args.articles):
        add_article_files(layout, i + r, n, SHAPES[args.shape])
        cells, total = [], 0.0
        for step in steps:
            res = run_child([*cli, step])
            if res["returncode"] != 0:
                print(f"{step} failed:\n{res['stderr']}", file=sys.stderr)
                return 1
            cells += [f"{res['seconds']:.2f}", f"{res['peak_mib']:.0f}"]
            total += res["seconds"]
        print(f"| {r + 1} | " + " | ".join(cells) + f" | {total:.2f} |", flush=True)
    return 0


def cold_build(layout: Layout, rounds: int) -> int:
    import shutil
    import tempfile

    print("| round | build s | build MiB |")
    print("|---|---|---|")
    layout.build.mkdir(exist_ok=True)  # a corpus no command has run in yet has none
    with tempfile.TemporaryDirectory(dir=layout.build) as tmp:
        for r in range(rounds):
            root = Path(tmp) / f"cold-{r}"
            for sub in ("data", "schemas"):
                (root / sub).mkdir(parents=True)
            for sub in ("archive", "extracts"):
                shutil.copytree(layout.root / sub, root / sub, copy_function=os.link)
            shutil.copytree(layout.reference, root / "reference")
            shutil.copy(layout.root / "README.md", root / "README.md")
            res = run_child([sys.executable, "-m", "infratracker.cli", "--root", str(root), "build"])
            if res["returncode"] != 0:
                print(f"build failed:\n{res['stderr']}", file=sys.stderr)
                return 1
            print(f"| {r + 1} | {res['seconds']:.2f} | {res['peak_mib']:.1f} |", flush=True)
            shutil.rmtree(root)
    return 0


def serve(layout: Layout, rounds: int, seconds: float) -> int:
    from infratracker.bench.run import STAGE, count_rows, serve_and_measure

    n_projects = count_rows(layout)["projects"]
    names = ("faceted_html_same_url", "faceted_html_10_urls", "faceted_html_every_url_new", "row_json")
    print("| round | " + " | ".join(f"{n}: req/s, p95 ms" for n in names) + " | errors |")
    print("|---|" + "---|" * (len(names) + 1))
    for r in range(rounds):
        out = serve_and_measure([*STAGE, "serve-ours", str(layout.root)], layout.root, seconds, n_projects)
        print(f"| {r + 1} | " + " | ".join(f"{out[n]['per_second']}, {out[n]['p95_ms']}" for n in names) +
              f" | {sum(out[n]['errors'] for n in names)} |", flush=True)
    return 0


def loop(layout: Layout, n: int, first: int, rounds: int, shape) -> int:
    from infratracker.bench.loop import curator_loop
    from infratracker.bench.run import PY, STAGE, Progress

    print("| round | add-article s / MiB | publish s / MiB | served after s | to records served s | "
          "to downloads made s |")
    print("|---|---|---|---|---|---|")
    for r in range(rounds):
        out = curator_loop(layout, n, Progress(True), shape, run_child, PY, STAGE, i=first + r)
        if "error" in out or out.get("total_s") is None:
            print(f"the loop failed: {out}", file=sys.stderr)
            return 1
        a, pub = out["add_article"], out["publish"]
        print(f"| {r + 1} | {a['seconds']:.2f} / {a['peak_mib']:.0f} | {pub['seconds']:.2f} / {pub['peak_mib']:.0f} | "
              f"{out['served_after_s']:.2f} | {out['total_s']:.2f} | {out['all_done_s']:.2f} |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
