"""Fixtures of the carbon tests: a plant with a month of readings, its users, the app."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from sandan.app import create_app
from sandan.core.auth.models import Role
from sandan.db import Database
from tests.api.support import ApiClient, _user, api_settings, bearer
from tests.carbon.world import Plant, daily, make_plant

API = "/api/v1"


class Case:
    def __init__(self, db: Database, client: ApiClient, plant: Plant, tokens: dict[str, str]) -> None:
        self.db, self.client, self.plant, self.tokens = db, client, plant, tokens

    def call(self, who: str, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        return self.client.request(method, API + path, headers=bearer(self.tokens[who]), json=body)

    def page(self, who: str, path: str, data: dict[str, Any] | None = None, lang: str = "ko") -> Any:
        """A web page (GET, or POST of a form) as ``who``, in ``lang``; redirects are not followed."""
        pages = TestClient(self.client.app, raise_server_exceptions=False, cookies={"sandan_lang": lang})
        headers = bearer(self.tokens[who])
        if data is None:
            return pages.get(path, headers=headers)
        return pages.post(path, headers=headers, data=data, follow_redirects=False)


@pytest.fixture
def case(db: Database) -> Iterator[Case]:
    with db.session() as s:
        plant = make_plant(s, 7)
        daily(s, plant.points["kwh"], dt.date(2023, 3, 1), [1000.0] * 31)
        daily(s, plant.points["gas"], dt.date(2023, 3, 1), [100.0] * 31)
        # users without a password (no Argon2 cost), each with a bearer token
        company = plant.company_id
        tokens = {"verifier": _user(s, Role.verifier, "kim@verifier.kr")[0],
                  "other_verifier": _user(s, Role.verifier, "lee@verifier.kr")[0],
                  "admin": _user(s, Role.company_admin, "admin@plant7.kr", company_id=company)[0],
                  "member": _user(s, Role.company_member, "member@plant7.kr", company_id=company)[0]}
    client = ApiClient(create_app(db, api_settings()), raise_server_exceptions=False)
    with client:
        yield Case(db, client, plant, tokens)


