"""The complex's energy balance and its self-sufficiency and self-consumption rates.

Definitions after Luthander et al., "Photovoltaic self-consumption in buildings: a review",
Applied Energy 142 (2015), eqs. 1-2, with storage: the renewable energy used inside the complex is
``used = generation - export - curtail`` (what the batteries store and give back counts as used,
their losses included), and

* self-consumption rate = used / generation   (how much of the renewables the complex used);
* self-sufficiency rate = min(used, demand) / demand   (how much of the demand the renewables met).

Frames hold energy per interval [kWh] on tz-aware interval starts; days, months and years are
Korean calendar periods (Asia/Seoul).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from sandan.core.timeutil import KST

BALANCE_COLUMNS = ("generation", "demand", "curtail", "import", "export", "charge", "discharge")
_PERIODS = {"day": "D", "month": "MS", "year": "YS"}


def balance_residual_kwh(frame: pd.DataFrame) -> pd.Series:
    """In minus out per interval [kWh]: generation - curtail + import + discharge - demand - charge - export
    (0 when the balance closes)."""
    residual: pd.Series = (frame["generation"] - frame["curtail"] + frame["import"] + frame["discharge"]
                           - frame["demand"] - frame["charge"] - frame["export"])
    return residual


def rates(frame: pd.DataFrame, period: str = "day") -> pd.DataFrame:
    """Totals [kWh] and rates [0..1] per KST ``day``, ``month`` or ``year``.

    Columns: the balance columns summed, ``used``, ``self_consumption``, ``self_sufficiency``
    (NaN where there was no generation, resp. no demand).
    """
    if period not in _PERIODS:
        raise ValueError(f"period must be one of {', '.join(_PERIODS)}")
    local = frame[list(BALANCE_COLUMNS)].copy()
    local.index = pd.DatetimeIndex(frame.index).tz_convert(KST)
    sums = local.resample(_PERIODS[period]).sum()
    sums["used"] = (sums["generation"] - sums["export"] - sums["curtail"]).clip(lower=0)
    generation = sums["generation"].where(sums["generation"] > 0)
    demand = sums["demand"].where(sums["demand"] > 0)
    sums["self_consumption"] = (sums["used"] / generation).clip(upper=1.0)
    sums["self_sufficiency"] = (np.minimum(sums["used"], sums["demand"]) / demand).clip(upper=1.0)
    return sums
