"""Monthly partitions of ``readings`` on PostgreSQL (KST months), created on demand.

A partition is created in the writer's own transaction, so one made by a rolled-back write goes
with it; existence is asked of the catalogue for each batch (one cheap look-up per month the
batch spans) rather than cached, so no process believes in a partition that is not there.
"""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.orm import Session

from sandan.core.timeutil import KST, bucket_start_s, from_epoch_s


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
    for name in missing:
        lo, hi = months[name]
        conn.execute(text(f"CREATE TABLE IF NOT EXISTS {name} PARTITION OF readings "
                          f"FOR VALUES FROM ({lo}) TO ({hi})"))
