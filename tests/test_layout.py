"""The folder layout is the pipeline: a module imports only from its own stage or earlier ones,
never another module's private names, and every module says in one line what it holds."""
import ast
from pathlib import Path

import pytest

from infratracker.core.fingerprint import PACKAGE

# docs/architecture.md explains each stage; the number is its place in the pipeline.
STAGES = {"core": 0, "extracts": 1, "assemble": 2, "check": 3, "publish": 4, "serve": 5, "loading": 5,
          "intake": 6, "bench": 7}
TOP = 8  # infratracker/__init__.py and cli.py sit above every stage
MODULES = sorted(p for p in PACKAGE.rglob("*.py") if "__pycache__" not in p.parts)


def dotted(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def stage_of(module: str) -> int:
    parts = module.split(".")
    return STAGES[parts[1]] if len(parts) > 1 and parts[1] in STAGES else TOP


def imports(path: Path) -> list[tuple[int, str, list[str]]]:
    """(line, imported module, names imported from it), function-level imports included."""
    here = dotted(path)
    package = here if path.name == "__init__.py" else here.rsplit(".", 1)[0]
    out = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            out += [(node.lineno, a.name, []) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(package.split(".")[:len(package.split(".")) - node.level + 1] + ([base] if base else []))
            out.append((node.lineno, base, [a.name for a in node.names]))
    return [(line, mod, names) for line, mod, names in out if mod.split(".")[0] == "infratracker"]


def test_the_stages_are_the_documented_ones():
    folders = {p.name for p in PACKAGE.iterdir() if p.is_dir() and p.name != "__pycache__"}
    assert folders == set(STAGES)
    text = (PACKAGE.parents[1] / "docs" / "architecture.md").read_text()
    for stage in STAGES:
        assert f"`{stage}/`" in text, stage


@pytest.mark.parametrize("path", MODULES, ids=lambda p: dotted(p))
def test_imports_follow_the_stage_order(path):
    here = stage_of(dotted(path))
    against = [f"line {line}: {mod} (stage {stage_of(mod)})" for line, mod, _n in imports(path)
               if stage_of(mod) > here]
    assert not against, f"{dotted(path)} (stage {here}) imports a later stage: {against}"


@pytest.mark.parametrize("path", MODULES, ids=lambda p: dotted(p))
def test_no_module_uses_another_modules_private_names(path):
    tree = ast.parse(path.read_text())
    aliases = set()
    for line, mod, names in imports(path):
        private = [n for n in names if n.startswith("_") and not n.startswith("__")]
        assert not private, f"{dotted(path)} line {line} imports the private {private} from {mod}"
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.level or (node.module or "").startswith("infratracker")):
            aliases |= {a.asname or a.name for a in node.names}
        elif isinstance(node, ast.Import):
            aliases |= {(a.asname or a.name).split(".")[0] for a in node.names if a.name.startswith("infratracker")}
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in aliases \
                and node.attr.startswith("_") and not node.attr.startswith("__"):
            pytest.fail(f"{dotted(path)} line {node.lineno}: {node.value.id}.{node.attr} is another module's private name")


@pytest.mark.parametrize("path", MODULES, ids=lambda p: dotted(p))
def test_every_module_says_what_it_holds(path):
    doc = ast.get_docstring(ast.parse(path.read_text()))
    assert doc and doc.strip(), f"{dotted(path)} has no docstring"


def test_no_import_cycle_between_modules():
    graph = {dotted(p): {mod for _l, mod, _n in imports(p)} for p in MODULES}
    known = set(graph)

    def target(mod: str) -> str | None:
        while mod and mod not in known:
            mod = mod.rpartition(".")[0]
        return mod or None

    edges = {m: {t for d in deps if (t := target(d)) and t != m} for m, deps in graph.items()}
    # a package's __init__ importing its own modules is not a cycle of the pipeline
    edges = {m: {t for t in ts if not t.startswith(m + ".")} for m, ts in edges.items()}
    seen, stack, cycles = set(), [], []

    def visit(m):
        if m in stack:
            cycles.append(stack[stack.index(m):] + [m])
            return
        if m in seen:
            return
        seen.add(m)
        stack.append(m)
        for t in sorted(edges.get(m, ())):
            visit(t)
        stack.pop()

    for m in sorted(edges):
        visit(m)
    assert not cycles, cycles
