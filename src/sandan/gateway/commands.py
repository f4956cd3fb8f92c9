"""Commands out at the edge: poll the platform for confirmed commands, execute each once, acknowledge.

Exactly once, across restarts: before writing to a device the gateway records the command as
``started`` in its local SQLite file (WAL, ``synchronous=FULL``), and after writing it records the
read-back as ``executed``.  A command the platform hands over again (it does so until it is
acknowledged) is never written again:

* ``executed`` — the write happened; the stored read-back is acknowledged;
* ``started`` — the gateway died during the write, so whether it reached the device is unknown;
  it is acknowledged ``failed`` with that reason and never repeated (an operator decides);
* ``acked`` — the platform already has the answer; nothing to do.

A command past its ``expires_at``, for a device the gateway does not know, or for a register or
node its configuration does not list as ``writable``, is acknowledged ``failed`` without touching
any device.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from sandan.gateway.config import GatewayConfig
from sandan.gateway.modbus.config import ModbusDevice
from sandan.gateway.opcua.config import OpcUaServer
from sandan.gateway.records import utc_now

log = logging.getLogger("sandan.gateway.commands")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS commands (
    id INTEGER PRIMARY KEY,
    state TEXT NOT NULL,
    status TEXT,
    readback REAL,
    message TEXT NOT NULL DEFAULT '',
    at TEXT NOT NULL
);
"""


@dataclass(frozen=True)
class Outcome:
    """What executing one command gave: ``done`` or ``failed``, the read-back [point unit], why."""

    status: str
    readback: float | None
    message: str


class CommandLog:
    """The gateway's memory of the commands it has started, executed and acknowledged."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._conn = sqlite3.connect(path, timeout=30, isolation_level=None)
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.execute("PRAGMA synchronous=FULL")
        self._conn.executescript(_SCHEMA)

    def close(self) -> None:
        self._conn.close()

    def get(self, command_id: int) -> tuple[str, Outcome | None] | None:
        row = self._conn.execute("SELECT state, status, readback, message FROM commands WHERE id = ?",
                                 (command_id,)).fetchone()
        if row is None:
            return None
        state, status, readback, message = row
        return state, (Outcome(status, readback, message) if status else None)

    def _put(self, command_id: int, state: str, outcome: Outcome | None) -> None:
        self._conn.execute(
            "INSERT INTO commands (id, state, status, readback, message, at) VALUES (?, ?, ?, ?, ?, ?) "
            "ON CONFLICT (id) DO UPDATE SET state = excluded.state, status = excluded.status, "
            "readback = excluded.readback, message = excluded.message, at = excluded.at",
            (command_id, state, outcome.status if outcome else None, outcome.readback if outcome else None,
             outcome.message if outcome else "", utc_now().isoformat()))

    def started(self, command_id: int) -> None:
        self._put(command_id, "started", None)

    def executed(self, command_id: int, outcome: Outcome) -> None:
        self._put(command_id, "executed", outcome)

    def acked(self, command_id: int, outcome: Outcome) -> None:
        self._put(command_id, "acked", outcome)


def matches(value: float, readback: float, address: dict[str, Any]) -> bool:
    """Whether the read-back shows the commanded value, within the register's resolution."""
    scale = abs(float(address.get("scale", 1.0)))
    close = math.isclose(value, readback, rel_tol=1e-6, abs_tol=1e-9)
    if address.get("type", "uint16") == "float32":
        return close
    # integer registers (and integer OPC UA nodes) hold the rounded raw count
    return close or abs(value - readback) <= scale / 2 + 1e-9


def _not_writable(device: object, protocol: object, address: dict[str, Any]) -> str | None:
    """Why the gateway's own configuration forbids this write, or None.  The platform's allow-list
    is not trusted alone: a register or node is written only if ``gateway.toml`` lists it."""
    if isinstance(device, ModbusDevice) and protocol == "modbus":
        if address.get("address") not in device.writable:
            return (f"holding register {address.get('address')} of {device.name!r} is not in its 'writable' list "
                    "in gateway.toml; nothing written")
    elif isinstance(device, OpcUaServer) and protocol == "opcua" and address.get("node_id") not in device.writable:
        return (f"node {address.get('node_id')} of {device.name!r} is not in its 'writable' list in gateway.toml; "
                "nothing written")
    return None


