"""The bill routes end to end: a month of readings through the store, the contract entered, the
bill read back through the API (the same hand-worked figures as the pure tests)."""

from __future__ import annotations

import pandas as pd
import pytest

from sandan.core.timeutil import KST
from sandan.timeseries.store import write_readings
from tests.api.support import API, World

JULY = {"start": "2025-07-01T00:00:00+09:00", "end": "2025-08-01T00:00:00+09:00"}
CONTRACT = {"tariff": "industrial_eul", "voltage": "high_a", "choice": "II", "contract_kw": 1000,
            "deferred_reform": False, "reactive_metered": True}


def _july_readings(world: World) -> None:
    idx = pd.date_range("2025-07-01", "2025-08-01", freq="15min", tz=KST, inclusive="left")
    with world.db.session() as s:
        from tests.factories import system
        system(s)
        write_readings(s, pd.DataFrame({"point_id": world.tenants["A"].main_point_id,
                                        "ts": idx.as_unit("s").asi8, "value": 100.0}))


def test_contract_and_july_bill_through_the_api(world: World) -> None:
    """July 2025, 100 kWh every 15 minutes (400 kW), 산업용(을) 고압A 선택II, 1,000 kW:
      light 366 h × 400 = 146,400; mid 240 h × 400 = 96,000; peak 138 h × 400 = 55,200 kWh (= 297,600)
      energy = 146,400×110.9 + 96,000×163.8 + 55,200×245.9 = 16,235,760 + 15,724,800 + 13,573,680 = 45,534,240
      billing demand 400 kW (no earlier months stored; floor 300) -> basic 400 × 8,320 = 3,328,000
      no reactive energy stored -> no power-factor line amount
      climate 297,600 × 9 = 2,678,400; fuel × 5 = 1,488,000
      전기요금계 53,028,640; VAT 5,302,864; fund 2.7 % 1,431,773.28 -> 1,431,770
      billed 59,763,274 -> 59,763,270
    """
    _july_readings(world)
    a = world.tenants["A"].company_id
    got = world.client.get(f"{API}/companies/{a}/energy/contract", headers=world.as_("company_member")).json()
    assert got["stored"] is False
    assert got["warnings"][0]["code"] == "contract_not_set"
    refused = world.client.put(f"{API}/energy/contracts/{a}", json=CONTRACT, headers=world.as_("company_member"))
    assert refused.status_code == 403
    too_small = world.client.put(f"{API}/energy/contracts/{a}", json={**CONTRACT, "contract_kw": 200},
                                 headers=world.as_("company_admin"))
    assert too_small.status_code == 422
    put = world.client.put(f"{API}/energy/contracts/{a}", json=CONTRACT, headers=world.as_("company_admin"))
    assert put.status_code == 200, put.text
    assert put.json()["stored"] is True

    body = world.client.get(f"{API}/companies/{a}/energy/bills", params=JULY, headers=world.as_("auditor")).json()
    (bill,) = body["items"]
    assert bill["month"] == "2025-07"
    assert bill["kwh_by_period"] == {"light": 146_400, "mid": 96_000, "peak": 55_200}
    assert bill["billing_demand_kw"] == 400
    lines = {ln["code"]: ln["amount_krw"] for ln in bill["lines"]}
    assert lines == {"basic": 3_328_000, "power_factor": 0, "energy": 45_534_240, "climate": 2_678_400,
                     "fuel": 1_488_000}
    assert bill["electricity_charge_krw"] == 53_028_640
    assert (bill["vat_krw"], bill["fund_krw"], bill["total_krw"]) == (5_302_864, 1_431_770, 59_763_270)

    # what-if: choice I costs 1,100 won/kW less basic and 5.5 won/kWh more energy:
    #   basic 400 × 7,220 = 2,888,000 (−440,000); energy 297,600 × 5.5 = +1,636,800 more
    #   electricity charge +1,196,800 -> with VAT (+119,680) and fund (2.7 %: +32,313.6) about +1,348,790
    what = world.client.get(f"{API}/companies/{a}/energy/what-if", params={**JULY, "shift_kwh_per_day": 240},
                            headers=world.as_("company_admin")).json()
    by_choice = {c["choice"]: c["difference_krw"] for c in what["choices"]}
    assert by_choice["II"] == 0
    assert 1_348_780 <= by_choice["I"] <= 1_348_800
    # 240 kWh a day from peak to light on 23 weekdays: 5,520 kWh × 135 won = 745,200 less energy charge,
    # × 1.127 with VAT and fund ≈ 839,840
    assert 839_800 <= what["shift"]["saving_krw"] <= 839_880

    b = world.tenants["B"].company_id
    assert world.client.get(f"{API}/companies/{b}/energy/bills", params=JULY,
                            headers=world.as_("company_admin")).status_code == 404


