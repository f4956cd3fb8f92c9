"""The MQTT subscriber service (paho-mqtt 2, MQTT 5, QoS 1): messages in, acknowledged after commit.

- **Persistent session**: a stable client id, ``clean_start=False`` and a session expiry
  interval, so the broker keeps the subscription and queues QoS 1 messages while the subscriber
  is away (and, with ``persistence true``, across a broker restart).
- **Acknowledged after commit**: paho's manual acknowledgement; a message's PUBACK is sent only
  after the transaction that stored (or quarantined) it committed.  A crash in between means the
  broker delivers it again; the store is idempotent, so a redelivery answers *duplicate*.
- **Shared subscription** ``$share/<group>/sandan/v1/+/+/readings`` (and ``spBv1.0/#``): several
  processes, each with its own client id, share the load.
- A batch that fails to commit is retried message by message, never acknowledged meanwhile; while
  the database is away (connection errors) a message is retried with backoff until it returns; a
  message that fails on its own :attr:`SubscriberConfig.message_attempts` times (a race with
  another writer passes on retry) is quarantined as ``ingest_error``.
"""

from __future__ import annotations

import logging
import queue
import socket
import ssl
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote, urlsplit

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from paho.mqtt.subscribeoptions import SubscribeOptions
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError

from sandan.core.auth.policy import Principal
from sandan.db import Database
from sandan.ingest.mqtt.service import Ingestor, Message, Outcome
from sandan.ingest.mqtt.topics import READINGS_FILTER, SPARKPLUG_FILTER, shared
from sandan.ingest.pipeline import quarantine_rows
from sandan.ingest.sparkplug.service import SparkplugState

log = logging.getLogger("sandan.mqtt")


@dataclass
class SubscriberConfig:
    url: str = "mqtt://127.0.0.1:1883"
    shared_group: str | None = "sandan"
    client_id: str = ""
    session_expiry_s: int = 7 * 24 * 3600
    receive_maximum: int = 1000
    batch_messages: int = 500
    batch_wait_s: float = 0.02
    message_attempts: int = 5  # a message failing on its own is retried this often before it is quarantined
    sparkplug: bool = True
    sparkplug_groups: dict[str, int] = field(default_factory=dict)
    ca_file: str | None = None
    keepalive_s: int = 30

    def resolved_client_id(self) -> str:
        return self.client_id or f"sandan-ingest-{socket.gethostname()}"


@dataclass(frozen=True)
class _Received:
    mid: int
    qos: int
    message: Message


