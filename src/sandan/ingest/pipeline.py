"""The one ingest pipeline: parse → resolve → VEE → store → quarantine → event.

Every way in uses it: HTTP batches (JSON and CSV), file imports, replays from the quarantine
(and MQTT and the gateway once they exist).  :func:`ingest` takes :class:`RawReading` records as
they came; :func:`ingest_frame` takes readings already parsed by a file reader.  Nothing is lost:
each input reading ends ``stored``, ``duplicate``, ``replaced``, ``conflict`` or ``rejected``, and
every conflict and rejection is kept in the quarantine with its reason code, reason, source and
raw payload.  Short gaps are filled by interpolation and stored as *estimated* (a later measured
reading replaces them).

Points are resolved on behalf of the session's principal: a code or id the caller may not write
answers exactly like one that does not exist (``unknown_point``).
"""

from __future__ import annotations

import datetime as dt
import json
import math
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import insert, or_, select, text
from sqlalchemy.orm import Session

from sandan.core.auth.policy import Principal
from sandan.core.errors import DomainError, Unauthenticated
from sandan.core.events import emit
from sandan.core.tenancy.models import Point, PointKind
from sandan.core.timeutil import now_utc, to_epoch_s
from sandan.core.units import QUANTITIES, convert
from sandan.ingest import vee
from sandan.ingest.models import QuarantinedReading
from sandan.timeseries.models import Quality
from sandan.timeseries.store import CONFLICT, DUPLICATE, REJECTED, REPLACED, STATUS_NAMES, STORED, write_readings

#: Readings are accepted between these epoch seconds (1970 .. 2100), like the query API.
TS_MIN, TS_MAX = 0, 4_102_444_800
_QUALITIES = {"measured": int(Quality.measured), "estimated": int(Quality.estimated), "0": 0, "1": 1}
_MAX_RAW_CHARS = 2000


@dataclass(frozen=True)
class RawReading:
    """One reading as it came in.

    ``point`` is a point code or id (an all-digit string is an id); ``point_id`` a point already
    resolved by the caller.  ``ts`` an aware datetime, ISO 8601 text with an offset, or epoch
    seconds; ``value`` a number (or numeric text) in ``unit`` (default: the point's unit);
    ``quality`` ``measured`` (default) or ``estimated``; ``raw`` the fragment it was parsed from,
    kept in the quarantine when the reading is rejected.
    """

    point: Any = None
    ts: Any = None
    value: Any = None
    unit: Any = None
    quality: Any = None
    raw: Any = None
    point_id: int | None = None


@dataclass
class IngestResult:
    """What an ingest did: one status per input reading (``STATUS_NAMES`` codes), reason code and
    reason per conflict or rejection, warnings per reading, and counts of estimates stored and rows
    quarantined."""

    status: np.ndarray
    codes: dict[int, str] = field(default_factory=dict)
    reasons: dict[int, str] = field(default_factory=dict)
    warnings: dict[int, list[str]] = field(default_factory=dict)
    estimated: int = 0
    quarantined: int = 0
    quarantine_ids: dict[int, int] = field(default_factory=dict)

    def count(self, status: int) -> int:
        return int((self.status == status).sum())

    def summary(self) -> dict[str, Any]:
        counts = {name: self.count(i) for i, name in enumerate(STATUS_NAMES)}
        return {"received": len(self.status), **counts, "estimated": self.estimated,
                "quarantined": self.quarantined,
                "reasons": dict(Counter(self.codes.values()).most_common()),
                "warnings": dict(Counter(w for ws in self.warnings.values() for w in ws).most_common())}

    def items(self) -> list[dict[str, Any]]:
        """Per input reading: index, status, and reason code, reason and warnings where there are any."""
        out = []
        for i, code in enumerate(self.status.tolist()):
            item: dict[str, Any] = {"index": i, "status": STATUS_NAMES[code]}
            if i in self.codes:
                item["reason_code"] = self.codes[i]
                item["reason"] = self.reasons.get(i, "")
            if i in self.warnings:
                item["warnings"] = self.warnings[i]
            out.append(item)
        return out


# --- parse ---------------------------------------------------------------------------------------

class _Reject(Exception):
    def __init__(self, code: str, reason: str) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason


