"""Baselines against hand-worked regressions, and the steel plant year's statistics (ASHRAE Guideline 14)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sandan.core.timeutil import KST
from sandan.energy.baseline import BaselineModel, calendar_features, degree_days, fit, statistics
from tests.energy.steel import read_steel_meter


def test_regression_and_statistics_by_hand():
    """x = 1, 2, 3, 4; y = 3, 5, 8, 9.
    x̄ = 2.5, ȳ = 6.25; Sxy = (-1.5)(-3.25) + (-0.5)(-1.25) + (0.5)(1.75) + (1.5)(2.75) = 10.5; Sxx = 5
    slope 10.5 / 5 = 2.1; intercept 6.25 - 2.1 × 2.5 = 1.0; ŷ = 3.1, 5.2, 7.3, 9.4
    residuals -0.1, -0.2, 0.7, -0.4: SSE = 0.01 + 0.04 + 0.49 + 0.16 = 0.70; SST = 22.75
    R² = 1 - 0.70 / 22.75 = 0.969231; CV(RMSE) = √(0.70 / (4 - 2)) / 6.25 = 0.591608 / 6.25 = 0.094657
    NMBE = Σ residuals / ((n - p) ȳ) = 0 (least squares with an intercept)."""
    idx = pd.date_range("2025-01-01", periods=4, freq="MS", tz=KST)
    x = pd.DataFrame({"one": 1.0, "production": [1.0, 2.0, 3.0, 4.0]}, index=idx)
    model = fit(pd.Series([3.0, 5.0, 8.0, 9.0], index=idx), x, "monthly")
    assert model.coefficients == pytest.approx({"one": 1.0, "production": 2.1})
    assert model.stats.r2 == pytest.approx(0.969231, abs=1e-6)
    assert model.stats.cv_rmse == pytest.approx(0.094657, abs=1e-6)
    assert model.stats.nmbe == pytest.approx(0.0, abs=1e-12)
    assert model.ashrae() == {"cv_rmse_max": 0.15, "nmbe_max": 0.05, "cv_rmse_pass": True, "nmbe_pass": True,
                              "pass": True}
    again = BaselineModel.from_dict(model.to_dict())
    assert again.predict(x).tolist() == pytest.approx([3.1, 5.2, 7.3, 9.4])
    # a biased model: ŷ = y - 1 everywhere -> NMBE = 4 / ((4 - 2) × 6.25) = 0.32, fails |NMBE| ≤ 5 %
    biased = statistics(np.array([3, 5, 8, 9.0]), np.array([2, 4, 7, 8.0]), 2)
    assert biased.nmbe == pytest.approx(0.32)


def test_calendar_features_and_degree_days():
    """August 2025 (1st a Friday): Saturdays 2, 9, 16, 23, 30 (5); Sundays 3, 10, 17, 24, 31 plus 광복절 on
    Friday the 15th (6); weekdays 31 - 5 - 6 = 20."""
    month = calendar_features(pd.DatetimeIndex([pd.Timestamp("2025-08-01", tz=KST)]), "monthly")
    assert month.iloc[0].to_dict() == {"weekday": 20.0, "saturday": 5.0, "sunday_holiday": 6.0}
    hours = calendar_features(pd.date_range("2025-08-15 00:00", periods=2, freq="h", tz=KST), "hourly")
    assert hours.loc[:, "h01_sunday_holiday"].tolist() == [0.0, 1.0]
    temps = pd.Series([10.0, 14.0, 30.0, 28.0], index=pd.DatetimeIndex([
        "2025-01-01 00:00", "2025-01-01 12:00", "2025-07-01 00:00", "2025-07-01 12:00"]).tz_localize(KST))
    dd = degree_days(temps)
    assert dd["hdd"].tolist() == [6.0, 0.0]   # 18 - 12
    assert dd["cdd"].tolist() == [0.0, 5.0]   # 29 - 24


@pytest.fixture(scope="module")
def steel_kwh(steel_csv: Path) -> pd.Series:
    return read_steel_meter(steel_csv)["kwh"].tz_convert(KST)


def test_steel_monthly_baseline_fails_cv_rmse_passes_nmbe(steel_kwh):
    """The steel year carries neither production nor weather: the baseline has calendar variables only,
    monthly kWh = a × weekdays + b × Saturdays + c × Sundays/holidays (n = 12, p = 3).

    Pinned: R² 0.3190, CV(RMSE) 20.62 % (> 15 %: fails), NMBE +0.17 % (≤ 5 %: passes).  The
    coefficients (5,281 / −8,140 / 961 kWh per day) show why: twelve months of nearly equal day
    counts cannot separate the day types — the data need a production variable.
    Checked independently: the residuals are orthogonal to every variable (the normal equations), and
    R², CV(RMSE), NMBE recomputed here from the residuals."""
    monthly = steel_kwh.resample("MS").sum()
    x = calendar_features(pd.DatetimeIndex(monthly.index), "monthly")
    model = fit(monthly, x, "monthly")
    resid = monthly.to_numpy() - model.predict(x).to_numpy()
    assert np.abs(x.to_numpy().T @ resid).max() < 1e-3 * monthly.sum()
    n, p, mean = 12, 3, monthly.mean()
    assert model.stats.cv_rmse == pytest.approx(np.sqrt((resid ** 2).sum() / (n - p)) / mean)
    assert model.stats.nmbe == pytest.approx(resid.sum() / ((n - p) * mean))
    assert model.stats.r2 == pytest.approx(0.3190, abs=5e-5)
    assert model.stats.cv_rmse == pytest.approx(0.2062, abs=5e-5)
    assert model.stats.nmbe == pytest.approx(0.0017, abs=5e-5)
    assert model.ashrae() == {"cv_rmse_max": 0.15, "nmbe_max": 0.05, "cv_rmse_pass": False, "nmbe_pass": True,
                              "pass": False}


def test_steel_hourly_baseline_fails_cv_rmse_passes_nmbe(steel_kwh):
    """Hourly kWh on 72 indicators (hour of day × weekday/Saturday/Sunday-holiday), n = 8,760, p = 72.

    With one indicator per cell the least-squares prediction is the mean of each cell, computed here
    independently with pandas; R² 0.6752, CV(RMSE) 67.56 % (> 30 %: fails), NMBE 0 (passes)."""
    hourly = steel_kwh.resample("h").sum()
    x = calendar_features(pd.DatetimeIndex(hourly.index), "hourly")
    model = fit(hourly, x, "hourly")
    cell = x.idxmax(axis=1)
    cell_mean = hourly.groupby(cell).transform("mean")
    assert model.predict(x).to_numpy() == pytest.approx(cell_mean.to_numpy())
    assert model.stats.r2 == pytest.approx(0.6752, abs=5e-5)
    assert model.stats.cv_rmse == pytest.approx(0.6756, abs=5e-5)
    assert abs(model.stats.nmbe) < 1e-9
    assert model.ashrae()["cv_rmse_pass"] is False
    assert model.ashrae()["nmbe_pass"] is True
