"""API shapes of the carbon domain (request bodies; responses are the service's dictionaries)."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import ConfigDict, Field

from sandan.core.tenancy.schemas import RowId, WriteModel

GwpChoice = Literal["SAR", "AR5", "AR6"]
Period = Field(min_length=4, max_length=7, pattern=r"^\d{4}(-(0[1-9]|1[0-2]|Q[1-4]))?$",
               description="a year (2026), a quarter (2026-Q1) or a month (2026-03), Korean calendar")


class ActivityCreate(WriteModel):
    """Activity data entered by hand: a refrigerant top-up, a process emission or an unmetered fuel."""

    model_config = ConfigDict(json_schema_extra={"examples": [
        {"site_id": 1, "occurred_on": "2026-03-15", "category": "refrigerant", "substance": "R-410A",
         "amount": 2.5, "unit": "kg", "evidence": "service report AC-2026-031"}]})

    site_id: RowId
    occurred_on: dt.date
    category: Literal["fuel", "refrigerant", "process"]
    substance: str = Field(min_length=1, max_length=40,
                           description="a gas or blend (CO2, HFC-134a, R-410A …) or, for fuel, a carrier (diesel …)")
    amount: float = Field(ge=0, le=1e12)
    unit: str = Field(min_length=1, max_length=20)
    evidence: str = Field(default="", max_length=500)


class InstrumentCreate(WriteModel):
    """Electricity covered by a contractual instrument, for market-based scope 2."""

    model_config = ConfigDict(json_schema_extra={"examples": [
        {"site_id": 1, "kind": "ppa", "period_start": "2026-03-01", "period_end": "2026-04-01", "mwh": 0.1,
         "factor_t_per_mwh": 0.0, "reference": "solar PPA 2026-01"}]})

    site_id: RowId
    kind: Literal["ppa", "rec", "supplier"]
    period_start: dt.date
    period_end: dt.date
    mwh: float = Field(ge=0, le=1e9)
    factor_t_per_mwh: float = Field(ge=0, le=10, description="[tCO2e/MWh]; 0 for renewable PPAs and RECs")
    reference: str = Field(default="", max_length=200)


class ReportCreate(WriteModel):
    """A draft MRV report of the company (or one site) for a period, with its GWP set."""

    model_config = ConfigDict(json_schema_extra={"examples": [
        {"period": "2026-03", "gwp_set": "AR5", "site_id": 1, "title": "March 2026"}]})

    period: str = Period
    gwp_set: GwpChoice = "AR5"
    site_id: RowId | None = None
    title: str = Field(default="", max_length=200)


class AssignmentCreate(WriteModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"verifier_email": "verifier@sandan.test"}]})

    verifier_email: str = Field(min_length=3, max_length=200)


class AnswerCreate(WriteModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"text": "The March invoice is attached.",
                                                               "reply_to": None}]})

    text: str = Field(min_length=1, max_length=5000)
    reply_to: int | None = Field(default=None, ge=1, le=100000, description="the finding number answered")


class FindingCreate(WriteModel):
    model_config = ConfigDict(json_schema_extra={"examples": [
        {"text": "Diesel for March lacks its purchase invoice.", "requires_correction": False}]})

    text: str = Field(min_length=1, max_length=5000)
    requires_correction: bool = False


class StatementCreate(WriteModel):
    model_config = ConfigDict(json_schema_extra={"examples": [
        {"assurance": "limited", "materiality_pct": 5.0, "opinion": "unmodified",
         "conclusion": "Nothing has come to our attention that the emissions are materially misstated."}]})

    assurance: Literal["limited", "reasonable"]
    materiality_pct: float = Field(default=5.0, gt=0, le=100)
    opinion: Literal["unmodified", "qualified", "adverse", "disclaimer"]
    conclusion: str = Field(min_length=1, max_length=5000)


class ProductionCreate(WriteModel):
    """What a site produced of one product in a period, with the values the allocation may use."""

    model_config = ConfigDict(json_schema_extra={"examples": [
        {"site_id": 1, "period": "2026-03", "product_code": "HR-COIL-2.0", "product_name": "열연코일 2.0 mm",
         "declared_unit": "t", "quantity": 120.0, "mass_kg": 120000.0, "machine_hours": 300.0,
         "value_krw": 96000000}]})

    site_id: RowId
    period: str = Period
    product_code: str = Field(min_length=1, max_length=80)
    product_name: str = Field(default="", max_length=200)
    declared_unit: str = Field(min_length=1, max_length=20)
    quantity: float = Field(gt=0, le=1e12)
    mass_kg: float = Field(default=0.0, ge=0, le=1e12)
    machine_hours: float = Field(default=0.0, ge=0, le=1e9)
    value_krw: int = Field(default=0, ge=0, le=10**15)
