"""Tokens and sign-in: expired, revoked, unknown and malformed tokens answer 401 problem+json;
sign-in answers the same for an unknown e-mail and a wrong password, and is rate limited (429)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlalchemy import select, update

from sandan.app import create_app
from sandan.core.auth.models import ApiToken, Role, User
from sandan.core.timeutil import now_utc
from tests.api.support import API, ApiClient, World, api_settings, assert_problem, bearer
from tests.factories import PASSWORD, add_user, system


def _unauthorised(response: Any) -> dict[str, Any]:
    body = assert_problem(response, 401)
    assert response.headers["www-authenticate"] == "Bearer"
    return body


def test_a_valid_token_signs_in(world: World) -> None:
    response = world.client.get(f"{API}/me", headers=world.as_("company_admin"))
    assert response.status_code == 200
    assert response.json()["email"] == "company_admin@sandan.test"


@pytest.mark.parametrize("header", [
    "Bearer sdn_not-a-token-we-gave-out",
    "Bearer ",
    "Bearer",
    "Basic dXNlcjpwYXNz",
    "sdn_no-scheme",
    "Bearer " + "x" * 5000,
    "Bearer two words",
    "Bearer '; DROP TABLE api_tokens; --",
])
def test_unknown_and_malformed_tokens_are_refused(world: World, header: str) -> None:
    body = _unauthorised(world.client.get(f"{API}/me", headers={"Authorization": header}))
    assert body["type"].endswith("/unauthenticated")


def test_expired_token_is_refused(world: World) -> None:
    token_id = world.own_token_id["company_member"]
    with world.db.session() as s:
        system(s).execute(update(ApiToken).where(ApiToken.id == token_id)
                          .values(expires_at=now_utc() - dt.timedelta(seconds=1)))
    body = _unauthorised(world.client.get(f"{API}/me", headers=world.as_("company_member")))
    assert "expired" in body["detail"]


def test_revoked_token_is_refused(world: World) -> None:
    headers = world.as_("company_member")
    token_id = world.own_token_id["company_member"]
    assert world.client.delete(f"{API}/tokens/{token_id}", headers=headers).status_code == 204
    _unauthorised(world.client.get(f"{API}/me", headers=headers))
    _unauthorised(world.client.get(f"{API}/sites", headers=headers))


def test_a_deactivated_users_token_is_refused(world: World) -> None:
    with world.db.session() as s:
        system(s).execute(update(User).where(User.email == "device@sandan.test").values(is_active=False))
    _unauthorised(world.client.get(f"{API}/points", headers=world.as_("device")))


def test_a_new_token_works_and_is_shown_once(world: World) -> None:
    created = world.client.post(f"{API}/tokens", headers=world.as_("auditor"), json={"name": "laptop", "days": 1})
    assert created.status_code == 201
    plain = created.json()["token"]
    assert world.client.get(f"{API}/me", headers=bearer(plain)).json()["email"] == "auditor@sandan.test"
    listed = world.client.get(f"{API}/tokens", headers=bearer(plain)).json()
    assert all("token" not in t for t in listed)
    with world.db.session() as s:
        stored = system(s).execute(select(ApiToken.token_hash).where(ApiToken.id == created.json()["id"])).scalar()
    assert stored is not None
    assert plain not in stored


@pytest.fixture
def login_world(world: World) -> World:
    with world.db.session() as s:
        add_user(s, world.tenants["A"], Role.company_member, "signin@a.kr", token=False)
    return world


def _sign_in(client: ApiClient, email: str, password: str) -> Any:
    return client.post(f"{API}/auth/token", json={"email": email, "password": password, "name": "t"})


def test_sign_in_gives_a_token_and_hides_which_part_was_wrong(login_world: World) -> None:
    client = login_world.client
    signed_in = _sign_in(client, "SignIn@A.kr ", PASSWORD)
    assert signed_in.status_code == 201, signed_in.text
    assert client.get(f"{API}/me", headers=bearer(signed_in.json()["token"])).status_code == 200
    wrong_password = _unauthorised(_sign_in(client, "signin@a.kr", PASSWORD + "x"))
    unknown_user = _unauthorised(_sign_in(client, "nobody@a.kr", PASSWORD))
    assert wrong_password == unknown_user


def test_sign_in_is_rate_limited(login_world: World) -> None:
    app = create_app(login_world.db, api_settings(login_rate_per_minute=3))
    with ApiClient(app, raise_server_exceptions=False) as client:
        for _ in range(3):
            _unauthorised(_sign_in(client, "signin@a.kr", "wrong password"))
        limited = assert_problem(_sign_in(client, "signin@a.kr", PASSWORD), 429)
        assert limited["type"].endswith("/rate-limited")
        assert "wait" in limited["detail"]
