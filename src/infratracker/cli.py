"""The `infratracker` command: a thin layer over the pure functions of the package."""
from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from infratracker import __version__
from infratracker.core import memory
from infratracker.core.paths import Layout
from infratracker.core.problems import BuildLocked, CurationError, ProblemsFound, PublishInterrupted

EXIT_PROBLEMS, EXIT_LOCKED = 1, 3

# What a command that failed on an OSError has left as it was, for the commands that guarantee
# it (staged writes swapped in at one commit point): the message must be true.
UNCHANGED = {
    "build": "published files are unchanged",
    "site": "the site files are unchanged",
    "add-article": "nothing was archived",
}


def _layout(args: argparse.Namespace) -> Layout:
    return Layout(Path(args.root).resolve()) if args.root else Layout.default()


def cmd_build(args: argparse.Namespace) -> int:
    from infratracker.publish.build import build_and_publish

    layout = _layout(args)
    built, changed = build_and_publish(layout, incremental_ok=not args.full)
    if built.incremental:
        print("incremental: only new extracts were added, so only what they touch was redone")
    elif built.full_because:
        print(f"full build: {built.full_because}")
    counts = ", ".join(f"{name} {count}" for name, count in built.counts.items())
    print(f"valid: {counts}")
    print(f"wrote {len(changed)} changed file(s)" + (": " + ", ".join(changed) if changed else ""))
    return 0


def cmd_validate(args: argparse.Namespace) -> int:
    from infratracker.publish.build import build
    from infratracker.check.package import validate_package

    if args.package:
        checked = validate_package(args.package)
        print(f"valid package: {sum(checked.count(n) for n in checked.names)} rows in {len(checked.names)} tables")
        return 0
    layout = _layout(args)
    if (layout.build / "publish-journal.json").exists():
        print("a publish was interrupted: run `infratracker build` to finish it", file=sys.stderr)
        return EXIT_PROBLEMS
    from infratracker.assemble.merge import archive_problems

    orphans = archive_problems(layout)
    try:
        built = build(layout)  # extracts, archives and quotes
    except ProblemsFound as exc:
        raise ProblemsFound(exc.problems + orphans, "the package is not valid") from None
    if orphans:
        raise ProblemsFound(orphans, "the package is not valid")
    validate_package(layout.descriptor)  # the published files, hashes included
    stale = [rel for rel, data in sorted(built.outputs.items())
             if not (layout.root / rel).is_file() or (layout.root / rel).read_bytes() != data]
    if stale:
        print("published files differ from a fresh build (run `infratracker build`): " + ", ".join(stale),
              file=sys.stderr)
        return EXIT_PROBLEMS
    print("valid: extracts, archived sources, quotes and the published package agree")
    return 0


def cmd_db(args: argparse.Namespace) -> int:
    from infratracker.publish.dbupdate import load_database

    layout = _layout(args)
    args.unchanged = f"{args.output or layout.rel(layout.database)} is unchanged"
    loaded = load_database(layout, Path(args.output) if args.output else layout.database, incremental_ok=not args.full)
    if loaded.incremental:
        changed = "; ".join(f"{name} +{ins} ~{upd} -{dele}" for name, (ins, upd, dele) in loaded.changes.items())
        print("incremental: only the changed rows were applied" + (f" ({changed})" if changed else " (none changed)"))
    elif loaded.full_because:
        print(f"full load: {loaded.full_because}")
    print(f"wrote {args.output or layout.rel(layout.database)}: " + ", ".join(f"{k} {v}" for k, v in loaded.counts.items()))
    return 0


def cmd_site(args: argparse.Namespace) -> int:
    from infratracker.serve.site import write_site_files

    layout = _layout(args)
    written = write_site_files(layout, incremental_ok=not args.full)
    made, changed = written.downloads, written.changed
    if made.incremental:
        tables = ", ".join(made.remade_tables) or "none"
        print(f"incremental: downloads of the changed tables only ({tables}); {made.remade_projects} OC4IDS "
              f"project(s) made again; zip pieces: {made.zip_pieces[0]} reused, {made.zip_pieces[1]} compressed")
    elif made.full_because:
        print(f"every download made again: {made.full_because}")
    shown = ", ".join(layout.rel(p) for p in changed[:4]) + (f" and {len(changed) - 4} more" if len(changed) > 4 else "")
    print(f"wrote {len(changed)} changed site file(s)" + (f": {shown}" if changed else ""))
    return 0