def _short(value: Any, limit: int = 60) -> str:
    text_ = str(value)
    return text_ if len(text_) <= limit else text_[:limit] + "…"


def parse_ts(value: Any) -> int:
    """Epoch seconds [UTC] of an aware datetime, ISO 8601 text with an offset, or epoch seconds."""
    if isinstance(value, bool) or value is None:
        raise _Reject("bad_timestamp", "the timestamp is missing" if value is None else "the timestamp is not a time")
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:
            raise _Reject("bad_timestamp", "the timestamp has no UTC offset (e.g. 2026-11-25T10:15:00+09:00)")
        seconds: float = value.timestamp()
    elif isinstance(value, int | float | np.integer | np.floating):
        seconds = float(value)
        if not math.isfinite(seconds):
            raise _Reject("bad_timestamp", f"'{_short(value)}' is not a time")
    elif isinstance(value, str):
        stripped = value.strip()
        try:
            seconds = float(stripped)
        except ValueError:
            try:
                parsed = dt.datetime.fromisoformat(stripped.replace("Z", "+00:00"))
            except ValueError:
                raise _Reject("bad_timestamp", f"'{_short(value)}' is not ISO 8601 or epoch seconds") from None
            if parsed.tzinfo is None:
                raise _Reject("bad_timestamp", f"'{_short(value)}' has no UTC offset "
                              "(e.g. 2026-11-25T10:15:00+09:00)") from None
            try:
                seconds = parsed.timestamp()
            except (OverflowError, ValueError):
                raise _Reject("bad_timestamp", f"'{_short(value)}' is not a time") from None
        if not math.isfinite(seconds):
            raise _Reject("bad_timestamp", f"'{_short(value)}' is not a time")
    else:
        raise _Reject("bad_timestamp", "the timestamp is not text or a number")
    if not TS_MIN <= seconds < TS_MAX:
        raise _Reject("bad_timestamp", f"'{_short(value)}' lies outside 1970-01-01 .. 2100-01-01")
    if seconds != int(seconds):
        raise _Reject("bad_timestamp", f"'{_short(value)}' is not a whole second")
    return int(seconds)


def parse_value(value: Any) -> float:
    """A reading's value as a float; NaN and ±inf come back as they are (the VEE rejects them)."""
    if isinstance(value, bool) or value is None:
        raise _Reject("not_a_number", "the value is missing" if value is None else "the value is not a number")
    if isinstance(value, int | float | np.integer | np.floating):
        try:
            return float(value)
        except OverflowError:
            raise _Reject("not_finite", "the value is too large") from None
    if isinstance(value, str):
        try:
            return float(value.strip().replace(",", ""))
        except ValueError:
            raise _Reject("not_a_number", f"'{_short(value)}' is not a number") from None
    raise _Reject("not_a_number", "the value is not a number")


def _parse_quality(value: Any) -> int:
    if value is None or value == "":
        return int(Quality.measured)
    key = str(value).strip().lower()
    if key not in _QUALITIES:
        raise _Reject("bad_quality", f"quality '{_short(value)}' is not measured or estimated; "
                      "edits go through the edit API with a reason")
    return _QUALITIES[key]


def _ref(reading: RawReading) -> str:
    if reading.point_id is not None:
        return str(reading.point_id)
    point = reading.point
    if isinstance(point, bool) or point is None:
        raise _Reject("bad_payload", "the reading names no point")
    if isinstance(point, int):
        return str(point)
    if isinstance(point, str) and point.strip():
        return point.strip()
    raise _Reject("bad_payload", "the point must be a code or an id")


def _unit(value: Any) -> str | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise _Reject("unknown_unit", "the unit must be text such as kWh")
    return value.strip() or None


# --- resolve -------------------------------------------------------------------------------------

@dataclass(frozen=True)
class _Point:
    id: int
    company_id: int
    code: str
    unit: str
    quantity: str
    kind: str
    interval_s: int
    valid_min: float | None
    valid_max: float | None
    register_max: float | None
    active_from_s: int | None


def _principal(session: Session) -> Principal:
    principal = session.info.get("principal")
    if principal is None:
        raise Unauthenticated("no principal on this session: every write is made on someone's behalf")
    return principal  # type: ignore[no-any-return]


def _writes(principal: Principal, company_id: int) -> bool:
    return principal.is_admin or company_id in principal.companies_readings


