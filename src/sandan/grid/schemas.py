"""API shapes of the grid domain: the DER registry (one spec per kind), model and balance answers."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from sandan.core.tenancy.schemas import RowId, UtcDatetime, WriteModel
from sandan.grid.models import Feeds

Pct = Annotated[float, Field(ge=0, le=100)]


class PvSpec(WriteModel):
    """A PV plant: modules in strings on inverters, one orientation (PVWatts-style parameters)."""

    kind: Literal["pv"] = "pv"
    mounting: Literal["rooftop", "ground"] = "rooftop"
    module_model: str = Field("", max_length=100, description="module make and model")
    module_power_w: float = Field(gt=0, le=1000, description="module rating at STC [W]")
    modules_per_string: int = Field(ge=1, le=100)
    strings: int = Field(ge=1, le=10_000, description="strings in the plant (all inverters)")
    inverter_model: str = Field("", max_length=100)
    inverters: int = Field(1, ge=1, le=1000)
    inverter_ac_kw: float = Field(gt=0, le=10_000, description="AC rating of one inverter [kW]")
    inverter_efficiency_pct: float = Field(96.0, gt=50, le=100, description="nominal efficiency [%]")
    tilt_deg: float = Field(ge=0, le=90, description="tilt from horizontal [deg]")
    azimuth_deg: float = Field(180, ge=0, lt=360, description="compass bearing the modules face, 180 = south [deg]")
    gamma_pdc_pct_per_c: float = Field(-0.37, ge=-1, le=0, description="power temperature coefficient [%/degC]")
    losses_pct: float = Field(14.0, ge=0, lt=100, description="PVWatts system losses (soiling, wiring …) [%]")
    albedo: float = Field(0.25, ge=0, le=1)
    altitude_m: float = Field(0, ge=-100, le=5000)

    @property
    def dc_kw(self) -> float:
        """DC rating at STC [kWp]."""
        return self.module_power_w * self.modules_per_string * self.strings / 1000.0

    @property
    def ac_kw(self) -> float:
        """AC rating of all inverters [kW]."""
        return self.inverter_ac_kw * self.inverters


class WindSpec(WriteModel):
    """Small wind turbine(s) with the maker's power curve."""

    kind: Literal["wind"] = "wind"
    turbine_model: str = Field("", max_length=100)
    turbines: int = Field(1, ge=1, le=100)
    hub_height_m: float = Field(gt=0, le=200)
    rotor_diameter_m: float | None = Field(None, gt=0, le=200)
    curve_speeds_m_s: list[float] = Field(min_length=2, max_length=100,
                                          description="wind speeds of the power curve, ascending [m/s]")
    curve_power_kw: list[float] = Field(min_length=2, max_length=100,
                                        description="output of one turbine at each speed [kW]")
    measurement_height_m: float = Field(10.0, gt=0, le=200, description="height of the wind measurement [m]")
    shear_exponent: float = Field(1 / 7, ge=0, le=1, description="power-law wind shear exponent [-]")

    @model_validator(mode="after")
    def _curve(self) -> WindSpec:
        if len(self.curve_speeds_m_s) != len(self.curve_power_kw):
            raise ValueError("curve_speeds_m_s and curve_power_kw must have the same length")
        if any(b <= a for a, b in zip(self.curve_speeds_m_s, self.curve_speeds_m_s[1:], strict=False)):
            raise ValueError("curve_speeds_m_s must be strictly ascending")
        if min(self.curve_speeds_m_s) < 0 or max(self.curve_speeds_m_s) > 60:
            raise ValueError("curve_speeds_m_s must lie between 0 and 60 m/s")
        if min(self.curve_power_kw) < 0 or max(self.curve_power_kw) > 10_000:
            raise ValueError("curve_power_kw must lie between 0 and 10,000 kW")
        return self


class WasteHeatSpec(WriteModel):
    """Waste-heat power (ORC or steam turbine) run on the heat source's schedule."""

    kind: Literal["waste_heat"] = "waste_heat"
    technology: Literal["orc", "steam_turbine"] = "orc"
    heat_source: str = Field("", max_length=200, description="e.g. 'furnace exhaust 350 degC'")
    rated_kw: float = Field(gt=0, le=100_000, description="rated electric output [kW]")
    availability_pct: Pct = Field(95.0, description="share of scheduled hours the unit runs [%]")
    hourly_load_pct: list[Pct] = Field(default_factory=lambda: [100.0] * 24, min_length=24, max_length=24,
                                       description="output per KST hour 0..23 on operating days [% of rated]")
    operating_weekdays: list[Annotated[int, Field(ge=0, le=6)]] = Field(
        default_factory=lambda: [0, 1, 2, 3, 4, 5, 6], max_length=7,
        description="KST weekdays the heat source runs, Monday = 0")
    runs_on_holidays: bool = True


class BatterySpec(WriteModel):
    """A battery (ESS).  SOC limits are checked against the Korean ESS safety rule of its installation."""

    kind: Literal["battery"] = "battery"
    chemistry: str = Field("LFP", max_length=40)
    installation: Literal["indoor", "outdoor"] = "outdoor"
    energy_kwh: float = Field(gt=0, le=1_000_000, description="usable energy at 100 % SOC [kWh]")
    power_kw: float = Field(gt=0, le=1_000_000, description="rated charge and discharge power [kW]")
    charge_efficiency_pct: float = Field(95.0, gt=50, le=100, description="AC energy stored per AC kWh charged [%]")
    discharge_efficiency_pct: float = Field(95.0, gt=50, le=100, description="AC kWh out per stored kWh [%]")
    soc_min_pct: Pct = Field(10.0, description="lowest state of charge allowed [%]")
    soc_max_pct: Pct = Field(90.0, description="highest state of charge allowed [%]")
    temp_max_degc: float = Field(45.0, ge=0, le=100, description="cell temperature alarm limit [degC]")

    @model_validator(mode="after")
    def _band(self) -> BatterySpec:
        if self.soc_min_pct >= self.soc_max_pct:
            raise ValueError("soc_min_pct must be below soc_max_pct")
        return self


