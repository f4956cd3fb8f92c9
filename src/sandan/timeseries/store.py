"""The reading store: idempotent writes with rollups kept current, and audited edits.

A write is classified row by row against what is stored (idempotent on point + timestamp):

* new → stored, and merged into the rollups of every materialised resolution and every group;
* the same value again → ``duplicate``, nothing changes;
* a measured value where an estimate was stored → ``replaced`` (estimates give way to real readings);
* a different measured value where a measured or edited one is stored → ``conflict``, nothing
  changes; the caller keeps it (ingest quarantines it);
* an estimate where a real reading is stored → ``duplicate``.

Changing a stored value on purpose is an *edit* (:func:`edit_reading`): it needs a reason and
is audited with the value before and after.

Speed: a batch whose points have no stored readings in its time range (the usual case) is
inserted in bulk (``executemany`` on SQLite, binary ``COPY`` built with numpy on PostgreSQL) and its
rollups are computed in memory with numpy and merged with one upsert per table (on PostgreSQL a
binary ``COPY`` into a temporary table, then one ``INSERT .. SELECT .. ON CONFLICT``).  Which points
already hold readings in the batch's range is asked in one query.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, TypeVar

import numpy as np
import pandas as pd
import psycopg
from sqlalchemy.orm import Session

from sandan.core import audit
from sandan.core.auth.policy import Principal, require
from sandan.core.errors import InvalidInput, NotFound, Unauthenticated
from sandan.core.timeutil import RESOLUTION_CODES, RESOLUTIONS, bucket_start_s, from_epoch_s
from sandan.timeseries import partitions
from sandan.timeseries.meta import PointMeta, load_point_meta
from sandan.timeseries.models import GroupKind, Quality
from sandan.timeseries.rollup import POINT_COLUMNS, ROLLUP_RESOLUTIONS, group_rollups, point_rollups, sort_order

STORED, DUPLICATE, REPLACED, CONFLICT, REJECTED = 0, 1, 2, 3, 4
_T = TypeVar("_T")
STATUS_NAMES = ("stored", "duplicate", "replaced", "conflict", "rejected")


@dataclass
class WriteResult:
    """What a write did, with one status code per input row (``STATUS_NAMES``) and reasons."""

    status: np.ndarray
    reasons: dict[int, str] = field(default_factory=dict)
    existing: dict[int, float] = field(default_factory=dict)

    def count(self, status: int) -> int:
        return int((self.status == status).sum())

    @property
    def stored(self) -> int:
        return self.count(STORED)

    @property
    def duplicates(self) -> int:
        return self.count(DUPLICATE)

    @property
    def replaced(self) -> int:
        return self.count(REPLACED)

    @property
    def conflicts(self) -> int:
        return self.count(CONFLICT)

    @property
    def rejected(self) -> int:
        return self.count(REJECTED)

    def summary(self) -> dict[str, int]:
        return {name: self.count(i) for i, name in enumerate(STATUS_NAMES)}


def _principal(session: Session) -> Principal:
    principal = session.info.get("principal")
    if principal is None:
        raise Unauthenticated("no principal on this session")
    return principal  # type: ignore[no-any-return]


def _raw_cursor(session: Session) -> Any:
    return session.connection().connection.cursor()


def _is_pg(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def as_frame(records: Iterable[tuple[int, int, float]] | pd.DataFrame) -> pd.DataFrame:
    """Readings as a frame ``point_id, ts [epoch s], value, quality``."""
    if isinstance(records, pd.DataFrame):
        frame = records
    else:
        frame = pd.DataFrame(list(records), columns=["point_id", "ts", "value", "quality"][: 4])
    if "quality" not in frame:
        frame = frame.assign(quality=int(Quality.measured))
    return pd.DataFrame({"point_id": frame["point_id"].to_numpy(np.int64), "ts": frame["ts"].to_numpy(np.int64),
                         "value": frame["value"].to_numpy(np.float64),
                         "quality": frame["quality"].to_numpy(np.int64)})


def write_readings(session: Session, readings: pd.DataFrame) -> WriteResult:
    """Store a batch of readings (columns ``point_id``, ``ts`` [epoch s, interval start], ``value``
    [point unit], optional ``quality``) on behalf of the session's principal.

    Nothing is raised for bad rows: each row gets a status, and rejected rows a reason.
    """
    principal = _principal(session)
    frame = as_frame(readings).reset_index(drop=True)
    n = len(frame)
    status = np.full(n, STORED, dtype=np.int8)
    result = WriteResult(status)
    if n == 0:
        return result

    point_id = frame["point_id"].to_numpy()
    ts = frame["ts"].to_numpy()
    bad_value = ~np.isfinite(frame["value"].to_numpy())
    bad_quality = ~np.isin(frame["quality"].to_numpy(), [int(Quality.measured), int(Quality.estimated)])
    meta = load_point_meta(session, np.unique(point_id).tolist())
    allowed: dict[int, PointMeta] = {}
    for pid, m in meta.items():
        try:
            require(principal, "write_readings", m.company_id)
        except NotFound:
            continue
        allowed[pid] = m
    unknown = ~np.isin(point_id, np.fromiter(allowed, dtype=np.int64, count=len(allowed)))
    for mask, reason in ((unknown, "unknown point"), (bad_value, "value is not a finite number"),
                         (bad_quality, "quality must be measured (0) or estimated (1); edits go through the "
                                       "edit function with a reason")):
        rows = np.flatnonzero(mask & (status != REJECTED))
        status[rows] = REJECTED
        result.reasons.update(dict.fromkeys(rows.tolist(), reason))

    status[_repeated(point_id, ts) & (status != REJECTED)] = DUPLICATE
    candidate = status == STORED
    if not candidate.any():
        return result
    candidates = frame if candidate.all() else frame[candidate]

    # writers of one complex take turns from here to commit, so that what this batch finds stored
    # includes everything the previous writer committed (see serialise_rollups)
    serialise_rollups(session, (allowed[p] for p in np.unique(candidates["point_id"].to_numpy()).tolist()))
    overlap = _points_with_data(session, candidates)
    replaced = pd.DataFrame(columns=["point_id", "ts", "value", "quality", "old_value"])
    if not overlap:
        new_rows = candidates
    else:
        in_overlap = candidates["point_id"].isin(overlap)
        checked = candidates[in_overlap]
        existing = _existing(session, checked)
        merged = checked.reset_index().merge(existing, on=["point_id", "ts"], how="left")
        has_old = merged["old_value"].notna().to_numpy()
        same = has_old & np.isclose(merged["value"].to_numpy(), merged["old_value"].to_numpy(
            dtype=np.float64, na_value=np.nan), rtol=1e-12, atol=1e-9)
        upgrade = has_old & ~same & (merged["old_quality"].to_numpy(dtype=np.float64, na_value=-1)
                                     == Quality.estimated) & (merged["quality"].to_numpy() == Quality.measured)
        weaker = has_old & ~same & (merged["quality"].to_numpy() == Quality.estimated)
        conflict = has_old & ~same & ~upgrade & ~weaker
        idx = merged["index"].to_numpy()
        status[idx[same | weaker]] = DUPLICATE
        status[idx[upgrade]] = REPLACED
        status[idx[conflict]] = CONFLICT
        for i, old in zip(idx[conflict], merged["old_value"].to_numpy()[conflict], strict=True):
            result.existing[int(i)] = float(old)
            result.reasons[int(i)] = f"a different value ({old:g}) is stored for this point and time"
        new_rows = pd.concat([candidates[~in_overlap], checked.loc[idx[~has_old]]], ignore_index=True)
        replaced = merged[upgrade][["point_id", "ts", "value", "quality", "old_value"]]

    if len(new_rows):
        unstored = set(new_rows["point_id"].tolist()) - overlap
        parts = _insert_readings(session, new_rows,
                                 lambda: _rollup_parts(new_rows, allowed, unstored, pg=_is_pg(session)))
        _merge(session, parts)
    if len(replaced):
        _apply_replacements(session, replaced, allowed)
    return result


_ROLLUP_LOCK = 727002


def serialise_rollups(session: Session, meta: Iterable[PointMeta]) -> None:
    """On PostgreSQL, take the transaction's rollup lock of every complex the batch touches.

    Concurrent writers of one complex share rows (its group totals, the buckets of a point, and the
    readings themselves when a batch is resent while the first copy is in flight); writing them in
    parallel deadlocks or collides on primary keys.  Writers of one complex therefore take turns
    from their duplicate check to their commit (complexes still write side by side), taking the
    locks in ascending order so two batches spanning complexes cannot deadlock.  SQLite has one
    writer at a time already.
    """
    if not _is_pg(session):
        return
    cursor = _raw_cursor(session)
    for complex_id in sorted({m.complex_id for m in meta}):
        cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", (_ROLLUP_LOCK, complex_id))


def _repeated(point_id: np.ndarray, ts: np.ndarray) -> np.ndarray:
    """Rows whose point and timestamp already came earlier in the batch (the first one is kept)."""
    order = sort_order((point_id, ts))  # stable: the first of equal rows stays first
    if order is None:
        order = np.arange(len(point_id))
    p, t = point_id[order], ts[order]
    out = np.zeros(len(point_id), dtype=bool)
    out[order[1:][(p[1:] == p[:-1]) & (t[1:] == t[:-1])]] = True
    return out


def _spans(frame: pd.DataFrame) -> tuple[list[int], list[int], list[int]]:
    """Each point of the batch with its first and last timestamp [epoch s]."""
    point_id, ts = frame["point_id"].to_numpy(np.int64), frame["ts"].to_numpy(np.int64)
    order = sort_order((point_id, ts))
    if order is not None:
        point_id, ts = point_id[order], ts[order]
    starts = np.flatnonzero(np.r_[True, point_id[1:] != point_id[:-1]])
    ends = np.r_[starts[1:], len(point_id)] - 1
    return point_id[starts].tolist(), ts[starts].tolist(), ts[ends].tolist()


_SPANS_PER_STATEMENT = 300  # SQLite binds three parameters per span; stay far below its limit


def _span_query(session: Session, frame: pd.DataFrame, pg_sql: str, sqlite_sql: str) -> list[tuple[Any, ...]]:
    """Run a query over the batch's spans ``s(p, lo, hi)``: one statement on PostgreSQL (arrays), one per
    few hundred points on SQLite (a ``VALUES`` list)."""
    points, lo, hi = _spans(frame)
    cursor = _raw_cursor(session)
    if _is_pg(session):
        cursor.execute(pg_sql, (points, lo, hi))
        return list(cursor.fetchall())
    rows: list[tuple[Any, ...]] = []
    for i in range(0, len(points), _SPANS_PER_STATEMENT):
        chunk = list(zip(points[i:i + _SPANS_PER_STATEMENT], lo[i:i + _SPANS_PER_STATEMENT],
                         hi[i:i + _SPANS_PER_STATEMENT], strict=True))
        values = ", ".join("(?, ?, ?)" for _ in chunk)
        cursor.execute(sqlite_sql.format(values=values), [v for span in chunk for v in span])
        rows.extend(cursor.fetchall())
    return rows


_PG_SPANS = "unnest(%s::integer[], %s::bigint[], %s::bigint[]) AS s(p, lo, hi)"


def _points_with_data(session: Session, frame: pd.DataFrame) -> set[int]:
    """Points that already have readings inside the batch's time range (usually none)."""
    exists = "EXISTS (SELECT 1 FROM readings r WHERE r.point_id = s.p AND r.ts BETWEEN s.lo AND s.hi{within})"
    # the batch's whole time range as constants, so that PostgreSQL prunes partitions when planning
    lo, hi = int(frame["ts"].min()), int(frame["ts"].max())
    within = f" AND r.ts BETWEEN {lo} AND {hi}"
    rows = _span_query(session, frame, f"SELECT s.p FROM {_PG_SPANS} WHERE {exists.format(within=within)}",
                       "WITH s(p, lo, hi) AS (VALUES {values}) SELECT s.p FROM s WHERE " + exists.format(within=""))
    return {int(p) for (p,) in rows}