def _resolve(session: Session, refs: Iterable[str], principal: Principal) -> tuple[dict[str, _Point], set[str]]:
    """Points the caller may write, by reference (code or id); and references that are ambiguous."""
    refs = set(refs)
    ids = sorted({int(r) for r in refs if r.isdigit() and len(r) < 11})
    codes = sorted(r for r in refs if not r.isdigit())
    if not ids and not codes:
        return {}, set()
    cols = (Point.id, Point.company_id, Point.code, Point.unit, Point.quantity, Point.kind, Point.interval_s,
            Point.valid_min, Point.valid_max, Point.register_max, Point.active_from)
    found: list[Any] = []
    for i in range(0, max(len(ids), len(codes)), 500):
        clauses = []
        if ids[i:i + 500]:
            clauses.append(Point.id.in_(ids[i:i + 500]))
        if codes[i:i + 500]:
            clauses.append(Point.code.in_(codes[i:i + 500]))
        found.extend(session.execute(select(*cols).where(or_(*clauses))).all())
    by_ref: dict[str, _Point] = {}
    ambiguous: set[str] = set()
    for row in found:
        if not _writes(principal, row.company_id):
            continue
        active = row.active_from
        if active is not None and active.tzinfo is None:
            active = active.replace(tzinfo=dt.UTC)
        point = _Point(row.id, row.company_id, row.code, row.unit, row.quantity, PointKind(row.kind).value,
                       int(row.interval_s or 0), row.valid_min, row.valid_max, row.register_max,
                       to_epoch_s(active) if active is not None else None)
        if str(row.id) in refs:
            by_ref[str(row.id)] = point
        if row.code in refs:
            if row.code in by_ref and by_ref[row.code].id != row.id:
                ambiguous.add(row.code)
            by_ref[row.code] = point
    for code in ambiguous:
        by_ref.pop(code, None)
    return by_ref, ambiguous


@lru_cache(maxsize=512)
def _linear(source: str, target: str) -> tuple[float, float]:
    """``(a, b)`` with ``target = a + b × source``; raises DomainError for unknown or foreign units."""
    a = convert(0.0, source, target)
    return a, convert(1.0, source, target) - a


# --- previous readings ---------------------------------------------------------------------------

#: How far back the first look for a point's previous reading goes [s]: a window that pins the query
#: to a few monthly partitions on PostgreSQL (an unbounded ``max(ts)`` probes every partition).
PREVIOUS_LOOKBACK_S = 35 * 86400


def previous_readings(session: Session, first_ts: dict[int, int],
                      unbounded: Iterable[int] = ()) -> dict[int, tuple[int, float]]:
    """The last stored reading before ``first_ts[point]`` of each point [epoch s, point unit].

    Looks back :data:`PREVIOUS_LOOKBACK_S` first; the points in ``unbounded`` (cumulative
    registers, whose last value matters however old it is) that have nothing in that window are
    looked up again without a bound.
    """
    out = _previous(session, sorted(first_ts.items()), PREVIOUS_LOOKBACK_S)
    again = sorted((pid, first_ts[pid]) for pid in set(unbounded) if pid in first_ts and pid not in out)
    if again:
        out.update(_previous(session, again, None))
    return out


def _previous(session: Session, items: list[tuple[int, int]], lookback_s: int | None) -> dict[int, tuple[int, float]]:
    out: dict[int, tuple[int, float]] = {}
    for lo in range(0, len(items), 300):
        sql, params = previous_query(items[lo:lo + 300], lookback_s)
        for pid, ts, value in session.execute(text(sql), params).all():
            out[int(pid)] = (int(ts), float(value))
    return out