def cmd_publish(args: argparse.Namespace) -> int:
    """build, db and site in turn, in this one process: the imports are paid once, and each step
    still publishes atomically, so a step that fails leaves the steps before it published."""
    import gc
    import time

    args.output = None
    done: list[str] = []
    for name, step in (("build", cmd_build), ("db", cmd_db), ("site", cmd_site)):
        args.command, args.unchanged = name, None  # main's OSError message names this step
        start = time.perf_counter()
        print(f"{name}:", flush=True)
        try:
            step(args)
        except BaseException:
            print(f"infratracker publish: {name} failed; " +
                  (f"{' and '.join(done)} published, " if done else "") + "nothing after it was run", file=sys.stderr)
            raise
        done.append(name)
        print(f"  ({name} took {time.perf_counter() - start:.1f} s)", flush=True)
        # what a step held is garbage now: give it back before the next step peaks
        gc.collect()
        memory.give_back()
    # Last, once the records are served and the downloads made: the drafter's lexicon of the
    # data as it now is, which the next `add-article` then reads instead of making it.
    from infratracker.intake import lexicon_cache

    start = time.perf_counter()
    try:
        if lexicon_cache.prepare(_layout(args)):
            print(f"drafter's lexicon made for the next add-article ({time.perf_counter() - start:.1f} s)")
    except OSError as exc:  # only a cache: everything is published, and add-article makes its own
        print(f"infratracker publish: the drafter's lexicon was not kept ({exc.strerror or exc})", file=sys.stderr)
    return 0


def cmd_add_article(args: argparse.Namespace) -> int:
    from infratracker.intake.drafting import add_article

    layout = _layout(args)
    source_id, archive, extract = add_article(
        layout, Path(args.file), url=args.url, title=args.title, publisher=args.publisher,
        published=args.published, language=args.language, encoding=args.encoding,
        machine_translation=args.machine_translation)
    print(f"archived {layout.rel(archive)} as source {source_id}")
    print(f"drafted {layout.rel(extract)}: review it, then run `make build`")
    return 0


def cmd_eval_drafter(args: argparse.Namespace) -> int:
    from infratracker.intake.evaluation import evaluate, misses, table

    layout = _layout(args)
    folder = Path(args.folder) if args.folder else layout.root / "tests" / "drafter_eval"
    if not folder.is_dir():
        raise ValueError(f"no evaluation folder {folder}")
    report = evaluate(folder, layout)
    if args.json:
        print(json.dumps(report, ensure_ascii=False, indent=1))
        return 0
    print(table(report))
    if args.verbose:
        print("\n".join(misses(report)))
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    from infratracker.publish.oc4ids import OC4IDS_VERSION, export

    layout = _layout(args)
    data = export(layout)
    if args.output in (None, "-"):
        sys.stdout.buffer.write(data)
        return 0
    out = Path(args.output)
    args.unchanged = f"{args.output} is unchanged"
    tmp = out.with_name(f".{out.name}.{os.getpid()}.tmp")
    try:
        tmp.write_bytes(data)
        os.replace(tmp, out)  # a reader never meets half a file
    finally:
        tmp.unlink(missing_ok=True)
    print(f"wrote {args.output}: the projects as an OC4IDS {OC4IDS_VERSION} project package")
    return 0


def cmd_release(args: argparse.Namespace) -> int:
    import datetime as dt

    from infratracker.assemble.release import release

    layout = _layout(args)
    version, changes = release(layout, dt.date.fromisoformat(args.date) if args.date else None)
    summary = ", ".join(f"{t}: +{len(c['added'])} ~{len(c['changed'])} -{len(c['removed'])}" for t, c in changes.items())
    print(f"released {version}: {summary or 'no changes'}; wrote releases/{version}.json and CHANGELOG.md")
    return 0


