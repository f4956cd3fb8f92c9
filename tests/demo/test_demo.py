"""The demo complex: counts, DAEWOO's real year ending now, determinism, idempotence, the live feed."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import func, select, text

from sandan.bootstrap import install_hooks, prepare_database
from sandan.core.auth.models import Membership, Role, User
from sandan.core.auth.policy import Principal
from sandan.core.tenancy.models import Company, Complex, Point, PointKind
from sandan.core.timeutil import now_utc, to_epoch_s
from sandan.db import Database
from sandan.demo.loader import STEEL_BRN, DemoReport, load_demo
from sandan.demo.profiles import WEEK_S, shift_year_to, synthetic_values
from sandan.demo.simulator import Simulator, attach, tick
from sandan.demo.tenants import make_tenants

STEEL_KWH = 959_636.71
TENANTS, DAYS = 6, 7


@dataclass
class Demo:
    db: Database
    report: DemoReport
    loaded_at_s: int


def _sql(db: Database, query: str, **params: object) -> list[tuple]:
    with db.engine.connect() as conn:
        return [tuple(r) for r in conn.execute(text(query), params).all()]


def _fresh(tmp: Path) -> Database:
    url = f"sqlite:///{tmp / 'demo.db'}"
    prepare_database(url)
    install_hooks()
    return Database(url)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory, steel_csv: Path) -> Iterator[Demo]:
    db = _fresh(tmp_path_factory.mktemp("demo"))
    loaded_at = to_epoch_s(now_utc())
    report = load_demo(db, tenants=TENANTS, days=DAYS, shared_data=steel_csv.parent)
    yield Demo(db, report, loaded_at)
    db.engine.dispose()


def test_the_complex_its_tenants_points_and_users(demo):
    specs = make_tenants(TENANTS)
    assert demo.report.warnings == []
    assert demo.report.companies_created == TENANTS + 1
    with demo.db.session(principal=Principal.system("test")) as s:
        gwangyang = s.execute(select(Complex).where(Complex.code == "gwangyang")).scalar_one()
        companies = s.execute(select(Company).where(Company.complex_id == gwangyang.id).order_by(Company.id)).scalars()
        names = [c.name for c in companies]
        assert names == ["대우스틸㈜", *[t.name for t in specs]]
        expected_points = 4 + sum(2 + len(t.lines) + (t.pv is not None) + (t.gas is not None) for t in specs)
        assert s.execute(select(func.count(Point.id))).scalar_one() == expected_points
        roles = dict(s.execute(select(User.email, Membership.role)
                               .join(Membership, Membership.user_id == User.id)).all())
        assert roles == {"admin@sandan.demo": Role.platform_admin, "operator@sandan.demo": Role.complex_operator,
                         "steel@sandan.demo": Role.company_admin, "member@sandan.demo": Role.company_member,
                         "auditor@sandan.demo": Role.auditor,
                         # the programme office's demo logins (sandan/demo/programs.py)
                         "programme@sandan.demo": Role.programme_officer, "reviewer@sandan.demo": Role.reviewer}
    # every synthetic interval point has the whole history, every tenant a kW history
    counts = _sql(demo.db, "SELECT p.code, COUNT(*) FROM readings r JOIN points p ON p.id = r.point_id "
                           "WHERE p.code LIKE 't%' GROUP BY p.code")
    assert {n for _, n in counts} == {DAYS * 96}
    assert len(counts) == expected_points - 4


def test_daewoo_is_the_real_year_ending_now(demo):
    (count, total, first, last), = _sql(
        demo.db, "SELECT COUNT(*), SUM(r.value), MIN(r.ts), MAX(r.ts) FROM readings r "
                 "JOIN points p ON p.id = r.point_id WHERE p.code = 'dw.main.kwh'")
    assert count == 35_040
    assert total == pytest.approx(STEEL_KWH, abs=1e-6)
    end = last + 900  # the last interval ends at the last quarter hour before the load
    assert demo.loaded_at_s - 3600 < end <= demo.loaded_at_s + 60
    assert end % 900 == 0
    assert last - first < 372 * 86400  # a year and the moved week, nothing else
    steel = demo.report.steel
    assert steel is not None
    assert steel.accounted
    assert (steel.stored, steel.rejected, steel.conflict) == (3 * 35_040, 0, 0)
    # moved by whole weeks: the file's first interval (Monday 2018-01-01 00:00 KST, 3.17 kWh) is still a Monday
    mondays = _sql(demo.db, "SELECT r.ts FROM readings r JOIN points p ON p.id = r.point_id "
                            "WHERE p.code = 'dw.main.kwh' AND r.value = 3.17")
    original = 1514732400  # 2018-01-01 00:00 KST
    assert any((ts - original) % WEEK_S == 0 for (ts,) in mondays)


def test_shift_keeps_weekdays_and_every_interval():
    year = np.arange(1514732400, 1514732400 + 365 * 86400, 900, dtype=np.int64)
    for end in (1795000500, 1795000500 + 3 * 86400 + 900, 1795000500 + 6 * 86400):
        end = end // 900 * 900
        moved = shift_year_to(year, end)
        assert ((moved - year) % WEEK_S == 0).all()
        assert len(np.unique(moved)) == len(year)
        assert moved.max() + 900 == end
        assert moved.min() >= end - 372 * 86400


def test_the_tenants_are_deterministic():
    first, again = make_tenants(40), make_tenants(40)
    assert first == again
    assert make_tenants(TENANTS) == first[:TENANTS]
    assert len({t.name for t in first}) == 40
    assert len({t.brn for t in first}) == 40
    assert 5 <= sum(t.pv is not None for t in first) <= 15  # about one in four has rooftop PV
    assert any(t.gas is not None for t in first)
    assert {t.load.shifts for t in first} == {1, 2, 3}
    assert min(t.contract_kw for t in first) >= 50
    assert max(t.contract_kw for t in first) <= 5000
    assert all(abs(t.lat - 34.93) <= 0.03 and abs(t.lon - 127.70) <= 0.03 for t in first)


def test_a_second_load_adds_nothing(demo):
    before = _sql(demo.db, "SELECT COUNT(*) FROM readings")[0][0]
    started = time.perf_counter()
    again = load_demo(demo.db, tenants=TENANTS, days=DAYS, shared_data=Path("/nonexistent"))
    assert time.perf_counter() - started < 5
    assert again.already_loaded
    assert (again.companies_created, again.companies_found, again.readings_stored) == (0, TENANTS + 1, 0)
    assert _sql(demo.db, "SELECT COUNT(*) FROM readings")[0][0] == before
    assert _sql(demo.db, "SELECT COUNT(*) FROM users")[0][0] == 7


def test_a_simulator_tick_appends_readings(demo):
    later = demo.loaded_at_s + 1800  # half an hour on: at least one quarter hour has closed
    result = tick(demo.db, later)
    n_power = _sql(demo.db, "SELECT COUNT(*) FROM points WHERE kind = 'instantaneous'")[0][0]
    assert result.stored >= n_power + TENANTS  # a kW reading each, and closed intervals of every meter
    stamps = dict(_sql(demo.db, "SELECT p.code, MAX(r.ts) FROM readings r JOIN points p ON p.id = r.point_id "
                                "GROUP BY p.code"))
    assert stamps["t01.main.kw"] == later
    assert stamps["dw.main.kw"] == later  # DAEWOO's kW replays its real year
    assert stamps["t01.main.kwh"] == later // 900 * 900 - 900
    assert stamps["dw.main.kwh"] == later // 900 * 900 - 900
    assert tick(demo.db, later).stored == 0  # the same instant again: duplicates only
    with demo.db.session(principal=Principal.system("test")) as s:
        main = s.execute(select(Point).where(Point.code == "t01.main.kwh")).scalar_one()
    assert main.kind == PointKind.interval
    # history and live feed are one function of time: the appended intervals continue the profile
    stored = dict(_sql(demo.db, "SELECT ts, value FROM readings WHERE point_id = :p", p=main.id))
    ts = np.array(sorted(stored)[-3:], dtype=np.int64)
    assert synthetic_values(main.source, ts) == pytest.approx([stored[t] for t in ts.tolist()])


def test_the_simulator_thread_runs_with_the_app_and_stops(demo):
    from fastapi.testclient import TestClient

    from sandan.app import create_app

    app = create_app(db=demo.db)
    simulator = attach(app, interval_s=0.05)
    with TestClient(app) as client:
        deadline = time.monotonic() + 10
        while simulator.ticks < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert simulator.running
        assert simulator.errors == 0
        assert client.get("/api/v1/health").json()["status"] == "ok"
    assert simulator.ticks >= 2
    assert not simulator.running


def test_the_demo_logins_work(demo):
    from fastapi.testclient import TestClient

    from sandan.app import create_app

    with TestClient(create_app(db=demo.db)) as client:
        for user in demo.report.users:
            token = client.post("/api/v1/auth/token", json={"email": user.email, "password": user.password})
            assert token.status_code == 201, token.text
            me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {token.json()['token']}"}).json()
            assert user.role.value in me["roles"]


def test_simulator_start_stop_without_an_app(demo):
    simulator = Simulator(demo.db, 0.05, clock=lambda: demo.loaded_at_s + 3 * 86400)
    simulator.start()
    deadline = time.monotonic() + 10
    while simulator.ticks < 1 and time.monotonic() < deadline:
        time.sleep(0.02)
    simulator.stop()
    assert not simulator.running
    assert simulator.stored > 0


def test_without_the_shared_data_the_demo_still_loads(tmp_path):
    db = _fresh(tmp_path)
    try:
        report = load_demo(db, tenants=2, days=1, use_shared_data=False)
        assert [w["code"] for w in report.warnings] == ["steel_data_missing"]
        assert report.companies_created == 2
        assert "steel@sandan.demo" not in {u.email for u in report.users}
        assert _sql(db, "SELECT COUNT(*) FROM companies WHERE brn = :b", b=STEEL_BRN)[0][0] == 0
    finally:
        db.engine.dispose()