def previous_query(chunk: list[tuple[int, int]], lookback_s: int | None) -> tuple[str, dict[str, int]]:
    """SQL and parameters of the previous-reading look-up for (point, first ts) pairs."""
    params: dict[str, int] = {}
    values = []
    for j, (pid, ts) in enumerate(chunk):
        params[f"p{j}"], params[f"t{j}"] = int(pid), int(ts)
        values.append(f"(CAST(:p{j} AS INTEGER), CAST(:t{j} AS BIGINT))")
    inner = outer = ""
    if lookback_s is not None:
        # constants, so that PostgreSQL prunes the partitions when it plans the query
        params["lo_all"] = min(ts for _pid, ts in chunk) - lookback_s
        params["hi_all"] = max(ts for _pid, ts in chunk)
        params["lookback"] = lookback_s
        bounds = " AND {r}.ts >= CAST(:lo_all AS BIGINT) AND {r}.ts < CAST(:hi_all AS BIGINT)"
        inner = " AND r2.ts >= s.lo - :lookback" + bounds.format(r="r2")
        outer = bounds.format(r="r")
    sql = (f"WITH s(p, lo) AS (VALUES {', '.join(values)}) "
           f"SELECT r.point_id, r.ts, r.value FROM s JOIN readings r ON r.point_id = s.p{outer} AND r.ts = "
           f"(SELECT max(r2.ts) FROM readings r2 WHERE r2.point_id = s.p AND r2.ts < s.lo{inner})")
    return sql, params


# --- the pipeline ---------------------------------------------------------------------------------

@dataclass
class _Batch:
    """Parsed readings: one row per input reading (``idx``), rejected or not."""

    n: int
    ref: list[str]
    ts: np.ndarray
    value: np.ndarray
    unit: list[str | None]
    quality: np.ndarray
    raw: list[Any]
    codes: dict[int, str] = field(default_factory=dict)
    reasons: dict[int, str] = field(default_factory=dict)

    def reject(self, i: int, code: str, reason: str) -> None:
        if i not in self.codes:
            self.codes[i] = code
            self.reasons[i] = reason


def _parse(raw: Sequence[RawReading]) -> _Batch:
    n = len(raw)
    batch = _Batch(n, [""] * n, np.zeros(n, dtype=np.int64), np.full(n, np.nan), [None] * n,
                   np.zeros(n, dtype=np.int64), [r.raw for r in raw])
    # a batch repeats its timestamps (one per meter), units and qualities: each distinct text is
    # parsed once (a rejection too)
    times, units, qualities = _Memo(parse_ts), _Memo(_unit), _Memo(_parse_quality)
    for i, reading in enumerate(raw):
        try:
            batch.ref[i] = _ref(reading)
            batch.ts[i] = times(reading.ts)
            batch.value[i] = parse_value(reading.value)
            batch.unit[i] = units(reading.unit)
            batch.quality[i] = qualities(reading.quality)
        except _Reject as rejection:
            batch.reject(i, rejection.code, rejection.reason)
    return batch


class _Memo:
    """A parser whose answers (values or rejections) are kept per distinct input of one batch."""

    def __init__(self, parse: Any) -> None:
        self.parse = parse
        self.seen: dict[tuple[type, Any], Any] = {}

    def __call__(self, value: Any) -> Any:
        if not isinstance(value, str | int | float | type(None)):
            return self.parse(value)
        key = (type(value), value)  # 1 and 1.0 and True stay apart
        found = self.seen.get(key)
        if found is None:
            try:
                found = (True, self.parse(value))
            except _Reject as rejection:
                found = (False, rejection)
            self.seen[key] = found
        if found[0]:
            return found[1]
        raise found[1]


def ingest(session: Session, raw: Sequence[RawReading], *, source: str, source_ref: str = "",
           config: vee.VeeConfig = vee.DEFAULT, now: dt.datetime | None = None, quarantine: bool = True,
           allow: Iterable[str] = ()) -> IngestResult:
    """Ingest readings as they came, on behalf of the session's principal (see the module doc).

    ``source`` says the way in (``http``, ``file``, ``mqtt``, ``replay`` …), ``source_ref`` which
    one (a gateway, a file name).  ``allow`` lists rule codes to let pass this time (a replay
    of readings a person has looked at, e.g. ``spike``).  ``quarantine=False`` keeps rejected
    readings out of the quarantine (a replay updates the rows it came from instead).
    """
    return _run(session, _parse(raw), source=source, source_ref=source_ref, config=config, now=now,
                quarantine=quarantine, allow=set(allow))


