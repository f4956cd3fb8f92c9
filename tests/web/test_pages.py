"""Web pages through the test client: sign-in, redirects, each page for its owner, tenant isolation,
languages, figures on the Korean clock, plotly.js from the installed package.
"""

from __future__ import annotations

import datetime as dt
import gzip
import io
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.pofile import read_po
from fastapi.testclient import TestClient
from sqlalchemy import select

from sandan.app import create_app
from sandan.core.auth.models import Role
from sandan.core.tenancy.models import Complex
from sandan.core.timeutil import KST, to_epoch_s
from sandan.db import Database
from sandan.settings import Settings
from sandan.timeseries.store import write_readings
from sandan.web import live
from sandan.web.i18n import catalogue_files
from sandan.web.render import plotly_js_path
from tests.factories import PASSWORD, Tenant, add_user, make_tenant, system

WEB = Path(__file__).resolve().parents[2] / "src" / "sandan" / "web"
#: The pages' clock: 10:07 KST on Monday 2 March 2026.
NOW = dt.datetime(2026, 3, 2, 10, 7, tzinfo=KST)
DAY_START = dt.datetime(2026, 3, 2, tzinfo=KST)
WRONG_KO = "이메일 또는 비밀번호가 올바르지 않습니다."
NOT_FOUND_KO = "페이지가 없거나, 이 계정으로는 볼 수 없는 페이지입니다."


def settings(**overrides: Any) -> Settings:
    values: dict[str, Any] = {"environment": "test", "secret_key": "web-tests-" + "s" * 40,
                              "login_rate_per_minute": 1000}
    values.update(overrides)
    return Settings(**values)


@dataclass
class World:
    db: Database
    complex_id: int
    own: Tenant
    other: Tenant
    own_kwh: list[float]  # tenant 1's main meter, one value per quarter hour from 1 March 00:00 KST
    other_kwh: list[float]

    def client(self, **overrides: Any) -> TestClient:
        return TestClient(create_app(self.db, settings(**overrides)))


def quarters(n: int) -> list[int]:
    start = to_epoch_s(dt.datetime(2026, 3, 1, tzinfo=KST))
    return [start + 900 * i for i in range(n)]


# readings up to and including the quarter hour 10:00-10:15 KST on 2 March (still running at NOW)
N_QUARTERS = 24 * 4 + 10 * 4 + 1


@pytest.fixture
def world(db: Database, monkeypatch: pytest.MonkeyPatch) -> World:
    monkeypatch.setattr(live, "clock", lambda: NOW.astimezone(dt.UTC))
    with db.session() as s:
        system(s)
        own, other = make_tenant(s, 1), make_tenant(s, 2)
        complex_id = s.execute(select(Complex.id).where(Complex.code == "gwangyang")).scalar_one()
        add_user(s, own, Role.company_admin, "admin@one.example.kr", token=False)
        add_user(s, other, Role.company_admin, "admin@two.example.kr", token=False)
        add_user(s, None, Role.complex_operator, "operator@gy.example.kr", complex_id=complex_id, token=False)
        ts = quarters(N_QUARTERS)
        own_kwh = [10.0 + i % 4 for i in range(N_QUARTERS)]
        other_kwh = [100.0] * N_QUARTERS
        for point_id, values in ((own.main_point_id, own_kwh), (other.main_point_id, other_kwh)):
            stored = write_readings(s, pd.DataFrame({"point_id": point_id, "ts": ts, "value": values}))
            assert stored.stored == N_QUARTERS
    return World(db, complex_id, own, other, own_kwh, other_kwh)


def sign_in(client: TestClient, email: str = "admin@one.example.kr") -> None:
    response = client.post("/login", data={"email": email, "password": PASSWORD}, follow_redirects=False)
    assert response.status_code == 303, response.text


def today_kwh(values: list[float]) -> float:
    first_today = (to_epoch_s(DAY_START) - quarters(1)[0]) // 900
    return sum(values[first_today:])


