"""Peak-demand control (최대수요전력 관리): the running forecast of the current 15-minute demand
(pure: samples in, forecast out).

KEPCO bills the largest 15-minute average demand [K1 제6조 10, 제68조], so what matters inside an
interval is the energy it will hold at its end.  The forecast used by demand controllers is

    forecast_kw = (E_so_far + P_now × t_remaining) / T

with ``E_so_far`` [kWh] the energy since the interval began (here integrated from power samples,
each held until the next), ``P_now`` [kW] the latest sample, ``t_remaining`` and ``T`` [h].  To end
the interval at a target instead, the load must drop now by

    shed_kw = (forecast_kw − target_kw) × T / t_remaining.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from sandan.core.errors import InvalidInput
from sandan.core.timeutil import KST

INTERVAL_S = 900


@dataclass(frozen=True)
class DemandForecast:
    """The current demand interval: its start (KST), seconds elapsed, energy so far [kWh], latest power
    [kW], forecast demand at its end [kW], status against the thresholds and the load to shed [kW]."""

    interval_start: dt.datetime
    elapsed_s: float
    energy_kwh: float
    current_kw: float | None
    forecast_kw: float | None
    status: str
    shed_kw: float

    def to_dict(self) -> dict[str, Any]:
        return {"interval_start": self.interval_start.isoformat(), "elapsed_s": self.elapsed_s,
                "energy_kwh": self.energy_kwh, "current_kw": self.current_kw, "forecast_kw": self.forecast_kw,
                "status": self.status, "shed_kw": self.shed_kw}


def interval_start_of(now: dt.datetime, interval_s: int = INTERVAL_S) -> dt.datetime:
    """Start of the demand interval holding ``now`` (intervals align to the clock)."""
    if now.tzinfo is None:
        raise InvalidInput("times must carry a time zone", field="now")
    seconds = int(now.timestamp()) // interval_s * interval_s
    return dt.datetime.fromtimestamp(seconds, dt.UTC).astimezone(KST)


def energy_so_far(samples_kw: pd.Series, start: dt.datetime, now: dt.datetime) -> float:
    """Energy [kWh] from ``start`` to ``now`` with each power sample [kW] held until the next one
    (and the last until ``now``); the time before the first sample is not counted."""
    s = samples_kw.dropna()
    if s.empty:
        return 0.0
    s = s[(s.index >= pd.Timestamp(start)) & (s.index <= pd.Timestamp(now))].sort_index()
    if s.empty:
        return 0.0
    times = np.append(pd.DatetimeIndex(s.index).as_unit("s").asi8, int(now.timestamp()))
    hold_h = np.diff(times) / 3600.0
    return float((s.to_numpy(dtype=float) * hold_h).sum())


def classify_status(forecast_kw: float | None, warning_kw: float, critical_kw: float) -> str:
    """``normal``, ``warning`` (forecast ≥ warning threshold), ``critical`` (≥ critical) or ``unknown``."""
    if forecast_kw is None:
        return "unknown"
    if forecast_kw >= critical_kw:
        return "critical"
    return "warning" if forecast_kw >= warning_kw else "normal"


def forecast_demand(samples_kw: pd.Series, now: dt.datetime, *, warning_kw: float, critical_kw: float,
                    target_kw: float | None = None, interval_s: int = INTERVAL_S) -> DemandForecast:
    """The forecast of the demand interval holding ``now`` from power samples [kW] (tz-aware index).

    ``target_kw`` (default the warning threshold) is what the shedding advice aims at.
    """
    start = interval_start_of(now, interval_s)
    elapsed = (now - start).total_seconds()
    energy = energy_so_far(samples_kw, start, now)
    inside = samples_kw.dropna()
    if inside.empty:
        return DemandForecast(start, elapsed, 0.0, None, None, "unknown", 0.0)
    inside = inside[(inside.index >= pd.Timestamp(start)) & (inside.index <= pd.Timestamp(now))]
    if inside.empty:
        return DemandForecast(start, elapsed, 0.0, None, None, "unknown", 0.0)
    current = float(inside.sort_index().iloc[-1])
    remaining_h = (interval_s - elapsed) / 3600
    forecast = (energy + current * remaining_h) / (interval_s / 3600)
    target = warning_kw if target_kw is None else target_kw
    shed = 0.0
    if forecast > target and remaining_h > 0:
        shed = (forecast - target) * (interval_s / 3600) / remaining_h
    return DemandForecast(start, elapsed, energy, current, forecast, classify_status(forecast, warning_kw, critical_kw),
                          shed)
