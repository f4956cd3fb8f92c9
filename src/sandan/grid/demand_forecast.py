"""Day-ahead demand forecast of a company from its history and the Korean calendar.

Each 15-minute slot of a forecast day is the median of the same KST slot on the last
``days`` days of the same day type before it (weekday, Saturday, Sunday or public holiday —
holidays from :mod:`sandan.core.timeutil`).  ``fit`` chooses ``days`` by the day-ahead MAE on the
history.  Same surface as the PV forecaster (fit / predict / to_dict / from_dict).

Pure: Series of energy per interval [kWh] on tz-aware interval starts in, Series out.
"""

from __future__ import annotations

import bisect
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from sandan.core.timeutil import KST, day_type

CHOICES = (1, 2, 3, 4, 6, 8)
SLOTS = 96


def _by_day(kwh: pd.Series) -> pd.DataFrame:
    """Rows: KST dates; columns: the 96 quarter-hour slots."""
    local = pd.DatetimeIndex(kwh.index).tz_convert(KST)
    frame = pd.DataFrame({"date": local.date, "slot": local.hour * 4 + local.minute // 15, "value": kwh.to_numpy()})
    table = frame.pivot_table(index="date", columns="slot", values="value", aggfunc="sum")
    return table.reindex(columns=range(SLOTS))


def _profiles(table: pd.DataFrame, targets: list[Any], days: int) -> pd.DataFrame:
    by_type: dict[str, list[Any]] = {}
    for d in table.index:
        by_type.setdefault(day_type(d), []).append(d)
    values = table.to_numpy()
    position = {d: i for i, d in enumerate(table.index)}
    rows = np.full((len(targets), SLOTS), np.nan)
    for row, target in enumerate(targets):
        same = by_type.get(day_type(target), [])
        k = bisect.bisect_left(same, target)
        chosen = [position[d] for d in same[max(0, k - days):k]]
        if chosen:
            rows[row] = np.nanmedian(values[chosen], axis=0)
    return pd.DataFrame(rows, index=targets, columns=table.columns)


def _spread(profiles: pd.DataFrame, starts: pd.DatetimeIndex) -> pd.Series:
    local = starts.tz_convert(KST)
    slots = (local.hour * 4 + local.minute // 15).to_numpy()
    values = [profiles.at[d, s] if d in profiles.index else np.nan for d, s in zip(local.date, slots, strict=True)]
    return pd.Series(values, index=starts, name="forecast_kwh", dtype=float)


@dataclass
class DemandForecaster:
    """Same-day-type median profile (see the module docstring); ``days`` [days of the same type]."""

    days: int = 4
    stats: dict[str, float] = field(default_factory=dict)
    warnings: list[dict[str, Any]] = field(default_factory=list)

    def fit(self, history_kwh: pd.Series) -> DemandForecaster:
        """Choose ``days`` minimising the day-ahead MAE over the history (each day forecast from the days before)."""
        table = _by_day(history_kwh)
        if len(table) < 14:
            self.warnings.append({"code": "short_history", "message": "fewer than 14 days of history: defaults kept",
                                  "data": {"days": len(table)}})
            return self
        best: tuple[float, int] | None = None
        targets = list(table.index[7:])
        for days in CHOICES:
            forecast = _profiles(table, targets, days)
            error = float(np.nanmean(np.abs(forecast.to_numpy() - table.loc[targets].to_numpy())))
            if best is None or error < best[0]:
                best = (error, days)
        assert best is not None
        self.days = best[1]
        self.stats = {"mae_kwh": best[0]}
        return self

    def predict(self, history_kwh: pd.Series, starts: pd.DatetimeIndex) -> pd.Series:
        """Forecast [kWh] for ``starts``: each KST day from the history days before it."""
        table = _by_day(history_kwh)
        targets = sorted(set(starts.tz_convert(KST).date))
        return _spread(_profiles(table, targets, self.days), starts)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> DemandForecaster:
        return cls(**data)


def yesterday_forecast(history_kwh: pd.Series, starts: pd.DatetimeIndex) -> pd.Series:
    """The naive day-ahead forecast: the same slot of the day before [kWh]."""
    shifted = history_kwh.copy()
    shifted.index = shifted.index + pd.Timedelta(days=1)
    return shifted.reindex(starts).rename("forecast_kwh")