def ingest_frame(session: Session, frame: pd.DataFrame, *, source: str, source_ref: str = "",
                 raw: Sequence[Any] | None = None, config: vee.VeeConfig = vee.DEFAULT,
                 now: dt.datetime | None = None) -> IngestResult:
    """Ingest readings parsed already: ``point_id``, ``ts`` [epoch s, interval start], ``value``
    [point unit], optional ``quality``; ``raw`` the fragment of each row for the quarantine."""
    n = len(frame)
    quality = frame["quality"].to_numpy(np.int64) if "quality" in frame else np.zeros(n, dtype=np.int64)
    batch = _Batch(n, [str(p) for p in frame["point_id"].tolist()], frame["ts"].to_numpy(np.int64).copy(),
                   frame["value"].to_numpy(np.float64).copy(), [None] * n, quality.copy(),
                   list(raw) if raw is not None else [None] * n)
    return _run(session, batch, source=source, source_ref=source_ref, config=config, now=now, quarantine=True,
                allow=set())


def _run(session: Session, batch: _Batch, *, source: str, source_ref: str, config: vee.VeeConfig,
         now: dt.datetime | None, quarantine: bool, allow: set[str]) -> IngestResult:
    principal = _principal(session)
    n = batch.n
    received_value = batch.value.copy()  # the quarantine keeps values as sent, in the unit sent
    now_s = to_epoch_s(now or now_utc())
    ok = [i for i in range(n) if i not in batch.codes]
    points, ambiguous = _resolve(session, {batch.ref[i] for i in ok}, principal)
    point_of = np.full(n, -1, dtype=np.int64)
    for i in ok:
        ref = batch.ref[i]
        if ref in ambiguous:
            batch.reject(i, "ambiguous_point", f"point code '{_short(ref)}' is used by several companies; "
                         "send the point id")
        elif ref not in points:
            batch.reject(i, "unknown_point", f"unknown point '{_short(ref)}'")
        else:
            point_of[i] = points[ref].id
    by_id = {p.id: p for p in points.values()}

    _convert_units(batch, point_of, by_id)
    _check_readings(batch, point_of, by_id, now_s, config, allow)
    warnings: dict[int, list[str]] = {}
    estimates = _check_series(session, batch, point_of, by_id, config, allow, warnings)

    status = np.full(n, REJECTED, dtype=np.int8)
    accepted = np.array([i not in batch.codes for i in range(n)], dtype=bool)
    rows = np.flatnonzero(accepted)
    frame = pd.DataFrame({"point_id": point_of[rows], "ts": batch.ts[rows], "value": batch.value[rows],
                          "quality": batch.quality[rows]})
    if len(estimates):
        frame = pd.concat([frame, estimates], ignore_index=True)
    result = IngestResult(status, warnings=warnings)
    if len(frame):
        written = write_readings(session, frame)
        status[rows] = written.status[:len(rows)]
        for j, i in enumerate(rows.tolist()):
            if status[i] == CONFLICT:
                batch.reject(i, "conflict", written.reasons.get(j, "a different value is stored"))
            elif status[i] == REJECTED:
                reason = written.reasons.get(j, "refused by the store")
                batch.reject(i, "unknown_point" if reason == "unknown point" else "store_rejected", reason)
        result.estimated = int((written.status[len(rows):] == STORED).sum())
    result.codes = {i: c for i, c in batch.codes.items()}
    result.reasons = {i: batch.reasons[i] for i in batch.codes}
    if quarantine and batch.codes:
        result.quarantine_ids = _quarantine(session, batch, received_value, point_of, by_id, status, source,
                                            source_ref)
        result.quarantined = len(result.quarantine_ids)
    _announce(session, batch, point_of, status, result, source, source_ref)
    return result


def _convert_units(batch: _Batch, point_of: np.ndarray, by_id: dict[int, _Point]) -> None:
    for i in range(batch.n):
        unit = batch.unit[i]
        if unit is None or i in batch.codes:
            continue
        point = by_id[int(point_of[i])]
        if unit == point.unit:
            continue
        try:
            a, b = _linear(unit, point.unit)
        except DomainError:
            kind = QUANTITIES.get(point.quantity)
            try:
                convert(1.0, unit, unit)
            except DomainError:
                batch.reject(i, "unknown_unit", f"unknown unit '{_short(unit, 20)}'")
                continue
            label = kind.name if kind else point.quantity
            batch.reject(i, "unit_mismatch", f"unit {_short(unit, 20)} does not measure {label} "
                         f"(point {point.code} is in {point.unit})")
            continue
        batch.value[i] = a + b * batch.value[i]


