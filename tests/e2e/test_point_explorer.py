"""The point explorer in a real browser: sign in, the chart is drawn from the API, controls redraw it."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from sandan.core.timeutil import KST
from tests.e2e.conftest import Site

pytestmark = pytest.mark.browser


def _kst_label(epoch_s: int) -> str:
    return dt.datetime.fromtimestamp(epoch_s, KST).strftime("%Y-%m-%d %H:%M:%S")


def _sign_in(page: Any, site: Site, path: str) -> None:
    page.goto(site.base_url + path)
    assert "/login" in page.url, "a signed-out visitor is sent to the sign-in page"
    page.fill("input[name=email]", site.email)
    page.fill("input[name=password]", site.password)
    page.click("button.primary")
    page.wait_for_url(f"**{path}*")


def _points_drawn(page: Any) -> int:
    page.wait_for_function("() => document.getElementById('chart').dataset.points !== undefined")
    return int(page.get_attribute("#chart", "data-points"))


def test_point_explorer_draws_the_series_and_redraws_on_resolution_and_unit(e2e_site: Site, browser: Any) -> None:
    context = browser.new_context(viewport={"width": 1360, "height": 900}, locale="ko-KR")
    page = context.new_page()
    problems: list[str] = []
    page.on("console", lambda message: problems.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.on("response", lambda response: problems.append(f"{response.status} {response.url}")
            if response.status >= 400 else None)
    try:
        point_path = f"/points/{e2e_site.tenant.main_point_id}"
        _sign_in(page, e2e_site, point_path)

        # hourly by default: one point per hour holding readings, drawn as a line on the KST clock
        page.wait_for_selector("#chart .main-svg")
        hours = sorted({ts // 3600 * 3600 for ts in e2e_site.reading_ts})
        assert _points_drawn(page) == len(hours)
        line = page.locator("#chart .scatterlayer .trace path.js-line").first.get_attribute("d")
        # interval totals are drawn as steps from each interval's start: one H segment per hour
        assert line.startswith("M")
        assert line.count("H") == len(hours) - 1
        first_x = page.evaluate("document.getElementById('chart').data.at(-1).x[0]")
        assert first_x == _kst_label(hours[0])
        assert first_x.endswith("00:00:00"), "the range starts at midnight on the Korean clock"
        assert page.locator("html").get_attribute("lang") == "ko"

        # daily: seven bars, one per Korean day of the default range
        page.select_option("#resolution", "1d")
        page.wait_for_function("() => document.getElementById('chart').dataset.points === '7'")
        page.wait_for_selector("#chart .barlayer .point path")
        assert page.locator("#chart .barlayer .point").count() == 7
        daily_kwh = page.evaluate("document.getElementById('chart').data.at(-1).y")

        # MWh: the same bars a thousand times smaller, the axis says so, exports follow the controls
        page.select_option("#unit", "MWh")
        page.wait_for_function("() => document.querySelector('#chart .ytitle').textContent.includes('MWh')")
        daily_mwh = page.evaluate("document.getElementById('chart').data.at(-1).y")
        assert daily_mwh == pytest.approx([v / 1000 for v in daily_kwh])
        csv_href = page.get_attribute("#export-csv", "href")
        assert "format=csv" in csv_href
        assert "resolution=1d" in csv_href
        assert "unit=MWh" in csv_href
        download = context.request.get(e2e_site.base_url + csv_href)
        assert download.status == 200
        assert download.headers["content-type"].startswith("text/csv")
        assert len(download.text().strip().splitlines()) == 1 + 7
        assert "resolution=1d" in page.url, "the controls are kept in the address for sharing"

        page.screenshot(path=str(_artefact("point-explorer.png")))
        assert problems == []
    finally:
        context.close()


def test_overview_shows_the_company_on_the_map(e2e_site: Site, browser: Any) -> None:
    context = browser.new_context(viewport={"width": 1360, "height": 900})
    page = context.new_page()
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(str(error)))
    try:
        _sign_in(page, e2e_site, "/")
        page.wait_for_selector("#company-map .main-svg")
        assert page.locator("#company-map .scatterlayer .point").count() == 1
        assert page.locator("#company-table tbody tr").count() == 1
        assert page.locator("#total-today").inner_text() != "—"
        assert problems == []
    finally:
        context.close()


def _artefact(name: str) -> Any:
    from pathlib import Path

    folder = Path(__file__).resolve().parents[2] / "var" / "e2e"
    folder.mkdir(parents=True, exist_ok=True)
    return folder / name
