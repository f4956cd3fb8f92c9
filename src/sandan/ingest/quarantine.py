"""Quarantine use cases: list what was not stored, and replay it once the mapping is fixed.

Rows are read through the access policy (a company sees its own rows; rows of unknown company
only the platform).  A replay sends the selected rows through the same pipeline again, on
behalf of the caller, and marks each row with the outcome (``replay_status``, ``replay_reason``,
``replayed_at``, ``replays``); it needs company-admin rights on the company (or the platform).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import pandas as pd
from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from sandan.core.errors import Forbidden, InvalidInput
from sandan.core.tenancy.models import Company
from sandan.core.tenancy.service import get
from sandan.core.timeutil import now_utc, to_epoch_s
from sandan.ingest.models import QuarantinedReading, ReplayStatus
from sandan.ingest.pipeline import RawReading, _principal, ingest
from sandan.timeseries.store import STATUS_NAMES

MAX_REPLAY = 10_000
EXPORT_COLUMNS = ["id", "company_id", "point_id", "point_ref", "ts", "value", "unit", "quality", "status",
                  "reason_code", "reason", "source", "source_ref", "received_at", "replay_status", "replay_reason",
                  "replayed_at", "replays", "raw"]


@dataclass(frozen=True)
class QuarantineFilter:
    company_id: int | None = None
    point_id: int | None = None
    reason_code: str | None = None
    source: str | None = None
    replay_status: str | None = None
    start: dt.datetime | None = None  # reading time, inclusive
    end: dt.datetime | None = None    # reading time, exclusive


def _select(f: QuarantineFilter) -> Select[Any]:
    q = QuarantinedReading
    stmt = select(q)
    for column, value in ((q.company_id, f.company_id), (q.point_id, f.point_id), (q.reason_code, f.reason_code),
                          (q.source, f.source), (q.replay_status, f.replay_status)):
        if value is not None:
            stmt = stmt.where(column == value)
    if f.start is not None:
        stmt = stmt.where(q.ts >= to_epoch_s(f.start))
    if f.end is not None:
        stmt = stmt.where(q.ts < to_epoch_s(f.end))
    return stmt


def list_quarantine(session: Session, f: QuarantineFilter, *, after_id: int = 0,
                    limit: int = 50) -> list[QuarantinedReading]:
    """One page of visible quarantined readings, oldest first (cursor pagination by id)."""
    stmt = _select(f).where(QuarantinedReading.id > after_id).order_by(QuarantinedReading.id).limit(limit)
    return list(session.execute(stmt).scalars())


def quarantine_frame(rows: list[QuarantinedReading]) -> pd.DataFrame:
    """Rows as a table for CSV/XLSX export (reading times as aware UTC datetimes)."""
    records = []
    for r in rows:
        record = {c: getattr(r, c) for c in EXPORT_COLUMNS}
        record["ts"] = pd.Timestamp(r.ts, unit="s", tz="UTC") if r.ts is not None else pd.NaT
        record["raw"] = str(r.raw)
        records.append(record)
    frame = pd.DataFrame(records, columns=EXPORT_COLUMNS)
    for column in ("received_at", "replayed_at"):
        frame[column] = pd.to_datetime(frame[column], utc=True)
    return frame


def _check_replay_rights(session: Session, company_id: int | None) -> None:
    principal = _principal(session)
    if principal.is_admin:
        return
    if company_id is None:
        raise Forbidden("only the platform replays readings of unknown company; give company_id")
    get(session, Company, company_id)  # NotFound unless visible
    if company_id not in principal.companies_admin:
        raise Forbidden("replaying quarantined readings needs a company admin of the company")


def _raw_reading(row: QuarantinedReading) -> RawReading | None:
    """The reading to send again: what was parsed, else what the raw payload says."""
    point: Any = row.point_ref or row.point_id
    if row.ts is not None and row.value is not None and point:
        return RawReading(point=point, ts=row.ts, value=row.value, unit=row.unit, quality=row.quality, raw=row.raw)
    raw = row.raw if isinstance(row.raw, dict) else {}
    if "ts" in raw and "value" in raw:
        return RawReading(point=raw.get("point", point), ts=raw.get("ts"), value=raw.get("value"),
                          unit=raw.get("unit", row.unit), quality=raw.get("quality"), raw=raw)
    return None


@dataclass
class ReplayResult:
    replayed: int
    counts: dict[str, int]
    items: list[dict[str, Any]]


def replay(session: Session, *, company_id: int | None, ids: list[int] | None = None,
           reason_code: str | None = None, point_id: int | None = None, allow: tuple[str, ...] = ()) -> ReplayResult:
    """Send quarantined readings through the pipeline again and mark each with the outcome.

    Rows are those of ``company_id`` not yet stored (pending, or still rejected/conflicting after an
    earlier replay), narrowed by ``ids``, ``reason_code`` and ``point_id``; at most ``MAX_REPLAY``.
    ``allow`` lists rule codes a person has judged fine for these rows (``spike``).
    """
    _check_replay_rights(session, company_id)
    q = QuarantinedReading
    stmt = _select(QuarantineFilter(company_id=company_id, point_id=point_id, reason_code=reason_code)).where(
        q.replay_status.in_([ReplayStatus.pending.value, ReplayStatus.rejected.value, ReplayStatus.conflict.value]))
    if company_id is None:
        stmt = stmt.where(q.company_id.is_(None))
    if ids is not None:
        if len(ids) > MAX_REPLAY:
            raise InvalidInput(f"replay at most {MAX_REPLAY} rows at a time", field="ids")
        stmt = stmt.where(q.id.in_(ids))
    rows = list(session.execute(stmt.order_by(q.id).limit(MAX_REPLAY)).scalars())
    sendable = [(row, _raw_reading(row)) for row in rows]
    batch = [(row, raw) for row, raw in sendable if raw is not None]
    result = ingest(session, [raw for _, raw in batch], source="replay", source_ref="quarantine",
                    quarantine=False, allow=allow) if batch else None
    now = now_utc()
    counts: dict[str, int] = {}
    items = []
    outcome: dict[int, tuple[str, str]] = {}
    if result is not None:
        for j, (row, _) in enumerate(batch):
            outcome[row.id] = (STATUS_NAMES[int(result.status[j])], result.reasons.get(j, ""))
    for row in rows:
        status, reason = outcome.get(row.id, ("rejected", "nothing to replay: no timestamp or value was read"))
        row.replay_status = status
        row.replay_reason = reason[:500]
        row.replayed_at = now
        row.replays = (row.replays or 0) + 1
        counts[status] = counts.get(status, 0) + 1
        items.append({"id": row.id, "status": status, "reason": reason})
    session.flush()
    return ReplayResult(len(rows), counts, items)


__all__ = ["QuarantineFilter", "ReplayResult", "list_quarantine", "quarantine_frame", "replay"]
