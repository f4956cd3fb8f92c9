"""API shapes of ingest, quarantine and data quality."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

from sandan.core.tenancy.schemas import UtcDatetime, WriteModel

#: The JSON body of ``POST /ingest``, written out (the route reads JSON and CSV itself).
INGEST_EXAMPLE = {"readings": [
    {"point": "c1.main.kwh", "ts": "2026-03-05T10:15:00+09:00", "value": 1.2, "unit": "kWh", "quality": "measured"},
    {"point": "c1.main.kwh", "ts": 1772673300, "value": 1.3}], "source_ref": "gateway-7"}
INGEST_BODY_SCHEMA: dict[str, Any] = {
    "type": "object", "required": ["readings"], "examples": [INGEST_EXAMPLE],
    "properties": {
        "source_ref": {"type": "string", "maxLength": 200, "description": "which gateway or system sent it"},
        "readings": {"type": "array", "maxItems": 50_000, "items": {
            "type": "object", "required": ["point", "ts", "value"],
            "properties": {
                "point": {"anyOf": [{"type": "string"}, {"type": "integer"}], "description": "point code or id"},
                "ts": {"anyOf": [{"type": "string"}, {"type": "number"}],
                       "description": "interval start: ISO 8601 with offset, or epoch seconds"},
                "value": {"type": "number", "description": "in unit (default: the point's unit)"},
                "unit": {"type": "string"},
                "quality": {"type": "string", "enum": ["measured", "estimated"]}}}}}}
INGEST_CSV_EXAMPLE = "point,ts,value,unit,quality\nc1.main.kwh,2026-03-05T10:15:00+09:00,1.2,kWh,measured\n"


class ReadingAnswer(BaseModel):
    index: int = Field(description="position of the reading in the request, from 0")
    status: str = Field(description="stored, duplicate, replaced, conflict or rejected")
    reason_code: str | None = None
    reason: str | None = None
    warnings: list[str] | None = None


class IngestSummary(BaseModel):
    received: int
    stored: int
    duplicate: int
    replaced: int
    conflict: int
    rejected: int
    estimated: int = Field(description="readings filled in by interpolation (quality estimated)")
    quarantined: int
    reasons: dict[str, int]
    warnings: dict[str, int]


class IngestAnswer(BaseModel):
    summary: IngestSummary
    readings: list[ReadingAnswer]


class QuarantineRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    company_id: int | None
    point_id: int | None
    point_ref: str
    ts: int | None = Field(description="epoch seconds, UTC (interval start)")
    value: float | None
    unit: str | None
    quality: str | None
    status: str
    reason_code: str
    reason: str
    source: str
    source_ref: str
    raw: Any
    received_at: UtcDatetime
    replay_status: str
    replay_reason: str
    replayed_at: UtcDatetime | None
    replays: int


class ReplayRequest(WriteModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"company_id": 1, "reason_code": "unknown_point"}]})
    company_id: int | None = Field(default=None, ge=1, le=2**31 - 1,
                                   description="the company whose rows to replay (none: rows of unknown company, "
                                   "platform only)")
    ids: list[Annotated[int, Field(ge=1, le=2**63 - 1)]] | None = Field(
        default=None, max_length=10_000, description="only these quarantine rows")
    reason_code: str | None = Field(default=None, max_length=40)
    allow: list[str] = Field(default_factory=list, max_length=5,
                             description="rule codes judged fine for these rows, e.g. spike")


class ReplayItem(BaseModel):
    id: int
    status: str
    reason: str


class ReplayAnswer(BaseModel):
    replayed: int
    counts: dict[str, int]
    items: list[ReplayItem]


class PointQuality(BaseModel):
    point_id: int
    code: str
    name: str
    interval_s: int
    expected: int = Field(description="intervals expected in the period")
    present: int
    estimated: int
    edited: int
    rejected: int = Field(description="quarantined readings in the period")
    completeness_pct: float | None
    estimated_pct: float | None


class PointQualityRead(PointQuality):
    company_id: int
    start: dt.datetime
    end: dt.datetime


class CompanyQualityRead(BaseModel):
    company_id: int
    start: dt.datetime
    end: dt.datetime
    expected: int
    present: int
    estimated: int
    edited: int
    rejected: int
    completeness_pct: float | None
    estimated_pct: float | None
    points: list[PointQuality]


class QuarantinePage(BaseModel):
    items: list[QuarantineRead]
    next_cursor: str | None
