"""PV plant output with pvlib's ModelChain (PVWatts-style DC and AC models).

Pure: a plant description and weather in, power and energy out.  Glossary as pvlib's: ``ghi``,
``dni``, ``dhi`` [W m-2], ``temp_air`` [degC], ``wind_speed`` [m s-1].  When no weather is given
the plant is modelled under clear sky (Ineichen with the Linke turbidity climatology shipped with
pvlib).

Energy of an interval is its start-labelled power sampled at the interval's middle times its
length (the store labels interval totals by their start).
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import numpy.typing as npt
import pandas as pd
import pvlib
from pvlib.location import Location
from pvlib.modelchain import ModelChain
from pvlib.pvsystem import PVSystem
from pvlib.temperature import TEMPERATURE_MODEL_PARAMETERS

#: SAPM cell-temperature parameters by mounting: ground racks are open, rooftop arrays run hotter.
MOUNTING_TEMPERATURE = {"ground": "open_rack_glass_polymer", "rooftop": "close_mount_glass_glass"}
WEATHER_COLUMNS = ("ghi", "dni", "dhi", "temp_air", "wind_speed")
#: PVWatts' loss categories; it combines them as 1 - prod(1 - x/100), so the plant's lumped
#: system losses go into one of them (soiling) and the others are 0.
_PVWATTS_LOSSES = ("soiling", "shading", "snow", "mismatch", "wiring", "connections", "lid",
                   "nameplate_rating", "age", "availability")


@contextmanager
def quiet_pvlib() -> Iterator[None]:
    """pvlib 0.16 still calls ``DatetimeIndex.dayofyear``, which pandas 3 deprecates (a Pandas4Warning
    on every call): silence only that, only from pvlib."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="DatetimeIndex.dayofyear is deprecated",
                                category=DeprecationWarning)
        yield


@dataclass(frozen=True)
class PvPlant:
    """What pvlib needs of a plant.

    ``dc_kw`` DC rating at STC [kWp]; ``ac_kw`` inverter AC rating [kW]; ``tilt_deg`` and
    ``azimuth_deg`` [deg, 180 = south]; ``gamma_pdc_pct_per_c`` [%/degC]; ``losses_pct`` PVWatts
    system losses [%]; ``inverter_efficiency_pct`` nominal [%]; ``lat``/``lon`` [deg];
    ``altitude_m`` [m]; ``mounting`` ``rooftop`` or ``ground``.
    """

    dc_kw: float
    ac_kw: float
    tilt_deg: float
    azimuth_deg: float
    lat: float
    lon: float
    altitude_m: float = 0.0
    gamma_pdc_pct_per_c: float = -0.37
    losses_pct: float = 14.0
    inverter_efficiency_pct: float = 96.0
    albedo: float = 0.25
    mounting: str = "rooftop"

    def system(self) -> PVSystem:
        """The pvlib system: PVWatts DC (``pdc0`` in W) and inverter, SAPM cell temperature."""
        return PVSystem(
            surface_tilt=self.tilt_deg, surface_azimuth=self.azimuth_deg, albedo=self.albedo,
            module_parameters={"pdc0": self.dc_kw * 1000.0, "gamma_pdc": self.gamma_pdc_pct_per_c / 100.0},
            inverter_parameters={"pdc0": self.ac_kw * 1000.0 / (self.inverter_efficiency_pct / 100.0),
                                 "eta_inv_nom": self.inverter_efficiency_pct / 100.0},
            temperature_model_parameters=TEMPERATURE_MODEL_PARAMETERS["sapm"][MOUNTING_TEMPERATURE[self.mounting]],
            losses_parameters=dict.fromkeys(_PVWATTS_LOSSES, 0.0) | {"soiling": self.losses_pct})

    def location(self) -> Location:
        return Location(self.lat, self.lon, tz="UTC", altitude=self.altitude_m)


def clear_sky_weather(plant: PvPlant, times: pd.DatetimeIndex) -> pd.DataFrame:
    """Clear-sky ``ghi``/``dni``/``dhi`` [W m-2] at ``times`` (Ineichen), 20 degC air, 1 m/s wind."""
    with quiet_pvlib():
        sky = plant.location().get_clearsky(times, model="ineichen")
    weather = pd.DataFrame(sky[["ghi", "dni", "dhi"]])
    weather["temp_air"] = 20.0
    weather["wind_speed"] = 1.0
    return weather


