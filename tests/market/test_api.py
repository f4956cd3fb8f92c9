"""The local market through the API: set-up by the operator, orders by company admins, clearing
(day-ahead and intraday), public prices, each company's own trades, who may do what, and a
clearing repeated from the stored order book."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from fastapi.testclient import TestClient

from sandan.core.auth.models import Role
from sandan.core.tenancy.models import Company
from sandan.grid.market import service
from tests.api.support import API, World, assert_problem, bearer
from tests.factories import add_user, system

DAY = "2026-03-02"
NOON = 48  # 12:00-12:15 KST


def _setup(world: World) -> dict[str, str]:
    """Feeder 1 (company A) 200 kW, feeder 2 (company B) 2,000 kW; KEPCO import 120, export 60
    KRW/kWh all day; no battery.  Returns B's admin headers."""
    gy, a, b = world.complexes["GY"], world.tenants["A"].company_id, world.tenants["B"].company_id
    body = {"network": {"feeder_capacity_kw": [200, 2000], "import_capacity_kw": 10000, "export_capacity_kw": 10000},
            "battery": None, "grid_prices": {"import_krw_per_kwh": [120] * 24, "export_krw_per_kwh": [60] * 24},
            "company_nodes": {str(a): 1, str(b): 2}}
    r = world.client.put(f"{API}/complexes/{gy}/market/config", headers=world.as_("complex_operator"), json=body)
    assert r.status_code == 200, r.text
    assert r.json()["configured"] is True
    with world.db.session() as s:
        return bearer(add_user(s, world.tenants["B"], Role.company_admin, "admin@b.kr"))


def _order(world: World, headers: dict[str, str], tenant: str, *orders: dict[str, Any]) -> Any:
    return world.client.post(f"{API}/market/orders", headers=headers,
                             json={"company_id": world.tenants[tenant].company_id, "market_day": DAY,
                                   "orders": list(orders)})


def _clear(world: World, interval: int | None = None, role: str = "complex_operator") -> Any:
    body: dict[str, Any] = {"market_day": DAY} if interval is None else {"market_day": DAY, "interval": interval}
    return world.client.post(f"{API}/complexes/{world.complexes['GY']}/market/clear", headers=world.as_(role),
                             json=body)


