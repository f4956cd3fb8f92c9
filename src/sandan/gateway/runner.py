"""Runs the gateway: one task per device, one forwarder, all sharing the queue."""

from __future__ import annotations

import asyncio
import logging

from sandan.gateway.buffer import Buffer
from sandan.gateway.config import GatewayConfig
from sandan.gateway.csvdrop.config import CsvDrop
from sandan.gateway.modbus.config import ModbusDevice
from sandan.gateway.outlet import Outlet
from sandan.gateway.records import Forwarder, Source

log = logging.getLogger("sandan.gateway")

RESTART_AFTER_S = 5.0


def make_source(device: object) -> Source:
    """The adapter for one configured device (protocol libraries are imported only when used)."""
    if isinstance(device, ModbusDevice):
        from sandan.gateway.modbus.client import ModbusSource

        return ModbusSource(device)
    if isinstance(device, CsvDrop):
        from sandan.gateway.csvdrop.client import CsvDropSource

        return CsvDropSource(device)
    from sandan.gateway.opcua.client import OpcUaSource
    from sandan.gateway.opcua.config import OpcUaServer

    assert isinstance(device, OpcUaServer)
    return OpcUaSource(device)


async def _supervise(source: Source, outlet: Outlet) -> None:
    """An adapter that crashes (a bug, not a device fault: those it handles) is restarted."""
    while True:
        try:
            await source.run(outlet)
            return
        except asyncio.CancelledError:
            raise
        except Exception as error:
            log.exception("adapter %s crashed; restarting in %.0f s", source.name, RESTART_AFTER_S)
            outlet.problem(source.name, f"adapter crashed: {error!r}")
            await asyncio.sleep(RESTART_AFTER_S)


async def run_gateway(config: GatewayConfig, stop: asyncio.Event | None = None) -> None:
    """Poll and forward until ``stop`` is set (or for ever)."""
    token = config.device_token()
    buffer = Buffer(config.gateway.queue)
    buffer.clear_block()
    outlet = Outlet(buffer)
    stop = stop or asyncio.Event()
    if config.platform.transport == "mqtt":
        from sandan.gateway.mqtt import MqttForwarder

        forwarder: Forwarder = MqttForwarder(config.platform, config.gateway, buffer, token)
    else:
        from sandan.gateway.forward import HttpForwarder

        forwarder = HttpForwarder(config.platform, config.gateway.name, buffer, token)
    tasks = [asyncio.create_task(_supervise(make_source(device), outlet), name=device.name)
             for device in config.devices]
    tasks.append(asyncio.create_task(forwarder.run(outlet), name="forwarder"))
    if config.platform.commands:
        from sandan.gateway.commands import CommandPoller

        poller = CommandPoller(config, token, interval_s=config.platform.commands_interval_s)
        tasks.append(asyncio.create_task(poller.run(), name="commands"))
    log.info("gateway %s: %d devices, queue %s (%d queued), platform %s", config.gateway.name,
             len(config.devices), buffer.path, buffer.backlog(), config.platform.url)
    try:
        await stop.wait()
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        buffer.close()