def weather_from_ghi(plant: PvPlant, starts: pd.DatetimeIndex, ghi_w_m2: pd.Series,
                     temp_air_degc: pd.Series | None = None, freq: str = "15min") -> pd.DataFrame:
    """Weather for :func:`pv_energy_kwh` from measured GHI [W m-2] (interval means on ``starts``):
    DNI and DHI by the Erbs decomposition at each interval's middle; air temperature [degC] where
    measured, else 20 degC; wind 1 m/s.  Intervals without GHI take the clear-sky values."""
    middles = starts + pd.Timedelta(freq) / 2
    with quiet_pvlib():
        zenith = plant.location().get_solarposition(middles)["zenith"].to_numpy()
    clear = clear_sky_weather(plant, middles).set_axis(starts)
    ghi = ghi_w_m2.reindex(starts).clip(lower=0)
    with quiet_pvlib():
        parts = pvlib.irradiance.erbs(ghi.fillna(0.0).to_numpy(), zenith, middles)
    measured = ghi.notna().to_numpy()
    weather = pd.DataFrame({
        "ghi": np.where(measured, ghi.fillna(0.0).to_numpy(), clear["ghi"].to_numpy()),
        "dni": np.where(measured, np.asarray(parts["dni"], dtype=float), clear["dni"].to_numpy()),
        "dhi": np.where(measured, np.asarray(parts["dhi"], dtype=float), clear["dhi"].to_numpy()),
        "temp_air": 20.0, "wind_speed": 1.0}, index=starts)
    if temp_air_degc is not None:
        weather["temp_air"] = temp_air_degc.reindex(starts).fillna(20.0).to_numpy()
    return weather


def pv_power_w(plant: PvPlant, weather: pd.DataFrame) -> pd.DataFrame:
    """AC and DC power [W] at the times of ``weather`` (a tz-aware index), via ModelChain.with_pvwatts.

    ``weather`` holds ``ghi``, ``dni``, ``dhi`` [W m-2] and optionally ``temp_air`` [degC] and
    ``wind_speed`` [m s-1].  Night and negative AC (inverter tare) are clipped to 0.
    """
    mc = ModelChain.with_pvwatts(plant.system(), plant.location())
    with quiet_pvlib():
        mc.run_model(weather)
    ac = mc.results.ac.clip(lower=0).fillna(0.0)
    dc = pd.Series(mc.results.dc, index=weather.index).clip(lower=0).fillna(0.0)
    return pd.DataFrame({"p_ac_w": ac, "p_dc_w": dc, "poa_global_w_m2": mc.results.total_irrad["poa_global"],
                         "temp_cell_degc": mc.results.cell_temperature})


def pv_energy_kwh(plant: PvPlant, starts: pd.DatetimeIndex, freq: str = "15min",
                  weather: pd.DataFrame | None = None) -> pd.Series:
    """AC energy [kWh] per interval starting at ``starts`` (tz-aware) of length ``freq``.

    ``weather`` is indexed by the same interval starts (averages of each interval); None means
    clear sky.  Power is computed at each interval's middle.
    """
    step = pd.Timedelta(freq)
    if weather is None and len(starts) and pd.DatetimeIndex(starts).equals(
            pd.date_range(starts[0], periods=len(starts), freq=step)):
        energy = _clear_sky_kwh(plant, starts[0], len(starts), step)
        return pd.Series(energy, index=starts, name="pv_kwh")
    middles = starts + step / 2
    sample = clear_sky_weather(plant, middles) if weather is None else weather.reindex(starts).set_axis(middles)
    power = pv_power_w(plant, sample)["p_ac_w"]
    return pd.Series(power.to_numpy() / 1000.0 * (step / pd.Timedelta(hours=1)), index=starts, name="pv_kwh")


@lru_cache(maxsize=512)
def _clear_sky_kwh(plant: PvPlant, first: pd.Timestamp, periods: int, step: pd.Timedelta) -> npt.NDArray[np.float64]:
    """Clear-sky energy of a regular range (memoised: pages and the balance ask for the same days again)."""
    starts = pd.date_range(first, periods=periods, freq=step)
    power = pv_power_w(plant, clear_sky_weather(plant, starts + step / 2))["p_ac_w"]
    energy = power.to_numpy(dtype=np.float64) / 1000.0 * (step / pd.Timedelta(hours=1))
    energy.setflags(write=False)
    return energy


