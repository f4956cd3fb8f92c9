"""Tables of the core data model.

Every row that belongs to a company carries ``company_id``: the access policy filters on it and
it is the distribution key once one PostgreSQL is not enough (Citus).
"""

from __future__ import annotations

import datetime as dt
import enum
from typing import Any

from sqlalchemy import JSON, Boolean, DateTime, Float, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from sandan.core.timeutil import now_utc
from sandan.db import Base, str_enum


class SizeClass(enum.StrEnum):
    """Company size class under the Framework Act on SMEs (중소기업/중견기업/대기업)."""

    sme = "sme"
    mid = "mid"
    large = "large"


class AssetLevel(enum.StrEnum):
    """ISA-95 equipment hierarchy below a site (the Site row is the ``site`` level)."""

    area = "area"
    line = "line"
    equipment = "equipment"


ASSET_DEPTH = {AssetLevel.area: 1, AssetLevel.line: 2, AssetLevel.equipment: 3}


class PointKind(enum.StrEnum):
    """How a point's values relate to time."""

    cumulative = "cumulative"      # a register that only grows (kWh meter reading)
    interval = "interval"          # the total over the interval that starts at the timestamp
    instantaneous = "instantaneous"  # a sample at the timestamp (kW, degC)


class Direction(enum.StrEnum):
    """Which way the quantity flows, so that consumption and generation never add up together."""

    consumption = "consumption"
    generation = "generation"
    export = "export"
    none = "none"


class Carrier(enum.StrEnum):
    electricity = "electricity"
    lng_city_gas = "lng_city_gas"
    lng = "lng"
    diesel = "diesel"
    lpg_propane = "lpg_propane"
    kerosene = "kerosene"
    steam = "steam"
    heat = "heat"
    water = "water"
    none = "none"



class Complex(Base):
    """An industrial complex (산업단지); the 24 designated smart green complexes are reference data."""

    __tablename__ = "complexes"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name_ko: Mapped[str] = mapped_column(String(120))
    name_en: Mapped[str] = mapped_column(String(160))
    region_ko: Mapped[str] = mapped_column(String(40), default="")
    region_en: Mapped[str] = mapped_column(String(40), default="")
    designated_year: Mapped[int | None] = mapped_column(Integer)
    mega_region: Mapped[str] = mapped_column(String(20), default="")
    capital_area: Mapped[bool] = mapped_column(Boolean, default=False)
    lat: Mapped[float | None] = mapped_column(Float)
    lon: Mapped[float | None] = mapped_column(Float)


class Company(Base):
    """A tenant company (입주기업)."""

    __tablename__ = "companies"

    id: Mapped[int] = mapped_column(primary_key=True)
    complex_id: Mapped[int] = mapped_column(ForeignKey("complexes.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200), default="")
    brn: Mapped[str] = mapped_column(String(12), unique=True)
    ksic_code: Mapped[str] = mapped_column(String(5))
    size_class: Mapped[SizeClass] = mapped_column(str_enum(SizeClass))
    lat: Mapped[float | None] = mapped_column(Float)
    lon: Mapped[float | None] = mapped_column(Float)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=now_utc)

    @property
    def company_id(self) -> int:
        return self.id


class Site(Base):
    """A site (사업장) of a company: the ``site`` level of the ISA-95 hierarchy."""

    __tablename__ = "sites"

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    address: Mapped[str] = mapped_column(String(300), default="")
    lat: Mapped[float | None] = mapped_column(Float)
    lon: Mapped[float | None] = mapped_column(Float)
    contract_power_kw: Mapped[float | None] = mapped_column(Float)


class Asset(Base):
    """An area, line or equipment below a site.  ``path`` is ``/id/child/…/`` for subtree queries."""

    __tablename__ = "assets"

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id"), index=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"), index=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("assets.id"), index=True)
    level: Mapped[AssetLevel] = mapped_column(str_enum(AssetLevel))
    name: Mapped[str] = mapped_column(String(200))
    path: Mapped[str] = mapped_column(String(400), default="/", index=True)

    parent: Mapped[Asset | None] = relationship(remote_side="Asset.id")


class Point(Base):
    """One measured quantity: what, in which unit, of which carrier, how it relates to time.

    A point hangs on an asset, or directly on its site (``asset_id`` NULL: the site's incomer).
    ``interval_s`` is the nominal interval [s]; ``valid_min``/``valid_max`` bound accepted values
    [in ``unit``]; ``register_max`` is where a cumulative register rolls over [in ``unit``].
    """

    __tablename__ = "points"
    __table_args__ = (UniqueConstraint("company_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id"), index=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"), index=True)
    asset_id: Mapped[int | None] = mapped_column(ForeignKey("assets.id"), index=True)
    code: Mapped[str] = mapped_column(String(80))
    name: Mapped[str] = mapped_column(String(200))
    quantity: Mapped[str] = mapped_column(String(40))
    unit: Mapped[str] = mapped_column(String(20))
    carrier: Mapped[Carrier] = mapped_column(str_enum(Carrier))
    kind: Mapped[PointKind] = mapped_column(str_enum(PointKind))
    direction: Mapped[Direction] = mapped_column(str_enum(Direction), default=Direction.consumption)
    interval_s: Mapped[int] = mapped_column(Integer, default=900)
    valid_min: Mapped[float | None] = mapped_column(Float)
    valid_max: Mapped[float | None] = mapped_column(Float)
    register_max: Mapped[float | None] = mapped_column(Float)
    source: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    active_from: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=now_utc)
