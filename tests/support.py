"""What the tests share: Hypothesis strategies drawn from the registry, an independent row-wise
oracle for the rule engine, and helpers that run the product's own checks on CSV bytes.

The oracle is the row-wise validator the package used before its one rule engine (Python's csv
module, cells.parse_cell, Pandera over typed pandas frames): it stays here only as a second,
independent reading that the engine is tested against.
"""
import contextlib
import csv
import os
import datetime as dt
import io
import random
import shutil
import signal
import subprocess
import time
import unicodedata
from pathlib import Path
from typing import Any, Callable

import pandas as pd
import pytest
import pandera.pandas as pa
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from infratracker.check import engine
from infratracker.check.engine import _describe
from infratracker.check.schemas import pandera_schema
from infratracker.core import reference
from infratracker.core import registry
from infratracker.core.cells import PANDAS_DTYPES, parse_cell
from infratracker.core.paths import REPO_ROOT, Layout
from infratracker.core.problems import Problem
from infratracker.core.textfiles import file_problems

# --- checkouts in temporary folders ------------------------------------------------------------

INPUTS = ["archive", "extracts", "reference", "README.md", "releases", "CHANGELOG.md"]
OUTPUTS = ["data", "schemas", "datapackage.json", "docs/data-dictionary.md"]


def copy_checkout(dest: Path, with_outputs: bool = True) -> Layout:
    for name in INPUTS + (OUTPUTS if with_outputs else []):
        src = REPO_ROOT / name
        if src.is_dir():
            shutil.copytree(src, dest / name)
        else:
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest / name)
    return Layout(dest)


def build_refused(layout: Layout, capsys, damage, messages: list[str]) -> str:
    """Damage a checkout, build: exit 1, every message reported, nothing published."""
    from infratracker.cli import main

    before = snapshot(layout)
    damage(layout)
    assert main(["--root", str(layout.root), "build"]) == 1
    err = capsys.readouterr().err
    for message in messages:
        assert message in err, err
    assert "nothing was published" in err
    assert snapshot(layout) == before
    return err


def snapshot(layout: Layout) -> dict[str, bytes]:
    """Every published file's bytes, to prove a failed build touched nothing."""
    paths = [*layout.data.glob("*"), *layout.schemas.glob("*"), layout.descriptor, layout.dictionary]
    return {layout.rel(p): p.read_bytes() for p in paths}


def kill_at_random_moments(cmd: list[str], runs: int, seconds: float, state: Callable[[], dict[str, bytes]],
                           old: dict[str, bytes], new: dict[str, bytes], root: Path, finish: Callable[[], None],
                           earliest: float = 0.0, every_file_kept: bool = False) -> dict[str, int]:
    """SIGKILL `cmd` at random moments of a run that takes about `seconds`: each time, every file
    must be whole (old or new), a mix only with the journal that finishes it, and the next run
    (`finish`) must give the new files; then the old ones are put back. Counts the outcomes."""
    rng = random.Random(20261127)
    outcomes = {"untouched": 0, "completed": 0, "recovered": 0}
    for _ in range(runs):
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(rng.uniform(earliest * seconds, seconds))
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        now = state()
        if every_file_kept:
            assert set(now) == set(old), set(old) ^ set(now)  # no file missing: the running site never 404s
        for rel, data in now.items():  # every final path holds a whole old or whole new file
            assert data in (old.get(rel), new.get(rel)), rel
        journal = (root / "build" / "publish-journal.json").exists()
        if now == old and not journal:
            outcomes["untouched"] += 1
        elif now == new:
            outcomes["completed"] += 1
        else:
            assert journal, "a mix of old and new files without a journal to finish it"
            outcomes["recovered"] += 1
        finish()
        assert state() == new
        for rel, data in old.items():
            (root / rel).write_bytes(data)
    assert sum(outcomes.values()) == runs
    return outcomes


@contextlib.contextmanager
def crash_between_two_renames(monkeypatch, module, moved: Callable[[str], bool]):
    """The code inside is interrupted right after its first rename of a file `moved` accepts."""
    real_replace, calls = os.replace, []

    def crash_after_first(src, dst):
        if moved(str(src)):
            calls.append(dst)
            if len(calls) == 2:
                raise KeyboardInterrupt("simulated crash between two renames")
        return real_replace(src, dst)

    monkeypatch.setattr(module.os, "replace", crash_after_first)
    with pytest.raises(KeyboardInterrupt):
        yield
    monkeypatch.setattr(module.os, "replace", real_replace)


