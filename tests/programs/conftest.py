"""Fixtures of the programs tests: three tenants (A, B in Gwangyang; C in Changwon), the
programme office's world (tests/programs/world.py), a token per role and an API client."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from sqlalchemy import select

from sandan.app import create_app
from sandan.core.auth.models import Role
from sandan.core.auth.service import create_token
from sandan.core.brn import make_brn
from sandan.core.tenancy import schemas, service
from sandan.core.tenancy.models import Complex, SizeClass
from sandan.db import Database
from tests.api.support import ApiClient, api_settings, bearer
from tests.factories import Tenant, add_user, system
from tests.programs.world import ProgrammeWorld, add_programmes


def company(s: Any, n: int, complex_code: str = "gwangyang", ksic_code: str = "24111") -> Tenant:
    """A company without sites or points (all the programme office needs), as a Tenant with only
    its company id set."""
    complex_id = s.execute(select(Complex.id).where(Complex.code == complex_code)).scalar_one()
    created = service.create_company(s, schemas.CompanyCreate(
        complex_id=complex_id, name=f"신청기업 {n}", brn=make_brn(f"{200 + n:03d}81{n:04d}"), ksic_code=ksic_code,
        size_class=SizeClass.sme))
    return Tenant(created.id, 0, 0, 0, 0, 0, 0)


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
        tenants = {"A": company(s, 1), "B": company(s, 2), "C": company(s, 3, "changwon")}
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
