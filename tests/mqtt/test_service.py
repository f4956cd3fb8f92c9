"""MQTT JSON and Sparkplug B messages through the ingest pipeline (no broker; both databases)."""

from __future__ import annotations

import contextlib
import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select, text

from sandan.core.auth.policy import Principal
from sandan.db import Database
from sandan.ingest.models import QuarantinedReading
from sandan.ingest.mqtt.service import Ingestor, Message
from sandan.ingest.mqtt.topics import BadTopic, parse_readings_topic, readings_topic
from sandan.ingest.sparkplug import codec
from sandan.ingest.sparkplug.models import SparkplugDevice, SparkplugNode
from tests.factories import Tenant, make_tenant

T0 = 1_767_225_600  # 2026-01-01 00:00 UTC


@pytest.fixture
def tenants(db: Database) -> tuple[Tenant, Tenant]:
    with db.session(principal=Principal.system("test")) as session:
        return make_tenant(session, 1), make_tenant(session, 2)


def _json(readings: list[dict[str, object]]) -> bytes:
    return json.dumps({"readings": readings, "source_ref": "gw-1"}).encode()


def _run(db: Database, messages: list[Message], ingestor: Ingestor | None = None) -> dict[str, int]:
    with db.session(principal=Principal.system("test")) as session:
        return dict((ingestor or Ingestor()).ingest_messages(session, messages).counts)


def _stored(db: Database, point_id: int) -> list[tuple[int, float, int]]:
    with db.session(principal=Principal.system("test")) as session:
        rows = session.execute(text("SELECT ts, value, quality FROM readings WHERE point_id = :p ORDER BY ts"),
                               {"p": point_id}).all()
        return [(int(t), float(v), int(q)) for t, v, q in rows]


def _quarantine(db: Database) -> list[QuarantinedReading]:
    with db.session(principal=Principal.system("test")) as session:
        return list(session.execute(select(QuarantinedReading).order_by(QuarantinedReading.id)).scalars())


def test_topic_scheme() -> None:
    assert readings_topic(12, "gw-1") == "sandan/v1/12/gw-1/readings"
    assert parse_readings_topic("sandan/v1/12/gw-1/readings").company_id == 12
    for bad in ("sandan/v1/x/gw/readings", "sandan/v1/12//readings", "sandan/v2/1/gw/readings", "sandan/v1/1/gw"):
        with pytest.raises(BadTopic):
            parse_readings_topic(bad)


def test_gateway_json_stored_once_and_redelivery_is_duplicate(db: Database, tenants: tuple[Tenant, Tenant]) -> None:
    a, _ = tenants
    body = _json([{"point": "c1.main.kw", "ts": T0 + 60 * i, "value": 10.0 + i, "unit": "kW"} for i in range(5)])
    message = Message(readings_topic(a.company_id, "gw-1"), body)
    assert _run(db, [message])["stored"] == 5
    assert _run(db, [message])["duplicate"] == 5
    assert [v for _, v, _ in _stored(db, a.power_point_id)] == [10.0, 11.0, 12.0, 13.0, 14.0]


def test_message_writes_only_its_topic_company(db: Database, tenants: tuple[Tenant, Tenant]) -> None:
    a, b = tenants
    body = _json([{"point": "c2.main.kw", "ts": T0, "value": 1.0}, {"point": str(b.power_point_id), "ts": T0,
                                                                      "value": 1.0}])
    counts = _run(db, [Message(readings_topic(a.company_id, "gw-1"), body)])
    assert counts["rejected"] == 2
    assert _stored(db, b.power_point_id) == []
    rows = _quarantine(db)
    assert [r.reason_code for r in rows] == ["unknown_point", "unknown_point"]
    assert {r.company_id for r in rows} == {a.company_id}
    assert {r.source for r in rows} == {"mqtt"}


