"""Day-ahead PV forecast from history: a clear-sky-index estimator with the fit/predict surface.

Tomorrow's daily clear-sky index (measured energy / clear-sky energy of a day) is forecast as a
blend of today's index (persistence) and the median index of the last ``window_days`` days
(climatology):  k̂_{d+1} = α · k_d + (1 - α) · median(k_{d-N+1..d}).  The forecast energy of
each interval of day d+1 is k̂_{d+1} × its clear-sky energy.  ``fit`` chooses α and N on history
by least mean absolute error.  The baseline is clear-sky-index persistence (α = 1).

Pure: Series of energy per interval [kWh] on tz-aware interval starts in, Series out; days are
local calendar days of ``tz``.  A forecast from weather forecasts (NWP through an adapter) will
share this surface.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import pandas as pd

ALPHAS = tuple(np.round(np.arange(0.0, 1.01, 0.1), 2))
WINDOWS = (7, 14, 30)


def nmae(forecast: pd.Series, actual: pd.Series) -> float:
    """Mean absolute error normalised by the mean actual energy [-] over the intervals both hold."""
    both = pd.concat([forecast, actual], axis=1).dropna()
    return float((both.iloc[:, 0] - both.iloc[:, 1]).abs().sum() / both.iloc[:, 1].sum())


def daily_index(measured_kwh: pd.Series, clear_sky_kwh: pd.Series, tz: str) -> pd.Series:
    """Daily clear-sky index [-] (measured / clear-sky energy per local day, clipped to 0..1.5)."""
    days = pd.DatetimeIndex(measured_kwh.index).tz_convert(tz).normalize()
    measured = measured_kwh.groupby(days).sum()
    clear = clear_sky_kwh.reindex(measured_kwh.index).groupby(days).sum()
    index: pd.Series = (measured / clear.where(clear > 0)).clip(0.0, 1.5)
    return index


def _blend(k: pd.Series, alpha: float, window: int) -> pd.Series:
    """The index forecast for the day after each day of ``k`` (labelled by the day it is for)."""
    climatology = k.rolling(window, min_periods=1).median()
    forecast = alpha * k + (1 - alpha) * climatology
    forecast.index = forecast.index + pd.Timedelta(days=1)
    return forecast


def _spread(k_by_day: pd.Series, clear_sky_kwh: pd.Series, tz: str) -> pd.Series:
    days = pd.DatetimeIndex(clear_sky_kwh.index).tz_convert(tz).normalize()
    factors = k_by_day.reindex(days).to_numpy()
    return pd.Series(clear_sky_kwh.to_numpy() * factors, index=clear_sky_kwh.index, name="forecast_kwh")


@dataclass
class DayAheadPvForecaster:
    """Clear-sky-index blend of persistence and climatology (see the module docstring).

    ``alpha`` weight of persistence [0..1]; ``window_days`` climatology window [days]; ``tz`` the
    calendar of days (``Asia/Seoul`` for Korean plants).  ``fit`` stores the training error and
    the persistence error (``stats``) and warnings as data.
    """

    alpha: float = 0.5
    window_days: int = 30
    tz: str = "Asia/Seoul"
    stats: dict[str, float] = field(default_factory=dict)
    warnings: list[dict[str, Any]] = field(default_factory=list)

    def fit(self, measured_kwh: pd.Series, clear_sky_kwh: pd.Series) -> DayAheadPvForecaster:
        """Choose ``alpha`` and ``window_days`` minimising the day-ahead MAE over the history."""
        k = daily_index(measured_kwh, clear_sky_kwh, self.tz)
        if k.notna().sum() < 14:
            self.warnings.append({"code": "short_history", "message": "fewer than 14 days of history: defaults kept",
                                  "data": {"days": int(k.notna().sum())}})
            return self
        best: tuple[float, float, int] | None = None
        for window in WINDOWS:
            for alpha in ALPHAS:
                error = nmae(_spread(_blend(k, float(alpha), window), clear_sky_kwh, self.tz), measured_kwh)
                if best is None or error < best[0]:
                    best = (error, float(alpha), window)
        assert best is not None
        self.alpha, self.window_days = best[1], best[2]
        persistence = nmae(_spread(_blend(k, 1.0, 1), clear_sky_kwh, self.tz), measured_kwh)
        self.stats = {"nmae": best[0], "nmae_persistence": persistence, "skill": 1 - best[0] / persistence}
        return self

    def predict(self, history_kwh: pd.Series, history_clear_sky_kwh: pd.Series,
                clear_sky_kwh: pd.Series) -> pd.Series:
        """Forecast [kWh] for the intervals of ``clear_sky_kwh`` from the days of ``history_kwh``:
        each day's forecast uses only the days before it."""
        k = daily_index(history_kwh, history_clear_sky_kwh, self.tz)
        return _spread(_blend(k, self.alpha, self.window_days), clear_sky_kwh, self.tz)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> DayAheadPvForecaster:
        return cls(**data)


def persistence_forecast(history_kwh: pd.Series, history_clear_sky_kwh: pd.Series, clear_sky_kwh: pd.Series,
                         tz: str = "Asia/Seoul") -> pd.Series:
    """Clear-sky-index persistence: tomorrow's index is today's [kWh per interval]."""
    return DayAheadPvForecaster(alpha=1.0, window_days=1, tz=tz).predict(history_kwh, history_clear_sky_kwh,
                                                                          clear_sky_kwh)
