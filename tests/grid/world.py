"""Grid rows for the API tests' world: a rooftop PV plant per tenant, metered by its main meter."""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy.orm import Session

from sandan.bootstrap import create_user_with_role
from sandan.core.auth.models import Role
from sandan.core.auth.service import create_token
from sandan.grid import schemas, service
from tests.factories import Tenant, system


def add_ders(session: Session, tenants: Mapping[str, Tenant]) -> dict[str, int]:
    """One 100 kWp PV plant per tenant; the DER ids by tenant."""
    system(session)
    return {name: service.create_der(session, schemas.DerCreate(
        site_id=tenant.site_id, point_id=tenant.main_point_id, name="지붕 태양광",
        spec=schemas.PvSpec(module_power_w=500, modules_per_string=20, strings=10, inverter_ac_kw=90,
                            tilt_deg=25))).id
        for name, tenant in tenants.items()}


def token_for(session: Session, tenant: Tenant, role: Role, email: str) -> str:
    """A bearer token for a new user of ``tenant`` with ``role`` (no password: no Argon2 cost)."""
    system(session)
    user = create_user_with_role(session, email, email.split("@")[0], None, role, company_id=tenant.company_id)
    return create_token(session, user, "grid-test")[1]