def test_unreadable_messages_are_quarantined(db: Database, tenants: tuple[Tenant, Tenant]) -> None:
    a, _ = tenants
    counts = _run(db, [Message(readings_topic(a.company_id, "gw-1"), b"{not json"),
                       Message("sandan/v1/abc/gw/readings", b"{}"),
                       Message(readings_topic(999_999, "gw-1"), _json([{"point": "x", "ts": T0, "value": 1}])),
                       Message(readings_topic(a.company_id, "gw-1"), _json([{"point": "c1.main.kw", "ts": T0,
                                                                             "value": float("nan")}]))])
    assert counts["message_rejected"] == 3
    codes = sorted(r.reason_code for r in _quarantine(db))
    assert codes == ["bad_payload", "bad_topic", "not_finite", "unknown_company"]


# --- Sparkplug B ---

def _spb(kind: str, node: str, device: str = "", *, group: str = "", metrics: list[dict[str, object]],
         seq: int | None = None, company: int) -> Message:
    topic = f"spBv1.0/{group or company}/{kind}/{node}" + (f"/{device}" if device else "")
    return Message(topic, codec.encode(metrics, seq=seq, timestamp_ms=T0 * 1000))


def test_sparkplug_births_aliases_data_and_deaths(db: Database, tenants: tuple[Tenant, Tenant]) -> None:
    a, _ = tenants
    c = a.company_id
    ingestor = Ingestor()
    births = [
        _spb("NBIRTH", "edge1", metrics=[{"name": "bdSeq", "datatype": codec.INT64, "value": 7},
                                         {"name": "Node Control/Rebirth", "datatype": codec.BOOLEAN, "value": False},
                                         {"name": "c1.main.kw", "alias": 1, "datatype": codec.DOUBLE,
                                          "value": 5.0, "timestamp": T0 * 1000}], seq=0, company=c),
        _spb("DBIRTH", "edge1", "meter1", metrics=[
            {"name": "c1.line1.kwh", "alias": 2, "datatype": codec.FLOAT, "value": 1.5, "timestamp": T0 * 1000},
            {"name": "firmware", "alias": 3, "datatype": codec.STRING, "value": "v1"}], seq=1, company=c),
    ]
    assert _run(db, births, ingestor)["stored"] == 2
    data = [_spb("DDATA", "edge1", "meter1", metrics=[{"alias": 2, "datatype": codec.FLOAT, "value": 2.5,
                                                       "timestamp": (T0 + 900) * 1000 + 250}], seq=2, company=c),
            _spb("NDATA", "edge1", metrics=[{"alias": 1, "datatype": codec.DOUBLE, "value": 6.0,
                                             "timestamp": (T0 + 60) * 1000}], seq=3, company=c)]
    # a fresh process (another subscriber) finds the aliases in the database
    assert _run(db, data, Ingestor())["stored"] == 2
    assert _stored(db, a.line_point_id) == [(T0, 1.5, 0), (T0 + 900, 2.5, 0)]
    assert _stored(db, a.power_point_id) == [(T0, 5.0, 0), (T0 + 60, 6.0, 0)]
    with db.session(principal=Principal.system("test")) as session:
        node = session.execute(select(SparkplugNode)).scalar_one()
        device = session.execute(select(SparkplugDevice)).scalar_one()
        assert (node.online, node.bd_seq, node.last_seq, node.seq_gaps) == (True, 7, 3, 0)
        assert device.online
    _run(db, [_spb("DDEATH", "edge1", "meter1", metrics=[], seq=4, company=c)], ingestor)
    with db.session(principal=Principal.system("test")) as session:
        assert not session.execute(select(SparkplugDevice)).scalar_one().online
        assert session.execute(select(SparkplugNode)).scalar_one().online
    # a stale NDEATH of an older session is ignored; the matching one takes the node offline
    _run(db, [_spb("NDEATH", "edge1", metrics=[{"name": "bdSeq", "datatype": codec.INT64, "value": 6}],
                   company=c)], ingestor)
    with db.session(principal=Principal.system("test")) as session:
        assert session.execute(select(SparkplugNode)).scalar_one().online
    _run(db, [_spb("NDEATH", "edge1", metrics=[{"name": "bdSeq", "datatype": codec.INT64, "value": 7}],
                   company=c)], ingestor)
    with db.session(principal=Principal.system("test")) as session:
        node = session.execute(select(SparkplugNode)).scalar_one()
        assert not node.online
        assert node.death_at is not None