# --- sign-in ---------------------------------------------------------------------------------------

def test_signed_out_pages_redirect_to_sign_in_with_the_way_back(world: World) -> None:
    client = world.client()
    for path in ("/", f"/companies/{world.own.company_id}", f"/sites/{world.own.site_id}/tree",
                 f"/points/{world.own.main_point_id}?resolution=1d", f"/complexes/{world.complex_id}"):
        response = client.get(path, follow_redirects=False)
        assert response.status_code == 303, path
        location = response.headers["location"]
        assert location.startswith("/login?next=")
        assert client.get(location).status_code == 200
    assert client.get("/points/1?resolution=1d", follow_redirects=False).headers["location"] == \
        "/login?next=%2Fpoints%2F1%3Fresolution%3D1d"
    live_json = client.get(f"/complexes/{world.complex_id}/live")
    assert live_json.status_code == 401
    assert live_json.headers["content-type"].startswith("application/json")


def test_sign_in_success_goes_to_next_and_wrong_password_says_so(world: World) -> None:
    client = world.client()
    wrong = client.post("/login", data={"email": "admin@one.example.kr", "password": "not-the-password",
                                        "next": "/companies/1"})
    assert wrong.status_code == 401
    assert WRONG_KO in wrong.text
    assert 'value="admin@one.example.kr"' in wrong.text, "the e-mail stays filled in"
    assert "sandan_session" not in client.cookies
    unknown = client.post("/login", data={"email": "nobody@one.example.kr", "password": PASSWORD})
    assert unknown.status_code == 401
    assert WRONG_KO in unknown.text, "unknown users get the same answer"

    target = f"/companies/{world.own.company_id}"
    ok = client.post("/login", data={"email": "Admin@One.example.kr ", "password": PASSWORD, "next": target},
                     follow_redirects=False)
    assert ok.status_code == 303
    assert ok.headers["location"] == target
    assert "sandan_session" in client.cookies
    assert client.get(target).status_code == 200
    assert client.get("/login", follow_redirects=False).status_code == 303, "signed in: no second sign-in"


@pytest.mark.parametrize("target", ["https://evil.example.com/", "//evil.example.com/x", "/\\evil.example.com",
                                    "javascript:alert(1)"])
def test_sign_in_never_sends_the_browser_off_site(world: World, target: str) -> None:
    response = world.client().post("/login", data={"email": "admin@one.example.kr", "password": PASSWORD,
                                                   "next": target}, follow_redirects=False)
    assert response.headers["location"] == "/"


def test_sign_out_clears_the_session(world: World) -> None:
    client = world.client()
    sign_in(client)
    assert client.get("/", follow_redirects=False).status_code == 303
    assert client.get(f"/companies/{world.own.company_id}").status_code == 200
    out = client.post("/logout", follow_redirects=False)
    assert out.status_code == 303
    assert out.headers["location"] == "/login"
    after = client.get(f"/companies/{world.own.company_id}", follow_redirects=False)
    assert after.status_code == 303
    assert after.headers["location"].startswith("/login")


def test_sign_in_is_rate_limited_per_client(world: World) -> None:
    client = world.client(login_rate_per_minute=2)
    for _ in range(2):
        assert client.post("/login", data={"email": "admin@one.example.kr", "password": "x" * 12}).status_code == 401
    limited = client.post("/login", data={"email": "admin@one.example.kr", "password": PASSWORD},
                          follow_redirects=False)
    assert limited.status_code == 429
    assert "로그인 시도가 너무 많습니다" in limited.text
    assert "sandan_session" not in client.cookies


# --- pages for their owner ---------------------------------------------------------------------

