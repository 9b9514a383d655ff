"""Time the curator's steps after one new article on a corpus `make bench` already made,
without making the corpus again (a full `make bench` takes over 17 minutes here).

    .venv/bin/python scripts/bench_steps.py build/bench/corpus-10000 [--articles 3]

Each article is written as the bench writes its own (bench.run.add_article_files, article
the numbers after the corpus's last, returning to earlier projects), then `build`, `db` and `site` run, each in
its own process under wait4, which gives its wall time and peak RSS. The first round after a
code change is a full one for each step (their states are keyed on the code); later rounds are
the curator's loop. `make bench` times the same steps with `add-article` and the served answer
(bench/loop.py).
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from infratracker.bench.run import add_article_files, run_child
from infratracker.core.paths import Layout


def main(argv: list[str]) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("corpus", help="a corpus folder `make bench` made, e.g. build/bench/corpus-10000")
    p.add_argument("--articles", type=int, default=3, help="rounds, one new article each")
    args = p.parse_args(argv)
    layout = Layout(Path(args.corpus).resolve())
    n = len(list(layout.extracts.glob("bench-wire-*.yaml")))
    done = {int(x.stem.rsplit("-", 1)[1]) for x in layout.extracts.glob("bench-wire-*.yaml")}
    cli = [sys.executable, "-m", "infratracker.cli", "--root", str(layout.root)]
    print("| round | build s | build MiB | db s | db MiB | site s | site MiB | build+db+site s |")
    print("|---|---|---|---|---|---|---|---|")
    i = max(done) + 1  # the article after the corpus's last: it returns to projects the corpus has
    for r in range(args.articles):
        add_article_files(layout, i + r, n)
        cells, total = [], 0.0
        for step in ("build", "db", "site"):
            res = run_child([*cli, step])
            if res["returncode"] != 0:
                print(f"{step} failed:\n{res['stderr']}", file=sys.stderr)
                return 1
            cells += [f"{res['seconds']:.2f}", f"{res['peak_mib']:.0f}"]
            total += res["seconds"]
        print(f"| {r + 1} | " + " | ".join(cells) + f" | {total:.2f} |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
