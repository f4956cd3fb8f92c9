"""Monthly partitions of ``readings`` on PostgreSQL (KST months).

``sandan db upgrade`` creates the partitions around now ahead of time (:func:`precreate`: last
month to ``months_ahead`` months on), because creating one takes an exclusive lock on
``readings`` that concurrent live writers would deadlock on.  A write outside that window (a
historical import) creates its month on demand (:func:`ensure`) in its own transaction,
serialised by an advisory lock; under concurrency that rare path can fail with a retryable error
(the API answers 503, the MQTT subscriber retries).  Existence is asked of the catalogue, never
cached.  Ingest queries carry their batch's time range as constants so that the planner prunes
to the months they need (``tests/ingest/test_previous.py`` checks a plan with 200 months present).
"""

from __future__ import annotations

from sqlalchemy import Connection, text
from sqlalchemy.orm import Session

from sandan.core.timeutil import KST, bucket_start_s, from_epoch_s, now_utc

_LOCK = 727001


def month_bounds(start_s: int, end_s: int) -> list[tuple[int, int]]:
    """The KST months [epoch s, epoch s) that cover ``start_s`` .. ``end_s``."""
    out = []
    month = bucket_start_s(start_s, "1mo")
    while month <= end_s:
        nxt = bucket_start_s(month + 32 * 86400, "1mo")
        out.append((month, nxt))
        month = nxt
    return out


def partition_name(month_start_s: int) -> str:
    local = from_epoch_s(month_start_s).astimezone(KST)
    return f"readings_y{local.year:04d}m{local.month:02d}"


def ensure(session: Session, start_s: int, end_s: int) -> None:
    """Create the monthly partitions covering ``start_s`` .. ``end_s`` [epoch s] if missing.

    One catalogue look-up for all the months (this runs before every bulk insert of readings).
    """
    months = {partition_name(lo): (lo, hi) for lo, hi in month_bounds(start_s, end_s)}
    conn = session.connection()
    missing = conn.execute(text("SELECT name FROM unnest(CAST(:names AS text[])) AS name "
                                "WHERE to_regclass(name) IS NULL"), {"names": list(months)}).scalars().all()
    if not missing:
        return
    conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _LOCK})
    for name in missing:
        lo, hi = months[name]
        conn.execute(text(f"CREATE TABLE IF NOT EXISTS {name} PARTITION OF readings "
                          f"FOR VALUES FROM ({lo}) TO ({hi})"))


def precreate(conn: Connection, months_ahead: int = 2) -> int:
    """Create every missing monthly partition from last month to ``months_ahead`` months on, in
    the caller's (migration) transaction; returns how many were created."""
    now = int(now_utc().timestamp())
    start = bucket_start_s(bucket_start_s(now, "1mo") - 86400, "1mo")
    end = now + months_ahead * 31 * 86400
    months = {partition_name(lo): (lo, hi) for lo, hi in month_bounds(start, end)}
    missing = conn.execute(text("SELECT name FROM unnest(CAST(:names AS text[])) AS name "
                                "WHERE to_regclass(name) IS NULL"), {"names": list(months)}).scalars().all()
    for name in missing:
        lo, hi = months[name]
        conn.execute(text(f"CREATE TABLE IF NOT EXISTS {name} PARTITION OF readings "
                          f"FOR VALUES FROM ({lo}) TO ({hi})"))
    return len(missing)
