"""The carbon pages: inventory dashboard and MRV queue/report, for the company and the verifier, ko/en."""

from __future__ import annotations

import csv
import io
import re

import pytest

from tests.carbon.conftest import Case


def test_inventory_dashboard_in_korean_and_english(case: Case) -> None:
    path = f"/carbon/companies/{case.plant.company_id}/inventory?period=2023-03&gwp_set=AR6"
    ko = case.page("admin", path)
    assert ko.status_code == 200, ko.text
    assert "온실가스 인벤토리" in ko.text
    # scope 2: 31,000 kWh × 0.4173 = 12.9363 t, shown with three decimals
    assert re.search(r'id="scope2-location">12\.936', ko.text)
    # scope 1: city gas 3,100 Nm3 only → 6,702.349885 kg under AR6 (tests/carbon/test_inventory_service.py)
    assert re.search(r'id="scope1">6\.702', ko.text)
    en = case.page("admin", path, lang="en")
    assert "GHG inventory" in en.text
    assert "Calculation trace" in en.text
    # the year view adds the month-by-month trend
    year = case.page("admin", f"/carbon/companies/{case.plant.company_id}/inventory?period=2023", lang="en")
    assert year.status_code == 200
    assert "2023-12" in year.text
    # a verifier reads no company: the dashboard is a 404 page
    assert case.page("verifier", path).status_code == 404


def test_mrv_pages_for_company_and_verifier(case: Case) -> None:
    created = case.page("admin", f"/carbon/companies/{case.plant.company_id}/reports",
                        {"period": "2023-03", "gwp_set": "AR5", "title": "3월"})
    assert created.status_code == 303, created.text
    report = created.headers["location"]
    report_id = int(report.rsplit("/", 1)[1])
    assert case.page("admin", report).status_code == 200
    assert case.page("admin", f"{report}/submit", {}).status_code == 303
    assert case.page("admin", f"{report}/assign", {"verifier_email": "kim@verifier.kr"}).status_code == 303
    queue = case.page("verifier", "/carbon/reports", lang="en")
    assert "Reports assigned to you" in queue.text
    assert f'href="/carbon/reports/{report_id}"' in queue.text
    assert f'href="/carbon/reports/{report_id}"' not in case.page("other_verifier", "/carbon/reports").text
    assert case.page("other_verifier", report).status_code == 404
    page = case.page("verifier", report)
    assert "의견 제기" in page.text
    assert "검증 의견서 서명" in page.text
    assert case.page("verifier", f"{report}/finding", {"text": "계량기 교정 성적서 확인"}).status_code == 303
    signed = case.page("verifier", f"{report}/statement", {"assurance": "limited", "opinion": "unmodified",
                                                          "conclusion": "중요한 왜곡표시가 발견되지 않았습니다.",
                                                          "materiality_pct": "5"})
    assert signed.status_code == 303, signed.text
    done = case.page("admin", report, lang="en")
    assert "Verified" in done.text
    assert "Integrity: intact" in done.text
    # the company cannot sign; the member cannot submit
    assert case.page("admin", f"{report}/statement", {"assurance": "limited", "opinion": "unmodified",
                                                      "conclusion": "x"}).status_code == 403


def test_inventory_exports_its_lines_as_csv_and_xlsx(case: Case) -> None:
    path = f"/carbon/companies/{case.plant.company_id}/inventory?period=2023-03&gwp_set=AR5"
    csv_text = case.call("admin", "GET", path + "&format=csv")
    assert csv_text.status_code == 200
    rows = list(csv.DictReader(io.StringIO(csv_text.text.lstrip("\ufeff"))))
    location = [r for r in rows if r["method"] in ("", "location")]
    # electricity 12,936.3 kg + city gas 6,702.039575 kg (AR5) = 19,638.339575 kg
    assert sum(float(r["co2e_kg"]) for r in location) == pytest.approx(12_936.3 + 6_702.039575)
    assert {r["factor_ids"] for r in rows} >= {"kr-grid-2023", "fuel-city-gas"}
    xlsx = case.call("admin", "GET", path + "&format=xlsx")
    assert xlsx.status_code == 200
    assert xlsx.content[:2] == b"PK"
