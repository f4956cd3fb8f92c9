"""Commands end to end: the real app on uvicorn (SQLite file), a real pymodbus server with
writable holding registers (a load controller), an asyncua server with a writable setpoint, and the
gateway's command poller between them."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from asyncua import ua
from asyncua.server.server import Server
from pymodbus.client import AsyncModbusTcpClient
from pymodbus.server import ModbusTcpServer
from pymodbus.simulator import DataType, SimData, SimDevice

from sandan.bootstrap import install_hooks, prepare_database
from sandan.core.auth.models import Role
from sandan.db import Database
from sandan.gateway.commands import CommandLog, CommandPoller
from sandan.gateway.config import GatewayConfig, load_config
from sandan.gateway.runner import run_gateway
from tests.api.support import bearer
from tests.factories import add_user, make_tenant
from tests.gateway.conftest import free_port, write_config
from tests.live_app import served

REGISTER = 100
API = "/api/v1"


@pytest.fixture
def live(tmp_path: Path) -> Iterator[dict[str, Any]]:

    url = f"sqlite:///{tmp_path / 'platform.db'}"
    prepare_database(url)
    install_hooks()
    db = Database(url)
    with db.session() as session:
        tenant = make_tenant(session, 1)
        other = make_tenant(session, 2)
        tokens = {"admin": add_user(session, tenant, Role.company_admin, "admin@c1.kr"),
                  "admin2": add_user(session, tenant, Role.company_admin, "admin2@c1.kr"),
                  "device": add_user(session, tenant, Role.device, "gw@c1.kr"),
                  "admin_b": add_user(session, other, Role.company_admin, "admin@c2.kr"),
                  "device_b": add_user(session, other, Role.device, "gw@c2.kr")}
    with served(db) as base:
        yield {"url": base, "tokens": tokens, "tenant": tenant, "other": other}
    db.engine.dispose()


@asynccontextmanager
async def controller(port: int) -> AsyncIterator[None]:
    """A load controller: 200 writable holding registers on unit 1, all 0."""
    server = ModbusTcpServer(SimDevice(id=1, simdata=[SimData(0, count=200, datatype=DataType.REGISTERS)]),
                             address=("127.0.0.1", port))
    await server.serve_forever(background=True)
    try:
        yield
    finally:
        await server.shutdown()  # type: ignore[no-untyped-call]


async def registers(port: int, count: int = 1) -> list[int]:
    client = AsyncModbusTcpClient("127.0.0.1", port=port)
    await client.connect()
    try:
        return list((await client.read_holding_registers(REGISTER, count=count, device_id=1)).registers)
    finally:
        client.close()


async def set_register(port: int, value: int) -> None:
    client = AsyncModbusTcpClient("127.0.0.1", port=port)
    await client.connect()
    try:
        await client.write_register(REGISTER, value, device_id=1)
    finally:
        client.close()


def gateway_config(tmp_path: Path, live: dict[str, Any], devices: str, monkeypatch: pytest.MonkeyPatch,
                   ) -> GatewayConfig:
    monkeypatch.setenv("SANDAN_DEVICE_TOKEN", live["tokens"]["device"])
    # generous timeouts: the suite shares a 2-core machine with benchmarks
    return load_config(write_config(tmp_path / "gateway.toml", live["url"], devices, commands_interval_s=0.1,
                                    timeout_s=60))


def modbus_device(port: int) -> str:
    return (f'[[devices]]\nprotocol = "modbus"\nname = "plc"\nhost = "127.0.0.1"\nport = {port}\n'
            f'poll_interval_s = 3600\ntimeout_s = 30\nwritable = [{REGISTER}]\n'
            f'[[devices.registers]]\npoint = "c1.line1.kwh"\naddress = 150\n')


class Admin:
    """The admins' side, over HTTP."""

    def __init__(self, live: dict[str, Any]) -> None:
        self.live = live
        self.client = httpx.AsyncClient(base_url=live["url"], timeout=60)

    def as_(self, who: str) -> dict[str, str]:
        return bearer(self.live["tokens"][who])

    async def allow(self, body: dict[str, Any]) -> None:
        point_id = self.live["tenant"].power_point_id
        response = await self.client.put(f"{API}/controls/{point_id}", headers=self.as_("admin"), json={
            "min_value": 0, "max_value": 100, "gateway": "gw@c1.kr", **body})
        assert response.status_code == 200, response.text

    async def request(self, value: float, *, confirm: bool = True) -> int:
        response = await self.client.post(f"{API}/commands", headers=self.as_("admin"), json={
            "point_id": self.live["tenant"].power_point_id, "value": value, "reason": "peak shaving"})
        assert response.status_code == 201, response.text
        command_id = int(response.json()["id"])
        if confirm:
            confirmed = await self.client.post(f"{API}/commands/{command_id}/confirm", headers=self.as_("admin2"))
            assert confirmed.status_code == 200, confirmed.text
        return command_id

    async def command(self, command_id: int) -> dict[str, Any]:
        response = await self.client.get(f"{API}/commands/{command_id}", headers=self.as_("admin"))
        assert response.status_code == 200, response.text
        return response.json()  # type: ignore[no-any-return]