def test_clearing_end_to_end_with_congestion_and_intraday(world: World) -> None:
    b_admin = _setup(world)
    gy = world.complexes["GY"]
    # A (feeder 1) offers 100 kWh @ 50; B (feeder 2) bids 100 kWh @ 200, both at 12:00.
    assert _order(world, world.as_("company_admin"), "A",
                  {"interval": NOON, "side": "sell", "price_krw_per_kwh": 50, "quantity_kwh": 100}).status_code == 201
    r = _order(world, b_admin, "B", {"interval": NOON, "side": "buy", "price_krw_per_kwh": 200, "quantity_kwh": 100})
    assert r.status_code == 201, r.text
    assert r.json()["items"][0]["node"] == 2  # the node comes from the set-up, not the order
    run = _clear(world)
    assert run.status_code == 201, run.text
    results = run.json()["results"]
    # Feeder 1 exports only 50 kWh a quarter hour (200 kW): A sells 50 kWh and sets node 1 at 50;
    # the bus and node 2 are at KEPCO's 120 (50 kWh imported).
    assert results["price_krw_per_kwh"][NOON] == pytest.approx([120, 50, 120])
    assert run.json()["welfare_krw"] == pytest.approx(200 * 100 - 50 * 50 - 120 * 50)  # 11,500 KRW
    ledger = {line["kind"]: line["pays_won"] for line in results["ledger"] if line["interval"] == NOON}
    # KEPCO is paid 120·50 = 6,000; the feeder's rent (50 − 120)·(−50) = 3,500 stays with the complex.
    assert ledger == {"kepco_import": -6000, "feeder_rent": -3500}
    prices = world.client.get(f"{API}/complexes/{gy}/market/prices", params={"market_day": DAY},
                              headers=world.as_("company_member")).json()
    noon = next(i for i in prices["intervals"] if i["interval"] == NOON)
    assert noon["congested"] is True
    assert noon["start"].startswith("2026-03-02T12:00:00+09:00")
    # A sees its own trade: 50 kWh sold at 50 → paid 2,500 won; B's trade is not in A's list.
    mine = world.client.get(f"{API}/companies/{world.tenants['A'].company_id}/market/trades",
                            params={"market_day": DAY}, headers=world.as_("company_member")).json()
    assert [(t["side"], t["energy_kwh"], t["price_krw_per_kwh"], t["pays_won"]) for t in mine["items"]] == \
        [("sell", pytest.approx(50), pytest.approx(50), -2500)]
    theirs = world.client.get(f"{API}/companies/{world.tenants['B'].company_id}/market/trades",
                              params={"market_day": DAY}, headers=world.as_("company_member"))
    assert_problem(theirs, 404)
    b_trades = world.client.get(f"{API}/companies/{world.tenants['B'].company_id}/market/trades",
                                params={"market_day": DAY}, headers=b_admin).json()
    assert b_trades["total_pays_won"] == 12_000  # 100 kWh at 120
    # Intraday: A adds a 30 kWh bid @ 100 at noon and the quarter hour is re-cleared.  Node 1 now
    # uses 30 kWh locally and still exports 50: A's offer runs 80 kWh, node 1 stays at 50, so A
    # is paid 80·50 = 4,000 and pays 30·50 = 1,500.
    assert _order(world, world.as_("company_admin"), "A",
                  {"interval": NOON, "side": "buy", "price_krw_per_kwh": 100, "quantity_kwh": 30}).status_code == 201
    intraday = _clear(world, NOON)
    assert intraday.status_code == 201, intraday.text
    assert intraday.json()["results"]["price_krw_per_kwh"] == [pytest.approx([120, 50, 120])]
    mine = world.client.get(f"{API}/companies/{world.tenants['A'].company_id}/market/trades",
                            params={"market_day": DAY}, headers=world.as_("company_admin")).json()
    assert sorted((t["side"], round(t["energy_kwh"], 6), t["pays_won"]) for t in mine["items"]) == \
        [("buy", 30.0, 1500), ("sell", 80.0, -4000)]
    assert mine["total_pays_won"] == -2500
    prices = world.client.get(f"{API}/complexes/{gy}/market/prices", params={"market_day": DAY},
                              headers=world.as_("verifier")).json()
    assert next(i for i in prices["intervals"] if i["interval"] == NOON)["kind"] == "intraday"
    # Both runs repeat exactly from the stored order book and inputs.
    with world.db.session() as s:
        system(s)
        for run_id in (run.json()["id"], intraday.json()["id"]):
            stored, again, digest = service.replay_run(s, run_id)
            assert digest == stored.digest
            assert again.welfare_krw == pytest.approx(stored.welfare_krw, abs=1e-9)
            np.testing.assert_allclose(again.price_krw_per_kwh, stored.results["price_krw_per_kwh"], atol=1e-6)


def test_who_may_order_clear_and_configure(world: World) -> None:
    # Orders: only the company's admins (the member, device and auditor read A; the operator and
    # the verifier may not write it).
    for role in ("company_member", "device", "auditor", "complex_operator", "verifier"):
        r = _order(world, world.as_(role), "A", {"interval": 0, "side": "buy", "price_krw_per_kwh": 1,
                                                 "quantity_kwh": 1})
        assert r.status_code in (403, 404), (role, r.text)
    # Clearing and the set-up: only the complex's operators.
    for role in ("company_admin", "company_member", "auditor", "complex_auditor", "verifier"):
        assert_problem(_clear(world, role=role), 403)
        r = world.client.put(f"{API}/complexes/{world.complexes['GY']}/market/config", headers=world.as_(role),
                             json={"network": {"import_capacity_kw": 1, "export_capacity_kw": 1},
                                   "grid_prices": {"import_krw_per_kwh": [1] * 24, "export_krw_per_kwh": [1] * 24}})
        assert_problem(r, 403)
    r = world.client.post(f"{API}/complexes/{world.complexes['CW']}/market/clear",
                          headers=world.as_("complex_operator"), json={"market_day": DAY})
    assert_problem(r, 403)