def cmd_bench(args: argparse.Namespace) -> int:
    from infratracker.bench.run import markdown, results_stem, run_bench

    layout = _layout(args)
    sizes = [int(x) for x in args.sizes.split(",")]
    results = run_bench(sizes, layout.build / "bench", serve_seconds=args.serve_seconds, quiet=args.quiet,
                        frictionless=not args.skip_frictionless, shape=args.shape)
    print(markdown(results))
    stem = results_stem(args.shape)
    print(f"wrote build/bench/{stem}.json and build/bench/{stem}.md")
    failed = [r["articles"] for r in results["sizes"] if r["full_build"]["returncode"] != 0]
    return 1 if failed else 0


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="infratracker", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--root", help="repository root (default: the checkout this package lives in)")
    p.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = p.add_subparsers(dest="command", required=True)
    fmt = argparse.RawDescriptionHelpFormatter

    b = sub.add_parser("build", formatter_class=fmt,
                       help="validate every extract and publish data/, datapackage.json, schemas/",
                       description="Turn extracts/*.yaml into data/*.csv, datapackage.json, schemas/ and "
                       "the data dictionary (docs/data-dictionary.md). Writes nothing unless everything validates. When the only "
                       "change since the last build is new extract files, only what they touch is redone "
                       "(the state is in build/state/); --full redoes everything.",
                       epilog="example:\n  infratracker build\n  infratracker build --full\n"
                              "  infratracker --root /path/to/checkout build")
    b.add_argument("--full", action="store_true", help="a full build, even if an incremental one would do")
    b.set_defaults(func=cmd_build)

    v = sub.add_parser("validate", formatter_class=fmt,
                       help="check extracts, archived sources and the published package",
                       description="Without PACKAGE: rebuild in memory from the extracts, check every quote "
                       "against its archived source, validate the published files (hashes included) and "
                       "check they equal a fresh build. With PACKAGE (a folder, datapackage.json or URL): "
                       "validate that package only.",
                       epilog="examples:\n  infratracker validate\n"
                       "  infratracker validate ~/Downloads/infratracker/datapackage.json")
    v.add_argument("package", nargs="?", help="a datapackage.json, its folder, or its URL")
    v.set_defaults(func=cmd_validate)

    d = sub.add_parser("db", formatter_class=fmt, help="load the validated CSVs into SQLite",
                       description="Build build/infratracker.db from the published CSVs with sqlite-utils: "
                       "tables from the registry, keys, indexes, full-text search, views. After a build "
                       "that changed a few rows, only those rows are applied (build/state/db records what "
                       "the database was made from); anything unusual gets the full load. The old "
                       "database stays unless the new one passes every check.",
                       epilog="example:\n  infratracker db\n  infratracker db --full\n  infratracker db --output /tmp/it.db")
    d.add_argument("--output", help="database path (default build/infratracker.db; another path is always loaded in full)")
    d.add_argument("--full", action="store_true", help="load every row even when only some changed")
    d.set_defaults(func=cmd_db)

    a = sub.add_parser("add-article", formatter_class=fmt, help="archive an article and draft its extract",
                       description="Archive FILE (text or HTML) byte for byte under archive/, record its "
                       "SHA-256, derive its body and write extracts/<source-id>.yaml: every country, bloc, "
                       "project, agreement, person and place it names (by name and by every alias in the "
                       "data), and the dates, amounts and lengths it states, each with its sentence as the "
                       "evidence quote. The same article twice (checksum or URL) is refused, and so is FILE if it is "
                       "not a regular file (a symbolic link, a FIFO, a device) or has over 2 MiB "
                       "(intake/drafting.py: MAX_CAPTURE_BYTES). Killed midway, the same command completes it.",
                       epilog="example:\n  infratracker add-article ~/captures/rail.html --publisher Seetao "
                       "--published 2026-01-05 --url https://example.org/a/123\n"
                       "  infratracker add-article kazinform.txt --language ru --encoding cp1251")
    a.add_argument("file", help="the captured article (.txt or .html)")
    a.add_argument("--url", help="address the article was captured from (never guessed)")
    a.add_argument("--title", help="title (default: the HTML <title> or the first line)")
    a.add_argument("--publisher", help="publisher or site; a name in reference/publishers.yaml picks its body rule")
    a.add_argument("--published", help="publication date, YYYY-MM-DD")
    a.add_argument("--language", default="en", help="BCP 47 language tag of the text (default en)")
    a.add_argument("--encoding", default="utf-8", help="encoding of the file, decoded strictly (default utf-8)")
    a.add_argument("--machine-translation", action="store_true", help="the text is a machine translation")
    a.set_defaults(func=cmd_add_article)

    ev = sub.add_parser("eval-drafter", formatter_class=fmt, help="score the drafter on an evaluation set",
                        description="Run the drafter on every article of FOLDER (NN-<lang>-<slug>.txt|html, "
                        "each beside an .expected.yaml) and report precision and recall per kind (countries, "
                        "projects, organisations, people, places, amounts, quantities, dates) and overall, and apart from "
                        "it the links: financiers of the amounts found, projects' stages, funding constraints. "
                        "The matching rule is in src/infratracker/intake/evaluation.py.",
                        epilog="examples:\n  infratracker eval-drafter\n  infratracker eval-drafter --json > eval.json\n"
                        "  infratracker eval-drafter my/articles --verbose")
    ev.add_argument("folder", nargs="?", help="evaluation folder (default tests/drafter_eval)")
    ev.add_argument("--json", action="store_true", help="the whole report, per article too, as JSON")
    ev.add_argument("--verbose", action="store_true", help="list the false and missed items per article")
    ev.set_defaults(func=cmd_eval_drafter)

    r = sub.add_parser("release", formatter_class=fmt, help="record a release and regenerate CHANGELOG.md",
                       description="Snapshot every published record as releases/VERSION.json (VERSION from "
                       "reference/package.yaml) and regenerate CHANGELOG.md: ids added, changed (which "
                       "fields) and removed since the last release. Every removed id needs a reason in "
                       "reference/removals.yaml, and can never be used again.",
                       epilog="example:\n  (bump version in reference/package.yaml, make build)\n"
                       "  infratracker release")
    r.add_argument("--date", help="release date, YYYY-MM-DD (default today)")
    r.set_defaults(func=cmd_release)

    be = sub.add_parser("bench", formatter_class=fmt, help="benchmark the pipeline against the usual tools",
                        description="Generate deterministic synthetic corpora (10 projects and ~100 citations "
                        "per article, quotes that really occur in the texts), run the real pipeline on "
                        "each stage by stage in its own process, and the baselines in the same run: "
                        "frictionless validate, sqlite-utils insert --csv, sqlite3 executemany, pandas "
                        "read_csv, Datasette with default settings. Writes build/bench/results.json and .md.",
                        epilog="examples:\n  infratracker bench                      # 100, 1000, 10000 articles\n"
                        "  infratracker bench --sizes 20 --serve-seconds 2 --quiet   # a smoke run\n"
                        "  infratracker bench --shape tracker --sizes 100000 --skip-frictionless   # a large "
                        "tracker's sources (make bench-tracker)")
    be.add_argument("--sizes", default="100,1000,10000", help="articles per corpus, comma-separated")
    be.add_argument("--serve-seconds", type=float, default=10, help="seconds per served workload (largest size)")
    be.add_argument("--skip-frictionless", action="store_true", help="leave out the frictionless baseline")
    # bench.run.SHAPES' names, listed here (tests/test_cli.py checks them): reading them would
    # import the bench on every command, 77 ms
    be.add_argument("--shape", choices=["wire", "tracker"], default="wire",
                    help="wire: 10 new projects an article (default); tracker: ~6 articles a project, ~10 "
                    "citations an article, as a large tracker's sources are")
    be.add_argument("--quiet", action="store_true", help="no progress output")
    be.set_defaults(func=cmd_bench)

    s = sub.add_parser("site", formatter_class=fmt, help="write Datasette metadata and exports",
                       description="Write build/metadata.json (from the registry), build/inspect.json and "
                       "the downloads under build/downloads/ (package, Parquet, spreadsheet CSV, OC4IDS, "
                       "zip). After a first full run, only what the changed CSVs touch is made again "
                       "(docs/building.md).",
                       epilog="examples:\n  infratracker site\n  infratracker site --full")
    s.add_argument("--full", action="store_true", help="make every download again, after a full check of the package")
    s.set_defaults(func=cmd_site)

    pu = sub.add_parser("publish", formatter_class=fmt, help="build, db and site in one go (the curator's step)",
                        description="Run `build`, `db` and `site` in turn in one process, which pays the start-up "
                        "once: after reviewing a drafted extract, this one command puts its records on the "
                        "running site and in the downloads. Each step publishes atomically as on its own; if "
                        "one fails, the steps before it stay published and the rest are not run.",
                        epilog="examples:\n  infratracker publish\n  infratracker publish --full")
    pu.add_argument("--full", action="store_true", help="a full build, database load and downloads")
    pu.set_defaults(func=cmd_publish)

    ex = sub.add_parser("export", formatter_class=fmt, help="export the projects in another standard (OC4IDS)",
                        description="Write the published projects as an OC4IDS 0.9 project package (JSON): "
                        "parties with their OC4IDS roles, budget and finance, locations, the sources as "
                        "documents, status and sector. The export is checked against "
                        "reference/oc4ids-project-package.schema.json and refused if it does not match.",
                        epilog="examples:\n  infratracker export oc4ids > projects-oc4ids.json\n"
                        "  infratracker export oc4ids --output projects-oc4ids.json")
    ex.add_argument("format", choices=["oc4ids"], help="the standard to export to")
    ex.add_argument("--output", "-o", help="file to write (default: standard output)")
    ex.set_defaults(func=cmd_export)

    sv = sub.add_parser("serve", formatter_class=fmt, help="serve the database read-only with Datasette",
                        description="Serve build/infratracker.db read-only with Datasette, with the site's "
                        "metadata, settings, downloads and hardening plugin (what `make serve` runs after "
                        "build, db and site). Visitors' Host must be loopback, the address served on, or a "
                        "name in $INFRATRACKER_ALLOWED_HOSTS.",
                        epilog="examples:\n  infratracker serve\n  infratracker serve --port 8123\n"
                        "  INFRATRACKER_ALLOWED_HOSTS=data.example.org infratracker serve --host 0.0.0.0")
    sv.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"), help="address to bind (default 127.0.0.1)")
    sv.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8001")), help="port (default 8001)")
    sv.add_argument("--workers", type=int, default=None,
                    help="server processes, under uvicorn's supervisor (default: $INFRATRACKER_WORKERS, "
                    "else 2, or 1 on a one-core machine)")
    sv.set_defaults(func=cmd_serve)
    return p


def cmd_serve(args: argparse.Namespace) -> int:
    from infratracker.serve.server import serve

    return serve(_layout(args), args.host, args.port, args.workers)


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        return args.func(args)
    except ProblemsFound as exc:
        print(exc.report(), file=sys.stderr)
        return EXIT_PROBLEMS
    except CurationError as exc:
        print(f"infratracker: {exc}", file=sys.stderr)
        return EXIT_PROBLEMS
    except PublishInterrupted as exc:
        print(f"infratracker: {exc}", file=sys.stderr)
        return EXIT_PROBLEMS
    except BuildLocked as exc:
        print(f"infratracker: {exc}", file=sys.stderr)
        return EXIT_LOCKED
    except OSError as exc:
        where = f": {Path(exc.filename).name}" if exc.filename else ""
        unchanged = getattr(args, "unchanged", None) or UNCHANGED.get(args.command)
        kept = f"; {unchanged}" if unchanged else ""
        print(f"infratracker: {exc.strerror or exc}{where}{kept}", file=sys.stderr)
        return EXIT_PROBLEMS
    except ValueError as exc:
        print(f"infratracker: {exc}", file=sys.stderr)
        return EXIT_PROBLEMS


if __name__ == "__main__":
    sys.exit(main())
