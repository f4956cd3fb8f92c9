"""The programme office's pages: notices, applications, reviews and results, in Korean first."""

from __future__ import annotations

from sandan.web.i18n import LANGUAGE_COOKIE
from tests.api.support import API
from tests.programs.conftest import Office
from tests.programs.test_api import FULL


def test_pages_show_each_role_its_own(office: Office) -> None:
    c, pw = office.client, office.pw
    notices = c.get("/programmes", headers=office.as_("company_admin"))
    assert notices.status_code == 200
    assert "사업 공고" in notices.text
    assert "시험 공고" in notices.text
    assert "접수 기간" in notices.text
    assert "(한국시간)" in notices.text
    c.cookies.set(LANGUAGE_COOKIE, "en")
    english = c.get("/programmes", headers=office.as_("company_admin"))
    c.cookies.clear()
    assert "Programmes" in english.text
    assert "Open from" in english.text
    mine = c.get("/programmes/applications", headers=office.as_("company_admin"))
    assert mine.status_code == 200
    rows = mine.text.count('<tr data-id="')
    assert rows == 2  # A's draft and A's submitted application, not B's or C's
    assert f'data-id="{pw.drafts["B"]}"' not in mine.text
    assert c.put(f"{API}/reviews/{pw.assignments['A']}", json={"scores": FULL},
                 headers=office.as_("reviewer")).status_code == 200
    reviews = c.get("/programmes/reviews", headers=office.as_("reviewer"))
    assert f'data-id="{pw.assignments["A"]}"' in reviews.text
    assert f'data-id="{pw.assignments["B"]}"' not in reviews.text
    assert "평가 완료" in reviews.text
    assert "평가위원 2" not in reviews.text  # never another reviewer's name


def test_results_page_after_announcement(office: Office) -> None:
    c, pw = office.client, office.pw
    for role, key in (("reviewer", "A"), ("reviewer2", "B"), ("reviewer2", "C")):
        assert c.put(f"{API}/reviews/{pw.assignments[key]}", json={"scores": FULL},
                     headers=office.as_(role)).status_code == 200
    officer = office.as_("programme_officer")
    assert c.post(f"{API}/calls/{pw.eval_call_id}/selection", headers=officer).status_code == 200
    ranking = c.get(f"/programmes/calls/{pw.eval_call_id}/results", headers=officer)
    assert ranking.text.count('<tr data-id="') == 3
    assert c.get(f"/programmes/calls/{pw.eval_call_id}/results",
                 headers=office.as_("company_admin")).text.count('<tr data-id="') == 0  # not announced yet
    for step in ("selection", "announced"):
        c.post(f"{API}/calls/{pw.eval_call_id}/transition", json={"to": step}, headers=officer)
    own = c.get(f"/programmes/calls/{pw.eval_call_id}/results", headers=office.as_("company_admin"))
    assert own.text.count('<tr data-id="') == 1
    assert f'data-id="{pw.submitted["A"]}"' in own.text
