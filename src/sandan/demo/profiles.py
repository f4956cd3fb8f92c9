"""Synthetic factory profiles for the demo complex (pure: arrays of epoch seconds in, values out).

Every value is a deterministic function of the tenant's parameters and the timestamp: noise
comes from a counter-based hash (splitmix64) of ``(seed, stream, interval index)``, not from a
sequential generator.  So the history the loader writes and the readings the simulator appends
later are the same function, a re-run writes identical values (duplicates, never conflicts),
and any interval can be regenerated on its own.

Local time is Korean (KST, UTC+9, no daylight saving); Korean public holidays
(:func:`sandan.core.timeutil.korean_holidays`) are closed days, except for continuous plants.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from sandan.core.timeutil import KST_OFFSET_S, korean_holidays

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
DAY_S = 86400
WEEK_S = 7 * DAY_S

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)


def _mix(x: npt.NDArray[np.uint64]) -> npt.NDArray[np.uint64]:
    """splitmix64 finaliser, elementwise (uint64 arithmetic wraps by design)."""
    x = x + _GOLDEN
    x = (x ^ (x >> np.uint64(30))) * _M1
    x = (x ^ (x >> np.uint64(27))) * _M2
    return x ^ (x >> np.uint64(31))


def hash_uniform(seed: int, stream: int, index: IntArray) -> FloatArray:
    """Uniform numbers in [0, 1), one per ``index``, fixed by ``(seed, stream, index)``."""
    key = _mix(np.array([(seed & 0xFFFFFFFF) << 16 | (stream & 0xFFFF)], dtype=np.uint64))
    mixed = _mix(np.atleast_1d(np.asarray(index)).astype(np.int64).view(np.uint64) ^ key)
    return np.asarray((mixed >> np.uint64(11)).astype(np.float64) * 2.0**-53, dtype=np.float64)


def hash_normal(seed: int, stream: int, index: IntArray) -> FloatArray:
    """Standard normal numbers fixed by ``(seed, stream, index)`` (Box-Muller)."""
    u1 = hash_uniform(seed, 2 * stream, index)
    u2 = hash_uniform(seed, 2 * stream + 1, index)
    return np.asarray(np.sqrt(-2.0 * np.log1p(-u1)) * np.cos(2.0 * math.pi * u2), dtype=np.float64)


# --- calendar ----------------------------------------------------------------------------------

def kst_day(ts_s: IntArray) -> IntArray:
    """KST calendar day number (days since 1970-01-01 KST) of each timestamp [epoch s]."""
    return np.asarray((np.asarray(ts_s, dtype=np.int64) + KST_OFFSET_S) // DAY_S, dtype=np.int64)


def kst_hour(ts_s: IntArray) -> FloatArray:
    """Hour of the KST day [h, 0 … 24) of each timestamp [epoch s]."""
    return np.asarray(((np.asarray(ts_s, dtype=np.int64) + KST_OFFSET_S) % DAY_S) / 3600.0, dtype=np.float64)


def holiday_mask(day: IntArray) -> npt.NDArray[np.bool_]:
    """Whether each KST day number is a Korean public holiday."""
    day = np.asarray(day, dtype=np.int64)
    if day.size == 0:
        return np.zeros(0, dtype=bool)
    dates = day.astype("datetime64[D]")
    years = range(int(dates.min().astype(object).year), int(dates.max().astype(object).year) + 1)
    closed = [np.datetime64(d, "D") for year in years for d in korean_holidays(year)]
    return np.isin(dates, np.array(closed, dtype="datetime64[D]"))


def day_of_year(day: IntArray) -> IntArray:
    dates = np.asarray(day, dtype=np.int64).astype("datetime64[D]")
    return np.asarray((dates - dates.astype("datetime64[Y]")).astype(np.int64) + 1, dtype=np.int64)


# --- electric load -----------------------------------------------------------------------------

#: operating hours [h, KST] of each shift pattern: (start, end)
SHIFT_HOURS = {1: (8.0, 17.0), 2: (6.0, 22.0), 3: (0.0, 24.0)}


@dataclass(frozen=True)
class LoadProfile:
    """A factory's electric load.

    ``peak_kw`` [kW] is the full-production load; ``base_frac`` the idle share of it (standby,
    compressors, lighting); ``shifts`` 1, 2 or 3 (3 = continuous); ``saturday``/``sunday`` whether
    production runs on those days (``sunday`` also keeps a continuous plant running on public
    holidays); ``lunch_dip`` the share of production that stops 12:00-13:00; ``noise`` the
    relative standard deviation of each 15-minute interval; ``cooling`` the extra share in
    midsummer.
    """

    seed: int
    peak_kw: float
    base_frac: float = 0.2
    shifts: int = 1
    saturday: bool = False
    sunday: bool = False
    lunch_dip: float = 0.3
    noise: float = 0.05
    cooling: float = 0.1

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> LoadProfile:
        return cls(**{k: data[k] for k in cls.__dataclass_fields__ if k in data})


def _ramp(hour: FloatArray, start: float, end: float, width_h: float = 0.5) -> FloatArray:
    """1 inside [start, end), 0 outside, with linear ramps of ``width_h`` [h] at both edges."""
    if start <= 0.0 and end >= 24.0:
        return np.ones_like(hour)
    up = np.clip((hour - start) / width_h + 0.5, 0.0, 1.0)
    down = np.clip((end - hour) / width_h + 0.5, 0.0, 1.0)
    return np.asarray(up * down, dtype=np.float64)


def production_share(ts_s: IntArray, p: LoadProfile) -> FloatArray:
    """Share of full production [0 … 1] running at each timestamp [epoch s]."""
    ts = np.asarray(ts_s, dtype=np.int64)
    day = kst_day(ts)
    hour = kst_hour(ts)
    weekday = (day + 3) % 7  # 1970-01-01 was a Thursday; Monday = 0
    start, end = SHIFT_HOURS[p.shifts]
    share = _ramp(hour, start, end)
    if p.shifts < 3:
        share = share * (1.0 - p.lunch_dip * _ramp(hour, 12.0, 13.0, 0.25))
    else:  # shift handovers at 06, 14 and 22
        for handover in (6.0, 14.0, 22.0):
            share = share * (1.0 - 0.15 * _ramp(hour, handover - 0.25, handover + 0.25, 0.25))
    intensity = np.ones_like(hour)
    intensity[weekday == 5] = 0.75 if p.saturday else 0.0
    intensity[weekday == 6] = 0.9 if p.sunday else 0.0
    holiday = holiday_mask(day)
    intensity[holiday] = 0.85 if p.sunday else 0.0
    return np.asarray(share * intensity, dtype=np.float64)


def seasonal_factor(ts_s: IntArray, cooling: float) -> FloatArray:
    """Cooling load in summer (peak in early August) and a little heating in January [-]."""
    doy = day_of_year(kst_day(np.asarray(ts_s, dtype=np.int64)))
    summer = np.clip(np.cos(2 * math.pi * (doy - 215) / 365.0), 0.0, None) ** 2
    winter = np.clip(np.cos(2 * math.pi * (doy - 15) / 365.0), 0.0, None) ** 2
    return np.asarray(1.0 + cooling * summer + 0.4 * cooling * winter, dtype=np.float64)


def expected_power_kw(ts_s: IntArray, p: LoadProfile) -> FloatArray:
    """Noise-free load [kW] at each timestamp [epoch s]."""
    share = production_share(ts_s, p)
    return np.asarray(p.peak_kw * (p.base_frac + (1.0 - p.base_frac) * share) * seasonal_factor(ts_s, p.cooling),
                      dtype=np.float64)


def interval_energy_kwh(starts_s: IntArray, p: LoadProfile, interval_s: int = 900, *, stream: int = 0) -> FloatArray:
    """Energy [kWh] of each interval starting at ``starts_s`` [epoch s]: the load at mid-interval
    × the interval length, with the interval's noise (``stream`` separates sub-meters)."""
    starts = np.asarray(starts_s, dtype=np.int64)
    power = expected_power_kw(starts + interval_s // 2, p)
    noise = 1.0 + p.noise * hash_normal(p.seed, stream, starts // interval_s)
    return np.asarray(np.clip(power * noise, 0.0, None) * interval_s / 3600.0, dtype=np.float64)


def power_sample_kw(ts_s: IntArray, p: LoadProfile, interval_s: int = 900) -> FloatArray:
    """An instantaneous power reading [kW] at each timestamp [epoch s]: the interval's level
    (same noise as :func:`interval_energy_kwh`) with a little second-to-second jitter."""
    ts = np.asarray(ts_s, dtype=np.int64)
    level = expected_power_kw(ts, p) * (1.0 + p.noise * hash_normal(p.seed, 0, ts // interval_s))
    jitter = 1.0 + 0.02 * hash_normal(p.seed, 7, ts)
    return np.asarray(np.clip(level * jitter, 0.0, None), dtype=np.float64)


# --- rooftop PV --------------------------------------------------------------------------------

@dataclass(frozen=True)
class PvProfile:
    """A rooftop PV plant: ``kwp`` [kWp] peak power, ``lat``/``lon`` [deg], ``performance_ratio`` [-]."""

    seed: int
    kwp: float
    lat: float = 34.93
    lon: float = 127.70
    performance_ratio: float = 0.8

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> PvProfile:
        return cls(**{k: data[k] for k in cls.__dataclass_fields__ if k in data})


def sun_elevation_sin(ts_s: IntArray, lat_deg: float, lon_deg: float) -> FloatArray:
    """Sine of the solar elevation [-] (Cooper declination, mean solar time; good to a few degrees)."""
    ts = np.asarray(ts_s, dtype=np.int64)
    doy = day_of_year(kst_day(ts))
    declination = np.radians(23.45) * np.sin(2 * math.pi * (284 + doy) / 365.0)
    utc_hour = (ts % DAY_S) / 3600.0
    solar_hour = utc_hour + lon_deg / 15.0
    hour_angle = np.radians(15.0 * (solar_hour - 12.0))
    lat = math.radians(lat_deg)
    return np.asarray(math.sin(lat) * np.sin(declination) + math.cos(lat) * np.cos(declination) * np.cos(hour_angle),
                      dtype=np.float64)


def cloudiness(day: IntArray, seed: int) -> FloatArray:
    """Share of clear-sky output a day lets through [0.1 … 1]: mostly clear, some overcast days."""
    u = hash_uniform(seed, 11, np.asarray(day, dtype=np.int64))
    return np.asarray(0.1 + 0.9 * (1.0 - u**2.5), dtype=np.float64)


def pv_energy_kwh(starts_s: IntArray, p: PvProfile, interval_s: int = 900) -> FloatArray:
    """PV output [kWh] of each interval: a clear-sky bell (irradiance ~ sin(elevation)^1.15 of
    1000 W m-2) × the day's cloudiness × passing clouds, at mid-interval."""
    starts = np.asarray(starts_s, dtype=np.int64)
    mid = starts + interval_s // 2
    sin_el = np.clip(sun_elevation_sin(mid, p.lat, p.lon), 0.0, None)
    clear_fraction = sin_el**1.15
    day_clouds = cloudiness(kst_day(mid), p.seed)
    passing = 1.0 - (1.0 - day_clouds) * hash_uniform(p.seed, 12, starts // interval_s)
    power_kw = p.kwp * p.performance_ratio * clear_fraction * np.clip(passing, 0.05, 1.0)
    return np.asarray(power_kw * interval_s / 3600.0, dtype=np.float64)


# --- gas ---------------------------------------------------------------------------------------

@dataclass(frozen=True)
class GasProfile:
    """LNG use: ``process_nm3_h`` [Nm3 h-1] at full production (furnaces, boilers, dryers) and
    ``heating_nm3_h`` [Nm3 h-1] of space heating on the coldest day."""

    seed: int
    process_nm3_h: float
    heating_nm3_h: float
    load: LoadProfile

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["load"] = self.load.to_dict()
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> GasProfile:
        return cls(int(data["seed"]), float(data["process_nm3_h"]), float(data["heating_nm3_h"]),
                   LoadProfile.from_dict(data["load"]))


def gas_volume_nm3(starts_s: IntArray, p: GasProfile, interval_s: int = 900) -> FloatArray:
    """Gas volume [Nm3] of each interval: process gas follows production, heating follows winter."""
    starts = np.asarray(starts_s, dtype=np.int64)
    mid = starts + interval_s // 2
    share = production_share(mid, p.load)
    doy = day_of_year(kst_day(mid))
    winter = np.clip(np.cos(2 * math.pi * (doy - 15) / 365.0), 0.0, None) ** 1.5
    heating = p.heating_nm3_h * winter * (0.3 + 0.7 * (share > 0.05))
    flow = (0.05 * p.process_nm3_h + p.process_nm3_h * share + heating) * (
        1.0 + 0.06 * hash_normal(p.seed, 21, starts // interval_s))
    return np.asarray(np.clip(flow, 0.0, None) * interval_s / 3600.0, dtype=np.float64)


# --- replaying a real year ---------------------------------------------------------------------

def shift_year_to(ts_s: IntArray, end_s: int, interval_s: int = 900) -> IntArray:
    """Move a year of interval starts [epoch s] so that its last interval ends at ``end_s``.

    Only whole weeks are used, so weekdays stay weekdays: the year is moved forward by the
    whole number of weeks that makes it end at or just after ``end_s``, and the intervals that
    would then end after ``end_s`` (less than a week of them) go 53 weeks back, in front of the
    year's start (a year of 365 days is 52 weeks and a day, so 53 weeks back leaves a gap of
    six days and no overlap).  Every interval is kept exactly once.
    """
    ts = np.asarray(ts_s, dtype=np.int64)
    if ts.size == 0:
        return ts
    span_end = int(ts.max()) + interval_s
    weeks = -((span_end - end_s) // WEEK_S)  # ceiling division: end at or after end_s
    shifted = ts + weeks * WEEK_S
    late = shifted + interval_s > end_s
    shifted[late] -= 53 * WEEK_S
    return np.asarray(shifted, dtype=np.int64)


# --- one entry point for stored sources ---------------------------------------------------------

def synthetic_values(source: Mapping[str, Any], ts_s: IntArray, interval_s: int = 900) -> FloatArray | None:
    """Values of a simulated point at ``ts_s`` [epoch s] from its stored ``Point.source``.

    ``source["simulate"]`` names the model: ``load`` (interval energy [kWh], times ``share`` for
    a sub-meter, noise ``stream``), ``power`` (instantaneous load [kW]), ``pv`` (generation
    [kWh]), ``gas`` (volume [Nm3]).  ``interval_s`` [s] is the energy interval the noise is
    keyed on.  Returns None for sources that are not synthetic (replayed real data).
    """
    model = source.get("simulate")
    ts = np.asarray(ts_s, dtype=np.int64)
    if model == "load":
        load = LoadProfile.from_dict(source["profile"])
        share = float(source.get("share", 1.0))
        return share * interval_energy_kwh(ts, load, interval_s, stream=int(source.get("stream", 0)))
    if model == "power":
        return power_sample_kw(ts, LoadProfile.from_dict(source["profile"]), interval_s)
    if model == "pv":
        return pv_energy_kwh(ts, PvProfile.from_dict(source["profile"]), interval_s)
    if model == "gas":
        return gas_volume_nm3(ts, GasProfile.from_dict(source["profile"]), interval_s)
    return None
