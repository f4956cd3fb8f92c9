"""API shapes of the energy domain."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from sandan.core.tenancy.schemas import WriteModel

Tariff = Literal["industrial_gap_1", "industrial_gap_2", "industrial_eul"]
Voltage = Literal["low", "high_a", "high_b", "high_c"]
Choice = Literal["", "I", "II", "III"]


class ContractPut(WriteModel):
    """A company's KEPCO supply contract (계약종별, 전압, 선택요금, 계약전력)."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False, json_schema_extra={"examples": [{
        "tariff": "industrial_eul", "voltage": "high_a", "choice": "II", "contract_kw": 700,
        "deferred_reform": False, "reactive_metered": True, "peak_warning_kw": 560, "peak_critical_kw": 665}]})

    tariff: Tariff = Field(description="산업용(갑)Ⅰ, 산업용(갑)Ⅱ or 산업용(을)")
    voltage: Voltage = Field(description="low 저압, high_a 고압A (3.3-66 kV), high_b 고압B (154 kV), "
                                         "high_c 고압C (345 kV+)")
    choice: Choice = Field(description="선택요금 I, II or III (empty for low-voltage 갑Ⅰ)")
    contract_kw: int = Field(ge=1, le=10_000_000, description="contract power 계약전력 [kW]")
    deferred_reform: bool = Field(False, description="the company deferred the 2026 time-of-use reform (유예)")
    reactive_metered: bool = Field(True, description="a kVarh meter is installed (power-factor charge applies)")
    peak_warning_kw: int | None = Field(None, ge=1, le=10_000_000,
                                        description="peak-demand warning threshold [kW] (default 80 % of contract)")
    peak_critical_kw: int | None = Field(None, ge=1, le=10_000_000,
                                         description="peak-demand critical threshold [kW] (default 95 % of contract)")


class WarningRead(BaseModel):
    code: str
    message: str


class ContractRead(BaseModel):
    company_id: int
    tariff: str
    voltage: str
    choice: str
    contract_kw: int
    deferred_reform: bool
    reactive_metered: bool
    stored: bool = Field(description="false: nothing entered yet, the default contract is shown")
    source: str = Field(description="contract power from: stored, sites (their contract power), demand (the peak)")
    peak_warning_kw: int
    peak_critical_kw: int
    warnings: list[WarningRead]


class BillLineRead(BaseModel):
    code: str = Field(description="basic, power_factor, energy, weekend_discount, excess_demand, climate, fuel")
    amount_krw: int
    quantity: float | None
    unit: str
    unit_price: float | None
    note: str


class BillRead(BaseModel):
    month: str = Field(description="YYYY-MM (KST calendar month)")
    tariff: str
    voltage: str
    choice: str
    contract_kw: int
    kwh_by_period: dict[str, int]
    kwh_total: int
    max_demand_kw: int = Field(description="largest mid/peak-load 15-minute demand of the month [kW]")
    max_demand_at: str | None
    max_demand_any_kw: int
    billing_demand_kw: int = Field(description="요금적용전력 [kW]")
    billing_demand_from: str
    lag_power_factor_pct: int | None
    lead_power_factor_pct: int | None
    power_factor_pct_of_basic: float
    lines: list[BillLineRead]
    energy_details: list[dict[str, Any]]
    electricity_charge_krw: int = Field(description="전기요금계: the base of VAT and the fund")
    vat_krw: int
    fund_krw: int
    total_krw: int = Field(description="청구금액")
    rules_date: str
    unverified: list[str] = Field(description="table rows the sources could not confirm")
    warnings: list[WarningRead]


class BillsRead(BaseModel):
    company_id: int
    contract: ContractRead
    total_krw: int
    items: list[BillRead]


class ChoiceRead(BaseModel):
    choice: str
    total_krw: int
    difference_krw: int


class ShiftRead(BaseModel):
    kwh_per_day: float
    from_period: str
    to_period: str
    total_krw: int | None
    saving_krw: int | None


class WhatIfRead(BaseModel):
    company_id: int
    contract: ContractRead
    months: list[str]
    total_krw: int
    choices: list[ChoiceRead]
    shift: ShiftRead


class CarrierRead(BaseModel):
    carrier: str
    quantity: str
    amount: float
    unit: str
    toe: float


class DemandRead(BaseModel):
    energy_kwh: float
    peak_kw: float = Field(description="largest 15-minute demand [kW]")
    peak_at: str | None
    average_kw: float
    load_factor: float | None = Field(description="average / peak demand [-]")
    base_load_kw: float | None = Field(description="mean of the daily minimum 15-minute demands [kW]")
    off_hours_share: float | None = Field(description="share of energy at night (22-08 h), Sundays and holidays")
    intervals: int


class KpisRead(BaseModel):
    kind: str
    node_id: int
    company_id: int
    start: str
    end: str
    carriers: list[CarrierRead]
    total_toe: float
    electricity: DemandRead
    variable_cost_krw: int | None = Field(description="kWh × (energy rate + climate + fuel), before VAT and fund")
    power_factor: float | None
    production: dict[str, Any] | None
    specific_energy: dict[str, Any] | None
    warnings: list[WarningRead]


class FitStatsRead(BaseModel):
    n: int
    p: int
    r2: float | None
    cv_rmse: float | None = Field(description="CV(RMSE) [-] (ASHRAE Guideline 14)")
    nmbe: float | None = Field(description="NMBE [-] (ASHRAE Guideline 14)")


class BaselineRead(BaseModel):
    company_id: int
    start: str
    end: str
    granularity: str
    coefficients: dict[str, float]
    stats: FitStatsRead
    ashrae_g14: dict[str, Any] = Field(description="monthly: CV(RMSE) ≤ 15 %, |NMBE| ≤ 5 %; hourly: ≤ 30 %, ≤ 10 %")
    warnings: list[WarningRead]


class DemandNowRead(BaseModel):
    company_id: int
    interval_start: str
    elapsed_s: float
    energy_kwh: float = Field(description="energy since the interval began [kWh]")
    current_kw: float | None
    forecast_kw: float | None = Field(description="forecast 15-minute demand at the end of the interval [kW]")
    status: Literal["normal", "warning", "critical", "unknown"]
    shed_kw: float = Field(description="load to drop now to end the interval at the warning threshold [kW]")
    warning_kw: int
    critical_kw: int
    points: list[int]
