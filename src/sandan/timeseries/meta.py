"""Point metadata the store and queries need, loaded through the access policy."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from sqlalchemy.orm import Session

from sandan.core.errors import Unauthenticated
from sandan.core.tenancy.models import Point, PointKind
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
    name: str = ""
    carrier: str = ""


def metric_of(point: Point) -> str:
    """The key under which a point's values add up with others: quantity, carrier and direction."""
    return _metric(point.quantity, point.carrier.value, point.direction.value)


def _metric(quantity: str, carrier: str, direction: str) -> str:
    return f"{quantity}:{carrier}:{direction}"


# pint parses unit strings slowly (~0.1 ms); the factor between two unit names never changes
_factor = lru_cache(maxsize=512)(conversion_factor)

_POINTS = ("SELECT p.id, p.company_id, p.site_id, p.asset_id, p.interval_s, p.kind, p.quantity, p.unit, p.carrier, "
           "p.direction, p.name, c.complex_id FROM points p JOIN companies c ON c.id = p.company_id WHERE p.id {ids}")
_ASSETS = "SELECT id, parent_id FROM assets WHERE company_id {ids}"
_METERED = "SELECT DISTINCT asset_id, site_id, quantity, carrier, direction FROM points WHERE company_id {ids}"


def _select(session: Session, sql: str, ids: list[int]) -> list[tuple[Any, ...]]:
    """Run ``sql`` whose ``{ids}`` is a membership test in ``ids``, through the driver's cursor."""
    cursor: Any = session.connection().connection.cursor()
    if session.get_bind().dialect.name == "postgresql":
        cursor.execute(sql.format(ids="= ANY(%s)"), (ids,))
    else:
        cursor.execute(sql.format(ids="IN (SELECT value FROM json_each(?))"), (json.dumps(ids),))
    return list(cursor.fetchall())


def load_point_meta(session: Session, point_ids: Iterable[int], *, targets: bool = True) -> dict[int, PointMeta]:
    """Metadata of the visible points among ``point_ids`` (invisible or unknown ids are absent).

    ``targets=False`` skips the group totals each point adds into (they need every point and asset
    of the points' companies; queries of one point do not).

    This runs on every write and every series query, so it asks the driver directly (the ORM
    costs several times the rows); what the session's principal may not read is dropped here, by
    the rule the policy applies to ORM queries of points (:meth:`Principal.may_read_company`).
    """
    ids = sorted({int(i) for i in point_ids})
    if not ids:
        return {}
    principal = session.info.get("principal")
    if principal is None:
        raise Unauthenticated("no principal on this session: every query runs on someone's behalf")
    rows = [r for r in _select(session, _POINTS, ids) if principal.may_read_company(r[1], r[11])]
    if not rows:
        return {}
    asset_parent: dict[int, int | None] = {}
    metered: set[tuple[str, str, int]] = set()
    if targets:
        companies = sorted({r[1] for r in rows})
        asset_parent = dict(_select(session, _ASSETS, companies))
        for asset_id, site_id, quantity, carrier, direction in _select(session, _METERED, companies):
            metric = _metric(quantity, carrier, direction)
            metered.add((metric, "site", site_id) if asset_id is None else (metric, "asset", asset_id))
    out: dict[int, PointMeta] = {}
    routes: dict[tuple[str, int | None, int], tuple[tuple[int, int], ...]] = {}
    for pid, company_id, site_id, asset_id, interval_s, kind, quantity, unit, carrier, direction, name, complex_id \
            in rows:
        quantity_kind = QUANTITIES.get(quantity)
        additive = bool(quantity_kind and quantity_kind.additive and kind == PointKind.interval.value)
        factor = _factor(unit, quantity_kind.canonical_unit) if quantity_kind and additive else 1.0
        metric = _metric(quantity, carrier, direction)
        point_targets: tuple[tuple[int, int], ...] = ()
        if additive and targets:
            route = (metric, asset_id, site_id)
            if route not in routes:  # points on one node with one metric add into the same totals
                place = PointPlace(pid, metric, asset_id, site_id, company_id, complex_id)
                routes[route] = tuple(group_targets(place, asset_parent, metered))
            point_targets = routes[route]
        out[pid] = PointMeta(pid, company_id, complex_id, site_id, asset_id, interval_s, kind, quantity, unit,
                             metric, additive, factor, point_targets, name, carrier)
    return out