def _check_readings(batch: _Batch, point_of: np.ndarray, by_id: dict[int, _Point], now_s: int,
                    config: vee.VeeConfig, allow: set[str]) -> None:
    """The checks of single readings, vectorised per point."""
    live = np.array([i not in batch.codes for i in range(batch.n)], dtype=bool)
    for pid in np.unique(point_of[live]).tolist():
        point = by_id[pid]
        rows = np.flatnonzero(live & (point_of == pid))
        ts, value = batch.ts[rows], batch.value[rows]
        upper = point.valid_max
        if point.kind == PointKind.cumulative and point.register_max is not None:
            upper = point.register_max if upper is None else min(upper, point.register_max)
        quantity = QUANTITIES.get(point.quantity)
        interval_additive = point.kind == PointKind.interval and bool(quantity and quantity.additive)
        grid = vee.off_grid(ts, point.interval_s) if point.kind == PointKind.interval else np.zeros(len(ts), bool)
        checks: list[tuple[np.ndarray, str, str]] = [
            (vee.not_finite(value), "not_finite", "{v} is not a finite number"),
            (vee.in_future(ts, now_s, config.future_tolerance_s), "future_timestamp",
             f"the timestamp is more than {config.future_tolerance_s} s in the future"),
            (vee.before_active(ts, point.active_from_s), "before_active",
             f"the timestamp is before point {point.code} became active"),
            (grid, "off_grid", f"an interval total must start on the {point.interval_s} s grid"),
            (vee.negative_interval(value, interval_additive=interval_additive, valid_min=point.valid_min),
             "negative_interval", f"{{v:g}} {point.unit} is negative; an interval total of {point.quantity} "
             "cannot be"),
            (vee.out_of_range(value, point.valid_min, upper), "out_of_range",
             f"{{v:g}} is outside the point's valid range [{point.valid_min}, {upper}]"),
        ]
        for mask, code, template in checks:
            if code in allow:
                continue
            for j in np.flatnonzero(mask).tolist():
                batch.reject(int(rows[j]), code, template.format(v=float(value[j])))


def _check_series(session: Session, batch: _Batch, point_of: np.ndarray, by_id: dict[int, _Point],
                  config: vee.VeeConfig, allow: set[str], warnings: dict[int, list[str]]) -> pd.DataFrame:
    """In-batch repeats, then per point over time: spikes, flat lines, registers, gaps and estimates."""
    live = np.array([i not in batch.codes for i in range(batch.n)], dtype=bool)
    idx = np.flatnonzero(live)
    if not len(idx):
        return pd.DataFrame(columns=["point_id", "ts", "value", "quality"])
    order = idx[np.lexsort((idx, batch.ts[idx], point_of[idx]))]
    p, t, v = point_of[order], batch.ts[order], batch.value[order]
    repeat = np.r_[False, (p[1:] == p[:-1]) & (t[1:] == t[:-1])]
    for k in np.flatnonzero(repeat).tolist():
        first = k - 1
        while repeat[first]:
            first -= 1
        if not np.isclose(v[k], v[first], rtol=1e-12, atol=1e-9):
            batch.reject(int(order[k]), "duplicate_in_batch", f"reading {int(order[first])} of this batch gives "
                         f"another value ({v[first]:g}) for this point and time; the first is kept")
    unique = order[~repeat]
    pids = point_of[unique]
    need_previous = {int(pid): int(batch.ts[unique[pids == pid]].min()) for pid in np.unique(pids).tolist()
                     if by_id[int(pid)].kind == PointKind.cumulative or config.max_estimate_gap_s > 0}
    registers = [pid for pid in need_previous if by_id[pid].kind == PointKind.cumulative]
    previous = previous_readings(session, need_previous, unbounded=registers) if need_previous else {}
    estimates: list[pd.DataFrame] = []
    starts = np.flatnonzero(np.r_[True, pids[1:] != pids[:-1]])  # unique is sorted by point and time
    spiky = vee.spikes_by_run(batch.value[unique], starts, k=config.spike_k, window=config.spike_window,
                              min_context=config.spike_min_context)
    for lo, hi in zip(starts.tolist(), [*starts[1:].tolist(), len(unique)], strict=True):
        pid = int(pids[lo])
        point = by_id[pid]
        rows = unique[lo:hi]  # sorted by time
        value = batch.value[rows]
        if point.kind == PointKind.cumulative:
            prev = previous.get(pid)
            reg = vee.register_deltas(value, previous=prev[1] if prev else None, register_max=point.register_max,
                                      rollover_fraction=config.rollover_fraction)
            if "counter_backwards" not in allow:
                last = prev[1] if prev else None
                for j in range(len(rows)):
                    if reg.backwards[j]:
                        batch.reject(int(rows[j]), "counter_backwards",
                                     f"the register went back from {last:g} to {value[j]:g} {point.unit} without "
                                     "rolling over (a meter reset or a wrong reading)")
                    else:
                        last = float(value[j])
            _warn(warnings, rows[reg.rollover], "rollover")
        else:
            spike = spiky[lo:hi]
            if config.spike_action == "reject" and "spike" not in allow:
                for j in np.flatnonzero(spike).tolist():
                    batch.reject(int(rows[j]), "spike", f"{value[j]:g} is more than {config.spike_k:g} times the "
                                 "rolling median of its neighbours")
            else:
                _warn(warnings, rows[spike], "spike")
            _warn(warnings, rows[vee.flat_lines(value, run=config.flat_run)], "flat_line")
        kept = np.array([int(i) not in batch.codes for i in rows], dtype=bool)
        if point.interval_s > 0 and kept.any():
            est = vee.estimate_gaps(batch.ts[rows[kept]], value[kept], point.interval_s,
                                    max_gap_s=config.max_estimate_gap_s, previous=previous.get(pid))
            _warn(warnings, rows[kept][est.gap_after], "gap")
            if len(est.ts):
                estimates.append(pd.DataFrame({"point_id": pid, "ts": est.ts, "value": est.value,
                                               "quality": int(Quality.estimated)}))
    if not estimates:
        return pd.DataFrame(columns=["point_id", "ts", "value", "quality"])
    return pd.concat(estimates, ignore_index=True)


