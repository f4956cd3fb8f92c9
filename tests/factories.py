"""Builders for test data: a complex with tenants, sites, assets, points, users and tokens."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from sandan.bootstrap import create_user_with_role
from sandan.core.auth.models import Role
from sandan.core.auth.policy import Principal
from sandan.core.auth.service import create_token
from sandan.core.brn import make_brn
from sandan.core.tenancy import schemas, service
from sandan.core.tenancy.models import AssetLevel, Carrier, Complex, PointKind, SizeClass

PASSWORD = "correct-horse-battery"


@dataclass
class Tenant:
    company_id: int
    site_id: int
    area_id: int
    line_id: int
    main_point_id: int
    line_point_id: int
    power_point_id: int
    tokens: dict[str, str] = field(default_factory=dict)


def system(session: Session) -> Session:
    session.info["principal"] = Principal.system("test")
    return session


def make_tenant(session: Session, n: int, complex_code: str = "gwangyang") -> Tenant:
    """A company with one site, an area and a line, a main meter, a line sub-meter and a kW point."""
    system(session)
    complex_ = session.execute(select(Complex).where(Complex.code == complex_code)).scalar_one()
    company = service.create_company(session, schemas.CompanyCreate(
        complex_id=complex_.id, name=f"테스트기업 {n}", brn=make_brn(f"{100 + n:03d}81{n:04d}"),
        ksic_code="24111", size_class=SizeClass.sme, lat=34.9, lon=127.7))
    site = service.create_site(session, schemas.SiteCreate(company_id=company.id, name=f"본사 {n}"))
    area = service.create_asset(session, schemas.AssetCreate(site_id=site.id, level=AssetLevel.area, name="A동"))
    line = service.create_asset(session, schemas.AssetCreate(site_id=site.id, parent_id=area.id,
                                                             level=AssetLevel.line, name="1라인"))
    main = service.create_point(session, schemas.PointCreate(
        site_id=site.id, code=f"c{n}.main.kwh", name="수전 유효전력량", quantity="active_energy", unit="kWh",
        carrier=Carrier.electricity, kind=PointKind.interval, valid_min=0, valid_max=1e6))
    sub = service.create_point(session, schemas.PointCreate(
        site_id=site.id, asset_id=line.id, code=f"c{n}.line1.kwh", name="1라인 전력량", quantity="active_energy",
        unit="kWh", carrier=Carrier.electricity, kind=PointKind.interval))
    power = service.create_point(session, schemas.PointCreate(
        site_id=site.id, code=f"c{n}.main.kw", name="수전 전력", quantity="active_power", unit="kW",
        carrier=Carrier.electricity, kind=PointKind.instantaneous, interval_s=60))
    return Tenant(company.id, site.id, area.id, line.id, main.id, sub.id, power.id)


def add_user(session: Session, tenant: Tenant | None, role: Role, email: str, *, complex_id: int | None = None,
             token: bool = True) -> str:
    """Create a user with a role (in the tenant's company) and return a bearer token for it."""
    system(session)
    user = create_user_with_role(session, email, email.split("@")[0], PASSWORD, role,
                                 company_id=tenant.company_id if tenant else None, complex_id=complex_id)
    if not token:
        return ""
    _, plain = create_token(session, user, "test")
    return plain
