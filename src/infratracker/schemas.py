"""Pandera schemas generated from the registry (and written to schemas/ as YAML)."""
from __future__ import annotations

import pandera.pandas as pa

from . import registry
from .frames import pandas_dtype
from .registry import Field, Resource


# Text a spreadsheet would run as a formula (CSV injection) is refused in every text column.
FORMULA_SAFE = r"^(?![=+\-@\t\r])"


def _checks(f: Field, codes: dict[str, list[str]]) -> list[pa.Check]:
    checks = [pa.Check.str_matches(FORMULA_SAFE)] if f.type == "string" else []
    if f.codelist:
        checks.append(pa.Check.isin(codes[f.codelist]))
    if f.pattern:
        checks.append(pa.Check.str_matches(f.pattern))
    if f.length_limit is not None:
        checks.append(pa.Check.str_length(max_value=f.length_limit))
    if f.minimum is not None:
        checks.append(pa.Check.ge(f.minimum))
    if f.maximum is not None:
        checks.append(pa.Check.le(f.maximum))
    return checks


def pandera_schema(res: Resource, codes: dict[str, list[str]]) -> pa.DataFrameSchema:
    columns = {
        f.name: pa.Column(pandas_dtype(f), _checks(f, codes), nullable=not f.required,
                          unique=f.unique, description=f.description, title=f.name)
        for f in res.fields
    }
    return pa.DataFrameSchema(
        columns, name=res.name, description=res.description, strict=True, ordered=True,
        unique=list(res.primary_key) if len(res.primary_key) > 1 else None,
    )


def all_schemas(codes: dict[str, list[str]]) -> dict[str, pa.DataFrameSchema]:
    return {res.name: pandera_schema(res, codes) for res in registry.RESOURCES}
