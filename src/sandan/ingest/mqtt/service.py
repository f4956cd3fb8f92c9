"""MQTT messages into the one ingest pipeline, a batch of messages in one transaction.

The subscriber is a platform service, but a message writes only points of the company its
topic names: readings go through :func:`sandan.ingest.pipeline.ingest` with a device principal
of that company, so a point of another company is ``unknown_point`` and quarantined.  (That the
sender may publish on that topic at all is the broker's ACL to enforce — docs/mqtt.md.)  A
message that cannot be read as a whole (bad topic, not JSON, not protobuf, unknown company) is
quarantined with its topic and the start of its payload.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from sandan.core.auth.policy import Principal
from sandan.core.errors import DomainError
from sandan.core.tenancy.models import Company
from sandan.ingest.mqtt.topics import BadTopic, parse_readings_topic
from sandan.ingest.payloads import parse_json_batch
from sandan.ingest.pipeline import RawReading, ingest, quarantine_rows
from sandan.ingest.sparkplug.codec import NAMESPACE
from sandan.ingest.sparkplug.service import SparkplugState
from sandan.timeseries.store import STATUS_NAMES

MAX_READINGS_PER_MESSAGE = 50_000


@dataclass(frozen=True)
class Message:
    topic: str
    payload: bytes


@dataclass
class Outcome:
    messages: int = 0
    readings: int = 0
    counts: Counter[str] = field(default_factory=Counter)
    quarantined: int = 0


def device_principal(company_id: int) -> Principal:
    """The rights of one company's devices: read the company's points, write its readings."""
    one = frozenset({company_id})
    return Principal(user_id=None, name=f"mqtt:company:{company_id}", companies_read=one, companies_readings=one,
                     roles=frozenset({"device"}), is_device=True)


class Ingestor:
    """Turns batches of messages into pipeline calls; keeps per-process caches (companies, aliases)."""

    def __init__(self, sparkplug: SparkplugState | None = None) -> None:
        self.sparkplug = sparkplug or SparkplugState()
        self._companies: set[int] = set()

    def forget(self) -> None:
        """Drop caches (after a failed transaction: what they learnt may not be stored)."""
        self.sparkplug.forget()

    def _known(self, session: Session, company_ids: set[int]) -> set[int]:
        missing = company_ids - self._companies
        if missing:
            found = session.execute(select(Company.id).where(Company.id.in_(sorted(missing)))).scalars()
            self._companies.update(int(c) for c in found)
        return company_ids & self._companies

    def ingest_messages(self, session: Session, messages: Sequence[Message]) -> Outcome:
        """Ingest ``messages`` in the session's transaction (the caller commits, then acknowledges)."""
        system = Principal.system("mqtt")
        session.info["principal"] = system
        out = Outcome(messages=len(messages))
        groups: dict[tuple[int, str, str], list[RawReading]] = {}
        rejects: dict[int | None, list[tuple[str, str, dict[str, Any]]]] = {}
        json_companies: dict[int, set[int]] = {}
        for i, message in enumerate(messages):
            if message.topic.startswith(NAMESPACE + "/"):
                handled = self.sparkplug.handle(session, message.topic, message.payload)
                for row in handled.rejects:
                    rejects.setdefault(handled.company_id, []).append(("sparkplug", handled.source_ref, row))
                if handled.readings and handled.company_id is not None:
                    groups.setdefault((handled.company_id, "sparkplug", handled.source_ref), []).extend(
                        handled.readings)
                continue
            try:
                topic = parse_readings_topic(message.topic)
            except BadTopic as error:
                rejects.setdefault(None, []).append(("mqtt", "", _reject("bad_topic", str(error), message)))
                continue
            json_companies.setdefault(topic.company_id, set()).add(i)
            try:
                batch = parse_json_batch(message.payload, max_readings=MAX_READINGS_PER_MESSAGE)
            except DomainError as error:
                code = "too_large" if error.status == 413 else "bad_payload"
                rejects.setdefault(topic.company_id, []).append(
                    ("mqtt", topic.source, _reject(code, error.detail, message)))
                continue
            groups.setdefault((topic.company_id, "mqtt", topic.source), []).extend(batch.readings)
        known = self._known(session, {c for c, _, _ in groups} | {c for c in rejects if c is not None})
        session.flush()  # Sparkplug state is written as the system; readings as each company's devices
        for (company_id, source, source_ref), readings in groups.items():
            if company_id not in known:
                rejects.setdefault(None, []).append((source, source_ref, {
                    "reason_code": "unknown_company", "reason": f"company {company_id} does not exist",
                    "raw": {"readings": len(readings), "first": readings[0].raw if readings else None}}))
                continue
            session.info["principal"] = device_principal(company_id)
            result = ingest(session, readings, source=source, source_ref=source_ref[:200])
            out.readings += len(readings)
            out.quarantined += result.quarantined
            for j, name in enumerate(STATUS_NAMES):
                out.counts[name] += result.count(j)
        for owner, rows in rejects.items():
            session.info["principal"] = device_principal(owner) if owner in known else system
            for source, source_ref, row in rows:
                if owner is not None and owner in known:
                    row.setdefault("company_id", owner)
                out.quarantined += len(quarantine_rows(session, [row], source=source, source_ref=source_ref[:200]))
                out.counts["message_rejected"] += 1
        session.info["principal"] = system
        return out


def _reject(code: str, reason: str, message: Message) -> dict[str, Any]:
    text = bytes(message.payload[:1500]).decode("utf-8", errors="replace")
    return {"reason_code": code, "reason": reason,
            "raw": {"topic": message.topic[:300], "payload": text, "bytes": len(message.payload)}}


__all__ = ["Ingestor", "Message", "Outcome", "device_principal"]
