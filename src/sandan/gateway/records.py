"""The one seam between protocol adapters and the rest of the gateway.

Every adapter (Modbus, OPC UA, CSV drops …) turns what it reads into :class:`Reading` records and
hands them to the gateway's :class:`~sandan.gateway.outlet.Outlet`, which buffers them durably
before the call returns.  Nothing past the outlet knows which protocol a reading came from.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from sandan.gateway.outlet import Outlet


@dataclass(frozen=True, slots=True)
class Reading:
    """One measured value of one point.

    ``ts`` is timezone-aware and kept in UTC; ``value`` is in ``unit`` (the point's unit on the
    platform, e.g. ``kWh``, ``kW``, ``Nm3``).
    """

    point: str
    ts: datetime
    value: float
    unit: str | None = None

    def __post_init__(self) -> None:
        if self.ts.tzinfo is None or self.ts.utcoffset() is None:
            raise ValueError(f"reading of {self.point!r} has a naive timestamp {self.ts.isoformat()}")
        if self.ts.utcoffset() != UTC.utcoffset(None):
            object.__setattr__(self, "ts", self.ts.astimezone(UTC))
        if not math.isfinite(self.value):
            raise ValueError(f"reading of {self.point!r} at {self.ts.isoformat()} is not a finite number")


class Source(Protocol):
    """A protocol adapter: runs until cancelled, handing every reading it makes to the outlet."""

    name: str

    async def run(self, outlet: Outlet) -> None: ...


class Forwarder(Protocol):
    """Sends queued readings on (HTTP, MQTT); returns only when it has to stop."""

    async def run(self, outlet: Outlet) -> None: ...


def utc_now() -> datetime:
    return datetime.now(UTC)
