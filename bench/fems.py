"""FEMS dashboard and yearly bills of one company, each beside pandas on the raw readings (issue #4).

Run::

    .venv/bin/python bench/fems.py --db postgres --points 1000 --days 365   # the issue's size (35 M readings)
    .venv/bin/python bench/fems.py --db sqlite --points 20 --days 60        # a quick look

One fresh database (a SQLite file in a temporary folder, or a PostgreSQL database created and
dropped by the bench): one company, one site, ``--points`` 15-minute kWh meters on 10 areas, and
``--days`` days of readings ending at the last quarter hour before "now" (a fixed clock: the end of
the data), written through the store so that rollups are maintained.

Timed, in a session of a company member (the access policy in force), ``--repeats`` times each:

* the dashboard: :func:`sandan.energy.service.dashboard` (today, this month, this year: energy, TOE,
  variable cost, peak 15-minute demand) — p95 must stay under 200 ms;
* the year's bills: :func:`sandan.energy.service.company_bills` over the 12 months — under 5 s
  (the diagnosis report of the issue is not built yet; the bills are its heaviest part);

each beside a baseline measured in the same run: the same energy totals and peaks (dashboard) and
monthly kWh per load period and maximum demand (bills) computed by pandas from the raw readings
(``SELECT ts, value FROM readings``).  The ratio printed is sandan's time / the baseline's time.
The exit status is non-zero when a target is missed.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
from sqlalchemy import select, text

from pgtemp import fresh_database  # bench/pgtemp.py, beside this script
from sandan.bootstrap import install_hooks, prepare_database
from sandan.core.auth.policy import Principal
from sandan.core.brn import make_brn
from sandan.core.tenancy import schemas, service
from sandan.core.tenancy.models import AssetLevel, Carrier, Complex, PointKind, SizeClass
from sandan.core.timeutil import KST, to_epoch_s
from sandan.db import Database
from sandan.energy import service as energy
from sandan.energy.tariff import Contract, classify
from sandan.timeseries import partitions
from sandan.timeseries.store import write_readings

PG_ADMIN_URL = os.environ.get("SANDAN_BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
END = dt.datetime(2026, 3, 1, tzinfo=KST)  # the bench's "now": data end here
STEP_S = 900
AREAS = 10
DASHBOARD_P95_MS, BILLS_S = 200.0, 5.0


def build(db: Database, points: int) -> tuple[int, list[int]]:
    with db.session(principal=Principal.system("bench")) as s:
        complex_ = s.execute(select(Complex).order_by(Complex.id)).scalars().first()
        assert complex_ is not None
        company = service.create_company(s, schemas.CompanyCreate(
            complex_id=complex_.id, name="벤치 FEMS", brn=make_brn("801810001"), ksic_code="24111",
            size_class=SizeClass.sme))
        site = service.create_site(s, schemas.SiteCreate(company_id=company.id, name="본사", contract_power_kw=50_000))
        areas = [service.create_asset(s, schemas.AssetCreate(site_id=site.id, level=AssetLevel.area, name=f"{a}동"))
                 for a in range(AREAS)]
        ids = [service.create_point(s, schemas.PointCreate(
            site_id=site.id, asset_id=areas[i % AREAS].id, code=f"m{i}.kwh", name=f"{i}번 전력량",
            quantity="active_energy", unit="kWh", carrier=Carrier.electricity, kind=PointKind.interval)).id
            for i in range(points)]
        return company.id, ids


def load(db: Database, point_ids: list[int], days: int) -> int:
    start = to_epoch_s(END) - days * 86400
    if not db.is_sqlite:
        with db.session(principal=Principal.system("bench")) as s:
            partitions.ensure(s, start, to_epoch_s(END))
    rng = np.random.default_rng(4)
    ts_day = start + STEP_S * np.arange(96, dtype=np.int64)
    hours = (np.arange(96) // 4 + 0) % 24
    shape = np.where((hours >= 8) & (hours < 20), 3.0, 1.0)
    rows = 0
    for d in range(days):
        ts = ts_day + d * 86400
        frame = pd.DataFrame({"point_id": np.repeat(point_ids, 96), "ts": np.tile(ts, len(point_ids)),
                              "value": np.tile(shape, len(point_ids)) * rng.uniform(0.8, 1.2, 96 * len(point_ids))})
        with db.session(principal=Principal.system("bench")) as s:
            rows += write_readings(s, frame).stored
    return rows


def raw_frame(db: Database, point_ids: list[int], lo: dt.datetime, hi: dt.datetime) -> pd.Series:
    """The company's 15-minute totals from the raw readings (the baseline's own query)."""
    with db.session(principal=Principal.system("bench")) as s:
        rows = s.connection().execute(text(
            f"SELECT ts, value FROM readings WHERE point_id IN ({', '.join(map(str, point_ids))}) "
            "AND ts >= :lo AND ts < :hi"), {"lo": to_epoch_s(lo), "hi": to_epoch_s(hi)}).all()
    frame = pd.DataFrame(rows, columns=["ts", "value"])
    total = frame.groupby("ts")["value"].sum()
    return pd.Series(total.to_numpy(), index=pd.to_datetime(total.index.to_numpy(), unit="s", utc=True))


def baseline_dashboard(db: Database, point_ids: list[int], now: dt.datetime) -> dict[str, float]:
    local = now.astimezone(KST)
    year0 = local.replace(month=1, day=1, hour=0, minute=0, second=0, microsecond=0)
    kwh = raw_frame(db, point_ids, year0, now)
    out = {}
    for name, lo in (("today", local.replace(hour=0, minute=0, second=0, microsecond=0)),
                     ("month", local.replace(day=1, hour=0, minute=0, second=0, microsecond=0)), ("year", year0)):
        part = kwh[kwh.index >= lo]
        out[name] = float(part.sum())
        out[f"{name}_peak"] = float(part.max() * 4) if len(part) else 0.0
    return out


def baseline_bills(db: Database, point_ids: list[int], months: list[dt.date]) -> pd.DataFrame:
    lo = pd.Timestamp(months[0], tz=KST).to_pydatetime()
    kwh = raw_frame(db, point_ids, lo, END)
    pos = classify(pd.DatetimeIndex(kwh.index), Contract())
    month = kwh.index.tz_convert(KST).strftime("%Y-%m")
    return pd.DataFrame({"kwh": kwh, "period": pos["period"].to_numpy(), "month": month}).pivot_table(
        index="month", columns="period", values="kwh", aggfunc="sum")


def p95_ms(samples: list[float]) -> float:
    return float(np.percentile(np.array(samples) * 1e3, 95))


def run(url: str, args: argparse.Namespace) -> bool:
    install_hooks()
    prepare_database(url)
    db = Database(url)
    company_id, ids = build(db, args.points)
    t = time.perf_counter()
    rows = load(db, ids, args.days)
    print(f"{args.db}: {args.points} meters x {args.days} days = {rows:,} readings stored in "
          f"{time.perf_counter() - t:.0f} s", flush=True)
    reader = Principal(user_id=None, name="bench reader", companies_read=frozenset({company_id}),
                       roles=frozenset({"company_member"}))
    now = END - dt.timedelta(minutes=1)
    dash, base = [], []
    for _ in range(args.repeats):
        t = time.perf_counter()
        with db.session(principal=reader) as s:
            board = energy.dashboard(s, company_id, now)
        dash.append(time.perf_counter() - t)
        t = time.perf_counter()
        ref = baseline_dashboard(db, ids, now)
        base.append(time.perf_counter() - t)
    assert abs(board["periods"]["year"]["electricity"]["energy_kwh"] - ref["year"]) < 1e-6 * max(ref["year"], 1)
    months = energy.month_range(None, END - dt.timedelta(seconds=1))
    t = time.perf_counter()
    with db.session(principal=reader) as s:
        bills = energy.company_bills(s, company_id, None, END - dt.timedelta(seconds=1))
    bills_s = time.perf_counter() - t
    t = time.perf_counter()
    ref_bills = baseline_bills(db, ids, months)
    ref_s = time.perf_counter() - t
    db.engine.dispose()
    dash_p95, base_p95 = p95_ms(dash), p95_ms(base)
    mark = {True: "ok", False: "MISSED"}
    print(f"{args.db}: dashboard p95 {dash_p95:.1f} ms vs pandas on raw readings {base_p95:.1f} ms = "
          f"{dash_p95 / base_p95:.2f}x; target < {DASHBOARD_P95_MS:.0f} ms {mark[dash_p95 < DASHBOARD_P95_MS]}")
    print(f"{args.db}: year of bills ({len(bills.bills)} months) {bills_s:.2f} s vs pandas monthly kWh per period "
          f"{ref_s:.2f} s ({len(ref_bills)} months) = {bills_s / ref_s:.2f}x; target < {BILLS_S:.0f} s "
          f"{mark[bills_s < BILLS_S]}")
    return dash_p95 < DASHBOARD_P95_MS and bills_s < BILLS_S


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0] if __doc__ else None)
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--points", type=int, default=1000)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("--pg-admin-url", default=PG_ADMIN_URL)
    args = parser.parse_args(argv)
    if args.db == "sqlite":
        with tempfile.TemporaryDirectory() as folder:
            ok = run(f"sqlite:///{Path(folder) / 'fems.db'}", args)
    else:
        with fresh_database(args.pg_admin_url, "sandan_fems") as url:
            ok = run(url, args)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