def _existing(session: Session, frame: pd.DataFrame) -> pd.DataFrame:
    """Stored readings of the batch's points inside each point's time range in the batch."""
    join = "JOIN readings r ON r.point_id = s.p AND r.ts BETWEEN s.lo AND s.hi"
    rows = _span_query(session, frame, f"SELECT r.point_id, r.ts, r.value, r.quality FROM {_PG_SPANS} {join}",
                       "WITH s(p, lo, hi) AS (VALUES {values}) "
                       "SELECT r.point_id, r.ts, r.value, r.quality FROM s " + join)
    existing = pd.DataFrame(rows, columns=["point_id", "ts", "old_value", "old_quality"])
    return existing.astype({"point_id": np.int64, "ts": np.int64, "old_value": np.float64, "old_quality": np.int64})


# PostgreSQL types of the columns the store copies, as numpy big-endian codes (binary COPY)
_PG_TYPES = {"point_id": "i4", "ts": "i8", "value": "f8", "quality": "i2", "res": "i2", "bucket": "i8",
             "v_sum": "f8", "v_min": "f8", "v_max": "f8", "n": "i4", "first_v": "f8", "first_ts": "i8",
             "last_v": "f8", "last_ts": "i8", "group_kind": "i2", "group_id": "i4"}
_PG_NAMES = {"i2": "smallint", "i4": "integer", "i8": "bigint", "f8": "double precision"}
_PG_COPY_HEADER = b"PGCOPY\n\xff\r\n\x00" + bytes(8)  # signature, flags, header extension length
_PG_COPY_TRAILER = b"\xff\xff"