def test_each_page_renders_for_its_owner(world: World) -> None:
    client = world.client()
    sign_in(client)
    home = client.get("/", follow_redirects=False)
    assert home.headers["location"] == f"/complexes/{world.complex_id}", "a tenant lands on its complex"

    overview = client.get(f"/complexes/{world.complex_id}")
    assert overview.status_code == 200
    assert "text/html" in overview.headers["content-type"]
    assert "테스트기업 1" in overview.text
    assert "광양" in overview.text
    assert f'href="/companies/{world.own.company_id}"' in overview.text

    company = client.get(f"/companies/{world.own.company_id}")
    assert company.status_code == 200
    assert "본사 1" in company.text
    assert f'href="/sites/{world.own.site_id}/tree"' in company.text
    assert f'href="/points/{world.own.main_point_id}"' in company.text
    assert f"/api/v1/groups/company/{world.own.company_id}/series?" in company.text

    tree = client.get(f"/sites/{world.own.site_id}/tree")
    assert tree.status_code == 200
    text = tree.text
    # site → area → line, nested in that order, the line's sub-meter under the line
    assert text.index("A동") < text.index("1라인") < text.index(f'href="/points/{world.own.line_point_id}"')
    assert f'href="/points/{world.own.main_point_id}"' in text
    assert text.count('class="tree-children"') == 2

    point = client.get(f"/points/{world.own.main_point_id}")
    assert point.status_code == 200
    assert "c1.main.kwh" in point.text
    config = re.search(r'<script type="application/json" id="point-config">(.*?)</script>', point.text, re.S)
    assert config is not None
    assert f'"api": "/api/v1/points/{world.own.main_point_id}/series"' in config.group(1)
    assert '"units": ["kWh", "MWh", "toe"]' in config.group(1), "energy points switch kWh / MWh / TOE"
    assert '"start": "2026-02-24", "end": "2026-03-02"' in config.group(1), "the last 7 Korean days"
    assert "/static/vendor/plotly.min.js" in point.text

    power = client.get(f"/points/{world.own.power_point_id}")
    assert power.status_code == 200
    assert '"units": ["kW"]' in power.text, "no TOE for a power point"


def test_pages_of_another_tenant_are_404_pages_in_the_users_language(world: World) -> None:
    client = world.client()
    sign_in(client)
    for path in (f"/companies/{world.other.company_id}", f"/points/{world.other.main_point_id}",
                 f"/sites/{world.other.site_id}/tree", "/companies/987654321", "/points/99999999999"):
        response = client.get(path)
        assert response.status_code == 404, path
        assert response.headers["content-type"].startswith("text/html"), "a page, never problem+json"
        assert NOT_FOUND_KO in response.text
        assert "테스트기업 2" not in response.text
    client.post("/language", data={"lang": "en", "next": "/"})
    english = client.get(f"/points/{world.other.main_point_id}")
    assert english.status_code == 404
    assert "This page does not exist, or your account may not see it." in english.text


def test_tenant_sees_only_its_company_and_operator_sees_the_whole_complex(world: World) -> None:
    tenant = world.client()
    sign_in(tenant)
    page = tenant.get(f"/complexes/{world.complex_id}").text
    assert "테스트기업 1" in page
    assert "테스트기업 2" not in page
    assert "우리 회사 오늘 전력 사용량" in page, "a tenant is not shown the complex total"
    figures = tenant.get(f"/complexes/{world.complex_id}/live").json()
    assert set(figures["companies"]) == {str(world.own.company_id)}
    assert figures["is_complex_total"] is False
    assert figures["total"]["today_kwh"] == pytest.approx(today_kwh(world.own_kwh))

    operator = world.client()
    sign_in(operator, "operator@gy.example.kr")
    assert operator.get("/", follow_redirects=False).headers["location"] == f"/complexes/{world.complex_id}"
    page = operator.get(f"/complexes/{world.complex_id}").text
    assert "테스트기업 1" in page
    assert "테스트기업 2" in page
    figures = operator.get(f"/complexes/{world.complex_id}/live").json()
    assert set(figures["companies"]) == {str(world.own.company_id), str(world.other.company_id)}
    assert figures["is_complex_total"] is True
    assert figures["total"]["today_kwh"] == pytest.approx(today_kwh(world.own_kwh) + today_kwh(world.other_kwh))
    assert operator.get(f"/companies/{world.other.company_id}").status_code == 200


