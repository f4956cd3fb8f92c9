"""Tables of the circular domain
(Resource circulation: waste and by-product streams, symbiosis matching, handover chain).

Every table carries ``company_id``, so the one access policy filters and guards it: a company
reads and (its admins) writes only its own streams, permits and recommendations; the operator of
a complex reads those of every company in it.  A recommendation is stored as **two rows, one per
side**, each owned by that side's company: a company sees its own side (an anonymised summary of
the counterpart) and nothing of the other company until both have agreed to be introduced
(``disclosed`` is filled in on both rows at that moment, see :mod:`sandan.circular.service`).

Imported by :mod:`sandan.registry` so that Alembic and the tests see them.
"""

from __future__ import annotations

import datetime as dt
import enum
from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, Date, DateTime, Float, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from sandan.core.timeutil import now_utc
from sandan.db import Base, str_enum


class Direction(enum.StrEnum):
    out = "out"  # what the company gives away: waste, by-product, residual heat, waste water
    in_ = "in"   # a raw material the company could replace with someone's stream


class StreamKind(enum.StrEnum):
    waste = "waste"
    by_product = "by_product"
    heat = "heat"
    waste_water = "waste_water"
    raw_material = "raw_material"


class Treatment(enum.StrEnum):
    """What happens to an outgoing stream today (keys of ``reference/factors.csv``, kind disposal)."""

    landfill = "landfill"
    incineration = "incineration"
    incineration_fossil = "incineration_fossil"
    recycling = "recycling"
    sewer = "sewer"
    vent = "vent"


class Side(enum.StrEnum):
    supplier = "supplier"
    receiver = "receiver"


class Decision(enum.StrEnum):
    pending = "pending"
    accepted = "accepted"
    rejected = "rejected"
    introduce = "introduce"  # asks to be introduced to the counterpart (agrees to be named to them)


class RejectReason(enum.StrEnum):
    quality = "quality"
    quantity = "quantity"
    distance = "distance"
    price = "price"
    legal = "legal"
    other = "other"


class Stream(Base):
    """A material or energy stream of a company: out (offered) or in (could be substituted).

    ``quantity_per_month`` [unit/month] is what goes out, or for an incoming stream what the company
    could take; ``variability_pct`` [%] its month-to-month spread (one standard deviation).
    Money per unit in won; ``specs`` (out) are measured properties such as ``{"moisture_pct": 8}``,
    ``limits`` (in) the receiver's bounds such as ``{"moisture_pct": {"max": 10}}``.
    """

    __tablename__ = "circular_streams"

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id"), index=True)
    direction: Mapped[Direction] = mapped_column(str_enum(Direction))
    kind: Mapped[StreamKind] = mapped_column(str_enum(StreamKind))
    material: Mapped[str] = mapped_column(String(200))
    kr_code: Mapped[str | None] = mapped_column(String(8), index=True)
    ewc_code: Mapped[str | None] = mapped_column(String(9))
    hazardous: Mapped[bool] = mapped_column(Boolean, default=False)
    unit: Mapped[str] = mapped_column(String(4), default="t")
    quantity_per_month: Mapped[float] = mapped_column(Float)
    variability_pct: Mapped[float] = mapped_column(Float, default=0.0)
    specs: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    limits: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    accepts: Mapped[list[str]] = mapped_column(JSON, default=list)
    substitutes: Mapped[str | None] = mapped_column(String(40))
    treatment: Mapped[Treatment | None] = mapped_column(str_enum(Treatment))
    treatment_cost_krw_per_unit: Mapped[int] = mapped_column(BigInteger, default=0)
    virgin_price_krw_per_unit: Mapped[int] = mapped_column(BigInteger, default=0)
    processing_cost_krw_per_unit: Mapped[int] = mapped_column(BigInteger, default=0)
    current_receiver_company_id: Mapped[int | None] = mapped_column(Integer)
    lat: Mapped[float | None] = mapped_column(Float)
    lon: Mapped[float | None] = mapped_column(Float)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=now_utc)


class Permit(Base):
    """A receiver's permit (재활용업/처리업 허가): which classes it may accept and process.

    ``code_prefix`` is a Korean class, group or code (``51-03-00`` covers the group);
    ``hazardous`` whether 지정폐기물 of that class are covered; ``capacity_per_month`` [t/month]
    the permitted throughput, NULL if the permit states none.
    """

    __tablename__ = "circular_permits"

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id"), index=True)
    permit_no: Mapped[str] = mapped_column(String(60))
    code_prefix: Mapped[str] = mapped_column(String(8))
    hazardous: Mapped[bool] = mapped_column(Boolean, default=False)
    capacity_per_month: Mapped[float | None] = mapped_column(Float)
    valid_until: Mapped[dt.date | None] = mapped_column(Date)


class Recommendation(Base):
    """One side of a recommended exchange, owned by that side's company.

    ``pair_key`` joins the two sides; ``counterpart`` is the anonymised summary shown before
    consent (material, code, hazard, quantity, distance — never a name, id or location);
    ``disclosed`` the counterpart's name and contact, filled in only when both sides agreed.
    ``counterpart_company_id`` and ``counterpart_stream_id`` are kept for the broker step and never
    serialised.  Money in won per month, CO2 in kg per month.
    """

    __tablename__ = "circular_recommendations"

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id"), index=True)
    complex_id: Mapped[int] = mapped_column(Integer, index=True)
    run_no: Mapped[int] = mapped_column(Integer)
    pair_key: Mapped[str] = mapped_column(String(40), index=True)
    side: Mapped[Side] = mapped_column(str_enum(Side))
    stream_id: Mapped[int] = mapped_column(ForeignKey("circular_streams.id"), index=True)
    counterpart_stream_id: Mapped[int] = mapped_column(Integer)
    counterpart_company_id: Mapped[int] = mapped_column(Integer)
    unit: Mapped[str] = mapped_column(String(4))
    quantity_per_month: Mapped[float] = mapped_column(Float)
    value_krw_per_month: Mapped[int] = mapped_column(BigInteger)
    co2_kg_per_month: Mapped[float] = mapped_column(Float)
    score: Mapped[float] = mapped_column(Float)
    distance_km: Mapped[float] = mapped_column(Float)
    explanation: Mapped[str] = mapped_column(String(1000))
    reasons: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    counterpart: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    decision: Mapped[Decision] = mapped_column(str_enum(Decision), default=Decision.pending)
    reject_reason: Mapped[RejectReason | None] = mapped_column(str_enum(RejectReason))
    note: Mapped[str] = mapped_column(String(500), default="")
    counterpart_decision: Mapped[Decision] = mapped_column(str_enum(Decision), default=Decision.pending)
    disclosed: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=now_utc)
    decided_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
