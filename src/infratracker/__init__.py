"""infratracker: cross-border infrastructure projects, agreements and funding constraints.

    import infratracker
    tables = infratracker.load()              # dict of typed, validated DataFrames
    projects = infratracker.load("projects")  # one table
    infratracker.load(path="https://example.org/infratracker/datapackage.json")
"""
from .package import load

__all__ = ["load"]
__version__ = "0.1.0"
