"""Web pages of the carbon domain: the GHG inventory dashboard and the MRV queue and report pages
(for the reporting company and for the assigned verifier), in Korean and English.

Pages open their session with :func:`sandan.web.pages.open_page` and call the same services as the
API (:mod:`sandan.carbon.service`), so the one access policy decides what they show: a report the
viewer may not read is a 404 page, a form the viewer may not use answers a 403 page.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select

from sandan.carbon import factors, inventory, service
from sandan.carbon.models import REPORT_SCOPE
from sandan.core.errors import InvalidInput
from sandan.core.tenancy import service as tenancy
from sandan.core.tenancy.models import Company
from sandan.core.timeutil import KST, now_utc
from sandan.web.i18n import N_
from sandan.web.nav import NavEntry
from sandan.web.pages import PageContext, company_name, open_page, page
from sandan.web.render import Viewer, kst

router = APIRouter(include_in_schema=False)


def _inventory_link(viewer: Viewer) -> str | None:
    return f"/carbon/companies/{viewer.home_company_id}/inventory" if viewer.home_company_id else None


NAV: tuple[NavEntry, ...] = (
    NavEntry(N_("GHG inventory"), _inventory_link),
    NavEntry(N_("MRV reports"), lambda viewer: "/carbon/reports"),
)

CATEGORY_LABELS = {"purchased_electricity": N_("Purchased electricity"),
                   "stationary_combustion": N_("Stationary combustion"),
                   "refrigerant": N_("Refrigerant top-ups"), "process": N_("Process emissions")}
STATUS_LABELS = {"draft": N_("Draft"), "submitted": N_("Submitted"), "under_review": N_("Under review"),
                 "corrections_requested": N_("Corrections requested"), "verified": N_("Verified")}
METHOD_LABELS = {"": N_("Scope 1"), "location": N_("Location-based"), "market": N_("Market-based")}


def _period_or_year(period: str | None) -> str:
    label = period or str(now_utc().astimezone(KST).year)
    inventory.period_bounds(label)
    return label


def _by_category(lines: list[dict[str, Any]], tr: Any) -> list[dict[str, Any]]:
    """Location-based figures by category and carrier [tCO2e] (market-based lines are a second view)."""
    rows: dict[tuple[int, str, str], float] = {}
    for line in lines:
        if line["method"] == "market":
            continue
        key = (line["scope"], line["category"], line["activity_unit"])
        rows[key] = rows.get(key, 0.0) + line["co2e_kg"] / 1000
    return [{"scope": s, "category": tr(CATEGORY_LABELS.get(c, c)), "unit": u, "t": t}
            for (s, c, u), t in sorted(rows.items())]


@router.get("/carbon/companies/{company_id:int}/inventory")
@page
def inventory_page(request: Request, company_id: int, period: str | None = Query(None, max_length=7),
                   gwp_set: str = Query("AR5", max_length=3), site: str = Query("", max_length=10)) -> Response:
    site_id = int(site) if site.isdigit() and 0 < int(site) < 2**31 else None
    with open_page(request) as ctx:
        company = tenancy.get(ctx.session, Company, company_id)
        header = ctx.complex_header(company.complex_id)
        label = _period_or_year(period)
        gwp = factors.check_gwp_set(gwp_set)
        answer = service.compute_inventory(ctx.session, company_id, label, gwp, site_id=site_id)
        trend = []
        if answer["period_kind"] == "year":
            for month in range(1, 13):
                monthly = service.compute_inventory(ctx.session, company_id, f"{label}-{month:02d}", gwp,
                                                    site_id=site_id, quality=False)
                trend.append({"month": f"{label}-{month:02d}", **monthly["totals_t"]})
        reports = [r for r in service.list_reports(ctx.session) if r["company_id"] == company_id]
        may_write = ctx.principal.is_admin or company_id in ctx.principal.companies_admin
        query: dict[str, Any] = {"period": label, "gwp_set": gwp, **({"site_id": site_id} if site_id else {})}
        return ctx.render(
            "carbon/inventory.html", header_complex=header, company=company,
            company_label=company_name(company, ctx.tr.language), answer=answer, trend=trend,
            by_category=_by_category(answer["lines"], ctx.tr), gwp_sets=factors.GWP_SETS,
            form={"site_id": None, **query},
            category_labels={k: ctx.tr(v) for k, v in CATEGORY_LABELS.items()},
            method_labels={k: ctx.tr(v) for k, v in METHOD_LABELS.items()},
            status_labels={k: ctx.tr(v) for k, v in STATUS_LABELS.items()}, reports=reports,
            may_write=may_write, export_base=f"/api/v1/carbon/companies/{company_id}/inventory?" + urlencode(query))


@router.post("/carbon/companies/{company_id:int}/reports")
@page
def create_report_form(request: Request, company_id: int, period: str = Form(..., max_length=7),
                       gwp_set: str = Form("AR5", max_length=3), title: str = Form("", max_length=200)) -> Response:
    with open_page(request) as ctx:
        report = service.create_report(ctx.session, company_id, period.strip(), gwp_set, title=title.strip())
        report_id = report.id
    return RedirectResponse(f"/carbon/reports/{report_id}", status_code=303)


@router.get("/carbon/reports")
@page
def reports_page(request: Request) -> Response:
    """The MRV queue: a company sees its reports, a verifier the reports assigned to it, an operator
    those of its complex."""
    with open_page(request) as ctx:
        reports = service.list_reports(ctx.session)
        names = {c.id: company_name(c, ctx.tr.language) for c in _companies(ctx, {r["company_id"] for r in reports})}
        for r in reports:
            r["company"] = names.get(r["company_id"], "")
        return ctx.render("carbon/reports.html", reports=reports,
                          status_labels={k: ctx.tr(v) for k, v in STATUS_LABELS.items()},
                          is_verifier="verifier" in ctx.principal.roles)


def _companies(ctx: PageContext, ids: set[int]) -> list[Company]:
    """The companies among ``ids`` the viewer may read (a verifier reads none: names come from the report)."""
    if not ids:
        return []
    return list(ctx.session.execute(select(Company).where(Company.id.in_(sorted(ids)))).scalars())


@router.get("/carbon/reports/{report_id:int}")
@page
def report_page(request: Request, report_id: int) -> Response:
    with open_page(request) as ctx:
        report = service.get_report(ctx.session, report_id)
        summary = service.report_summary(ctx.session, report)
        bundle = service.bundle(ctx.session, report_id)
        for entry in bundle["ledger"]:
            entry["at_kst"] = kst(dt.datetime.fromisoformat(entry["at"]))
        check = service.verify_report(ctx.session, report_id)
        latest = bundle["versions"][-1] if bundle["versions"] else None
        assigned = (REPORT_SCOPE, report_id) in ctx.principal.grants
        company_admin = ctx.principal.is_admin or report.company_id in ctx.principal.companies_admin
        return ctx.render(
            "carbon/report.html", report=summary, bundle=bundle, latest=latest, check=check,
            company_label=(latest or {}).get("content", {}).get("company_name", ""),
            status_labels={k: ctx.tr(v) for k, v in STATUS_LABELS.items()},
            category_labels={k: ctx.tr(v) for k, v in CATEGORY_LABELS.items()},
            method_labels={k: ctx.tr(v) for k, v in METHOD_LABELS.items()},
            may_submit=company_admin and summary["status"] in ("draft", "corrections_requested"),
            may_assign=company_admin, may_answer=company_admin,
            may_review=assigned and summary["status"] in ("submitted", "under_review"))


def _back(report_id: int, **query: Any) -> Response:
    suffix = "?" + urlencode(query) if query else ""
    return RedirectResponse(f"/carbon/reports/{report_id}{suffix}", status_code=303)


@router.post("/carbon/reports/{report_id:int}/submit")
@page
def submit_form(request: Request, report_id: int) -> Response:
    with open_page(request) as ctx:
        service.submit(ctx.session, report_id)
    return _back(report_id)


@router.post("/carbon/reports/{report_id:int}/assign")
@page
def assign_form(request: Request, report_id: int, verifier_email: str = Form(..., max_length=200)) -> Response:
    with open_page(request) as ctx:
        service.assign_verifier(ctx.session, report_id, verifier_email)
    return _back(report_id)


@router.post("/carbon/reports/{report_id:int}/answer")
@page
def answer_form(request: Request, report_id: int, text: str = Form(..., max_length=5000),
                reply_to: str = Form("", max_length=6)) -> Response:
    with open_page(request) as ctx:
        service.answer(ctx.session, report_id, text, int(reply_to) if reply_to.isdigit() else None)
    return _back(report_id)


@router.post("/carbon/reports/{report_id:int}/finding")
@page
def finding_form(request: Request, report_id: int, text: str = Form(..., max_length=5000),
                 requires_correction: str = Form("", max_length=5)) -> Response:
    with open_page(request) as ctx:
        service.raise_finding(ctx.session, report_id, text, requires_correction == "on")
    return _back(report_id)


@router.post("/carbon/reports/{report_id:int}/statement")
@page
def statement_form(request: Request, report_id: int, assurance: str = Form(..., max_length=20),
                   opinion: str = Form(..., max_length=20), conclusion: str = Form(..., max_length=5000),
                   materiality_pct: str = Form("5", max_length=10)) -> Response:
    try:
        materiality = float(materiality_pct)
    except ValueError as exc:
        raise InvalidInput("the materiality threshold is a percentage", field="materiality_pct") from exc
    if not 0 < materiality <= 100:
        raise InvalidInput("the materiality threshold is a percentage between 0 and 100", field="materiality_pct")
    with open_page(request) as ctx:
        service.issue_statement(ctx.session, report_id, request.app.state.settings.secret_key, assurance=assurance,
                                opinion=opinion, conclusion=conclusion, materiality_pct=materiality)
    return _back(report_id)
