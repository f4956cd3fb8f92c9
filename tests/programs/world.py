"""Programme-office rows for the API tests' world and the programs tests.

* an *open* call (closes 30 days from now) with two programmes: ``open_a`` holds a complete draft
  application of every tenant, ``open_b`` none (the target of new applications);
* a call in *evaluation* with programme ``eval`` (panel of one): a submitted application of every
  tenant; the reviewer ``reviewer`` is assigned to A's, ``reviewer2`` to B's and C's;
* a project on each tenant's submitted application (2 years of 1억원 national);
* a programme officer.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy.orm import Session

from sandan.core.auth.models import User
from sandan.core.timeutil import now_utc
from sandan.programs import service
from sandan.programs.calls import CallStatus
from sandan.programs.catalogue import ProgrammeSpec
from sandan.programs.models import Application, Project, ReviewAssignment
from sandan.programs.schemas import ApplicationCreate
from tests.factories import Tenant, system

EOK = 100_000_000


def spec(code: str, *, awards: int = 3, caps: dict[str, list[int]] | None = None, rule: str = "designated",
         share_pct: int = 50) -> ProgrammeSpec:
    """A programme spec for tests: by default 2 project years with a cap of 1억원 each."""
    caps = caps or {"*": [EOK, EOK]}
    return ProgrammeSpec(code=code, area="GX", name_ko=f"시험 {code}", name_en=f"test {code}", awards=awards,
                         award_unit="complex", budget_per_award_krw=sum(next(iter(caps.values()))),
                         year_caps_krw=caps, eligibility_rule=rule, eligibility_text=rule,
                         max_national_share_pct=share_pct, source="test")


def content(title: str = "시험 신청") -> dict[str, object]:
    """A complete application body for a 2-year, 1억원-per-year programme (national exactly half)."""
    line = {"national_krw": EOK, "local_krw": EOK // 2, "private_krw": EOK // 2}
    return {"title": title, "summary": "", "members": [{"kind": "local_government", "name": "광양시"}],
            "budget": [{"year": 1, **line}, {"year": 2, **line}],
            "documents": [{"name": "사업계획서.pdf", "kind": "plan"}]}


@dataclass
class ProgrammeWorld:
    officer: User
    reviewer_user: User
    reviewer2_user: User
    open_call_id: int
    eval_call_id: int
    new_programme_id: int          # open_b: no applications yet
    drafts: dict[str, int]         # tenant -> draft application in open_a
    submitted: dict[str, int]      # tenant -> submitted application in eval
    assignments: dict[str, int]    # tenant -> assignment on its submitted application
    projects: dict[str, int]       # tenant -> a project (2 years of 1억원 national) on its submitted application


def add_programmes(session: Session, tenants: Mapping[str, Tenant], *, prefix: str = "w") -> ProgrammeWorld:
    system(session)
    now = now_utc()
    officer = service.add_officer(session, f"officer.{prefix}@sandan.test", "담당자")
    reviewer = service.add_reviewer(session, f"reviewer.{prefix}@sandan.test", "평가위원 1", affiliation="평가대학교")
    reviewer2 = service.add_reviewer(session, f"reviewer2.{prefix}@sandan.test", "평가위원 2", affiliation="평가연구원")
    open_call = service.create_call(session, code=f"{prefix}-open", year=now.year, title_ko="시험 공고",
                                    title_en="test call", opens_at=now - dt.timedelta(days=10),
                                    closes_at=now + dt.timedelta(days=30), specs=[spec("open_a"), spec("open_b")],
                                    status=CallStatus.open)
    open_a, open_b = service.programmes_of(session, open_call.id)
    drafts = {name: service.create_application(session, ApplicationCreate(
        programme_id=open_a.id, company_id=t.company_id, **content())).id  # type: ignore[arg-type]
        for name, t in tenants.items()}
    eval_call = service.create_call(session, code=f"{prefix}-eval", year=now.year, title_ko="평가 중 공고",
                                    title_en="call in evaluation", opens_at=now - dt.timedelta(days=60),
                                    closes_at=now - dt.timedelta(days=30), specs=[spec("eval")],
                                    status=CallStatus.open)
    (programme,) = service.programmes_of(session, eval_call.id)
    programme.panel_size = 1
    submitted: dict[str, int] = {}
    for name, t in tenants.items():
        app = service.create_application(session, ApplicationCreate(
            programme_id=programme.id, company_id=t.company_id, **content()),  # type: ignore[arg-type]
            at=now - dt.timedelta(days=40))
        service.submit_application(session, app.id, at=now - dt.timedelta(days=40))
        submitted[name] = app.id
    eval_call.status = CallStatus.evaluation
    assignments: dict[str, int] = {}
    for name, app_id in submitted.items():
        who = reviewer if name == "A" else reviewer2
        app = session.get(Application, app_id)
        assert app is not None
        row = ReviewAssignment(application_id=app_id, programme_id=programme.id, reviewer_id=who.id,
                               company_id=app.company_id,
                               reviewer_user_id=who.reviewer_user_id)
        session.add(row)
        session.flush()
        assignments[name] = row.id
    projects: dict[str, int] = {}
    for name, app_id in submitted.items():
        app = session.get(Application, app_id)
        assert app is not None
        project = Project(company_id=app.company_id, application_id=app_id, programme_id=programme.id,
                          title=app.title, schedule_krw=[EOK, EOK])
        session.add(project)
        session.flush()
        projects[name] = project.id
    reviewer_user = session.get(User, reviewer.reviewer_user_id)
    reviewer2_user = session.get(User, reviewer2.reviewer_user_id)
    assert reviewer_user is not None
    assert reviewer2_user is not None
    return ProgrammeWorld(officer, reviewer_user, reviewer2_user, open_call.id, eval_call.id, open_b.id, drafts,
                          submitted, assignments, projects)