def _pg_rows(columns: dict[str, np.ndarray], texts: dict[str, bytes]) -> bytes:
    """Rows of binary COPY: numeric ``columns`` vary by row, ``texts`` columns hold one value for all."""
    fields: list[tuple[str, str]] = [("_count", ">i2")]
    for name in columns:
        code = f"S{len(texts[name])}" if name in texts else ">" + _PG_TYPES[name]
        fields += [(f"_{name}_size", ">i4"), (name, code)]
    rows = np.empty(len(next(iter(columns.values()))), dtype=np.dtype(fields))
    rows["_count"] = len(columns)
    for name, column in columns.items():
        if name in texts:
            rows[f"_{name}_size"] = len(texts[name])
            rows[name] = texts[name]
        else:
            rows[f"_{name}_size"] = int(_PG_TYPES[name][1])
            rows[name] = column
    return rows.tobytes()


def _pg_binary(columns: dict[str, np.ndarray], metrics: list[str] | None = None) -> bytes:
    """Rows in PostgreSQL's binary COPY format, built column by column with numpy (no per-row Python).

    With ``metrics``, the ``metric`` column holds 1-based codes into it and is written as text, one
    block of rows per metric (a block's text has one length, so its rows stay fixed-width).
    """
    if metrics is None:
        return _PG_COPY_HEADER + _pg_rows(columns, {}) + _PG_COPY_TRAILER
    blocks = []
    for code, metric in enumerate(metrics, start=1):
        pick = columns["metric"] == code
        if pick.any():
            blocks.append(_pg_rows({c: v[pick] for c, v in columns.items()}, {"metric": metric.encode()}))
    return _PG_COPY_HEADER + b"".join(blocks) + _PG_COPY_TRAILER


