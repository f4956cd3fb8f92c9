"""HTTP API of the programs domain, mounted under ``/api/v1`` by :mod:`sandan.app`.

Calls and programmes are public notices; applications are the applicant company's (programme
officers read all, a reviewer the ones assigned to it); ``/reviews`` are a reviewer's own
assignments and score sheets (never another reviewer's, never shown to applicants).
"""

from __future__ import annotations

from typing import Annotated, Any

import pandas as pd
from fastapi import APIRouter, Query

from sandan.core.http import (
    BODY_PROBLEMS,
    FILE_RESPONSES,
    SIGNED_IN_PROBLEMS,
    ExportFormat,
    IdPath,
    PageDep,
    SessionDep,
    export_frame,
    page_body,
)
from sandan.core.timeutil import KST
from sandan.programs import schemas, service
from sandan.programs.calls import as_utc
from sandan.programs.models import Application, ApplicationResult, ProgrammeCall, Project, ReviewAssignment

router = APIRouter(tags=["programs"], responses=SIGNED_IN_PROBLEMS)
Format = ExportFormat


def _call(session: Any, call: ProgrammeCall) -> schemas.CallRead:
    out = schemas.CallRead.model_validate(call)
    out.programmes = [schemas.ProgrammeRead.model_validate(p) for p in service.programmes_of(session, call.id)]
    return out


def result_read(result: ApplicationResult) -> schemas.ResultRead:
    return schemas.ResultRead(
        eligible=result.eligible, sheet_totals=result.sheet_totals, indicator_means=result.indicator_means,
        trimmed=result.trimmed, average=result.average_centi / 100, bonus=result.bonus_centi / 100,
        bonus_reasons=result.bonus_reasons, bonus_table_version=result.bonus_table_version,
        final=result.final_centi / 100, rank=result.rank, selected=result.selected,
        explanation=[schemas.Finding(**f) for f in result.explanation], published_at=result.published_at)


def application_read(session: Any, app: Application, *, with_findings: bool = True) -> schemas.ApplicationRead:
    out = schemas.ApplicationRead.model_validate(app)
    if with_findings and app.status == "draft":
        out.findings = [schemas.Finding(code=r.code, message=r.message, data=r.data)
                        for r in service.findings(session, app)]
    result = service.result_of(session, app.id)
    out.result = result_read(result) if result is not None else None
    return out


def assignment_read(session: Any, a: ReviewAssignment) -> schemas.AssignmentRead:
    """An assignment as its reviewer sees it; once withdrawn the application is out of the
    reviewer's reach, so its title and applicant are left empty."""
    app = service.find_application(session, a.application_id)
    sheet = service.sheet_of(session, a.id)
    return schemas.AssignmentRead(
        id=a.id, application_id=a.application_id, company_id=a.company_id, programme_id=a.programme_id,
        application_title=app.title if app else "", applicant_name=app.applicant_name if app else "",
        withdrawn=a.withdrawn_at is not None,
        scores=sheet.scores if sheet else None, total=sheet.total if sheet else None,
        comment=sheet.comment if sheet else "")


# --- calls and programmes ----------------------------------------------------------------------

@router.get("/calls", response_model=schemas.CallPage)
def list_calls(session: SessionDep) -> Any:
    """Every call with its programmes (public notices)."""
    return {"items": [_call(session, c) for c in service.list_calls(session)], "next_cursor": None}


@router.get("/calls/{call_id}", response_model=schemas.CallRead)
def get_call(session: SessionDep, call_id: IdPath) -> Any:
    """A call: status, window (stored UTC; shown in KST on the pages) and programmes."""
    return _call(session, service.get_call(session, call_id))


@router.post("/calls/{call_id}/transition", response_model=schemas.CallRead, responses=BODY_PROBLEMS)
def transition_call(session: SessionDep, call_id: IdPath, data: schemas.Transition) -> Any:
    """Move the call to its next status (draft → open → closed → evaluation → selection →
    announced); announcing publishes every applicant's own result.  Programme office only."""
    return _call(session, service.transition_call(session, call_id, data.to))


