"""API shapes of reading queries and edits."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, ConfigDict, Field


class SeriesPoint(BaseModel):
    ts: dt.datetime = Field(description="interval start, UTC")
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


class ReadingEdit(BaseModel):
    model_config = ConfigDict(extra="forbid")
    ts: dt.datetime = Field(description="interval start with its offset, e.g. 2026-03-01T00:00:00+09:00")
    value: float = Field(allow_inf_nan=False)
    reason: str = Field(min_length=3, max_length=500)


class ReadingEdited(BaseModel):
    point_id: int
    ts: int = Field(description="epoch seconds, UTC")
    old_value: float | None
    value: float
    quality: str
