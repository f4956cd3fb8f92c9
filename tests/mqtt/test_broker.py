"""The subscriber against a real Mosquitto: JSON and Sparkplug B end to end, and fault tests with
exact counts (subscriber SIGKILLed and restarted; broker restarted with persistence)."""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from sandan.bootstrap import install_hooks, prepare_database
from sandan.core.auth.policy import Principal
from sandan.db import Database
from sandan.ingest.mqtt.subscriber import Subscriber, SubscriberConfig
from sandan.ingest.mqtt.topics import readings_topic
from sandan.ingest.sparkplug import codec
from tests.conftest import need
from tests.factories import Tenant, make_tenant
from tests.mqtt.support import MOSQUITTO, Broker, Publisher, SubscriberProcess, port_open, wait_for

pytestmark = pytest.mark.mqtt
T0 = 1_767_225_600  # 2026-01-01 00:00 UTC


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Database, Tenant, Path]]:
    folder = tmp_path_factory.mktemp("mqtt")
    url = f"sqlite:///{folder / 'sandan.db'}"
    prepare_database(url)
    install_hooks()
    database = Database(url)
    with database.session(principal=Principal.system("test")) as session:
        tenant = make_tenant(session, 1)
    yield database, tenant, folder
    database.engine.dispose()


def _count(database: Database, point_id: int, lo: int, hi: int) -> tuple[int, int]:
    """Rows of a point in [lo, hi) and how many of them are not measured."""
    with database.session(principal=Principal.system("test")) as session:
        n, other = session.execute(text("SELECT count(*), coalesce(sum(CASE WHEN quality <> 0 THEN 1 ELSE 0 END), 0) "
                                        "FROM readings WHERE point_id = :p AND ts >= :lo AND ts < :hi"),
                                   {"p": point_id, "lo": lo, "hi": hi}).one()
        return int(n), int(other)


def _messages(tenant: Tenant, start: int, messages: int, per_message: int) -> list[tuple[str, bytes]]:
    topic = readings_topic(tenant.company_id, "gw-test")
    out = []
    for m in range(messages):
        readings = [{"point": "c1.main.kw", "ts": start + 60 * (m * per_message + i), "value": float(i % 50),
                     "unit": "kW"} for i in range(per_message)]
        out.append((topic, json.dumps({"readings": readings, "source_ref": "gw-test"}).encode()))
    return out


def test_json_and_sparkplug_through_the_shared_broker(world: tuple[Database, Tenant, Path]) -> None:
    need(port_open(1883), "Mosquitto is not listening on 127.0.0.1:1883")
    database, tenant, _ = world
    tag = uuid.uuid4().hex[:8]
    subscriber = Subscriber(database, SubscriberConfig(url="mqtt://127.0.0.1:1883", shared_group=f"t{tag}",
                                                       client_id=f"sandan-test-{tag}", session_expiry_s=60))
    thread = threading.Thread(target=subscriber.run, daemon=True)
    thread.start()
    publisher = Publisher(1883)
    try:
        wait_for(subscriber.subscribed.is_set, 10, "the subscription")
        start = T0 + 9_000_000  # on the 15-minute grid of the interval point
        for topic, body in _messages(tenant, start, 3, 10):
            publisher.publish(topic, body)
        c = tenant.company_id
        publisher.publish(f"spBv1.0/{c}/NBIRTH/edge-{tag}", codec.encode(
            [{"name": "bdSeq", "datatype": codec.INT64, "value": 0},
             {"name": "c1.line1.kwh", "alias": 4, "value": 1.0, "timestamp": start * 1000}], seq=0))
        publisher.publish(f"spBv1.0/{c}/NDATA/edge-{tag}", codec.encode(
            [{"alias": 4, "value": 2.0, "timestamp": (start + 900) * 1000}], seq=1))
        publisher.publish(f"spBv1.0/{c}/DDATA/edge-{tag}/dev", b"\xff\x00garbage")
        end = start + 10**6
        wait_for(lambda: _count(database, tenant.power_point_id, start, end)[0] == 30, 15, "30 JSON readings")
        wait_for(lambda: _count(database, tenant.line_point_id, start, end)[0] == 2, 15, "2 Sparkplug readings")
        with database.session(principal=Principal.system("test")) as session:
            wait_for(lambda: session.execute(text("SELECT count(*) FROM quarantine WHERE reason_code = "
                                                  "'malformed_protobuf'")).scalar_one() >= 1, 10, "the quarantine")
    finally:
        publisher.close()
        subscriber.stop()
        thread.join(10)


@pytest.fixture
def broker(world: tuple[Database, Tenant, Path]) -> Iterator[Broker]:
    need(MOSQUITTO is not None, "mosquitto is not installed (apt-get install mosquitto)")
    instance = Broker(world[2] / f"broker-{uuid.uuid4().hex[:6]}")
    instance.start()
    yield instance
    instance.stop()


@pytest.mark.slow
def test_subscriber_killed_and_restarted_loses_and_duplicates_nothing(
        world: tuple[Database, Tenant, Path], broker: Broker) -> None:
    database, tenant, folder = world
    start, messages, per = T0, 40, 50
    n = messages * per
    sub = SubscriberProcess(folder, database.url, broker.url, "kill-test")
    sub.start()
    publisher = Publisher(broker.port)
    try:
        batch = _messages(tenant, start, messages, per)
        for topic, body in batch[:15]:
            publisher.publish(topic, body)
        wait_for(lambda: _count(database, tenant.power_point_id, start, start + 60 * n)[0] > 0, 15, "first readings")
        sub.kill()  # mid-stream: some messages received, some committed but not acknowledged
        for topic, body in batch[15:30]:
            publisher.publish(topic, body)
        sub.start()
        for topic, body in batch[30:]:
            publisher.publish(topic, body)
        sub.kill()
        sub.start()
        wait_for(lambda: _count(database, tenant.power_point_id, start, start + 60 * n)[0] >= n, 30, f"{n} readings")
        assert _count(database, tenant.power_point_id, start, start + 60 * n) == (n, 0)
    finally:
        publisher.close()
        sub.terminate()


@pytest.mark.slow
def test_broker_restarted_loses_and_duplicates_nothing(world: tuple[Database, Tenant, Path], broker: Broker) -> None:
    database, tenant, folder = world
    start, messages, per = T0 + 1_000_000, 40, 50
    n = messages * per
    # A plain (not shared) subscription: Mosquitto 2.0.11 restored the persistent session but lost the
    # QoS 1 messages queued for a *shared* subscription across its restart (20 of 40 messages here;
    # docs/mqtt.md, "Known limits").
    sub = SubscriberProcess(folder, database.url, broker.url, "broker-test", shared_group="")
    sub.start()
    try:
        batch = _messages(tenant, start, messages, per)
        publisher = Publisher(broker.port)
        for topic, body in batch[:20]:
            publisher.publish(topic, body)
        publisher.close()
        broker.stop()  # with messages queued and in flight to the subscriber
        broker.start()
        publisher = Publisher(broker.port)
        for topic, body in batch[20:]:
            publisher.publish(topic, body)
        publisher.close()
        wait_for(lambda: _count(database, tenant.power_point_id, start, start + 60 * n)[0] >= n, 30, f"{n} readings")
        assert _count(database, tenant.power_point_id, start, start + 60 * n) == (n, 0)
    finally:
        sub.terminate()
