"""Fixtures of the programs tests: three tenants (A, B in Gwangyang; C in Changwon), the
programme office's world (tests/programs/world.py), a token per role and an API client."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest

from sandan.app import create_app
from sandan.core.auth.models import Role
from sandan.core.auth.service import create_token
from sandan.db import Database
from tests.api.support import ApiClient, api_settings, bearer
from tests.factories import Tenant, add_user, make_tenant, system
from tests.programs.world import ProgrammeWorld, add_programmes


@dataclass
class Office:
    db: Database
    client: ApiClient
    tenants: dict[str, Tenant]
    pw: ProgrammeWorld
    tokens: dict[str, str] = field(default_factory=dict)

    def as_(self, role: str) -> dict[str, str]:
        return bearer(self.tokens[role])


@pytest.fixture
def office(db: Database) -> Iterator[Office]:
    with db.session() as s:
        system(s)
        tenants = {"A": make_tenant(s, 1), "B": make_tenant(s, 2), "C": make_tenant(s, 3, "changwon")}
        pw = add_programmes(s, tenants)
        tokens = {"company_admin": add_user(s, tenants["A"], Role.company_admin, "admin@a.kr"),
                  "company_admin_b": add_user(s, tenants["B"], Role.company_admin, "admin@b.kr"),
                  "platform_admin": add_user(s, None, Role.platform_admin, "root@sandan.test")}
        tokens["programme_officer"] = create_token(s, pw.officer, "t")[1]
        tokens["reviewer"] = create_token(s, pw.reviewer_user, "t")[1]
        tokens["reviewer2"] = create_token(s, pw.reviewer2_user, "t")[1]
    client = ApiClient(create_app(db, api_settings()), raise_server_exceptions=True)
    client.__enter__()
    try:
        yield Office(db, client, tenants, pw, tokens)
    finally:
        client.__exit__(None, None, None)
