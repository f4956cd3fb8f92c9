"""A simulated 3-phase power meter on Modbus TCP (pymodbus server).

Holding and input registers show the same map (FC 3 and FC 4), 0-based addresses:

=======  ====  =========  =====  ===================================
address  regs  type       scale  value
=======  ====  =========  =====  ===================================
0        2     float32    1      active energy import, total [kWh]
2        2     uint32     0.1    active energy import, total [kWh]
4        2     float32    1      active power, total [kW]
6        1     int16      0.001  power factor, total [-]
7        1     uint16     0.01   frequency [Hz]
8        2     float32    1      voltage L1-N [V]
10       2     float32    1      voltage L2-N [V]
12       2     float32    1      voltage L3-N [V]
14       2     float32    1      current L1 [A]
16       2     float32    1      current L2 [A]
18       2     float32    1      current L3 [A]
20       2     int32      0.01   reactive power, total [kvar]
22       1     uint16     0.1    voltage L1-N [V]
=======  ====  =========  =====  ===================================

32-bit values follow ``word_order`` (``big``: high word first).  Values are computed when read,
from a load profile over the meter's clock, and the energy register integrates the power.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from pymodbus.constants import ExcCodes
from pymodbus.server import ModbusTcpServer
from pymodbus.simulator import DataType, SimData, SimDevice

from sandan.devices.lifecycle import DeviceServer
from sandan.devices.profile import Wobble, power_factor, power_kw
from sandan.gateway.modbus.codec import WordOrder, encode

REGISTER_COUNT = 23
VOLTAGE_LN_V = 220.0  # Korean low voltage: 380 V line to line


@dataclass
class MeterState:
    energy_kwh: float
    power_kw: float
    pf: float
    frequency_hz: float
    voltages_v: tuple[float, float, float]
    currents_a: tuple[float, float, float]
    reactive_kvar: float


class PowerMeterModel:
    """The meter's physics: energy integrates a load-profile power over the clock."""

    def __init__(self, *, rated_kw: float = 400.0, energy_kwh: float = 12_345.5, seed: int = 1,
                 clock: Callable[[], float] = time.time) -> None:
        self.rated_kw = rated_kw
        self.clock = clock
        self.wobble = Wobble(seed)
        self._voltage = Wobble(seed + 1, depth=0.015)
        self._energy_kwh = energy_kwh
        self._last = clock()

    def state(self) -> MeterState:
        now = self.clock()
        if now > self._last:
            # Midpoint rule over the elapsed time; steps of at most a minute keep it close to the integral.
            t, steps = self._last, max(1, math.ceil((now - self._last) / 60))
            dt = (now - self._last) / steps
            for _ in range(steps):
                mid = datetime.fromtimestamp(t + dt / 2, UTC)
                self._energy_kwh += power_kw(mid, self.rated_kw, self.wobble) * dt / 3600
                t += dt
            self._last = now
        ts = datetime.fromtimestamp(now, UTC)
        p_kw = power_kw(ts, self.rated_kw, self.wobble)
        pf = power_factor(p_kw / self.rated_kw)
        volts = tuple(VOLTAGE_LN_V * self._voltage(now + 97 * k) for k in range(3))
        amps = tuple(p_kw * 1000 / 3 / (v * pf) * (1 + 0.02 * (k - 1)) for k, v in enumerate(volts))
        q_kvar = p_kw * math.tan(math.acos(pf))
        return MeterState(self._energy_kwh, p_kw, pf, 60.0 + 0.02 * math.sin(now / 30),
                          (volts[0], volts[1], volts[2]), (amps[0], amps[1], amps[2]), q_kvar)


def register_image(state: MeterState, word_order: WordOrder = "big") -> list[int]:
    """The 23 registers the meter shows for ``state``."""
    def put(value: float, kind: str, scale: float = 1.0) -> list[int]:
        return encode(value, kind, word_order=word_order, scale=scale)  # type: ignore[arg-type]

    words = (put(state.energy_kwh, "float32") + put(state.energy_kwh, "uint32", 0.1)
             + put(state.power_kw, "float32") + put(state.pf, "int16", 0.001) + put(state.frequency_hz, "uint16", 0.01))
    for volts in state.voltages_v:
        words += put(volts, "float32")
    for amps in state.currents_a:
        words += put(amps, "float32")
    words += put(state.reactive_kvar, "int32", 0.01) + put(state.voltages_v[0], "uint16", 0.1)
    assert len(words) == REGISTER_COUNT
    return words


class PowerMeterServer(DeviceServer):
    """The Modbus TCP server; ``async with`` (or start/stop) runs it in the current event loop."""

    def __init__(self, host: str = "127.0.0.1", port: int = 5020, *, word_order: WordOrder = "big",
                 unit_id: int = 1, model: PowerMeterModel | None = None) -> None:
        self.host, self.port, self.word_order, self.unit_id = host, port, word_order, unit_id
        self.model = model or PowerMeterModel()
        self._server: ModbusTcpServer | None = None

    async def _refresh(self, function_code: int, start_address: int, address: int, count: int,
                       registers: list[int], set_values: list[int] | list[bool] | None) -> ExcCodes | None:
        if set_values is not None:
            return ExcCodes.ILLEGAL_FUNCTION  # a meter's measurements are read-only
        image = register_image(self.model.state(), self.word_order)
        registers[:REGISTER_COUNT] = image  # the block starts at address 0
        return None

    def _device(self) -> SimDevice:
        return SimDevice(id=self.unit_id, simdata=[SimData(0, count=REGISTER_COUNT, datatype=DataType.REGISTERS)],
                         action=self._refresh)

    async def start(self) -> None:
        self._server = ModbusTcpServer(self._device(), address=(self.host, self.port))
        await self._server.serve_forever(background=True)

    async def stop(self) -> None:
        if self._server is not None:
            await self._server.shutdown()  # type: ignore[no-untyped-call]
            self._server = None
