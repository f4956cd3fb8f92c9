"""Web pages of the energy domain
(FEMS analytics: KPIs, KEPCO tariffs and bills, peak demand, baselines, anomalies, diagnosis).

Pages open their session with :func:`sandan.web.pages.open_page` (the one access policy decides
what they show) and render through :func:`sandan.web.render.render`.  ``NAV`` lists the links this
domain adds to the main navigation.

* ``/companies/{id}/energy``: the company energy dashboard (today, this month, this year: energy,
  TOE, variable cost, peak 15-minute demand; the peak gauge against contract power);
* ``/companies/{id}/energy/bills``: monthly KEPCO bills with every line worked out.
"""

from __future__ import annotations

from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from sandan.core.tenancy import service as tenancy
from sandan.core.tenancy.models import Company
from sandan.core.timeutil import KST
from sandan.energy import service
from sandan.web import live
from sandan.web.i18n import N_
from sandan.web.nav import NavEntry
from sandan.web.pages import company_name, open_page, page
from sandan.web.quality import parse_moment

router = APIRouter(include_in_schema=False)

NAV: tuple[NavEntry, ...] = (
    NavEntry(N_("Energy"), lambda v: f"/companies/{v.home_company_id}/energy" if v.home_company_id else None),
)

#: Bill line codes in words.
LINE_LABELS = {
    "basic": N_("Basic charge"), "power_factor": N_("Power-factor charge"), "energy": N_("Energy charge"),
    "weekend_discount": N_("Weekend discount"), "excess_demand": N_("Excess-demand surcharge"),
    "climate": N_("Climate-environment charge"), "fuel": N_("Fuel-cost adjustment"),
}
PERIOD_LABELS = {"light": N_("Light load"), "mid": N_("Mid load"), "peak": N_("Peak load")}
STATUS_LABELS = {"normal": N_("Normal"), "warning": N_("Warning"), "critical": N_("Critical"),
                 "unknown": N_("Unknown")}
PERIOD_TITLES = {"today": N_("Today"), "month": N_("This month"), "year": N_("This year")}
#: The peak gauge turns amber at 80 % and red at 95 % of contract power.
GAUGE_LOW, GAUGE_HIGH = 0.8, 0.95


@router.get("/companies/{company_id:int}/energy")
@page
def dashboard_page(request: Request, company_id: int) -> Response:
    with open_page(request) as ctx:
        company = tenancy.get(ctx.session, Company, company_id)
        header = ctx.complex_header(company.complex_id)
        board = service.dashboard(ctx.session, company_id, live.clock())
        demand = service.demand_now(ctx.session, company_id, live.clock())
        return ctx.render("energy/dashboard.html", header_complex=header, company=company,
                          company_label=company_name(company, ctx.tr.language), board=board, demand=demand,
                          status_labels=STATUS_LABELS,
                          period_titles=PERIOD_TITLES, gauge_low=GAUGE_LOW, gauge_high=GAUGE_HIGH)


@router.get("/companies/{company_id:int}/energy/bills")
@page
def bills_page(request: Request, company_id: int, start: str | None = Query(None, max_length=40),
               end: str | None = Query(None, max_length=40),
               rules_year: int | None = Query(None, ge=2023, le=2100)) -> Response:
    with open_page(request) as ctx:
        company = tenancy.get(ctx.session, Company, company_id)
        header = ctx.complex_header(company.complex_id)
        now = live.clock().astimezone(KST)
        hi = parse_moment(end, end=True, field="end") if end else now
        lo = parse_moment(start, end=False, field="start") if start else None
        result = service.company_bills(ctx.session, company_id, lo, hi, rules_year=rules_year)
        api_query = {k: v for k, v in {"start": lo.isoformat() if lo else None, "end": hi.isoformat(),
                                       "rules_year": rules_year}.items() if v is not None}
        return ctx.render("energy/bills.html", header_complex=header, company=company,
                          company_label=company_name(company, ctx.tr.language), result=result.to_dict(),
                          line_labels=LINE_LABELS, period_labels=PERIOD_LABELS, rules_year=rules_year,
                          form={"start": start or "", "end": end or ""},
                          api_link=f"/api/v1/companies/{company_id}/energy/bills?" + urlencode(api_query))