def _insert_readings(session: Session, frame: pd.DataFrame, meanwhile: Callable[[], _T]) -> _T:
    """Insert readings known to be new; returns what ``meanwhile`` computes.

    On PostgreSQL ``meanwhile`` runs while the server ingests the copied rows (the client computes
    the rollups on one core while the server stores the readings on another); on SQLite after.
    """
    cursor = _raw_cursor(session)
    if _is_pg(session):
        partitions.ensure(session, int(frame["ts"].min()), int(frame["ts"].max()))
        with cursor.copy("COPY readings (point_id, ts, value, quality) FROM STDIN (FORMAT BINARY)") as copy:
            copy.write(_pg_binary({c: frame[c].to_numpy() for c in ("point_id", "ts", "value", "quality")}))
            return meanwhile()
    cursor.executemany("INSERT INTO readings (point_id, ts, value, quality) VALUES (?, ?, ?, ?)",
                       zip(frame["point_id"].tolist(), frame["ts"].tolist(), frame["value"].tolist(),
                           frame["quality"].tolist(), strict=True))
    return meanwhile()


@dataclass(frozen=True)
class _Table:
    """A rollup table: its key and how a new partial aggregate merges into a stored one."""

    name: str
    keys: tuple[str, ...]
    merge: str


_ROLLUPS = _Table("rollups", ("point_id", "res", "bucket"), (
    "v_sum = rollups.v_sum + excluded.v_sum, v_min = {least}(rollups.v_min, excluded.v_min), "
    "v_max = {greatest}(rollups.v_max, excluded.v_max), n = rollups.n + excluded.n, "
    "first_v = CASE WHEN excluded.first_ts < rollups.first_ts THEN excluded.first_v ELSE rollups.first_v END, "
    "first_ts = {least}(rollups.first_ts, excluded.first_ts), "
    "last_v = CASE WHEN excluded.last_ts > rollups.last_ts THEN excluded.last_v ELSE rollups.last_v END, "
    "last_ts = {greatest}(rollups.last_ts, excluded.last_ts)"))
