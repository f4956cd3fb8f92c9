"""Data quality per point and per company over a period: completeness, estimates, edits, rejections.

* ``expected`` — intervals of the point's nominal interval in the period, from its ``active_from``
  (if later) to the end of the period or now, whichever is first;
* ``present`` — readings stored in the period (any quality); ``completeness_pct`` = present / expected;
* ``estimated`` / ``edited`` — stored readings of that quality; ``estimated_pct`` of present;
* ``rejected`` — quarantined readings of the point with a timestamp in the period.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd
from sqlalchemy import bindparam, func, select, text
from sqlalchemy.orm import Session

from sandan.core.errors import InvalidInput
from sandan.core.tenancy.models import Company, Point
from sandan.core.tenancy.service import get
from sandan.core.timeutil import now_utc, to_epoch_s
from sandan.ingest.models import QuarantinedReading
from sandan.timeseries.models import Quality

COLUMNS = ["point_id", "code", "name", "interval_s", "expected", "present", "estimated", "edited", "rejected",
           "completeness_pct", "estimated_pct"]
_COUNTS = text("SELECT point_id, quality, count(*) FROM readings WHERE point_id IN :ids AND ts >= :lo AND ts < :hi "
               "GROUP BY point_id, quality").bindparams(bindparam("ids", expanding=True))


def _range(start: dt.datetime, end: dt.datetime) -> tuple[int, int]:
    lo, hi = to_epoch_s(start), to_epoch_s(end)
    if hi <= lo:
        raise InvalidInput("the end of the range must be after its start", field="end")
    return lo, hi


def _expected(point: Point, lo: int, hi: int, now_s: int) -> int:
    if not point.interval_s or point.interval_s <= 0:
        return 0
    active = point.active_from
    if active is not None:
        lo = max(lo, to_epoch_s(active if active.tzinfo else active.replace(tzinfo=dt.UTC)))
    hi = min(hi, now_s)
    if hi <= lo:
        return 0
    first = -(-lo // point.interval_s) * point.interval_s  # the first interval start on the grid
    return max(0, -(-(hi - first) // point.interval_s))


def _rows(session: Session, points: list[Point], lo: int, hi: int) -> list[dict[str, Any]]:
    if not points:
        return []
    ids = [p.id for p in points]
    counts: dict[int, dict[int, int]] = {}
    for i in range(0, len(ids), 500):
        for pid, quality, n in session.execute(_COUNTS, {"ids": ids[i:i + 500], "lo": lo, "hi": hi}).all():
            counts.setdefault(int(pid), {})[int(quality)] = int(n)
    rejected = dict(session.execute(
        select(QuarantinedReading.point_id, func.count()).where(
            QuarantinedReading.point_id.in_(ids), QuarantinedReading.ts >= lo, QuarantinedReading.ts < hi)
        .group_by(QuarantinedReading.point_id)).all())
    now_s = to_epoch_s(now_utc())
    out = []
    for p in points:
        by_quality = counts.get(p.id, {})
        present = sum(by_quality.values())
        expected = _expected(p, lo, hi, now_s)
        estimated = by_quality.get(int(Quality.estimated), 0)
        out.append({"point_id": p.id, "code": p.code, "name": p.name, "interval_s": p.interval_s,
                    "expected": expected, "present": present, "estimated": estimated,
                    "edited": by_quality.get(int(Quality.edited), 0), "rejected": int(rejected.get(p.id, 0)),
                    "completeness_pct": round(100.0 * min(present, expected) / expected, 2) if expected else None,
                    "estimated_pct": round(100.0 * estimated / present, 2) if present else None})
    return out


def point_quality(session: Session, point_id: int, start: dt.datetime, end: dt.datetime) -> dict[str, Any]:
    """The quality figures of one visible point over ``[start, end)``."""
    lo, hi = _range(start, end)
    point = get(session, Point, point_id)
    (row,) = _rows(session, [point], lo, hi)
    return {"company_id": point.company_id, "start": start, "end": end, **row}


def company_quality(session: Session, company_id: int, start: dt.datetime, end: dt.datetime) -> dict[str, Any]:
    """Every point of a visible company over ``[start, end)``, with the company's totals."""
    lo, hi = _range(start, end)
    get(session, Company, company_id)
    points = list(session.execute(select(Point).where(Point.company_id == company_id).order_by(Point.id)).scalars())
    rows = _rows(session, points, lo, hi)
    expected = sum(r["expected"] for r in rows)
    present = sum(min(r["present"], r["expected"]) for r in rows)
    stored = sum(r["present"] for r in rows)
    estimated = sum(r["estimated"] for r in rows)
    return {"company_id": company_id, "start": start, "end": end, "points": rows,
            "expected": expected, "present": stored, "estimated": estimated,
            "edited": sum(r["edited"] for r in rows), "rejected": sum(r["rejected"] for r in rows),
            "completeness_pct": round(100.0 * present / expected, 2) if expected else None,
            "estimated_pct": round(100.0 * estimated / stored, 2) if stored else None}


def quality_frame(rows: list[dict[str, Any]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=COLUMNS)


__all__ = ["company_quality", "point_quality", "quality_frame"]
