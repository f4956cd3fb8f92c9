"""The access policy at the session level: reads filtered, writes refused, no principal no access."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from sandan.core.auth.models import Role, User
from sandan.core.auth.policy import Principal, principal_for
from sandan.core.errors import Forbidden, Unauthenticated
from sandan.core.tenancy.models import Company, Point, Site
from tests.factories import add_user, make_tenant, system


def _principal_of(session, email: str) -> Principal:
    system(session)
    user = session.execute(select(User).where(User.email == email)).scalar_one()
    return principal_for(session, user)


def test_company_user_sees_only_its_company(db):
    with db.session() as s:
        a, b = make_tenant(system(s), 11), make_tenant(s, 12)
        add_user(s, a, Role.company_member, "member@a.kr", token=False)
        s.info["principal"] = _principal_of(s, "member@a.kr")
        assert {c.id for c in s.execute(select(Company)).scalars()} == {a.company_id}
        assert {p.company_id for p in s.execute(select(Point)).scalars()} == {a.company_id}
        assert s.get(Site, b.site_id) is None
        assert s.execute(select(func.count()).select_from(Point).where(Point.company_id == b.company_id)).scalar() == 0


def test_member_may_not_write_the_model_and_admin_only_its_own(db):
    with db.session() as s:
        a = make_tenant(system(s), 13)
        make_tenant(s, 14)
        add_user(s, a, Role.company_member, "m@a.kr", token=False)
        add_user(s, a, Role.company_admin, "boss@a.kr", token=False)
        s.flush()
        s.info["principal"] = _principal_of(s, "m@a.kr")
        site = s.get(Site, a.site_id)
        site.name = "renamed by a member"
        with pytest.raises(Forbidden):
            s.flush()
        s.rollback()


def test_admin_writes_its_own_company_not_another(db):
    with db.session() as s:
        a, b = make_tenant(system(s), 15), make_tenant(s, 16)
        add_user(s, a, Role.company_admin, "boss2@a.kr", token=False)
        s.info["principal"] = _principal_of(s, "boss2@a.kr")
        own = s.get(Site, a.site_id)
        own.name = "본사 (renamed)"
        s.flush()
        s.add(Site(company_id=b.company_id, name="planted in another tenant"))
        with pytest.raises(Forbidden):
            s.flush()
        s.rollback()


def test_operator_reads_its_complex(db):
    with db.session() as s:
        a = make_tenant(system(s), 17)
        other = make_tenant(s, 18, complex_code="changwon")
        complex_id = s.get(Company, a.company_id).complex_id
        add_user(s, None, Role.complex_operator, "ops@gy.kr", complex_id=complex_id, token=False)
        s.info["principal"] = _principal_of(s, "ops@gy.kr")
        ids = {c.id for c in s.execute(select(Company)).scalars()}
        assert a.company_id in ids
        assert other.company_id not in ids


def test_no_principal_no_access(db):
    with db.session() as s:
        s.info.pop("principal", None)
        with pytest.raises(Unauthenticated):
            s.execute(select(Company)).all()
