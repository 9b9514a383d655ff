"""The fast YAML loader gives yaml.safe_load's result for every document it accepts (every
committed extract, and generated documents full of anchors, aliases, duplicate keys, tags,
numbers and dates), and refuses only what it documents."""
import math
import shutil
import subprocess
import sys
import pytest


import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from infratracker.core import fingerprint
from infratracker.extracts import yaml_loader


def same(a, b) -> bool:
    """Equality that takes nan as equal to itself and tells 1 from 1.0 and True."""
    if type(a) is not type(b):
        return False
    if isinstance(a, float):
        return (math.isnan(a) and math.isnan(b)) or a == b
    if isinstance(a, dict):
        return list(a) == list(b) and all(same(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    return a == b


def test_every_committed_extract_loads_as_safe_load_does(repo):
    paths = sorted(repo.extracts.glob("*.yaml"))
    assert paths
    for path in paths:
        text = path.read_text(encoding="utf-8")
        doc, refused = yaml_loader.load_checked(text)
        assert refused == [] and same(doc, yaml.safe_load(text)), path


SCALARS = ["NO", "yes", "on", "004", "0x1F", "0o17", "017", "1_000", "1e3", "6.02e+23", "-1", "+7", ".5",
           ".nan", ".NaN", ".inf", "-.inf", "~", "null", "''", '""', "true", "False", "2025-12-16",
           "2025-02-30", "0000-01-01", "2025-12-16 10:00:00", "2025-12-16T10:00:00Z", "12:30", "190:20:30",
           "'quoted: text'", '"esc\\taped"', "plain text", "=SUM(A1)", "123456789012345678901234567890",
           "!!str 5", "!!int '7'", "!!float '1'", "!!bool 'yes'", "!!binary aGVsbG8=", "!!null ''",
           "!!timestamp 2025-12-16", "Türkiye", "-", "'-'"]
KEYS = ["a", "b", "id", "1", "true", "null", "2025-12-16", "[x]", "{k: v}"]


@st.composite
def values(draw, depth=0):
    kind = draw(st.sampled_from(["scalar", "scalar", "alias", "seq", "map", "set", "omap", "merge"]
                                if depth < 3 else ["scalar", "alias"]))
    anchor = f"&a{draw(st.integers(0, 2))} " if draw(st.booleans()) and kind != "alias" else ""
    if kind == "scalar":
        text = draw(st.sampled_from(SCALARS))
    elif kind == "alias":
        text = f"*a{draw(st.integers(0, 2))}"
    elif kind == "seq":
        text = "[" + ", ".join(draw(st.lists(values(depth + 1), max_size=4))) + "]"
    elif kind == "set":
        text = "!!set {" + ", ".join(draw(st.lists(st.sampled_from(KEYS[:7]), max_size=3))) + "}"
    elif kind == "omap":
        text = "!!omap [" + ", ".join(f"{{{k}: {v}}}" for k, v in draw(
            st.lists(st.tuples(st.sampled_from(KEYS[:4]), values(depth + 1)), max_size=3))) + "]"
    elif kind == "merge":
        text = "{<<: " + draw(values(depth + 1)) + ", a: 1}"
    else:
        pairs = draw(st.lists(st.tuples(st.sampled_from(KEYS), values(depth + 1)), max_size=4))
        text = "{" + ", ".join(f"{k}: {v}" for k, v in pairs) + "}"
    return anchor + text


@settings(max_examples=1500, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.lists(st.tuples(st.sampled_from(KEYS[:6]), values()), min_size=1, max_size=5))
def test_generated_documents_load_as_safe_load_does_or_are_refused_for_a_documented_reason(pairs):
    text = "".join(f"{k}: {v}\n" for k, v in pairs)
    try:
        expected, error = yaml.safe_load(text), None
    except Exception as exc:  # noqa: BLE001 (any failure of the reference loader)
        expected, error = None, exc
    try:
        doc, refused = yaml_loader.load_checked(text)
    except yaml.YAMLError:
        assert error is not None, text  # not YAML to either loader
        return
    if not refused:
        assert error is None, (text, error)
        assert same(doc, expected), (text, doc, expected)
        return
    for r in refused:
        if r.message.startswith("YAML alias"):
            assert "*a" in text
        elif r.message.startswith("merge key"):
            assert "<<" in text
        elif r.message.startswith("duplicate key"):
            pass  # safe_load keeps the last value silently: that is what is refused
        else:
            assert r.message.startswith("cannot read the value") and error is not None, (text, r)


def test_documents_without_aliases_or_duplicates_are_never_refused():
    text = "a: [1, 2.5, NO, 2025-12-16, !!str 5, {b: c}]\nb: !!set {x, y}\nc: !!binary aGVsbG8=\n"
    doc, refused = yaml_loader.load_checked(text)
    assert refused == [] and same(doc, yaml.safe_load(text))


def test_cache_key_covers_every_module_and_the_reference_data(tmp_path, repo):
    """A change to any module (the YAML loader included) or reference file gives every extract a new
    cache entry, on real copies of the package and the reference data."""
    pkg = tmp_path / "infratracker"
    shutil.copytree(fingerprint.PACKAGE, pkg,
                    ignore=shutil.ignore_patterns("__pycache__"))
    ref = tmp_path / "reference"
    shutil.copytree(repo.reference, ref)
    before = fingerprint.code_digest(pkg, ref)
    assert before == fingerprint.code_digest(pkg, ref)
    for changed in [*sorted(pkg.rglob("*.py")), *sorted(ref.glob("*"))]:
        original = changed.read_bytes()
        changed.write_bytes(original + b"\n# changed\n")
        assert fingerprint.code_digest(pkg, ref) != before, changed.name
        changed.write_bytes(original)
    assert fingerprint.code_digest(pkg, ref) == before


@pytest.mark.slow
def test_changing_the_yaml_loader_invalidates_the_extract_cache(tmp_path):
    """End to end: a build with a copied package fills the cache; after the YAML loader changes, the
    next build's cache keys are all new."""
    from support import copy_checkout

    layout = copy_checkout(tmp_path / "repo")
    src = tmp_path / "src"
    shutil.copytree(fingerprint.PACKAGE, src / "infratracker",
                    ignore=shutil.ignore_patterns("__pycache__"))
    cmd = [sys.executable, "-m", "infratracker.cli", "--root", str(layout.root), "build", "--full"]
    env = {"PYTHONPATH": str(src), "PATH": "/usr/bin:/bin"}
    assert subprocess.run(cmd, env=env, capture_output=True).returncode == 0
    cache = layout.build / "cache" / "extracts"
    first = {p.name for p in cache.glob("*.pickle")}
    assert first
    fast = src / "infratracker" / "extracts" / "yaml_loader.py"
    fast.write_text(fast.read_text() + "\n# a change to the loader\n")
    assert subprocess.run(cmd, env=env, capture_output=True).returncode == 0
    second = {p.name for p in cache.glob("*.pickle")}
    assert second - first and not (second - first) & first
