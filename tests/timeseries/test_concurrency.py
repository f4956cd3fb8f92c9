"""Concurrent writers of one complex on PostgreSQL: no deadlock, no key collision, exact rollups."""

from __future__ import annotations

import datetime as dt
import threading
import uuid

import numpy as np
import pandas as pd
from sqlalchemy import create_engine, text

from sandan.bootstrap import install_hooks, prepare_database
from sandan.core.auth.policy import Principal
from sandan.core.timeutil import KST, to_epoch_s
from sandan.db import Database
from sandan.timeseries.service import group_series
from sandan.timeseries.store import write_readings
from tests.conftest import PG_ADMIN_URL
from tests.factories import make_tenant

# this month: its partition exists (db upgrade pre-creates the months around now)
START = dt.datetime.now(KST).replace(day=1, hour=0, minute=0, second=0, microsecond=0)


def _batch(point_ids: list[int], day: int, seed: int) -> pd.DataFrame:
    t0 = to_epoch_s(START) + day * 86400
    ts = t0 + 900 * np.arange(96)
    rng = np.random.default_rng(seed)
    return pd.DataFrame({"point_id": np.repeat(point_ids, 96), "ts": np.tile(ts, len(point_ids)),
                         "value": rng.integers(1, 100, 96 * len(point_ids)).astype(float)})


def test_concurrent_writers_of_one_complex(backend):
    if backend.name != "postgres":
        return  # SQLite has one writer at a time (BEGIN IMMEDIATE)
    name = f"sandan_conc_{uuid.uuid4().hex[:8]}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    try:
        prepare_database(url)
        install_hooks()
        db = Database(url)
        with db.session(principal=Principal.system("test")) as s:
            tenants = [make_tenant(s, 70 + i) for i in range(3)]
        points = [t.main_point_id for t in tenants]
        # every writer sends every company's meters for the same days, in a different order, twice
        batches = [_batch(points[k:] + points[:k], day, seed=day) for k in range(3) for day in range(4)]
        errors: list[BaseException] = []

        def writer(mine: list[pd.DataFrame]) -> None:
            try:
                for frame in mine:
                    with db.session(principal=Principal.system("writer")) as s:
                        write_readings(s, frame)
            except BaseException as exc:
                errors.append(exc)

        threads = [threading.Thread(target=writer, args=(batches[i::3] + batches[: i + 1],)) for i in range(3)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert errors == []
        expected = sum(_batch(points, day, seed=day)["value"].sum() for day in range(4))
        with db.session(principal=Principal.system("check")) as s:
            complex_id = s.execute(text("SELECT complex_id FROM companies WHERE id = :c"),
                                   {"c": tenants[0].company_id}).scalar_one()
            days = group_series(s, "complex", complex_id, START, START + dt.timedelta(days=4), resolution="1d")
            total = days.frame["value"].sum()
            stored = s.execute(text("SELECT sum(value), count(*) FROM readings")).one()
        assert stored[1] == 3 * 4 * 96
        assert stored[0] == expected
        assert total == expected
        db.engine.dispose()
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
