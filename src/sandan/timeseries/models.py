"""Reading and rollup tables.

Timestamps are integer epoch seconds (UTC) of the interval start: compact, fast on both
databases, and free of driver time-zone surprises.  On PostgreSQL ``readings`` is partitioned
by month of ``ts`` (see the migration and :mod:`sandan.timeseries.partitions`).
"""

from __future__ import annotations

import enum

from sqlalchemy import BigInteger, Column, Float, Integer, SmallInteger, String, Table

from sandan.db import Base


class Quality(enum.IntEnum):
    measured = 0
    estimated = 1
    edited = 2


class GroupKind(enum.IntEnum):
    complex = 1
    company = 2
    site = 3
    asset = 4


readings = Table(
    "readings", Base.metadata,
    Column("point_id", Integer, primary_key=True),
    Column("ts", BigInteger, primary_key=True),
    Column("value", Float, nullable=False),
    Column("quality", SmallInteger, nullable=False, default=0),
    sqlite_with_rowid=False,
)

rollups = Table(
    "rollups", Base.metadata,
    Column("point_id", Integer, primary_key=True),
    Column("res", SmallInteger, primary_key=True),
    Column("bucket", BigInteger, primary_key=True),
    Column("v_sum", Float, nullable=False),
    Column("v_min", Float, nullable=False),
    Column("v_max", Float, nullable=False),
    Column("n", Integer, nullable=False),
    Column("first_v", Float, nullable=False),
    Column("first_ts", BigInteger, nullable=False),
    Column("last_v", Float, nullable=False),
    Column("last_ts", BigInteger, nullable=False),
    sqlite_with_rowid=False,
)

group_rollups = Table(
    "group_rollups", Base.metadata,
    Column("group_kind", SmallInteger, primary_key=True),
    Column("group_id", Integer, primary_key=True),
    Column("metric", String(80), primary_key=True),
    Column("res", SmallInteger, primary_key=True),
    Column("bucket", BigInteger, primary_key=True),
    Column("v_sum", Float, nullable=False),
    Column("n", Integer, nullable=False),
    sqlite_with_rowid=False,
)
