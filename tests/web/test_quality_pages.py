"""Data-quality and quarantine pages: figures that match the API for a hand-made case, tenant
isolation through the session's principal, replay from the page for company admins only."""

from __future__ import annotations

import datetime as dt
import html
import re
from dataclasses import dataclass
from typing import Any

import pandas as pd
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from sandan.app import create_app
from sandan.core.auth.models import Role
from sandan.core.tenancy.models import Point
from sandan.core.timeutil import KST, to_epoch_s
from sandan.db import Database
from sandan.ingest.models import QuarantinedReading
from sandan.ingest.pipeline import RawReading, ingest
from sandan.ingest.sparkplug.models import SparkplugDevice, SparkplugNode
from sandan.settings import Settings
from sandan.timeseries.models import Quality
from sandan.timeseries.store import write_readings
from sandan.web import live
from sandan.web.render import number
from tests.factories import PASSWORD, Tenant, add_user, make_tenant, system

NOW = dt.datetime(2026, 3, 2, 10, 7, tzinfo=KST)
#: One hour of a 15-minute point: four expected intervals.
HOUR = (dt.datetime(2026, 3, 1, 0, 0, tzinfo=KST), dt.datetime(2026, 3, 1, 1, 0, tzinfo=KST))
PERIOD = {"start": HOUR[0].isoformat(), "end": HOUR[1].isoformat()}
NOT_FOUND_KO = "페이지가 없거나, 이 계정으로는 볼 수 없는 페이지입니다."


@dataclass
class World:
    db: Database
    own: Tenant
    other: Tenant
    quarantined_id: int  # an out-of-range reading of own's main meter, 2 March 00:00 KST

    def client(self, email: str | None = None) -> TestClient:
        client = TestClient(create_app(self.db, Settings(environment="test", secret_key="quality-" + "s" * 40,
                                                         login_rate_per_minute=1000)))
        if email:
            response = client.post("/login", data={"email": email, "password": PASSWORD}, follow_redirects=False)
            assert response.status_code == 303, response.text
        return client


@pytest.fixture
def world(db: Database, monkeypatch: pytest.MonkeyPatch) -> World:
    monkeypatch.setattr(live, "clock", lambda: NOW.astimezone(dt.UTC))
    t0 = to_epoch_s(HOUR[0])
    with db.session() as s:
        system(s)
        own, other = make_tenant(s, 1), make_tenant(s, 2)
        add_user(s, own, Role.company_admin, "admin@one.example.kr", token=False)
        add_user(s, own, Role.company_member, "member@one.example.kr", token=False)
        add_user(s, other, Role.company_admin, "admin@two.example.kr", token=False)
        # the hand-made hour: 00:00 and 00:15 measured, 00:30 missing (its reading rejected), 00:45 estimated
        write_readings(s, pd.DataFrame({"point_id": own.main_point_id, "ts": [t0, t0 + 900, t0 + 2700],
                                        "value": [5.0, 6.0, 5.5],
                                        "quality": [int(Quality.measured), int(Quality.measured),
                                                    int(Quality.estimated)]}))
        ingest(s, [RawReading(point=own.main_point_id, ts=t0 + 1800, value=-1.0)], source="test")
        # a reading above the meter's valid maximum, to be replayed once the limit is fixed
        day2 = to_epoch_s(dt.datetime(2026, 3, 2, tzinfo=KST))
        ingest(s, [RawReading(point=own.main_point_id, ts=day2, value=2e6,
                              raw={"point": "c1.main.kwh", "ts": day2, "value": 2e6})], source="http")
        ingest(s, [RawReading(point=other.main_point_id, ts=t0, value=-5.0)], source="http")
        quarantined_id = s.execute(select(QuarantinedReading.id).where(
            QuarantinedReading.point_id == own.main_point_id,
            QuarantinedReading.reason_code == "out_of_range")).scalar_one()
        node = SparkplugNode(company_id=own.company_id, group_id=str(own.company_id), edge_node="edge-1", online=True)
        s.add(node)
        s.flush()
        s.add_all([SparkplugDevice(company_id=own.company_id, node_id=node.id, device="m1", online=True),
                   SparkplugDevice(company_id=own.company_id, node_id=node.id, device="m2", online=False)])
    return World(db, own, other, quarantined_id)


def _cell(page: str, point_id: int, field: str) -> str:
    row = re.search(rf'<tr data-point="{point_id}">(.*?)</tr>', page, re.S)
    assert row is not None, f"no row of point {point_id}"
    cell = re.search(rf'data-field="{field}">(.*?)</td>', row.group(1), re.S)
    assert cell is not None
    return re.sub(r"<[^>]+>", "", cell.group(1)).strip()


def _tile(page: str, name: str) -> str:
    tile = re.search(rf'id="quality-{name}">(.*?)</p>', page, re.S)
    assert tile is not None
    return re.sub(r"<[^>]+>", " ", tile.group(1)).split()[0]


# --- data quality ----------------------------------------------------------------------------------