_GROUP_ROLLUPS = _Table("group_rollups", ("group_kind", "group_id", "metric", "res", "bucket"),
                        "v_sum = group_rollups.v_sum + excluded.v_sum, n = group_rollups.n + excluded.n")


@dataclass
class _Rows:
    """Rollup rows, column by column; ``metrics`` decodes a ``metric`` column of 1-based codes."""

    columns: dict[str, np.ndarray]
    metrics: list[str] | None = None

    def __len__(self) -> int:
        return len(next(iter(self.columns.values()))) if self.columns else 0

    def take(self, mask: np.ndarray) -> _Rows:
        return _Rows({c: v[mask] for c, v in self.columns.items()}, self.metrics)

    def lists(self) -> list[list[Any]]:
        """Columns as Python lists, metrics decoded to their names."""
        out = [column.tolist() for column in self.columns.values()]
        if self.metrics is not None:
            decode = ["", *self.metrics]
            at = list(self.columns).index("metric")
            out[at] = [decode[code] for code in out[at]]
        return out


# rows for one rollup table, with which of them are likely new buckets (None: look the stored ones up)
_Part = tuple[_Table, _Rows, np.ndarray | None]


def _upsert(session: Session, table: _Table, rows: _Rows) -> None:
    """Merge rows into a rollup table with ``INSERT .. ON CONFLICT``: new keys are inserted, stored
    ones combined by the table's merge (exact for every statistic kept)."""
    if not len(rows):
        return
    cursor = _raw_cursor(session)
    names = list(rows.columns)
    conflict = f"ON CONFLICT ({', '.join(table.keys)}) DO UPDATE SET "
    if _is_pg(session):
        arrays = ", ".join("%s::text[]" if c == "metric" else f"%s::{_PG_NAMES[_PG_TYPES[c]]}[]" for c in names)
        cursor.execute(f"INSERT INTO {table.name} ({', '.join(names)}) SELECT * FROM unnest({arrays}) "
                       + conflict + table.merge.format(least="LEAST", greatest="GREATEST"), rows.lists())
    else:
        marks = ", ".join("?" for _ in names)
        cursor.executemany(f"INSERT INTO {table.name} ({', '.join(names)}) VALUES ({marks}) " + conflict
                           + table.merge.format(least="min", greatest="max"), zip(*rows.lists(), strict=True))


