"""Energy KPIs of one node (company, site, asset subtree) over a period (pure: series in, values out).

Every function takes 15-minute interval totals indexed by tz-aware interval start.  Demand [kW]
is the 15-minute energy [kWh] × 4 (KEPCO's maximum-demand interval [K1 제6조 10]); days and
hours are Korean local (Asia/Seoul), day types those of the tariff (holidays as Sundays).
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from sandan.core.timeutil import KST
from sandan.energy.tariff import tariff_day_type

#: Off hours: nights 22:00-08:00 (KEPCO's light-load night) and Sundays and public holidays all day.
NIGHT_START_H, NIGHT_END_H = 22, 8


@dataclass(frozen=True)
class DemandKpis:
    """Demand and load-shape figures of an electricity series.

    ``energy_kwh`` total [kWh]; ``peak_kw`` largest 15-minute demand [kW] and ``peak_at`` its
    interval start (KST); ``average_kw`` mean demand over the intervals present [kW];
    ``load_factor`` average / peak [-]; ``base_load_kw`` mean of the daily minimum 15-minute
    demands [kW]; ``off_hours_share`` share of the energy used at night (22-08 h) and on Sundays
    and holidays [-]; ``intervals`` how many 15-minute intervals had data.
    """

    energy_kwh: float
    peak_kw: float
    peak_at: dt.datetime | None
    average_kw: float
    load_factor: float | None
    base_load_kw: float | None
    off_hours_share: float | None
    intervals: int

    def to_dict(self) -> dict[str, Any]:
        return {"energy_kwh": self.energy_kwh, "peak_kw": self.peak_kw,
                "peak_at": self.peak_at.isoformat() if self.peak_at else None, "average_kw": self.average_kw,
                "load_factor": self.load_factor, "base_load_kw": self.base_load_kw,
                "off_hours_share": self.off_hours_share, "intervals": self.intervals}


def off_hours_mask(index: pd.DatetimeIndex) -> np.ndarray:
    """True for intervals starting at night (22-08 h local) or on a Sunday or public holiday."""
    local = index.tz_convert(KST)
    hour = local.hour
    days = pd.Series(local.date)
    codes, uniques = pd.factorize(days)
    holiday = np.array([tariff_day_type(d) == "sunday_holiday" for d in uniques], dtype=bool)
    night = (hour >= NIGHT_START_H) | (hour < NIGHT_END_H)
    return np.asarray(night | (holiday[codes] if len(uniques) else np.zeros(len(index), bool)), dtype=bool)


def demand_kpis(kwh: pd.Series, interval_s: int = 900) -> DemandKpis:
    """Demand KPIs of 15-minute energy ``kwh`` [kWh per interval] (missing intervals are not counted)."""
    values = kwh.dropna()
    if values.empty:
        return DemandKpis(0.0, 0.0, None, 0.0, None, None, None, 0)
    index = pd.DatetimeIndex(values.index)
    demand = values * (3600 / interval_s)
    energy = float(values.sum())
    peak = float(demand.max())
    peak_at = pd.Timestamp(index[int(np.argmax(demand.to_numpy()))]).tz_convert(KST).to_pydatetime()
    average = float(demand.mean())
    local_day = pd.Series(index.tz_convert(KST).date, index=index)
    base = float(demand.groupby(local_day).min().mean())
    off = off_hours_mask(index)
    share = float(values[off].sum() / energy) if energy > 0 else None
    return DemandKpis(energy, peak, peak_at, average, average / peak if peak > 0 else None, base, share, len(values))


def power_factor(kwh: float, kvarh: float) -> float | None:
    """Average power factor [-] from active [kWh] and reactive [kvarh] energy: kWh / √(kWh² + kvarh²)."""
    apparent = math.hypot(kwh, kvarh)
    return kwh / apparent if apparent > 0 else None


def specific_energy(energy: float, production: float) -> float | None:
    """Specific energy consumption [energy unit per production unit] (ISO 50006 EnPI ratio)."""
    return energy / production if production > 0 else None
