"""Small wind turbine output from the turbine's own power curve.

Small turbines are rarely in windpowerlib's library, so the plant's curve is interpolated with
numpy and the measured wind is carried to hub height by the power law
``v_hub = v_ref * (h_hub / h_ref) ** alpha`` (alpha = 1/7 for open terrain).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd


def hub_height_wind_m_s(wind_m_s: pd.Series, measured_at_m: float, hub_height_m: float,
                        shear_exponent: float = 1 / 7) -> pd.Series:
    """Wind speed at hub height [m/s] from wind measured at ``measured_at_m`` [m] (power law)."""
    hub: pd.Series = wind_m_s.clip(lower=0) * (hub_height_m / measured_at_m) ** shear_exponent
    return hub


def curve_power_kw(hub_wind_m_s: pd.Series, speeds_m_s: Sequence[float], power_kw: Sequence[float]) -> pd.Series:
    """Power of one turbine [kW] by linear interpolation of its curve; 0 below the first and above
    the last point of the curve (cut-in and cut-out)."""
    values = np.interp(hub_wind_m_s.to_numpy(dtype=float), np.asarray(speeds_m_s, dtype=float),
                       np.asarray(power_kw, dtype=float), left=0.0, right=0.0)
    return pd.Series(values, index=hub_wind_m_s.index, name="power_kw")


def wind_energy_kwh(wind_m_s: pd.Series, *, measured_at_m: float, hub_height_m: float,
                    speeds_m_s: Sequence[float], power_kw: Sequence[float], turbines: int = 1,
                    shear_exponent: float = 1 / 7, freq: str = "15min") -> pd.Series:
    """Energy [kWh] per interval of ``freq`` from the mean wind of each interval [m/s]."""
    hub = hub_height_wind_m_s(wind_m_s, measured_at_m, hub_height_m, shear_exponent)
    hours = pd.Timedelta(freq) / pd.Timedelta(hours=1)
    return (curve_power_kw(hub, speeds_m_s, power_kw) * turbines * hours).rename("wind_kwh")
