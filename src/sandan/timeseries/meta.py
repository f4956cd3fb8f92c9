"""Point metadata the store and queries need, loaded through the access policy."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from sandan.core.tenancy.models import Asset, Company, Point, PointKind
from sandan.core.units import QUANTITIES, conversion_factor
from sandan.timeseries.routing import PointPlace, group_targets


@dataclass(frozen=True)
class PointMeta:
    id: int
    company_id: int
    complex_id: int
    site_id: int
    asset_id: int | None
    interval_s: int
    kind: str
    quantity: str
    unit: str
    metric: str
    additive: bool
    factor_to_canonical: float
    targets: tuple[tuple[int, int], ...]


def metric_of(point: Point) -> str:
    """The key under which a point's values add up with others: quantity, carrier and direction."""
    return f"{point.quantity}:{point.carrier.value}:{point.direction.value}"


def load_point_meta(session: Session, point_ids: Iterable[int]) -> dict[int, PointMeta]:
    """Metadata of the visible points among ``point_ids`` (invisible or unknown ids are absent)."""
    ids = sorted({int(i) for i in point_ids})
    if not ids:
        return {}
    rows = session.execute(
        select(Point, Company.complex_id).join(Company, Company.id == Point.company_id).where(Point.id.in_(ids))
    ).all()
    if not rows:
        return {}
    company_ids = sorted({p.company_id for p, _ in rows})
    asset_parent = dict(session.execute(
        select(Asset.id, Asset.parent_id).where(Asset.company_id.in_(company_ids))).all())
    metered: set[tuple[str, str, int]] = set()
    for other in session.execute(select(Point).where(Point.company_id.in_(company_ids))).scalars():
        if other.asset_id is None:
            metered.add((metric_of(other), "site", other.site_id))
        else:
            metered.add((metric_of(other), "asset", other.asset_id))
    out: dict[int, PointMeta] = {}
    for point, complex_id in rows:
        quantity = QUANTITIES.get(point.quantity)
        additive = bool(quantity and quantity.additive and point.kind == PointKind.interval)
        factor = conversion_factor(point.unit, quantity.canonical_unit) if quantity and additive else 1.0
        metric = metric_of(point)
        targets: tuple[tuple[int, int], ...] = ()
        if additive:
            place = PointPlace(point.id, metric, point.asset_id, point.site_id, point.company_id, complex_id)
            targets = tuple(group_targets(place, asset_parent, metered))
        out[point.id] = PointMeta(point.id, point.company_id, complex_id, point.site_id, point.asset_id,
                                  point.interval_s, point.kind.value, point.quantity, point.unit, metric,
                                  additive, factor, targets)
    return out