def _stored(session: Session, table: _Table, rows: _Rows) -> np.ndarray:
    """Which rows' keys are already stored (PostgreSQL): one range look-up per key prefix and bucket span."""
    prefix = list(table.keys[:-1])
    change = np.zeros(len(rows), dtype=bool)
    change[0] = True
    for name in prefix:
        column = rows.columns[name]
        change[1:] |= column[1:] != column[:-1]
    starts = np.flatnonzero(change)
    bucket = rows.columns["bucket"]
    spans = _Rows({**{name: rows.columns[name][starts] for name in prefix},
                   "lo": np.minimum.reduceat(bucket, starts), "hi": np.maximum.reduceat(bucket, starts)},
                  rows.metrics)
    types = ["text" if c == "metric" else _PG_NAMES[_PG_TYPES[c]] for c in prefix] + ["bigint", "bigint"]
    arrays = ", ".join(f"%s::{t}[]" for t in types)
    match = " AND ".join(f"r.{c} = s.{c}" for c in prefix)
    cursor = _raw_cursor(session)
    cursor.execute(f"SELECT {', '.join('r.' + c for c in table.keys)} FROM unnest({arrays}) "
                   f"AS s({', '.join(prefix)}, lo, hi) JOIN {table.name} r ON {match} "
                   "AND r.bucket BETWEEN s.lo AND s.hi", spans.lists())
    found = cursor.fetchall()
    if not found:
        return np.zeros(len(rows), dtype=bool)
    if rows.metrics is not None:
        at, code = table.keys.index("metric"), {m: i for i, m in enumerate(rows.metrics, start=1)}
        found = [(*key[:at], code[key[at]], *key[at + 1:]) for key in found]
    stored = set(found)
    keys = [rows.columns[c].tolist() for c in table.keys]
    return np.fromiter((key in stored for key in zip(*keys, strict=True)), dtype=bool, count=len(rows))


def _merge(session: Session, parts: list[_Part]) -> None:
    """Merge new partial aggregates into the rollup tables; each part may say which of its rows are
    likely new buckets (else the stored ones are looked up).

    On PostgreSQL ``INSERT .. ON CONFLICT`` costs about twice a plain insert per row, and most rows
    of a batch are new buckets: those are copied in (binary ``COPY``) under a savepoint, the rest
    merged with the upsert.  Should another writer have stored one of the "new" keys meanwhile, the
    copy fails on the primary key, is rolled back to the savepoint and its rows go through the
    upsert as well, so the result is the same either way.
    """
    parts = [(table, rows, new) for table, rows, new in parts if len(rows)]
    if not _is_pg(session):
        for table, rows, _ in parts:
            _upsert(session, table, rows)
        return
    split = []
    for table, rows, known_new in parts:
        new = ~_stored(session, table, rows) if known_new is None else known_new
        split.append((table, rows.take(new), rows.take(~new)))
    fresh = [(table, rows) for table, rows, _ in split if len(rows)]
    cursor = _raw_cursor(session)
    if fresh:
        cursor.execute("SAVEPOINT sandan_rollups")
        try:
            for table, rows in fresh:
                names = ", ".join(rows.columns)
                with cursor.copy(f"COPY {table.name} ({names}) FROM STDIN (FORMAT BINARY)") as copy:
                    copy.write(_pg_binary(rows.columns, rows.metrics))
        except psycopg.errors.UniqueViolation:
            cursor.execute("ROLLBACK TO SAVEPOINT sandan_rollups")
            for table, rows in fresh:
                _upsert(session, table, rows)
        cursor.execute("RELEASE SAVEPOINT sandan_rollups")
    for table, _, rows in split:
        _upsert(session, table, rows)


