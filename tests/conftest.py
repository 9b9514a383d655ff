import shutil
from pathlib import Path

import pytest

from infratracker.core.paths import REPO_ROOT, Layout

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


@pytest.fixture
def checkout(tmp_path) -> Layout:
    """A copy of the repository's inputs and published outputs, safe to damage."""
    return copy_checkout(tmp_path / "repo")


@pytest.fixture
def repo() -> Layout:
    return Layout(REPO_ROOT)


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


@pytest.fixture(scope="session")
def site_built():
    """build/infratracker.db and the site files, made once per session from the published CSVs."""
    from infratracker.publish.database import build_database
    from infratracker.serve.site import write_site_files

    layout = Layout(REPO_ROOT)
    build_database(layout)
    write_site_files(layout)
    return layout
