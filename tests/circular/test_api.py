"""Streams, permits, matching runs and decisions through the API, on both databases.

The world is tests/api/support.py's: companies A and B in complex GY, C in CW, a token per role
bound to A or GY.  Each test archives the world's own circular streams first, so the numbers below
come only from the streams the test declares.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select, update

from sandan.circular.models import Recommendation, Stream
from sandan.core.auth.models import Role
from sandan.core.tenancy.models import Company
from tests.api.support import API, World, assert_problem, bearer, rolled_back
from tests.factories import add_user, system

LAT, LON = 34.90, 127.70
ROAD_KM = 6371.0 * math.pi / 180 * 0.01 * 1.3  # 0.01° of latitude by road: 1.445534 km


@pytest.fixture
def world(module_world: World) -> Iterator[World]:
    """The module's world (built once per database), each test in a savepoint undone after it."""
    with rolled_back(module_world.conn):
        with module_world.db.session() as s:
            system(s)
            s.execute(update(Stream).values(active=False))
        yield module_world


def admin_of(world: World, tenant: str) -> dict[str, str]:
    with world.db.session() as s:
        return bearer(add_user(s, world.tenants[tenant], Role.company_admin, f"admin-{tenant.lower()}@circ.kr"))


def post_stream(world: World, tenant: str, headers: dict[str, str], **body: Any) -> Any:
    return world.client.post(f"{API}/circular/companies/{world.tenants[tenant].company_id}/streams",
                             headers=headers, json=body)


SLAG = {"direction": "out", "kind": "by_product", "material": "고로 슬래그", "kr_code": "51-03-01",
        "quantity_per_month": 100.0, "treatment": "landfill", "treatment_cost_krw_per_unit": 100_000,
        "lat": LAT, "lon": LON}
CLINKER = {"direction": "in", "kind": "raw_material", "material": "클링커 대체", "substitutes": "cement_clinker",
           "quantity_per_month": 60.0, "virgin_price_krw_per_unit": 90_000, "processing_cost_krw_per_unit": 5_000,
           "lat": LAT + 0.01, "lon": LON}


def count_streams(world: World) -> int:
    with world.db.session() as s:
        system(s)
        return int(s.execute(select(func.count()).select_from(Stream)).scalar_one())


def test_the_eu_code_and_the_hazard_follow_from_the_korean_class(world: World) -> None:
    response = post_stream(world, "A", world.as_("company_admin"), direction="out", kind="waste", material="폐황산",
                           kr_code="02-01-02", quantity_per_month=20.0)
    assert response.status_code == 201, response.text
    body = response.json()
    assert (body["ewc_code"], body["hazardous"]) == ("06 01 01*", True)
    assert (body["lat"], body["lon"]) == (34.9, 127.7)  # the company's location when none is given


@pytest.mark.parametrize(("change", "field", "words"), [
    ({"kr_code": "51-99-01"}, "kr_code", "unknown Korean waste class"),
    ({"kr_code": "5103"}, "kr_code", "unknown Korean waste class"),
    ({"quantity_per_month": -5.0}, "quantity_per_month", "greater than 0"),
    ({"ewc_code": "99 99 99"}, "ewc_code", "unknown EU List of Waste entry"),
    ({"kr_code": "02-01-02", "hazardous": False}, "hazardous", "hazardous class"),
    ({"unit": "GJ"}, "unit", "measured in t"),
    ({"current_receiver_brn": "999-99-99999"}, "current_receiver_brn", ""),
])
def test_bad_streams_are_refused_with_a_clear_problem_and_nothing_written(
        world: World, change: dict[str, Any], field: str, words: str) -> None:
    before = count_streams(world)
    body = assert_problem(post_stream(world, "A", world.as_("company_admin"), **{**SLAG, **change}), 422)
    assert field in (body.get("field") or body["detail"]), body
    assert words in body["detail"], body
    assert count_streams(world) == before


def test_a_receiver_outside_the_complex_is_refused(world: World) -> None:
    with world.db.session() as s:
        system(s)
        brn_b, brn_c = (s.get(Company, world.tenants[t].company_id).brn for t in "BC")  # type: ignore[union-attr]
    before = count_streams(world)
    body = assert_problem(post_stream(world, "A", world.as_("company_admin"), **SLAG, current_receiver_brn=brn_c), 422)
    assert "not a company of this complex" in body["detail"]
    assert count_streams(world) == before
    ok = post_stream(world, "A", world.as_("company_admin"), **SLAG, current_receiver_brn=brn_b)
    assert ok.status_code == 201, ok.text
    assert ok.json()["current_receiver_company_id"] == world.tenants["B"].company_id