# --- Hypothesis strategies drawn from the registry ----------------------------------------------

CODES = reference.codes_by_list(reference.codelist_rows(Layout.default().reference))
SETTINGS = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
TEXT_CHARS = st.characters(blacklist_categories=("Cs", "Cc")) | st.sampled_from(["\n", ",", '"', "'", "é", "Ё", "ق"])


def _text(f: registry.Field):
    limit = min(f.length_limit or 40, 40)
    return st.text(TEXT_CHARS, min_size=1, max_size=limit).filter(
        lambda s: unicodedata.normalize("NFC", s) == s and not s.startswith(("=", "+", "-", "@", "\t")))


def value(f: registry.Field):
    if f.codelist:
        base = st.sampled_from(CODES[f.codelist])
    elif f.type == "string":
        base = st.from_regex(f.pattern, fullmatch=True).filter(lambda s: "\n" not in s and "\r" not in s and
                                                                not s.startswith(("=", "+", "-", "@", "\t"))) \
            if f.pattern else _text(f)
        if f.pattern == registry.PARTIAL_DATE:  # the pattern admits 0000 and 2025-02-30; the data does not
            base = st.builds(lambda d, n: d.isoformat()[:n], st.dates(dt.date(1800, 1, 1), dt.date(2200, 12, 31)),
                             st.sampled_from([4, 7, 10]))
    elif f.type == "integer":
        base = st.integers(int(f.minimum if f.minimum is not None else -10**9),
                           int(f.maximum if f.maximum is not None else 10**9))
    elif f.type == "number":
        base = st.floats(f.minimum if f.minimum is not None else -1e12, f.maximum if f.maximum is not None else 1e12,
                         allow_nan=False, allow_infinity=False)
    elif f.type == "boolean":
        base = st.booleans()
    else:
        base = st.dates(dt.date.fromisoformat(registry.DATE_MIN), dt.date.fromisoformat(registry.DATE_MAX))
    return base if f.required else st.none() | base


def rows_of(res: registry.Resource, min_size=0):
    row = st.fixed_dictionaries({f.name: value(f) for f in res.fields}).filter(
        lambda r: not oracle_row_rule_problems(res, [r]))  # valid rows keep the registry's row rules
    unique = [res.primary_key] + [(f.name,) for f in res.fields if f.unique]
    return st.lists(row, min_size=min_size, max_size=6,
                    unique_by=tuple((lambda r, k=k: tuple(r[c] for c in k)) for k in unique))


def mutate_rows(data: bytes, mutate) -> bytes:
    records = list(csv.reader(io.StringIO(data.decode("utf-8"), newline="")))
    mutate(records)
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows(records)
    return buf.getvalue().encode("utf-8")



def sql_value(value: Any) -> Any:
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


# --- the product's checks on one table's CSV bytes ----------------------------------------------

def engine_check(res: registry.Resource, data: bytes, file: str = "f.csv"):
    """(rows, problems): the rule engine on one table, as `infratracker validate` runs it."""
    table, problems = engine.read_typed(data, res, file)
    if table is None:
        return [], problems
    failures = engine.schema_failures(res, table, CODES) + engine.rule_failures(res, table)
    origin = lambda _t, row: (file, registry.record_key(res, row) if row else "")  # noqa: E731
    return table.to_pylist(), problems + engine.explain(failures, {res.name: table}, origin)


# --- the oracle ------------------------------------------------------------------------------------

