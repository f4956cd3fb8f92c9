"""Reading queries: one point or a group, at a resolution and over a range, in a chosen unit.

Every query goes through the access policy: points and groups the caller may not see answer
NotFound, exactly as ids that do not exist.
"""

from __future__ import annotations

import datetime as dt
import itertools
import re
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from sandan.core.errors import InvalidInput, NotFound
from sandan.core.tenancy.models import Asset, Company, Complex, Point, PointKind, Site
from sandan.core.timeutil import KST_OFFSET_S, RESOLUTION_CODES, RESOLUTIONS, from_epoch_s, to_epoch_s
from sandan.core.units import QUANTITIES, unit_factor
from sandan.timeseries.meta import load_point_meta
from sandan.timeseries.models import GroupKind
from sandan.timeseries.rollup import ROLLUP_RESOLUTIONS, choose_value, coarsen, coarsen_sums, source_level

RESOLUTION_CHOICES = ("raw", "15min", "1h", "1d", "1mo")
MAX_RAW_ROWS = 200_000
SERIES_COLUMNS = ["ts", "value", "min", "max", "count"]


@dataclass(frozen=True)
class Series:
    """A queried series: tz-aware UTC timestamps (interval start) and values in ``unit``."""

    frame: pd.DataFrame
    unit: str
    resolution: str
    label: str
    quantity: str

    def to_records(self) -> list[dict[str, Any]]:
        return [{"ts": ts.isoformat(), "value": v, "min": lo, "max": hi, "count": n}
                for ts, v, lo, hi, n in self.frame.itertuples(index=False, name=None)]


def _check_range(start: dt.datetime, end: dt.datetime, resolution: str) -> tuple[int, int]:
    if resolution not in RESOLUTION_CHOICES:
        raise InvalidInput(f"unknown resolution '{resolution}'; use one of {', '.join(RESOLUTION_CHOICES)}",
                           field="resolution")
    lo, hi = to_epoch_s(start), to_epoch_s(end)
    if hi <= lo:
        raise InvalidInput("the end of the range must be after its start", field="end")
    return lo, hi


def _frame(ts: np.ndarray, value: np.ndarray, vmin: np.ndarray, vmax: np.ndarray, n: np.ndarray,
           factor: float) -> pd.DataFrame:
    return pd.DataFrame({
        "ts": pd.to_datetime(np.asarray(ts, dtype=np.int64), unit="s", utc=True),
        "value": np.asarray(value, dtype=np.float64) * factor, "min": np.asarray(vmin, dtype=np.float64) * factor,
        "max": np.asarray(vmax, dtype=np.float64) * factor, "count": np.asarray(n, dtype=np.int64)})


_NAMED = re.compile(r":(\w+)")


def _fetch(session: Session, sql: str, params: dict[str, Any], width: int) -> np.ndarray:
    """Rows of ``width`` numeric columns as a float array ``(rows, width)``.

    Fetched through the driver's cursor (binary results on PostgreSQL): turning ~10,000
    SQLAlchemy rows into an array one by one costs far more than the query itself.
    """
    cursor: Any = session.connection().connection.cursor()
    if session.get_bind().dialect.name == "postgresql":
        cursor.execute(_NAMED.sub(r"%(\1)s", sql), params, binary=True)
    else:
        cursor.execute(sql, params)
    rows = cursor.fetchall()
    return np.fromiter(itertools.chain.from_iterable(rows), dtype=np.float64,
                       count=len(rows) * width).reshape(-1, width)


def point_series(session: Session, point_id: int, start: dt.datetime, end: dt.datetime,
                 resolution: str = "1h", unit: str | None = None) -> Series:
    """One point's series between ``start`` (inclusive) and ``end`` (exclusive)."""
    lo, hi = _check_range(start, end, resolution)
    meta = load_point_meta(session, [point_id], targets=False).get(point_id)
    if meta is None:
        raise NotFound(f"point {point_id} not found")
    target_unit = unit or meta.unit
    factor = unit_factor(meta.unit, target_unit, meta.carrier)
    source = source_level(resolution, meta.interval_s)
    if source == "raw" and resolution in ROLLUP_RESOLUTIONS and meta.kind != PointKind.cumulative.value:
        # buckets of a few readings each, summed by the database (first and last are not needed)
        length = RESOLUTIONS[resolution]
        shift = KST_OFFSET_S if length >= 86400 else 0  # days start at 00:00 KST (timeutil.bucket_starts_s)
        arr = _fetch(session, "SELECT (ts + :shift) / :len * :len - :shift AS b, sum(value), min(value), max(value), "
                     "count(*) FROM readings WHERE point_id = :p AND ts >= :lo AND ts < :hi GROUP BY b ORDER BY b",
                     {"p": point_id, "lo": lo, "hi": hi, "len": length, "shift": shift}, 5)
        n = arr[:, 4].astype(np.int64)
        value = choose_value(meta.kind, arr[:, 1], n, arr[:, 1], arr[:, 1])
        return Series(_frame(arr[:, 0], value, arr[:, 2], arr[:, 3], n, factor), target_unit, resolution, meta.name,
                      meta.quantity)
    if source == "raw":
        arr = _fetch(session, "SELECT ts, value FROM readings WHERE point_id = :p AND ts >= :lo AND ts < :hi "
                     "ORDER BY ts LIMIT :cap", {"p": point_id, "lo": lo, "hi": hi, "cap": MAX_RAW_ROWS + 1}, 2)
        if len(arr) > MAX_RAW_ROWS:
            raise InvalidInput(f"more than {MAX_RAW_ROWS} raw readings in this range; ask for a coarser "
                               "resolution or a shorter range", field="resolution")
        ts, value = arr[:, 0].astype(np.int64), arr[:, 1]
        levels: tuple[np.ndarray, ...] = (ts, value, value, value, np.ones(len(arr), dtype=np.int64), value, value)
    else:
        arr = _fetch(session, "SELECT bucket, v_sum, v_min, v_max, n, first_v, last_v FROM rollups WHERE point_id = :p "
                     "AND res = :r AND bucket >= :lo AND bucket < :hi ORDER BY bucket",
                     {"p": point_id, "r": RESOLUTION_CODES[source], "lo": lo, "hi": hi}, 7)
        levels = (arr[:, 0].astype(np.int64), arr[:, 1], arr[:, 2], arr[:, 3], arr[:, 4].astype(np.int64), arr[:, 5],
                  arr[:, 6])
    bucket, v_sum, v_min, v_max, n, first_v, last_v = levels
    if resolution != source:  # merged when read: a month from days, or buckets from readings
        bucket, v_sum, v_min, v_max, n, first_v, last_v = coarsen(bucket, v_sum, v_min, v_max, n, first_v, last_v,
                                                                  resolution)
    value = v_sum if resolution == "raw" else choose_value(meta.kind, v_sum, n, first_v, last_v)
    frame = _frame(bucket, value, v_min, v_max, n, factor)
    return Series(frame, target_unit, resolution, meta.name, meta.quantity)


