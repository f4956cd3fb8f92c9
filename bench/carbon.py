"""Annual inventory with full trace for a complex of N companies, beside the same totals recomputed
with pandas from the raw readings, in the same run and database (issue #5).

Run::

    .venv/bin/python bench/carbon.py --db sqlite --companies 20
    .venv/bin/python bench/carbon.py --db postgres --companies 1000   # the issue's size: 35 million readings

Each company has one site with one 15-minute electricity meter and a year of readings (35,040 per
company: 1,000 companies are the issue's 35 million), written through the store (rollups
maintained) before timing starts.  Then, timed:

* **sandan**: :func:`sandan.carbon.service.compute_inventory` for every company for the year (scope 1
  and 2 location- and market-based, every line with its readings trace, factor rows and formula),
  each in its own session on behalf of the platform — monthly rollups, quality counts per point;
* **pandas baseline**: every raw reading of the year read into one DataFrame, summed per point,
  multiplied by the same grid factor (no trace, no quality counts, no market-based figure).

Both totals must agree to 1e-9 relative.  The ratio printed is sandan's time over the baseline's.
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
from sandan.carbon import factors, service
from sandan.core.auth.policy import Principal
from sandan.core.brn import make_brn
from sandan.core.tenancy import schemas
from sandan.core.tenancy import service as tenancy
from sandan.core.tenancy.models import Carrier, Complex, PointKind, SizeClass
from sandan.core.timeutil import KST, to_epoch_s
from sandan.db import Database
from sandan.timeseries import partitions
from sandan.timeseries.store import write_readings

PG_ADMIN_URL = os.environ.get("SANDAN_BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
YEAR = 2023
START = dt.datetime(YEAR, 1, 1, tzinfo=KST)
QUARTERS = 35_040


def build(db: Database, companies: int) -> list[tuple[int, int]]:
    """(company id, point id) of ``companies`` companies, each with a year of quarter-hour kWh."""
    out: list[tuple[int, int]] = []
    ts = to_epoch_s(START) + 900 * np.arange(QUARTERS, dtype=np.int64)
    rng = np.random.default_rng(5)
    with db.session(principal=Principal.system("bench")) as s:
        if not db.is_sqlite:
            partitions.ensure(s, int(ts[0]), int(ts[-1]) + 900)
        complex_id = s.execute(select(Complex.id).where(Complex.code == "gwangyang")).scalar_one()
    for n in range(companies):
        with db.session(principal=Principal.system("bench")) as s:
            company = tenancy.create_company(s, schemas.CompanyCreate(
                complex_id=complex_id, name=f"bench {n}", brn=make_brn(f"{500 + n % 400:03d}81{n:04d}"),
                ksic_code="24111", size_class=SizeClass.sme))
            site = tenancy.create_site(s, schemas.SiteCreate(company_id=company.id, name="site"))
            point = tenancy.create_point(s, schemas.PointCreate(
                site_id=site.id, code=f"b{n}.kwh", name="kWh", quantity="active_energy", unit="kWh",
                carrier=Carrier.electricity, kind=PointKind.interval, interval_s=900))
            values = np.round(rng.uniform(5, 50, QUARTERS), 3)
            write_readings(s, pd.DataFrame({"point_id": point.id, "ts": ts, "value": values}))
            out.append((company.id, point.id))
    return out


def sandan_totals(db: Database, layout: list[tuple[int, int]]) -> float:
    total = 0.0
    for company_id, _ in layout:
        with db.session(principal=Principal.system("bench")) as s:
            answer = service.compute_inventory(s, company_id, str(YEAR), "AR5")
            total += answer["totals_kg"]["scope2_location_kg"]
    return total


def pandas_totals(db: Database, layout: list[tuple[int, int]]) -> float:
    lo, hi = to_epoch_s(START), to_epoch_s(START.replace(year=YEAR + 1))
    ids = ",".join(str(p) for _, p in layout)
    with db.engine.connect() as conn:
        frame = pd.read_sql(text(f"SELECT point_id, value FROM readings WHERE point_id IN ({ids}) "
                                 "AND ts >= :lo AND ts < :hi"), conn, params={"lo": lo, "hi": hi})
    factor = factors.electricity_tco2e_per_mwh(factors.grid_factor(START.date()), "AR5")
    return float((frame.groupby("point_id")["value"].sum() * factor).sum())


def run(url: str, args: argparse.Namespace) -> bool:
    install_hooks()
    prepare_database(url)
    db = Database(url)
    t = time.perf_counter()
    layout = build(db, args.companies)
    print(f"{args.db}: {args.companies} companies x {QUARTERS:,} quarter hours = {args.companies * QUARTERS:,} "
          f"readings written through the store in {time.perf_counter() - t:.0f} s (not timed below)", flush=True)
    t = time.perf_counter()
    ours = sandan_totals(db, layout)
    sandan_s = time.perf_counter() - t
    t = time.perf_counter()
    theirs = pandas_totals(db, layout)
    pandas_s = time.perf_counter() - t
    db.engine.dispose()
    agree = abs(ours - theirs) <= 1e-9 * max(abs(theirs), 1.0)
    print(f"{args.db}: annual inventory with full trace of {args.companies} companies: sandan {sandan_s:.2f} s "
          f"({sandan_s / args.companies * 1000:.1f} ms per company) vs pandas from raw readings {pandas_s:.2f} s "
          f"= {sandan_s / pandas_s:.2f}x")
    print(f"{args.db}: scope 2 location-based total {ours / 1000:,.3f} t vs {theirs / 1000:,.3f} t "
          f"{'agree' if agree else 'DIFFER'}")
    return agree


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0] if __doc__ else None)
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--companies", type=int, default=20,
                        help="companies (1,000 is the issue's 35 million readings)")
    parser.add_argument("--pg-admin-url", default=PG_ADMIN_URL)
    args = parser.parse_args(argv)
    if args.db == "sqlite":
        with tempfile.TemporaryDirectory(prefix="sandan-bench-") as folder:
            ok = run(f"sqlite:///{Path(folder) / 'bench.db'}", args)
    else:
        with fresh_database(args.pg_admin_url) as url:
            ok = run(url, args)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