def read_tmy3(path: str) -> tuple[pd.DataFrame, dict[str, float]]:
    """A TMY3 file as weather (``ghi``, ``dni``, ``dhi``, ``temp_air``, ``wind_speed``) labelled by
    hour **start** in UTC, and its metadata (``latitude``, ``longitude``, ``altitude``).

    TMY3 labels each hour by its end in local standard time; the data of 1:00 is the hour 0:00-1:00.
    """
    data, meta = pvlib.iotools.read_tmy3(path, coerce_year=1990, map_variables=True)
    data = data[list(WEATHER_COLUMNS)].astype(float)
    data.index = (data.index - pd.Timedelta(hours=1)).tz_convert("UTC")
    return data.sort_index(), {"latitude": float(meta["latitude"]), "longitude": float(meta["longitude"]),
                               "altitude": float(meta["altitude"])}


def pv_energy_kwh_many(plants: list[PvPlant], starts: pd.DatetimeIndex, freq: str = "15min",
                       weather: pd.DataFrame | None = None) -> pd.DataFrame:
    """AC energy [kWh] per interval of many plants at once (one column per plant, in order).

    The same chain as :func:`pv_energy_kwh` (ModelChain.with_pvwatts), with what plants share
    computed once: sun position, extraterrestrial irradiance and air mass per location; plane-of-array
    irradiance and cell temperature per orientation and mounting; then DC and AC per plant.  For a
    complex, where every plant sees the same sky, this is what makes a year of 200 plants cheap.
    ``weather`` as in :func:`pv_energy_kwh` (None: clear sky per location).
    """
    step = pd.Timedelta(freq)
    hours = step / pd.Timedelta(hours=1)
    middles = starts + step / 2
    out = np.zeros((len(starts), len(plants)))
    by_site: dict[tuple[float, float, float], list[int]] = {}
    for i, plant in enumerate(plants):
        by_site.setdefault((plant.lat, plant.lon, plant.altitude_m), []).append(i)
    for (lat, lon, altitude), members in by_site.items():
        first = plants[members[0]]
        sample = (clear_sky_weather(first, middles) if weather is None
                  else weather.reindex(starts).set_axis(middles))
        with quiet_pvlib():
            sun = pvlib.solarposition.get_solarposition(middles, lat, lon, altitude,
                                                        pressure=pvlib.atmosphere.alt2pres(altitude),
                                                        temperature=sample["temp_air"])
            dni_extra = pvlib.irradiance.get_extra_radiation(middles)
        airmass = pvlib.atmosphere.get_relative_airmass(sun["apparent_zenith"], model="kastenyoung1989")
        by_orientation: dict[tuple[float, float, float, str], list[int]] = {}
        for i in members:
            p = plants[i]
            by_orientation.setdefault((p.tilt_deg, p.azimuth_deg, p.albedo, p.mounting), []).append(i)
        for (tilt, azimuth, albedo, mounting), group in by_orientation.items():
            poa = pvlib.irradiance.get_total_irradiance(
                tilt, azimuth, sun["apparent_zenith"], sun["azimuth"], sample["dni"], sample["ghi"], sample["dhi"],
                dni_extra=dni_extra, airmass=airmass, model="perez", albedo=albedo)
            aoi = pvlib.irradiance.aoi(tilt, azimuth, sun["apparent_zenith"], sun["azimuth"])
            effective = (poa["poa_direct"] * pvlib.iam.physical(aoi) + poa["poa_diffuse"]).to_numpy()
            cell = pvlib.temperature.sapm_cell(poa["poa_global"], sample["temp_air"], sample["wind_speed"],
                                               **TEMPERATURE_MODEL_PARAMETERS["sapm"][MOUNTING_TEMPERATURE[mounting]])
            cell_np = np.asarray(cell, dtype=float)
            for i in group:
                p = plants[i]
                dc = pvlib.pvsystem.pvwatts_dc(effective, cell_np, p.dc_kw * 1000.0, p.gamma_pdc_pct_per_c / 100.0)
                dc = dc * (1 - p.losses_pct / 100.0)
                eta = p.inverter_efficiency_pct / 100.0
                ac = pvlib.inverter.pvwatts(dc, p.ac_kw * 1000.0 / eta, eta)
                out[:, i] = np.nan_to_num(np.clip(ac, 0, None)) / 1000.0 * hours
    return pd.DataFrame(out, index=starts)