_GROUP_MODELS: dict[str, tuple[GroupKind, type[Any]]] = {
    "complex": (GroupKind.complex, Complex), "company": (GroupKind.company, Company),
    "site": (GroupKind.site, Site), "asset": (GroupKind.asset, Asset)}


def visible_group(session: Session, kind: str, group_id: int) -> Any:
    """The complex, company, site or asset row if the caller may see its totals, else NotFound."""
    if kind not in _GROUP_MODELS:
        raise InvalidInput(f"unknown group kind '{kind}'; use complex, company, site or asset", field="group")
    _, model = _GROUP_MODELS[kind]
    row = session.get(model, group_id)
    if row is None:
        raise NotFound(f"{kind} {group_id} not found")
    if kind == "complex":
        principal = session.info["principal"]
        if not (principal.read_all or group_id in principal.complexes_read):
            raise NotFound(f"{kind} {group_id} not found")
    return row


def group_series(session: Session, kind: str, group_id: int, start: dt.datetime, end: dt.datetime, *,
                 quantity: str = "active_energy", carrier: str = "electricity", direction: str = "consumption",
                 resolution: str = "1h", unit: str | None = None) -> Series:
    """The total of a group's points of one quantity (main meters win over sub-meters)."""
    lo, hi = _check_range(start, end, resolution)
    if resolution == "raw":
        raise InvalidInput("group totals start at 15-minute resolution", field="resolution")
    q = QUANTITIES.get(quantity)
    if q is None or not q.additive:
        raise InvalidInput(f"'{quantity}' does not add up across points; group totals need an additive "
                           "quantity such as active_energy", field="quantity")
    row = visible_group(session, kind, group_id)
    group_kind, _ = _GROUP_MODELS[kind]
    metric = f"{quantity}:{carrier}:{direction}"
    target_unit = unit or q.canonical_unit
    factor = unit_factor(q.canonical_unit, target_unit, carrier)
    source = resolution if resolution in ROLLUP_RESOLUTIONS else "1d"  # a month is merged from its days
    arr = _fetch(session, "SELECT bucket, v_sum, n FROM group_rollups WHERE group_kind = :k AND group_id = :g "
                 "AND metric = :m AND res = :r AND bucket >= :lo AND bucket < :hi ORDER BY bucket",
                 {"k": int(group_kind), "g": group_id, "m": metric, "r": RESOLUTION_CODES[source], "lo": lo,
                  "hi": hi}, 3)
    bucket, v_sum, n = arr[:, 0].astype(np.int64), arr[:, 1], arr[:, 2].astype(np.int64)
    if source != resolution:
        bucket, v_sum, n = coarsen_sums(bucket, v_sum, n, resolution)
    frame = _frame(bucket, v_sum, v_sum, v_sum, n, factor)
    label = getattr(row, "name", None) or getattr(row, "name_ko", str(group_id))
    return Series(frame, target_unit, resolution, str(label), quantity)


def latest_readings(session: Session, point_ids: list[int]) -> dict[int, tuple[dt.datetime, float]]:
    """The newest reading of each visible point (for live tiles)."""
    visible = load_point_meta(session, point_ids, targets=False)
    out: dict[int, tuple[dt.datetime, float]] = {}
    conn = session.connection()
    for pid in visible:
        row = conn.execute(text("SELECT ts, value FROM readings WHERE point_id = :p ORDER BY ts DESC LIMIT 1"),
                           {"p": pid}).first()
        if row is not None:
            out[pid] = (from_epoch_s(row[0]), float(row[1]))
    return out


def visible_points(session: Session, company_id: int) -> list[Point]:
    return list(session.execute(select(Point).where(Point.company_id == company_id).order_by(Point.id)).scalars())
