"""A simulated natural gas meter (volume corrector) on OPC UA (asyncua server).

Namespace ``urn:sandan:simulator:gas-meter``; object ``GasMeter`` with Double variables (string
node ids, so ``ns=2;s=GasMeter.Volume`` in a gateway config):

* ``GasMeter.Volume``: cumulative volume at standard conditions [Nm3]
* ``GasMeter.Flow``: standard flow [Nm3/h]
* ``GasMeter.Temperature``: gas temperature [degC]
* ``GasMeter.Pressure``: gauge pressure [kPa]

Values are updated every ``update_interval_s`` from a load profile over the meter's clock, with
the source timestamp of the update, so subscriptions see a change at each update.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import cast

from asyncua import ua
from asyncua.common.node import Node
from asyncua.server.server import Server

from sandan.devices.lifecycle import DeviceServer
from sandan.devices.profile import Wobble, gas_flow_nm3_per_h

NAMESPACE = "urn:sandan:simulator:gas-meter"
VARIABLES = ("Volume", "Flow", "Temperature", "Pressure")


class GasMeterModel:
    def __init__(self, *, rated_nm3_per_h: float = 120.0, volume_nm3: float = 50_000.0, seed: int = 7,
                 clock: Callable[[], float] = time.time) -> None:
        self.rated = rated_nm3_per_h
        self.clock = clock
        self.wobble = Wobble(seed)
        self.volume_nm3 = volume_nm3
        self._last = clock()

    def step(self, now: float | None = None) -> dict[str, float]:
        """Advance to ``now`` (default: the clock) and return the values [Nm3, Nm3/h, degC, kPa]."""
        now = self.clock() if now is None else now
        ts = datetime.fromtimestamp(now, UTC)
        flow = gas_flow_nm3_per_h(ts, self.rated, self.wobble)
        if now > self._last:
            self.volume_nm3 += flow * (now - self._last) / 3600
            self._last = now
        return {"Volume": self.volume_nm3, "Flow": flow,
                "Temperature": 15.0 + 3.0 * math.sin(2 * math.pi * now / 86_400),
                "Pressure": 98.0 + 2.0 * math.sin(now / 600)}


class GasMeterServer(DeviceServer):
    """The OPC UA server; ``async with`` (or start/stop) runs it in the current event loop."""

    def __init__(self, host: str = "127.0.0.1", port: int = 4840, *, update_interval_s: float = 1.0,
                 model: GasMeterModel | None = None) -> None:
        self.endpoint = f"opc.tcp://{host}:{port}/sandan/gas-meter"
        self.update_interval_s = update_interval_s
        self.model = model or GasMeterModel()
        self.namespace_index = 0
        self._server: Server | None = None
        self._nodes: dict[str, Node] = {}
        self._updater: asyncio.Task[None] | None = None

    def node_id(self, name: str) -> str:
        return f"ns={self.namespace_index};s=GasMeter.{name}"

    async def start(self) -> None:
        logging.getLogger("asyncua").setLevel(logging.WARNING)
        server = Server()
        await server.init()
        server.set_endpoint(self.endpoint)
        server.set_server_name("sandan simulated gas meter")
        server.set_security_policy([ua.SecurityPolicyType.NoSecurity])
        self.namespace_index = await server.register_namespace(NAMESPACE)
        ns = ua.Int16(self.namespace_index)
        meter = await server.nodes.objects.add_object(ua.NodeId(ua.String("GasMeter"), ns), "GasMeter")
        values = self.model.step()
        for name in VARIABLES:
            self._nodes[name] = await meter.add_variable(
                ua.NodeId(ua.String(f"GasMeter.{name}"), ns), name,
                ua.Variant(values[name], ua.VariantType.Double))
        await self.update()  # so even the first value carries the meter's own timestamp
        await server.start()
        self._server = server
        self._updater = asyncio.create_task(self._update_forever())

    async def update(self) -> None:
        """Write the model's current values (with their source timestamp) to the nodes."""
        now = self.model.clock()
        values = self.model.step(now)
        stamp = cast(ua.DateTime, datetime.fromtimestamp(now, UTC))
        for name, node in self._nodes.items():
            await node.write_value(ua.DataValue(ua.Variant(values[name], ua.VariantType.Double),
                                                SourceTimestamp=stamp, ServerTimestamp=stamp))

    async def _update_forever(self) -> None:
        while True:
            await asyncio.sleep(self.update_interval_s)
            await self.update()

    async def stop(self) -> None:
        if self._updater is not None:
            self._updater.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._updater
            self._updater = None
        if self._server is not None:
            await self._server.stop()
            self._server = None