def _warn(warnings: dict[int, list[str]], rows: np.ndarray, code: str) -> None:
    for i in np.asarray(rows).tolist():
        warnings.setdefault(int(i), []).append(code)


# --- quarantine and events ------------------------------------------------------------------------

def json_safe(value: Any, depth: int = 0) -> Any:
    """A raw fragment as JSON both databases store: no NaN/inf, no NUL characters, bounded size."""
    if depth > 20:
        return "…"
    if isinstance(value, float | np.floating):
        return float(value) if math.isfinite(value) else str(value)
    if isinstance(value, bool | int | type(None)):
        return value
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, str):
        return value.replace("\x00", "")[:_MAX_RAW_CHARS]
    if isinstance(value, dict):
        return {str(k).replace("\x00", "")[:200]: json_safe(v, depth + 1) for k, v in list(value.items())[:50]}
    if isinstance(value, list | tuple):
        return [json_safe(v, depth + 1) for v in list(value)[:50]]
    if isinstance(value, dt.datetime):
        return value.isoformat()
    return str(value).replace("\x00", "")[:_MAX_RAW_CHARS]


def _bounded(value: Any) -> Any:
    safe = json_safe(value)
    text_ = json.dumps(safe, ensure_ascii=False)
    if len(text_) > _MAX_RAW_CHARS:
        return {"truncated": text_[:_MAX_RAW_CHARS]}
    return safe


def _quarantine(session: Session, batch: _Batch, received_value: np.ndarray, point_of: np.ndarray,
                by_id: dict[int, _Point], status: np.ndarray, source: str, source_ref: str) -> dict[int, int]:
    order = sorted(batch.codes)
    rows = []
    for i in order:
        point = by_id.get(int(point_of[i]))
        rows.append({
            "company_id": point.company_id if point else None, "point_id": point.id if point else None,
            "point_ref": batch.ref[i], "ts": int(batch.ts[i]) if batch.ts[i] else None,
            "value": float(received_value[i]), "unit": batch.unit[i] or (point.unit if point else None),
            "quality": "estimated" if batch.quality[i] == Quality.estimated else "measured",
            "status": "conflict" if status[i] == CONFLICT else "rejected",
            "reason_code": batch.codes[i], "reason": batch.reasons[i], "raw": batch.raw[i]})
    ids = quarantine_rows(session, rows, source=source, source_ref=source_ref)
    return dict(zip(order, ids, strict=True)) if len(ids) == len(order) else {}


