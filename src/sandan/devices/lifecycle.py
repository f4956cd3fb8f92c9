"""What every simulated device server shares: start/stop, run until cancelled, ``async with``."""

from __future__ import annotations

import asyncio
from typing import Self


class DeviceServer:
    """Base of the simulators: subclasses implement :meth:`start` and :meth:`stop`."""

    async def start(self) -> None:
        raise NotImplementedError

    async def stop(self) -> None:
        raise NotImplementedError

    async def serve_forever(self) -> None:
        """Serve until the task is cancelled (Ctrl+C in ``sandan simulate``), then stop cleanly."""
        await self.start()
        try:
            await asyncio.Event().wait()
        finally:
            await self.stop()

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.stop()