def test_company_quality_page_shows_the_apis_figures_worst_first(world: World) -> None:
    client = world.client("admin@one.example.kr")
    api: dict[str, Any] = client.get(f"/api/v1/quality/companies/{world.own.company_id}", params=PERIOD).json()
    main = next(p for p in api["points"] if p["point_id"] == world.own.main_point_id)
    # 4 intervals expected, 3 stored (1 of them estimated), 1 rejected
    assert (main["expected"], main["present"], main["estimated"], main["rejected"]) == (4, 3, 1, 1)
    assert main["completeness_pct"] == 75.0
    assert main["estimated_pct"] == pytest.approx(100 / 3, abs=0.01), "estimated is a share of stored readings"

    response = client.get(f"/companies/{world.own.company_id}/quality", params=PERIOD)
    assert response.status_code == 200
    page = response.text
    for point in api["points"]:
        for field, digits in (("completeness_pct", 1), ("estimated_pct", 1)):
            assert _cell(page, point["point_id"], field) == number(point[field], "ko", digits), (point, field)
        assert _cell(page, point["point_id"], "edited") == str(point["edited"])
        assert _cell(page, point["point_id"], "rejected") == str(point["rejected"])
    assert _cell(page, world.own.main_point_id, "completeness_pct") == "75.0"
    assert _cell(page, world.own.main_point_id, "estimated_pct") == "33.3"
    assert _tile(page, "completeness") == number(api["completeness_pct"], "ko")
    assert _tile(page, "rejected") == str(api["rejected"])
    # worst first: the points without readings (0 %) before the main meter (75 %)
    order = [int(i) for i in re.findall(r'<tr data-point="(\d+)">', page)]
    shown = {p["point_id"]: p["completeness_pct"] for p in api["points"]}
    assert [shown[i] for i in order] == sorted(shown[i] for i in order)
    # export links to the API, with the same period
    export = html.unescape(re.findall(r'href="(/api/v1/quality/companies/[^"]+format=csv)"', page)[0])
    csv = client.get(export)
    assert csv.status_code == 200
    assert csv.headers["content-type"].startswith("text/csv")
    assert "75.0" in csv.text
    assert f"/api/v1/quality/companies/{world.own.company_id}?" in page
    assert "format=xlsx" in page
    # the Sparkplug block: one node online, one of two devices
    assert "edge-1" in page
    assert "1 / 2" in page


def test_point_quality_page_and_links_from_company_and_point_pages(world: World) -> None:
    client = world.client("admin@one.example.kr")
    api = client.get(f"/api/v1/quality/points/{world.own.main_point_id}", params=PERIOD).json()
    page = client.get(f"/points/{world.own.main_point_id}/quality", params=PERIOD)
    assert page.status_code == 200
    assert _tile(page.text, "completeness") == number(api["completeness_pct"], "ko") == "75.0"
    assert _tile(page.text, "estimated") == number(api["estimated_pct"], "ko") == "33.3"
    assert _tile(page.text, "rejected") == "1"
    assert "음수 구간 합계" in page.text, "the rejection's reason in words"

    company = client.get(f"/companies/{world.own.company_id}").text
    assert f'href="/companies/{world.own.company_id}/quality"' in company
    assert f'href="/companies/{world.own.company_id}/quarantine"' in company
    assert f'href="/points/{world.own.main_point_id}/quality"' in client.get(f"/points/{world.own.main_point_id}").text


def test_quality_pages_speak_english(world: World) -> None:
    client = world.client("admin@one.example.kr")
    client.post("/language", data={"lang": "en", "next": "/"})
    page = client.get(f"/companies/{world.own.company_id}/quality", params=PERIOD).text
    assert "Points, worst first" in page
    assert "Completeness" in page
    quarantine = client.get(f"/companies/{world.own.company_id}/quarantine").text
    assert "Value outside the point&#39;s valid range" in quarantine
    assert "Negative interval total" in quarantine


def test_pages_of_another_company_are_404(world: World) -> None:
    client = world.client("admin@one.example.kr")
    for path in (f"/companies/{world.other.company_id}/quality", f"/companies/{world.other.company_id}/quarantine",
                 f"/points/{world.other.main_point_id}/quality", "/companies/987654321/quarantine"):
        response = client.get(path)
        assert response.status_code == 404, path
        assert NOT_FOUND_KO in response.text
        assert "테스트기업 2" not in response.text
    refused = client.post(f"/companies/{world.other.company_id}/quarantine/replay",
                          data={"scope": "all"})
    assert refused.status_code == 404
    signed_out = world.client().get(f"/companies/{world.own.company_id}/quarantine", follow_redirects=False)
    assert signed_out.status_code == 303
    assert signed_out.headers["location"].startswith("/login?next=")


def test_bad_period_is_an_error_page_not_a_crash(world: World) -> None:
    client = world.client("admin@one.example.kr")
    for query in ({"start": "yesterday"}, {"start": "2026-03-02", "end": "2026-03-01"},
                  {"start": "2026-03-01T00:00:00"}):
        response = client.get(f"/companies/{world.own.company_id}/quality", params=query)
        assert response.status_code == 422, query
        assert response.headers["content-type"].startswith("text/html")


# --- quarantine ------------------------------------------------------------------------------------

