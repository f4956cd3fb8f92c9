"""Issue #3, must-hold (d): readings sent through MQTT while PostgreSQL is restarted are stored
exactly once.

The test starts a PostgreSQL of its own (``initdb`` in a temporary folder, a free port, trust
auth; run as the ``postgres`` OS user when the suite runs as root) so it can stop it with
``pg_ctl stop -m immediate`` — a crash, as a power failure would do — without disturbing the
shared server the rest of the suite uses.  A private Mosquitto and a ``sandan ingest mqtt``
subprocess (tests/mqtt/support.py) sit in front of it.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from sandan.bootstrap import install_hooks, prepare_database
from sandan.core.auth.policy import Principal
from sandan.db import Database
from sandan.ingest.mqtt.topics import readings_topic
from tests.conftest import need
from tests.factories import Tenant, make_tenant
from tests.mqtt.support import MOSQUITTO, Broker, Publisher, SubscriberProcess, free_port, port_open, wait_for

pytestmark = [pytest.mark.mqtt, pytest.mark.postgres]
PG_BIN = Path(os.environ.get("SANDAN_PG_BIN", "/usr/lib/postgresql/15/bin"))
T0 = 1_767_225_600  # 2026-01-01 00:00 UTC


class PrivatePostgres:
    """A throw-away PostgreSQL cluster in ``folder`` on a free port; started and crashed at will."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.data = folder / "data"
        self.port = free_port()
        self.as_postgres: list[str] = []
        self.pid: int | None = None
        if os.geteuid() == 0:  # initdb and postgres refuse to run as root
            self.as_postgres = ["runuser", "-u", "postgres", "--"]
            folder.mkdir(parents=True, exist_ok=True)
            shutil.chown(folder, "postgres", "postgres")
            for parent in folder.parents:  # pytest's temp folders are 0700: postgres must reach its own
                if parent == Path("/") or parent == Path("/tmp"):
                    break
                parent.chmod(parent.stat().st_mode | 0o011)

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, *args: str) -> None:
        subprocess.run([*self.as_postgres, *args], check=True, capture_output=True, timeout=60)

    def init(self) -> None:
        self._run(str(PG_BIN / "initdb"), "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8",
                  "--no-sync")

    def start(self) -> None:
        self._run(str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-l", str(self.folder / "postgres.log"), "-w",
                  "-o", f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 -c fsync=on", "start")
        wait_for(lambda: port_open(self.port), 20, "PostgreSQL to listen")
        self.pid = int((self.data / "postmaster.pid").read_text().split()[0])

    def crash(self) -> None:
        self._run(str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "-w", "stop")

    def stop(self) -> None:
        done = subprocess.run([*self.as_postgres, str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-m", "fast", "-w",
                               "stop"], capture_output=True, timeout=60)
        if done.returncode != 0 and self.pid is not None:  # leave no server behind (SIGQUIT: immediate stop)
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, signal.SIGQUIT)


@pytest.fixture
def private_pg(tmp_path: Path) -> Iterator[PrivatePostgres]:
    need((PG_BIN / "initdb").exists() and (PG_BIN / "pg_ctl").exists(),
         f"PostgreSQL server binaries are not in {PG_BIN} (apt-get install postgresql-15, or set SANDAN_PG_BIN)")
    need(os.geteuid() != 0 or shutil.which("runuser") is not None, "runuser is needed to run postgres as root")
    pg = PrivatePostgres(tmp_path / "pg")
    pg.init()
    pg.start()
    yield pg
    pg.stop()


def _count(database: Database, point_id: int, lo: int, hi: int) -> tuple[int, int]:
    """Rows of the point in [lo, hi) and distinct timestamps among them."""
    try:
        with database.session(principal=Principal.system("test")) as session:
            n, distinct = session.execute(text("SELECT count(*), count(DISTINCT ts) FROM readings "
                                               "WHERE point_id = :p AND ts >= :lo AND ts < :hi"),
                                          {"p": point_id, "lo": lo, "hi": hi}).one()
            return int(n), int(distinct)
    except Exception:  # the database is down
        return -1, -1


def _quarantined(database: Database) -> int:
    with database.session(principal=Principal.system("test")) as session:
        return int(session.execute(text("SELECT count(*) FROM quarantine")).scalar_one())


def _messages(tenant: Tenant, start: int, messages: int, per_message: int) -> list[tuple[str, bytes]]:
    topic = readings_topic(tenant.company_id, "gw-pg")
    out = []
    for m in range(messages):
        readings = [{"point": "c1.main.kw", "ts": start + 60 * (m * per_message + i), "value": float(i % 50),
                     "unit": "kW"} for i in range(per_message)]
        out.append((topic, json.dumps({"readings": readings, "source_ref": "gw-pg"}).encode()))
    return out


@pytest.mark.slow
def test_postgres_restarted_loses_and_duplicates_nothing(private_pg: PrivatePostgres, tmp_path: Path) -> None:
    need(MOSQUITTO is not None, "mosquitto is not installed (apt-get install mosquitto)")
    prepare_database(private_pg.url)
    install_hooks()
    database = Database(private_pg.url)
    with database.session(principal=Principal.system("test")) as session:
        tenant = make_tenant(session, 1)
    broker = Broker(tmp_path / f"broker-{uuid.uuid4().hex[:6]}")
    broker.start()
    sub = SubscriberProcess(tmp_path, private_pg.url, broker.url, "pg-restart")
    publisher: Publisher | None = None
    start, messages, per = T0, 60, 50
    n = messages * per
    end = start + 60 * n
    try:
        sub.start()
        publisher = Publisher(broker.port)
        batch = _messages(tenant, start, messages, per)
        for topic, body in batch[:20]:
            publisher.publish(topic, body)
        wait_for(lambda: _count(database, tenant.power_point_id, start, end)[0] > 0, 15, "first readings")
        private_pg.crash()  # mid-stream: some batches committed, some in the subscriber's hands
        for topic, body in batch[20:40]:
            publisher.publish(topic, body)  # the broker queues them; the subscriber cannot commit
        private_pg.start()
        for topic, body in batch[40:]:
            publisher.publish(topic, body)
        wait_for(lambda: _count(database, tenant.power_point_id, start, end)[0] >= n, 30, f"{n} readings")
        assert _count(database, tenant.power_point_id, start, end) == (n, n)
        assert _quarantined(database) == 0  # no message was turned into an ingest_error
        assert sub.process is not None
        assert sub.process.poll() is None, "the subscriber died"
        assert "failed" in sub.log.read_text(errors="replace"), "the outage never reached the subscriber"
    finally:
        if publisher is not None:
            publisher.close()
        sub.terminate()
        broker.stop()
        database.engine.dispose()
