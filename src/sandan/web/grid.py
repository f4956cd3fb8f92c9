"""Web pages of the grid domain: the energy balance of a complex or company (generation, demand,
battery, grid exchange, self-sufficiency) and each DER's page with its model beside its meter.

Pages open their session with :func:`sandan.web.pages.open_page` (the one access policy decides
what they show: a complex's balance only for its operator, auditors and the platform; a company's
for whoever reads the company) and render through :func:`sandan.web.render.render`.
"""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Request
from fastapi.responses import Response

from sandan.core.tenancy import service as tenancy
from sandan.core.tenancy.models import Company
from sandan.grid import service
from sandan.web.i18n import N_
from sandan.web.nav import NavEntry
from sandan.web.pages import company_name, open_page, page
from sandan.web.quality import _form_dates, period
from sandan.web.render import Viewer

router = APIRouter(include_in_schema=False)

KIND_LABELS = {"pv": N_("Solar PV"), "waste_heat": N_("Waste-heat power"), "wind": N_("Small wind"),
               "battery": N_("Battery (ESS)")}
SERIES_LABELS = {"generation": N_("Generation"), "demand": N_("Demand"), "import": N_("Grid import"),
                 "export": N_("Grid export"), "charge": N_("Battery charge"), "discharge": N_("Battery discharge"),
                 "curtail": N_("Curtailed"), "soc": N_("Battery energy"), "model": N_("Model"),
                 "measured": N_("Measured"), "no_data": N_("No data in this period"), "unit": "kWh"}


def _balance_href(viewer: Viewer) -> str | None:
    operates = viewer.roles & {"platform_admin", "complex_operator", "auditor"}
    if operates and viewer.home_complex_id is not None and viewer.home_company_id is None:
        return f"/grid/complex/{viewer.home_complex_id}"
    if viewer.home_company_id is not None:
        return f"/grid/company/{viewer.home_company_id}"
    return None


NAV: tuple[NavEntry, ...] = (NavEntry(N_("Energy self-sufficiency"), _balance_href),)


def _labels(tr: Any) -> dict[str, str]:
    return {key: (tr(text) if key != "unit" else text) for key, text in SERIES_LABELS.items()}


@router.get("/grid/{kind}/{group_id:int}")
@page
def balance_page(request: Request, kind: Literal["complex", "company"], group_id: int, start: str | None = None,
                 end: str | None = None) -> Response:
    with open_page(request) as ctx:
        lo, hi = period(start, end)
        answer = service.complex_balance(ctx.session, kind, group_id, lo, hi)
        if kind == "company":
            company = tenancy.get(ctx.session, Company, group_id)
            title = company_name(company, ctx.tr.language)
            header = ctx.complex_header(company.complex_id)
            ders = service.list_ders(ctx.session, limit=500, company_id=group_id)
        else:
            header = ctx.complex_header(group_id)
            title = header.name
            ders = service.list_ders(ctx.session, limit=500, complex_id=group_id)
        totals = answer["totals"]
        used = max(totals["generation"] - totals["export"] - totals["curtail"], 0.0)
        rates = {"self_consumption": used / totals["generation"] * 100 if totals["generation"] > 0 else None,
                 "self_sufficiency": min(used, totals["demand"]) / totals["demand"] * 100
                 if totals["demand"] > 0 else None}
        chart = {"items": answer["items"], "labels": _labels(ctx.tr)}
        return ctx.render("grid/balance.html", header_complex=header, title=title, kind=kind, group_id=group_id,
                          answer=answer, totals=totals, rates=rates, form=_form_dates(lo, hi), chart=chart,
                          ders=ders, kind_labels={k: ctx.tr(v) for k, v in KIND_LABELS.items()})


@router.get("/ders/{der_id:int}")
@page
def der_page(request: Request, der_id: int, start: str | None = None, end: str | None = None) -> Response:
    with open_page(request) as ctx:
        der = service.get_der(ctx.session, der_id)
        company = tenancy.get(ctx.session, Company, der.company_id)
        lo, hi = period(start, end)
        model = service.der_model(ctx.session, der_id, lo, hi)
        chart = {"items": [{"ts": i["ts"], "model": i["model_kwh"], "measured": i["measured_kwh"]}
                           for i in model["items"]], "labels": _labels(ctx.tr)}
        gap = None
        if model["measured_kwh"] is not None and model["model_kwh"] > 0:
            gap = (model["measured_kwh"] - model["model_kwh"]) / model["model_kwh"] * 100
        return ctx.render("grid/der.html", header_complex=ctx.complex_header(company.complex_id), der=der,
                          company=company, company_label=company_name(company, ctx.tr.language), model=model,
                          gap=gap, form=_form_dates(lo, hi), chart=chart,
                          kind_label=ctx.tr(KIND_LABELS.get(der.kind, der.kind)),
                          spec=sorted((k, v) for k, v in der.spec.items() if k != "kind"))
