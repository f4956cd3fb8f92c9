"""Wind from the turbine's own curve at hub height; waste heat from the heat source's schedule."""

from __future__ import annotations

import pandas as pd
import pytest

from sandan.grid.waste_heat import waste_heat_energy_kwh
from sandan.grid.wind import hub_height_wind_m_s, wind_energy_kwh

SPEEDS = [3.0, 5.0, 8.0, 11.0, 25.0]
POWER = [0.0, 3.0, 10.0, 20.0, 20.0]


def test_wind_energy_from_the_curve_at_hub_height() -> None:
    idx = pd.date_range("2026-03-02T00:00Z", periods=5, freq="15min")
    wind = pd.Series([2.0, 5.0, 6.0, 20.0, 30.0], index=idx)
    # measured at 10 m, hub at 30 m, alpha 1/7: factor (30/10)^(1/7) = 3^0.142857 = 1.16993
    hub = hub_height_wind_m_s(wind, 10, 30)
    assert hub.iloc[1] == pytest.approx(5.0 * 1.16993, rel=1e-5)
    energy = wind_energy_kwh(wind, measured_at_m=10, hub_height_m=30, speeds_m_s=SPEEDS, power_kw=POWER, turbines=2)
    # 2.0 m/s -> 2.34 m/s below cut-in 3 m/s: 0
    # 5.0 m/s -> 5.8496 m/s: 3 + (5.8496-5)/(8-5) × 7 = 4.98239 kW; × 2 turbines × 0.25 h = 2.49120 kWh
    # 6.0 m/s -> 7.0196 m/s: 3 + 2.0196/3 × 7 = 7.71233 kW -> 3.85617 kWh
    # 20 m/s -> 23.399 m/s: on the flat top, 20 kW -> 10 kWh; 30 m/s -> 35.1 m/s above cut-out 25: 0
    assert energy.to_numpy() == pytest.approx([0.0, 2.49120, 3.85617, 10.0, 0.0], abs=1e-4)


def test_waste_heat_follows_its_schedule_weekdays_and_holidays() -> None:
    # 2026-03-01 (Sunday) is 삼일절, 2026-03-02 (Monday) its substitute holiday, 2026-03-03 a Tuesday
    starts = pd.date_range("2026-03-01T00:00+09:00", periods=3 * 96, freq="15min").tz_convert("UTC")
    load = [50.0] * 8 + [100.0] * 12 + [50.0] * 4  # KST hours 0-7 and 20-23 at half load
    energy = waste_heat_energy_kwh(starts, rated_kw=400, hourly_load_pct=load, operating_weekdays=[0, 1, 2, 3, 4],
                                   runs_on_holidays=False, availability_pct=90)
    by_day = energy.groupby(energy.index.tz_convert("Asia/Seoul").date).sum()
    # Sunday and the substitute holiday: off.  Tuesday: 400 kW × 0.9 × (12 h × 1.0 + 12 h × 0.5) = 6,480 kWh
    assert list(by_day.to_numpy()) == pytest.approx([0.0, 0.0, 6480.0])
    # one 15-minute interval at 10:00 KST on Tuesday: 400 × 1.0 × 0.9 × 0.25 = 90 kWh
    assert energy[pd.Timestamp("2026-03-03T10:00+09:00")] == pytest.approx(90.0)