Spec = Annotated[PvSpec | WindSpec | WasteHeatSpec | BatterySpec, Field(discriminator="kind")]

class WeatherPoints(WriteModel):
    """On-site weather the models read: points of the owner or a weather station the caller sees."""

    ghi_point_id: RowId | None = Field(None, description="global horizontal irradiance point [W/m2]")
    temp_air_point_id: RowId | None = Field(None, description="air temperature point [degC]")


_PV_EXAMPLE: dict[str, Any] = {
    "kind": "pv", "mounting": "rooftop", "module_power_w": 500, "modules_per_string": 20, "strings": 10,
    "inverters": 1, "inverter_ac_kw": 90, "tilt_deg": 25, "azimuth_deg": 180}


class DerCreate(WriteModel):
    """Register a DER on a site of its owner."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False, json_schema_extra={"examples": [{
        "site_id": 1, "name": "A동 지붕 태양광", "feeds": "company", "commissioned_on": "2024-05-01",
        "spec": _PV_EXAMPLE}]})

    site_id: RowId
    point_id: RowId | None = Field(None, description="the meter of its output (an active_energy point of the owner)")
    name: str = Field(min_length=1, max_length=200)
    feeds: Feeds = Feeds.company
    commissioned_on: dt.date | None = Field(None, ge=dt.date(1950, 1, 1), le=dt.date(2100, 1, 1))
    lat: float | None = Field(None, ge=-90, le=90)
    lon: float | None = Field(None, ge=-180, le=180)
    weather: WeatherPoints | None = None
    spec: Spec


class DerUpdate(WriteModel):
    """Change a DER (fields left out stay as they are; a new spec must keep the kind)."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False, json_schema_extra={"examples": [{
        "name": "A동 지붕 태양광 (증설)", "point_id": 1}]})

    point_id: RowId | None = None
    name: str | None = Field(None, min_length=1, max_length=200)
    feeds: Feeds | None = None
    commissioned_on: dt.date | None = Field(None, ge=dt.date(1950, 1, 1), le=dt.date(2100, 1, 1))
    lat: float | None = Field(None, ge=-90, le=90)
    lon: float | None = Field(None, ge=-180, le=180)
    weather: WeatherPoints | None = None
    spec: Spec | None = None


class DerRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    company_id: int
    site_id: int
    point_id: int | None
    kind: str
    name: str
    feeds: str
    capacity_kw: float = Field(description="PV: DC kWp; others: rated power [kW]")
    commissioned_on: dt.date | None
    lat: float | None
    lon: float | None
    weather: dict[str, Any]
    spec: dict[str, Any]


class DerPage(BaseModel):
    items: list[DerRead]
    next_cursor: str | None


class ModelPoint(BaseModel):
    ts: UtcDatetime
    model_kwh: float
    measured_kwh: float | None


class DerModelRead(BaseModel):
    """Modelled output of a DER per 15 minutes beside what its meter measured."""

    der_id: int
    kind: str
    weather: str = Field(description="'clear-sky' when no measured weather was used")
    model_kwh: float
    measured_kwh: float | None
    items: list[ModelPoint]


class BalanceInterval(BaseModel):
    ts: UtcDatetime
    generation: float
    demand: float
    curtail: float
    import_: float = Field(alias="import")
    export: float
    charge: float
    discharge: float
    soc: float


class RateRow(BaseModel):
    period: str = Field(description="first day of the KST day or month")
    generation: float
    demand: float
    used: float = Field(description="renewable energy used inside: generation - export - curtail [kWh]")
    self_consumption: float | None
    self_sufficiency: float | None


class BalanceRead(BaseModel):
    """The 15-minute balance [kWh] with the batteries' optimal schedule, and rates per KST day and month."""

    kind: str
    group_id: int
    name: str
    ders: int
    batteries: int
    cost_krw: int = Field(description="energy charge of the grid imports under the TOU price [KRW]")
    warnings: list[str]
    totals: dict[str, float]
    days: list[RateRow]
    months: list[RateRow]
    items: list[BalanceInterval]


class ForecastInterval(BaseModel):
    ts: UtcDatetime
    forecast_kwh: float | None
    baseline_kwh: float | None
    actual_kwh: float | None


class ForecastAccuracy(BaseModel):
    """Over the intervals measured so far: nMAE and bias relative to the actual total [-], the
    baseline's nMAE, and the skill 1 - nMAE / nMAE_baseline [-]."""

    nmae: float | None
    bias: float | None
    nmae_baseline: float | None
    skill: float | None


class ForecastRead(BaseModel):
    """A day-ahead forecast per 15 minutes [kWh] beside its baseline and what was measured."""

    der_id: int | None = None
    kind: str | None = None
    group_id: int | None = None
    baseline: str
    model: dict[str, Any]
    accuracy: ForecastAccuracy
    warnings: list[str]
    items: list[ForecastInterval]


class AlarmRead(BaseModel):
    code: str = Field(description="inverter_off (an outage) or below_model")
    subject: str
    at: UtcDatetime = Field(description="start of the interval (or KST day) that completed the evidence")
    message: str
    lost_kwh: float | None


class AlarmsRead(BaseModel):
    der_id: int
    alarms: list[AlarmRead]
    warnings: list[str]
