"""KPIs against figures worked out by hand."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from sandan.core.timeutil import KST
from sandan.energy.kpi import demand_kpis, power_factor, specific_energy
from sandan.energy.tariff import Contract, variable_cost


def two_days() -> pd.Series:
    """Thu 2025-08-14 and Fri 2025-08-15 (광복절, a public holiday).

    Thursday: 10 kWh per 15 min from 08 to 22 h (56 intervals = 560 kWh), 2 kWh at night (40 intervals = 80).
    Holiday: 2 kWh every interval (96 = 192) plus 28 kWh more at 13:00 (30 kWh = 120 kW).
    """
    idx = pd.date_range("2025-08-14", "2025-08-16", freq="15min", tz=KST, inclusive="left")
    kwh = pd.Series(2.0, index=idx)
    day1 = (idx.day == 14) & (idx.hour >= 8) & (idx.hour < 22)
    kwh[day1] = 10.0
    kwh[pd.Timestamp("2025-08-15 13:00", tz=KST)] = 30.0
    return kwh.tz_convert("UTC")


def test_demand_kpis_by_hand():
    """energy 560 + 80 + 192 + 28 = 860 kWh; peak 30 × 4 = 120 kW on the holiday at 13:00;
    average 860 / 192 intervals × 4 = 17.9167 kW; load factor 17.9167 / 120 = 0.14931;
    base load: daily minima 8 kW and 8 kW -> 8 kW;
    off hours: Thursday's night 80 kWh + the whole holiday 220 kWh = 300 / 860 = 0.34884."""
    k = demand_kpis(two_days())
    assert k.energy_kwh == pytest.approx(860)
    assert k.peak_kw == pytest.approx(120)
    assert k.peak_at == dt.datetime(2025, 8, 15, 13, tzinfo=KST)
    assert k.average_kw == pytest.approx(860 / 192 * 4)
    assert k.load_factor == pytest.approx(17.916667 / 120, rel=1e-5)
    assert k.base_load_kw == pytest.approx(8)
    assert k.off_hours_share == pytest.approx(300 / 860)
    assert k.intervals == 192


def test_empty_series_and_ratios():
    assert demand_kpis(pd.Series(dtype=float)).intervals == 0
    assert power_factor(400, 300) == pytest.approx(0.8)  # 400 / √(400² + 300²) = 400 / 500
    assert power_factor(0, 0) is None
    assert specific_energy(860, 43) == pytest.approx(20)
    assert specific_energy(860, 0) is None


def test_variable_cost_by_hand():
    """산업용(을) 고압A 선택II, July 2025: a weekday peak kWh costs 245.9 + 9.0 + 5.0 = 259.9 won,
    a Sunday kWh 110.9 + 14.0 = 124.9 won: 10 kWh of each = 2,599 + 1,249 = 3,848 won."""
    idx = pd.DatetimeIndex([pd.Timestamp("2025-07-04 11:00", tz=KST), pd.Timestamp("2025-07-06 11:00", tz=KST)])
    cost = variable_cost(pd.DataFrame({"kwh": [10.0, 10.0]}, index=idx), Contract())
    assert cost.tolist() == pytest.approx([2_599.0, 1_249.0])
