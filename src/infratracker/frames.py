"""CSV cells and pandas dtypes, both driven by the registry's column types."""
from __future__ import annotations

import datetime as dt
from typing import Any

from .registry import DATE_MAX, DATE_MIN, Field

PANDAS_DTYPES = {"string": "string", "integer": "Int64", "number": "float64", "boolean": "boolean",
                 "date": "datetime64[ns]"}


def pandas_dtype(f: Field) -> str:
    return "category" if f.codelist else PANDAS_DTYPES[f.type]


def format_cell(f: Field, value: Any) -> str:
    """A value as it is written to CSV: one spelling per value, so output is deterministic."""
    if value is None or (isinstance(value, float) and value != value):
        return ""
    if f.type == "boolean":
        return "true" if value else "false"
    if f.type == "date":
        return value.isoformat()
    if f.type == "integer":
        return str(int(value))
    if f.type == "number":
        return repr(float(value))
    return str(value)


def check_date(value: dt.date) -> dt.date:
    if not DATE_MIN <= value.isoformat() <= DATE_MAX:
        raise ValueError(f"date {value.isoformat()} is outside {DATE_MIN} to {DATE_MAX}")
    return value


def parse_cell(f: Field, text: str) -> Any:
    """A CSV cell as a Python value; raises ValueError with a readable message."""
    if text == "":
        return None
    if f.type == "string":
        return text
    if f.type == "integer":
        if not text.lstrip("-").isdigit():
            raise ValueError(f"expected a whole number, got {text!r}")
        return int(text)
    if f.type == "number":
        try:
            return float(text)
        except ValueError:
            raise ValueError(f"expected a number, got {text!r}") from None
    if f.type == "boolean":
        if text not in ("true", "false"):
            raise ValueError(f"expected true or false, got {text!r}")
        return text == "true"
    if f.type == "date":
        try:
            return check_date(dt.date.fromisoformat(text))
        except ValueError as exc:
            raise ValueError(str(exc) if "outside" in str(exc) else f"invalid date {text!r}: expected YYYY-MM-DD") \
                from None
    raise AssertionError(f.type)
