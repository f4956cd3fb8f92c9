"""Demo DERs: every demo tenant with a rooftop PV meter gets its PV plant in the registry (sized from
the meter's simulated profile, 550 W modules in strings of 20), and the first such tenant an
outdoor battery (2 h at a third of its PV, SOC 10-90 %).  Idempotent: a meter that already has a
DER is left alone."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from sandan.core.tenancy.models import Company, Direction, Point
from sandan.grid import schemas, service
from sandan.grid.models import Der

MODULE_W = 550
PER_STRING = 20


def load_grid(session: Session, complex_id: int) -> int:
    """Register the demo complex's DERs; the number created."""
    metered = set(session.execute(select(Der.point_id).where(Der.point_id.is_not(None))).scalars())
    points = session.execute(
        select(Point).join(Company, Company.id == Point.company_id)
        .where(Company.complex_id == complex_id, Point.direction == Direction.generation,
               Point.quantity == "active_energy").order_by(Point.id)).scalars().all()
    created = 0
    battery_done = session.execute(select(Der.id).where(Der.kind == "battery")).first() is not None
    for point in points:
        if point.id in metered:
            continue
        profile = point.source.get("profile", {}) if isinstance(point.source, dict) else {}
        kwp = float(profile.get("kwp", 100.0))
        strings = max(1, round(kwp * 1000 / (MODULE_W * PER_STRING)))
        spec = schemas.PvSpec(module_power_w=MODULE_W, modules_per_string=PER_STRING, strings=strings,
                              inverter_ac_kw=round(kwp / 1.2, 1), tilt_deg=20, azimuth_deg=180)
        service.create_der(session, schemas.DerCreate(
            site_id=point.site_id, point_id=point.id, name="지붕 태양광", spec=spec,
            lat=profile.get("lat"), lon=profile.get("lon")))
        created += 1
        if not battery_done:
            service.create_der(session, schemas.DerCreate(
                site_id=point.site_id, name="ESS 1호기", spec=schemas.BatterySpec(
                    installation="outdoor", energy_kwh=round(2 * kwp / 3, 1), power_kw=round(kwp / 3, 1),
                    soc_min_pct=10, soc_max_pct=90)))
            created += 1
            battery_done = True
    return created
