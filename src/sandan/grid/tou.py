"""Time-of-use energy price per interval for dispatch (KEPCO 산업용(을) 고압A 선택Ⅱ, from 2026-04-16).

Only the energy charge varies by interval, so only it steers the battery; the basic charge and the
adjustment lines are the energy domain's bill.  Reference rows (copied from shared/data/kepco with
their source and ``verified`` flag) are in ``reference/tou_hours.csv`` and ``reference/tou_rates.csv``.
Day rules (shared/data/kepco/RULES.md §3): seasons summer Jun-Aug, spring/autumn Mar-May and
Sep-Oct, winter Nov-Feb; on a Saturday peak hours are billed as mid load; Sundays and public
holidays are light load all day.

When the energy domain's tariff service is merged, :func:`tou_price_krw_per_kwh` should defer to it.
"""

from __future__ import annotations

import csv
import io
from functools import cache
from importlib import resources

import numpy as np
import pandas as pd

from sandan.core.timeutil import KST, is_korean_holiday

_SEASON_BY_MONTH = {6: "summer", 7: "summer", 8: "summer", 3: "spring_autumn", 4: "spring_autumn",
                    5: "spring_autumn", 9: "spring_autumn", 10: "spring_autumn", 11: "winter", 12: "winter",
                    1: "winter", 2: "winter"}


def _rows(name: str) -> list[dict[str, str]]:
    text = resources.files("sandan.grid").joinpath("reference", name).read_text(encoding="utf-8")
    return list(csv.DictReader(io.StringIO(text)))


@cache
def load_periods() -> dict[str, list[str]]:
    """Load period of each hour 0..23 of an ordinary weekday, by season."""
    out: dict[str, list[str]] = {}
    for row in _rows("tou_hours.csv"):
        hours = out.setdefault(row["season"], [""] * 24)
        for h in range(int(row["hour_start"]), int(row["hour_end"])):
            hours[h] = row["load_period"]
    return out


@cache
def energy_rates() -> dict[tuple[str, str], float]:
    """Energy charge [KRW/kWh] by (season, load period)."""
    return {(row["season"], row["load_period"]): float(row["energy_krw_per_kwh"]) for row in _rows("tou_rates.csv")}


def load_period_of(starts: pd.DatetimeIndex) -> pd.Series:
    """``light``/``mid``/``peak`` for each interval start (tz-aware), with the Saturday and holiday rules."""
    local = starts.tz_convert(KST)
    periods = load_periods()
    out = []
    for ts in local:
        period = periods[_SEASON_BY_MONTH[ts.month]][ts.hour]
        if ts.day_of_week == 6 or is_korean_holiday(ts.date()):
            period = "light"
        elif ts.day_of_week == 5 and period == "peak":
            period = "mid"
        out.append(period)
    return pd.Series(out, index=starts, name="load_period")


def tou_price_krw_per_kwh(starts: pd.DatetimeIndex) -> pd.Series:
    """Energy charge [KRW/kWh] of each interval starting at ``starts``."""
    rates = energy_rates()
    local = starts.tz_convert(KST)
    seasons = np.array([_SEASON_BY_MONTH[m] for m in local.month])
    periods = load_period_of(starts).to_numpy()
    return pd.Series([rates[(s, p)] for s, p in zip(seasons, periods, strict=True)], index=starts,
                     name="price_krw_per_kwh", dtype=float)