class Subscriber:
    def __init__(self, database: Database, config: SubscriberConfig,
                 on_batch: Callable[[Outcome], None] | None = None) -> None:
        self.database, self.config, self.on_batch = database, config, on_batch
        self.ingestor = Ingestor(SparkplugState(config.sparkplug_groups))
        self.inbox: queue.Queue[_Received] = queue.Queue()
        self.subscribed = threading.Event()
        self.stopping = threading.Event()
        parts = urlsplit(config.url)
        if parts.scheme not in ("mqtt", "mqtts"):
            raise ValueError(f"{config.url}: use mqtt://host:port or mqtts://host:port")
        self.host = parts.hostname or "127.0.0.1"
        self.port = parts.port or (8883 if parts.scheme == "mqtts" else 1883)
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=config.resolved_client_id(),
                                  protocol=mqtt.MQTTv5, manual_ack=True)
        if parts.username:
            self.client.username_pw_set(unquote(parts.username), unquote(parts.password or "") or None)
        if parts.scheme == "mqtts":
            self.client.tls_set_context(ssl.create_default_context(cafile=config.ca_file))
        self.client.reconnect_delay_set(min_delay=1, max_delay=10)
        self.client.on_connect = self._on_connect
        self.client.on_subscribe = self._on_subscribe
        self.client.on_message = self._on_message
        self.client.on_disconnect = self._on_disconnect

    # --- paho callbacks (network thread) ---

    def filters(self) -> list[str]:
        found = [shared(READINGS_FILTER, self.config.shared_group)]
        if self.config.sparkplug:
            found.append(shared(SPARKPLUG_FILTER, self.config.shared_group))
        return found

    def _on_connect(self, client: mqtt.Client, _userdata: Any, flags: Any, reason: Any, _props: Any) -> None:
        if reason.is_failure:
            log.error("the broker refused the connection: %s", reason)
            return
        log.info("connected to %s:%d (session present: %s)", self.host, self.port, flags.session_present)
        client.subscribe([(f, SubscribeOptions(qos=1)) for f in self.filters()])

    def _on_subscribe(self, _client: mqtt.Client, _userdata: Any, _mid: int, reasons: Any, _props: Any) -> None:
        failed = [r for r in reasons if r.is_failure]
        if failed:
            log.error("subscription refused: %s", failed)
            return
        log.info("subscribed to %s", ", ".join(self.filters()))
        self.subscribed.set()

    def _on_message(self, _client: mqtt.Client, _userdata: Any, msg: mqtt.MQTTMessage) -> None:
        self.inbox.put(_Received(msg.mid, msg.qos, Message(msg.topic, bytes(msg.payload))))

    def _on_disconnect(self, _client: mqtt.Client, _userdata: Any, _flags: Any, reason: Any, _props: Any) -> None:
        if not self.stopping.is_set():
            log.warning("disconnected from the broker (%s); reconnecting", reason)

    # --- the worker (caller's thread) ---

    def run(self) -> None:
        """Connect and ingest until :meth:`stop`; the network loop runs in paho's thread."""
        props = Properties(PacketTypes.CONNECT)  # type: ignore[no-untyped-call]
        props.SessionExpiryInterval = self.config.session_expiry_s
        props.ReceiveMaximum = self.config.receive_maximum
        self.client.connect_async(self.host, self.port, keepalive=self.config.keepalive_s, clean_start=False,
                                  properties=props)
        self.client.loop_start()
        try:
            while not self.stopping.is_set():
                batch = self._collect()
                if batch:
                    self._process(batch)
        finally:
            self.client.disconnect()
            self.client.loop_stop()

    def stop(self) -> None:
        self.stopping.set()

    def _collect(self) -> list[_Received]:
        try:
            first = self.inbox.get(timeout=0.2)
        except queue.Empty:
            return []
        batch = [first]
        deadline = time.monotonic() + self.config.batch_wait_s
        while len(batch) < self.config.batch_messages:
            try:
                batch.append(self.inbox.get(timeout=max(0.0, deadline - time.monotonic())))
            except queue.Empty:
                break
        return batch

    def _process(self, batch: list[_Received]) -> None:
        delay = 0.5
        while True:
            try:
                outcome = self._commit([r.message for r in batch])
                break
            except Exception:
                self.ingestor.forget()
                if len(batch) > 1:
                    log.exception("a batch of %d messages failed; trying them one by one", len(batch))
                    for one in batch:
                        self._process_one(one)
                    return
                log.exception("the message failed; retrying in %.1f s", delay)
                if self.stopping.wait(delay):
                    return
                delay = min(delay * 2, 10.0)
        self._ack(batch)
        if self.on_batch is not None:
            self.on_batch(outcome)

    def _process_one(self, one: _Received) -> None:
        error: Exception | None = None
        for attempt in range(self.config.message_attempts):
            try:
                self._commit([one.message])
            except Exception as failed:
                self.ingestor.forget()
                if _database_away(failed):
                    self._process([one])  # the database is away: retry until it returns
                    return
                # a race with another writer (a deadlock, a rollup row inserted meanwhile) passes on retry
                error = failed
                if self.stopping.wait(0.1 * (attempt + 1)):
                    return
            else:
                self._ack([one])
                return
        assert error is not None
        log.error("a message on %s failed %d times; quarantining it as ingest_error: %s", one.message.topic,
                  self.config.message_attempts, error)
        if not self._quarantine_failure(one, error):
            self._process([one])  # the database is away: retry until it returns
            return
        self._ack([one])

    def _commit(self, messages: list[Message]) -> Outcome:
        with self.database.session(principal=Principal.system("mqtt")) as session:
            return self.ingestor.ingest_messages(session, messages)

    def _quarantine_failure(self, one: _Received, error: Exception) -> bool:
        try:
            with self.database.session(principal=Principal.system("mqtt")) as session:
                quarantine_rows(session, [{
                    "reason_code": "ingest_error", "reason": f"{type(error).__name__}: {error}"[:500],
                    "raw": {"topic": one.message.topic, "bytes": len(one.message.payload),
                            "payload": one.message.payload[:1500].decode("utf-8", errors="replace")}}],
                    source="mqtt")
            return True
        except Exception:
            log.exception("cannot quarantine the failed message either")
            return False

    def _ack(self, batch: list[_Received]) -> None:
        for received in batch:
            if received.qos > 0:
                self.client.ack(received.mid, received.qos)


def _database_away(error: Exception) -> bool:
    """The failure is the database's (down, restarting, connection lost), not the message's: such a
    message is retried, never quarantined — the database may be back by the time the quarantine
    row is written, which would turn a good reading into an ``ingest_error``."""
    if isinstance(error, (OperationalError, InterfaceError)):
        return True
    return isinstance(error, DBAPIError) and error.connection_invalidated


__all__ = ["Subscriber", "SubscriberConfig"]