def test_sparkplug_bad_input_quarantined_and_seq_gap_noted(db: Database, tenants: tuple[Tenant, Tenant]) -> None:
    a, _ = tenants
    c = a.company_id
    ingestor = Ingestor()
    _run(db, [_spb("NBIRTH", "edge2", metrics=[{"name": "c1.main.kw", "alias": 9, "value": 1.0}], seq=0,
                   company=c)], ingestor)
    counts = _run(db, [
        Message(f"spBv1.0/{c}/DDATA/edge2/dev", b"\x0a\xff\xff\xff"),
        _spb("NDATA", "edge2", metrics=[{"alias": 77, "value": 3.0}], seq=5, company=c),
        _spb("NDATA", "edge2", group="plant-x", metrics=[{"alias": 9, "value": 3.0}], seq=1, company=c),
        Message(f"spBv1.0/{c}/NBIRTH/edge2/extra", b""),
        Message(f"spBv1.0/{c}/NCMD/edge2", b"\x00"),
    ], ingestor)
    assert counts["message_rejected"] == 4
    rows = _quarantine(db)
    assert sorted(r.reason_code for r in rows) == ["bad_topic", "malformed_protobuf", "unknown_alias",
                                                   "unknown_group"]
    assert {r.source for r in rows} == {"sparkplug"}
    with db.session(principal=Principal.system("test")) as session:
        node = session.execute(select(SparkplugNode).where(SparkplugNode.edge_node == "edge2")).scalar_one()
        assert node.seq_gaps == 1
        assert "expected 1, got 5" in node.last_warning
    # a configured group map names the company of a non-numeric group
    from sandan.ingest.sparkplug.service import SparkplugState

    mapped = Ingestor(SparkplugState({"plant-x": c}))
    counts = _run(db, [_spb("NBIRTH", "edge3", group="plant-x", metrics=[
        {"name": "c1.main.kw", "alias": 1, "value": 4.0, "timestamp": (T0 + 120) * 1000}], seq=0, company=c)], mapped)
    assert counts["stored"] == 1


def test_signed_values_round_trip() -> None:
    payload = codec.encode([{"name": "t", "datatype": codec.INT16, "value": -5},
                            {"name": "u", "datatype": codec.INT64, "value": -(2**40)},
                            {"name": "v", "datatype": codec.UINT32, "value": 2**32 - 1}])
    assert [m.value for m in codec.decode(payload).metrics] == [-5.0, -(2.0**40), 2.0**32 - 1]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=400))
def test_decoder_never_crashes(data: bytes) -> None:
    try:
        message = codec.decode(data)
    except codec.Malformed as error:
        code = error.code
    else:
        code = ""
        assert all(m.value is None or isinstance(m.value, float | str) for m in message.metrics)
    assert code in ("", "malformed_protobuf")


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.text(max_size=20), st.integers(0, 2**64 - 1), st.floats(allow_nan=True)),
                max_size=10), st.integers(0, 255))
def test_decoder_round_trips_and_survives_truncation(metrics: list[tuple[str, int, float]], seq: int) -> None:
    payload = codec.encode([{"name": n, "alias": a, "datatype": codec.DOUBLE, "value": v} for n, a, v in metrics],
                           seq=seq)
    decoded = codec.decode(payload)
    assert decoded.seq == seq
    assert [(m.name, m.alias) for m in decoded.metrics] == [(n, a) for n, a, _ in metrics]
    for cut in range(0, len(payload), max(1, len(payload) // 7)):
        with contextlib.suppress(codec.Malformed):
            codec.decode(payload[:cut])
