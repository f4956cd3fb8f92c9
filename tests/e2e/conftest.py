"""Browser tests: the app served by uvicorn on a free localhost port, driven by Debian's chromium.

The server runs in a background thread against a temporary SQLite file (never the test
transaction of the ``db`` fixture: the browser needs committed data).  Playwright drives the
system chromium; nothing is downloaded (no ``playwright install``).
"""

from __future__ import annotations

import datetime as dt
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import uvicorn
from fastapi import FastAPI

from sandan.app import create_app
from sandan.bootstrap import prepare_database
from sandan.core.auth.models import Role
from sandan.core.auth.policy import Principal
from sandan.core.timeutil import KST, now_utc
from sandan.db import Database
from sandan.settings import Settings
from sandan.timeseries.store import write_readings
from tests.factories import PASSWORD, Tenant, add_user, make_tenant

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]


class ServerThread(threading.Thread):
    """uvicorn serving an app from a socket bound here (so the port is known and free)."""

    def __init__(self, app: FastAPI) -> None:
        super().__init__(daemon=True, name="e2e-uvicorn")
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off", ws="none",
                                http="h11")
        self.server = uvicorn.Server(config)

    def run(self) -> None:
        self.server.run(sockets=[self.sock])

    def __enter__(self) -> ServerThread:
        self.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            if time.monotonic() > deadline or not self.is_alive():
                raise RuntimeError("uvicorn did not start within 20 s")
            time.sleep(0.05)
        return self

    def __exit__(self, *_exc: object) -> None:
        self.server.should_exit = True
        self.join(timeout=10)
        self.sock.close()


@dataclass(frozen=True)
class Site:
    base_url: str
    email: str
    password: str
    tenant: Tenant
    reading_ts: list[int]  # epoch seconds of the main meter's readings


def quarter_hours(now: dt.datetime, days: int) -> list[int]:
    """Interval starts [epoch s] from 00:00 KST ``days - 1`` days ago to the quarter hour holding now."""
    start = now.astimezone(KST).replace(hour=0, minute=0, second=0, microsecond=0) - dt.timedelta(days=days - 1)
    first, last = int(start.timestamp()), int(now.timestamp()) // 900 * 900
    return list(range(first, last + 1, 900))


def factory_profile_kwh(ts: list[int]) -> np.ndarray:
    """A plausible factory load [kWh per quarter hour]: a day shift on top of a base load."""
    stamps = np.asarray(ts, dtype=np.int64)
    hours = (stamps // 3600 + 9) % 24  # hour of the Korean day
    shift = np.clip(np.sin((hours - 6) / 12 * np.pi), 0, None)
    profile: np.ndarray = np.round(40 + 35 * shift + (stamps // 900) % 7, 3)
    return profile


def seed(url: str, days: int = 7) -> tuple[Tenant, list[int]]:
    prepare_database(url)
    db = Database(url)
    try:
        with db.session(principal=Principal.system("e2e")) as session:
            tenant = make_tenant(session, 1)
            add_user(session, tenant, Role.company_admin, "admin@steel.example.kr", token=False)
            ts = quarter_hours(now_utc(), days)
            frame = pd.DataFrame({"point_id": tenant.main_point_id, "ts": ts, "value": factory_profile_kwh(ts)})
            result = write_readings(session, frame)
            assert result.stored == len(ts), result.summary()
    finally:
        db.engine.dispose()
    return tenant, ts


@pytest.fixture(scope="module")
def e2e_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    folder: Path = tmp_path_factory.mktemp("e2e")
    url = f"sqlite:///{folder / 'sandan.db'}"
    tenant, ts = seed(url)
    db = Database(url)
    app = create_app(db, Settings(secret_key="e2e-" + "k" * 40, var_dir=folder, environment="test"))
    with ServerThread(app) as server:
        yield Site(f"http://127.0.0.1:{server.port}", "admin@steel.example.kr", PASSWORD, tenant, ts)
    db.engine.dispose()


@pytest.fixture(scope="module")
def browser(chromium_path: str) -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=chromium_path, args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            launched.close()
