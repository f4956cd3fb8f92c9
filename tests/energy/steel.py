"""The real steel plant year (UCI dataset 851, CC BY 4.0) as meter data for the tariff tests."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from sandan.core.timeutil import KST


def read_steel_meter(path: Path) -> pd.DataFrame:
    """15-minute kWh and kvarh indexed by interval start (UTC).

    The file labels each interval by its END in local time, and writes the interval ending at
    midnight as ``00:00`` of the day it ends (``31/12/2018 00:00`` ends at 2019-01-01 00:00).
    """
    raw = pd.read_csv(path, encoding="utf-8-sig")
    end = pd.to_datetime(raw["date"], format="%d/%m/%Y %H:%M")
    end = end + pd.to_timedelta(((end.dt.hour == 0) & (end.dt.minute == 0)).astype(int), unit="D")
    start = (end - pd.Timedelta(minutes=15)).dt.tz_localize(KST).dt.tz_convert("UTC")
    frame = pd.DataFrame({"kwh": raw["Usage_kWh"].to_numpy(),
                          "lag_kvarh": raw["Lagging_Current_Reactive_Power_kVarh"].to_numpy(),
                          "lead_kvarh": raw["Leading_Current_Reactive_Power_kVarh"].to_numpy()},
                         index=pd.DatetimeIndex(start, name="ts"))
    return frame.sort_index()
