"""The previous reading of each point: found however old for registers, and pruned on PostgreSQL.

With hundreds of monthly partitions present, an unbounded ``max(ts)`` look-up probes every
partition: ingest fell from ~17,000 to ~1,800 readings/s with 240 months (measured with the
pipeline on 20 companies × 2 meters × 96 quarter hours, 5 batches).  The look-up now looks back
``PREVIOUS_LOOKBACK_S`` with constant bounds first; registers with nothing in that window are
looked up again without a bound.
"""

from __future__ import annotations

import datetime as dt
import json

import pandas as pd
from sqlalchemy import text

from sandan.core.tenancy import schemas, service
from sandan.core.tenancy.models import Carrier, PointKind
from sandan.core.timeutil import KST, to_epoch_s
from sandan.ingest.pipeline import PREVIOUS_LOOKBACK_S, ingest_frame, previous_query, previous_readings
from sandan.timeseries import partitions
from tests.conftest import need
from tests.factories import make_tenant, system

T0 = to_epoch_s(dt.datetime(2026, 11, 2, tzinfo=KST))


def _register(session, tenant) -> int:
    point = service.create_point(session, schemas.PointCreate(
        site_id=tenant.site_id, code="c1.main.register", name="적산 전력량계", quantity="active_energy", unit="kWh",
        carrier=Carrier.electricity, kind=PointKind.cumulative, register_max=100_000))
    return point.id


def test_a_register_finds_its_last_value_beyond_the_lookback(db):
    with db.session() as s:
        tenant = make_tenant(s, 1)
        register = _register(s, tenant)
        old = T0 - PREVIOUS_LOOKBACK_S - 10 * 86400  # 45 days before
        recent = T0 - 3600
        frame = pd.DataFrame({"point_id": [register, tenant.main_point_id], "ts": [old, old], "value": [500.0, 7.0]})
        assert ingest_frame(s, frame, source="test").summary()["stored"] == 2
        frame = pd.DataFrame({"point_id": [tenant.main_point_id], "ts": [recent], "value": [8.0]})
        assert ingest_frame(s, frame, source="test").summary()["stored"] == 1

        found = previous_readings(s, {register: T0, tenant.main_point_id: T0 + 86400})
        # the register's reading is older than the window: not found without asking for it
        assert found == {tenant.main_point_id: (recent, 8.0)}
        found = previous_readings(s, {register: T0, tenant.main_point_id: T0 + 86400}, unbounded=[register])
        assert found == {register: (old, 500.0), tenant.main_point_id: (recent, 8.0)}

        # through the pipeline: 45 days later the register reads less than before — a reset, refused
        frame = pd.DataFrame({"point_id": [register], "ts": [T0], "value": [100.0]})
        result = ingest_frame(s, frame, source="test")
        assert result.summary()["rejected"] == 1
        assert "from 500 to 100 kWh" in result.items()[0]["reason"]


def test_lookups_are_pruned_to_the_months_they_need(postgres_backend):
    need(postgres_backend is not None, "PostgreSQL is not reachable")
    with postgres_backend.engine.connect() as conn:
        outer = conn.begin()
        try:
            from sqlalchemy.orm import Session

            session = system(Session(bind=conn))
            start = to_epoch_s(dt.datetime(2010, 1, 1, tzinfo=KST))
            partitions.ensure(session, start, T0 + 40 * 86400)  # 16+ years of monthly partitions
            months = conn.execute(text("SELECT count(*) FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
                                       "WHERE c.relname LIKE 'readings_y%'")).scalar_one()
            assert months > 190
            sql, params = previous_query([(1, T0), (2, T0 + 3 * 86400)], PREVIOUS_LOOKBACK_S)
            plan = conn.execute(text("EXPLAIN (FORMAT JSON) " + sql), params).scalar_one()
            scanned = {name for name in _relations(plan if isinstance(plan, list) else json.loads(plan))
                       if name.startswith("readings_y")}
            # T0 - 35 days .. T0 + 3 days: 28 September .. 5 November 2026, three of the 200 months
            assert scanned == {"readings_y2026m09", "readings_y2026m10", "readings_y2026m11"}
        finally:
            outer.rollback()


def _relations(node: object) -> list[str]:
    found: list[str] = []
    if isinstance(node, dict):
        if "Relation Name" in node:
            found.append(str(node["Relation Name"]))
        for value in node.values():
            found.extend(_relations(value))
    elif isinstance(node, list):
        for value in node:
            found.extend(_relations(value))
    return found