def oracle_read_csv(data: bytes, res: registry.Resource, file: str):
    """Rows of a CSV as Python values, with every problem found, row by row."""
    problems = file_problems(data, file)
    if problems:
        return [], problems
    try:
        records = list(csv.reader(io.StringIO(data.decode("utf-8"), newline=""), strict=True))
    except csv.Error as exc:
        return [], [Problem(file, "", "", f"is not a well-formed CSV file: {exc}")]
    if not records or records[0] != res.field_names:
        return [], [Problem(file, "", "", "header differs from the registry's columns")]
    rows = []
    for line_no, cells in enumerate(records[1:], start=2):
        if len(cells) != len(res.field_names):
            problems.append(Problem(file, f"line {line_no}", "", "ragged row"))
            continue
        raw = dict(zip(res.field_names, cells))
        row = {}
        for f in res.fields:
            try:
                row[f.name] = parse_cell(f, raw[f.name])
            except ValueError as exc:
                row[f.name] = None
                problems.append(Problem(file, registry.record_key(res, raw), f.name, str(exc)))
        rows.append(row)
    return rows, problems


def oracle_typed_frame(res: registry.Resource, rows: list[dict[str, Any]]) -> pd.DataFrame:
    columns = {}
    for f in res.fields:
        values = [r.get(f.name) for r in rows]
        if f.codelist:
            listed = CODES.get(f.codelist, [])
            extra = sorted({v for v in values if v is not None and v not in set(listed)})
            columns[f.name] = pd.Categorical(values, categories=[*listed, *extra], ordered=True)
        elif f.type == "date":
            columns[f.name] = pd.to_datetime(pd.Series(values, dtype="object")).astype("datetime64[ns]")
        else:
            columns[f.name] = pd.array(values, dtype=PANDAS_DTYPES[f.type])
    return pd.DataFrame(columns, columns=res.field_names)


def oracle_schema_problems(res: registry.Resource, rows: list[dict[str, Any]]) -> list[Problem]:
    try:
        pandera_schema(res, CODES).validate(oracle_typed_frame(res, rows), lazy=True)
        return []
    except pa.errors.SchemaErrors as errors:
        return [Problem("f.csv", "", str(c.get("column") or ""), _describe(str(c.get("check")), c.get("failure_case"), None))
                for c in errors.failure_cases.to_dict("records")]


def oracle_row_rule_problems(res: registry.Resource, rows: list[dict[str, Any]]) -> list[Problem]:
    problems = []
    for row in rows:
        for f in res.fields:
            if row.get(f.name) is not None:
                problems += [Problem("f.csv", "", n, "required") for n in f.requires if row.get(n) is None]
        for rule in res.rules:
            if isinstance(rule, registry.SetCount):
                count = sum(row.get(n) is not None for n in rule.fields)
                if count < rule.least or (rule.most is not None and count > rule.most):
                    problems.append(Problem("f.csv", "", rule.fields[0], "set count"))
    return problems


def oracle_check(res: registry.Resource, data: bytes):
    back, problems = oracle_read_csv(data, res, "f.csv")
    return back, problems or oracle_schema_problems(res, back) + oracle_row_rule_problems(res, back)


def site_with_a_script_in_a_note(checkout) -> None:
    """The checkout built and published with `<script>` in a project's note: a hostile value in a
    cell, for the pages that must show it escaped."""
    from infratracker.publish.build import build_and_publish
    from infratracker.publish.database import build_database
    from infratracker.serve.site import write_site_files

    path = checkout.root / "extracts/seetao-2025-12-16-yiha-summit.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("    note: The source names no port.",
                                 '    note: "<script>alert(1)</script> The source names no port."'), encoding="utf-8")
    build_and_publish(checkout)
    build_database(checkout)
    write_site_files(checkout)


# Synthetic articles for the pages of what the first source lacks: organisations, parties,
# finance with terms, quantities, a status history and a disagreement on a cost.
KTI = "kazakhstan-turkmenistan-iran-railway"
LOAN = "Russia will lend Iran USD 1.6 billion for 10 years at 3% through its state bank."
COST_A = "The whole line is estimated at EUR 1.6 billion."
COST_B = "The line will cost EUR 1.9 billion, the ministry said."
BUILD = "Iran's state railway RAI signed the contract with RZD International, which will build the line."
LENGTH = "Of the 700 km line, 300 km run through Turkmenistan; it should carry 10 million tonnes a year by 2030."
DESIGN = "Design work has started."
WORKS = "Construction began in September 2025."
PORT = "Trains will be loaded onto ships at Aktau."


