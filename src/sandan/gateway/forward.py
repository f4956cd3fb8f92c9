"""Forwarding: batches from the queue to the platform, deleted only once acknowledged.

HTTP: ``POST {platform}/api/v1/ingest`` with the device token as bearer, body
``{"readings": [{"point", "ts", "value", "unit"}], "source_ref": <gateway name>}``.  The platform
answers ``{"summary": …, "readings": [{"index", "status", …}]}``, one entry per reading sent, with
status ``stored``, ``duplicate``, ``replaced``, ``conflict`` or ``rejected``: each of
those means the platform has kept the reading or quarantined it with its reason, so it leaves the
queue.  Connection errors, timeouts, 5xx, 408 and 429 are retried with exponential backoff and
jitter, for as long as it takes.  Any other 4xx on the whole batch (a revoked token, a malformed
body) stops forwarding with the platform's reason; the readings stay queued until the gateway is
restarted with the cause fixed.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import random
import ssl
from dataclasses import dataclass, field
from typing import Any

import httpx

from sandan.gateway.buffer import Buffer, Queued
from sandan.gateway.config import PlatformSection
from sandan.gateway.outlet import Outlet

log = logging.getLogger("sandan.gateway")

ACKNOWLEDGED = frozenset({"stored", "duplicate", "replaced", "conflict", "rejected"})
RETRYABLE_4XX = frozenset({408, 425, 429})
_RNG = random.Random()


def backoff_delay(attempt: int, initial_s: float, max_s: float, rng: random.Random | None = None) -> float:
    """Seconds to wait before retry number ``attempt`` (0-based): exponential, capped, with jitter.

    "Equal jitter": half the capped exponential step is fixed, half random, so gateways that
    lost the platform together do not return together, and no retry comes back at once.
    """
    step = min(max_s, initial_s * 2.0 ** min(attempt, 30))
    jitter = (rng or _RNG).uniform(0, step / 2)
    return step / 2 + jitter


def to_payload(batch: list[Queued], source_ref: str) -> dict[str, Any]:
    return {"readings": [{"point": q.reading.point, "ts": q.reading.ts.isoformat(), "value": q.reading.value,
                          "unit": q.reading.unit} for q in batch],
            "source_ref": source_ref}


@dataclass
class Outcome:
    """What became of one batch: ids to delete, and whether/how to go on."""

    acked: list[int] = field(default_factory=list)
    error: str | None = None
    fatal: bool = False
    too_large: bool = False


def read_answer(batch: list[Queued], status_code: int, body: bytes) -> Outcome:
    """Interpret the platform's answer to one batch (pure, so every case is tested without a network)."""
    if status_code == 413:
        return Outcome(error="the platform refused the batch as too large (413)", too_large=True)
    if status_code in RETRYABLE_4XX or status_code >= 500:
        return Outcome(error=f"platform answered {status_code}{_detail(body)}")
    if 400 <= status_code < 500:
        return Outcome(error=f"platform refused the batch with {status_code}{_detail(body)}", fatal=True)
    if not 200 <= status_code < 300:
        return Outcome(error=f"unexpected answer {status_code}")
    try:
        answer = json.loads(body)
    except ValueError:
        return Outcome(error=f"the platform's {status_code} answer is not JSON; nothing deleted")
    results = answer.get("readings") if isinstance(answer, dict) else None
    if not isinstance(results, list) or len(results) != len(batch):
        return Outcome(error=f"the platform's answer has no per-reading results for the {len(batch)} readings sent; "
                       "nothing deleted")
    statuses: dict[int, object] = {}
    for position, result in enumerate(results):
        if isinstance(result, dict):
            index = result.get("index", position)
            if isinstance(index, int):
                statuses[index] = result.get("status")
    outcome = Outcome()
    outcome.acked = [queued.id for i, queued in enumerate(batch) if statuses.get(i) in ACKNOWLEDGED]
    unknown = len(batch) - len(outcome.acked)
    if unknown:
        outcome.error = f"{unknown} of {len(batch)} readings were not acknowledged; they stay queued"
    return outcome


def _detail(body: bytes) -> str:
    try:
        answer = json.loads(body)
    except ValueError:
        text = body.decode("utf-8", "replace").strip()
        return f": {text[:200]}" if text else ""
    if isinstance(answer, dict):
        for key in ("detail", "title", "message", "error"):
            if answer.get(key):
                return f": {str(answer[key])[:200]}"
    return ""


class HttpForwarder:
    def __init__(self, platform: PlatformSection, source_ref: str, buffer: Buffer, token: str) -> None:
        self.platform = platform
        self.source_ref = source_ref
        self.buffer = buffer
        self.batch_size = platform.batch_size
        self._headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json",
                         "User-Agent": "sandan-gateway"}

    def _client(self) -> httpx.AsyncClient:
        verify: ssl.SSLContext | bool = True
        if self.platform.ca_file is not None:
            verify = ssl.create_default_context(cafile=str(self.platform.ca_file))
        return httpx.AsyncClient(base_url=self.platform.url, timeout=self.platform.timeout_s, verify=verify)

    async def send(self, client: httpx.AsyncClient, batch: list[Queued]) -> Outcome:
        body = json.dumps(to_payload(batch, self.source_ref), ensure_ascii=False).encode()
        try:
            response = await client.post("/api/v1/ingest", content=body, headers=self._headers)
        except httpx.TimeoutException:
            return Outcome(error=f"no answer from {self.platform.url} within {self.platform.timeout_s:g} s")
        except httpx.TransportError as error:
            return Outcome(error=f"cannot reach {self.platform.url}: {error or type(error).__name__}")
        return read_answer(batch, response.status_code, response.content)

    async def run(self, outlet: Outlet) -> None:
        """Send until the queue is empty, wait for more, repeat; return only when the platform refuses the gateway."""
        attempt = 0
        async with self._client() as client:
            while True:
                batch = self.buffer.peek(self.batch_size)
                if not batch:
                    outlet.wake.clear()
                    if self.buffer.backlog() == 0:
                        with contextlib.suppress(TimeoutError):
                            await asyncio.wait_for(outlet.wake.wait(), self.platform.flush_interval_s)
                    continue
                outcome = await self.send(client, batch)
                if outcome.acked:
                    self.buffer.ack(outcome.acked)
                    log.info("sent %d readings (%d still queued)", len(outcome.acked), self.buffer.backlog())
                if outcome.error is None:
                    attempt = 0
                    continue
                if outcome.too_large and self.batch_size > 1:
                    self.batch_size = max(1, self.batch_size // 2)
                    log.warning("%s; batch size now %d", outcome.error, self.batch_size)
                    continue
                if outcome.fatal or outcome.too_large:
                    log.error("forwarding stopped: %s. The %d queued readings are kept; fix the cause "
                              "and restart the gateway.", outcome.error, self.buffer.backlog())
                    self.buffer.note_error(outcome.error, blocked=True)
                    return
                delay = backoff_delay(attempt, self.platform.backoff_initial_s, self.platform.backoff_max_s)
                attempt += 1
                log.warning("%s; retry %d in %.1f s (%d queued)", outcome.error, attempt, delay,
                            self.buffer.backlog())
                self.buffer.note_error(outcome.error)
                await asyncio.sleep(delay)