def test_quarantine_lists_own_rows_with_reason_in_words_filters_and_raw_payload(world: World) -> None:
    client = world.client("member@one.example.kr")
    response = client.get(f"/companies/{world.own.company_id}/quarantine")
    assert response.status_code == 200
    page = response.text
    ids = [int(i) for i in re.findall(r'<tr data-id="(\d+)">', page)]
    assert len(ids) == 2, "the own company's two rejected readings, not the neighbour's"
    assert "포인트의 유효 범위를 벗어난 값" in page
    assert "음수 구간 합계" in page
    assert "<details>" in page
    assert '"point": "c1.main.kwh"' in html.unescape(page), "the raw payload is shown"
    assert "replay-form" not in page, "a member sees the list read-only"
    assert "기업 관리자만 데이터를 재처리할 수 있습니다." in page

    only = client.get(f"/companies/{world.own.company_id}/quarantine",
                      params={"reason_code": "out_of_range", "source": "http"}).text
    assert [int(i) for i in re.findall(r'<tr data-id="(\d+)">', only)] == [world.quarantined_id]
    by_time = client.get(f"/companies/{world.own.company_id}/quarantine",
                         params={"start": "2026-03-01", "end": "2026-03-01"}).text
    assert world.quarantined_id not in [int(i) for i in re.findall(r'<tr data-id="(\d+)">', by_time)]
    assert len(re.findall(r'<tr data-id="(\d+)">', by_time)) == 1
    by_point = client.get(f"/companies/{world.own.company_id}/quarantine",
                          params={"point_id": world.own.power_point_id}).text
    assert re.findall(r'<tr data-id="(\d+)">', by_point) == []
    waiting = client.get(f"/companies/{world.own.company_id}/quarantine", params={"replay_status": "stored"}).text
    assert re.findall(r'<tr data-id="(\d+)">', waiting) == []

    export = html.unescape(re.findall(r'href="(/api/v1/quarantine\?[^"]+format=csv)"', only)[0])
    assert f"company_id={world.own.company_id}" in export
    csv = client.get(export)
    assert csv.status_code == 200
    assert csv.text.count("out_of_range") == 1


def test_replay_from_the_page_for_admins_only(world: World) -> None:
    path = f"/companies/{world.own.company_id}/quarantine"
    member = world.client("member@one.example.kr")
    refused = member.post(f"{path}/replay", data={"ids": [str(world.quarantined_id)], "scope": "selected"})
    assert refused.status_code == 403
    assert refused.headers["content-type"].startswith("text/html")

    # the mapping is fixed (the meter's limit was wrong), then the admin replays the row from the page
    with world.db.session() as s:
        system(s)
        s.execute(select(Point).where(Point.id == world.own.main_point_id)).scalar_one().valid_max = 1e7
    admin = world.client("admin@one.example.kr")
    page = admin.get(path).text
    assert 'id="replay-form"' in page
    assert f'name="ids" value="{world.quarantined_id}"' in page
    done = admin.post(f"{path}/replay", data={"ids": [str(world.quarantined_id)], "scope": "selected",
                                              "back": path + "?reason_code=out_of_range"}, follow_redirects=False)
    assert done.status_code == 303
    assert done.headers["location"].startswith(path + "?reason_code=out_of_range&")
    after = admin.get(done.headers["location"]).text
    assert "1건을 재처리했고, 그중 1건이 저장되었습니다." in after
    assert "재처리되어 저장됨" in after
    with world.db.session() as s:
        system(s)
        row = s.get(QuarantinedReading, world.quarantined_id)
        assert row is not None
        assert (row.replay_status, row.replays) == ("stored", 1)
        stored = admin.get(f"/api/v1/points/{world.own.main_point_id}/series",
                           params={"start": "2026-03-02T00:00:00+09:00", "end": "2026-03-02T00:15:00+09:00",
                                   "resolution": "raw"})
        assert stored.status_code == 200
        assert "2000000" in stored.text
    # the member's refusal changed nothing; the negative reading still waits
    member_page = member.get(path, params={"replay_status": "pending"}).text
    assert len(re.findall(r'<tr data-id="(\d+)">', member_page)) == 1


def test_replay_all_of_one_reason_leaves_the_others_waiting(world: World) -> None:
    path = f"/companies/{world.own.company_id}/quarantine"
    admin = world.client("admin@one.example.kr")
    done = admin.post(f"{path}/replay", data={"scope": "all", "reason_code": "negative_interval"},
                      follow_redirects=False)
    assert done.status_code == 303
    after = admin.get(done.headers["location"]).text
    assert "1건을 재처리했고, 그중 0건이 저장되었습니다." in after, "a negative total is still refused"
    assert "재처리: 여전히 거부됨" in after
    with world.db.session() as s:
        system(s)
        row = s.get(QuarantinedReading, world.quarantined_id)
        assert row is not None
        assert (row.replay_status, row.replays) == ("pending", 0)
    nothing = admin.post(f"{path}/replay", data={"scope": "selected"})
    assert nothing.status_code == 422, "nothing ticked: said so, nothing replayed"