def _kpis_of_company_site_and_asset(world: World) -> None:
    """The world's main meter of A holds 96 readings on 2026-03-02 (Mon): 10 + i % 7 kWh, i = 0..95.

    Σ: 13 full cycles of 0..6 (91 values, Σ 13 × 21 = 273) + 0..4 (Σ 10) = 283, plus 96 × 10 = 1,243 kWh.
    Peak 16 kWh × 4 = 64 kW, first at i = 6 (01:30 KST).  TOE: 1,243 kWh × 9.6 MJ / 41,868 MJ = 0.28501 toe.
    """
    a = world.tenants["A"]
    query = {"start": "2026-03-02T00:00:00+09:00", "end": "2026-03-03T00:00:00+09:00"}
    got = world.client.get(f"{API}/companies/{a.company_id}/energy/kpis", params=query,
                           headers=world.as_("company_member")).json()
    assert got["electricity"]["energy_kwh"] == 1_243
    assert got["electricity"]["peak_kw"] == 64
    assert got["electricity"]["peak_at"] == "2026-03-02T01:30:00+09:00"
    assert got["carriers"][0]["carrier"] == "electricity"
    assert abs(got["total_toe"] - 1_243 * 9.6 / 41_868) < 1e-6
    assert got["variable_cost_krw"] > 0
    site = world.client.get(f"{API}/sites/{a.site_id}/energy/kpis", params=query,
                            headers=world.as_("company_member")).json()
    assert site["electricity"]["energy_kwh"] == 1_243
    spare = world.client.get(f"{API}/assets/{world.spare_asset['A']}/energy/kpis", params=query,
                             headers=world.as_("company_member")).json()
    assert spare["electricity"]["intervals"] == 0


def _baseline_route_says_when_data_are_too_few(world: World) -> None:
    a = world.tenants["A"].company_id
    query = {"start": "2026-03-01T00:00:00+09:00", "end": "2026-04-01T00:00:00+09:00"}
    monthly = world.client.get(f"{API}/companies/{a}/energy/baseline", params=query,
                               headers=world.as_("company_member")).json()
    assert monthly["warnings"][0]["code"] == "insufficient_data"
    assert monthly["ashrae_g14"]["pass"] is None
    # hourly: 24 hours of one weekday fill 24 of the 72 cells, one observation each: a perfect fit with
    # no degrees of freedom left, so no statistics
    hourly = world.client.get(f"{API}/companies/{a}/energy/baseline", params={**query, "granularity": "hourly"},
                              headers=world.as_("company_member")).json()
    assert hourly["stats"]["n"] == 24
    assert hourly["stats"]["p"] == 24
    assert hourly["stats"]["cv_rmse"] is None
    assert hourly["warnings"][0]["code"] == "few_observations"


def test_demand_now_from_the_power_point(world: World, monkeypatch) -> None:
    """The same samples as tests/energy/test_peak.py on A's kW point: forecast 800 kW at 10:10.
    Contract 1,000 kW entered with thresholds 700 / 850 kW -> warning, shed 300 kW."""
    import datetime as dt

    from sandan.core.timeutil import to_epoch_s
    from sandan.energy import api as energy_api
    from tests.factories import system

    a = world.tenants["A"]
    with world.db.session() as s:
        system(s)
        write_readings(s, pd.DataFrame({"point_id": a.power_point_id, "ts": [
            to_epoch_s(dt.datetime(2026, 3, 2, 10, m, tzinfo=KST)) for m in (0, 5)], "value": [600.0, 900.0]}))
    monkeypatch.setattr(energy_api, "now_utc", lambda: dt.datetime(2026, 3, 2, 10, 10, tzinfo=KST))
    put = world.client.put(f"{API}/energy/contracts/{a.company_id}", headers=world.as_("company_admin"),
                           json={**CONTRACT, "peak_warning_kw": 700, "peak_critical_kw": 850})
    assert put.json()["peak_warning_kw"] == 700
    got = world.client.get(f"{API}/companies/{a.company_id}/energy/demand", headers=world.as_("company_member")).json()
    assert got["points"] == [a.power_point_id]
    assert got["forecast_kw"] == pytest.approx(800.0)
    assert got["status"] == "warning"
    assert got["shed_kw"] == pytest.approx(300.0)
    bad = world.client.put(f"{API}/energy/contracts/{a.company_id}", headers=world.as_("company_admin"),
                           json={**CONTRACT, "peak_warning_kw": 900, "peak_critical_kw": 850})
    assert bad.status_code == 422


def test_kpis_and_baseline_routes(world: World) -> None:
    """One world for both read-only checks (building the world is the slow part)."""
    _kpis_of_company_site_and_asset(world)
    _baseline_route_says_when_data_are_too_few(world)
