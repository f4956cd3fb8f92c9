"""A small carbon world: a company with one site and its own meters (electricity, city gas, diesel)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from sandan.core.brn import make_brn
from sandan.core.tenancy import schemas, service
from sandan.core.tenancy.models import Carrier, Complex, PointKind, SizeClass
from sandan.core.timeutil import KST, to_epoch_s
from sandan.timeseries.store import write_readings
from tests.factories import system


@dataclass
class Plant:
    company_id: int
    site_id: int
    points: dict[str, int]


def make_plant(session: Session, n: int, *, daily: bool = True) -> Plant:
    """Company ``n`` with a site; with ``daily``, daily meters of electricity [kWh], city gas [Nm3], diesel [L]."""
    system(session)
    complex_id = session.execute(select(Complex.id).where(Complex.code == "gwangyang")).scalar_one()
    company = service.create_company(session, schemas.CompanyCreate(
        complex_id=complex_id, name=f"탄소기업 {n}", brn=make_brn(f"{300 + n:03d}81{n:04d}"), ksic_code="24111",
        size_class=SizeClass.sme))
    site = service.create_site(session, schemas.SiteCreate(company_id=company.id, name=f"공장 {n}"))
    points: dict[str, int] = {}
    if daily:
        for key, quantity, unit, carrier in (("kwh", "active_energy", "kWh", Carrier.electricity),
                                             ("gas", "gas_volume", "Nm3", Carrier.lng_city_gas),
                                             ("diesel", "fuel_volume", "L", Carrier.diesel)):
            points[key] = service.create_point(session, schemas.PointCreate(
                site_id=site.id, code=f"p{n}.{key}", name=key, quantity=quantity, unit=unit, carrier=carrier,
                kind=PointKind.interval, interval_s=86400)).id
    return Plant(company.id, site.id, points)


def daily(session: Session, point_id: int, first: dt.date, values: list[float],
          estimated: frozenset[int] = frozenset()) -> None:
    """One reading a day from ``first`` (Korean days), quality estimated on the listed day indexes."""
    starts = [to_epoch_s(dt.datetime.combine(first + dt.timedelta(days=i), dt.time(), KST)) for i in range(len(values))]
    write_readings(session, pd.DataFrame({"point_id": point_id, "ts": starts, "value": values,
                                          "quality": [1 if i in estimated else 0 for i in range(len(values))]}))
