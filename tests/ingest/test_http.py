"""HTTP ingest: JSON and CSV batches answered per reading, resends, tenancy, bad input, limits."""

from __future__ import annotations

import datetime as dt
import json
import re

from sqlalchemy import text

from sandan.core.timeutil import KST, to_epoch_s
from tests.api.support import assert_problem, bearer

URL = "/api/v1/ingest"
T0 = dt.datetime(2026, 3, 10, tzinfo=KST)


def _ts(i: int) -> str:
    return (T0 + dt.timedelta(minutes=15 * i)).isoformat()


def _readings(world, point_id: int) -> list[tuple[int, float, int]]:
    return [tuple(r) for r in world.conn.execute(text(
        "SELECT ts, value, quality FROM readings WHERE point_id = :p AND ts >= :lo ORDER BY ts"),
        {"p": point_id, "lo": to_epoch_s(T0)}).all()]


def _quarantine(world, **where):
    clause = " AND ".join(f"{k} = :{k}" for k in where) or "1 = 1"
    return world.conn.execute(text(f"SELECT reason_code, company_id, point_ref, source, source_ref, raw "
                                   f"FROM quarantine WHERE {clause} ORDER BY id"), where).all()


def test_json_batch_is_answered_per_reading_and_a_resend_changes_nothing(world):
    a = world.tenants["A"]
    body = {"source_ref": "gateway-7", "readings": [
        {"point": "c1.main.kwh", "ts": _ts(0), "value": 1.5, "unit": "kWh", "quality": "measured"},
        {"point": a.main_point_id, "ts": to_epoch_s(T0) + 900, "value": 2000, "unit": "Wh"},
        {"point": "c1.main.kwh", "ts": _ts(2), "value": 2.5}]}
    response = world.client.post(URL, json=body, headers=world.as_("device"))
    assert response.status_code == 200, response.text
    answer = response.json()
    assert [r["status"] for r in answer["readings"]] == ["stored", "stored", "stored"]
    assert answer["summary"]["stored"] == 3
    assert answer["summary"]["received"] == 3
    assert _readings(world, a.main_point_id) == [(to_epoch_s(T0), 1.5, 0), (to_epoch_s(T0) + 900, 2.0, 0),
                                                 (to_epoch_s(T0) + 1800, 2.5, 0)]
    again = world.client.post(URL, json=body, headers=world.as_("device")).json()
    assert [r["status"] for r in again["readings"]] == ["duplicate"] * 3
    assert again["summary"]["stored"] == 0
    assert len(_readings(world, a.main_point_id)) == 3


def test_csv_batch(world):
    a = world.tenants["A"]
    csv_body = ("point,ts,value,unit,quality\n"
                f"c1.main.kwh,{_ts(0)},1.0,kWh,measured\n"
                f"c1.main.kwh,{_ts(1)},abc,kWh,measured\n"
                f"c1.main.kwh,{_ts(2)},3.0,,\n"
                "c1.main.kwh,only-two-cells\n")
    response = world.client.post(URL, content=csv_body.encode(), headers={
        **world.as_("company_member"), "content-type": "text/csv"})
    assert response.status_code == 200, response.text
    items = response.json()["readings"]
    assert [(r["status"], r.get("reason_code")) for r in items] == [
        ("stored", None), ("rejected", "not_a_number"), ("stored", None), ("rejected", "bad_payload")]
    # the missing interval at index 1 is estimated from its neighbours
    assert _readings(world, a.main_point_id) == [(to_epoch_s(T0), 1.0, 0), (to_epoch_s(T0) + 900, 2.0, 1),
                                                 (to_epoch_s(T0) + 1800, 3.0, 0)]
    assert response.json()["summary"]["estimated"] == 1
    assert [q[0] for q in _quarantine(world, source="http")] == ["not_a_number", "bad_payload"]


def test_a_device_cannot_write_another_companys_points_and_cannot_tell_them_from_missing_ones(world):
    b = world.tenants["B"]
    body = {"readings": [{"point": "c2.main.kwh", "ts": _ts(0), "value": 1.0},
                         {"point": b.main_point_id, "ts": _ts(0), "value": 1.0},
                         {"point": "nope.kwh", "ts": _ts(0), "value": 1.0},
                         {"point": 987654321, "ts": _ts(0), "value": 1.0}]}
    response = world.client.post(URL, json=body, headers=world.as_("device"))
    assert response.status_code == 200
    items = response.json()["readings"]
    assert {r["reason_code"] for r in items} == {"unknown_point"}
    assert [re.sub(r"'[^']*'", "'X'", r["reason"]) for r in items] == ["unknown point 'X'"] * 4
    assert _readings(world, b.main_point_id) == []
    # the rejected rows sit in the device's own company's quarantine, never in the foreign company's
    rows = _quarantine(world, reason_code="unknown_point")
    assert {r[1] for r in rows} == {world.tenants["A"].company_id}


