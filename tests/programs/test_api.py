"""The programme office over HTTP: applications, deadlines, reviews, conflicts, selection and
announcement, as the roles that do each step (three tenants: A and B in Gwangyang, C in Changwon)."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

import pandas as pd
import pytest
from sqlalchemy import func, select

from sandan.core.auth.policy import Principal
from sandan.core.errors import Conflict
from sandan.programs import service
from sandan.programs.calls import CallStatus, as_utc
from sandan.programs.models import ProgrammeCall, ReviewAssignment, ScoreSheet
from tests.api.support import API, assert_problem
from tests.factories import system
from tests.programs.conftest import Office
from tests.programs.world import EOK, content, spec

FULL = {"plan": 20, "capability": 16, "outcome": 15, "regional_balance": 12, "spillover": 16}  # = 79


def test_an_applicant_drafts_edits_and_submits_and_sees_only_its_own(office: Office) -> None:
    c, pw = office.client, office.pw
    a = office.tenants["A"].company_id
    body = {"programme_id": pw.new_programme_id, "company_id": a, **content("첫 제목")}
    body["documents"] = []
    r = c.post(f"{API}/applications", json=body, headers=office.as_("company_admin"))
    assert r.status_code == 201, r.text
    app = r.json()
    assert app["status"] == "draft"
    assert [f["code"] for f in app["findings"]] == ["documents"]  # the plan is missing
    refused = c.post(f"{API}/applications/{app['id']}/submit", headers=office.as_("company_admin"))
    assert "attach the project plan" in assert_problem(refused, 422)["detail"]
    r = c.put(f"{API}/applications/{app['id']}", json=content("고친 제목"), headers=office.as_("company_admin"))
    assert r.json()["title"] == "고친 제목"
    assert r.json()["findings"] == []
    receipt = c.post(f"{API}/applications/{app['id']}/submit", headers=office.as_("company_admin")).json()
    assert receipt["receipt_no"] == f"w-open-open_b-{app['id']:06d}"
    assert receipt["submitted_at_kst"].endswith("KST")
    # edits until the deadline stay possible, but a submitted application must stay complete
    over = content()
    over["budget"][0]["national_krw"] = EOK + 1  # type: ignore[index]
    r = c.put(f"{API}/applications/{app['id']}", json=over, headers=office.as_("company_admin"))
    assert "over the programme's cap" in assert_problem(r, 422)["detail"]
    # B's admin sees neither A's application nor that it exists; A's list holds only A's
    assert_problem(c.get(f"{API}/applications/{app['id']}", headers=office.as_("company_admin_b")), 404)
    mine = c.get(f"{API}/applications", headers=office.as_("company_admin")).json()["items"]
    assert {i["company_id"] for i in mine} == {a}
    # a second application of the same company to the same programme is refused
    assert_problem(c.post(f"{API}/applications", json=body, headers=office.as_("company_admin")), 409)


def test_an_ineligible_applicant_is_refused_in_words(office: Office) -> None:
    with office.db.session() as s:
        system(s)
        call = s.get(ProgrammeCall, office.pw.open_call_id)
        assert call is not None
        prog = service.create_call(s, code="rc", year=call.year, title_ko="자원순환", title_en="rc",
                                   opens_at=call.opens_at, closes_at=call.closes_at, status=CallStatus.open,
                                   specs=[spec("rc", rule="complexes=yeosu;pohang")])
        (programme,) = service.programmes_of(s, prog.id)
        programme_id = programme.id
    r = office.client.post(f"{API}/applications", json={"programme_id": programme_id,
                                                         "company_id": office.tenants["A"].company_id, **content()},
                           headers=office.as_("company_admin"))
    body = assert_problem(r, 422)
    assert body["detail"] == ("not eligible: this programme is reserved to the complexes yeosu, pohang; "
                              "gwangyang is not one of them")
    assert body["data"]["findings"][0]["code"] == "reserved_to_complexes"


def test_a_submission_one_second_late_is_refused(office: Office) -> None:
    with office.db.session() as s:
        system(s)
        app_id = office.pw.drafts["A"]
        call = s.get(ProgrammeCall, office.pw.open_call_id)
        assert call is not None
        deadline = as_utc(call.closes_at)
        with pytest.raises(Conflict, match=r"the deadline was .* KST; it is .* KST"):
            service.submit_application(s, app_id, at=deadline + dt.timedelta(seconds=1))
        assert service.submit_application(s, app_id, at=deadline).status == "submitted"


def _score(office: Office, role: str, assignment_id: int, scores: dict[str, float]) -> Any:
    return office.client.put(f"{API}/reviews/{assignment_id}", json={"scores": scores, "comment": ""},
                             headers=office.as_(role))


def test_reviewers_see_only_their_own_assignments_and_no_names(office: Office) -> None:
    c, pw = office.client, office.pw
    mine = c.get(f"{API}/reviews", headers=office.as_("reviewer")).json()["items"]
    assert [i["id"] for i in mine] == [pw.assignments["A"]]
    assert_problem(c.get(f"{API}/reviews/{pw.assignments['B']}", headers=office.as_("reviewer")), 404)
    assert_problem(_score(office, "reviewer", pw.assignments["B"], FULL), 404)
    # the assigned application is readable; the others are not
    assert c.get(f"{API}/applications/{pw.submitted['A']}", headers=office.as_("reviewer")).status_code == 200
    assert_problem(c.get(f"{API}/applications/{pw.submitted['B']}", headers=office.as_("reviewer")), 404)
    r = _score(office, "reviewer", pw.assignments["A"], FULL)
    assert r.status_code == 200
    assert r.json()["total"] == 79
    # the applicant reads neither the assignment nor anything naming the reviewer
    assert_problem(c.get(f"{API}/reviews/{pw.assignments['A']}", headers=office.as_("company_admin")), 404)
    assert c.get(f"{API}/reviews", headers=office.as_("company_admin")).json()["items"] == []
    text = c.get(f"{API}/applications/{pw.submitted['A']}", headers=office.as_("company_admin")).text
    assert "평가위원" not in text
    assert "reviewer" not in text
    # an incomplete sheet is refused, naming what is missing
    partial = dict(FULL)
    del partial["spillover"]
    assert "no score for spillover" in assert_problem(_score(office, "reviewer", pw.assignments["A"], partial),
                                                      422)["detail"]


def test_a_conflict_never_reaches_a_score_sheet(office: Office) -> None:
    c, pw = office.client, office.pw
    assert _score(office, "reviewer", pw.assignments["A"], FULL).status_code == 200
    r = c.post(f"{API}/reviews/{pw.assignments['A']}/conflict", json={"reason": "자문 이력"},
               headers=office.as_("reviewer"))
    assert r.status_code == 200
    assert r.json()["withdrawn"] is True
    assert r.json()["scores"] is None
    assert "withdrawn" in assert_problem(_score(office, "reviewer", pw.assignments["A"], FULL), 409)["detail"]
    # a conflict recorded after assignment (the reviewer joins B's consortium member) refuses the sheet
    with office.db.session() as s:
        system(s)
        app = service.get_application(s, pw.submitted["B"])
        app.members = [*app.members, {"kind": "institute", "name": "평가연구원"}]
    body = assert_problem(_score(office, "reviewer2", pw.assignments["B"], FULL), 409)
    assert body["detail"] == "conflict of interest: the reviewer's organisation is a member of the consortium"
    with office.db.session() as s:
        system(s)
        assert s.execute(select(func.count()).select_from(ScoreSheet)).scalar_one() == 0
        # and panels never assign a reviewer in conflict: the reviewer of A's own organisation
        reviewer = service.add_reviewer(s, "own@a.kr", "자사 위원",
                                        affiliation_company_id=office.tenants["A"].company_id)
        s.info["principal"] = Principal.system("test")
        service.assign_panels(s, pw.eval_call_id)
        pairs = s.execute(select(ReviewAssignment.application_id).where(
            ReviewAssignment.reviewer_id == reviewer.id)).scalars().all()
        assert pw.submitted["A"] not in pairs


def test_selection_and_announcement(office: Office) -> None:
    c, pw = office.client, office.pw
    assert _score(office, "reviewer", pw.assignments["A"], FULL).status_code == 200            # 79
    assert _score(office, "reviewer2", pw.assignments["B"], {**FULL, "plan": 25}).status_code == 200  # 84
    assert _score(office, "reviewer2", pw.assignments["C"], {**FULL, "plan": 10}).status_code == 200  # 69
    officer = office.as_("programme_officer")
    assert_problem(c.post(f"{API}/calls/{pw.eval_call_id}/selection", headers=office.as_("company_admin")), 403)
    run = c.post(f"{API}/calls/{pw.eval_call_id}/selection", headers=officer).json()
    # 3 awards, a third of them (1) per mega-region: A and B are both 호남권 (Gwangyang), C 동남권
    # (Changwon); finals add the non-capital bonus of 1: B 85, A 80, C 70 → B and C
    (prog,) = run["programmes"]
    assert prog["selected"] == [pw.submitted["B"], pw.submitted["C"]]
    ranking = c.get(f"{API}/calls/{pw.eval_call_id}/results", headers=officer).json()["items"]
    assert [(i["application_id"], i["final"], i["rank"]) for i in ranking] == [
        (pw.submitted["B"], 85.0, 1), (pw.submitted["A"], 80.0, 2), (pw.submitted["C"], 70.0, 3)]
    # before the announcement the applicant sees no result
    assert c.get(f"{API}/applications/{pw.submitted['A']}", headers=office.as_("company_admin")).json()["result"] \
        is None
    assert c.get(f"{API}/calls/{pw.eval_call_id}/results", headers=office.as_("company_admin")).json()["items"] == []
    assert_problem(c.post(f"{API}/calls/{pw.eval_call_id}/transition", json={"to": "announced"}, headers=officer), 409)
    for step in ("selection", "announced"):
        r = c.post(f"{API}/calls/{pw.eval_call_id}/transition", json={"to": step}, headers=officer)
        assert r.status_code == 200
        assert r.json()["status"] == step
    own = c.get(f"{API}/applications/{pw.submitted['A']}", headers=office.as_("company_admin")).json()["result"]
    assert own["final"] == 80.0
    assert own["sheet_totals"] == [79.0]
    assert own["selected"] is False
    assert [e["code"] for e in own["explanation"]] == ["region"]
    assert own["bonus_reasons"] == ["non-capital area +1"]
    visible = c.get(f"{API}/calls/{pw.eval_call_id}/results", headers=office.as_("company_admin")).json()["items"]
    assert [i["application_id"] for i in visible] == [pw.submitted["A"]]
    # the office's overview as XLSX: one row per application, selected ones marked
    xlsx = c.get(f"{API}/calls/{pw.eval_call_id}/results", params={"format": "xlsx"}, headers=officer)
    frame = pd.read_excel(io.BytesIO(xlsx.content))
    assert list(frame["application_id"]) == [pw.submitted["B"], pw.submitted["A"], pw.submitted["C"]]
    assert list(frame["selected"]) == [True, False, True]
    assert list(frame["applicant"]) == ["신청기업 2", "신청기업 1", "신청기업 3"]
    # the announcement made a project of each selected application, its schedule the national shares
    projects = c.get(f"{API}/projects", headers=officer).json()["items"]
    awarded = [p for p in projects if p["application_id"] in (pw.submitted["B"], pw.submitted["C"])]
    assert [p["schedule_krw"] for p in awarded] == [[EOK, EOK], [EOK, EOK]]
    assert not [p for p in projects if p["application_id"] == pw.submitted["A"] and p["id"] not in pw.projects.values()]


def test_disbursements_never_pass_the_years_schedule(office: Office) -> None:
    c, pw = office.client, office.pw
    officer = office.as_("programme_officer")
    url = f"{API}/projects/{pw.projects['A']}/disbursements"
    # year 1 schedule 1억원: 0.6억 + 0.4억 = 1억 fits exactly; one more won does not
    assert c.post(url, json={"year": 1, "amount_krw": 60_000_000}, headers=officer).status_code == 201
    r = c.post(url, json={"year": 1, "amount_krw": 40_000_000}, headers=officer)
    assert r.json()["paid_krw"] == [EOK, 0]
    body = assert_problem(c.post(url, json={"year": 1, "amount_krw": 1}, headers=officer), 409)
    assert body["detail"] == "year 1: 1 KRW is more than the 0 KRW left of the year's schedule of 100,000,000 KRW"
    assert_problem(c.post(url, json={"year": 3, "amount_krw": 1}, headers=officer), 422)
    assert_problem(c.post(url, json={"year": 2, "amount_krw": 1}, headers=office.as_("company_admin")), 403)
    # the company reads its project and payments; another company does not see it
    mine = c.get(f"{API}/projects/{pw.projects['A']}", headers=office.as_("company_admin")).json()
    assert [d["amount_krw"] for d in mine["disbursements"]] == [60_000_000, 40_000_000]
    assert_problem(c.get(f"{API}/projects/{pw.projects['A']}", headers=office.as_("company_admin_b")), 404)


def test_the_office_changes_the_regional_rule_before_selection(office: Office) -> None:
    c, pw = office.client, office.pw
    for role, key, plan in (("reviewer", "A", 20), ("reviewer2", "B", 25), ("reviewer2", "C", 10)):
        assert _score(office, role, pw.assignments[key], {**FULL, "plan": plan}).status_code == 200
    officer = office.as_("programme_officer")
    call = c.get(f"{API}/calls/{pw.eval_call_id}", headers=officer).json()
    programme_id = call["programmes"][0]["id"]
    assert_problem(c.patch(f"{API}/programmes/{programme_id}", json={"max_per_region": 2},
                           headers=office.as_("company_admin")), 403)
    r = c.patch(f"{API}/programmes/{programme_id}", json={"max_per_region": 2}, headers=officer)
    assert r.json()["max_per_region"] == 2
    # with two awards allowed per mega-region, A (80, 호남권 like B) is selected beside B and C (one
    # per region left A out in test_selection_and_announcement)
    (prog,) = c.post(f"{API}/calls/{pw.eval_call_id}/selection", headers=officer).json()["programmes"]
    assert prog["selected"] == [pw.submitted["B"], pw.submitted["A"], pw.submitted["C"]]


def test_only_the_office_moves_a_call(office: Office) -> None:
    r = office.client.post(f"{API}/calls/{office.pw.eval_call_id}/transition", json={"to": "selection"},
                           headers=office.as_("company_admin"))
    assert_problem(r, 403)
    calls = office.client.get(f"{API}/calls", headers=office.as_("company_admin")).json()["items"]
    assert {c["code"] for c in calls} == {"w-open", "w-eval"}


def test_the_2026_call_loads_with_nine_programmes(office: Office) -> None:
    with office.db.session() as s:
        system(s)
        call = service.load_call_2026(s)
        programmes = service.programmes_of(s, call.id)
        assert len(programmes) == 9
        rc = next(p for p in programmes if p.code == "resource_circulation")
        # Yeosu 30/45 plus Pohang 8/37/30 억원: 38, 82, 30 억원 a year for the programme
        assert rc.budget_by_year_krw == [38 * EOK, 82 * EOK, 30 * EOK]
        ax = next(p for p in programmes if p.code == "ax_demo_complex")
        assert ax.budget_by_year_krw == [60 * EOK, 150 * EOK, 150 * EOK, 60 * EOK]
        assert ax.max_per_region == 1
        assert service.load_call_2026(s).id == call.id
