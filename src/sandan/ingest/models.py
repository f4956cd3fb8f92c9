"""Ingest tables: the quarantine of readings that were not stored, each with its reason.

A quarantined row is company data (``company_id``): the access policy filters it like every
company-owned row.  Its company is the point's company when the caller may write that point,
else the caller's own company (a device's unknown point belongs in its own company's quarantine,
never in the company whose point it guessed), else unknown (NULL, seen by the platform only).
"""

from __future__ import annotations

import datetime as dt
import enum
from typing import Any

from sqlalchemy import JSON, BigInteger, DateTime, Float, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from sandan.core.timeutil import now_utc
from sandan.db import Base


class ReplayStatus(enum.StrEnum):
    """Where a quarantined reading stands: waiting, or the outcome of its last replay."""

    pending = "pending"
    stored = "stored"
    duplicate = "duplicate"
    replaced = "replaced"
    conflict = "conflict"
    rejected = "rejected"


class QuarantinedReading(Base):
    """A reading that was rejected (or conflicted with a stored one), kept with its raw payload."""

    __tablename__ = "quarantine"
    __policy_writers__ = "readings"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    company_id: Mapped[int | None] = mapped_column(Integer, index=True)
    point_id: Mapped[int | None] = mapped_column(Integer, index=True)
    point_ref: Mapped[str] = mapped_column(String(120), default="")
    ts: Mapped[int | None] = mapped_column(BigInteger)
    value: Mapped[float | None] = mapped_column(Float)
    unit: Mapped[str | None] = mapped_column(String(20))
    quality: Mapped[str | None] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(12), default="rejected")
    reason_code: Mapped[str] = mapped_column(String(40), index=True)
    reason: Mapped[str] = mapped_column(String(500), default="")
    source: Mapped[str] = mapped_column(String(20))
    source_ref: Mapped[str] = mapped_column(String(200), default="")
    raw: Mapped[Any] = mapped_column(JSON, nullable=True)
    received_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=now_utc, index=True)
    submitted_by: Mapped[int | None] = mapped_column(Integer)
    replay_status: Mapped[str] = mapped_column(String(12), default=ReplayStatus.pending.value)
    replay_reason: Mapped[str] = mapped_column(String(500), default="")
    replayed_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    replays: Mapped[int] = mapped_column(Integer, default=0)