@router.post("/calls/{call_id}/panels", response_model=schemas.CallRun)
def assign_panels(session: SessionDep, call_id: IdPath) -> Any:
    """Complete every submitted application's review panel without conflicts of interest."""
    runs = service.assign_panels(session, call_id)
    return {"call_id": call_id, "programmes": runs}


@router.post("/calls/{call_id}/selection", response_model=schemas.CallRun)
def run_selection(session: SessionDep, call_id: IdPath) -> Any:
    """Aggregate the score sheets, add bonus points and select the awards of every programme
    (exact integer programme); results stay unpublished until the call is announced."""
    return {"call_id": call_id, "programmes": service.run_selection(session, call_id)}


@router.get("/calls/{call_id}/results", response_model=schemas.Ranking, responses=FILE_RESPONSES)
def call_results(session: SessionDep, call_id: IdPath, format: Format = "json") -> Any:
    """The results the caller may see: the programme office all (the ministry's overview across
    programmes and complexes, also as CSV or XLSX); an applicant its own once announced."""
    rows = [schemas.RankingRow(
        application_id=r.application_id, company_id=r.company_id, programme_id=r.programme_id,
        final=r.final_centi / 100, rank=r.rank, selected=r.selected,
        explanation=[schemas.Finding(**f) for f in r.explanation]) for r in service.results_of_call(session, call_id)]
    if format == "json":
        return {"items": rows}
    programmes = {p.id: p for p in service.programmes_of(session, call_id)}
    frame = pd.DataFrame([{
        "programme": programmes[r.programme_id].code, "area": programmes[r.programme_id].area,
        "application_id": r.application_id, "company_id": r.company_id,
        "applicant": (app.applicant_name if (app := service.find_application(session, r.application_id)) else ""),
        "final_score": r.final, "rank": r.rank, "selected": r.selected,
        "explanation": "; ".join(e.message for e in r.explanation)} for r in rows],
        columns=["programme", "area", "application_id", "company_id", "applicant", "final_score", "rank", "selected",
                 "explanation"])
    return export_frame(frame, format, f"call-{call_id}-results")


@router.patch("/programmes/{programme_id}", response_model=schemas.ProgrammeRead, responses=BODY_PROBLEMS)
def update_programme(session: SessionDep, programme_id: IdPath, data: schemas.ProgrammeSettings) -> Any:
    """Change a programme's evaluation settings (awards per mega-region, panel size, trimming)
    until the selection.  Programme office only."""
    return service.update_programme(session, programme_id, data.model_dump(exclude_unset=True))


@router.get("/programmes/{programme_id}", response_model=schemas.ProgrammeRead)
def get_programme(session: SessionDep, programme_id: IdPath) -> Any:
    """A programme's notice: awards, budgets, eligibility, indicators."""
    return service.get_programme(session, programme_id)


# --- applications ------------------------------------------------------------------------------

@router.get("/applications", response_model=schemas.ApplicationPage)
def list_applications(session: SessionDep, page: PageDep,
                      programme: Annotated[str | None, Query(max_length=40, description="programme code")] = None,
                      ) -> Any:
    """Applications the caller may see: its company's; all for the programme office; the assigned
    ones for a reviewer."""
    items = service.list_applications(session, programme=programme, after_id=page.after_id, limit=page.limit)
    return page_body([application_read(session, a, with_findings=False) for a in items], page.limit)


@router.post("/applications", status_code=201, response_model=schemas.ApplicationRead, responses=BODY_PROBLEMS)
def create_application(session: SessionDep, data: schemas.ApplicationCreate) -> Any:
    """Start a draft application while the call is open; an ineligible applicant is refused (422)
    with every reason in words."""
    return application_read(session, service.create_application(session, data))


@router.get("/applications/{application_id}", response_model=schemas.ApplicationRead)
def get_application(session: SessionDep, application_id: IdPath) -> Any:
    """An application, what still blocks its submission, and its own result once announced."""
    return application_read(session, service.get_application(session, application_id))


@router.put("/applications/{application_id}", response_model=schemas.ApplicationRead, responses=BODY_PROBLEMS)
def update_application(session: SessionDep, application_id: IdPath, data: schemas.ApplicationUpdate) -> Any:
    """Replace the content until the deadline (Asia/Seoul); after it, 409."""
    return application_read(session, service.update_application(session, application_id, data))


