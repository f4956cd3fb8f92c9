"""Build the demo complex: 광양 with DAEWOO Steel's real meter year and ~40 synthetic tenants.

* **DAEWOO Steel** (real data, UCI dataset 851, CC BY 4.0): company, site, main meter (kWh),
  lagging and leading reactive energy (kvarh) and a kW point, imported through the file
  importer from ``steel_industry_gwangyang_2018.csv`` and moved by whole weeks so that the
  year ends at the last complete 15-minute interval before now
  (:func:`sandan.demo.profiles.shift_year_to`).
* **Synthetic tenants** (:func:`sandan.demo.tenants.make_tenants`, seed 2026): each with a
  site, a production area and one or two lines, a main meter, line sub-meters, a kW point,
  rooftop PV for about one in four and LNG for some, and ``days`` days of history.
* **Users** for each role (their passwords are demo-only and printed by ``sandan demo``).

Idempotent: each company is created with its history in one transaction and found again by
its registration number, so a second load creates nothing and a load that was interrupted
carries on where it stopped.  Simulated points carry their profile in ``Point.source``
(``"simulate"``), which is what the simulator reads to append readings later.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from sandan.bootstrap import create_user_with_role
from sandan.core.auth.models import Role, User
from sandan.core.auth.policy import Principal
from sandan.core.brn import make_brn
from sandan.core.errors import NotFound
from sandan.core.tenancy import schemas, service
from sandan.core.tenancy.models import AssetLevel, Carrier, Company, Complex, Direction, Point, PointKind, SizeClass
from sandan.core.timeutil import now_utc, to_epoch_s
from sandan.db import Database
from sandan.demo.carbon import load_carbon_demo
from sandan.demo.circular import load_circular
from sandan.demo.grid import load_grid
from sandan.demo.market import load_market
from sandan.demo.profiles import shift_year_to, synthetic_values
from sandan.demo.programs import load_programs_demo
from sandan.demo.tenants import DEMO_SEED, TenantSpec, make_tenants
from sandan.ingest.service import ImportOptions, ImportSummary, prepare_import, store_import
from sandan.timeseries.store import write_readings

COMPLEX_CODE = "gwangyang"
INTERVAL_S = 900
POWER_INTERVAL_S = 60
STEEL_FILE = "steel_industry_gwangyang_2018.csv"
STEEL_BRN = make_brn("416810001")
STEEL_CREDIT = ("UCI Machine Learning Repository, dataset 851 'Steel Industry Energy Consumption' "
                "(V E Sathishkumar, Changsun Shin, Youngyun Cho), CC BY 4.0")
STEEL_MAP = ("Usage_kWh=dw.main.kwh,Lagging_Current_Reactive_Power_kVarh=dw.main.kvarh,"
             "Leading_Current_Reactive_Power_kVarh=dw.main.kvarh_lead")
#: how long ago the replayed steel readings were taken when the simulator extends the year
REPLAY_WEEKS = 52
WRITE_BATCH = 50_000

Progress = Callable[[str, int, int], None]


@dataclass(frozen=True)
class DemoUser:
    role: Role
    email: str
    password: str
    name: str
    scope: str


@dataclass
class DemoReport:
    """What a load did: companies created or found, readings stored, warnings (as data)."""

    companies_created: int = 0
    companies_found: int = 0
    readings_stored: int = 0
    users_created: int = 0
    steel: ImportSummary | None = None
    warnings: list[dict[str, str]] = field(default_factory=list)
    users: list[DemoUser] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def already_loaded(self) -> bool:
        return self.companies_created == 0 and self.users_created == 0


def locate_shared_data() -> Path | None:
    """The shared data folder: ``SANDAN_SHARED_DATA``, else ``../shared/data`` beside the repository."""
    candidates = []
    if os.environ.get("SANDAN_SHARED_DATA"):
        candidates.append(Path(os.environ["SANDAN_SHARED_DATA"]))
    candidates += [Path(__file__).resolve().parents[4] / "shared" / "data", Path.cwd().parent / "shared" / "data"]
    for candidate in candidates:
        if (candidate / STEEL_FILE).exists():
            return candidate
    return None


def last_closed_interval_end(now_s: int, interval_s: int = INTERVAL_S) -> int:
    """End [epoch s] of the last complete interval at ``now_s`` (the interval's start + its length)."""
    return now_s // interval_s * interval_s


def _write(session: Session, frame: pd.DataFrame) -> int:
    stored = 0
    for lo in range(0, len(frame), WRITE_BATCH):
        stored += write_readings(session, frame.iloc[lo:lo + WRITE_BATCH]).stored
    return stored


def _complex(session: Session) -> Complex:
    found = session.execute(select(Complex).where(Complex.code == COMPLEX_CODE)).scalar_one_or_none()
    if found is None:
        raise NotFound(f"complex '{COMPLEX_CODE}' is missing: run `sandan db upgrade` to load the reference data")
    return found


def _company_by_brn(session: Session, brn: str) -> Company | None:
    return session.execute(select(Company).where(Company.brn == brn)).scalar_one_or_none()


def _point(session: Session, site_id: int, code: str, name: str, quantity: str, unit: str, *,
           carrier: Carrier = Carrier.electricity, kind: PointKind = PointKind.interval,
           direction: Direction = Direction.consumption, asset_id: int | None = None,
           interval_s: int = INTERVAL_S, valid_max: float | None = None, source: dict[str, Any] | None = None) -> Point:
    return service.create_point(session, schemas.PointCreate(
        site_id=site_id, asset_id=asset_id, code=code, name=name, quantity=quantity, unit=unit, carrier=carrier,
        kind=kind, direction=direction, interval_s=interval_s, valid_min=0.0 if valid_max else None,
        valid_max=valid_max, source=source or {}))


# --- DAEWOO Steel ------------------------------------------------------------------------------

def load_steel(session: Session, complex_id: int, csv_path: Path, end_s: int, days: int) -> ImportSummary:
    """Create DAEWOO Steel and import its year, moved to end at ``end_s`` [epoch s]."""
    company = service.create_company(session, schemas.CompanyCreate(
        complex_id=complex_id, name="대우스틸㈜", name_en="DAEWOO Steel Co., Ltd.", brn=STEEL_BRN,
        ksic_code="24199", size_class=SizeClass.sme, lat=34.9352, lon=127.6958))
    site = service.create_site(session, schemas.SiteCreate(
        company_id=company.id, name="광양공장", address="전라남도 광양시 (광양국가산업단지)", lat=34.9352,
        lon=127.6958, contract_power_kw=800.0))
    service.create_asset(session, schemas.AssetCreate(site_id=site.id, level=AssetLevel.area, name="제강동"))
    origin = {"protocol": "file", "file": STEEL_FILE, "credit": STEEL_CREDIT,
              "simulate": "replay", "replay_weeks": REPLAY_WEEKS}
    _point(session, site.id, "dw.main.kwh", "수전 유효전력량", "active_energy", "kWh", valid_max=800.0,
           source={**origin, "column": "Usage_kWh"})
    _point(session, site.id, "dw.main.kvarh", "지상 무효전력량", "reactive_energy", "kvarh",
           source={**origin, "column": "Lagging_Current_Reactive_Power_kVarh"})
    # leading reactive energy while importing active energy is quadrant IV, "reactive export" (IEC 62053-23)
    _point(session, site.id, "dw.main.kvarh_lead", "진상 무효전력량", "reactive_energy", "kvarh",
           direction=Direction.export, source={**origin, "column": "Leading_Current_Reactive_Power_kVarh"})
    power = _point(session, site.id, "dw.main.kw", "수전 유효전력", "active_power", "kW",
                   kind=PointKind.instantaneous, interval_s=POWER_INTERVAL_S,
                   source={"protocol": "demo", "simulate": "replay_power", "energy_point": "dw.main.kwh",
                           "replay_weeks": REPLAY_WEEKS})
    prepared = prepare_import(session, csv_path, ImportOptions(
        mapping=STEEL_MAP, ts_col="date", ts_format="%d/%m/%Y %H:%M", label="end", midnight="same-date",
        tz="Asia/Seoul", company_id=company.id))
    frame = prepared.parsed.frame
    frame["ts"] = shift_year_to(frame["ts"].to_numpy(np.int64), end_s, INTERVAL_S)
    summary = store_import(session, prepared)
    # the live kW tile needs a history too: mean power of each recent interval [kW] = kWh x 4
    main_id = next(p.point_id for p in prepared.points if p.code == "dw.main.kwh")
    recent = frame[(frame["point_id"] == main_id) & (frame["ts"] >= end_s - days * 86400)]
    _write(session, pd.DataFrame({"point_id": power.id, "ts": recent["ts"].to_numpy(np.int64),
                                  "value": recent["value"].to_numpy(np.float64) * 3600.0 / INTERVAL_S}))
    return summary


# --- synthetic tenants -------------------------------------------------------------------------

def _load_source(spec: TenantSpec, stream: int, share: float = 1.0) -> dict[str, Any]:
    return {"protocol": "demo", "simulate": "load", "seed": DEMO_SEED, "tenant": spec.index, "stream": stream,
            "share": share, "profile": spec.load.to_dict()}


def create_tenant(session: Session, complex_id: int, spec: TenantSpec) -> dict[str, Point]:
    """The company, site, area, lines and points of one synthetic tenant."""
    company = service.create_company(session, schemas.CompanyCreate(
        complex_id=complex_id, name=spec.name, name_en=spec.name_en, brn=spec.brn, ksic_code=spec.ksic_code,
        size_class=spec.size_class, lat=spec.lat, lon=spec.lon))
    site = service.create_site(session, schemas.SiteCreate(
        company_id=company.id, name="본사공장", address="전라남도 광양시 (광양국가산업단지)", lat=spec.lat,
        lon=spec.lon, contract_power_kw=spec.contract_kw))
    area = service.create_asset(session, schemas.AssetCreate(site_id=site.id, level=AssetLevel.area, name="생산동"))
    code = spec.code
    points = {"main": _point(session, site.id, f"{code}.main.kwh", "수전 유효전력량", "active_energy", "kWh",
                             valid_max=spec.contract_kw, source=_load_source(spec, 0)),
              "kw": _point(session, site.id, f"{code}.main.kw", "수전 유효전력", "active_power", "kW",
                           kind=PointKind.instantaneous, interval_s=POWER_INTERVAL_S,
                           source={**_load_source(spec, 0), "simulate": "power"})}
    for n, (line_name, share) in enumerate(spec.lines, start=1):
        line = service.create_asset(session, schemas.AssetCreate(site_id=site.id, parent_id=area.id,
                                                                 level=AssetLevel.line, name=line_name))
        points[f"line{n}"] = _point(session, site.id, f"{code}.line{n}.kwh", f"{line_name} 전력량", "active_energy",
                                    "kWh", asset_id=line.id, source=_load_source(spec, n, share))
    if spec.pv is not None:
        points["pv"] = _point(session, site.id, f"{code}.pv.kwh", "지붕 태양광 발전량", "active_energy", "kWh",
                              direction=Direction.generation,
                              source={"protocol": "demo", "simulate": "pv", "profile": spec.pv.to_dict()})
    if spec.gas is not None:
        points["gas"] = _point(session, site.id, f"{code}.gas.nm3", "LNG 사용량", "gas_volume", "Nm3",
                               carrier=Carrier.lng_city_gas,
                               source={"protocol": "demo", "simulate": "gas", "profile": spec.gas.to_dict()})
    return points


def tenant_history(points: dict[str, Point], starts_s: np.ndarray) -> pd.DataFrame:
    """Readings of every point of a tenant at the interval starts ``starts_s`` [epoch s]."""
    parts = []
    for point in points.values():
        values = synthetic_values(point.source, starts_s, INTERVAL_S)
        if values is not None:
            parts.append(pd.DataFrame({"point_id": point.id, "ts": starts_s, "value": values}))
    return pd.concat(parts, ignore_index=True)


# --- users -------------------------------------------------------------------------------------

def demo_users(steel_company_id: int | None, member_company_id: int | None, complex_id: int,
               member_company: str = "tenant t01") -> list[tuple[DemoUser, dict[str, int | None]]]:
    """The demo logins and where each belongs (passwords are demo-only, printed by ``sandan demo``)."""
    users: list[tuple[DemoUser, dict[str, int | None]]] = [
        (DemoUser(Role.platform_admin, "admin@sandan.demo", "demo-admin-2026", "플랫폼 관리자", "the whole platform"),
         {}),
        (DemoUser(Role.complex_operator, "operator@sandan.demo", "demo-operator-2026", "광양산단 운영자",
                  "광양 complex"), {"complex_id": complex_id}),
        (DemoUser(Role.auditor, "auditor@sandan.demo", "demo-auditor-2026", "감사인", "광양 complex, read-only"),
         {"complex_id": complex_id}),
    ]
    if steel_company_id is not None:
        users.insert(2, (DemoUser(Role.company_admin, "steel@sandan.demo", "demo-steel-2026", "대우스틸 에너지담당",
                                  "DAEWOO Steel"), {"company_id": steel_company_id}))
    if member_company_id is not None:
        users.insert(3, (DemoUser(Role.company_member, "member@sandan.demo", "demo-member-2026", "입주기업 직원",
                                  member_company), {"company_id": member_company_id}))
    return users


# --- the whole demo ----------------------------------------------------------------------------

def load_demo(db: Database, *, tenants: int = 40, days: int = 90, now_s: int | None = None,
              shared_data: Path | None = None, use_shared_data: bool = True,
              progress: Progress | None = None) -> DemoReport:
    """Load the demo complex into ``db`` (migrated) on behalf of the system; idempotent."""
    started = time.perf_counter()
    report = DemoReport()
    now_s = to_epoch_s(now_utc()) if now_s is None else now_s
    end_s = last_closed_interval_end(now_s)
    specs = make_tenants(tenants)
    starts = np.arange(end_s - days * 86400, end_s, INTERVAL_S, dtype=np.int64)
    principal = Principal.system("demo")
    total = tenants + 1

    with db.session(principal=principal) as s:
        complex_id = _complex(s).id
        steel = _company_by_brn(s, STEEL_BRN)
        steel_id = steel.id if steel else None
    if steel_id is not None:
        report.companies_found += 1
    else:
        folder = shared_data or (locate_shared_data() if use_shared_data else None)
        csv_path = folder / STEEL_FILE if folder else None
        if csv_path is None or not csv_path.exists():
            report.warnings.append({
                "code": "steel_data_missing",
                "message": f"{STEEL_FILE} not found (looked in SANDAN_SHARED_DATA and ../shared/data): the demo "
                           "runs with synthetic tenants only, without DAEWOO Steel's real meter year",
                "data": str(csv_path or "")})
        else:
            if progress:
                progress("DAEWOO Steel: importing the 2018 meter year", 0, total)
            with db.session(principal=principal) as s:
                report.steel = load_steel(s, complex_id, csv_path, end_s, days)
                steel_found = _company_by_brn(s, STEEL_BRN)
                steel_id = steel_found.id if steel_found else None
            report.companies_created += 1
            report.readings_stored += report.steel.stored
    if progress:
        progress("synthetic tenants", 1, total)

    member_id: int | None = None
    for i, spec in enumerate(specs, start=2):
        with db.session(principal=principal) as s:
            existing = _company_by_brn(s, spec.brn)
            if existing is not None:
                report.companies_found += 1
                company_id = existing.id
            else:
                points = create_tenant(s, complex_id, spec)
                report.readings_stored += _write(s, tenant_history(points, starts))
                report.companies_created += 1
                company_id = next(iter(points.values())).company_id
        if spec.index == 1:
            member_id = company_id
        if progress:
            progress(f"{spec.code} {spec.name}", i, total)

    with db.session(principal=principal) as s:
        load_grid(s, complex_id)
        for user, where in demo_users(steel_id, member_id, complex_id, specs[0].name if specs else ""):
            report.users.append(user)
            if s.execute(select(User.id).where(User.email == user.email)).first() is None:
                create_user_with_role(s, user.email, user.name, user.password, user.role,
                                      company_id=where.get("company_id"), complex_id=where.get("complex_id"))
                report.users_created += 1
        load_carbon_demo(s, steel_id, now_s)
        report.users.extend(load_programs_demo(s, steel_id))
    with db.session(principal=principal) as s:
        load_market(s, complex_id, end_s)
    with db.session(principal=principal) as s:
        load_circular(s, complex_id)
    report.seconds = time.perf_counter() - started
    return report


__all__ = ["COMPLEX_CODE", "STEEL_BRN", "DemoReport", "DemoUser", "last_closed_interval_end", "load_demo",
           "locate_shared_data"]