def quarantine_rows(session: Session, rows: list[dict[str, Any]], *, source: str, source_ref: str = "") -> list[int]:
    """Keep readings that were not stored in the quarantine; returns their ids in the rows' order.

    Each row: ``reason_code`` and ``reason``, and what is known of ``company_id``, ``point_id``,
    ``point_ref``, ``ts`` [epoch s], ``value``, ``unit``, ``quality``, ``status`` and ``raw``.  A
    row without a company goes to the caller's own company when the caller writes readings of
    exactly one (a device), else stays unknown (seen by the platform only).
    """
    if not rows:
        return []
    principal = _principal(session)
    own = sorted(principal.companies_readings)
    fallback = own[0] if len(own) == 1 else None
    received = now_utc()
    records = []
    for row in rows:
        value = row.get("value")
        records.append({
            "company_id": row.get("company_id") or fallback, "point_id": row.get("point_id"),
            "point_ref": str(row.get("point_ref") or "").replace("\x00", "")[:120], "ts": row.get("ts"),
            "value": value if isinstance(value, float | int) and math.isfinite(value) else None,
            "unit": (str(row.get("unit") or "").replace("\x00", "")[:20]) or None,
            "quality": row.get("quality"), "status": row.get("status", "rejected"),
            "reason_code": str(row["reason_code"])[:40], "reason": str(row.get("reason", "")).replace("\x00", "")[:500],
            "source": source[:20], "source_ref": source_ref.replace("\x00", "")[:200], "raw": _bounded(row.get("raw")),
            "received_at": received, "submitted_by": principal.user_id, "replay_status": "pending",
            "replay_reason": "", "replays": 0})
    ids = _new_quarantine_ids(session, len(records))
    for record, row_id in zip(records, ids, strict=True):
        record["id"] = row_id
    table: Any = QuarantinedReading.__table__
    if session.get_bind().dialect.name == "postgresql":
        # binary-free COPY: a multi-row INSERT .. RETURNING of thousands of rows costs seconds to
        # build and parse; COPY of the same rows, with ids taken from the sequence first, milliseconds
        columns = [c.name for c in table.columns if c.name in records[0]]
        cursor: Any = session.connection().connection.cursor()
        with cursor.copy(f"COPY quarantine ({', '.join(columns)}) FROM STDIN") as copy:
            for record in records:
                copy.write_row([json.dumps(record[c], ensure_ascii=False) if c == "raw" and record[c] is not None
                                else record[c] for c in columns])
    else:
        session.execute(insert(table), records)  # sqlite3 executemany
    return ids


def _new_quarantine_ids(session: Session, n: int) -> list[int]:
    """``n`` ids for new quarantine rows: from the table's sequence on PostgreSQL; after the largest
    on SQLite (one writer at a time holds the database)."""
    conn = session.connection()
    if session.get_bind().dialect.name == "postgresql":
        return [int(x) for x in conn.execute(text(
            "SELECT nextval(pg_get_serial_sequence('quarantine', 'id')) FROM generate_series(1, :n)"),
            {"n": n}).scalars()]
    last = int(conn.execute(text("SELECT coalesce(max(id), 0) FROM quarantine")).scalar_one())
    return list(range(last + 1, last + 1 + n))


def _announce(session: Session, batch: _Batch, point_of: np.ndarray, status: np.ndarray, result: IngestResult,
              source: str, source_ref: str) -> None:
    written = (status == STORED) | (status == REPLACED)
    if not written.any() and not result.estimated:
        return
    pids = sorted({int(p) for p in point_of[written].tolist()})
    ts = batch.ts[written]
    emit(session, "readings.stored", source=source, source_ref=source_ref, point_ids=pids,
         stored=int((status == STORED).sum()), replaced=int((status == REPLACED).sum()),
         duplicates=int((status == DUPLICATE).sum()), estimated=result.estimated,
         first_ts=int(ts.min()) if len(ts) else None, last_ts=int(ts.max()) if len(ts) else None)


__all__ = ["IngestResult", "RawReading", "ingest", "ingest_frame", "json_safe", "parse_ts", "parse_value",
           "previous_readings", "quarantine_rows"]