@router.post("/applications/{application_id}/submit", response_model=schemas.Receipt)
def submit_application(session: SessionDep, application_id: IdPath) -> Any:
    """Submit: eligible, budget within caps and matching, plan attached, before the deadline (a
    second late is refused, 409); answers the receipt."""
    app = service.submit_application(session, application_id)
    assert app.receipt_no is not None
    assert app.submitted_at is not None
    return schemas.Receipt(application_id=app.id, receipt_no=app.receipt_no, submitted_at=app.submitted_at,
                           submitted_at_kst=as_utc(app.submitted_at).astimezone(KST).strftime("%Y-%m-%d %H:%M:%S KST"))


# --- reviews -----------------------------------------------------------------------------------

@router.get("/reviews", response_model=schemas.AssignmentPage)
def list_reviews(session: SessionDep, page: PageDep) -> Any:
    """A reviewer's own assignments (the programme office: all)."""
    items = service.list_assignments(session, after_id=page.after_id, limit=page.limit)
    return page_body([assignment_read(session, a) for a in items], page.limit)


@router.get("/reviews/{assignment_id}", response_model=schemas.AssignmentRead)
def get_review(session: SessionDep, assignment_id: IdPath) -> Any:
    """One assignment with the reviewer's own score sheet."""
    return assignment_read(session, service.get_assignment(session, assignment_id))


@router.put("/reviews/{assignment_id}", response_model=schemas.AssignmentRead, responses=BODY_PROBLEMS)
def put_scores(session: SessionDep, assignment_id: IdPath, data: schemas.ScoreSheetPut) -> Any:
    """The assigned reviewer's score sheet: points per indicator (0..weight); refused on a conflict
    of interest or a withdrawn assignment (409)."""
    service.submit_scores(session, assignment_id, data.scores, data.comment)
    return assignment_read(session, service.get_assignment(session, assignment_id))


@router.post("/reviews/{assignment_id}/conflict", response_model=schemas.AssignmentRead, responses=BODY_PROBLEMS)
def declare_conflict(session: SessionDep, assignment_id: IdPath, data: schemas.ConflictDeclare) -> Any:
    """The assigned reviewer declares a conflict of interest: the assignment is withdrawn and its
    sheet removed."""
    return assignment_read(session, service.declare_conflict(session, assignment_id, data.reason))


# --- projects after award ----------------------------------------------------------------------

def project_read(session: Any, project: Project) -> schemas.ProjectRead:
    paid = [0] * len(project.schedule_krw)
    rows = service.disbursements_of(session, project.id)
    for d in rows:
        paid[d.year - 1] += d.amount_krw
    return schemas.ProjectRead(
        id=project.id, company_id=project.company_id, application_id=project.application_id,
        programme_id=project.programme_id, title=project.title, schedule_krw=project.schedule_krw, paid_krw=paid,
        agreement_no=project.agreement_no, disbursements=[schemas.DisbursementRead.model_validate(d) for d in rows])


@router.get("/projects", response_model=schemas.ProjectPage)
def list_projects(session: SessionDep, page: PageDep) -> Any:
    """Awarded projects: the company's own; all for the programme office."""
    items = service.list_projects(session, after_id=page.after_id, limit=page.limit)
    return page_body([project_read(session, p) for p in items], page.limit)


@router.get("/projects/{project_id}", response_model=schemas.ProjectRead)
def get_project(session: SessionDep, project_id: IdPath) -> Any:
    """A project with its schedule and disbursements."""
    return project_read(session, service.get_project(session, project_id))


@router.post("/projects/{project_id}/disbursements", status_code=201, response_model=schemas.ProjectRead,
             responses=BODY_PROBLEMS)
def disburse(session: SessionDep, project_id: IdPath, data: schemas.DisbursementCreate) -> Any:
    """Pay national funds for a project year (programme office); never past the year's schedule (409)."""
    service.disburse(session, project_id, data.year, data.amount_krw, data.note)
    return project_read(session, service.get_project(session, project_id))
