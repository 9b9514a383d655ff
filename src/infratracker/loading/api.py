"""The pandas API: `load()` and `status_as_of()`, over a checked package."""
from __future__ import annotations

from pathlib import Path
from typing import Any

from infratracker.assemble.merge import latest_status
from infratracker.check.package import Package, check
from infratracker.core.problems import raise_if


def load(table: str | None = None, path: str | Path | None = None) -> Any:
    """Typed pandas DataFrames of the package, validated by the Pandera schemas.

    `load()` gives a dict of every table; `load("projects")` one DataFrame. `path` may be a
    folder, a datapackage.json, or the URL of a downloaded or published copy.
    """
    checked = check(Package(path), [table] if table else None)
    return checked.frame(table) if table else {name: checked.frame(name) for name in checked.names}


def status_as_of(project_id: str, date: str, path: str | Path | None = None) -> str | None:
    """The OC4IDS status a project had on `date` (YYYY, YYYY-MM or YYYY-MM-DD), or None."""
    package = Package(path)
    events, problems = package.read_rows("status_events")
    raise_if(problems)
    ev = latest_status([e for e in events if e["project_id"] == project_id], as_of=date).get(project_id)
    return ev["status"] if ev else None
