"""The energy dashboard and the bills page, in Korean and English, for the company's own users only."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd
import pytest
from fastapi.testclient import TestClient

from sandan.app import create_app
from sandan.core.auth.models import Role
from sandan.core.timeutil import KST, to_epoch_s
from sandan.db import Database
from sandan.settings import Settings
from sandan.timeseries.store import write_readings
from sandan.web import live
from tests.factories import PASSWORD, add_user, make_tenant, system

#: The pages' clock: 10:07 KST on Monday 2 March 2026.
NOW = dt.datetime(2026, 3, 2, 10, 7, tzinfo=KST)


@pytest.fixture
def site(db: Database, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """Company 1: 10 + i % 4 kWh every quarter hour from 1 March 00:00 KST to the quarter hour 10:00-10:15
    on 2 March (96 + 41 = 137 readings); company 2 exists beside it."""
    monkeypatch.setattr(live, "clock", lambda: NOW.astimezone(dt.UTC))
    with db.session() as s:
        system(s)
        own, other = make_tenant(s, 1), make_tenant(s, 2)
        add_user(s, own, Role.company_admin, "admin@one.example.kr", token=False)
        start = to_epoch_s(dt.datetime(2026, 3, 1, tzinfo=KST))
        write_readings(s, pd.DataFrame({"point_id": own.main_point_id, "ts": [start + 900 * i for i in range(137)],
                                        "value": [10.0 + i % 4 for i in range(137)]}))
    client = TestClient(create_app(db, Settings(environment="test", secret_key="energy-pages-" + "s" * 40,
                                                login_rate_per_minute=1000)))
    response = client.post("/login", data={"email": "admin@one.example.kr", "password": PASSWORD},
                           follow_redirects=False)
    assert response.status_code == 303
    return {"client": client, "own": own.company_id, "other": other.company_id}


def test_dashboard_today_month_and_peak_gauge(site: dict[str, Any]) -> None:
    """Today (2 March): quarters 96..136 -> i % 4 runs 0,1,2,3 ten times and then 0: 10 × 46 + 10 = 470 kWh.
    Month: 1 March adds 24 × 46 = 1,104 kWh -> 1,574 kWh.  Peak: 13 kWh × 4 = 52 kW, first at 00:45 on 1 March.
    No contract entered and no site contract power: the gauge compares with the default 1,000 kW."""
    client = site["client"]
    page = client.get(f"/companies/{site['own']}/energy")
    assert page.status_code == 200
    assert "이달 최대수요전력" in page.text  # Korean by default
    assert 'data-period="today"' in page.text
    assert '<p class="tile-value" data-field="energy_kwh">470 ' in page.text
    assert '<p class="tile-value" data-field="energy_kwh">1,574 ' in page.text
    assert 'value="52.0"' in page.text  # the meter element of the peak gauge
    assert 'id="demand-now" data-status="unknown"' in page.text  # no power samples: no forecast
    assert 'href="/companies/{}/energy"'.format(site["own"]) in page.text  # the NAV entry of the home company
    client.post("/language", data={"lang": "en", "next": "/"})
    english = client.get(f"/companies/{site['own']}/energy")
    assert "Peak demand this month" in english.text
    assert client.get(f"/companies/{site['other']}/energy").status_code == 404
    _bills_page_shows_the_month(site)


def _bills_page_shows_the_month(site: dict[str, Any]) -> None:
    client = site["client"]
    page = client.get(f"/companies/{site['own']}/energy/bills?start=2026-03-01&end=2026-03-31")
    assert page.status_code == 200, page.text
    assert 'data-month="2026-03"' in page.text
    assert "Billing demand" in page.text  # English: the language was switched above
    assert client.get(f"/companies/{site['other']}/energy/bills").status_code == 404
