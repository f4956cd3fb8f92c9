"""Store-and-forward against a real HTTP peer: dedup, outages with backoff, refusals, CSV drops, status."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from sandan.cli import app as sandan_app
from sandan.gateway.buffer import Buffer
from sandan.gateway.config import load_config
from sandan.gateway.records import Reading
from sandan.gateway.runner import run_gateway
from tests.gateway.conftest import TOKEN, free_port, write_config
from tests.gateway.platform import Platform

T0 = datetime(2025, 3, 4, 0, 0, tzinfo=UTC)


def readings(n: int, point: str = "c1.main.kwh") -> list[Reading]:
    return [Reading(point, T0 + timedelta(minutes=15 * i), float(i), "kWh") for i in range(n)]


def run_until(config_path: Path, done: object, timeout_s: float = 20) -> None:
    """Run the gateway in this process until ``done()`` is true."""
    config = load_config(config_path)

    async def scenario() -> None:
        stop = asyncio.Event()
        task = asyncio.create_task(run_gateway(config, stop))
        deadline = time.monotonic() + timeout_s
        while not done() and time.monotonic() < deadline:  # type: ignore[operator]
            await asyncio.sleep(0.02)
        stop.set()
        await task

    asyncio.run(scenario())


def test_queue_ignores_repolls_and_survives_reopening(tmp_path: Path) -> None:
    path = tmp_path / "q.db"
    buffer = Buffer(path)
    assert buffer.add(readings(10)) == 10
    assert buffer.add(readings(12)) == 2  # the same (point, ts) again adds nothing
    buffer.ack([q.id for q in buffer.peek(3)])
    buffer.close()
    again = Buffer(path)
    assert again.backlog() == 9
    assert [q.reading.value for q in again.peek(2)] == [3.0, 4.0]
    assert again._conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert again._conn.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
    again.close()


def test_outage_backs_off_then_resumes_with_exact_counts(tmp_path: Path, token_env: str) -> None:
    port = free_port()
    config_path = write_config(tmp_path / "gateway.toml", f"http://127.0.0.1:{port}", batch_size=7)
    buffer = Buffer(tmp_path / "queue.db")
    buffer.add(readings(100))
    buffer.close()
    started = time.monotonic()
    up: list[Platform] = []

    def done() -> bool:
        if not up:
            if time.monotonic() - started < 0.6:
                return False  # nothing listens on the port: connection refused, backing off
            up.append(Platform(tmp_path / "platform.db", TOKEN, port=port).start())
        return up[0].count() == 100 and Buffer(tmp_path / "queue.db", readonly=True).backlog() == 0

    try:
        run_until(config_path, done)
        assert up[0].count() == 100
        assert up[0].duplicates == 0
    finally:
        if up:
            up[0].stop()
    status = Buffer(tmp_path / "queue.db", readonly=True).status()
    assert status.backlog == 0
    assert status.sent_total == 100
    assert status.last_success_at is not None
    assert status.last_error is not None  # the outage was noted …
    assert "127.0.0.1" in status.last_error


def test_server_errors_are_retried_until_the_platform_recovers(tmp_path: Path, platform: Platform,
                                                               token_env: str) -> None:
    config_path = write_config(tmp_path / "gateway.toml", platform.url)
    buffer = Buffer(tmp_path / "queue.db")
    buffer.add(readings(30))
    buffer.close()
    platform.fail_with = 503
    started = time.monotonic()

    def done() -> bool:
        if time.monotonic() - started > 0.5:
            platform.fail_with = None
        return platform.count() == 30

    run_until(config_path, done)
    assert platform.requests > 2
    assert platform.count() == 30


def test_a_refused_token_stops_forwarding_and_keeps_every_reading(tmp_path: Path, platform: Platform,
                                                                 monkeypatch: pytest.MonkeyPatch,
                                                                 caplog: pytest.LogCaptureFixture) -> None:
    monkeypatch.setenv("SANDAN_DEVICE_TOKEN", "revoked-token")
    config_path = write_config(tmp_path / "gateway.toml", platform.url)
    buffer = Buffer(tmp_path / "queue.db")
    buffer.add(readings(20))
    run_until(config_path, lambda: buffer.status().blocked is not None, timeout_s=10)
    time.sleep(0.2)
    assert platform.requests == 1  # stopped after the refusal, no hammering
    assert buffer.backlog() == 20
    assert "forwarding stopped: platform refused the batch with 401: invalid device token" in caplog.text
    assert "revoked-token" not in caplog.text
    result = CliRunner().invoke(sandan_app, ["gateway", "status", "--config", str(config_path)])
    assert result.exit_code == 0, result.output
    assert "backlog        20 readings" in result.output
    assert "oldest queued  2025-03-04T00:00:00+00:00" in result.output
    assert "FORWARDING STOPPED: platform refused the batch with 401" in result.output
    assert "revoked-token" not in result.output
    buffer.close()


def test_csv_drop_files_are_buffered_sent_and_moved(tmp_path: Path, platform: Platform, token_env: str) -> None:
    drop = tmp_path / "drop"
    drop.mkdir()
    (drop / "a.csv").write_text("point,ts,value,unit\n"
                                + "".join(f"c1.main.kwh,2025-03-04T{h:02d}:00:00+09:00,{h}.5,kWh\n" for h in range(10))
                                + "c1.main.kwh,not-a-time,1,kWh\nc1.main.kwh,2025-03-04 11:00,nan,kWh\n"
                                "c1.main.kw,2025-03-04 11:00,42,kW\n", encoding="utf-8")
    (drop / "b.csv").write_text("meter;when;kwh\n1;2;3\n", encoding="utf-8")
    devices = (f'[[devices]]\nprotocol = "csv"\nname = "drops"\nfolder = "{drop}"\n'
               "scan_interval_s = 0.05\nsettle_s = 0\n")
    config_path = write_config(tmp_path / "gateway.toml", platform.url, devices)
    run_until(config_path, lambda: platform.count() == 11 and (drop / "done" / "a.csv").exists())
    assert platform.count() == 11
    stored = platform.conn.execute("SELECT ts, value FROM readings WHERE point = 'c1.main.kw'").fetchall()
    assert stored == [("2025-03-04T02:00:00+00:00", 42.0)]  # a naive time is KST by default
    assert not (drop / "a.csv").exists()
    rejected = (drop / "done" / "a.rejected.csv").read_text(encoding="utf-8")
    assert "not-a-time" in rejected
    assert "not a finite number" in rejected
    assert (drop / "failed" / "b.csv").exists()
    assert "missing: point, ts, value" in (drop / "failed" / "b.csv.error.txt").read_text(encoding="utf-8")


GATEWAY = [sys.executable, "-m", "sandan.gateway"]


@pytest.mark.slow
def test_kill_9_mid_send_loses_nothing_and_duplicates_nothing(tmp_path: Path, platform: Platform) -> None:
    """SIGKILL the gateway while the platform holds a stored batch's answer, several times, then let it finish."""
    n = 2_000
    config_path = write_config(tmp_path / "gateway.toml", platform.url, batch_size=150)
    buffer = Buffer(tmp_path / "queue.db")
    buffer.add(readings(n // 2, "c1.main.kwh") + readings(n // 2, "c1.main.kw"))
    buffer.close()
    env = {**os.environ, "SANDAN_DEVICE_TOKEN": TOKEN}
    kills = 0
    for i in range(4):
        # Let i batches through, then hold the next one's answer: stored on the platform, not acknowledged.
        platform.received.clear()
        platform.gate.clear()
        platform.hold = platform.requests + i + 1
        process = subprocess.Popen([*GATEWAY, "--config", str(config_path)], env=env, stderr=subprocess.PIPE)
        assert platform.received.wait(30), process.stderr.read() if process.stderr else ""
        os.kill(process.pid, signal.SIGKILL)
        process.wait(10)
        assert process.stderr is not None
        process.stderr.close()
        platform.gate.set()
        kills += 1
    platform.hold = None
    assert Buffer(tmp_path / "queue.db", readonly=True).backlog() > 0  # the killed batches are still queued
    process = subprocess.Popen([*GATEWAY, "--config", str(config_path)], env=env)
    try:
        deadline = time.monotonic() + 60
        while Buffer(tmp_path / "queue.db", readonly=True).backlog() and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(20) == 0
    assert platform.count() == n  # nothing lost …
    assert platform.conn.execute("SELECT count(DISTINCT point || ts) FROM readings").fetchone()[0] == n
    assert platform.duplicates >= kills * 150  # … each killed batch was resent and answered "duplicate"
    status = json.loads(CliRunner().invoke(sandan_app, ["gateway", "status", "--config", str(config_path),
                                                        "--json"]).output)
    assert status["backlog"] == 0


def test_modbus_meter_to_platform_through_the_queue(tmp_path: Path, platform: Platform, token_env: str) -> None:
    """The whole path: simulator → pymodbus poll on the slot grid → queue → HTTP → platform."""
    from sandan.devices.power_meter import PowerMeterServer

    port = free_port()
    devices = (f'[[devices]]\nprotocol = "modbus"\nname = "meter"\nhost = "127.0.0.1"\nport = {port}\n'
               'poll_interval_s = 0.1\nword_order = "little"\n'
               '[[devices.registers]]\npoint = "c1.main.kwh"\naddress = 0\ntype = "float32"\nunit = "kWh"\n'
               '[[devices.registers]]\npoint = "c1.main.kw"\naddress = 4\ntype = "float32"\nunit = "kW"\n')
    config_path = write_config(tmp_path / "gateway.toml", platform.url, devices)
    config = load_config(config_path)

    async def scenario() -> None:
        async with PowerMeterServer(port=port, word_order="little"):
            stop = asyncio.Event()
            task = asyncio.create_task(run_gateway(config, stop))
            for _ in range(200):
                await asyncio.sleep(0.02)
                if platform.count() >= 6:
                    break
            stop.set()
            await task

    asyncio.run(scenario())
    rows = platform.conn.execute("SELECT point, ts, value FROM readings WHERE point = 'c1.main.kwh' "
                                 "ORDER BY ts").fetchall()
    assert len(rows) >= 3
    stamps = [datetime.fromisoformat(ts) for _, ts, _ in rows]
    assert all(round(ts.timestamp() * 10) % 1 == 0 for ts in stamps)  # on the 0.1 s grid
    assert all(10_000 < value < 20_000 for _, _, value in rows)  # little word order decoded right


def test_gateway_command_reports_config_errors_and_exits_2(tmp_path: Path) -> None:
    path = write_config(tmp_path / "gateway.toml", "http://127.0.0.1:1", batch_size=0)
    result = CliRunner().invoke(sandan_app, ["gateway", "--config", str(path)])
    assert result.exit_code == 2
    assert "platform.batch_size: Input should be greater than or equal to 1" in result.output
