"""CSV cells and pandas dtypes, both driven by the registry's column types."""
from __future__ import annotations

import datetime as dt
import re
from typing import Any

from infratracker.core.registry import DATE_MAX, DATE_MIN, Field

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


# Only the extended calendar form: Python 3.11's fromisoformat also takes 20251216 and 2025-W51-2,
# which a curator never means and a reader of the CSV would not expect.
ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def parse_date(text: str) -> dt.date:
    """A YYYY-MM-DD date in DATE_MIN..DATE_MAX; raises ValueError with a readable message."""
    try:
        if not ISO_DATE.fullmatch(text):
            raise ValueError
        return check_date(dt.date.fromisoformat(text))
    except ValueError as exc:
        raise ValueError(str(exc) if "outside" in str(exc) else f"invalid date {text!r}: expected YYYY-MM-DD") \
            from None


def partial_date_problem(text: str) -> str | None:
    """Why a YYYY, YYYY-MM or YYYY-MM-DD value that matches the registry's pattern is still no
    date (30 February, year 0000), or None."""
    year = text[:4]
    if not DATE_MIN[:4] <= year <= DATE_MAX[:4]:
        return f"year {year} is outside {DATE_MIN[:4]} to {DATE_MAX[:4]}"
    if len(text) == 10:
        try:
            dt.date.fromisoformat(text)
        except ValueError:
            return f"{text!r} is not a date in the calendar"
    return None


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
        return parse_date(text)
    raise AssertionError(f.type)