def _likely_new(frame: pd.DataFrame, rows: _Rows, unstored: set[int], interval_s: dict[int, int]) -> np.ndarray:
    """Rollup rows whose bucket lies within what their point's readings in this batch cover (first
    reading to the end of the last interval), for points that had no stored readings in that span:
    such a bucket holds no stored reading unless one lies off the point's grid, so it is very
    likely not stored yet (and if it is, the copy falls back to the upsert)."""
    out = np.zeros(len(rows), dtype=bool)
    if not unstored or not len(rows):
        return out
    points, lo, hi = (np.asarray(v, dtype=np.int64) for v in _spans(frame[frame["point_id"].isin(unstored)]))
    if not len(points):
        return out
    pid, res, bucket = rows.columns["point_id"], rows.columns["res"], rows.columns["bucket"]
    at = np.minimum(np.searchsorted(points, pid), len(points) - 1)
    known = points[at] == pid
    stored = ROLLUP_RESOLUTIONS  # fixed lengths: months are not stored
    end = bucket + np.select([res == RESOLUTION_CODES[r] for r in stored], [RESOLUTIONS[r] for r in stored], 0)
    covered = hi + np.array([interval_s[p] for p in points.tolist()], dtype=np.int64)
    return np.asarray(known & (bucket >= lo[at]) & (end <= covered[at]), dtype=bool)


def _point_rows(rolled: pd.DataFrame) -> _Rows:
    return _Rows({c: rolled[c].to_numpy() for c in POINT_COLUMNS})


def _group_rows(frame: pd.DataFrame, meta: dict[int, PointMeta], *, count: bool = True) -> _Rows:
    additive = {pid: m for pid, m in meta.items() if m.targets}
    if not additive:
        return _Rows({})
    codes: dict[tuple[int, int, str], int] = {}
    targets: dict[int, tuple[int, ...]] = {}
    for pid, m in additive.items():
        targets[pid] = tuple(codes.setdefault((kind, gid, m.metric), len(codes)) for kind, gid in m.targets)
    grouped = group_rollups(frame, targets, {pid: m.factor_to_canonical for pid, m in additive.items()})
    if grouped.empty:
        return _Rows({})
    decode = list(codes)
    metrics = sorted({mt for _, _, mt in decode})
    metric_code = {mt: i + 1 for i, mt in enumerate(metrics)}
    kinds = np.array([k for k, _, _ in decode], dtype=np.int64)
    ids = np.array([g for _, g, _ in decode], dtype=np.int64)
    metric = np.array([metric_code[mt] for _, _, mt in decode], dtype=np.int64)
    target = grouped["target"].to_numpy(np.int64)
    n = grouped["n"].to_numpy(np.int64) if count else np.zeros(len(grouped), np.int64)
    return _Rows({"group_kind": kinds[target], "group_id": ids[target], "metric": metric[target],
                  "res": grouped["res"].to_numpy(np.int64), "bucket": grouped["bucket"].to_numpy(np.int64),
                  "v_sum": grouped["v_sum"].to_numpy(np.float64), "n": n}, metrics)


def _rollup_parts(frame: pd.DataFrame, meta: dict[int, PointMeta], unstored: set[int], *,
                  pg: bool) -> list[_Part]:
    """The point and group rollup rows of readings just stored (``unstored``: points known to have
    had no stored readings in the batch's span of each; PostgreSQL copies their new buckets)."""
    interval_s = {pid: m.interval_s for pid, m in meta.items()}
    rolled = _point_rows(point_rollups(frame, interval_s))
    likely_new = _likely_new(frame, rolled, unstored, interval_s) if pg else None
    return [(_ROLLUPS, rolled, likely_new), (_GROUP_ROLLUPS, _group_rows(frame, meta), None)]


def _merge_rollups(session: Session, frame: pd.DataFrame, meta: dict[int, PointMeta]) -> None:
    serialise_rollups(session, meta.values())
    _merge(session, _rollup_parts(frame, meta, set(), pg=_is_pg(session)))


