"""Grid rows for the API tests' world: a rooftop PV plant per tenant, metered by its main meter."""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy.orm import Session

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
