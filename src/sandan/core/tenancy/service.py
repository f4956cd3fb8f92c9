"""Use cases of the core model: create, change and list complexes, companies, sites, assets, points.

Every look-up goes through the session's principal (the access policy filters it), so a parent
the caller may not see answers NotFound exactly like one that does not exist.
"""

from __future__ import annotations

import csv
from importlib import resources
from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from sandan.core.brn import normalise_brn
from sandan.core.errors import Conflict, InvalidInput, NotFound
from sandan.core.tenancy import schemas
from sandan.core.tenancy.models import ASSET_DEPTH, Asset, Company, Complex, Point, PointKind, Site
from sandan.core.units import check_unit_for_quantity

T = TypeVar("T")


def get(session: Session, model: type[T], object_id: int) -> T:
    """A visible row by id, else NotFound (never telling whether it exists)."""
    row = session.execute(select(model).where(model.id == object_id)).scalar_one_or_none()  # type: ignore[attr-defined]
    if row is None:
        raise NotFound(f"{model.__name__.lower()} {object_id} not found")
    return row


def page(session: Session, model: type[T], *, after_id: int = 0, limit: int = 50,
         filters: dict[str, Any] | None = None) -> list[T]:
    """One page of visible rows ordered by id, after ``after_id`` (cursor pagination)."""
    stmt = select(model).where(model.id > after_id)  # type: ignore[attr-defined]
    for column, value in (filters or {}).items():
        if value is not None:
            stmt = stmt.where(getattr(model, column) == value)
    return list(session.execute(stmt.order_by(model.id).limit(limit)).scalars())  # type: ignore[attr-defined]


def _apply(row: Any, update: Any) -> None:
    for key, value in update.model_dump(exclude_unset=True).items():
        setattr(row, key, value)


# --- complexes ---------------------------------------------------------------------------------

def load_reference_complexes(session: Session) -> int:
    """Insert or refresh the 24 designated smart green complexes (reference data); returns the count."""
    text = resources.files("sandan.reference").joinpath("smart_green_complexes.csv").read_text(encoding="utf-8")
    count = 0
    for row in csv.DictReader(text.splitlines()):
        existing = session.execute(select(Complex).where(Complex.code == row["code"])).scalar_one_or_none()
        target = existing or Complex(code=row["code"])
        target.name_ko, target.name_en = row["name_ko"], row["name_en"]
        target.region_ko, target.region_en = row["region_ko"], row["region_en"]
        target.designated_year = int(row["designated_year"])
        target.mega_region = row["mega_region"]
        target.capital_area = row["capital_area"].strip().lower() == "true"
        target.lat, target.lon = float(row["lat_approx"]), float(row["lon_approx"])
        if existing is None:
            session.add(target)
        count += 1
    session.flush()
    return count


# --- companies ---------------------------------------------------------------------------------

def create_company(session: Session, data: schemas.CompanyCreate) -> Company:
    get(session, Complex, data.complex_id)
    brn = normalise_brn(data.brn)
    if session.execute(select(Company.id).where(Company.brn == brn)).first() is not None:
        raise Conflict(f"a company with registration number {brn} is registered", field="brn")
    company = Company(**data.model_dump(exclude={"brn"}), brn=brn)
    session.add(company)
    session.flush()
    return company


def update_company(session: Session, company_id: int, data: schemas.CompanyUpdate) -> Company:
    company = get(session, Company, company_id)
    _apply(company, data)
    session.flush()
    return company


# --- sites -------------------------------------------------------------------------------------

def create_site(session: Session, data: schemas.SiteCreate) -> Site:
    get(session, Company, data.company_id)
    site = Site(**data.model_dump())
    session.add(site)
    session.flush()
    return site


def update_site(session: Session, site_id: int, data: schemas.SiteUpdate) -> Site:
    site = get(session, Site, site_id)
    _apply(site, data)
    session.flush()
    return site


# --- assets ------------------------------------------------------------------------------------

def create_asset(session: Session, data: schemas.AssetCreate) -> Asset:
    site = get(session, Site, data.site_id)
    parent = None
    if data.parent_id is not None:
        parent = get(session, Asset, data.parent_id)
        if parent.site_id != site.id:
            raise InvalidInput("the parent asset belongs to another site", field="parent_id")
        if ASSET_DEPTH[data.level] <= ASSET_DEPTH[parent.level]:
            raise InvalidInput(f"a {data.level.value} cannot sit below a {parent.level.value} "
                               "(ISA-95 order: site > area > line > equipment)", field="level")
    asset = Asset(company_id=site.company_id, site_id=site.id, parent_id=data.parent_id, level=data.level,
                  name=data.name)
    session.add(asset)
    session.flush()
    asset.path = f"{parent.path if parent else '/'}{asset.id}/"
    session.flush()
    return asset