def test_live_figures_follow_the_korean_day_and_the_last_finished_quarter_hour(world: World) -> None:
    client = world.client()
    sign_in(client)
    figures = client.get(f"/complexes/{world.complex_id}/live").json()
    own = figures["companies"][str(world.own.company_id)]
    # today is 2 March KST: 00:00 to the running 10:00 quarter hour, 41 quarter hours
    assert own["today_kwh"] == pytest.approx(today_kwh(world.own_kwh))
    assert today_kwh(world.own_kwh) != pytest.approx(sum(world.own_kwh)), "yesterday must not count"
    # at 10:07 the latest finished quarter hour is 09:45-10:00: its energy [kWh] / 0.25 h
    last_finished = N_QUARTERS - 2
    assert own["demand_kw"] == pytest.approx(world.own_kwh[last_finished] * 4)
    assert dt.datetime.fromisoformat(own["demand_at"]).astimezone(KST).strftime("%H:%M") == "09:45"
    assert figures["at_kst"] == "10:07:00"

    company = client.get(f"/companies/{world.own.company_id}").text
    month = sum(world.own_kwh)  # 1 and 2 March
    assert f"{month:,.1f}" in company
    assert f"{today_kwh(world.own_kwh):,.1f}" in company
    daily = re.search(r'<script type="application/json" id="daily-data">(.*?)</script>', company, re.S)
    assert daily is not None
    assert '"x": ["2026-03-01", "2026-03-02"]' in daily.group(1), "daily bars on Korean calendar days"


def test_overview_table_exports_to_csv_and_xlsx(world: World) -> None:
    client = world.client()
    sign_in(client, "operator@gy.example.kr")
    csv = client.get(f"/complexes/{world.complex_id}/companies?format=csv")
    assert csv.status_code == 200
    assert csv.headers["content-type"].startswith("text/csv")
    frame = pd.read_csv(io.BytesIO(csv.content), encoding="utf-8-sig")
    assert sorted(frame["company_id"]) == sorted([world.own.company_id, world.other.company_id])
    own = frame[frame["company_id"] == world.own.company_id].iloc[0]
    assert own["today_kwh"] == pytest.approx(today_kwh(world.own_kwh))
    assert own["demand_interval_start"].startswith("2026-03-02 09:45:00+0900")
    xlsx = client.get(f"/complexes/{world.complex_id}/companies?format=xlsx")
    assert xlsx.status_code == 200
    assert len(pd.read_excel(io.BytesIO(xlsx.content))) == 2


# --- languages ---------------------------------------------------------------------------------

def test_language_switch_changes_the_text_and_html_lang(world: World) -> None:
    client = world.client()
    sign_in(client)
    path = f"/companies/{world.own.company_id}"
    korean = client.get(path).text
    assert '<html lang="ko">' in korean
    assert "로그아웃" in korean
    assert "최근 30일 일별 사용량" in korean
    assert "Sign out" not in korean

    switched = client.post("/language", data={"lang": "en", "next": path}, follow_redirects=False)
    assert switched.status_code == 303
    assert switched.headers["location"] == path
    english = client.get(path).text
    assert '<html lang="en">' in english
    assert "Sign out" in english
    assert "Daily consumption, last 30 days" in english
    assert "로그아웃" not in english
    assert "Gwangyang National Industrial Complex" in english

    client.post("/language", data={"lang": "ko", "next": path})
    assert '<html lang="ko">' in client.get(path).text


def test_sign_in_page_speaks_the_chosen_language(world: World) -> None:
    client = world.client()
    assert "로그인" in client.get("/login").text
    client.cookies.set("sandan_lang", "en")
    page = client.get("/login").text
    assert '<html lang="en">' in page
    assert "Sign in to sandan" in page
    wrong = client.post("/login", data={"email": "admin@one.example.kr", "password": "wrong-password"})
    assert "Wrong e-mail or password." in wrong.text


