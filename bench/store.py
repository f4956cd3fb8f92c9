"""Reading store write rate against a raw bulk insert, and query p95 of one company-year (issue #2).

Run::

    .venv/bin/python bench/store.py --db sqlite
    .venv/bin/python bench/store.py --db postgres      # a fresh database on 127.0.0.1:5432, dropped after

What it does, in one run and one fresh database (a SQLite file in a temporary folder, or a new
PostgreSQL database created and dropped by the bench), migrated with ``prepare_database``:

* one company in a complex, one site with 10 areas, and 100 additive 15-minute kWh meters, ten on
  each area and none on the site (so every reading adds into four group totals: its area, the site,
  the company and the complex); a second company holds 100 identical meters for the baseline;
* ``--rows`` readings (default 10,000,000, i.e. 100 meters x 100,000 quarter hours, 2.85 years
  from 2025-01-01 00:00 KST) are written **through the store API**
  (:func:`sandan.timeseries.store.write_readings`) in batches of 100 meters x ``--batch-intervals``
  quarter hours (default 96: 9,600 rows, one KST day of one site — what a gateway forwards after
  buffering a day through an outage, or one day of a site's file import); each batch is one
  transaction, committed;
* the **same rows** (same shape, same timestamps and values, only the baseline meters' ids) are
  inserted **raw** into the same ``readings`` table with the fastest client call of each database —
  ``COPY ... FROM STDIN`` in binary format, built with numpy, on PostgreSQL, and ``executemany`` of
  python tuples on SQLite — maintaining no rollups, one transaction per batch as well.

Fairness: raw and store batches are **interleaved** (batch k raw, batch k store, alternating which
goes first), so both insert the same number of new rows, batch by batch, into the same table of
the same size, with the same indexes, the same commits and the same cache and checkpoint weather;
running one whole path first would let it insert into a smaller, cache-resident table.  Each call is
timed from the DataFrame handed over to the commit returned (generating the rows is not timed).
PostgreSQL's monthly partitions are created before timing starts, so the raw path does not need
them created for it (the store still checks them per batch, as it does in production).  SQLite
checkpoints its write-ahead log from whichever commit crosses 1,000 pages, which would charge one
path for pages the other wrote; so on SQLite the bench checkpoints after each pair of batches and
splits that time by the pages each path wrote (see :class:`WalCheckpoints`).

Then queries, each in its own session as a request would be, on behalf of a company member
(so the access policy is in force): the company total series at 1 h over the first KST year
(:func:`sandan.timeseries.service.group_series`, 8,760 values of 100 meters) and per-point series
at 1 h over the same year (:func:`sandan.timeseries.service.point_series`) for a sample of meters.
p95 must stay under 100 ms on both databases; the store must reach at least half the raw rate.
The exit status is non-zero if a target is missed.
"""

from __future__ import annotations

import argparse
import datetime as dt
import math
import os
import sqlite3
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from sqlalchemy import event, select, text

from pgtemp import fresh_database  # bench/pgtemp.py, beside this script
from sandan.bootstrap import install_hooks, prepare_database
from sandan.core.auth.policy import Principal
from sandan.core.brn import make_brn
from sandan.core.tenancy import schemas, service
from sandan.core.tenancy.models import AssetLevel, Carrier, Complex, PointKind, SizeClass
from sandan.core.timeutil import KST, to_epoch_s
from sandan.db import Database
from sandan.timeseries import partitions
from sandan.timeseries import service as queries
from sandan.timeseries.store import write_readings

