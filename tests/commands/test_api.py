"""Commands through the API: allow-list, limits, two-step confirmation, the gateway's poll and
acknowledgement, expiry, who may do what, and the audit trail."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlalchemy import select

from sandan.core import events
from sandan.core.audit import AuditLog
from sandan.core.auth.models import Role
from sandan.core.errors import Conflict
from sandan.db import Database
from sandan.ingest.control import schemas, service
from sandan.ingest.control.models import Command
from tests.api.support import API, NONEXISTENT, World, api_settings, assert_problem, bearer, build_world
from tests.commands.world import GATEWAY
from tests.factories import add_user, system


def _request(world: World, role: str = "company_admin", value: float = 40.0, tenant: str = "A",
             headers: dict[str, str] | None = None) -> Any:
    return world.client.post(f"{API}/commands", headers=headers or world.as_(role),
                             json={"point_id": world.tenants[tenant].main_point_id, "value": value,
                                   "reason": "peak shaving"})


def _second_admin(world: World, tenant: str = "A") -> dict[str, str]:
    with world.db.session() as s:
        token = add_user(s, world.tenants[tenant], Role.company_admin, f"admin2@{tenant.lower()}.kr")
    return bearer(token)


def test_a_value_outside_the_limits_is_refused_naming_the_limit(world: World) -> None:
    high = assert_problem(_request(world, value=150), 422)
    assert "max_value = 100" in high["detail"]
    assert high["field"] == "value"
    assert high["data"]["limit"] == "max_value"
    low = assert_problem(_request(world, value=-1), 422)
    assert "min_value = 0" in low["detail"]
    assert low["data"]["limit"] == "min_value"
    ok = _request(world, value=100)
    assert ok.status_code == 201, ok.text
    assert ok.json()["status"] == "requested"


def test_a_point_not_on_the_allow_list_is_refused(world: World) -> None:
    response = world.client.post(f"{API}/commands", headers=world.as_("company_admin"),
                                 json={"point_id": world.tenants["A"].power_point_id, "value": 1})
    body = assert_problem(response, 422)
    assert "allow-list" in body["detail"]


@pytest.mark.parametrize("role", ["company_member", "device", "auditor"])
def test_members_devices_and_auditors_cannot_request_declare_or_confirm(world: World, role: str) -> None:
    assert_problem(_request(world, role), 403)
    assert_problem(world.client.post(f"{API}/commands/{world.commands['A']}/confirm", headers=world.as_(role)), 403)
    assert_problem(world.client.put(f"{API}/controls/{world.tenants['A'].power_point_id}", headers=world.as_(role),
                                    json=schemas.ControlPut.model_json_schema()["examples"][0]), 403)


def test_another_company_gets_404_like_a_nonexistent_command(world: World) -> None:
    foreign = world.commands["B"]
    for path in (f"commands/{foreign}", f"commands/{foreign}/confirm"):
        method = "GET" if path.count("/") == 1 else "POST"
        got = world.client.request(method, f"{API}/{path}", headers=world.as_("company_admin"))
        missing = world.client.request(method, f"{API}/{path.replace(str(foreign), str(NONEXISTENT))}",
                                       headers=world.as_("company_admin"))
        assert got.status_code == missing.status_code == 404
        assert got.json()["detail"] == missing.json()["detail"]
    assert_problem(_request(world, tenant="B"), 404)


def test_request_confirm_poll_ack_done(world: World) -> None:
    seen: list[events.Event] = []
    unsubscribe = events.subscribe("*", lambda e: seen.append(e) if e.name.startswith("commands.") else None)
    try:
        other = _second_admin(world)
        command = _request(world).json()
        # not confirmed: the gateway gets nothing
        assert world.client.get(f"{API}/gateway/commands", headers=world.as_("device")).json()["items"] == []
        # the requester may not confirm while the company has another admin
        refused = assert_problem(world.client.post(f"{API}/commands/{command['id']}/confirm",
                                                   headers=world.as_("company_admin")), 403)
        assert "another admin" in refused["detail"]
        confirmed = world.client.post(f"{API}/commands/{command['id']}/confirm", headers=other)
        assert confirmed.status_code == 200, confirmed.text
        assert confirmed.json()["status"] == "confirmed"
        assert confirmed.json()["confirmed_by_name"] == "admin2@a.kr"
        # only the named gateway receives it; everyone else gets an empty list
        for role in ("company_admin", "company_member", "platform_admin"):
            assert world.client.get(f"{API}/gateway/commands", headers=world.as_(role)).json()["items"] == []
        polled = world.client.get(f"{API}/gateway/commands", headers=world.as_("device")).json()["items"]
        assert [c["id"] for c in polled] == [command["id"]]
        assert polled[0]["value"] == 40.0
        assert polled[0]["address"]["address"] == 100
        assert polled[0]["device"] == "main-meter"
        assert polled[0]["point"] == "c1.main.kwh"
        # handed over again until acknowledged
        again = world.client.get(f"{API}/gateway/commands", headers=world.as_("device")).json()["items"]
        assert [c["id"] for c in again] == [command["id"]]
        ack = world.client.post(f"{API}/gateway/commands/{command['id']}/ack", headers=world.as_("device"),
                                json={"status": "done", "readback": 40.0, "message": "ok"})
        assert ack.status_code == 200, ack.text
        final = world.client.get(f"{API}/commands/{command['id']}", headers=world.as_("company_member")).json()
        assert (final["status"], final["readback"], final["message"]) == ("done", 40.0, "ok")
        assert world.client.get(f"{API}/gateway/commands", headers=world.as_("device")).json()["items"] == []
        # a repeated identical acknowledgement is accepted; a different one is a conflict
        assert world.client.post(f"{API}/gateway/commands/{command['id']}/ack", headers=world.as_("device"),
                                 json={"status": "done", "readback": 40.0}).status_code == 200
        assert_problem(world.client.post(f"{API}/gateway/commands/{command['id']}/ack", headers=world.as_("device"),
                                         json={"status": "failed", "readback": 3.0}), 409)
    finally:
        unsubscribe()
    names = [e.name for e in seen if e.data["command_id"] == command["id"]]
    assert names == ["commands.requested", "commands.confirmed", "commands.sent", "commands.done"]
    with world.db.session() as s:
        system(s)
        trail = s.execute(select(AuditLog.action, AuditLog.actor, AuditLog.after).where(
            AuditLog.entity == "commands", AuditLog.entity_id == str(command["id"])).order_by(AuditLog.id)).all()
    assert [(a, (after or {}).get("status")) for a, _, after in trail] == [
        ("create", "requested"), ("update", "confirmed"), ("update", "sent"), ("update", "done")]
    assert [actor for _, actor, _ in trail] == ["company_admin@sandan.test", "admin2@a.kr", GATEWAY, GATEWAY]


def test_the_only_admin_confirms_with_a_separate_call(world: World) -> None:
    command = _request(world).json()
    confirmed = world.client.post(f"{API}/commands/{command['id']}/confirm", headers=world.as_("company_admin"))
    assert confirmed.status_code == 200, confirmed.text
    assert confirmed.json()["confirmed_by_name"] == "company_admin@sandan.test"
    assert_problem(world.client.post(f"{API}/commands/{command['id']}/confirm",
                                     headers=world.as_("company_admin")), 409)


def test_confirm_policy_other_admin_refuses_the_requester_even_alone(world: World) -> None:
    example = dict(schemas.ControlPut.model_json_schema()["examples"][0])
    example.update(gateway=GATEWAY, confirm_policy="other_admin")
    put = world.client.put(f"{API}/controls/{world.tenants['A'].main_point_id}", headers=world.as_("company_admin"),
                           json=example)
    assert put.status_code == 200, put.text
    command = _request(world).json()
    assert_problem(world.client.post(f"{API}/commands/{command['id']}/confirm",
                                     headers=world.as_("company_admin")), 403)
    assert world.client.post(f"{API}/commands/{command['id']}/confirm",
                             headers=world.as_("platform_admin")).status_code == 200


def test_a_device_cannot_ack_another_company_or_another_gateways_command(world: World) -> None:
    command = _request(world).json()
    world.client.post(f"{API}/commands/{command['id']}/confirm", headers=world.as_("company_admin"))
    with world.db.session() as s:
        device_b = bearer(add_user(s, world.tenants["B"], Role.device, "gw@b.kr"))
        other_gw_a = bearer(add_user(s, world.tenants["A"], Role.device, "gw2@a.kr"))
    body = {"status": "done", "readback": 40.0}
    # not yet sent: even the right gateway cannot acknowledge it
    assert_problem(world.client.post(f"{API}/gateway/commands/{command['id']}/ack", headers=world.as_("device"),
                                     json=body), 404)
    assert world.client.get(f"{API}/gateway/commands", headers=device_b).json()["items"] == []
    assert world.client.get(f"{API}/gateway/commands", headers=other_gw_a).json()["items"] == []
    world.client.get(f"{API}/gateway/commands", headers=world.as_("device"))
    for headers in (device_b, other_gw_a):
        got = world.client.post(f"{API}/gateway/commands/{command['id']}/ack", headers=headers, json=body)
        missing = world.client.post(f"{API}/gateway/commands/{NONEXISTENT}/ack", headers=headers, json=body)
        assert got.status_code == missing.status_code == 404
        assert got.json()["detail"] == missing.json()["detail"]
    assert_problem(world.client.post(f"{API}/gateway/commands/{command['id']}/ack",
                                     headers=world.as_("company_admin"), json=body), 403)
    final = world.client.get(f"{API}/commands/{command['id']}", headers=world.as_("company_admin")).json()
    assert final["status"] == "sent"


def test_commands_expire_unconfirmed_and_unacknowledged(world: World) -> None:
    t0 = dt.datetime(2026, 3, 2, 9, tzinfo=dt.UTC)
    with world.db.session() as s:
        system(s)
        point_id = world.tenants["A"].main_point_id
        unconfirmed = service.request_command(s, schemas.CommandCreate(point_id=point_id, value=5), now=t0)
        service.expire_due(s, now=t0 + dt.timedelta(seconds=86_399))
        assert unconfirmed.status == "requested"
        service.expire_due(s, now=t0 + dt.timedelta(seconds=86_400))
        assert unconfirmed.status == "expired"
        assert unconfirmed.message == "not confirmed in time"
        with pytest.raises(Conflict):
            service.confirm_command(s, unconfirmed.id, now=t0 + dt.timedelta(days=2))
        late = service.request_command(s, schemas.CommandCreate(point_id=point_id, value=6), now=t0)
        service.confirm_command(s, late.id, now=t0 + dt.timedelta(seconds=10))
        assert late.expires_at == t0 + dt.timedelta(seconds=310)  # execute_within_s after confirmation
        service.expire_due(s, now=t0 + dt.timedelta(seconds=311))
        assert late.status == "expired"
        assert late.message == "not acknowledged in time"
        ids = {unconfirmed.id, late.id}
    # expired commands are never handed to the gateway
    polled = world.client.get(f"{API}/gateway/commands", headers=world.as_("device")).json()["items"]
    assert not ids & {c["id"] for c in polled}
    with world.db.session() as s:
        system(s)
        statuses = s.execute(select(Command.status).where(Command.id.in_(ids))).scalars().all()
    assert set(statuses) == {"expired"}


def test_lists_show_the_callers_company_only(world: World) -> None:
    for path in ("controls", "commands"):
        items = world.client.get(f"{API}/{path}", headers=world.as_("company_member")).json()["items"]
        assert {i["company_id"] for i in items} == {world.tenants["A"].company_id}
        everything = world.client.get(f"{API}/{path}", headers=world.as_("platform_admin")).json()["items"]
        assert len({i["company_id"] for i in everything}) == 3
    only = world.client.get(f"{API}/commands", headers=world.as_("platform_admin"),
                            params={"status": "done"}).json()["items"]
    assert only == []


def test_a_cancelled_command_is_never_delivered_and_a_sent_one_cannot_be_cancelled(world: World) -> None:
    cancelled = _request(world).json()
    world.client.post(f"{API}/commands/{cancelled['id']}/confirm", headers=world.as_("company_admin"))
    assert_problem(world.client.post(f"{API}/commands/{cancelled['id']}/cancel",
                                     headers=world.as_("company_member")), 403)
    answer = world.client.post(f"{API}/commands/{cancelled['id']}/cancel", headers=world.as_("company_admin"))
    assert answer.status_code == 200, answer.text
    withdrawn = answer.json()
    assert (withdrawn["status"], withdrawn["message"]) == ("cancelled", "cancelled by company_admin@sandan.test")
    assert world.client.get(f"{API}/gateway/commands", headers=world.as_("device")).json()["items"] == []
    sent = _request(world).json()
    world.client.post(f"{API}/commands/{sent['id']}/confirm", headers=world.as_("company_admin"))
    world.client.get(f"{API}/gateway/commands", headers=world.as_("device"))
    body = assert_problem(world.client.post(f"{API}/commands/{sent['id']}/cancel",
                                            headers=world.as_("company_admin")), 409)
    assert "sent" in body["detail"]


def test_command_routes_are_rate_limited_per_caller(db: Database) -> None:
    world = build_world(db, api_settings(ingest_rate_per_minute=3))
    try:
        for _ in range(3):
            assert world.client.get(f"{API}/gateway/commands", headers=world.as_("device")).status_code == 200
        assert_problem(world.client.get(f"{API}/gateway/commands", headers=world.as_("device")), 429)
        assert world.client.get(f"{API}/commands", headers=world.as_("company_admin")).status_code == 200
    finally:
        world.client.__exit__(None, None, None)
