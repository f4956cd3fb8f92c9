"""Web pages of the programs domain: the call's notices, applications, reviews and results.

Pages open their session with :func:`sandan.web.pages.open_page` (the one access policy decides
what they show: an applicant sees its own applications and, once announced, its own scores; a
reviewer its own assignments; the programme office everything) and render through
:func:`sandan.web.render.render`.  ``NAV`` lists the links this domain adds to the main navigation.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from sandan.programs import service
from sandan.programs.calls import as_utc
from sandan.programs.catalogue import EOK_KRW
from sandan.programs.models import Application, ApplicationResult
from sandan.web.i18n import N_
from sandan.web.nav import NavEntry
from sandan.web.pages import open_page, page
from sandan.web.render import Viewer

router = APIRouter(include_in_schema=False)

STATUS_LABELS = {"draft": N_("Draft"), "open": N_("Open"), "closed": N_("Closed"), "evaluation": N_("Evaluation"),
                 "selection": N_("Selection"), "announced": N_("Announced"), "submitted": N_("Submitted")}


def _reviewer(viewer: Viewer) -> str | None:
    return "/programmes/reviews" if {"reviewer", "programme_officer"} & viewer.roles else None


NAV: tuple[NavEntry, ...] = (
    NavEntry(N_("Programmes"), lambda viewer: "/programmes"),
    NavEntry(N_("Applications"), lambda viewer: "/programmes/applications"),
    NavEntry(N_("Reviews"), _reviewer),
)


def eok(krw: int) -> str:
    """An amount in 억원 (100 million KRW), as the announcement writes budgets."""
    return f"{krw / EOK_KRW:,.1f}".removesuffix(".0")


@router.get("/programmes")
@page
def notices_page(request: Request) -> Response:
    """Every call with its programmes: awards, national budget per award and by year, who may apply."""
    with open_page(request) as ctx:
        calls = [(c, service.programmes_of(ctx.session, c.id)) for c in service.list_calls(ctx.session)]
        return ctx.render("programs/notices.html", calls=calls, eok=eok, status_labels=STATUS_LABELS,
                          as_utc=as_utc, officer=ctx.principal.is_programme_officer or ctx.principal.is_admin)


def _application_row(ctx: Any, app: Application) -> dict[str, Any]:
    result: ApplicationResult | None = service.result_of(ctx.session, app.id)
    programme = service.get_programme(ctx.session, app.programme_id)
    return {"app": app, "programme": programme, "result": result,
            "findings": service.findings(ctx.session, app, programme) if app.status == "draft" else []}


@router.get("/programmes/applications")
@page
def applications_page(request: Request) -> Response:
    """The caller's applications (the programme office: all; a reviewer: the assigned ones)."""
    with open_page(request) as ctx:
        apps = service.list_applications(ctx.session, limit=500)
        return ctx.render("programs/applications.html", rows=[_application_row(ctx, a) for a in apps],
                          status_labels=STATUS_LABELS, as_utc=as_utc, eok=eok)


@router.get("/programmes/reviews")
@page
def reviews_page(request: Request) -> Response:
    """A reviewer's own assignments with its sheet totals; never another reviewer's."""
    with open_page(request) as ctx:
        rows = []
        for a in service.list_assignments(ctx.session, limit=500):
            app = service.find_application(ctx.session, a.application_id)
            rows.append({"assignment": a, "app": app, "sheet": service.sheet_of(ctx.session, a.id)})
        return ctx.render("programs/reviews.html", rows=rows)


@router.get("/programmes/calls/{call_id:int}/results")
@page
def results_page(request: Request, call_id: int) -> Response:
    """The ranking of a call: the programme office sees all; an applicant its own once announced."""
    with open_page(request) as ctx:
        call = service.get_call(ctx.session, call_id)
        programmes = {p.id: p for p in service.programmes_of(ctx.session, call.id)}
        results = service.results_of_call(ctx.session, call.id)
        titles = {r.application_id: service.find_application(ctx.session, r.application_id) for r in results}
        return ctx.render("programs/results.html", call=call, programmes=programmes, results=results,
                          titles=titles, status_labels=STATUS_LABELS)
