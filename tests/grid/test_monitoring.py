"""Monitoring: IEC 61724-1 performance ratio by hand; fault injection on simulated plants (a string
10 % down, an inverter off, a battery over temperature) found within 30 minutes of data; at most one
false alarm per 1,000 fault-free plant-days."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sandan.grid.monitoring import (
    battery_limits,
    inverter_off_evidence,
    inverters_off,
    low_string_evidence,
    low_strings,
    performance_ratio,
)
from sandan.grid.pv import PvPlant, pv_energy_kwh

INVERTERS, STRINGS = 4, 8
DAY = pd.date_range("2026-05-12T00:00+09:00", periods=96, freq="15min").tz_convert("UTC")
STRING = pv_energy_kwh(PvPlant(dc_kw=5.5, ac_kw=5.0, tilt_deg=20, azimuth_deg=180, lat=34.94, lon=127.70), DAY)


def test_performance_ratio_by_hand() -> None:
    idx = pd.date_range("2026-05-12T11:00+09:00", periods=2, freq="1h")
    energy = pd.Series([70.0, 50.0], index=idx)
    poa = pd.Series([800.0, 600.0], index=idx)
    cell = pd.Series([45.0, 35.0], index=idx)
    pr = performance_ratio(energy, poa, 100.0, temp_cell_degc=cell, interval_h=1.0).iloc[0]
    # Y_f = 120 kWh / 100 kWp = 1.2 h; Y_r = (0.8 + 0.6) kWh/m2 / 1 kW/m2 = 1.4 h -> PR = 0.857
    assert pr["pr"] == pytest.approx(120 / 140)
    # C = 1 - 0.0037 × 20 = 0.926 and 1 - 0.0037 × 10 = 0.963: 80 × 0.926 + 60 × 0.963 = 131.86 -> 0.9101
    assert pr["pr_temperature_corrected"] == pytest.approx(120 / 131.86, rel=1e-4)


def _plant_day(rng: np.random.Generator) -> list[pd.DataFrame]:
    """One day of a plant: 4 inverters × 8 strings of 5.5 kWp, one sky for all (a daily cloud factor
    and a cloud pattern per interval), 1 % independent measurement noise per string and interval."""
    sky = rng.uniform(0.3, 1.0) * rng.uniform(0.6, 1.0, size=len(DAY))
    base = STRING.to_numpy() * sky
    return [pd.DataFrame(base[:, None] * rng.normal(1.0, 0.01, size=(len(DAY), STRINGS)), index=DAY,
                         columns=[f"inv{i}.s{j}" for j in range(STRINGS)]) for i in range(INVERTERS)]


def _inverter_totals(strings: list[pd.DataFrame]) -> pd.DataFrame:
    return pd.DataFrame({f"inv{i}": frame.sum(axis=1) for i, frame in enumerate(strings)})


def _expected(totals: pd.DataFrame) -> pd.DataFrame:
    # each inverter is expected to deliver what its siblings deliver (same size, same sky)
    return pd.DataFrame({c: totals.drop(columns=c).median(axis=1) for c in totals.columns})


def test_no_more_than_one_false_alarm_per_thousand_fault_free_plant_days() -> None:
    """1,000 simulated plant-days in one long frame per inverter (nights are never judged, so no
    evidence spans two days); a false alarm is a (string or inverter, day) with any evidence."""
    rng = np.random.default_rng(61724)
    days = 1000
    index = pd.date_range(DAY[0], periods=days * len(DAY), freq="15min")
    sky = (rng.uniform(0.3, 1.0, size=(days, 1)) * rng.uniform(0.6, 1.0, size=(days, len(DAY)))).ravel()
    base = np.tile(STRING.to_numpy(), days) * sky
    strings = [pd.DataFrame(base[:, None] * rng.normal(1.0, 0.01, size=(len(base), STRINGS)), index=index)
               for _ in range(INVERTERS)]
    totals = _inverter_totals(strings)
    day_of = np.repeat(np.arange(days), len(DAY))
    flags = [low_string_evidence(frame) for frame in strings] + [inverter_off_evidence(totals, _expected(totals))]
    alarms = sum(int(flag.groupby(day_of).any().to_numpy().sum()) for flag in flags)
    assert alarms <= 1


def test_injected_faults_are_found_within_thirty_minutes() -> None:
    rng = np.random.default_rng(7)
    strings = _plant_day(rng)
    t_string = pd.Timestamp("2026-05-12T11:00+09:00")
    strings[1].loc[t_string <= DAY, "inv1.s3"] *= 0.9                 # a string 10 % down from 11:00
    t_inverter = pd.Timestamp("2026-05-12T10:00+09:00")
    strings[2].loc[t_inverter <= DAY] = 0.0                           # inverter 2 off from 10:00
    found = [a for frame in strings for a in low_strings(frame)]
    assert [a.subject for a in found] == ["inv1.s3"]
    # the evidence is two 15-minute intervals: the alarm comes with the interval 11:15-11:30
    assert found[0].at - t_string <= pd.Timedelta("15min")
    assert found[0].data["shortfall_share"] == pytest.approx(0.10, abs=0.02)
    assert found[0].lost_kwh > 0
    totals = _inverter_totals(strings)
    off = inverters_off(totals, _expected(totals))
    assert [a.subject for a in off] == ["inv2"]
    assert off[0].at - t_inverter <= pd.Timedelta("15min")
    # lost: what the siblings made from 10:00 on (8 strings each)
    assert off[0].lost_kwh == pytest.approx(_expected(totals)["inv2"][t_inverter <= DAY].sum(), rel=1e-9)
    # a battery over temperature at 14:00 is found at its first reading
    temps = pd.Series(30.0, index=DAY)
    temps[pd.Timestamp("2026-05-12T14:00+09:00") <= DAY] = 52.0
    (alarm,) = battery_limits(temps, pd.Series(50.0, index=DAY), temp_max_degc=45, soc_min_pct=10, soc_max_pct=90)
    assert alarm.code == "battery_over_temperature"
    assert alarm.at == pd.Timestamp("2026-05-12T14:00+09:00")
    assert "52.0 °C" in alarm.message
