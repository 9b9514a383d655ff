"""Pandera schemas generated from the registry (and written to schemas/ as YAML).

Two variants of one schema: `pandera_schema` for the typed pandas frames users get from
`load()` (published as schemas/*.pandera.yaml), and `arrow_schema` for the Arrow-backed frames
the rule engine (engine.py) checks, where Pandera's string checks run in RE2 instead of per
element in Python. Same columns, checks and keys; only the dtypes differ.
"""
from __future__ import annotations

import pandas as pd
import pandera.pandas as pa
import pyarrow

from infratracker.core import registry
from infratracker.core.cells import pandas_dtype
from infratracker.core.registry import Field, Resource


# Text a spreadsheet would run as a formula (CSV injection) is refused in every text column.
# Written without look-ahead so that RE2 (Arrow) runs it too.
FORMULA_SAFE = r"^([^=+\-@\t\r]|$)"

ARROW_TYPES = {"string": pyarrow.string(), "integer": pyarrow.int64(), "number": pyarrow.float64(),
               "boolean": pyarrow.bool_(), "date": pyarrow.date32()}


def python_pattern(pattern: str) -> str:
    """A registry pattern for Python's re, whose `$` would also accept a trailing newline."""
    return pattern[:-1] + r"\Z" if pattern.endswith("$") and not pattern.endswith(r"\$") else pattern


def _checks(f: Field, codes: dict[str, list[str]], arrow: bool) -> list[pa.Check]:
    checks = [pa.Check.str_matches(FORMULA_SAFE)] if f.type == "string" else []
    if f.codelist:
        checks.append(pa.Check.isin(codes[f.codelist]))
    if f.pattern:
        checks.append(pa.Check.str_matches(f.pattern if arrow else python_pattern(f.pattern)))
    if f.length_limit is not None:
        checks.append(pa.Check.str_length(max_value=f.length_limit))
    if f.minimum is not None:
        checks.append(pa.Check.ge(f.minimum))
    if f.maximum is not None:
        checks.append(pa.Check.le(f.maximum))
    return checks


def _schema(res: Resource, codes: dict[str, list[str]], arrow: bool) -> pa.DataFrameSchema:
    columns = {
        f.name: pa.Column(pd.ArrowDtype(ARROW_TYPES[f.type]) if arrow else pandas_dtype(f),
                          _checks(f, codes, arrow), nullable=not f.required,
                          unique=f.unique, description=f.description, title=f.name)
        for f in res.fields
    }
    return pa.DataFrameSchema(
        columns, name=res.name, description=res.description, strict=True, ordered=True,
        unique=list(res.primary_key) if len(res.primary_key) > 1 else None,
    )


def pandera_schema(res: Resource, codes: dict[str, list[str]]) -> pa.DataFrameSchema:
    return _schema(res, codes, arrow=False)


def arrow_schema(res: Resource, codes: dict[str, list[str]]) -> pa.DataFrameSchema:
    return _schema(res, codes, arrow=True)


def all_schemas(codes: dict[str, list[str]]) -> dict[str, pa.DataFrameSchema]:
    return {res.name: pandera_schema(res, codes) for res in registry.RESOURCES}
