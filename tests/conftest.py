"""Fixtures every test file may use; the helpers and strategies behind them are in support.py."""
import pytest
from support import copy_checkout, write_rich_sources

from infratracker.core.paths import REPO_ROOT, Layout


@pytest.fixture
def checkout(tmp_path) -> Layout:
    """A copy of the repository's inputs and published outputs, safe to damage."""
    return copy_checkout(tmp_path / "repo")


@pytest.fixture
def repo() -> Layout:
    return Layout(REPO_ROOT)


@pytest.fixture(scope="session")
def site_built(tmp_path_factory):
    """A copy of the checkout with its database and site files, made once per session from the
    published CSVs: tests never write into the checkout."""
    from infratracker.publish.database import build_database
    from infratracker.serve.site import write_site_files

    layout = copy_checkout(tmp_path_factory.mktemp("site") / "repo")
    build_database(layout)
    write_site_files(layout)
    return layout


@pytest.fixture(scope="session")
def rich_site(tmp_path_factory):
    """site_built plus synthetic articles with organisations, parties, finance, quantities, a
    status history and a disagreement, which the first source lacks (support.write_rich_sources)."""
    from infratracker.cli import main
    from infratracker.publish.database import build_database
    from infratracker.serve.site import write_site_files

    layout = copy_checkout(tmp_path_factory.mktemp("rich") / "repo")
    write_rich_sources(layout)
    assert main(["--root", str(layout.root), "build"]) == 0
    build_database(layout)
    write_site_files(layout)
    return layout