def update_asset(session: Session, asset_id: int, data: schemas.AssetUpdate) -> Asset:
    asset = get(session, Asset, asset_id)
    _apply(asset, data)
    session.flush()
    return asset


def asset_tree(session: Session, site_id: int) -> list[dict[str, Any]]:
    """The site's assets as nested dictionaries (``children`` lists), with their points."""
    get(session, Site, site_id)
    assets = list(session.execute(select(Asset).where(Asset.site_id == site_id).order_by(Asset.path)).scalars())
    points = list(session.execute(select(Point).where(Point.site_id == site_id).order_by(Point.id)).scalars())
    nodes: dict[int, dict[str, Any]] = {
        a.id: {"id": a.id, "name": a.name, "level": a.level.value, "children": [], "points": []} for a in assets}
    roots: list[dict[str, Any]] = []
    site_points: list[dict[str, Any]] = []
    for a in assets:
        (nodes[a.parent_id]["children"] if a.parent_id in nodes else roots).append(nodes[a.id])
    for p in points:
        entry = {"id": p.id, "code": p.code, "name": p.name, "quantity": p.quantity, "unit": p.unit}
        (nodes[p.asset_id]["points"] if p.asset_id in nodes else site_points).append(entry)
    return [{"id": site_id, "level": "site", "children": roots, "points": site_points}]


# --- points ------------------------------------------------------------------------------------

def _check_point_values(quantity: str, unit: str, kind: PointKind, valid_min: float | None,
                        valid_max: float | None, register_max: float | None) -> None:
    check_unit_for_quantity(quantity, unit)
    if valid_min is not None and valid_max is not None and valid_min >= valid_max:
        raise InvalidInput("valid_min must be below valid_max", field="valid_min")
    if register_max is not None and kind != PointKind.cumulative:
        raise InvalidInput("register_max only applies to cumulative registers", field="register_max")


def create_point(session: Session, data: schemas.PointCreate) -> Point:
    site = get(session, Site, data.site_id)
    if data.asset_id is not None:
        asset = get(session, Asset, data.asset_id)
        if asset.site_id != site.id:
            raise InvalidInput("the asset belongs to another site", field="asset_id")
    _check_point_values(data.quantity, data.unit, data.kind, data.valid_min, data.valid_max, data.register_max)
    if session.execute(select(Point.id).where(Point.company_id == site.company_id, Point.code == data.code)).first():
        raise Conflict(f"point code '{data.code}' is used in this company", field="code")
    point = Point(company_id=site.company_id, **data.model_dump())
    session.add(point)
    session.flush()
    return point


def update_point(session: Session, point_id: int, data: schemas.PointUpdate) -> Point:
    point = get(session, Point, point_id)
    _apply(point, data)
    _check_point_values(point.quantity, point.unit, point.kind, point.valid_min, point.valid_max, point.register_max)
    session.flush()
    return point


def point_by_code(session: Session, code: str, company_id: int | None = None) -> Point:
    """A visible point by its code (``company_id`` narrows it when codes repeat across companies)."""
    stmt = select(Point).where(Point.code == code)
    if company_id is not None:
        stmt = stmt.where(Point.company_id == company_id)
    rows = list(session.execute(stmt.limit(2)).scalars())
    if not rows:
        raise NotFound(f"point '{code}' not found")
    if len(rows) > 1:
        raise InvalidInput(f"point code '{code}' is used by several companies; give the point id", field="map")
    return rows[0]


def delete_asset(session: Session, asset_id: int) -> None:
    """Delete an asset that has no child assets and no points (move or delete those first)."""
    asset = get(session, Asset, asset_id)
    if session.execute(select(Asset.id).where(Asset.parent_id == asset_id).limit(1)).first():
        raise Conflict("the asset has child assets; delete or move them first")
    if session.execute(select(Point.id).where(Point.asset_id == asset_id).limit(1)).first():
        raise Conflict("points hang on this asset; move or delete them first")
    session.delete(asset)
    session.flush()
