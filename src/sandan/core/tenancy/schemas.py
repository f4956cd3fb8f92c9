"""API shapes of the core model: ``XCreate`` / ``XUpdate`` / ``XRead`` per table."""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from sandan.core.tenancy.models import AssetLevel, Carrier, Direction, PointKind, SizeClass

Name = Field(min_length=1, max_length=200)


class _Read(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class _Write(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ComplexRead(_Read):
    id: int
    code: str
    name_ko: str
    name_en: str
    region_ko: str
    region_en: str
    designated_year: int | None
    mega_region: str
    capital_area: bool
    lat: float | None
    lon: float | None


class CompanyCreate(_Write):
    complex_id: int
    name: str = Name
    name_en: str = Field(default="", max_length=200)
    brn: str = Field(description="사업자등록번호, XXX-XX-XXXXX, check digit validated", max_length=20)
    ksic_code: str = Field(description="KSIC (한국표준산업분류) code, 2 to 5 digits", pattern=r"^\d{2,5}$")
    size_class: SizeClass
    lat: float | None = Field(default=None, ge=33.0, le=39.0)
    lon: float | None = Field(default=None, ge=124.0, le=132.0)


class CompanyUpdate(_Write):
    name: str | None = Field(default=None, min_length=1, max_length=200)
    name_en: str | None = Field(default=None, max_length=200)
    ksic_code: str | None = Field(default=None, pattern=r"^\d{2,5}$")
    size_class: SizeClass | None = None
    lat: float | None = Field(default=None, ge=33.0, le=39.0)
    lon: float | None = Field(default=None, ge=124.0, le=132.0)


class CompanyRead(_Read):
    id: int
    complex_id: int
    name: str
    name_en: str
    brn: str
    ksic_code: str
    size_class: SizeClass
    lat: float | None
    lon: float | None


class SiteCreate(_Write):
    company_id: int
    name: str = Name
    address: str = Field(default="", max_length=300)
    lat: float | None = Field(default=None, ge=33.0, le=39.0)
    lon: float | None = Field(default=None, ge=124.0, le=132.0)
    contract_power_kw: float | None = Field(default=None, gt=0, le=1e7)


class SiteUpdate(_Write):
    name: str | None = Field(default=None, min_length=1, max_length=200)
    address: str | None = Field(default=None, max_length=300)
    lat: float | None = Field(default=None, ge=33.0, le=39.0)
    lon: float | None = Field(default=None, ge=124.0, le=132.0)
    contract_power_kw: float | None = Field(default=None, gt=0, le=1e7)


class SiteRead(_Read):
    id: int
    company_id: int
    name: str
    address: str
    lat: float | None
    lon: float | None
    contract_power_kw: float | None


class AssetCreate(_Write):
    site_id: int
    parent_id: int | None = None
    level: AssetLevel
    name: str = Name


class AssetUpdate(_Write):
    name: str | None = Field(default=None, min_length=1, max_length=200)


class AssetRead(_Read):
    id: int
    company_id: int
    site_id: int
    parent_id: int | None
    level: AssetLevel
    name: str
    path: str


class PointCreate(_Write):
    site_id: int
    asset_id: int | None = None
    code: str = Field(min_length=1, max_length=80, pattern=r"^[A-Za-z0-9_.:-]+$")
    name: str = Name
    quantity: str = Field(min_length=1, max_length=40)
    unit: str = Field(min_length=1, max_length=20)
    carrier: Carrier
    kind: PointKind
    direction: Direction = Direction.consumption
    interval_s: int = Field(default=900, ge=1, le=31 * 86400, description="nominal interval [s]")
    valid_min: float | None = None
    valid_max: float | None = None
    register_max: float | None = Field(default=None, gt=0)
    source: dict[str, Any] = Field(default_factory=dict)
    active_from: dt.datetime | None = None


class PointUpdate(_Write):
    name: str | None = Field(default=None, min_length=1, max_length=200)
    valid_min: float | None = None
    valid_max: float | None = None
    register_max: float | None = Field(default=None, gt=0)
    source: dict[str, Any] | None = None


class PointRead(_Read):
    id: int
    company_id: int
    site_id: int
    asset_id: int | None
    code: str
    name: str
    quantity: str
    unit: str
    carrier: Carrier
    kind: PointKind
    direction: Direction
    interval_s: int
    valid_min: float | None
    valid_max: float | None
    register_max: float | None
    source: dict[str, Any]
    active_from: dt.datetime | None
