"""infratracker: cross-border infrastructure projects, agreements and funding constraints.

    import infratracker
    tables = infratracker.load()              # dict of typed, validated DataFrames
    projects = infratracker.load("projects")  # one table
    infratracker.load(path="https://example.org/infratracker/datapackage.json")
    infratracker.status_as_of("instc", "2025-06-30")
"""
from infratracker.loading.api import load, status_as_of

__all__ = ["load", "status_as_of"]
__version__ = "0.1.0"
