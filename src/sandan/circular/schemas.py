"""API shapes of the circular domain: ``XCreate`` / ``XRead`` per table, and the run and decision bodies."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from sandan.circular.models import Decision, Direction, RejectReason, Side, StreamKind, Treatment
from sandan.core.tenancy.schemas import WriteModel

Unit = Literal["t", "GJ", "m3"]
SpecName = Field(min_length=1, max_length=40, pattern=r"^[a-z][a-z0-9_]*$")
Money = Field(default=0, ge=0, le=10**10, description="[KRW per unit]")


def _example(**values: Any) -> ConfigDict:
    return ConfigDict(json_schema_extra={"examples": [values]}, extra="forbid", allow_inf_nan=False)


class Bound(WriteModel):
    min: float | None = Field(default=None, ge=-1e9, le=1e9)
    max: float | None = Field(default=None, ge=-1e9, le=1e9)


class StreamCreate(WriteModel):
    """A stream of the company.  Out: ``kr_code`` required for waste and by-products (the EU code
    and the hazardous flag follow from the crosswalk unless given); in: ``accepts`` (codes, groups
    such as ``51-03-00``, or ``heat`` / ``waste_water``) and/or ``substitutes`` (a virgin material
    of ``GET /circular/reference/factors``)."""

    model_config = _example(direction="out", kind="by_product", material="고로 슬래그", kr_code="51-03-01",
                            unit="t", quantity_per_month=120.0, variability_pct=15.0,
                            specs={"moisture_pct": 8.0}, treatment="landfill", treatment_cost_krw_per_unit=95000)
    direction: Direction
    kind: StreamKind
    material: str = Field(min_length=1, max_length=200)
    kr_code: str | None = Field(default=None, max_length=8, description="Korean waste class XX-XX-XX")
    ewc_code: str | None = Field(default=None, max_length=9, description="EU List of Waste entry, NN NN NN[*]")
    hazardous: bool | None = Field(default=None, description="지정폐기물; derived from the codes when omitted")
    unit: Unit = "t"
    quantity_per_month: float = Field(gt=0, le=1e9, description="[unit/month]")
    variability_pct: float = Field(default=0.0, ge=0, le=100, description="[%] one standard deviation")
    specs: dict[str, float] = Field(default_factory=dict, max_length=30)
    limits: dict[str, Bound] = Field(default_factory=dict, max_length=30)
    accepts: list[str] = Field(default_factory=list, max_length=50)
    substitutes: str | None = Field(default=None, max_length=40)
    treatment: Treatment | None = None
    treatment_cost_krw_per_unit: int = Money
    virgin_price_krw_per_unit: int | None = Field(default=None, ge=0, le=10**10,
                                                  description="[KRW per unit]; the reference price when omitted")
    processing_cost_krw_per_unit: int = Money
    current_receiver_brn: str | None = Field(
        default=None, max_length=20, description="사업자등록번호 of today's receiver, a company of the same complex")
    lat: float | None = Field(default=None, ge=33.0, le=39.0)
    lon: float | None = Field(default=None, ge=124.0, le=132.0)


class StreamRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    company_id: int
    direction: Direction
    kind: StreamKind
    material: str
    kr_code: str | None
    ewc_code: str | None
    hazardous: bool
    unit: str
    quantity_per_month: float
    variability_pct: float
    specs: dict[str, Any]
    limits: dict[str, Any]
    accepts: list[str]
    substitutes: str | None
    treatment: Treatment | None
    treatment_cost_krw_per_unit: int
    virgin_price_krw_per_unit: int
    processing_cost_krw_per_unit: int
    current_receiver_company_id: int | None
    lat: float | None
    lon: float | None
    active: bool


class PermitCreate(WriteModel):
    model_config = _example(permit_no="전남-재활용-2026-014", code_prefix="51-03-00", hazardous=False,
                            capacity_per_month=500.0)
    permit_no: str = Field(min_length=1, max_length=60)
    code_prefix: str = Field(max_length=8, description="a Korean class, group or code (XX-00-00, XX-XX-00, XX-XX-XX)")
    hazardous: bool = False
    capacity_per_month: float | None = Field(default=None, ge=0, le=1e9, description="[t/month]")
    valid_until: dt.date | None = None


class PermitRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    company_id: int
    permit_no: str
    code_prefix: str
    hazardous: bool
    capacity_per_month: float | None
    valid_until: dt.date | None


class MatchingRun(WriteModel):
    model_config = _example(carbon_price_krw_per_tco2=0)
    carbon_price_krw_per_tco2: int = Field(default=0, ge=0, le=1_000_000, description="[KRW/tCO2e] adds CO2 to value")


class MatchingRunRead(BaseModel):
    complex_id: int
    run_no: int
    offers: int
    demands: int
    candidate_pairs: int
    removed: dict[str, int]
    assigned_pairs: int
    recommendations_created: int
    value_krw_per_month: int
    co2_t_per_month: float
    greedy_value_krw_per_month: int
    status: str


class RecommendationRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    company_id: int
    run_no: int
    side: Side
    stream_id: int
    unit: str
    quantity_per_month: float
    value_krw_per_month: int
    co2_kg_per_month: float
    score: float
    distance_km: float
    explanation: str
    reasons: list[dict[str, Any]]
    counterpart: dict[str, Any]
    decision: Decision
    reject_reason: RejectReason | None
    note: str
    counterpart_decision: Decision
    disclosed: dict[str, Any] | None


class DecisionCreate(WriteModel):
    """``accepted`` (we want the exchange), ``introduce`` (introduce us; we agree to be named), or
    ``rejected`` with a reason, which lowers later scores of this receiver for this material."""

    model_config = _example(decision="rejected", reason="quality", note="수분 함량이 너무 높음")
    decision: Literal["accepted", "rejected", "introduce"]
    reason: RejectReason | None = None
    note: str = Field(default="", max_length=500)


class Items(BaseModel):
    items: list[Any]
