"""API shapes of the core model: ``XCreate`` / ``XUpdate`` / ``XRead`` per table.

Write shapes refuse what no database column can hold: NUL characters (PostgreSQL text refuses
them), non-finite numbers (JSON cannot carry them back) and ids outside the 32-bit range.  Each
declares an example, used by the API documentation and by the tests as a known valid body.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Annotated, Any

from pydantic import MISSING, AfterValidator, BaseModel, ConfigDict, Field, field_validator

from sandan.core.tenancy.models import AssetLevel, Carrier, Direction, PointKind, SizeClass

MAX_ID = 2**31 - 1
Name = Field(min_length=1, max_length=200)


def _as_utc(value: dt.datetime) -> dt.datetime:
    """A time without an offset is UTC (SQLite hands back naive UTC; clients may send naive UTC)."""
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


#: A datetime that always carries its offset (RFC 3339), naive values taken as UTC.
UtcDatetime = Annotated[dt.datetime, AfterValidator(_as_utc)]
#: A reference to another row by id.
RowId = Annotated[int, Field(ge=1, le=MAX_ID)]


def storable(value: Any, where: str = "value") -> Any:
    """``value`` unchanged if a database and JSON can hold it: no NUL characters, no NaN or infinity
    (also inside nested lists and objects); else ``ValueError`` naming the problem."""
    if isinstance(value, str):
        if "\x00" in value:
            raise ValueError(f"{where} contains a NUL character")
    elif isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"{where} is not a finite number")
    elif isinstance(value, dict):
        for key, item in value.items():
            storable(key, where)
            storable(item, where)
    elif isinstance(value, list | tuple):
        for item in value:
            storable(item, where)
    return value


class _Read(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class WriteModel(BaseModel):
    """Base of request bodies: unknown fields refused, every value storable (see :func:`storable`)."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    @field_validator("*", mode="after")
    @classmethod
    def _storable(cls, value: Any) -> Any:
        return storable(value)



def _example(**values: Any) -> ConfigDict:
    return ConfigDict(json_schema_extra={"examples": [values]})


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


class CompanyCreate(WriteModel):
    model_config = _example(complex_id=1, name="광양정밀(주)", name_en="Gwangyang Precision Co.", brn="124-81-00998",
                            ksic_code="24111", size_class="sme", lat=34.93, lon=127.70)
    complex_id: RowId
    name: str = Name
    name_en: str = Field(default="", max_length=200)
    brn: str = Field(description="사업자등록번호, XXX-XX-XXXXX, check digit validated", max_length=20)
    ksic_code: str = Field(description="KSIC (한국표준산업분류) code, 2 to 5 digits", pattern=r"^\d{2,5}$")
    size_class: SizeClass
    lat: float | None = Field(default=None, ge=33.0, le=39.0)
    lon: float | None = Field(default=None, ge=124.0, le=132.0)


class CompanyUpdate(WriteModel):
    """Only the fields sent change; ``null`` clears a field that may be empty (``lat``, ``lon``)."""

    model_config = _example(name="광양정밀(주)", ksic_code="24112")
    name: str | MISSING = Field(default=MISSING, min_length=1, max_length=200)
    name_en: str | MISSING = Field(default=MISSING, max_length=200)
    ksic_code: str | MISSING = Field(default=MISSING, pattern=r"^\d{2,5}$")
    size_class: SizeClass | MISSING = MISSING
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


class SiteCreate(WriteModel):
    model_config = _example(company_id=1, name="제2공장", address="전라남도 광양시 금호로 1", contract_power_kw=3000)
    company_id: RowId
    name: str = Name
    address: str = Field(default="", max_length=300)
    lat: float | None = Field(default=None, ge=33.0, le=39.0)
    lon: float | None = Field(default=None, ge=124.0, le=132.0)
    contract_power_kw: float | None = Field(default=None, gt=0, le=1e7)


class SiteUpdate(WriteModel):
    model_config = _example(name="제2공장 (증설)", contract_power_kw=4500)
    name: str | MISSING = Field(default=MISSING, min_length=1, max_length=200)
    address: str | MISSING = Field(default=MISSING, max_length=300)
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


class AssetCreate(WriteModel):
    model_config = _example(site_id=1, parent_id=1, level="line", name="2라인")
    site_id: RowId
    parent_id: RowId | None = None
    level: AssetLevel
    name: str = Name


class AssetUpdate(WriteModel):
    model_config = _example(name="2라인 (도장)")
    name: str | MISSING = Field(default=MISSING, min_length=1, max_length=200)


class AssetRead(_Read):
    id: int
    company_id: int
    site_id: int
    parent_id: int | None
    level: AssetLevel
    name: str
    path: str


class PointCreate(WriteModel):
    model_config = _example(site_id=1, asset_id=1, code="line2.kwh", name="2라인 전력량", quantity="active_energy",
                            unit="kWh", carrier="electricity", kind="interval", interval_s=900, valid_min=0,
                            valid_max=100000, source={"protocol": "modbus", "register": 40001})
    site_id: RowId
    asset_id: RowId | None = None
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
    active_from: UtcDatetime | None = None


class PointUpdate(WriteModel):
    model_config = _example(name="2라인 전력량 (교체)", valid_max=200000)
    name: str | MISSING = Field(default=MISSING, min_length=1, max_length=200)
    valid_min: float | None = None
    valid_max: float | None = None
    register_max: float | None = Field(default=None, gt=0)
    source: dict[str, Any] | MISSING = MISSING


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
    active_from: UtcDatetime | None