def run(world: World) -> dict[str, Any]:
    response = world.client.post(f"{API}/circular/complexes/{world.complexes['GY']}/matching-runs",
                                 headers=world.as_("complex_operator"), json={})
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


def recommendations(world: World, tenant: str, headers: dict[str, str]) -> list[dict[str, Any]]:
    response = world.client.get(f"{API}/circular/companies/{world.tenants[tenant].company_id}/recommendations",
                                headers=headers)
    assert response.status_code == 200, response.text
    return [r for r in response.json()["items"] if r["explanation"] != "world"]


def test_matching_recommends_explains_and_discloses_only_after_both_agree(world: World) -> None:
    admin_b = admin_of(world, "B")
    assert post_stream(world, "A", world.as_("company_admin"), **SLAG).status_code == 201
    assert post_stream(world, "B", admin_b, **CLINKER).status_code == 201
    summary = run(world)
    # 60 t (B's capacity) × (100,000 avoided landfill + 0.8 × 90,000 clinker − 1.445534 km × 150 ₩/t-km
    # − 5,000 processing) = 60 × 166,783.17 = 10,006,990 ₩/month; greedy finds the same single pair
    per_t = 100_000 + 0.8 * 90_000 - ROAD_KM * 150 - 5_000
    assert summary["value_krw_per_month"] == round(60 * per_t) == 10_006_990
    assert summary["greedy_value_krw_per_month"] == summary["value_krw_per_month"]
    assert (summary["assigned_pairs"], summary["recommendations_created"]) == (1, 2)

    (mine,) = recommendations(world, "A", world.as_("company_admin"))
    assert (mine["side"], mine["quantity_per_month"], mine["value_krw_per_month"]) == ("supplier", 60.0, 10_006_990)
    assert "60.0 t/month of iron and steel slag (51-03-01, EU 10 02 02)" in mine["explanation"]
    assert mine["counterpart"]["material"] == "클링커 대체"
    assert mine["disclosed"] is None
    with world.db.session() as s:
        system(s)
        b = s.get(Company, world.tenants["B"].company_id)
        assert b is not None
        secrets = (b.name, b.brn, f'"company_id": {b.id}', f'"company_id":{b.id}')
    page = world.client.get(f"{API}/circular/companies/{world.tenants['A'].company_id}/recommendations",
                            headers=world.as_("company_admin")).text
    assert not any(secret in page for secret in secrets), "B is named to A before B agreed"

    decision = f"{API}/circular/recommendations/{mine['id']}/decision"
    assert_problem(world.client.post(decision, headers=world.as_("company_member"), json={"decision": "accepted"}),
                   403)
    accepted = world.client.post(decision, headers=world.as_("company_admin"), json={"decision": "accepted"})
    assert accepted.status_code == 200, accepted.text
    assert accepted.json()["disclosed"] is None  # B has not agreed yet
    (theirs,) = recommendations(world, "B", admin_b)
    assert (theirs["side"], theirs["counterpart_decision"], theirs["disclosed"]) == ("receiver", "accepted", None)

    introduced = world.client.post(f"{API}/circular/recommendations/{theirs['id']}/decision", headers=admin_b,
                                   json={"decision": "introduce"})
    assert introduced.status_code == 200, introduced.text
    assert introduced.json()["disclosed"]["company_id"] == world.tenants["A"].company_id
    (mine,) = recommendations(world, "A", world.as_("company_admin"))
    assert mine["disclosed"]["name"] == secrets[0]
    assert_problem(world.client.post(decision, headers=world.as_("company_admin"),
                                     json={"decision": "rejected", "reason": "price"}), 409)

    flows = world.client.get(f"{API}/circular/complexes/{world.complexes['GY']}/flows",
                             headers=world.as_("complex_operator")).json()["items"]
    (flow,) = [f for f in flows if f["key"].startswith(f"{world.complexes['GY']}-")]
    assert flow["status"] == "proposed"  # accepted by A, B asked for an introduction
    assert (flow["source"]["company_id"], flow["target"]["company_id"]) == (
        world.tenants["A"].company_id, world.tenants["B"].company_id)
    # C's admin sees nothing of GY's flows
    admin_c = admin_of(world, "C")
    assert world.client.get(f"{API}/circular/complexes/{world.complexes['GY']}/flows",
                            headers=admin_c).json()["items"] == []


