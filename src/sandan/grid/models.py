"""Tables of the grid domain: the registry of distributed energy resources (DER) of a complex.

A DER (PV plant, waste-heat generator, small wind turbine, battery) belongs to the company that
owns it (``company_id``, so the one access policy covers it) and sits on one of its sites.  What
differs between kinds (modules and strings of a PV plant, the power curve of a turbine, the SOC
limits of a battery …) is kept in ``spec``, validated by :mod:`sandan.grid.schemas` on every
write.  Its meters are ordinary points; ``point_id`` names the one that measures its output
(generation) or, for a battery, its net discharge.
"""

from __future__ import annotations

import datetime as dt
import enum
from typing import Any

from sqlalchemy import JSON, Date, DateTime, Float, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from sandan.core.timeutil import now_utc
from sandan.db import Base


class DerKind(enum.StrEnum):
    """What a DER is."""

    pv = "pv"                  # photovoltaic plant (rooftop or ground)
    waste_heat = "waste_heat"  # waste-heat power: ORC or steam turbine
    wind = "wind"              # small wind turbine(s)
    battery = "battery"        # battery energy storage (ESS)


class Feeds(enum.StrEnum):
    """Which connection a DER feeds."""

    company = "company"  # behind the owner's meter: it first covers the owner's demand
    grid = "grid"        # the complex's grid connection directly


class Der(Base):
    """One distributed energy resource.

    ``capacity_kw`` is derived from ``spec`` when the row is written (PV: DC rating at STC [kWp];
    wind: the highest point of the power curve × turbines; waste heat: rated electric output;
    battery: rated power) [kW].  ``lat``/``lon`` [deg] default to the site's or company's.
    """

    __tablename__ = "ders"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id"), index=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"), index=True)
    point_id: Mapped[int | None] = mapped_column(ForeignKey("points.id", ondelete="SET NULL"), index=True)
    kind: Mapped[str] = mapped_column(String(12), index=True)
    name: Mapped[str] = mapped_column(String(200))
    feeds: Mapped[str] = mapped_column(String(10), default=Feeds.company.value)
    capacity_kw: Mapped[float] = mapped_column(Float)
    commissioned_on: Mapped[dt.date | None] = mapped_column(Date)
    lat: Mapped[float | None] = mapped_column(Float)
    lon: Mapped[float | None] = mapped_column(Float)
    spec: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    #: points of on-site weather the models read (``ghi_point_id``, ``temp_air_point_id``)
    weather: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=now_utc)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=now_utc, onupdate=now_utc)
