"""The audit log: every write through the API is recorded with its actor and the row before and
after; secrets are masked; the table refuses UPDATE and DELETE (triggers on both databases)."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError

from sandan.core.audit import AuditLog
from tests.api.support import API, World
from tests.factories import system


def _audit_rows(world: World, entity: str) -> list[AuditLog]:
    with world.db.session() as s:
        return list(system(s).execute(select(AuditLog).where(AuditLog.entity == entity).order_by(AuditLog.id))
                    .scalars())


def _last(world: World, entity: str, entity_id: Any) -> AuditLog:
    rows = [r for r in _audit_rows(world, entity) if r.entity_id == str(entity_id)]
    assert rows, f"no audit record of {entity} {entity_id}"
    return rows[-1]


def test_creates_updates_and_deletes_are_recorded_with_actor_and_rows(world: World) -> None:
    a = world.tenants["A"]
    headers = world.as_("company_admin")
    with world.db.session() as s:
        from sandan.core.auth.models import User

        actor_id = system(s).execute(select(User.id).where(User.email == "company_admin@sandan.test")).scalar()

    site = world.client.post(f"{API}/sites", headers=headers, json={"company_id": a.company_id, "name": "제3공장"})
    assert site.status_code == 201
    created = _last(world, "sites", site.json()["id"])
    assert (created.action, created.actor, created.actor_user_id) == ("create", "company_admin@sandan.test", actor_id)
    assert created.company_id == a.company_id
    assert created.before is None
    assert created.after is not None
    assert created.after["name"] == "제3공장"

    renamed = world.client.patch(f"{API}/sites/{site.json()['id']}", headers=headers, json={"name": "제3공장 (신축)"})
    assert renamed.status_code == 200
    updated = _last(world, "sites", site.json()["id"])
    assert updated.action == "update"
    assert updated.actor == "company_admin@sandan.test"
    assert updated.before is not None
    assert updated.after is not None
    assert (updated.before["name"], updated.after["name"]) == ("제3공장", "제3공장 (신축)")

    spare = world.spare_asset["A"]
    assert world.client.delete(f"{API}/assets/{spare}", headers=headers).status_code == 204
    deleted = _last(world, "assets", spare)
    assert deleted.action == "delete"
    assert deleted.before is not None
    assert deleted.before["name"] == "예비 설비"
    assert deleted.after is None

    edit = world.client.post(f"{API}/points/{a.main_point_id}/edits", headers=headers,
                             json={"ts": "2026-03-02T00:00:00+09:00", "value": 99.5, "reason": "meter swap"})
    assert edit.status_code == 200, edit.text
    edited = _audit_rows(world, "readings")[-1]
    assert edited.action == "edit"
    assert edited.actor == "company_admin@sandan.test"
    assert edited.reason == "meter swap"
    assert edited.before == {"value": 10.0}
    assert edited.after == {"value": 99.5, "quality": "edited"}


def test_secrets_are_masked_in_the_audit_log(world: World) -> None:
    created = world.client.post(f"{API}/tokens", headers=world.as_("company_admin"), json={"name": "gw"})
    assert created.status_code == 201
    record = _last(world, "api_tokens", created.json()["id"])
    assert record.after is not None
    assert record.after["token_hash"] == "***"


def test_refused_writes_leave_no_audit_record(world: World) -> None:
    before = len(_audit_rows(world, "sites"))
    b = world.tenants["B"]
    refused = world.client.patch(f"{API}/sites/{b.site_id}", headers=world.as_("company_admin"), json={"name": "x"})
    assert refused.status_code == 404
    refused = world.client.patch(f"{API}/sites/{world.tenants['A'].site_id}", headers=world.as_("auditor"),
                                 json={"name": "x"})
    assert refused.status_code == 403
    assert len(_audit_rows(world, "sites")) == before


@pytest.mark.parametrize("statement", ["UPDATE audit_log SET actor = 'someone else'",
                                       "DELETE FROM audit_log"])
def test_the_audit_log_is_append_only(world: World, statement: str) -> None:
    assert _audit_rows(world, "sites"), "the world's set-up is audited"
    conn = world.conn
    savepoint = conn.begin_nested()
    with pytest.raises(DBAPIError, match="append-only"):
        conn.execute(text(statement))
    savepoint.rollback()
    assert conn.execute(text("SELECT count(*) FROM audit_log WHERE actor = 'someone else'")).scalar() == 0
