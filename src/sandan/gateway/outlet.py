"""What adapters hand their readings and their troubles to, and the polling schedule they share."""

from __future__ import annotations

import asyncio
import logging
import math
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime

from sandan.gateway.buffer import Buffer
from sandan.gateway.records import Reading

log = logging.getLogger("sandan.gateway")


class Outlet:
    """Buffers readings durably (the call returns after the commit) and wakes the forwarder."""

    def __init__(self, buffer: Buffer) -> None:
        self.buffer = buffer
        self.wake = asyncio.Event()

    async def put(self, readings: Sequence[Reading]) -> int:
        new = self.buffer.add(readings)
        if new:
            self.wake.set()
        return new

    def problem(self, source: str, message: str) -> None:
        log.warning("%s: %s", source, message)
        self.buffer.note_error(f"{source}: {message}")


def next_slot(now: datetime, interval_s: float) -> datetime:
    """The first instant at or after ``now`` on the ``interval_s`` grid counted from the Unix epoch (UTC).

    Readings are stamped with their slot, not the moment the answer came back, so a re-poll of
    the same slot has the same (point, ts) key and is not queued twice.
    """
    epoch = now.timestamp()
    slot = math.ceil(round(epoch / interval_s, 9)) * interval_s
    return datetime.fromtimestamp(slot, UTC)


async def poll_forever(name: str, interval_s: float, poll: Callable[[datetime], Awaitable[list[Reading]]],
                       outlet: Outlet) -> None:
    """Call ``poll(slot)`` at every slot of the grid; a failed poll is reported and the next slot tried."""
    while True:
        slot = next_slot(datetime.now(UTC), interval_s)
        await asyncio.sleep(max(0.0, (slot - datetime.now(UTC)).total_seconds()))
        try:
            readings = await poll(slot)
        except asyncio.CancelledError:
            raise
        except Exception as error:
            outlet.problem(name, f"poll failed: {error or type(error).__name__}")
            continue
        if readings:
            await outlet.put(readings)
