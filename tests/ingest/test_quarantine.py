"""Quarantine and replay round trip, the quarantine API, and the data-quality view."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import text

from sandan.core.tenancy import schemas, service
from sandan.core.tenancy.models import Carrier, PointKind
from sandan.core.timeutil import KST, to_epoch_s
from tests.api.support import assert_problem
from tests.factories import system

T0 = dt.datetime(2026, 3, 11, tzinfo=KST)


def _ts(i: int) -> str:
    return (T0 + dt.timedelta(minutes=15 * i)).isoformat()


def test_unknown_point_is_quarantined_then_replayed_once_the_point_exists(world):
    body = {"source_ref": "gw-1", "readings": [{"point": "c1.boiler.nm3", "ts": _ts(i), "value": 5.0 + i}
                                                for i in range(3)]}
    answer = world.client.post("/api/v1/ingest", json=body, headers=world.as_("device")).json()
    assert answer["summary"]["quarantined"] == 3
    listed = world.client.get("/api/v1/quarantine", params={"reason_code": "unknown_point", "source": "http"},
                              headers=world.as_("company_admin")).json()
    assert [(q["point_ref"], q["value"], q["replay_status"], q["source_ref"]) for q in listed["items"]] == [
        ("c1.boiler.nm3", 5.0 + i, "pending", "gw-1") for i in range(3)]
    ids = [q["id"] for q in listed["items"]]

    a = world.tenants["A"]
    with world.db.session() as s:  # the mapping is fixed: the point is created
        system(s)
        point = service.create_point(s, schemas.PointCreate(
            site_id=a.site_id, code="c1.boiler.nm3", name="보일러 가스", quantity="gas_volume", unit="Nm3",
            carrier=Carrier.lng_city_gas, kind=PointKind.interval))
        point_id = point.id
    # a member may not replay; the admin may
    assert_problem(world.client.post("/api/v1/quarantine/replay", json={"company_id": a.company_id},
                                     headers=world.as_("company_member")), 403)
    replayed = world.client.post("/api/v1/quarantine/replay", json={"company_id": a.company_id, "ids": ids[:2]},
                                 headers=world.as_("company_admin"))
    assert replayed.status_code == 200, replayed.text
    assert replayed.json()["counts"] == {"stored": 2}
    values = world.conn.execute(text("SELECT value FROM readings WHERE point_id = :p ORDER BY ts"),
                                {"p": point_id}).scalars().all()
    assert values == [5.0, 6.0]
    rows = world.client.get("/api/v1/quarantine", params={"reason_code": "unknown_point"},
                            headers=world.as_("company_admin")).json()["items"]
    assert [(r["replay_status"], r["replays"]) for r in rows] == [("stored", 1), ("stored", 1), ("pending", 0)]
    # a second replay leaves stored rows alone and stores the last one
    again = world.client.post("/api/v1/quarantine/replay", json={"company_id": a.company_id},
                              headers=world.as_("company_admin")).json()
    assert again["counts"].get("stored") == 1
    assert all(item["id"] == ids[2] or item["status"] != "stored" for item in again["items"])


def test_a_range_fix_makes_a_rejected_reading_replayable(world):
    a = world.tenants["A"]
    body = {"readings": [{"point": "c1.main.kwh", "ts": _ts(0), "value": 2e6}]}  # valid_max is 1e6
    item = world.client.post("/api/v1/ingest", json=body, headers=world.as_("device")).json()["readings"][0]
    assert item["reason_code"] == "out_of_range"
    still = world.client.post("/api/v1/quarantine/replay", json={"company_id": a.company_id,
                                                                 "reason_code": "out_of_range"},
                              headers=world.as_("company_admin")).json()
    assert [i["status"] for i in still["items"] if "2e+06" in i["reason"]] == ["rejected"]
    with world.db.session() as s:
        system(s)
        service.update_point(s, a.main_point_id, schemas.PointUpdate(valid_max=1e7))
    done = world.client.post("/api/v1/quarantine/replay", json={"company_id": a.company_id,
                                                                "reason_code": "out_of_range"},
                             headers=world.as_("company_admin")).json()
    assert done["counts"] == {"stored": 1}


def test_quarantine_export_and_isolation(world):
    csv_answer = world.client.get("/api/v1/quarantine", params={"format": "csv"}, headers=world.as_("company_admin"))
    assert csv_answer.status_code == 200
    lines = csv_answer.text.lstrip("\ufeff").splitlines()
    assert lines[0].startswith("id,company_id,point_id,point_ref,ts,value")
    assert len(lines) == 2  # the world's one quarantined reading of company A only
    everyone = world.client.get("/api/v1/quarantine", headers=world.as_("platform_admin")).json()["items"]
    assert len(everyone) == 3
    xlsx = world.client.get("/api/v1/quarantine", params={"format": "xlsx"}, headers=world.as_("platform_admin"))
    assert xlsx.content[:2] == b"PK"


def test_data_quality_of_a_point_and_a_company(world):
    a = world.tenants["A"]
    day = dt.datetime(2026, 3, 2, tzinfo=KST)
    # the world holds 96 readings of the main meter on 2 March; drop one interval in the middle as estimated
    readings = [{"point": "c1.line1.kwh", "ts": (day + dt.timedelta(minutes=15 * i)).isoformat(), "value": 1.0}
                for i in range(96) if i != 40]
    answer = world.client.post("/api/v1/ingest", json={"readings": readings}, headers=world.as_("device")).json()
    assert answer["summary"]["estimated"] == 1
    params = {"start": day.isoformat(), "end": (day + dt.timedelta(days=1)).isoformat()}
    point = world.client.get(f"/api/v1/quality/points/{a.line_point_id}", params=params,
                             headers=world.as_("company_member")).json()
    assert (point["expected"], point["present"], point["estimated"], point["rejected"]) == (96, 96, 1, 0)
    assert point["completeness_pct"] == 100.0
    assert point["estimated_pct"] == round(100 / 96, 2)
    company = world.client.get(f"/api/v1/quality/companies/{a.company_id}", params=params,
                               headers=world.as_("company_member")).json()
    by_code = {p["code"]: p for p in company["points"]}
    assert by_code["c1.main.kwh"]["present"] == 96
    assert by_code["c1.main.kwh"]["rejected"] == 0  # the world's rejected reading lies on 3 March
    assert by_code["c1.main.kw"]["expected"] == 1440
    assert by_code["c1.main.kw"]["completeness_pct"] == 0.0
    assert company["expected"] == 96 + 96 + 1440
    assert company["completeness_pct"] == round(100 * 192 / (192 + 1440), 2)
    exported = world.client.get(f"/api/v1/quality/companies/{a.company_id}",
                                params={**params, "format": "csv"}, headers=world.as_("company_member"))
    assert exported.text.lstrip("\ufeff").splitlines()[0].startswith("point_id,code,name,interval_s,expected")
    next_day = {"start": (day + dt.timedelta(days=1)).isoformat(), "end": (day + dt.timedelta(days=2)).isoformat()}
    later = world.client.get(f"/api/v1/quality/points/{a.main_point_id}", params=next_day,
                             headers=world.as_("company_member")).json()
    assert later["rejected"] == 1
    assert_problem(world.client.get(f"/api/v1/quality/points/{world.tenants['B'].main_point_id}", params=params,
                                    headers=world.as_("company_member")), 404)


def test_an_estimate_gives_way_to_the_measured_reading(world):
    a = world.tenants["A"]
    body = {"readings": [{"point": "c1.main.kwh", "ts": _ts(0), "value": 1.0},
                         {"point": "c1.main.kwh", "ts": _ts(2), "value": 3.0}]}
    assert world.client.post("/api/v1/ingest", json=body, headers=world.as_("device")).json()["summary"][
        "estimated"] == 1
    late = {"readings": [{"point": "c1.main.kwh", "ts": _ts(1), "value": 2.5}]}
    answer = world.client.post("/api/v1/ingest", json=late, headers=world.as_("device")).json()
    assert answer["readings"][0]["status"] == "replaced"
    rows = world.conn.execute(text("SELECT value, quality FROM readings WHERE point_id = :p AND ts = :t"),
                              {"p": a.main_point_id, "t": to_epoch_s(T0) + 900}).all()
    assert [tuple(r) for r in rows] == [(2.5, 0)]