def test_bad_set_ups_and_orders_are_refused(world: World) -> None:
    gy = world.complexes["GY"]
    op = world.as_("complex_operator")
    base = {"network": {"feeder_capacity_kw": [100], "import_capacity_kw": 10, "export_capacity_kw": 10},
            "grid_prices": {"import_krw_per_kwh": [100] * 24, "export_krw_per_kwh": [50] * 24}}
    bad_prices = {**base, "grid_prices": {"import_krw_per_kwh": [100] * 24, "export_krw_per_kwh": [150] * 24}}
    assert "export price" in assert_problem(world.client.put(f"{API}/complexes/{gy}/market/config", headers=op,
                                                             json=bad_prices), 422)["detail"]
    foreign = {**base, "company_nodes": {str(world.tenants["C"].company_id): 1}}
    assert_problem(world.client.put(f"{API}/complexes/{gy}/market/config", headers=op, json=foreign), 422)
    bad_node = {**base, "company_nodes": {str(world.tenants["A"].company_id): 5}}
    assert_problem(world.client.put(f"{API}/complexes/{gy}/market/config", headers=op, json=bad_node), 422)
    r = _order(world, world.as_("company_admin"), "A",
               {"interval": 96, "side": "buy", "price_krw_per_kwh": 1, "quantity_kwh": 1})
    assert_problem(r, 422)


def test_market_page_in_korean_and_english(world: World) -> None:
    b_admin = _setup(world)
    _order(world, world.as_("company_admin"), "A",
           {"interval": NOON, "side": "sell", "price_krw_per_kwh": 50, "quantity_kwh": 100})
    _order(world, b_admin, "B", {"interval": NOON, "side": "buy", "price_krw_per_kwh": 200, "quantity_kwh": 100})
    assert _clear(world).status_code == 201
    path = f"/complexes/{world.complexes['GY']}/market?day={DAY}"
    korean = world.client.get(path, headers=world.as_("company_admin"))
    assert korean.status_code == 200, korean.text
    assert "15분 구간별 청산 가격" in korean.text
    assert "제약 발생" in korean.text  # noon is congested
    assert 'data-order="' in korean.text  # A's own trade
    assert '<td class="num">-2,500</td>' in korean.text  # 50 kWh sold at 50 KRW/kWh
    world.client.cookies.set("sandan_lang", "en")
    english = world.client.get(path, headers=world.as_("company_admin")).text
    assert "Clearing prices per quarter hour" in english
    assert "Power market" in english  # the navigation entry
    world.client.cookies.clear()
    plain = TestClient(world.client.app)  # pages answer errors as HTML pages, not problem+json
    wrong = plain.get(f"/complexes/{world.complexes['GY']}/market?day=not-a-day", headers=world.as_("company_admin"))
    assert wrong.status_code == 422
    assert "text/html" in wrong.headers["content-type"]


def _ppa_body(world: World, brn: str, capacity_kw: float, start: str = "2026-01-01") -> dict[str, Any]:
    return {"company_id": world.tenants["A"].company_id, "buyer_brn": brn, "title": "지붕 태양광",
            "seller_capacity_kw": capacity_kw, "buyer_contract_kw": 500,
            "terms": {"price_type": "smp_indexed", "price_krw_per_kwh": 10, "floor_krw_per_kwh": 90,
                      "cap_krw_per_kwh": 160, "volume_type": "pay_as_produced", "share": 0.4, "start": start,
                      "end": "2036-01-01"}}