def write_rich_sources(layout: Layout) -> None:
    from test_curate import write_source

    write_source(layout, "wire-a", " ".join([LOAN, COST_A, BUILD, DESIGN]), "2025-05-20", {
        "organisations": [
            {"id": "vnesheconombank", "name": "VEB.RF", "organisation_type": "development_finance_institution",
             "country_id": "RUS", "quote": "its state bank"},
            {"id": "rzd-international", "name": "RZD International", "organisation_type": "company",
             "country_id": "RUS", "quote": "RZD International"},
            {"id": "railways-of-iran", "name": "Railways of the Islamic Republic of Iran",
             "organisation_type": "state_company", "country_id": "IRN", "aliases": ["RAI"],
             "quote": "Iran's state railway RAI"}],
        "projects": [{"id": KTI, "quote": LOAN,
                      "parties": [{"organisation_id": "rzd-international", "role": "contractor",
                                   "quote": "which will build the line"},
                                  {"organisation_id": "railways-of-iran", "role": "client",
                                   "quote": "Iran's state railway RAI signed the contract"}],
                      "status_events": [{"status": "preparation", "quote": DESIGN}],
                      "finance": [
                          {"kind": "loan", "financier_organisation_id": "vnesheconombank", "recipient_country_id": "IRN",
                           "amount": 1.6e9, "currency": "USD", "tenor_years": 10, "interest_rate_pct": 3,
                           "status": "agreed", "quote": LOAN},
                          {"kind": "total_cost", "amount": 1.6e9, "currency": "EUR", "amount_year": 2024,
                           "quote": COST_A}]}]})
    write_source(layout, "wire-b", " ".join([COST_B, LENGTH, WORKS, PORT]), "2026-03-01", {
        "places": [{"id": "aktau", "name": "Aktau", "place_type": "city", "country_id": "KAZ", "geonames_id": 610612,
                    "quote": "at Aktau"}],
        "projects": [{"id": KTI, "quote": COST_B, "places": [{"place_id": "aktau", "quote": PORT}],
                      "status_events": [{"status": "implementation", "event_date": "2025-09", "quote": WORKS}],
                      "finance": [{"kind": "total_cost", "amount": 1.9e9, "currency": "EUR", "amount_year": 2024,
                                   "quote": COST_B}],
                      "quantities": [
                          {"kind": "length", "basis": "design", "value": 700, "unit": "km", "quote": LENGTH},
                          {"kind": "section_length", "basis": "design", "value": 300, "unit": "km",
                           "country_id": "TKM", "quote": LENGTH},
                          {"kind": "freight_volume", "basis": "target", "target_year": 2030, "value": 10,
                           "unit": "Mt/a", "quote": LENGTH}]}]})


# --- the site in a real browser: Debian's Chromium driven by Playwright (no download) ----------

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
BROWSER_MARKS = [
    pytest.mark.browser,
    pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed (apt-get install chromium); "
                       ".ci/run installs it"),
]
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@contextlib.contextmanager
def serving(layout: Layout):
    """`infratracker serve` of a built layout on a free port, as `make serve` runs it: its base URL."""
    import sys

    from infratracker.serve.loopback import free_port, wait_until_up

    import tempfile

    port = free_port()
    # The server logs a line per request: to a file, because a pipe nobody reads fills up
    # (64 KiB) and then blocks the server mid-request.
    log = tempfile.TemporaryFile()
    proc = subprocess.Popen([sys.executable, "-m", "infratracker.cli", "--root", str(layout.root), "serve",
                             "--port", str(port)], stdout=log, stderr=subprocess.STDOUT,
                            env={**os.environ})
    base = f"http://127.0.0.1:{port}"
    try:
        if not wait_until_up(base, 20):
            proc.kill()
            log.seek(0)
            raise RuntimeError(log.read().decode(errors="replace"))
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:  # a hung server must not hang the tests too
            proc.kill()
            proc.wait()
        log.close()


@contextlib.contextmanager
def chromium(profile: Path, width: int, height: int):
    """A Playwright browser context of Debian's Chromium, with its profile in `profile`."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        context = pw.chromium.launch_persistent_context(str(profile), executable_path=CHROMIUM,
                                                        args=CHROMIUM_FLAGS,
                                                        viewport={"width": width, "height": height})
        try:
            yield context
        finally:
            context.close()
