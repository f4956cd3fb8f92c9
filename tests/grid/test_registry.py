"""The DER registry through the API: kinds, derived capacity, ESS safety limits, meters, owners."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from sandan.app import create_app
from sandan.core.auth.models import Role
from sandan.core.auth.policy import Principal
from sandan.db import Database
from sandan.settings import Settings
from tests.factories import Tenant, make_tenant
from tests.grid.world import token_for

URL = "/api/v1/ders"
PV = {"kind": "pv", "module_power_w": 550, "modules_per_string": 18, "strings": 12, "inverters": 2,
      "inverter_ac_kw": 50, "tilt_deg": 20, "azimuth_deg": 170}
BATTERY = {"kind": "battery", "installation": "indoor", "energy_kwh": 500, "power_kw": 250,
           "soc_min_pct": 10, "soc_max_pct": 80}
WIND = {"kind": "wind", "hub_height_m": 24, "curve_speeds_m_s": [3, 6, 9, 12, 25], "curve_power_kw": [0, 4, 12, 20, 20],
        "turbines": 3}
WASTE_HEAT = {"kind": "waste_heat", "technology": "orc", "heat_source": "소결로 배가스 320℃", "rated_kw": 400}


@pytest.fixture
def setup(db: Database) -> tuple[TestClient, Tenant, Tenant, dict[str, str]]:
    with db.session(principal=Principal.system("test")) as session:
        a, b = make_tenant(session, 1), make_tenant(session, 2)
        tokens = {"admin": token_for(session, a, Role.company_admin, "admin@a.example.kr"),
                  "member": token_for(session, a, Role.company_member, "member@a.example.kr")}
    client = TestClient(create_app(db, Settings(environment="test", secret_key="grid-tests-" + "s" * 40)))
    return client, a, b, tokens


def _auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _create(client: TestClient, token: str, site_id: int, spec: dict[str, Any], **extra: Any) -> Any:
    return client.post(URL, headers=_auth(token), json={"site_id": site_id, "name": "DER", "spec": spec, **extra})


def test_each_kind_registers_with_its_capacity(setup: Any) -> None:
    client, a, _, tokens = setup
    got = {}
    for spec in (PV, BATTERY, WIND, WASTE_HEAT):
        answer = _create(client, tokens["admin"], a.site_id, spec, point_id=a.main_point_id)
        assert answer.status_code == 201, answer.text
        body = answer.json()
        assert body["company_id"] == a.company_id
        got[body["kind"]] = body["capacity_kw"]
    # PV: 550 W × 18 modules × 12 strings = 118,800 W = 118.8 kWp (DC at STC)
    # battery: its rated power 250 kW; wind: curve maximum 20 kW × 3 turbines = 60 kW; waste heat: rated 400 kW
    assert got == pytest.approx({"pv": 118.8, "battery": 250.0, "wind": 60.0, "waste_heat": 400.0})
    listed = client.get(URL, headers=_auth(tokens["member"]), params={"kind": "battery"}).json()["items"]
    assert [d["kind"] for d in listed] == ["battery"]


def test_battery_soc_band_follows_the_korean_ess_rule(setup: Any) -> None:
    client, a, _, tokens = setup
    # indoor batteries may be charged to 80 % at most, outdoor to 90 % (reference/ess_safety_limits.csv)
    refused = _create(client, tokens["admin"], a.site_id, {**BATTERY, "soc_max_pct": 85})
    assert refused.status_code == 422, refused.text
    assert refused.json()["field"] == "spec.soc_max_pct"
    assert "80" in refused.json()["detail"]
    assert _create(client, tokens["admin"], a.site_id, {**BATTERY, "installation": "outdoor",
                                                        "soc_max_pct": 85}).status_code == 201
    assert _create(client, tokens["admin"], a.site_id, {**BATTERY, "installation": "outdoor",
                                                        "soc_max_pct": 91}).status_code == 422
    assert client.get(URL, headers=_auth(tokens["admin"]), params={"kind": "battery"}).json()["items"][0][
        "spec"]["soc_max_pct"] == 85


def test_bad_specs_and_meters_are_refused_and_write_nothing(setup: Any) -> None:
    client, a, b, tokens = setup
    cases = [
        ({**WIND, "curve_speeds_m_s": [3, 2, 9, 12, 25]}, {}),          # not ascending
        ({**WIND, "curve_power_kw": [0, 4]}, {}),                         # lengths differ
        ({**BATTERY, "soc_min_pct": 80, "soc_max_pct": 20}, {}),          # empty band
        (PV, {"point_id": a.power_point_id}),                             # a kW point is not an energy meter
    ]
    for spec, extra in cases:
        answer = _create(client, tokens["admin"], a.site_id, spec, **extra)
        assert answer.status_code == 422, (spec, extra, answer.text)
    # another company's site or meter: not found, as if it did not exist
    assert _create(client, tokens["admin"], b.site_id, PV).status_code == 404
    assert _create(client, tokens["admin"], a.site_id, PV, point_id=b.main_point_id).status_code == 404
    # a member reads but may not register
    assert _create(client, tokens["member"], a.site_id, PV).status_code == 403
    assert client.get(URL, headers=_auth(tokens["admin"])).json()["items"] == []


def test_update_keeps_the_kind_and_recomputes_capacity(setup: Any) -> None:
    client, a, _, tokens = setup
    der = _create(client, tokens["admin"], a.site_id, PV).json()
    changed = client.patch(f"{URL}/{der['id']}", headers=_auth(tokens["admin"]), json={"spec": {**PV, "strings": 6}})
    assert changed.status_code == 200, changed.text
    assert changed.json()["capacity_kw"] == pytest.approx(0.55 * 18 * 6)  # 59.4 kWp
    wrong = client.patch(f"{URL}/{der['id']}", headers=_auth(tokens["admin"]), json={"spec": BATTERY})
    assert wrong.status_code == 422
    assert client.delete(f"{URL}/{der['id']}", headers=_auth(tokens["admin"])).status_code == 204
    assert client.get(f"{URL}/{der['id']}", headers=_auth(tokens["admin"])).status_code == 404