def test_a_rejection_needs_a_reason_and_the_pair_is_not_proposed_again(world: World) -> None:
    admin_b = admin_of(world, "B")
    post_stream(world, "A", world.as_("company_admin"), **SLAG)
    post_stream(world, "B", admin_b, **CLINKER)
    run(world)
    (theirs,) = recommendations(world, "B", admin_b)
    url = f"{API}/circular/recommendations/{theirs['id']}/decision"
    body = assert_problem(world.client.post(url, headers=admin_b, json={"decision": "rejected"}), 422)
    assert body["field"] == "reason"
    rejected = world.client.post(url, headers=admin_b, json={"decision": "rejected", "reason": "quality"})
    assert rejected.status_code == 200, rejected.text
    (mine,) = recommendations(world, "A", world.as_("company_admin"))
    assert mine["counterpart_decision"] == "rejected"
    assert mine["disclosed"] is None
    again = run(world)
    assert again["removed"] == {"rejected_before": 1}
    assert again["recommendations_created"] == 0


def test_a_hazardous_stream_is_recommended_only_once_the_receiver_holds_the_permit(world: World) -> None:
    admin_b = admin_of(world, "B")
    post_stream(world, "A", world.as_("company_admin"), direction="out", kind="waste", material="폐황산",
                kr_code="02-01-02", quantity_per_month=20.0, treatment="incineration",
                treatment_cost_krw_per_unit=300_000, lat=LAT, lon=LON)
    post_stream(world, "B", admin_b, direction="in", kind="raw_material", material="황산", accepts=["02-01-00"],
                substitutes="sulphuric_acid", quantity_per_month=30.0, lat=LAT, lon=LON)
    company_b = world.tenants["B"].company_id
    permits = f"{API}/circular/companies/{company_b}/permits"
    plain = world.client.post(permits, headers=admin_b, json={"permit_no": "P-1", "code_prefix": "02-01-00"})
    assert plain.status_code == 201, plain.text
    first = run(world)
    assert first["removed"] == {"hazard_permit": 1}
    assert first["assigned_pairs"] == 0
    hazardous = world.client.post(permits, headers=admin_b, json={"permit_no": "P-2", "code_prefix": "02-00-00",
                                                                  "hazardous": True, "capacity_per_month": 12})
    assert hazardous.status_code == 201, hazardous.text
    second = run(world)
    # the permit's 12 t/month binds (20 t offered, 30 t wanted): 12 × (300,000 + 0.5 × 120,000) = 4,320,000 ₩
    assert second["value_krw_per_month"] == 12 * (300_000 + 60_000) == 4_320_000
    with world.db.session() as s:
        system(s)
        sides = list(s.execute(select(Recommendation).where(Recommendation.complex_id == world.complexes["GY"])
                               ).scalars())
    assert {(r.company_id, r.quantity_per_month) for r in sides} == {
        (world.tenants["A"].company_id, 12.0), (company_b, 12.0)}


def test_pages_draw_the_flows_and_keep_the_counterpart_anonymous(world: World) -> None:
    admin_b = admin_of(world, "B")
    post_stream(world, "A", world.as_("company_admin"), **SLAG)
    post_stream(world, "B", admin_b, **CLINKER)
    run(world)
    gy = world.complexes["GY"]
    korean = world.client.get(f"/circular/complexes/{gy}", headers=world.as_("complex_operator"))
    assert korean.status_code == 200, korean.text
    assert "공생 지도" in korean.text
    assert korean.text.count('class="flow flow-proposed"') == 1  # one arrow, A → B, both ends visible
    world.client.cookies.set("sandan_lang", "en")
    try:
        english = world.client.get(f"/circular/complexes/{gy}?status=accepted", headers=world.as_("complex_operator"))
        assert "Symbiosis map" in english.text
        assert 'class="flow flow-proposed"' not in english.text  # filtered out
        mine = world.client.get(f"/circular/companies/{world.tenants['A'].company_id}",
                                headers=world.as_("company_admin"))
        assert mine.status_code == 200, mine.text
        assert "60.0 t/month of iron and steel slag" in mine.text
        with world.db.session() as s:
            system(s)
            name_b = s.get(Company, world.tenants["B"].company_id).name  # type: ignore[union-attr]
        assert name_b not in mine.text
        # pages answer HTML error pages, not problem+json: ask past the API client's check
        foreign = TestClient.request(world.client, "GET", f"/circular/companies/{world.tenants['B'].company_id}",
                                     headers=world.as_("company_admin"))
        assert foreign.status_code == 404
    finally:
        world.client.cookies.delete("sandan_lang")