def _extracted_messages() -> set[str]:
    keywords = dict(DEFAULT_KEYWORDS)
    keywords["tr"] = None
    found: set[str] = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
            str(WEB), method_map=[("**.py", "python"), ("templates/**.html", "jinja2.ext:babel_extract")],
            keywords=keywords):
        found.add(message if isinstance(message, str) else message[0])
    return found


@pytest.mark.parametrize("language", ["ko", "en"])
def test_catalogues_translate_every_message_and_nothing_else(language: str) -> None:
    messages = _extracted_messages()
    assert len(messages) > 80
    translated: dict[str, Any] = {}
    for raw in catalogue_files(language):
        for m in read_po(io.BytesIO(raw), locale=language):
            if m.id:
                assert m.id not in translated, f"{m.id!r} is in two {language} catalogues"
                translated[m.id] = m.string
    missing = sorted(messages - set(translated))
    untranslated = sorted(m for m in messages if not translated.get(m))
    stale = sorted(set(translated) - messages)
    assert missing == [], f"{language}.po lacks {missing}"
    assert untranslated == [], f"{language}.po leaves {untranslated} untranslated"
    assert stale == [], f"{language}.po holds messages no code uses: {stale}"
    if language == "ko":
        assert all(re.search("[가-힣]", str(translated[m])) for m in messages if re.search("[A-Za-z]{3}", m)
                   and m not in {"KSIC"}), "every Korean text is written in Korean"
    for message in messages:
        assert re.findall(r"\{\w+\}", message) == re.findall(r"\{\w+\}", str(translated[message])), message


# --- plotly.js ---------------------------------------------------------------------------------

def test_plotly_js_comes_from_the_installed_package(world: World) -> None:
    client = world.client()
    shipped = plotly_js_path().read_bytes()
    plain = client.get("/static/vendor/plotly.min.js", headers={"Accept-Encoding": "identity"})
    assert plain.status_code == 200
    assert plain.content == shipped
    assert plain.headers["content-type"].startswith("text/javascript")
    zipped = client.get("/static/vendor/plotly.min.js", headers={"Accept-Encoding": "gzip"})
    assert zipped.headers["content-encoding"] == "gzip"
    assert zipped.content == shipped  # httpx decodes it
    assert len(gzip.compress(shipped)) < len(shipped) / 2
    again = client.get("/static/vendor/plotly.min.js", headers={"If-None-Match": zipped.headers["etag"]})
    assert again.status_code == 304
    assert not list(WEB.glob("static/**/plotly*.js")), "plotly.js is never copied into the repository"


def test_pages_forbid_foreign_scripts(world: World) -> None:
    client = world.client()
    sign_in(client)
    response = client.get(f"/points/{world.own.main_point_id}")
    assert "script-src 'self'" in response.headers["content-security-policy"]
    assert "<script>" not in response.text, "no inline scripts: data travels in application/json blocks"
    static = client.get("/static/point.js")
    assert static.status_code == 200
    assert "seriesUrl" in static.text


def test_platform_admin_chooses_a_complex_from_the_list(world: World) -> None:
    with world.db.session() as s:
        add_user(system(s), None, Role.platform_admin, "admin@platform.example.kr", token=False)
    client = world.client()
    sign_in(client, "admin@platform.example.kr")
    assert client.get("/", follow_redirects=False).headers["location"] == "/complexes"
    listing = client.get("/complexes")
    assert listing.status_code == 200
    rows = re.findall(r'<tr><td><a href="/complexes/(\d+)">([^<]+)</a></td><td>[^<]*</td>'
                      r'<td class="num">[^<]*</td><td class="num">(\d+)</td></tr>', listing.text)
    assert len(rows) == 24, "the designated smart green complexes"
    assert rows[0][:2] == (str(world.complex_id), "광양"), "complexes with companies come first"
    assert rows[0][2] == "2"