def test_direct_ppa_drafted_signed_by_both_and_active(world: World) -> None:
    b_admin = _setup(world)
    with world.db.session() as s:
        system(s)
        brn_b = s.get(Company, world.tenants["B"].company_id).brn  # type: ignore[union-attr]
        brn_c = s.get(Company, world.tenants["C"].company_id).brn  # type: ignore[union-attr]
    # A sells to B (the shipped rules: seller ≥ 1,000 kW, buyer ≥ 300 kW, term ≤ 25 years).
    r = world.client.post(f"{API}/ppas", headers=world.as_("company_admin"), json=_ppa_body(world, brn_b, 1200))
    assert r.status_code == 201, r.text
    contract = r.json()
    assert (contract["status"], contract["findings"]) == ("draft", [])
    assert contract["buyer_company_id"] == world.tenants["B"].company_id
    # B (the buyer) reads it; a company member of A cannot sign.
    assert world.client.get(f"{API}/ppas/{contract['id']}", headers=b_admin).status_code == 200
    listed = world.client.get(f"{API}/companies/{world.tenants['B'].company_id}/ppas", headers=b_admin).json()
    assert [p["id"] for p in listed["items"]] == [world.ppas["B"], contract["id"]]  # B's own offer, then A's
    assert_problem(world.client.post(f"{API}/ppas/{contract['id']}/sign", headers=world.as_("company_member")), 403)
    signed = world.client.post(f"{API}/ppas/{contract['id']}/sign", headers=world.as_("company_admin")).json()
    assert (signed["status"], signed["seller_signed"], signed["buyer_signed"]) == ("draft", True, False)
    # The buyer's signature completes it; its term began on 2026-01-01, so it is active at once.
    done = world.client.post(f"{API}/ppas/{contract['id']}/sign", headers=b_admin).json()
    assert (done["status"], done["seller_signed"], done["buyer_signed"]) == ("active", True, True)
    assert_problem(world.client.post(f"{API}/ppas/{contract['id']}/sign", headers=b_admin), 409)
    # A plant of 800 kW breaks the seller rule: signed by both, but never active.
    small = world.client.post(f"{API}/ppas", headers=world.as_("company_admin"),
                              json=_ppa_body(world, brn_b, 800)).json()
    assert [f["code"] for f in small["findings"]] == ["seller_capacity"]
    world.client.post(f"{API}/ppas/{small['id']}/sign", headers=world.as_("company_admin"))
    assert world.client.post(f"{API}/ppas/{small['id']}/sign", headers=b_admin).json()["status"] == "signed"
    # A buyer outside the complex is not found by its number.
    body = assert_problem(world.client.post(f"{API}/ppas", headers=world.as_("company_admin"),
                                            json=_ppa_body(world, brn_c, 1200)), 422)
    assert body["field"] == "buyer_brn"
    # The market page lists B's contracts for B's admin: its own offer and the two bought from A.
    page_b = world.client.get(f"/complexes/{world.complexes['GY']}/market", headers=b_admin).text
    assert f'data-ppa="{contract["id"]}"' in page_b
    assert "발효" in page_b
    assert "구매자" in page_b
    assert "seller_capacity" in page_b


def test_demo_market_is_set_up_filled_and_cleared_once(world: World) -> None:
    import datetime as dt

    from sandan.core.timeutil import KST, to_epoch_s
    from sandan.demo.market import load_market

    end_s = to_epoch_s(dt.datetime(2026, 3, 2, 18, tzinfo=KST))
    with world.db.session() as s:
        system(s)
        assert load_market(s, world.complexes["GY"], end_s) > 0
        assert load_market(s, world.complexes["GY"], end_s) == 0  # a second load adds nothing
    runs = world.client.get(f"{API}/complexes/{world.complexes['GY']}/market/runs", params={"market_day": DAY},
                            headers=world.as_("company_member")).json()
    assert len(runs) == 1
    assert runs[0]["orders"] > 0
    trades = world.client.get(f"{API}/companies/{world.tenants['A'].company_id}/market/trades",
                              params={"market_day": DAY}, headers=world.as_("company_member")).json()
    assert trades["items"], "company A (a seller on feeder 1) trades in the demo"
