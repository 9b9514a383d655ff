"""infratracker: cross-border infrastructure projects, agreements and funding constraints.

    import infratracker
    tables = infratracker.load()              # dict of typed, validated DataFrames
    projects = infratracker.load("projects")  # one table
    infratracker.load(path="https://example.org/infratracker/datapackage.json")
    infratracker.status_as_of("instc", "2025-06-30")
"""
from typing import Any

__all__ = ["load", "status_as_of"]
__version__ = "0.1.0"


def __getattr__(name: str) -> Any:
    # Loaded on first use (PEP 562): pandas and pandera take most of a second to import, and
    # commands such as `add-article` never need them.
    if name in __all__:
        from infratracker.loading import api

        return getattr(api, name)
    raise AttributeError(f"module 'infratracker' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
