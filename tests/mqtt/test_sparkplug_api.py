"""GET /api/v1/sparkplug/nodes: the state Sparkplug B messages leave behind, as each company may see it."""

from __future__ import annotations

import io

import pandas as pd
import pytest
from fastapi.testclient import TestClient

from sandan.app import create_app
from sandan.core.auth.models import Role
from sandan.core.auth.policy import Principal
from sandan.db import Database
from sandan.ingest.mqtt.service import Ingestor, Message
from sandan.ingest.sparkplug import codec
from sandan.settings import Settings
from tests.factories import Tenant, add_user, make_tenant

T0 = 1_767_225_600  # 2026-01-01 00:00 UTC
URL = "/api/v1/sparkplug/nodes"


def _spb(kind: str, company: int, node: str, device: str = "", *, seq: int | None = None,
         metrics: list[dict[str, object]] | None = None) -> Message:
    topic = f"spBv1.0/{company}/{kind}/{node}" + (f"/{device}" if device else "")
    return Message(topic, codec.encode(metrics or [], seq=seq, timestamp_ms=T0 * 1000))


def _birth(company: int, node: str, bd_seq: int) -> Message:
    return _spb("NBIRTH", company, node, seq=0,
                metrics=[{"name": "bdSeq", "datatype": codec.INT64, "value": bd_seq}])


@pytest.fixture
def world(db: Database) -> tuple[Tenant, Tenant, dict[str, str]]:
    with db.session(principal=Principal.system("test")) as session:
        a, b = make_tenant(session, 1), make_tenant(session, 2)
        tokens = {"a": add_user(session, a, Role.company_member, "member@a.example.kr"),
                  "b": add_user(session, b, Role.company_admin, "admin@b.example.kr")}
    a_id, b_id = a.company_id, b.company_id
    messages = [_birth(a_id, "edge-a1", 3), _spb("DBIRTH", a_id, "edge-a1", "meter1", seq=1),
                _spb("DBIRTH", a_id, "edge-a1", "meter2", seq=2), _spb("DDEATH", a_id, "edge-a1", "meter2", seq=3),
                # seq jumps from 3 to 7: three messages were not seen
                _spb("NDATA", a_id, "edge-a1", seq=7),
                _birth(a_id, "edge-a2", 1),
                _spb("NDEATH", a_id, "edge-a2", metrics=[{"name": "bdSeq", "datatype": codec.INT64, "value": 1}]),
                _birth(b_id, "edge-b1", 0), _spb("DBIRTH", b_id, "edge-b1", "secret-meter", seq=1)]
    with db.session(principal=Principal.system("test")) as session:
        Ingestor().ingest_messages(session, messages)
    return a, b, tokens


def _client(db: Database) -> TestClient:
    return TestClient(create_app(db, Settings(environment="test", secret_key="sparkplug-api-" + "s" * 40)))


def test_nodes_of_the_callers_company_only_with_devices_births_deaths_and_gaps(
        db: Database, world: tuple[Tenant, Tenant, dict[str, str]]) -> None:
    a, b, tokens = world
    client = _client(db)
    answer = client.get(URL, headers={"Authorization": f"Bearer {tokens['a']}"})
    assert answer.status_code == 200, answer.text
    items = answer.json()["items"]
    assert {n["company_id"] for n in items} == {a.company_id}
    assert [n["edge_node"] for n in items] == ["edge-a1", "edge-a2"]
    a1, a2 = items
    assert (a1["online"], a1["bd_seq"], a1["last_seq"], a1["seq_gaps"]) == (True, 3, 7, 1)
    assert a1["birth_at"] is not None
    assert a1["death_at"] is None
    assert [(d["device"], d["online"]) for d in a1["devices"]] == [("meter1", True), ("meter2", False)]
    assert a1["devices_online"] == 1
    assert a1["devices"][1]["death_at"] is not None
    assert (a2["online"], a2["devices"]) == (False, [])
    assert a2["death_at"] is not None
    assert "secret-meter" not in answer.text

    # another company's filter finds nothing; the neighbour sees its own node only
    assert client.get(URL, params={"company_id": b.company_id},
                      headers={"Authorization": f"Bearer {tokens['a']}"}).json()["items"] == []
    other = client.get(URL, headers={"Authorization": f"Bearer {tokens['b']}"}).json()["items"]
    assert [(n["edge_node"], n["company_id"]) for n in other] == [("edge-b1", b.company_id)]


def test_nodes_filter_page_and_export(db: Database, world: tuple[Tenant, Tenant, dict[str, str]]) -> None:
    a, _, tokens = world
    client = _client(db)
    headers = {"Authorization": f"Bearer {tokens['a']}"}
    offline = client.get(URL, params={"online": "false"}, headers=headers).json()["items"]
    assert [n["edge_node"] for n in offline] == ["edge-a2"]
    first = client.get(URL, params={"limit": 1}, headers=headers).json()
    assert [n["edge_node"] for n in first["items"]] == ["edge-a1"]
    second = client.get(URL, params={"limit": 1, "cursor": first["next_cursor"]}, headers=headers).json()
    assert [n["edge_node"] for n in second["items"]] == ["edge-a2"]

    csv = client.get(URL, params={"format": "csv"}, headers=headers)
    assert csv.status_code == 200
    assert csv.headers["content-type"].startswith("text/csv")
    frame = pd.read_csv(io.BytesIO(csv.content), encoding="utf-8-sig", keep_default_na=False)
    assert set(frame["company_id"]) == {a.company_id}
    assert list(frame["device"]) == ["meter1", "meter2", ""], "one row per device, a node without devices once"
    xlsx = client.get(URL, params={"format": "xlsx"}, headers=headers)
    assert xlsx.status_code == 200
    assert len(pd.read_excel(io.BytesIO(xlsx.content))) == 3


def test_nodes_need_sign_in(db: Database) -> None:
    assert _client(db).get(URL).status_code == 401
