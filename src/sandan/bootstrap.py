"""Set-up steps shared by the CLI, the demo and the tests: migrate, load reference data, users."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from sandan.core import audit
from sandan.core.auth import policy
from sandan.core.auth.models import Organisation, OrgKind, Role, User
from sandan.core.auth.policy import Principal
from sandan.core.auth.service import add_membership, create_user
from sandan.core.errors import InvalidInput, NotFound
from sandan.core.tenancy.models import Company, Complex
from sandan.core.tenancy.service import load_reference_complexes
from sandan.db import Database


def prepare_database(url: str, revision: str = "head") -> None:
    """Migrate the database and load the designated complexes (idempotent)."""
    from sandan.migrate import upgrade

    upgrade(url, revision)
    if revision == "head":
        db = Database(url)
        if db.engine.dialect.name == "postgresql":
            from sandan.timeseries.partitions import precreate

            with db.engine.begin() as conn:
                precreate(conn)
        with db.session(principal=Principal.system("migrate")) as session:
            load_reference_complexes(session)
        db.engine.dispose()


def install_hooks() -> None:
    policy.install()
    audit.install()


def organisation(session: Session, kind: OrgKind, *, company_id: int | None = None,
                 complex_id: int | None = None, name: str = "") -> Organisation:
    """Find or create the organisation of a company, a complex operator or a platform body."""
    stmt = select(Organisation).where(Organisation.kind == kind, Organisation.company_id == company_id,
                                      Organisation.complex_id == complex_id)
    if kind in (OrgKind.platform, OrgKind.verification_body, OrgKind.programme_office) and name:
        stmt = stmt.where(Organisation.name == name)
    org = session.execute(stmt).scalars().first()
    if org is None:
        org = Organisation(kind=kind, name=name or kind.value, company_id=company_id, complex_id=complex_id)
        session.add(org)
        session.flush()
    return org


_ORG_OF_ROLE = {Role.platform_admin: OrgKind.platform, Role.complex_operator: OrgKind.complex_operator,
                Role.company_admin: OrgKind.company, Role.company_member: OrgKind.company,
                Role.device: OrgKind.company, Role.verifier: OrgKind.verification_body}


def create_user_with_role(session: Session, email: str, name: str, password: str | None, role: Role, *,
                          company_id: int | None = None, complex_id: int | None = None,
                          org_name: str = "") -> User:
    """Create a user and their membership; the organisation is found or created from the role."""
    install_hooks()
    session.info.setdefault("principal", Principal.system("cli"))
    kind = _ORG_OF_ROLE.get(role, OrgKind.platform)
    if role == Role.auditor:
        kind = OrgKind.company if company_id else (OrgKind.complex_operator if complex_id else OrgKind.platform)
    if kind == OrgKind.company:
        if company_id is None:
            raise InvalidInput(f"a {role.value} needs --company-id", field="company_id")
        company = session.get(Company, company_id)
        if company is None:
            raise NotFound(f"company {company_id} not found")
        org = organisation(session, kind, company_id=company_id, name=company.name)
    elif kind == OrgKind.complex_operator:
        if complex_id is None:
            raise InvalidInput(f"a {role.value} needs --complex-id", field="complex_id")
        complex_ = session.get(Complex, complex_id)
        if complex_ is None:
            raise NotFound(f"complex {complex_id} not found")
        org = organisation(session, kind, complex_id=complex_id, name=f"{complex_.name_ko} 관리기관")
    else:
        org = organisation(session, kind, name=org_name or {OrgKind.platform: "sandan platform",
                                                            OrgKind.verification_body: "verification body"}
                           .get(kind, kind.value))
    user = create_user(session, email, name, password, is_device=role == Role.device)
    add_membership(session, user, org, role)
    return user
