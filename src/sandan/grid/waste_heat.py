"""Waste-heat power (ORC or steam turbine) from the heat source's operating schedule."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from sandan.core.timeutil import KST, is_korean_holiday


def waste_heat_energy_kwh(starts: pd.DatetimeIndex, *, rated_kw: float, hourly_load_pct: Sequence[float],
                          operating_weekdays: Sequence[int], runs_on_holidays: bool = True,
                          availability_pct: float = 100.0, freq: str = "15min") -> pd.Series:
    """Expected energy [kWh] per interval starting at ``starts`` (tz-aware).

    Output = rated [kW] × load of the KST hour [%] × availability [%] × interval length [h] on the
    KST weekdays the heat source runs (Monday = 0), and 0 on Korean public holidays unless
    ``runs_on_holidays``.  Availability is the expected share of scheduled time the unit runs.
    """
    local = starts.tz_convert(KST)
    load = np.asarray(hourly_load_pct, dtype=float)[local.hour.to_numpy()] / 100.0
    runs = np.isin(local.day_of_week.to_numpy(), list(operating_weekdays))
    if not runs_on_holidays:
        runs &= ~np.array([is_korean_holiday(day) for day in local.date])
    hours = pd.Timedelta(freq) / pd.Timedelta(hours=1)
    return pd.Series(rated_kw * load * runs * (availability_pct / 100.0) * hours, index=starts, name="waste_heat_kwh")
