"""API shapes of reading queries and edits."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, ConfigDict, Field

from sandan.core.tenancy.schemas import UtcDatetime, WriteModel


class SeriesPoint(BaseModel):
    ts: UtcDatetime = Field(description="interval start, UTC")
    value: float
    min: float
    max: float
    count: int


class SeriesRead(BaseModel):
    label: str
    quantity: str
    unit: str
    resolution: str
    items: list[SeriesPoint]


class ReadingEdit(WriteModel):
    model_config = ConfigDict(json_schema_extra={"examples": [
        {"ts": "2026-03-02T09:00:00+09:00", "value": 12.5, "reason": "meter swap: value read off the old register"}]})
    ts: dt.datetime = Field(description="interval start with its offset, e.g. 2026-03-01T00:00:00+09:00")
    value: float = Field(allow_inf_nan=False)
    reason: str = Field(min_length=3, max_length=500)


class ReadingEdited(BaseModel):
    point_id: int
    ts: int = Field(description="epoch seconds, UTC")
    old_value: float | None
    value: float
    quality: str
