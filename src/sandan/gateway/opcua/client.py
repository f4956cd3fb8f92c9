"""Reads one OPC UA server: data-change subscriptions (source timestamps) or polling on the slot grid."""

from __future__ import annotations

import asyncio
import math
from datetime import UTC, datetime
from typing import Any

from asyncua import ua
from asyncua.client.client import Client
from asyncua.common.node import Node
from asyncua.common.subscription import DataChangeNotif
from asyncua.ua.object_ids import ObjectIds

from sandan.gateway.forward import backoff_delay
from sandan.gateway.opcua.config import NodeSpec, OpcUaServer
from sandan.gateway.outlet import Outlet, poll_forever
from sandan.gateway.records import Reading, utc_now

HEALTH_CHECK_S = 5.0


def to_reading(spec: NodeSpec, value: Any, ts: datetime | None) -> Reading | None:
    """A reading from a node value, or ``None`` for values that are not numbers (bad quality, text)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    number = float(value) * spec.scale + spec.offset
    if not math.isfinite(number):
        return None
    if ts is None:
        ts = utc_now()
    elif ts.tzinfo is None:
        ts = ts.replace(tzinfo=UTC)  # OPC UA DateTime is UTC; some library versions hand it over naive
    return Reading(spec.point, ts, number, spec.unit)


class _Changes:
    """asyncua's subscription handler: hands each data change to a queue the source drains."""

    def __init__(self, specs: dict[str, NodeSpec], queue: asyncio.Queue[Reading]) -> None:
        self.specs, self.queue = specs, queue

    def datachange_notification(self, node: Node, val: Any, data: DataChangeNotif) -> None:
        spec = self.specs.get(node.nodeid.to_string())
        value = data.monitored_item.Value
        if spec is None or value is None:
            return
        if value.StatusCode is not None and not value.StatusCode.is_good():
            return
        reading = to_reading(spec, val, value.SourceTimestamp or value.ServerTimestamp)
        if reading is not None:
            self.queue.put_nowait(reading)


class OpcUaSource:
    def __init__(self, server: OpcUaServer) -> None:
        self.server = server
        self.name = server.name

    async def run(self, outlet: Outlet) -> None:
        attempt = 0
        while True:
            try:
                async with Client(url=self.server.endpoint, timeout=self.server.timeout_s) as client:
                    attempt = 0
                    if self.server.mode == "poll":
                        await self._poll(client, outlet)
                    else:
                        await self._subscribe(client, outlet)
            except asyncio.CancelledError:
                raise
            except Exception as error:
                outlet.problem(self.name, f"{self.server.endpoint}: {error or type(error).__name__}")
            await asyncio.sleep(backoff_delay(attempt, 1.0, 60.0))
            attempt += 1

    def _nodes(self, client: Client) -> list[tuple[Node, NodeSpec]]:
        return [(client.get_node(spec.node_id), spec) for spec in self.server.nodes]

    async def read(self, client: Client, slot: datetime) -> list[Reading]:
        """One read of every node, stamped ``slot``."""
        pairs = self._nodes(client)
        values = await client.read_values([node for node, _ in pairs])
        found = (to_reading(spec, value, slot) for (_, spec), value in zip(pairs, values, strict=True))
        return [reading for reading in found if reading is not None]

    async def _poll(self, client: Client, outlet: Outlet) -> None:
        async def poll(slot: datetime) -> list[Reading]:
            return await self.read(client, slot)

        # A lost connection makes every poll fail; the health check ends the session so it is rebuilt.
        poller = asyncio.create_task(poll_forever(self.name, self.server.poll_interval_s, poll, outlet))
        try:
            await self._watch(client)
        finally:
            poller.cancel()

    async def _subscribe(self, client: Client, outlet: Outlet) -> None:
        queue: asyncio.Queue[Reading] = asyncio.Queue()
        pairs = self._nodes(client)
        handler = _Changes({node.nodeid.to_string(): spec for node, spec in pairs}, queue)
        subscription = await client.create_subscription(self.server.poll_interval_s * 1000, handler)
        await subscription.subscribe_data_change([node for node, _ in pairs])
        watcher = asyncio.create_task(self._watch(client))
        try:
            while not watcher.done():
                getter = asyncio.ensure_future(queue.get())
                await asyncio.wait({getter, watcher}, return_when=asyncio.FIRST_COMPLETED)
                if not getter.done():
                    getter.cancel()
                    break
                batch = [getter.result()]
                while not queue.empty():
                    batch.append(queue.get_nowait())
                await outlet.put(batch)
            watcher.result()
        finally:
            watcher.cancel()

    async def _watch(self, client: Client) -> None:
        """Returns (by raising) when the server stops answering."""
        state = client.get_node(ObjectIds.Server_ServerStatus_State)
        while True:
            await asyncio.sleep(min(HEALTH_CHECK_S, self.server.poll_interval_s))
            await state.read_value()


async def write_value(server: OpcUaServer, node_id: str, value: float, *, scale: float = 1.0,
                      offset: float = 0.0) -> float:
    """Write ``value`` [engineering unit] to a variable node, in the node's own data type (an
    integer node gets the rounded raw number), and return the value read back."""
    raw = (value - offset) / scale
    async with Client(url=server.endpoint, timeout=server.timeout_s) as client:
        node = client.get_node(node_id)
        variant_type = await node.read_data_type_as_variant_type()
        number: float | int = raw if variant_type in (ua.VariantType.Float, ua.VariantType.Double) else round(raw)
        await node.write_value(ua.DataValue(ua.Variant(number, variant_type)))
        back = await node.read_value()
    if isinstance(back, bool) or not isinstance(back, int | float):
        raise ValueError(f"node {node_id} read back {back!r}, not a number")
    return float(back) * scale + offset