MODBUS_TARGET = {"device": "plc", "protocol": "modbus", "modbus": {"address": REGISTER, "type": "uint16", "scale": 0.1}}


@pytest.mark.slow
def test_request_confirm_execute_readback_done(tmp_path: Path, live: dict[str, Any],
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    port = free_port()
    config = gateway_config(tmp_path, live, modbus_device(port), monkeypatch)

    async def scenario() -> None:
        admin = Admin(live)
        await admin.allow(MODBUS_TARGET)
        async with controller(port):
            # out of limits: refused, nothing to execute
            refused = await admin.client.post(f"{API}/commands", headers=admin.as_("admin"), json={
                "point_id": live["tenant"].power_point_id, "value": 100.1})
            assert refused.status_code == 422
            assert "max_value = 100" in refused.json()["detail"]
            unconfirmed = await admin.request(12.0, confirm=False)
            command_id = await admin.request(42.5)
            poller = CommandPoller(config, live["tokens"]["device"], log_path=tmp_path / "commands.db")
            async with poller._client() as client:
                assert await poller.cycle(client) == [command_id]
                assert await poller.cycle(client) == []  # acknowledged: nothing more
            poller.close()
            assert await registers(port) == [425]  # 42.5 at 0.1 per count
            done = await admin.command(command_id)
            assert (done["status"], done["readback"]) == ("done", 42.5)
            assert "read back 42.5" in done["message"]
            assert (await admin.command(unconfirmed))["status"] == "requested"
        await admin.client.aclose()

    asyncio.run(scenario())


@pytest.mark.slow
def test_a_restart_between_execute_and_ack_does_not_execute_twice(tmp_path: Path, live: dict[str, Any],
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    port = free_port()
    config = gateway_config(tmp_path, live, modbus_device(port), monkeypatch)
    log_path = tmp_path / "commands.db"

    async def scenario() -> None:
        admin = Admin(live)
        await admin.allow(MODBUS_TARGET)
        async with controller(port):
            command_id = await admin.request(30.0)
            first = CommandPoller(config, live["tokens"]["device"], log_path=log_path)

            async def killed(*_: object) -> bool:
                raise SystemExit("power cut after the write, before the acknowledgement")

            first._ack = killed
            async with first._client() as client:
                with pytest.raises(SystemExit):
                    await first.cycle(client)
            first.close()
            assert await registers(port) == [300]
            assert (await admin.command(command_id))["status"] == "sent"
            await set_register(port, 7)  # an operator changes the setpoint meanwhile
            second = CommandPoller(config, live["tokens"]["device"], log_path=log_path)
            async with second._client() as client:
                assert await second.cycle(client) == [command_id]
            second.close()
            assert await registers(port) == [7], "the command was executed a second time"
            done = await admin.command(command_id)
            assert (done["status"], done["readback"]) == ("done", 30.0)

            # died during the write: outcome unknown, acknowledged failed and never repeated
            unsure = await admin.request(55.0)
            log = CommandLog(log_path)
            log.started(unsure)
            log.close()
            third = CommandPoller(config, live["tokens"]["device"], log_path=log_path)
            async with third._client() as client:
                assert await third.cycle(client) == [unsure]
            third.close()
            assert await registers(port) == [7]
            failed = await admin.command(unsure)
            assert failed["status"] == "failed"
            assert "restarted while executing" in failed["message"]
        await admin.client.aclose()

    asyncio.run(scenario())


@pytest.mark.slow
def test_another_company_cannot_see_or_ack_and_its_gateway_gets_nothing(tmp_path: Path, live: dict[str, Any],
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    async def scenario() -> None:
        admin = Admin(live)
        await admin.allow(MODBUS_TARGET)
        command_id = await admin.request(20.0)
        other = {"admin": admin.as_("admin_b"), "device": admin.as_("device_b")}
        got = await admin.client.get(f"{API}/commands/{command_id}", headers=other["admin"])
        assert got.status_code == 404
        confirm = await admin.client.post(f"{API}/commands/{command_id}/confirm", headers=other["admin"])
        assert confirm.status_code == 404
        polled = await admin.client.get(f"{API}/gateway/commands", headers=other["device"])
        assert polled.json()["items"] == []
        ack = await admin.client.post(f"{API}/gateway/commands/{command_id}/ack", headers=other["device"],
                                      json={"status": "done", "readback": 20.0})
        missing = await admin.client.post(f"{API}/gateway/commands/987654321/ack", headers=other["device"],
                                          json={"status": "done", "readback": 20.0})
        assert ack.status_code == missing.status_code == 404
        assert ack.json()["detail"] == missing.json()["detail"]
        assert (await admin.command(command_id))["status"] == "confirmed"
        await admin.client.aclose()

    asyncio.run(scenario())


@pytest.mark.slow
def test_the_running_gateway_executes_confirmed_commands(tmp_path: Path, live: dict[str, Any],
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    port = free_port()
    config = gateway_config(tmp_path, live, modbus_device(port), monkeypatch)

    async def scenario() -> None:
        admin = Admin(live)
        await admin.allow(MODBUS_TARGET)
        async with controller(port):
            stop = asyncio.Event()
            gateway = asyncio.create_task(run_gateway(config, stop))
            command_id = await admin.request(61.2)
            deadline = time.monotonic() + 60
            while (await admin.command(command_id))["status"] != "done" and time.monotonic() < deadline:
                await asyncio.sleep(0.1)
            stop.set()
            await gateway
            assert (await admin.command(command_id))["readback"] == pytest.approx(61.2)
            assert await registers(port) == [612]
        await admin.client.aclose()

    asyncio.run(scenario())


@pytest.mark.slow
def test_opcua_setpoint_is_written_and_read_back(tmp_path: Path, live: dict[str, Any],
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    port = free_port()
    endpoint = f"opc.tcp://127.0.0.1:{port}/plant/"
    devices = (f'[[devices]]\nprotocol = "opcua"\nname = "boiler"\nendpoint = "{endpoint}"\nmode = "poll"\n'
               f'poll_interval_s = 3600\ntimeout_s = 30\nwritable = ["ns=2;s=Boiler.Setpoint"]\n'
               f'[[devices.nodes]]\nnode_id = "ns=2;s=Boiler.Setpoint"\npoint = "c1.line1.kwh"\n')
    config = gateway_config(tmp_path, live, devices, monkeypatch)

    async def scenario() -> None:
        server = Server()
        await server.init()
        server.set_endpoint(endpoint)
        server.set_security_policy([ua.SecurityPolicyType.NoSecurity])
        ns = await server.register_namespace("urn:sandan:test:plant")
        boiler = await server.nodes.objects.add_object(ua.NodeId(ua.String("Boiler"), ua.Int16(ns)), "Boiler")
        setpoint = await boiler.add_variable(ua.NodeId(ua.String("Boiler.Setpoint"), ua.Int16(ns)), "Setpoint",
                                             ua.Variant(0.0, ua.VariantType.Float))
        await setpoint.set_writable()
        await server.start()
        admin = Admin(live)
        try:
            await admin.allow({"device": "boiler", "protocol": "opcua",
                               "opcua": {"node_id": f"ns={ns};s=Boiler.Setpoint"}})
            command_id = await admin.request(73.25)
            poller = CommandPoller(config, live["tokens"]["device"], log_path=tmp_path / "commands.db")
            async with poller._client() as client:
                assert await poller.cycle(client) == [command_id]
            poller.close()
            assert await setpoint.read_value() == pytest.approx(73.25)
            done = await admin.command(command_id)
            assert done["status"] == "done", done
            assert done["readback"] == pytest.approx(73.25)
        finally:
            await admin.client.aclose()
            await server.stop()

    asyncio.run(scenario())


@pytest.mark.slow
def test_a_register_the_gateway_config_does_not_list_as_writable_is_never_written(
        tmp_path: Path, live: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    port = free_port()
    config = gateway_config(tmp_path, live, modbus_device(port), monkeypatch)

    async def scenario() -> None:
        admin = Admin(live)
        await admin.allow({**MODBUS_TARGET, "modbus": {"address": REGISTER + 1, "type": "uint16"}})
        async with controller(port):
            command_id = await admin.request(9.0)
            poller = CommandPoller(config, live["tokens"]["device"], log_path=tmp_path / "commands.db")
            async with poller._client() as client:
                assert await poller.cycle(client) == [command_id]
            poller.close()
            assert await registers(port, 2) == [0, 0]
            failed = await admin.command(command_id)
            assert failed["status"] == "failed"
            assert "not in its 'writable' list" in failed["message"]
        await admin.client.aclose()

    asyncio.run(scenario())
