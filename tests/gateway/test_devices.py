"""The gateway's Modbus and OPC UA adapters against the simulators, over real TCP on free ports."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest
from pymodbus.client import AsyncModbusTcpClient

from sandan.devices.gas_meter import GasMeterModel, GasMeterServer
from sandan.devices.power_meter import PowerMeterModel, PowerMeterServer
from sandan.devices.profile import shift_factor
from sandan.gateway.buffer import Buffer
from sandan.gateway.modbus.client import ModbusSource
from sandan.gateway.modbus.config import ModbusDevice
from sandan.gateway.opcua.client import OpcUaSource
from sandan.gateway.opcua.config import OpcUaServer
from sandan.gateway.outlet import Outlet
from tests.gateway.conftest import free_port

# Tuesday 2023-11-14 22:13:20 UTC = Wednesday 07:13:20 KST: the morning ramp.
FROZEN = 1_700_000_000.0
SLOT = datetime(2025, 3, 4, 1, 0, tzinfo=UTC)

MAP = [
    {"point": "m.kwh.f", "address": 0, "type": "float32", "unit": "kWh"},
    {"point": "m.kwh.u", "address": 2, "type": "uint32", "scale": 0.1, "unit": "kWh"},
    {"point": "m.kw", "address": 4, "type": "float32", "unit": "kW"},
    {"point": "m.pf", "address": 6, "type": "int16", "scale": 0.001},
    {"point": "m.v1", "address": 22, "type": "uint16", "scale": 0.1, "unit": "V", "register_type": "input"},
]


def _device(port: int, word_order: str) -> ModbusDevice:
    return ModbusDevice.model_validate({"protocol": "modbus", "name": "meter", "host": "127.0.0.1", "port": port,
                                        "word_order": word_order, "timeout_s": 2, "registers": MAP})


@pytest.mark.parametrize("word_order", ["big", "little"])
def test_modbus_poll_reads_scaled_values_in_either_word_order(word_order: str) -> None:
    port = free_port()
    model = PowerMeterModel(energy_kwh=12_345.5, clock=lambda: FROZEN)

    async def scenario() -> tuple[list[int], dict[str, float]]:
        async with PowerMeterServer(port=port, word_order=word_order, model=model):  # type: ignore[arg-type]
            raw = AsyncModbusTcpClient("127.0.0.1", port=port)
            await raw.connect()
            words = (await raw.read_holding_registers(0, count=4, device_id=1)).registers
            raw.close()
            source = ModbusSource(_device(port, word_order))
            readings = await source.poll(SLOT)
            source.close()
        assert {r.ts for r in readings} == {SLOT}
        return words, {r.point: r.value for r in readings}

    words, values = asyncio.run(scenario())
    # 12345.5 kWh: float32 0x4640E600 and 123455 counts of 0.1 kWh = 0x0001E23F, in the meter's word order.
    expected = [0x4640, 0xE600, 0x0001, 0xE23F] if word_order == "big" else [0xE600, 0x4640, 0xE23F, 0x0001]
    assert words == expected
    state = model.state()
    assert values["m.kwh.f"] == 12_345.5
    assert values["m.kwh.u"] == pytest.approx(12_345.5)
    assert values["m.kw"] == pytest.approx(state.power_kw, rel=1e-6)
    assert values["m.pf"] == pytest.approx(round(state.pf, 3))
    assert values["m.v1"] == pytest.approx(round(state.voltages_v[0], 1))


def test_modbus_poll_of_an_unreachable_device_raises_a_clear_error() -> None:
    source = ModbusSource(_device(free_port(), "big"))
    with pytest.raises(ConnectionError, match=r"cannot connect to 127\.0\.0\.1"):
        asyncio.run(source.poll(SLOT))


def test_power_meter_energy_integrates_a_plausible_load() -> None:
    now = [FROZEN]
    model = PowerMeterModel(rated_kw=400, energy_kwh=1000, clock=lambda: now[0])
    first = model.state()
    readings = []
    for _ in range(24):
        now[0] += 3600
        readings.append(model.state())
    energies = [first.energy_kwh] + [s.energy_kwh for s in readings]
    assert all(b > a for a, b in pairwise(energies))  # a cumulative register only grows
    day_kwh = energies[-1] - energies[0]
    assert 400 * 24 * 0.2 < day_kwh < 400 * 24 * 0.8
    for state in readings:
        assert 0 < state.power_kw < 400 * 1.1
        assert 0.7 <= state.pf <= 0.98
        assert all(210 < v < 230 for v in state.voltages_v)
    assert shift_factor(datetime(2025, 3, 4, 1, 0, tzinfo=UTC)) > shift_factor(datetime(2025, 3, 4, 16, 0, tzinfo=UTC))


@pytest.fixture(scope="module")
def gas_meter() -> Iterator[dict[str, Any]]:
    """One OPC UA server for the module (it takes about a second to start), on its own loop and thread."""
    import threading

    port = free_port()
    now = [FROZEN]
    model = GasMeterModel(volume_nm3=50_000.0, clock=lambda: now[0])
    server = GasMeterServer(port=port, update_interval_s=0.1, model=model)
    loop = asyncio.new_event_loop()
    ready = threading.Event()

    def serve() -> None:
        asyncio.set_event_loop(loop)
        loop.run_until_complete(server.start())
        ready.set()
        loop.run_forever()
        loop.run_until_complete(server.stop())
        loop.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    assert ready.wait(30)
    yield {"server": server, "now": now, "model": model}
    loop.call_soon_threadsafe(loop.stop)
    thread.join(30)


def _opcua(server: GasMeterServer, mode: str) -> OpcUaServer:
    return OpcUaServer.model_validate({
        "protocol": "opcua", "name": "gas", "endpoint": server.endpoint, "mode": mode, "poll_interval_s": 0.2,
        "nodes": [{"node_id": server.node_id("Volume"), "point": "g.nm3", "unit": "Nm3"},
                  {"node_id": server.node_id("Flow"), "point": "g.flow", "unit": "Nm3/h"},
                  {"node_id": server.node_id("Temperature"), "point": "g.temp", "unit": "degC"}]})


def test_opcua_poll_reads_the_gas_meter(gas_meter: dict[str, Any]) -> None:
    from asyncua.client.client import Client

    server: GasMeterServer = gas_meter["server"]
    source = OpcUaSource(_opcua(server, "poll"))

    async def scenario() -> dict[str, float]:
        async with Client(server.endpoint) as client:
            readings = await source.read(client, SLOT)
        assert {r.ts for r in readings} == {SLOT}
        return {r.point: r.value for r in readings}

    values = asyncio.run(scenario())
    assert values["g.nm3"] == pytest.approx(gas_meter["model"].volume_nm3)
    assert values["g.flow"] > 0
    assert -20 < values["g.temp"] < 40
    assert server.node_id("Volume") == "ns=2;s=GasMeter.Volume"


def test_opcua_subscription_buffers_changes_with_source_timestamps(gas_meter: dict[str, Any], tmp_path: Path) -> None:
    server: GasMeterServer = gas_meter["server"]
    buffer = Buffer(tmp_path / "q.db")
    outlet = Outlet(buffer)
    source = OpcUaSource(_opcua(server, "subscribe"))

    async def scenario() -> None:
        task = asyncio.create_task(source.run(outlet))
        for _ in range(100):
            await asyncio.sleep(0.05)
            gas_meter["now"][0] += 60  # the meter's clock runs a minute per step
            if len({q.reading.ts for q in buffer.peek(1000) if q.reading.point == "g.nm3"}) >= 3:
                break
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)

    asyncio.run(scenario())
    volumes = [q.reading for q in buffer.peek(1000) if q.reading.point == "g.nm3"]
    assert len(volumes) >= 3
    assert all(r.ts >= datetime.fromtimestamp(FROZEN, UTC) - timedelta(seconds=1) for r in volumes)
    ordered = sorted(volumes, key=lambda r: r.ts)
    assert all(b.value >= a.value for a, b in pairwise(ordered)), ordered
    buffer.close()