def _apply_replacements(session: Session, replaced: pd.DataFrame, meta: dict[int, PointMeta]) -> None:
    serialise_rollups(session, meta.values())
    cursor = _raw_cursor(session)
    sql = ("UPDATE readings SET value = %s, quality = %s WHERE point_id = %s AND ts = %s" if _is_pg(session)
           else "UPDATE readings SET value = ?, quality = ? WHERE point_id = ? AND ts = ?")
    cursor.executemany(sql, list(zip(replaced["value"].tolist(), replaced["quality"].tolist(),
                                     replaced["point_id"].tolist(), replaced["ts"].tolist(), strict=True)))
    rebuild_point_rollups(session, replaced[["point_id", "ts"]], meta)
    delta = replaced.assign(value=replaced["value"].astype(float) - replaced["old_value"].astype(float))
    _upsert(session, _GROUP_ROLLUPS, _group_rows(delta[["point_id", "ts", "value"]], meta, count=False))


def rebuild_point_rollups(session: Session, touched: pd.DataFrame, meta: dict[int, PointMeta]) -> None:
    """Recompute the rollups of every KST month touched by ``touched`` (``point_id``, ``ts``) from
    the stored readings (after replacements and edits, where min/max/first/last cannot be patched)."""
    pg = _is_pg(session)
    cursor = _raw_cursor(session)
    month_starts = {(int(pid), bucket_start_s(int(ts), "1mo"))
                    for pid, ts in zip(touched["point_id"], touched["ts"], strict=True)}
    for pid, start in sorted(month_starts):
        end = bucket_start_s(start + 32 * 86400, "1mo")
        q = "%s" if pg else "?"
        cursor.execute(f"SELECT point_id, ts, value FROM readings WHERE point_id = {q} AND ts >= {q} AND ts < {q}",
                       (pid, start, end))
        frame = pd.DataFrame(cursor.fetchall(), columns=["point_id", "ts", "value"])
        cursor.execute(f"DELETE FROM rollups WHERE point_id = {q} AND bucket >= {q} AND bucket < {q}",
                       (pid, start, end))
        if frame.empty:
            continue
        rolled = point_rollups(frame.astype({"point_id": np.int64, "ts": np.int64, "value": np.float64}),
                               {pid: meta[pid].interval_s})
        _upsert(session, _ROLLUPS, _point_rows(rolled))


def edit_reading(session: Session, point_id: int, ts_s: int, value: float, reason: str) -> dict[str, Any]:
    """Change one stored reading on purpose (quality becomes ``edited``), audited with its reason.

    Only a company admin of the point's company (or a platform admin) may edit.
    """
    principal = _principal(session)
    if not reason or not reason.strip():
        raise InvalidInput("an edit needs a reason", field="reason")
    if not math.isfinite(value):
        raise InvalidInput("value is not a finite number", field="value")
    meta = load_point_meta(session, [point_id]).get(point_id)
    if meta is None:
        raise NotFound(f"point {point_id} not found")
    if not (principal.is_admin or meta.company_id in principal.companies_admin):
        raise NotFound(f"point {point_id} not found")
    existing = _existing(session, pd.DataFrame({"point_id": [point_id], "ts": [ts_s]}))
    old = None if existing.empty else float(existing["old_value"].iloc[0])
    frame = pd.DataFrame({"point_id": [point_id], "ts": [ts_s], "value": [value], "quality": [int(Quality.edited)]})
    if old is None:
        _insert_readings(session, frame, lambda: None)
        _merge_rollups(session, frame, {point_id: meta})
    else:
        _apply_replacements(session, frame.assign(old_value=old), {point_id: meta})
    audit.record(session, action="edit", entity="readings", entity_id=f"{point_id}@{from_epoch_s(ts_s).isoformat()}",
                 company_id=meta.company_id, before=None if old is None else {"value": old},
                 after={"value": value, "quality": "edited"}, reason=reason.strip())
    return {"point_id": point_id, "ts": ts_s, "old_value": old, "value": value, "quality": "edited"}


__all__ = ["STATUS_NAMES", "GroupKind", "WriteResult", "edit_reading", "write_readings"]
