"""Use cases of the programme office: calls and programmes, applications, panels and score
sheets, aggregation and selection, announcement.

Who may do what is the access policy's (the models state the rules); this module adds the checks
that depend on state: the call's status and deadline, the applicant's eligibility, the budget
plan, conflicts of interest.  Every refusal says why, in words, and writes nothing.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import asdict
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from sandan.bootstrap import organisation
from sandan.core.auth.models import OrgKind, Role, User
from sandan.core.auth.policy import Principal
from sandan.core.auth.service import add_membership, create_user
from sandan.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from sandan.core.tenancy.models import Company, Complex
from sandan.core.timeutil import KST, now_utc
from sandan.programs import budget as budget_rules
from sandan.programs import catalogue, conflicts, eligibility, scoring, selection
from sandan.programs.calls import CallStatus, as_utc, check_transition, check_window
from sandan.programs.catalogue import Indicator, ProgrammeSpec
from sandan.programs.eligibility import Refusal
from sandan.programs.models import (
    Application,
    ApplicationResult,
    Disbursement,
    Programme,
    ProgrammeCall,
    Project,
    ReviewAssignment,
    Reviewer,
    ReviewerConflict,
    ScoreSheet,
)
from sandan.programs.schemas import ApplicationCreate, ApplicationUpdate

#: The 2026 call's window: open 29 April, close 8 June 2026 (the announcement's dates; the hours,
#: 09:00 and 18:00 KST, are ours until checked against the notice).
CALL_2026_OPENS = dt.datetime(2026, 4, 29, 9, 0, tzinfo=KST)
CALL_2026_CLOSES = dt.datetime(2026, 6, 8, 18, 0, tzinfo=KST)


def _principal(session: Session) -> Principal:
    principal = session.info["principal"]
    assert isinstance(principal, Principal)
    return principal


def _get(session: Session, model: Any, row_id: int, what: str) -> Any:
    row = session.execute(select(model).where(model.id == row_id)).scalar_one_or_none()
    if row is None:
        raise NotFound(f"{what} {row_id} not found")
    return row


def _refuse(refusals: Sequence[Refusal], lead: str, error: type[InvalidInput] | type[Conflict] = InvalidInput) -> None:
    if refusals:
        raise error(f"{lead}: " + "; ".join(r.message for r in refusals),
                    data={"findings": [asdict(r) for r in refusals]})


def _require_officer(session: Session, what: str) -> Principal:
    p = _principal(session)
    if not (p.is_admin or p.is_programme_officer):
        raise Forbidden(f"only the programme office may {what}")
    return p


# --- people ------------------------------------------------------------------------------------

def add_officer(session: Session, email: str, name: str, password: str | None = None) -> User:
    """A programme-office staff member (run with the system's rights: CLI, demo, tests)."""
    org = organisation(session, OrgKind.programme_office, name="programme office")
    user = create_user(session, email, name, password)
    add_membership(session, user, org, Role.programme_officer)
    return user


def add_reviewer(session: Session, email: str, name: str, *, affiliation: str = "",
                 affiliation_company_id: int | None = None, expertise: str = "",
                 password: str | None = None) -> Reviewer:
    """An external evaluator of the review pool (run with the system's rights)."""
    org = organisation(session, OrgKind.review_pool, name="review pool")
    user = create_user(session, email, name, password)
    add_membership(session, user, org, Role.reviewer)
    reviewer = Reviewer(reviewer_user_id=user.id, name=name, affiliation=affiliation,
                        affiliation_company_id=affiliation_company_id, expertise=expertise)
    session.add(reviewer)
    session.flush()
    return reviewer


# --- calls and programmes ----------------------------------------------------------------------

def programme_budget_by_year(spec: ProgrammeSpec) -> list[int]:
    """The programme's national budget per project year [KRW]: awards × the cap when one schedule
    serves every complex; the sum of the schedules when each named complex has its own."""
    years = spec.duration_years
    if list(spec.year_caps_krw) == ["*"]:
        return [spec.awards * cap for cap in spec.year_caps_krw["*"]]
    return [sum(caps[y] for caps in spec.year_caps_krw.values() if y < len(caps)) for y in range(years)]


def default_region_cap(awards: int) -> int:
    """Awards per mega-region by default: a third of the awards, rounded up (ours, changeable)."""
    return max(1, math.ceil(awards / 3))


def create_call(session: Session, *, code: str, year: int, title_ko: str, title_en: str, opens_at: dt.datetime,
                closes_at: dt.datetime, specs: Sequence[ProgrammeSpec], source: str = "",
                status: CallStatus = CallStatus.draft,
                indicators: Sequence[Indicator] | None = None) -> ProgrammeCall:
    """A call with its programmes (from the reference table or given specs)."""
    _require_officer(session, "create calls")
    if closes_at <= opens_at:
        raise InvalidInput("the call must close after it opens", field="closes_at")
    if session.execute(select(ProgrammeCall.id).where(ProgrammeCall.code == code)).first() is not None:
        raise Conflict(f"a call with code {code} exists", field="code")
    call = ProgrammeCall(code=code, year=year, title_ko=title_ko, title_en=title_en, status=status,
                         opens_at=opens_at, closes_at=closes_at, source=source)
    session.add(call)
    session.flush()
    inds = [asdict(i) for i in (indicators or catalogue.default_indicators())]
    for spec in specs:
        session.add(Programme(
            call_id=call.id, code=spec.code, area=spec.area, name_ko=spec.name_ko, name_en=spec.name_en,
            awards=spec.awards, award_unit=spec.award_unit, budget_per_award_krw=spec.budget_per_award_krw,
            year_caps_krw=spec.year_caps_krw, budget_by_year_krw=programme_budget_by_year(spec),
            eligibility_rule=spec.eligibility_rule, eligibility_text=spec.eligibility_text,
            max_national_share_pct=spec.max_national_share_pct, max_per_region=default_region_cap(spec.awards),
            indicators=inds, source=spec.source))
    session.flush()
    return call


def load_call_2026(session: Session, status: CallStatus = CallStatus.draft) -> ProgrammeCall:
    """The 2026 integrated call with its nine programmes (idempotent: an existing call is returned)."""
    found = session.execute(select(ProgrammeCall).where(ProgrammeCall.code == "sgc-2026")).scalar_one_or_none()
    if found is not None:
        return found
    return create_call(session, code="sgc-2026", year=2026, title_ko="2026년 스마트그린산단 통합공고",
                       title_en="2026 smart green complex integrated call", opens_at=CALL_2026_OPENS,
                       closes_at=CALL_2026_CLOSES, specs=catalogue.programmes_2026(), status=status,
                       source="ministry 2026 smart green complex integrated call announcement")


def list_calls(session: Session) -> list[ProgrammeCall]:
    return list(session.execute(select(ProgrammeCall).order_by(ProgrammeCall.year.desc(), ProgrammeCall.id))
                .scalars())


def get_call(session: Session, call_id: int) -> ProgrammeCall:
    return _get(session, ProgrammeCall, call_id, "call")  # type: ignore[no-any-return]


def programmes_of(session: Session, call_id: int) -> list[Programme]:
    return list(session.execute(select(Programme).where(Programme.call_id == call_id).order_by(Programme.id))
                .scalars())


def get_programme(session: Session, programme_id: int) -> Programme:
    return _get(session, Programme, programme_id, "programme")  # type: ignore[no-any-return]


def update_programme(session: Session, programme_id: int, changes: dict[str, Any]) -> Programme:
    """Change a programme's evaluation settings (``max_per_region``, ``panel_size``,
    ``trim_min_panel``) before the selection runs."""
    _require_officer(session, "change a programme")
    programme = get_programme(session, programme_id)
    call = get_call(session, programme.call_id)
    if call.status in (CallStatus.selection, CallStatus.announced):
        raise Conflict(f"the call is in {call.status.value}: its programmes no longer change")
    for key, value in changes.items():
        setattr(programme, key, value)
    session.flush()
    return programme


def transition_call(session: Session, call_id: int, to: CallStatus, at: dt.datetime | None = None) -> ProgrammeCall:
    """Move a call to the next status; announcing publishes every result of the call."""
    _require_officer(session, "change a call's status")
    call = get_call(session, call_id)
    _refuse(check_transition(call.status, to), "the call cannot change status", Conflict)
    at = at or now_utc()
    if to == CallStatus.announced:
        programme_ids = [p.id for p in programmes_of(session, call.id)]
        results = session.execute(select(ApplicationResult)
                                  .where(ApplicationResult.programme_id.in_(programme_ids))).scalars().all()
        if not results:
            raise Conflict("there are no results to announce: run the selection first")
        for result in results:
            result.published_at = at
        call.announced_at = at
        award_projects(session, [r for r in results if r.selected])
    call.status = to
    session.flush()
    return call


# --- applications ------------------------------------------------------------------------------

def _applicant(complex_: Complex, company: Company | None, ksic_code: str) -> eligibility.Applicant:
    return eligibility.Applicant(complex_code=complex_.code, designated_year=complex_.designated_year,
                                 is_company=company is not None or bool(ksic_code), ksic_code=ksic_code)


def _window(session: Session, programme: Programme, at: dt.datetime) -> ProgrammeCall:
    call = get_call(session, programme.call_id)
    _refuse(check_window(call.status, call.opens_at, call.closes_at, at), "the call does not take applications now",
            Conflict)
    return call


def findings(session: Session, app: Application, programme: Programme | None = None) -> list[Refusal]:
    """What stands between an application and its submission: eligibility, content, budget plan."""
    programme = programme or get_programme(session, app.programme_id)
    call = get_call(session, programme.call_id)
    complex_ = _get(session, Complex, app.complex_id, "complex")
    out = eligibility.check(programme.eligibility_rule, _applicant(complex_, None, app.ksic_code), call.year)
    if not app.title.strip():
        out.append(Refusal("title", "the application needs a title"))
    plan = [budget_rules.YearBudget(**line) for line in app.budget]
    out += budget_rules.check_plan(plan, programme.year_caps_krw, complex_.code, programme.max_national_share_pct)
    if not any(d.get("kind") == "plan" for d in app.documents):
        out.append(Refusal("documents", "attach the project plan (a document of kind 'plan')"))
    return out


def _apply_content(app: Application, data: ApplicationUpdate) -> None:
    app.title = data.title
    app.summary = data.summary
    app.members = [m.model_dump() for m in data.members]
    app.budget = [line.model_dump() for line in data.budget]
    app.documents = [d.model_dump() for d in data.documents]


def create_application(session: Session, data: ApplicationCreate, at: dt.datetime | None = None) -> Application:
    """A draft application of a company (its admins) to a programme, while the call is open; an
    ineligible applicant is refused with the reasons."""
    company = _get(session, Company, data.company_id, "company")
    programme = get_programme(session, data.programme_id)
    call = _window(session, programme, at or now_utc())
    complex_ = _get(session, Complex, company.complex_id, "complex")
    _refuse(eligibility.check(programme.eligibility_rule, _applicant(complex_, company, company.ksic_code), call.year),
            "not eligible")
    exists = session.execute(select(Application.id).where(Application.programme_id == programme.id,
                                                          Application.company_id == company.id)).first()
    if exists is not None:
        raise Conflict(f"the company already has application {exists[0]} in this programme")
    app = Application(company_id=company.id, programme_id=programme.id, complex_id=complex_.id,
                      applicant_name=company.name, ksic_code=company.ksic_code, status="draft")
    _apply_content(app, data)
    session.add(app)
    session.flush()
    return app


def get_application(session: Session, application_id: int) -> Application:
    return _get(session, Application, application_id, "application")  # type: ignore[no-any-return]


def find_application(session: Session, application_id: int) -> Application | None:
    """The application if the caller may read it, else ``None``."""
    return session.execute(select(Application).where(Application.id == application_id)).scalar_one_or_none()


def list_applications(session: Session, *, programme: str | None = None, after_id: int = 0,
                      limit: int = 50) -> list[Application]:
    stmt = select(Application).where(Application.id > after_id)
    if programme:
        stmt = stmt.where(Application.programme_id.in_(select(Programme.id).where(Programme.code == programme)))
    return list(session.execute(stmt.order_by(Application.id).limit(limit)).scalars())


def update_application(session: Session, application_id: int, data: ApplicationUpdate,
                       at: dt.datetime | None = None) -> Application:
    """Replace an application's content until the deadline; a submitted one must stay valid."""
    app = get_application(session, application_id)
    programme = get_programme(session, app.programme_id)
    _window(session, programme, at or now_utc())
    _apply_content(app, data)
    if app.status == "submitted":
        _refuse(findings(session, app, programme), "a submitted application must stay complete")
    session.flush()
    return app


def submit_application(session: Session, application_id: int, at: dt.datetime | None = None) -> Application:
    """Submit (or re-submit) an application: in the window, eligible, complete; gives a receipt."""
    app = get_application(session, application_id)
    programme = get_programme(session, app.programme_id)
    at = at or now_utc()
    call = _window(session, programme, at)
    _refuse(findings(session, app, programme), "the application cannot be submitted yet")
    app.status = "submitted"
    app.submitted_at = at
    app.receipt_no = app.receipt_no or f"{call.code}-{programme.code}-{app.id:06d}"
    session.flush()
    return app


def result_of(session: Session, application_id: int) -> ApplicationResult | None:
    """The application's result if the caller may see it (applicants: once announced)."""
    return session.execute(select(ApplicationResult).where(ApplicationResult.application_id == application_id)
                           ).scalar_one_or_none()


# --- panels and score sheets -------------------------------------------------------------------

def _profiles(session: Session) -> list[conflicts.ReviewerProfile]:
    reviewers = session.execute(select(Reviewer).where(Reviewer.active.is_(True)).order_by(Reviewer.id)).scalars()
    declared: dict[int, list[ReviewerConflict]] = defaultdict(list)
    for c in session.execute(select(ReviewerConflict)).scalars():
        declared[c.reviewer_id].append(c)
    return [conflicts.ReviewerProfile(
        id=r.id, affiliation=r.affiliation, affiliation_company_id=r.affiliation_company_id,
        declared_application_ids=frozenset(c.application_id for c in declared[r.id] if c.application_id),
        declared_company_ids=frozenset(c.conflict_company_id for c in declared[r.id] if c.conflict_company_id))
        for r in reviewers]


def parties_of(app: Application) -> conflicts.Parties:
    return conflicts.Parties(
        application_id=app.id, company_id=app.company_id, applicant_name=app.applicant_name,
        member_company_ids=frozenset(m["company_id"] for m in app.members if m.get("company_id")),
        member_names=frozenset(m["name"] for m in app.members))


def _submitted(session: Session, programme_id: int) -> list[Application]:
    return list(session.execute(select(Application).where(Application.programme_id == programme_id,
                                                          Application.status == "submitted")
                                .order_by(Application.id)).scalars())


def assign_panels(session: Session, call_id: int) -> list[dict[str, Any]]:
    """Complete the panel of every submitted application of a closed call (or one in evaluation):
    ``panel_size`` reviewers each, none in conflict (own organisation, consortium member,
    declared).  Returns per programme the count assigned and the applications left short."""
    _require_officer(session, "assign panels")
    call = get_call(session, call_id)
    if call.status not in (CallStatus.closed, CallStatus.evaluation):
        raise Conflict(f"panels are assigned once the call is closed; it is {call.status.value}")
    profiles = _profiles(session)
    user_of = {rid: uid for rid, uid in session.execute(select(Reviewer.id, Reviewer.reviewer_user_id))}
    out = []
    for programme in programmes_of(session, call.id):
        apps = _submitted(session, programme.id)
        companies = {a.id: a.company_id for a in apps}
        existing: dict[int, set[int]] = defaultdict(set)
        for a in session.execute(select(ReviewAssignment).where(ReviewAssignment.programme_id == programme.id)
                                 ).scalars():
            existing[a.application_id].add(a.reviewer_id)  # withdrawn ones too: never re-assigned
        active: dict[int, set[int]] = defaultdict(set)
        for a in session.execute(select(ReviewAssignment).where(ReviewAssignment.programme_id == programme.id,
                                                                ReviewAssignment.withdrawn_at.is_(None))).scalars():
            active[a.application_id].add(a.reviewer_id)
        plan = conflicts.plan_panels([parties_of(a) for a in apps],
                                     profiles, programme.panel_size, dict(active))
        count = 0
        for app_id, reviewer_ids in plan.assignments.items():
            for rid in reviewer_ids:
                if rid in existing[app_id]:
                    continue
                session.add(ReviewAssignment(application_id=app_id, programme_id=programme.id, reviewer_id=rid,
                                             company_id=companies[app_id], reviewer_user_id=user_of[rid]))
                count += 1
        out.append({"programme_id": programme.id, "code": programme.code, "assigned": count,
                    "short": {str(k): v for k, v in plan.short.items()}})
    session.flush()
    return out


def _own_assignment(session: Session, assignment_id: int) -> tuple[ReviewAssignment, Reviewer]:
    p = _principal(session)
    assignment: ReviewAssignment = _get(session, ReviewAssignment, assignment_id, "assignment")
    if assignment.reviewer_user_id != p.user_id:
        raise Forbidden("only the assigned reviewer scores or declares a conflict on an assignment")
    reviewer: Reviewer = _get(session, Reviewer, assignment.reviewer_id, "reviewer")
    return assignment, reviewer


def list_assignments(session: Session, *, after_id: int = 0, limit: int = 50) -> list[ReviewAssignment]:
    return list(session.execute(select(ReviewAssignment).where(ReviewAssignment.id > after_id)
                                .order_by(ReviewAssignment.id).limit(limit)).scalars())


def get_assignment(session: Session, assignment_id: int) -> ReviewAssignment:
    return _get(session, ReviewAssignment, assignment_id, "assignment")  # type: ignore[no-any-return]


def sheet_of(session: Session, assignment_id: int) -> ScoreSheet | None:
    return session.execute(select(ScoreSheet).where(ScoreSheet.assignment_id == assignment_id)).scalar_one_or_none()


def submit_scores(session: Session, assignment_id: int, scores: dict[str, float], comment: str = "") -> ScoreSheet:
    """The assigned reviewer's score sheet (replaced until the selection runs).  Refused when the
    assignment was withdrawn or a conflict of interest exists (checked again here, so a conflict
    never reaches a score sheet), or a score is missing or out of range."""
    assignment, reviewer = _own_assignment(session, assignment_id)
    programme = get_programme(session, assignment.programme_id)
    call = get_call(session, programme.call_id)
    if call.status != CallStatus.evaluation:
        raise Conflict(f"score sheets are taken while the call is in evaluation; it is {call.status.value}")
    if assignment.withdrawn_at is not None:
        raise Conflict(f"this assignment was withdrawn: {assignment.withdrawn_reason}")
    app = get_application(session, assignment.application_id)
    profile = next(p for p in _profiles(session) if p.id == reviewer.id)
    _refuse(conflicts.conflicts(profile, parties_of(app)), "conflict of interest", Conflict)
    indicators = [Indicator(**i) for i in programme.indicators]
    _refuse(scoring.check_sheet(scores, indicators), "the score sheet is not complete")
    sheet = sheet_of(session, assignment.id) or ScoreSheet(assignment_id=assignment.id, application_id=app.id,
                                                           reviewer_user_id=reviewer.reviewer_user_id)
    sheet.scores = {i.code: float(scores[i.code]) for i in indicators}
    sheet.total = float(sum(sheet.scores.values()))
    sheet.comment = comment
    sheet.submitted_at = now_utc()
    session.add(sheet)
    session.flush()
    return sheet


def declare_conflict(session: Session, assignment_id: int, reason: str) -> ReviewAssignment:
    """The assigned reviewer declares a conflict: it is recorded, the assignment withdrawn and any
    sheet of it removed (the office completes the panel with another reviewer)."""
    assignment, reviewer = _own_assignment(session, assignment_id)
    session.add(ReviewerConflict(reviewer_id=reviewer.id, reviewer_user_id=reviewer.reviewer_user_id,
                                 application_id=assignment.application_id, reason=reason))
    sheet = sheet_of(session, assignment.id)
    if sheet is not None:
        session.delete(sheet)
    if assignment.withdrawn_at is None:
        assignment.withdrawn_at = now_utc()
        assignment.withdrawn_reason = f"conflict declared: {reason}"
    session.flush()
    return assignment


# --- aggregation, selection, announcement -----------------------------------------------------

def evaluate_programme(session: Session, programme: Programme) -> dict[str, Any]:
    """Aggregate every submitted application's sheets, add bonus points, select the awards and
    store each result with its explanation (unpublished until the call is announced)."""
    apps = _submitted(session, programme.id)
    call = get_call(session, programme.call_id)
    sheets: dict[int, list[ScoreSheet]] = defaultdict(list)
    active = select(ReviewAssignment.id).where(ReviewAssignment.programme_id == programme.id,
                                               ReviewAssignment.withdrawn_at.is_(None))
    for sheet in session.execute(select(ScoreSheet).where(ScoreSheet.assignment_id.in_(active))).scalars():
        sheets[sheet.application_id].append(sheet)
    complexes = {c.id: c for c in session.execute(select(Complex)).scalars()}
    table = catalogue.bonus_table()
    years = len(programme.budget_by_year_krw)
    limits = selection.Limits(programme.awards, tuple(programme.budget_by_year_krw), programme.max_per_region)
    candidates: list[selection.Candidate] = []
    rows: dict[int, dict[str, Any]] = {}
    order = sorted(apps, key=lambda a: (as_utc(a.submitted_at or now_utc()), a.id))
    for position, app in enumerate(order):
        complex_ = complexes[app.complex_id]
        refusals = eligibility.check(programme.eligibility_rule, _applicant(complex_, None, app.ksic_code), call.year)
        own = sheets.get(app.id, [])
        row: dict[str, Any] = {"eligible": not refusals, "sheet_totals": [], "indicator_means": {},
                               "trimmed": False, "average_centi": 0, "bonus_centi": 0, "bonus_reasons": [],
                               "bonus_table_version": table.version, "final_centi": 0}
        if own and not refusals:
            agg = scoring.aggregate([s.total for s in own], programme.trim_min_panel)
            b = scoring.bonus(complex_.code, complex_.capital_area, table)
            row.update(sheet_totals=list(agg.totals), trimmed=agg.dropped is not None, average_centi=agg.average_centi,
                       bonus_centi=scoring.to_centi(b.points), bonus_reasons=list(b.reasons),
                       indicator_means={code: round(sum(s.scores[code] for s in own) / len(own), 2)
                                        for code in own[0].scores})
            row["final_centi"] = row["average_centi"] + row["bonus_centi"]
            plan = [budget_rules.YearBudget(**line) for line in app.budget]
            candidates.append(selection.Candidate(app.id, row["final_centi"], complex_.mega_region,
                                                  tuple(budget_rules.national_by_year(plan, years)), position))
        rows[app.id] = row
        row["explanation"] = [asdict(r) for r in refusals] or (
            [] if own else [asdict(Refusal("not_scored", "no score sheet was submitted"))])
    chosen = selection.select(candidates, limits)
    why = selection.explain(candidates, limits, chosen)
    ranks = {c.id: r for r, c in enumerate(selection.priority(candidates), start=1)}
    existing = {r.application_id: r for r in session.execute(
        select(ApplicationResult).where(ApplicationResult.programme_id == programme.id)).scalars()}
    for app in apps:
        row = rows[app.id]
        result = existing.get(app.id) or ApplicationResult(application_id=app.id, company_id=app.company_id,
                                                           programme_id=programme.id)
        for key, value in row.items():
            setattr(result, key, value)
        if app.id in why:
            result.explanation = [asdict(r) for r in why[app.id]]
        result.rank = ranks.get(app.id)
        result.selected = app.id in chosen
        result.computed_at = now_utc()
        result.published_at = None
        session.add(result)
    session.flush()
    return {"programme_id": programme.id, "code": programme.code, "selected": chosen, "scored": len(candidates)}


def run_selection(session: Session, call_id: int) -> list[dict[str, Any]]:
    """Evaluate and select every programme of a call in evaluation (or re-run in selection)."""
    _require_officer(session, "run the selection")
    call = get_call(session, call_id)
    if call.status not in (CallStatus.evaluation, CallStatus.selection):
        raise Conflict(f"the selection runs once the call is in evaluation; it is {call.status.value}")
    return [evaluate_programme(session, p) for p in programmes_of(session, call.id)]


def results_of_call(session: Session, call_id: int) -> list[ApplicationResult]:
    """The results of a call the caller may see (officers: all; applicants: their own, once announced)."""
    get_call(session, call_id)
    ids = select(Programme.id).where(Programme.call_id == call_id)
    return list(session.execute(select(ApplicationResult).where(ApplicationResult.programme_id.in_(ids))
                                .order_by(ApplicationResult.programme_id, ApplicationResult.rank,
                                          ApplicationResult.application_id)).scalars())


# --- projects after award ----------------------------------------------------------------------

def award_projects(session: Session, selected: Sequence[ApplicationResult]) -> list[Project]:
    """A project for each selected application, its schedule the application's national shares."""
    out = []
    for result in selected:
        if session.execute(select(Project.id).where(Project.application_id == result.application_id)).first():
            continue
        app = get_application(session, result.application_id)
        years = max((line["year"] for line in app.budget), default=0)
        plan = [budget_rules.YearBudget(**line) for line in app.budget]
        project = Project(company_id=app.company_id, application_id=app.id, programme_id=app.programme_id,
                          title=app.title, schedule_krw=budget_rules.national_by_year(plan, years))
        session.add(project)
        out.append(project)
    session.flush()
    return out


def list_projects(session: Session, *, after_id: int = 0, limit: int = 50) -> list[Project]:
    return list(session.execute(select(Project).where(Project.id > after_id).order_by(Project.id).limit(limit))
                .scalars())


def get_project(session: Session, project_id: int) -> Project:
    return _get(session, Project, project_id, "project")  # type: ignore[no-any-return]


def disbursements_of(session: Session, project_id: int) -> list[Disbursement]:
    return list(session.execute(select(Disbursement).where(Disbursement.project_id == project_id)
                                .order_by(Disbursement.year, Disbursement.id)).scalars())


def disburse(session: Session, project_id: int, year: int, amount_krw: int, note: str = "") -> Disbursement:
    """Pay national funds for a project year: never more than the year's schedule in total [KRW]."""
    project = get_project(session, project_id)  # first: a project out of sight is not found, never forbidden
    _require_officer(session, "disburse funds")
    if not 1 <= year <= len(project.schedule_krw):
        raise InvalidInput(f"the project has years 1..{len(project.schedule_krw)}, not {year}", field="year")
    paid = sum(d.amount_krw for d in disbursements_of(session, project.id) if d.year == year)
    left = project.schedule_krw[year - 1] - paid
    if amount_krw > left:
        raise Conflict(f"year {year}: {amount_krw:,} KRW is more than the {left:,} KRW left of the year's "
                       f"schedule of {project.schedule_krw[year - 1]:,} KRW", field="amount_krw")
    row = Disbursement(company_id=project.company_id, project_id=project.id, year=year, amount_krw=amount_krw,
                       note=note)
    session.add(row)
    session.flush()
    return row
