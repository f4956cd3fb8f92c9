"""Polls one Modbus TCP device: plans block reads from the register map, decodes, yields readings."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from pymodbus.client import AsyncModbusTcpClient
from pymodbus.exceptions import ModbusException

from sandan.gateway.modbus.codec import DataType, WordOrder, decode, encode
from sandan.gateway.modbus.config import ModbusDevice, RegisterSpec
from sandan.gateway.outlet import Outlet, poll_forever
from sandan.gateway.records import Reading

MAX_REGISTERS_PER_READ = 125  # the Modbus limit for function codes 3 and 4


@dataclass(frozen=True)
class Block:
    register_type: str
    start: int
    count: int
    specs: tuple[RegisterSpec, ...]


def plan_reads(specs: list[RegisterSpec], max_gap: int = 0) -> list[Block]:
    """Group the map into as few reads as possible: same table, at most ``max_gap`` unused registers between."""
    blocks: list[Block] = []
    for register_type in ("holding", "input"):
        chosen = sorted((s for s in specs if s.register_type == register_type), key=lambda s: s.address)
        current: list[RegisterSpec] = []
        start = end = 0
        for spec in chosen:
            spec_end = spec.address + spec.width
            if current and spec.address <= end + max_gap and max(end, spec_end) - start <= MAX_REGISTERS_PER_READ:
                current.append(spec)
                end = max(end, spec_end)
                continue
            if current:
                blocks.append(Block(register_type, start, end - start, tuple(current)))
            current, start, end = [spec], spec.address, spec_end
        if current:
            blocks.append(Block(register_type, start, end - start, tuple(current)))
    return blocks


class ModbusSource:
    def __init__(self, device: ModbusDevice) -> None:
        self.device = device
        self.name = device.name
        self.blocks = plan_reads(device.registers, device.max_gap)
        self._client: AsyncModbusTcpClient | None = None
        self._outlet: Outlet | None = None

    async def run(self, outlet: Outlet) -> None:
        self._outlet = outlet
        try:
            await poll_forever(self.name, self.device.poll_interval_s, self.poll, outlet)
        finally:
            self.close()

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None

    async def _connected(self) -> AsyncModbusTcpClient:
        if self._client is not None and self._client.connected:
            return self._client
        self.close()
        client = AsyncModbusTcpClient(self.device.host, port=self.device.port, timeout=self.device.timeout_s,
                                      retries=1, reconnect_delay=0)
        if not await client.connect():
            client.close()
            raise ConnectionError(f"cannot connect to {self.device.host}:{self.device.port}")
        self._client = client
        return client

    async def poll(self, slot: datetime) -> list[Reading]:
        """Read every block once; readings are stamped ``slot``.  A failing block is reported, the rest kept."""
        client = await self._connected()
        device = self.device
        readings: list[Reading] = []
        failures: list[str] = []
        for block in self.blocks:
            read = client.read_holding_registers if block.register_type == "holding" else client.read_input_registers
            try:
                response = await read(block.start, count=block.count, device_id=device.unit_id)
            except ModbusException as error:
                self.close()  # a timed-out or broken connection is rebuilt on the next poll
                failures.append(f"{block.register_type} {block.start}+{block.count}: {error}")
                break
            if response.isError():
                failures.append(f"{block.register_type} {block.start}+{block.count}: device answered {response}")
                continue
            for spec in block.specs:
                words = response.registers[spec.address - block.start:spec.address - block.start + spec.width]
                value = decode(words, spec.type, word_order=spec.word_order or device.word_order,
                               byte_order=spec.byte_order or device.byte_order, scale=spec.scale, offset=spec.offset)
                readings.append(Reading(spec.point, slot, value, spec.unit))
        if failures:
            if not readings:
                raise ConnectionError("; ".join(failures))
            if self._outlet is not None:
                self._outlet.problem(self.name, "; ".join(failures))
        return readings


async def write_value(device: ModbusDevice, address: int, value: float, *, data_type: DataType = "uint16",
                      scale: float = 1.0, offset: float = 0.0, word_order: WordOrder | None = None,
                      byte_order: WordOrder | None = None, unit_id: int | None = None) -> float:
    """Write ``value`` [engineering unit] to the holding register(s) at ``address`` (function code 6
    for one register, 16 for two) and return the value read back from the same registers."""
    words = encode(value, data_type, word_order=word_order or device.word_order,
                   byte_order=byte_order or device.byte_order, scale=scale, offset=offset)
    unit = device.unit_id if unit_id is None else unit_id
    client = AsyncModbusTcpClient(device.host, port=device.port, timeout=device.timeout_s, retries=1,
                                  reconnect_delay=0)
    if not await client.connect():
        client.close()
        raise ConnectionError(f"cannot connect to {device.host}:{device.port}")
    try:
        if len(words) == 1:
            written = await client.write_register(address, words[0], device_id=unit)
        else:
            written = await client.write_registers(address, words, device_id=unit)
        if written.isError():
            raise ConnectionError(f"device refused the write to holding {address}: {written}")
        response = await client.read_holding_registers(address, count=len(words), device_id=unit)
        if response.isError():
            raise ConnectionError(f"device refused the read-back of holding {address}: {response}")
        return decode(response.registers, data_type, word_order=word_order or device.word_order,
                      byte_order=byte_order or device.byte_order, scale=scale, offset=offset)
    finally:
        client.close()