def test_bad_readings_are_rejected_with_their_reason_and_quarantined(world):
    a = world.tenants["A"]
    far = (dt.datetime.now(dt.UTC) + dt.timedelta(days=30)).replace(minute=0, second=0, microsecond=0)
    raw = ('{"readings": ['
           f'{{"point": "c1.main.kwh", "ts": "{_ts(0)}", "value": NaN}},'
           f'{{"point": "c1.main.kwh", "ts": "{_ts(1)}", "value": Infinity}},'
           f'{{"point": "c1.main.kwh", "ts": "{far.isoformat()}", "value": 1}},'
           f'{{"point": "c1.main.kwh", "ts": "{_ts(3)}", "value": -4}},'
           f'{{"point": "c1.main.kwh", "ts": "{_ts(4)}", "value": 1, "unit": "Nm3"}},'
           f'{{"point": "c1.main.kwh", "ts": "{_ts(5)}", "value": 1, "unit": "zorks"}},'
           f'{{"point": "c1.main.kwh", "ts": "2026-03-10 10:00", "value": 1}},'
           f'{{"point": "c1.main.kwh", "ts": "{_ts(7)}", "value": 1, "quality": "edited"}},'
           '"not an object"]}')
    response = world.client.post(URL, content=raw.encode(), headers={**world.as_("device"),
                                                                      "content-type": "application/json"})
    assert response.status_code == 200, response.text
    codes = [r.get("reason_code") for r in response.json()["readings"]]
    # the main meter accepts 0 .. 1e6 kWh: a negative interval total is caught as such first
    assert codes == ["not_finite", "not_finite", "future_timestamp", "negative_interval", "unit_mismatch",
                     "unknown_unit", "bad_timestamp", "bad_quality", "bad_payload"]
    reasons = [r["reason"] for r in response.json()["readings"]]
    assert reasons[4] == "unit Nm3 does not measure active_energy (point c1.main.kwh is in kWh)"
    stored = _quarantine(world, source="http")
    assert [q[0] for q in stored] == codes
    assert all(q[4] == "device@sandan.test" and q[1] == a.company_id for q in stored)
    raw0 = stored[0][5] if isinstance(stored[0][5], dict) else json.loads(stored[0][5])
    assert raw0["value"] == "nan"  # the raw fragment is kept (NaN as text: JSON has none)
    assert _readings(world, a.main_point_id) == []


def test_counter_going_backwards_is_rejected(world):
    from sandan.core.tenancy import schemas, service
    from sandan.core.tenancy.models import Carrier, PointKind
    from tests.factories import system

    a = world.tenants["A"]
    with world.db.session() as s:
        system(s)
        service.create_point(s, schemas.PointCreate(
            site_id=a.site_id, code="c1.main.register", name="적산 전력량계", quantity="active_energy", unit="kWh",
            carrier=Carrier.electricity, kind=PointKind.cumulative, register_max=100_000))
    body = {"readings": [{"point": "c1.main.register", "ts": _ts(i), "value": v}
                         for i, v in enumerate([99_950.0, 99_990.0, 12.0, 30.0, 25.0, 40.0])]}
    items = world.client.post(URL, json=body, headers=world.as_("device")).json()["readings"]
    assert [(r["status"], r.get("reason_code"), r.get("warnings")) for r in items] == [
        ("stored", None, None), ("stored", None, None), ("stored", None, ["rollover"]), ("stored", None, None),
        ("rejected", "counter_backwards", None), ("stored", None, None)]
    assert "from 30 to 25 kWh" in items[4]["reason"]


def test_malformed_bodies_are_problems(world):
    headers = {**world.as_("device"), "content-type": "application/json"}
    assert_problem(world.client.post(URL, content=b'{"readings": [', headers=headers), 400)
    assert_problem(world.client.post(URL, content=b"\xff\xfe", headers=headers), 400)
    assert_problem(world.client.post(URL, content=b'{"points": []}', headers=headers), 422)
    assert_problem(world.client.post(URL, content=b"x", headers={**headers, "content-type": "text/plain"}), 415)
    assert_problem(world.client.post(URL, content=b"a,b\n1,2\n", headers={**headers, "content-type": "text/csv"}),
                   422)
    assert _quarantine(world, source="http") == []


def test_oversized_batches_and_rate_limit(world):
    from sandan.app import create_app
    from tests.api.support import ApiClient, api_settings

    app = create_app(world.db, api_settings(ingest_max_readings=3, ingest_rate_per_minute=2))
    with ApiClient(app, raise_server_exceptions=False) as client:
        token = world.tokens["device"]
        many = {"readings": [{"point": "c1.main.kwh", "ts": _ts(i), "value": 1.0} for i in range(4)]}
        body = assert_problem(client.post(URL, json=many, headers=bearer(token)), 413)
        assert "at most 3" in body["detail"]
        assert client.post(URL, json={"readings": []}, headers=bearer(token)).status_code == 200
        assert_problem(client.post(URL, json={"readings": []}, headers=bearer(token)), 429)
        # the limit is per token: another caller still gets through
        assert client.post(URL, json={"readings": []}, headers=world.as_("company_admin")).status_code == 200


def test_an_auditor_cannot_write_readings(world):
    body = {"readings": [{"point": "c1.main.kwh", "ts": _ts(0), "value": 1.0}]}
    answer = world.client.post(URL, json=body, headers=world.as_("auditor")).json()
    assert answer["readings"][0]["reason_code"] == "unknown_point"
    assert _readings(world, world.tenants["A"].main_point_id) == []
