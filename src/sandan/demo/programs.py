"""Demo data of the programme office: the 2026 integrated call with its nine programmes, a
programme officer and a reviewer, and DAEWOO Steel's FEMS+ application (steel is one of the five
carbon-regulated sectors), submitted inside the call's window and waiting for its review panel."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from sandan.core.auth.models import Role, User
from sandan.core.timeutil import KST, now_utc
from sandan.programs import service
from sandan.programs.calls import CallStatus, as_utc
from sandan.programs.models import Application
from sandan.programs.schemas import ApplicationCreate

OFFICER = ("programme@sandan.demo", "demo-programme-2026", "사업 전담기관 담당자")
REVIEWER = ("reviewer@sandan.demo", "demo-reviewer-2026", "평가위원")
#: When the demo's application was submitted: inside the 2026 call's window.
SUBMITTED_AT = dt.datetime(2026, 5, 20, 14, 0, tzinfo=KST)


def load_programs_demo(session: Session, steel_company_id: int | None) -> list[Any]:
    """Load the call and the demo users (idempotent); returns the demo logins it made known."""
    from sandan.demo.loader import DemoUser

    call = service.load_call_2026(session, status=CallStatus.open)
    if session.execute(select(User.id).where(User.email == OFFICER[0])).first() is None:
        service.add_officer(session, OFFICER[0], OFFICER[2], OFFICER[1])
    if session.execute(select(User.id).where(User.email == REVIEWER[0])).first() is None:
        service.add_reviewer(session, REVIEWER[0], REVIEWER[2], password=REVIEWER[1],
                             affiliation="한국에너지공과대학교", expertise="FEMS, 탄소배출 측정")
    if steel_company_id is not None and call.status == CallStatus.open:
        fems_plus = next(p for p in service.programmes_of(session, call.id) if p.code == "fems_plus")
        exists = session.execute(select(Application.id).where(Application.programme_id == fems_plus.id,
                                                              Application.company_id == steel_company_id)).first()
        if exists is None:
            # 6억원 national (the cap) matched by 3억원 local and 3억원 private: national exactly half
            app = service.create_application(session, ApplicationCreate.model_validate({
                "programme_id": fems_plus.id, "company_id": steel_company_id,
                "title": "대우스틸 FEMS+ 탄소배출 실측 구축",
                "summary": "수전·공정 계량 데이터로 FEMS와 탄소배출 실측을 구축",
                "members": [{"kind": "complex_body", "name": "광양산단 관리기관"},
                            {"kind": "institute", "name": "한국에너지기술연구원"}],
                "budget": [{"year": 1, "national_krw": 600_000_000, "local_krw": 300_000_000,
                            "private_krw": 300_000_000}],
                "documents": [{"name": "사업계획서.pdf", "kind": "plan"}]}), at=SUBMITTED_AT)
            service.submit_application(session, app.id, at=SUBMITTED_AT)
    if call.status == CallStatus.open and now_utc() > as_utc(call.closes_at):
        service.transition_call(session, call.id, CallStatus.closed)
        service.transition_call(session, call.id, CallStatus.evaluation)
        service.assign_panels(session, call.id)
    return [DemoUser(Role.programme_officer, OFFICER[0], OFFICER[1], OFFICER[2], "programme office"),
            DemoUser(Role.reviewer, REVIEWER[0], REVIEWER[1], REVIEWER[2], "review pool")]
