"""The gateway against the real platform: uvicorn serving the app on a free port, a temp SQLite database,
a device token, ``POST /api/v1/ingest`` answering per reading."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from sandan.bootstrap import install_hooks, prepare_database
from sandan.core.auth.models import Role
from sandan.db import Database
from sandan.gateway.buffer import Buffer
from sandan.gateway.config import load_config
from sandan.gateway.records import Reading
from sandan.gateway.runner import run_gateway
from tests.factories import add_user, make_tenant
from tests.gateway.conftest import write_config
from tests.live_app import served

T0 = datetime(2025, 3, 4, 0, 0, tzinfo=UTC)


@pytest.fixture
def live_platform(tmp_path: Path) -> Iterator[dict[str, Any]]:

    url = f"sqlite:///{tmp_path / 'platform.db'}"
    prepare_database(url)
    install_hooks()
    db = Database(url)
    with db.session() as session:
        tenant = make_tenant(session, 1)
        token = add_user(session, tenant, Role.device, "gw@c1.example.kr")
    with served(db) as base:
        yield {"url": base, "token": token, "db": db, "tenant": tenant}
    db.engine.dispose()


def _count(db: Database, sql: str) -> int:
    with db.engine.connect() as conn:
        return int(conn.execute(text(sql)).scalar_one())


@pytest.mark.slow
def test_gateway_backlog_reaches_the_platform_exactly_once(tmp_path: Path, live_platform: dict[str, Any],
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SANDAN_DEVICE_TOKEN", live_platform["token"])
    config_path = write_config(tmp_path / "gateway.toml", live_platform["url"], batch_size=40)
    config = load_config(config_path)
    n = 96  # one day of 15-minute interval energy
    backlog = [Reading("c1.main.kwh", T0 + timedelta(minutes=15 * i), 10.0 + i % 7, "kWh") for i in range(n)]
    backlog.append(Reading("nobody.kwh", T0, 1.0, "kWh"))  # unknown: quarantined, still acknowledged
    buffer = Buffer(config.gateway.queue)

    def drain() -> None:
        async def scenario() -> None:
            stop = asyncio.Event()
            task = asyncio.create_task(run_gateway(config, stop))
            deadline = time.monotonic() + 30
            while buffer.backlog() and time.monotonic() < deadline:
                await asyncio.sleep(0.05)
            stop.set()
            await task

        asyncio.run(scenario())

    db: Database = live_platform["db"]
    point_id = live_platform["tenant"].main_point_id
    buffer.add(backlog)
    drain()
    assert buffer.backlog() == 0
    assert _count(db, f"SELECT count(*) FROM readings WHERE point_id = {point_id}") == n
    assert _count(db, "SELECT count(*) FROM quarantine WHERE point_ref = 'nobody.kwh'") == 1
    # A crash between the platform's answer and the delete means a resend: the platform changes nothing.
    buffer.add(backlog[:50])
    drain()
    assert buffer.backlog() == 0
    assert _count(db, f"SELECT count(*) FROM readings WHERE point_id = {point_id}") == n
    assert buffer.status().sent_total == n + 1 + 50
    buffer.close()
