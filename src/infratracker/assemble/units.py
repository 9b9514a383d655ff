"""Quantities normalised with pint: each value in the first unit of its dimension in the `unit`
codelist (reference/codelists.yaml), so that sources are compared like with like."""
from __future__ import annotations

from functools import lru_cache
from typing import Any

# Counting units pint does not know; each is its own dimension, so a TEU never equals a tonne.
EXTRA_UNITS = ("TEU = [container]", "passenger = [passenger]", "train = [train]", "vehicle = [vehicle]",
               "item = [item]")


@lru_cache(maxsize=1)
def _registry() -> Any:
    import pint

    ureg = pint.UnitRegistry()
    for definition in EXTRA_UNITS:
        ureg.define(definition)
    return ureg


@lru_cache(maxsize=8)
def _plan(units: tuple[tuple[str, str], ...]) -> dict[str, tuple[str, float]]:
    """Unit code -> (normalised unit code, factor), for one `unit` codelist."""
    ureg = _registry()
    first: dict[Any, tuple[str, Any]] = {}
    plan: dict[str, tuple[str, float]] = {}
    for code, expression in units:
        q = ureg.Quantity(expression)  # "1e9 * meter ** 3 / year" as well as "kilometer"
        dims = q.dimensionality
        if dims not in first:
            first[dims] = (code, q)
        target_code, target = first[dims]
        plan[code] = (target_code, float((q / target).to("dimensionless").magnitude))
    return plan


def normalise(value: float | None, unit: str | None, currency: str | None,
              units: dict[str, str]) -> tuple[float | None, str | None]:
    """(value, unit) in the normalised unit; money stays in its currency; an unknown unit, None."""
    if value is None:
        return None, None
    if currency is not None:
        return value, currency
    step = _plan(tuple(units.items())).get(unit or "")
    if step is None:
        return None, None
    code, factor = step
    return canonical_number(value * factor), code


def canonical_number(value: float) -> float:
    """Round away the float noise a unit factor adds (0.1 mi * 1.609344 = 0.16093440000000002)."""
    return float(f"{value:.12g}")