PG_ADMIN_URL = os.environ.get("SANDAN_BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
START = dt.datetime(2025, 1, 1, tzinfo=KST)
STEP_S = 900
AREAS, METERS_PER_AREA = 10, 10
MIN_RATIO = 0.5
P95_LIMIT_MS = 100.0


@dataclass
class Layout:
    company_id: int
    store_points: list[int]
    raw_points: list[int]


def build(db: Database) -> Layout:
    """One company with a site, 10 areas and 100 kWh meters (the store's), and a baseline company."""
    with db.session(principal=Principal.system("bench")) as s:
        complex_ = s.execute(select(Complex).order_by(Complex.id)).scalars().first()
        assert complex_ is not None, "prepare_database loads the reference complexes"
        ids: list[list[int]] = []
        company_ids = []
        for n, name in ((1, "벤치기업"), (2, "기준선기업")):
            company = service.create_company(s, schemas.CompanyCreate(
                complex_id=complex_.id, name=name, brn=make_brn(f"{700 + n:03d}81{n:04d}"), ksic_code="24111",
                size_class=SizeClass.sme))
            site = service.create_site(s, schemas.SiteCreate(company_id=company.id, name=f"본사 {n}"))
            points = []
            for a in range(AREAS):
                area = service.create_asset(s, schemas.AssetCreate(site_id=site.id, level=AssetLevel.area,
                                                                   name=f"{a + 1}동"))
                for m in range(METERS_PER_AREA):
                    point = service.create_point(s, schemas.PointCreate(
                        site_id=site.id, asset_id=area.id, code=f"a{a}.m{m}.kwh", name=f"{a + 1}동 {m + 1}번 전력량",
                        quantity="active_energy", unit="kWh", carrier=Carrier.electricity, kind=PointKind.interval))
                    points.append(point.id)
            ids.append(points)
            company_ids.append(company.id)
    return Layout(company_ids[0], ids[0], ids[1])


def batches(points: int, intervals: int, batch_intervals: int, seed: int = 2) -> Iterator[tuple[int, np.ndarray,
                                                                                               np.ndarray]]:
    """(first interval, ts [epoch s], value [kWh]) of each batch: every meter, batch_intervals quarter hours."""
    rng = np.random.default_rng(seed)
    t0 = to_epoch_s(START)
    for first in range(0, intervals, batch_intervals):
        k = min(batch_intervals, intervals - first)
        ts = np.tile(t0 + (first + np.arange(k, dtype=np.int64)) * STEP_S, points)
        value = np.round(rng.gamma(2.0, 6.0, size=k * points), 3)
        yield first, ts, value


def frame_for(point_ids: np.ndarray, k: int, ts: np.ndarray, value: np.ndarray) -> pd.DataFrame:
    return pd.DataFrame({"point_id": np.repeat(point_ids, k), "ts": ts, "value": value,
                         "quality": np.zeros(len(ts), dtype=np.int64)})


# --- the raw baseline: the fastest client call of each database, no rollups --------------------

_PG_BINARY_HEADER = b"PGCOPY\n\xff\r\n\x00" + (0).to_bytes(4, "big") + (0).to_bytes(4, "big")
_PG_ROW = np.dtype([("nf", ">i2"), ("l1", ">i4"), ("point_id", ">i4"), ("l2", ">i4"), ("ts", ">i8"),
                    ("l3", ">i4"), ("value", ">f8"), ("l4", ">i4"), ("quality", ">i2")])


def pg_binary_copy(frame: pd.DataFrame) -> bytes:
    """The rows in PostgreSQL's binary COPY format, built with numpy (no per-row Python)."""
    rows = np.empty(len(frame), dtype=_PG_ROW)
    rows["nf"], rows["l1"], rows["l2"], rows["l3"], rows["l4"] = 4, 4, 8, 8, 2
    rows["point_id"] = frame["point_id"].to_numpy()
    rows["ts"] = frame["ts"].to_numpy()
    rows["value"] = frame["value"].to_numpy()
    rows["quality"] = frame["quality"].to_numpy()
    return _PG_BINARY_HEADER + rows.tobytes() + b"\xff\xff"


def raw_insert(db: Database, frame: pd.DataFrame) -> None:
    with db.session(principal=Principal.system("bench")) as s:
        cursor = s.connection().connection.cursor()
        if db.is_sqlite:
            cursor.executemany("INSERT INTO readings (point_id, ts, value, quality) VALUES (?, ?, ?, ?)",
                               zip(frame["point_id"].tolist(), frame["ts"].tolist(), frame["value"].tolist(),
                                   frame["quality"].tolist(), strict=True))
        else:
            with cursor.copy("COPY readings (point_id, ts, value, quality) FROM STDIN (FORMAT BINARY)") as copy:
                copy.write(pg_binary_copy(frame))


def store_insert(db: Database, frame: pd.DataFrame) -> None:
    with db.session(principal=Principal.system("bench ingest")) as s:
        result = write_readings(s, frame)
        if result.stored != len(frame):
            raise SystemExit(f"the store did not store every row: {result.summary()}")


# --- the run -----------------------------------------------------------------------------------

class WalCheckpoints:
    """SQLite: charge WAL checkpoints to the path whose pages they write.

    SQLite checkpoints its write-ahead log from whichever commit pushes it past 1,000 pages; with
    two paths interleaved that would charge one path for the other's pages.  So the bench turns
    the automatic checkpoint off on its connections, checkpoints after each pair of batches
    (about as often), and splits that time between raw and store by the WAL frames each wrote.
    """

    def __init__(self, db: Database, path: str) -> None:
        self.wal = Path(path + "-wal")
        self.totals: dict[str, float] = {}
        event.listen(db.engine, "connect", lambda dbapi, _record: dbapi.execute("PRAGMA wal_autocheckpoint=0"))
        db.engine.dispose()  # connections made before the listener reconnect with it
        self.conn = sqlite3.connect(path, isolation_level=None)
        self.conn.execute("PRAGMA busy_timeout=10000")
        self.frame_bytes = int(self.conn.execute("PRAGMA page_size").fetchone()[0]) + 24

    def frames(self) -> int:
        size = self.wal.stat().st_size if self.wal.exists() else 0
        return max(0, size - 32) // self.frame_bytes

    def checkpoint(self) -> float:
        t = time.perf_counter()
        busy, _, _ = self.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
        if busy:
            raise SystemExit("the WAL checkpoint was blocked by a reader")
        return time.perf_counter() - t


def load(db: Database, layout: Layout, rows: int, batch_intervals: int,
         wal: WalCheckpoints | None) -> tuple[float, float, int]:
    """Interleaved raw and store batches; returns (raw seconds, store seconds, rows each)."""
    points = len(layout.store_points)
    intervals = rows // points
    store_ids = np.array(layout.store_points, dtype=np.int64)
    raw_ids = np.array(layout.raw_points, dtype=np.int64)
    seconds = {"raw": 0.0, "store": 0.0}
    done = 0
    total_batches = math.ceil(intervals / batch_intervals)
    report_every = max(1, total_batches // 10)
    for i, (_, ts, value) in enumerate(batches(points, intervals, batch_intervals)):
        k = len(ts) // points
        order: list[tuple[str, Callable[[Database, pd.DataFrame], None], pd.DataFrame]] = [
            ("raw", raw_insert, frame_for(raw_ids, k, ts, value)),
            ("store", store_insert, frame_for(store_ids, k, ts, value))]
        if i % 2:
            order.reverse()
        frames = {}
        for name, call, frame in order:
            before = wal.frames() if wal else 0
            t = time.perf_counter()
            call(db, frame)
            seconds[name] += time.perf_counter() - t
            frames[name] = (wal.frames() if wal else 0) - before
        if wal:
            spent = wal.checkpoint()
            for name, count in frames.items():
                wal.totals[name] = wal.totals.get(name, 0) + count
            wal.totals["checkpoint_s"] = wal.totals.get("checkpoint_s", 0) + spent
            total = sum(frames.values()) or 1
            for name, count in frames.items():
                seconds[name] += spent * count / total
        done += len(ts)
        if (i + 1) % report_every == 0 or i + 1 == total_batches:
            print(f"  {done:>11,} rows each: raw {done / seconds['raw'] / 1e3:,.0f}k rows/s, "
                  f"store {done / seconds['store'] / 1e3:,.0f}k rows/s", flush=True)
    return seconds["raw"], seconds["store"], done


def p95_ms(samples: list[float]) -> float:
    return float(np.percentile(np.array(samples) * 1e3, 95))


def query(db: Database, layout: Layout, repeats: int, sample_points: int) -> tuple[float, float, int, int]:
    """p95 [ms] of the company-year group query and of per-point queries; also the row counts seen."""
    reader = Principal(user_id=None, name="bench reader", companies_read=frozenset({layout.company_id}),
                       companies_readings=frozenset({layout.company_id}), roles=frozenset({"company_member"}))
    start, end = START, START.replace(year=START.year + 1)
    group_times: list[float] = []
    group_rows = 0
    for _ in range(repeats):
        t = time.perf_counter()
        with db.session(principal=reader) as s:
            series = queries.group_series(s, "company", layout.company_id, start, end, resolution="1h")
        group_times.append(time.perf_counter() - t)
        group_rows = len(series.frame)
    rng = np.random.default_rng(7)
    sample = rng.choice(layout.store_points, size=min(sample_points, len(layout.store_points)), replace=False)
    point_times: list[float] = []
    point_rows = 0
    for r in range(repeats):
        pid = int(sample[r % len(sample)])
        t = time.perf_counter()
        with db.session(principal=reader) as s:
            series = queries.point_series(s, pid, start, end, "1h")
        point_times.append(time.perf_counter() - t)
        point_rows = len(series.frame)
    return p95_ms(group_times), p95_ms(point_times), group_rows, point_rows


def check_totals(db: Database, layout: Layout) -> None:
    """The company's yearly total from the rollups equals the sum of its raw readings (exactness)."""
    with db.session(principal=Principal.system("bench")) as s:
        conn = s.connection()
        lo, hi = to_epoch_s(START), to_epoch_s(START.replace(year=START.year + 1))
        ids = ", ".join(str(p) for p in layout.store_points)
        raw = conn.execute(text(f"SELECT sum(value), count(*) FROM readings WHERE point_id IN ({ids}) "
                                "AND ts >= :lo AND ts < :hi"), {"lo": lo, "hi": hi}).one()
        series = queries.group_series(s, "company", layout.company_id, START, START.replace(year=START.year + 1),
                                      resolution="1mo")
        total, count = float(series.frame["value"].sum()), int(series.frame["count"].sum())
    if count != raw[1] or not math.isclose(total, float(raw[0] or 0.0), rel_tol=1e-9):
        raise SystemExit(f"rollups disagree with the readings: {total} ({count}) vs {raw[0]} ({raw[1]})")


def run(url: str, args: argparse.Namespace) -> bool:
    install_hooks()
    t = time.perf_counter()
    prepare_database(url)
    db = Database(url)
    layout = build(db)
    points = len(layout.store_points)
    intervals = args.rows // points
    if not db.is_sqlite:
        with db.session(principal=Principal.system("bench")) as s:
            partitions.ensure(s, to_epoch_s(START), to_epoch_s(START) + intervals * STEP_S)
    print(f"{args.db}: {points} meters x {intervals:,} quarter hours = {points * intervals:,} rows each path, "
          f"batches of {points * args.batch_intervals:,} rows ({points} meters x {args.batch_intervals} "
          f"quarter hours); set-up {time.perf_counter() - t:.1f} s", flush=True)
    wal = WalCheckpoints(db, url.split("///", 1)[1]) if db.is_sqlite else None
    raw_s, store_s, rows = load(db, layout, args.rows, args.batch_intervals, wal)
    if wal:
        pairs = math.ceil(rows / points / args.batch_intervals)
        print(f"{args.db}: WAL pages written per batch: raw {wal.totals['raw'] / pairs:,.0f}, store "
              f"{wal.totals['store'] / pairs:,.0f}; checkpoints took {wal.totals['checkpoint_s']:.1f} s, "
              "charged by pages written")
    check_totals(db, layout)
    raw_rate, store_rate = rows / raw_s, rows / store_s
    ratio = store_rate / raw_rate
    group_p95, point_p95, group_rows, point_rows = query(db, layout, args.repeats, args.sample_points)
    db.engine.dispose()
    write_ok, group_ok, point_ok = ratio >= MIN_RATIO, group_p95 < P95_LIMIT_MS, point_p95 < P95_LIMIT_MS
    mark = {True: "ok", False: "MISSED"}
    print(f"{args.db}: {rows:,} rows each path in {raw_s + store_s:.0f} s of timed writes")
    print(f"{args.db}: store {store_rate / 1e3:,.0f}k rows/s vs raw {raw_rate / 1e3:,.0f}k rows/s = {ratio:.2f}x "
          f"(>= {MIN_RATIO:.2f} required) {mark[write_ok]}")
    print(f"{args.db}: group_series company-year 1h ({group_rows:,} values of {points} meters) "
          f"p95 {group_p95:.1f} ms vs {P95_LIMIT_MS:.0f} ms limit = {group_p95 / P95_LIMIT_MS:.2f}x of the limit "
          f"{mark[group_ok]}")
    print(f"{args.db}: point_series point-year 1h ({point_rows:,} values, {args.sample_points} meters sampled) "
          f"p95 {point_p95:.1f} ms vs {P95_LIMIT_MS:.0f} ms limit = {point_p95 / P95_LIMIT_MS:.2f}x of the limit "
          f"{mark[point_ok]}")
    return write_ok and group_ok and point_ok


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0] if __doc__ else None)
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--rows", type=int, default=10_000_000, help="readings per path (default 10,000,000)")
    parser.add_argument("--batch-intervals", type=int, default=96,
                        help="quarter hours per batch of all 100 meters (default 96: 9,600 rows)")
    parser.add_argument("--repeats", type=int, default=200, help="queries timed of each kind")
    parser.add_argument("--sample-points", type=int, default=20, help="meters sampled for point_series")
    parser.add_argument("--pg-admin-url", default=PG_ADMIN_URL)
    args = parser.parse_args(argv)
    if args.rows < AREAS * METERS_PER_AREA:
        parser.error("--rows must be at least the number of meters (100)")
    if args.db == "sqlite":
        with tempfile.TemporaryDirectory(prefix="sandan-bench-") as folder:
            ok = run(f"sqlite:///{Path(folder) / 'bench.db'}", args)
    else:
        with fresh_database(args.pg_admin_url) as url:
            ok = run(url, args)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