async def execute(config: GatewayConfig, command: dict[str, Any]) -> Outcome:
    """Write one command's value to its device and read it back (no bookkeeping)."""
    devices = {device.name: device for device in config.devices}
    device = devices.get(str(command.get("device", "")))
    address = dict(command.get("address") or {})
    value = float(command["value"])
    refused = _not_writable(device, command.get("protocol"), address)
    if refused:
        return Outcome("failed", None, refused)
    try:
        if isinstance(device, ModbusDevice) and command.get("protocol") == "modbus":
            from sandan.gateway.modbus.client import write_value as modbus_write

            readback = await modbus_write(
                device, int(address["address"]), value, data_type=address.get("type", "uint16"),
                scale=float(address.get("scale", 1.0)), offset=float(address.get("offset", 0.0)),
                word_order=address.get("word_order"), byte_order=address.get("byte_order"),
                unit_id=address.get("unit_id"))
            where = f"holding {address['address']}"
        elif isinstance(device, OpcUaServer) and command.get("protocol") == "opcua":
            from sandan.gateway.opcua.client import write_value as opcua_write

            readback = await opcua_write(device, str(address["node_id"]), value,
                                         scale=float(address.get("scale", 1.0)),
                                         offset=float(address.get("offset", 0.0)))
            where = f"node {address['node_id']}"
        else:
            return Outcome("failed", None, f"this gateway has no {command.get('protocol')} device named "
                                           f"{command.get('device')!r}; nothing written")
    except Exception as error:
        return Outcome("failed", None, f"write failed: {error or type(error).__name__}"[:500])
    if not matches(value, readback, address):
        return Outcome("failed", readback, f"wrote {value:g} to {where} but read back {readback:g}")
    return Outcome("done", readback, f"wrote {value:g} to {where}, read back {readback:g}")


def _deadline(text: str) -> datetime:
    when = datetime.fromisoformat(text)
    return when if when.tzinfo else when.replace(tzinfo=UTC)  # the platform speaks UTC


class CommandPoller:
    """Each cycle: fetch this gateway's commands, execute the new ones once, acknowledge them."""

    def __init__(self, config: GatewayConfig, token: str, *, interval_s: float = 5.0,
                 log_path: Path | None = None) -> None:
        self.config = config
        self.interval_s = interval_s
        self.log = CommandLog(log_path or config.gateway.queue.with_name(config.gateway.queue.stem + "-commands.db"))
        self._headers = {"Authorization": f"Bearer {token}", "User-Agent": "sandan-gateway"}

    def close(self) -> None:
        self.log.close()

    def _client(self) -> httpx.AsyncClient:
        import ssl

        verify: ssl.SSLContext | bool = True
        if self.config.platform.ca_file is not None:
            verify = ssl.create_default_context(cafile=str(self.config.platform.ca_file))
        return httpx.AsyncClient(base_url=self.config.platform.url, timeout=self.config.platform.timeout_s,
                                 verify=verify, headers=self._headers)

    async def cycle(self, client: httpx.AsyncClient) -> list[int]:
        """One poll; returns the ids acknowledged in it."""
        response = await client.get("/api/v1/gateway/commands")
        response.raise_for_status()
        acked: list[int] = []
        for command in response.json().get("items", []):
            command_id = int(command["id"])
            known = self.log.get(command_id)
            if known is not None and known[0] == "acked":
                continue
            if known is not None and known[0] == "executed" and known[1] is not None:
                outcome = known[1]
            elif known is not None:
                outcome = Outcome("failed", None, "the gateway restarted while executing this command; whether it "
                                  "reached the device is unknown, so it was not repeated")
            elif _deadline(command["expires_at"]) <= utc_now():
                outcome = Outcome("failed", None, "received after its deadline; not executed")
                self.log.executed(command_id, outcome)
            else:
                self.log.started(command_id)
                outcome = await execute(self.config, command)
                self.log.executed(command_id, outcome)
                log.info("command %d: %s", command_id, outcome.message)
            if await self._ack(client, command_id, outcome):
                self.log.acked(command_id, outcome)
                acked.append(command_id)
        return acked

    async def _ack(self, client: httpx.AsyncClient, command_id: int, outcome: Outcome) -> bool:
        response = await client.post(f"/api/v1/gateway/commands/{command_id}/ack", json={
            "status": outcome.status, "readback": outcome.readback, "message": outcome.message})
        if response.status_code < 300 or response.status_code in (404, 409):
            return True  # 404/409: the platform will not take this answer, ever; stop offering it
        log.warning("command %d: acknowledgement answered %d; retried next cycle", command_id,
                    response.status_code)
        return False

    async def run(self) -> None:
        """Poll until cancelled; a failed cycle (platform unreachable) is retried next cycle."""
        try:
            async with self._client() as client:
                while True:
                    try:
                        await self.cycle(client)
                    except (httpx.HTTPError, ValueError, KeyError) as error:
                        log.warning("command poll failed: %s", error or type(error).__name__)
                    await asyncio.sleep(self.interval_s)
        finally:
            with contextlib.suppress(Exception):
                self.close()
