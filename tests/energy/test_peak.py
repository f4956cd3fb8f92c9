"""Peak-demand control: the running 15-minute forecast, worked out by hand."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from sandan.core.timeutil import KST
from sandan.energy.peak import classify_status, energy_so_far, forecast_demand, interval_start_of

NOW = dt.datetime(2026, 3, 2, 10, 10, tzinfo=KST)


def samples() -> pd.Series:
    return pd.Series([500.0, 600.0, 900.0], index=pd.DatetimeIndex([
        "2026-03-02 09:59", "2026-03-02 10:00", "2026-03-02 10:05"]).tz_localize(KST))


def test_forecast_by_hand():
    """Interval 10:00-10:15; 600 kW from 10:00, 900 kW from 10:05; now 10:10 (the 09:59 sample is before it).
    Energy so far = 600 × 5/60 + 900 × 5/60 = 50 + 75 = 125 kWh.
    Forecast = (125 + 900 × 5/60) / (15/60) = 200 / 0.25 = 800 kW -> warning (700 ≤ 800 < 850).
    To end at 700 kW: shed (800 - 700) × 0.25 / (5/60) = 300 kW now (600 kW for 5 min = 50 kWh; 175 / 0.25 = 700)."""
    assert interval_start_of(NOW) == dt.datetime(2026, 3, 2, 10, 0, tzinfo=KST)
    assert energy_so_far(samples(), interval_start_of(NOW), NOW) == pytest.approx(125.0)
    f = forecast_demand(samples(), NOW, warning_kw=700, critical_kw=850)
    assert f.elapsed_s == 600
    assert f.current_kw == 900
    assert f.forecast_kw == pytest.approx(800.0)
    assert f.status == "warning"
    assert f.shed_kw == pytest.approx(300.0)
    assert forecast_demand(samples(), NOW, warning_kw=700, critical_kw=790).status == "critical"


def test_status_edges_and_no_samples():
    assert classify_status(None, 1, 2) == "unknown"
    assert classify_status(699.9, 700, 850) == "normal"
    assert classify_status(850, 700, 850) == "critical"
    empty = forecast_demand(pd.Series(dtype=float), NOW, warning_kw=700, critical_kw=850)
    assert empty.status == "unknown"
    assert empty.forecast_kw is None
