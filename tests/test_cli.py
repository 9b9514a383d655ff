"""The one `infratracker` command: every subcommand shows an example, and commands that never
touch the tables do not pay for pandas (most of a second of every `add-article`)."""
import subprocess
import sys

import pytest

from infratracker.cli import parser

SUBCOMMANDS = sorted(parser()._subparsers._group_actions[0].choices)


@pytest.mark.parametrize("name", SUBCOMMANDS)
def test_every_subcommand_help_has_an_example(name):
    sub = parser()._subparsers._group_actions[0].choices[name]
    assert "example" in (sub.epilog or "") and f"infratracker {name}" in sub.epilog.replace("infratracker --root", "")


def test_publish_is_a_subcommand():
    assert {"build", "db", "site", "publish", "add-article"} <= set(SUBCOMMANDS)


def run(code: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)


def test_pandas_is_imported_only_when_the_tables_are_loaded():
    got = run("import sys, infratracker\n"
              "print('pandas' in sys.modules)\n"
              "infratracker.load, infratracker.status_as_of\n"
              "print('pandas' in sys.modules, 'load' in dir(infratracker))")
    assert got.returncode == 0, got.stderr
    assert got.stdout.split() == ["False", "True", "True"]
    missing = run("import infratracker; infratracker.nothing")
    assert "AttributeError" in missing.stderr and "nothing" in missing.stderr


def test_the_cli_and_add_article_do_not_import_pandas():
    got = run("import sys\nfrom infratracker import cli\n"
              "try:\n    cli.main(['add-article', '--help'])\nexcept SystemExit:\n    pass\n"
              "import infratracker.intake.drafting\n"
              "print('pandas' in sys.modules, 'pandera' in sys.modules)")
    assert got.returncode == 0, got.stderr
    assert got.stdout.split()[-2:] == ["False", "False"]


def test_the_bench_shapes_offered_are_the_benchs_own():
    """`bench --shape` lists its choices itself, so that every command does not import the bench
    (77 ms) to read them: they must stay the names of bench.run.SHAPES."""
    from infratracker.bench.run import SHAPES

    bench = parser()._subparsers._group_actions[0].choices["bench"]
    shape = next(a for a in bench._actions if "--shape" in a.option_strings)
    assert sorted(shape.choices) == sorted(SHAPES) and shape.default in SHAPES
