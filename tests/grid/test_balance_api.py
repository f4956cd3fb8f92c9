"""The company balance and a DER's model-vs-measured through the API, on stored readings."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest
from fastapi.testclient import TestClient

from sandan.app import create_app
from sandan.core.auth.models import Role
from sandan.core.auth.policy import Principal
from sandan.core.tenancy import schemas as core_schemas
from sandan.core.tenancy import service as core_service
from sandan.core.tenancy.models import Carrier, Direction, PointKind
from sandan.core.timeutil import day_type
from sandan.db import Database
from sandan.grid import schemas, service
from sandan.grid.pv import pv_energy_kwh
from sandan.settings import Settings
from sandan.timeseries.store import write_readings
from tests.factories import make_tenant
from tests.grid.world import token_for

DAY = pd.date_range("2026-06-03T00:00+09:00", periods=96, freq="15min").tz_convert("UTC")  # a Wednesday
RANGE = {"start": "2026-06-03T00:00:00+09:00", "end": "2026-06-04T00:00:00+09:00"}


def _metered_pv(s: Any, tenant: Any, code: str, name: str) -> Any:
    """A 200 kWp PV plant of ``tenant`` with its own generation meter."""
    meter = core_service.create_point(s, core_schemas.PointCreate(
        site_id=tenant.site_id, code=code, name=name, quantity="active_energy", unit="kWh",
        carrier=Carrier.electricity, kind=PointKind.interval, direction=Direction.generation))
    return service.create_der(s, schemas.DerCreate(
        site_id=tenant.site_id, point_id=meter.id, name=name, spec=schemas.PvSpec(
            module_power_w=500, modules_per_string=20, strings=20, inverter_ac_kw=180, tilt_deg=25)))


@pytest.fixture
def setup(db: Database) -> dict[str, Any]:
    with db.session(principal=Principal.system("test")) as s:
        a, b = make_tenant(s, 1), make_tenant(s, 2)
        pv = _metered_pv(s, a, "c1.pv.kwh", "지붕 태양광")
        pv_point_id = pv.point_id
        service.create_der(s, schemas.DerCreate(site_id=a.site_id, name="ESS", spec=schemas.BatterySpec(
            energy_kwh=400, power_kw=100, soc_min_pct=10, soc_max_pct=90)))
        model = pv_energy_kwh(service.pv_plant(pv), DAY)
        ts = DAY.as_unit("s").asi8.tolist()
        # measured PV: 90 % of the clear-sky model; demand: a flat 60 kWh per 15 minutes (240 kW)
        write_readings(s, pd.DataFrame({"point_id": pv_point_id, "ts": ts, "value": (model * 0.9).round(3).tolist()}))
        write_readings(s, pd.DataFrame({"point_id": a.main_point_id, "ts": ts, "value": [60.0] * 96}))
        tokens = {"member": token_for(s, a, Role.company_member, "member@a.example.kr"),
                  "admin": token_for(s, a, Role.company_admin, "admin@a.example.kr"),
                  "other": token_for(s, b, Role.company_admin, "admin@b.example.kr")}
        pv_id = pv.id
    client = TestClient(create_app(db, Settings(environment="test", secret_key="grid-balance-" + "s" * 40)))
    return {"client": client, "a": a, "tokens": tokens, "pv_id": pv_id, "model": model}


def _get(setup: dict[str, Any], url: str, who: str = "member", **params: Any) -> Any:
    return setup["client"].get(url, headers={"Authorization": f"Bearer {setup['tokens'][who]}"},
                               params={**RANGE, **params})


def test_der_model_beside_measured(setup: dict[str, Any]) -> None:
    answer = _get(setup, f"/api/v1/ders/{setup['pv_id']}/model")
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["weather"] == "clear-sky"
    assert body["model_kwh"] == pytest.approx(setup["model"].sum(), abs=1e-2)
    assert body["measured_kwh"] == pytest.approx((setup["model"] * 0.9).round(3).sum(), abs=1e-2)
    assert len(body["items"]) == 96
    assert _get(setup, f"/api/v1/ders/{setup['pv_id']}/model", "other").status_code == 404


def test_company_balance_closes_and_its_rates_follow_the_totals(setup: dict[str, Any]) -> None:
    company_id = setup["a"].company_id
    answer = _get(setup, f"/api/v1/grid/balance/company/{company_id}")
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert (body["ders"], body["batteries"]) == (2, 1)
    items = pd.DataFrame(body["items"])
    residual = (items["generation"] - items["curtail"] + items["import"] + items["discharge"]
                - items["demand"] - items["charge"] - items["export"])
    assert np.abs(residual).max() < 1e-3
    # generation is the metered PV (every interval metered): 90 % of the model
    assert body["totals"]["generation"] == pytest.approx((setup["model"] * 0.9).round(3).sum(), abs=0.05)
    assert body["totals"]["demand"] == pytest.approx(96 * 60.0)
    # SOC stays in the battery's band: 10 %..90 % of 400 kWh = 40..360 kWh
    assert items["soc"].between(40 - 1e-6, 360 + 1e-6).all()
    (day,) = body["days"]
    assert day["period"] == "2026-06-03"
    used = body["totals"]["generation"] - body["totals"]["export"] - body["totals"]["curtail"]
    assert day["self_consumption"] == pytest.approx(used / body["totals"]["generation"], abs=1e-4)
    assert day["self_sufficiency"] == pytest.approx(min(used, 5760.0) / 5760.0, abs=1e-4)
    # the complex's balance is not for a member of one company; another company's is not found
    assert _get(setup, f"/api/v1/grid/balance/company/{company_id}", "other").status_code == 404
    complex_id = setup["client"].get(f"/api/v1/companies/{company_id}", headers={
        "Authorization": f"Bearer {setup['tokens']['member']}"}).json()["complex_id"]
    assert _get(setup, f"/api/v1/grid/balance/complex/{complex_id}").status_code == 404


def test_pages_in_korean_and_english_show_the_figures_of_the_api(setup: dict[str, Any]) -> None:
    from sandan.web.i18n import LANGUAGE_COOKIE
    from sandan.web.render import number

    company_id = setup["a"].company_id
    client, headers = setup["client"], {"Authorization": f"Bearer {setup['tokens']['member']}"}
    api = _get(setup, f"/api/v1/grid/balance/company/{company_id}").json()
    (day,) = api["days"]
    dates = {"start": "2026-06-03", "end": "2026-06-03"}  # one KST day, the end day inclusive
    for lang, words in (("ko", ("에너지 자립", "자립률", "자가소비율")),
                        ("en", ("Energy self-sufficiency", "Self-sufficiency", "Self-consumption"))):
        client.cookies.set(LANGUAGE_COOKIE, lang)
        html = client.get(f"/grid/company/{company_id}", headers=headers, params=dates)
        assert html.status_code == 200, html.text
        for word in words:
            assert word in html.text
        # the tile shows the API's day rate in percent
        assert number(day["self_sufficiency"] * 100, lang) in html.text
        der = client.get(f"/ders/{setup['pv_id']}", headers=headers, params=dates)
        assert der.status_code == 200
        model = _get(setup, f"/api/v1/ders/{setup['pv_id']}/model").json()
        assert number(model["model_kwh"], lang) in der.text
    other = {"Authorization": f"Bearer {setup['tokens']['other']}"}
    assert client.get(f"/grid/company/{company_id}", headers=other, params=dates).status_code == 404
    assert client.get(f"/ders/{setup['pv_id']}", headers=other, params=dates).status_code == 404


def test_pv_model_reads_its_weather_points(setup: dict[str, Any], db: Database) -> None:
    from sandan.grid.pv import clear_sky_weather, weather_from_ghi

    a = setup["a"]
    with db.session(principal=Principal.system("test")) as s:
        ghi_point, temp_point = (core_service.create_point(s, core_schemas.PointCreate(
            site_id=a.site_id, code=code, name=name, quantity=quantity, unit=unit, carrier=Carrier.none,
            kind=PointKind.instantaneous, direction=Direction.none)) for code, name, quantity, unit in (
                ("c1.ghi", "수평면 일사량", "irradiance", "W/m**2"), ("c1.temp", "외기 온도", "temperature", "degC")))
        plant = service.pv_plant(service.get_der(s, setup["pv_id"]))
        # a hazy day: 60 % of the clear-sky GHI, 28 degC
        ghi = clear_sky_weather(plant, DAY + pd.Timedelta("7.5min"))["ghi"].set_axis(DAY) * 0.6
        ts = DAY.as_unit("s").asi8.tolist()
        write_readings(s, pd.DataFrame({"point_id": ghi_point.id, "ts": ts, "value": ghi.round(3).tolist()}))
        write_readings(s, pd.DataFrame({"point_id": temp_point.id, "ts": ts, "value": [28.0] * 96}))
        ghi_id, temp_id = ghi_point.id, temp_point.id
    client = setup["client"]
    admin = {"Authorization": f"Bearer {setup['tokens']['admin']}"}
    url = f"/api/v1/ders/{setup['pv_id']}"
    wrong = client.patch(url, headers=admin, json={"weather": {"ghi_point_id": a.main_point_id}})
    assert wrong.status_code == 422, wrong.text
    assert client.patch(url, headers=admin, json={"weather": {"ghi_point_id": ghi_id, "temp_air_point_id": temp_id}}
                        ).status_code == 200
    body = _get(setup, f"{url}/model").json()
    assert body["weather"] == "measured"
    # the same chain by hand: Erbs decomposition of the measured GHI, 28 degC, then the PV model
    stored = pd.Series(ghi.round(3).to_numpy(), index=DAY)
    want = pv_energy_kwh(plant, DAY, weather=weather_from_ghi(plant, DAY, stored, pd.Series(28.0, index=DAY)))
    assert body["model_kwh"] == pytest.approx(want.sum(), abs=1e-2)
    assert 0.3 * setup["model"].sum() < body["model_kwh"] < 0.8 * setup["model"].sum()


def test_forecasts_for_a_plant_and_a_company_with_their_accuracy(setup: dict[str, Any], db: Database) -> None:
    """Two weeks of history (the plant at 90 % of clear sky, a flat 60 kWh demand on weekdays and
    15 on weekends), then the forecast of the day after: both forecasts are exact here, so nMAE 0."""
    a = setup["a"]
    history = pd.date_range("2026-05-20T00:00+09:00", "2026-06-03T00:00+09:00", freq="15min",
                            inclusive="left").tz_convert("UTC")
    with db.session(principal=Principal.system("test")) as s:
        der = service.get_der(s, setup["pv_id"])
        pv = pv_energy_kwh(service.pv_plant(der), history) * 0.9
        off = np.array([day_type(d) != "weekday" for d in history.tz_convert("Asia/Seoul").date])
        demand = np.where(off, 15.0, 60.0)
        ts = history.as_unit("s").asi8.tolist()
        write_readings(s, pd.DataFrame({"point_id": der.point_id, "ts": ts, "value": pv.round(3).tolist()}))
        write_readings(s, pd.DataFrame({"point_id": a.main_point_id, "ts": ts, "value": demand.tolist()}))
    # 2026-06-04, Thursday: the DER's meter read 90 % of clear sky on 06-03 too (the fixture)
    day = {"start": "2026-06-04T00:00:00+09:00", "end": "2026-06-05T00:00:00+09:00"}
    pv_answer = setup["client"].get(f"/api/v1/ders/{setup['pv_id']}/forecast", params=day,
                                    headers={"Authorization": f"Bearer {setup['tokens']['member']}"})
    assert pv_answer.status_code == 200, pv_answer.text
    body = pv_answer.json()
    clear_day = pv_energy_kwh(service.pv_plant(der), DAY + pd.Timedelta(days=1))
    # every day's clear-sky index was 0.9 (rounding to Wh aside): forecast = 0.9 × clear sky
    assert sum(i["forecast_kwh"] for i in body["items"]) == pytest.approx(0.9 * clear_day.sum(), rel=1e-3)
    assert body["accuracy"]["nmae"] is None  # nothing measured on that day yet
    # demand: Thursday from the weekdays before it (60), nothing of the weekend's 15
    demand_answer = setup["client"].get(f"/api/v1/grid/demand-forecast/company/{a.company_id}", params=day,
                                        headers={"Authorization": f"Bearer {setup['tokens']['member']}"})
    assert demand_answer.status_code == 200, demand_answer.text
    assert {i["forecast_kwh"] for i in demand_answer.json()["items"]} == {60.0}
    # 현충일 (Saturday 06-06) takes the Sunday/holiday days before it: 05-24 (Sun), 05-25 (substitute
    # holiday), 05-31 (Sun) at 15 and 06-03 (election day) at 60 from the fixture -> the median of the
    # last N of them, N as fitted
    holiday = {"start": "2026-06-06T00:00:00+09:00", "end": "2026-06-07T00:00:00+09:00"}
    holiday_answer = setup["client"].get(f"/api/v1/grid/demand-forecast/company/{a.company_id}", params=holiday,
                                         headers={"Authorization": f"Bearer {setup['tokens']['member']}"}).json()
    n = holiday_answer["model"]["days"]
    assert {i["forecast_kwh"] for i in holiday_answer["items"]} == {float(np.median([15.0, 15.0, 15.0, 60.0][-n:]))}
    other = {"Authorization": f"Bearer {setup['tokens']['other']}"}
    assert setup["client"].get(f"/api/v1/ders/{setup['pv_id']}/forecast", params=day, headers=other).status_code == 404


def test_an_outage_of_the_plant_is_an_alarm_with_its_lost_energy(setup: dict[str, Any], db: Database) -> None:
    a = setup["a"]
    outage = (pd.Timestamp("2026-06-03T10:00+09:00") <= DAY) & (pd.Timestamp("2026-06-03T12:00+09:00") > DAY)
    with db.session(principal=Principal.system("test")) as s:
        der = _metered_pv(s, a, "c1.pv2.kwh", "주차장 태양광")
        # the meter follows the model but reads 0 from 10:00 to 12:00 KST (an outage)
        values = np.where(outage, 0.0, setup["model"].to_numpy())
        write_readings(s, pd.DataFrame({"point_id": der.point_id, "ts": DAY.as_unit("s").asi8.tolist(),
                                        "value": values.round(4).tolist()}))
        der_id = der.id
    answer = _get(setup, f"/api/v1/ders/{der_id}/alarms")
    assert answer.status_code == 200, answer.text
    (alarm,) = answer.json()["alarms"]
    assert alarm["code"] == "inverter_off"
    # two empty intervals complete the evidence: 10:00 and 10:15, so the alarm comes with 10:15
    assert pd.Timestamp(alarm["at"]) == pd.Timestamp("2026-06-03T10:15+09:00")
    # lost: the model's energy of the eight dark intervals (10:00-12:00)
    assert alarm["lost_kwh"] == pytest.approx(setup["model"][outage].sum(), abs=1e-2)
