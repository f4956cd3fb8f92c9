"""Energy baselines by linear regression (ISO 50006:2014 §6.4, EnB with relevant variables) and
their statistics checked against ASHRAE Guideline 14-2014 §5.2.2.4 (pure: frames in, model out).

Relevant variables are columns of a frame: production, cooling/heating degree days, operating
hours, and calendar variables built here (:func:`calendar_features`): the number of weekdays,
Saturdays and Sundays/holidays in a month or day, or one indicator per hour of day and day type
for hourly models.  The model is ordinary least squares (``numpy.linalg.lstsq``).

Statistics (ASHRAE Guideline 14-2014, Annex B; n observations, p model parameters):

* R² = 1 − SSE / SST;
* CV(RMSE) = √(SSE / (n − p)) / ȳ;
* NMBE = Σ(y − ŷ) / ((n − p) · ȳ).

Calibration criteria of Guideline 14 for the whole-building approach: monthly data CV(RMSE) ≤ 15 %
and |NMBE| ≤ 5 %; hourly data CV(RMSE) ≤ 30 % and |NMBE| ≤ 10 %.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd

from sandan.core.errors import InvalidInput
from sandan.core.timeutil import KST
from sandan.energy.tariff import tariff_day_type

Granularity = Literal["monthly", "daily", "hourly"]
#: ASHRAE Guideline 14-2014 limits: (CV(RMSE) max, |NMBE| max), as fractions.
ASHRAE_G14 = {"monthly": (0.15, 0.05), "hourly": (0.30, 0.10)}
DAY_TYPES = ("weekday", "saturday", "sunday_holiday")


@dataclass(frozen=True)
class FitStats:
    """Goodness of fit: ``n`` observations, ``p`` parameters, R² [-], CV(RMSE) [-], NMBE [-]."""

    n: int
    p: int
    r2: float | None
    cv_rmse: float | None
    nmbe: float | None

    def to_dict(self) -> dict[str, Any]:
        return {"n": self.n, "p": self.p, "r2": self.r2, "cv_rmse": self.cv_rmse, "nmbe": self.nmbe}


@dataclass
class BaselineModel:
    """A fitted baseline: ``coefficients`` per feature [energy unit per feature unit], its statistics,
    the Guideline 14 verdict and warnings as data (``code``, ``message``)."""

    granularity: str
    coefficients: dict[str, float]
    stats: FitStats
    warnings: list[dict[str, str]] = field(default_factory=list)

    def predict(self, features: pd.DataFrame) -> pd.Series:
        missing = [c for c in self.coefficients if c not in features]
        if missing:
            raise InvalidInput(f"the baseline needs the variables {', '.join(missing)}", field="features")
        x = features[list(self.coefficients)].to_numpy(dtype=float)
        return pd.Series(x @ np.array(list(self.coefficients.values())), index=features.index)

    def ashrae(self) -> dict[str, Any]:
        return ashrae_g14(self.stats, self.granularity)

    def to_dict(self) -> dict[str, Any]:
        return {"granularity": self.granularity, "coefficients": self.coefficients, "stats": self.stats.to_dict(),
                "ashrae_g14": self.ashrae(), "warnings": self.warnings}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> BaselineModel:
        s = data["stats"]
        return cls(data["granularity"], dict(data["coefficients"]),
                   FitStats(s["n"], s["p"], s["r2"], s["cv_rmse"], s["nmbe"]), list(data.get("warnings", [])))


def statistics(y: np.ndarray, y_hat: np.ndarray, p: int) -> FitStats:
    """R², CV(RMSE) and NMBE of a fit (ASHRAE Guideline 14-2014 Annex B)."""
    y, y_hat = np.asarray(y, dtype=float), np.asarray(y_hat, dtype=float)
    n = len(y)
    if n <= p:
        return FitStats(n, p, None, None, None)
    mean = float(y.mean())
    resid = y - y_hat
    sse = float((resid ** 2).sum())
    sst = float(((y - mean) ** 2).sum())
    r2 = 1 - sse / sst if sst > 0 else None
    cv = math.sqrt(sse / (n - p)) / mean if mean != 0 else None
    nmbe = float(resid.sum()) / ((n - p) * mean) if mean != 0 else None
    return FitStats(n, p, r2, cv, nmbe)


def ashrae_g14(stats: FitStats, granularity: str) -> dict[str, Any]:
    """Pass/fail of each Guideline 14 criterion; Guideline 14 sets monthly and hourly limits only, so
    a daily model answers ``None``."""
    limits = ASHRAE_G14.get(granularity)
    if limits is None or stats.cv_rmse is None or stats.nmbe is None:
        return {"cv_rmse_max": None, "nmbe_max": None, "cv_rmse_pass": None, "nmbe_pass": None, "pass": None}
    cv_ok = stats.cv_rmse <= limits[0]
    nmbe_ok = abs(stats.nmbe) <= limits[1]
    return {"cv_rmse_max": limits[0], "nmbe_max": limits[1], "cv_rmse_pass": cv_ok, "nmbe_pass": nmbe_ok,
            "pass": cv_ok and nmbe_ok}


def fit(y: pd.Series, features: pd.DataFrame, granularity: Granularity) -> BaselineModel:
    """Least-squares baseline of ``y`` [energy per period] on ``features`` (one column per variable;
    include a column of ones for an intercept).  Rows with a missing value are left out."""
    frame = features.join(y.rename("_y"), how="inner").dropna()
    if frame.empty:
        raise InvalidInput("no period has both energy and every variable", field="features")
    x = frame[list(features.columns)].to_numpy(dtype=float)
    target = frame["_y"].to_numpy(dtype=float)
    keep = np.abs(x).sum(axis=0) > 0  # a variable that is zero throughout carries no information
    cols = [c for c, k in zip(features.columns, keep, strict=True) if k]
    beta, *_ = np.linalg.lstsq(x[:, keep], target, rcond=None)
    y_hat = x[:, keep] @ beta
    stats = statistics(target, y_hat, len(cols))
    warnings = []
    if len(frame) < 2 * len(cols):
        warnings.append({"code": "few_observations",
                         "message": f"{len(frame)} observations for {len(cols)} parameters"})
    return BaselineModel(granularity, {c: float(b) for c, b in zip(cols, beta, strict=True)}, stats, warnings)


def calendar_features(index: pd.DatetimeIndex, granularity: Granularity) -> pd.DataFrame:
    """Calendar variables for periods starting at ``index`` (tz-aware; KST calendar).

    ``monthly`` and ``daily``: the number of weekdays, Saturdays and Sundays/holidays in the period
    (no intercept: they add up to the days of the period); ``hourly``: an indicator per hour of day
    and day type (72 columns, ``h07_weekday`` …).
    """
    local = index.tz_convert(KST)
    if granularity == "hourly":
        types = np.array([tariff_day_type(d) for d in local.date], dtype=object)
        out = {f"h{h:02d}_{t}": ((local.hour == h) & (types == t)).astype(float)
               for t in DAY_TYPES for h in range(24)}
        return pd.DataFrame(out, index=index)
    rows = []
    for start in local:
        end = start + (pd.offsets.MonthBegin(1) if granularity == "monthly" else pd.Timedelta(days=1))
        days = pd.date_range(start, end, freq="D", inclusive="left")
        counts = dict.fromkeys(DAY_TYPES, 0.0)
        for d in days.date:
            counts[tariff_day_type(d)] += 1
        rows.append(counts)
    return pd.DataFrame(rows, index=index, columns=list(DAY_TYPES))


def degree_days(temp_air_degc: pd.Series, base_heating_degc: float = 18.0,
                base_cooling_degc: float = 24.0) -> pd.DataFrame:
    """Heating and cooling degree days [K·d] per KST day from air temperatures [°C] (daily mean method)."""
    local = temp_air_degc.tz_convert(KST) if isinstance(temp_air_degc.index, pd.DatetimeIndex) else temp_air_degc
    daily = local.groupby(pd.DatetimeIndex(local.index).date).mean()
    return pd.DataFrame({"hdd": (base_heating_degc - daily).clip(lower=0),
                         "cdd": (daily - base_cooling_degc).clip(lower=0)})
