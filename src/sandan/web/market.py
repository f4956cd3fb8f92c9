"""Web pages of the complex power market
(direct power trading: PPAs, local market clearing, settlement, certificates, revenue sharing).

The market page of a complex shows the clearing prices of a market day per quarter hour and node,
the order book (counts and volumes of the bids and offers the viewer may see: a company sees its
own, the operator the whole complex) and the viewer's company's trades.  It reads through
:mod:`sandan.grid.market.service` on the signed-in user's session, so the one access policy
decides what it shows.
"""

from __future__ import annotations

import datetime as dt

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from sandan.core.errors import InvalidInput
from sandan.core.timeutil import KST
from sandan.grid.market import service
from sandan.web.i18n import N_
from sandan.web.nav import NavEntry
from sandan.web.pages import open_page, page
from sandan.web.render import Viewer

router = APIRouter(include_in_schema=False)

SIDE_LABELS = {"buy": N_("Bought"), "sell": N_("Sold")}
RUN_LABELS = {"day_ahead": N_("Day-ahead clearing"), "intraday": N_("Intraday re-clearing")}
PPA_STATUS = {"draft": N_("Draft"), "signed": N_("Signed by both"), "active": N_("Active"), "ended": N_("Ended")}
PPA_ROLE = {"seller": N_("Seller"), "buyer": N_("Buyer")}
PPA_PRICE = {"fixed": N_("Fixed {price} KRW/kWh"), "smp_indexed": N_("SMP + {price} KRW/kWh")}


def _market_href(viewer: Viewer) -> str | None:
    return f"/complexes/{viewer.home_complex_id}/market" if viewer.home_complex_id else None


NAV: tuple[NavEntry, ...] = (NavEntry(N_("Power market"), _market_href),)


def _quarter(day: dt.date, interval: int) -> str:
    start = dt.datetime.combine(day, dt.time(0), tzinfo=KST) + dt.timedelta(minutes=15 * interval)
    return start.strftime("%H:%M")


@router.get("/complexes/{complex_id:int}/market")
@page
def market_page(request: Request, complex_id: int, day: str | None = Query(None, max_length=20)) -> Response:
    with open_page(request) as ctx:
        header = ctx.complex_header(complex_id)
        try:
            market_day = dt.date.fromisoformat(day) if day else service.day_or_today(None)
        except ValueError as exc:
            raise InvalidInput("day must be a date like 2026-03-02", field="day") from exc
        prices = service.day_prices(ctx.session, complex_id, market_day)
        config = service.get_config(ctx.session, complex_id)
        book = [{**b, "start": _quarter(market_day, b["interval"])}
                for b in service.order_book_summary(ctx.session, complex_id, market_day)]
        company = ctx.viewer.home_company_id if ctx.viewer.home_company_id else None
        trades = []
        ppas: list[dict[str, object]] = []
        if company is not None:
            for c in service.company_ppas(ctx.session, company):
                role = PPA_ROLE["seller"] if c.company_id == company else PPA_ROLE["buyer"]
                price = PPA_PRICE[c.terms["price_type"]]
                ppas.append({"id": c.id, "title": c.title, "terms": c.terms, "role": ctx.tr(role),
                             "findings": [f["code"] for f in c.findings], "status": ctx.tr(PPA_STATUS[c.status]),
                             "price": ctx.tr(price, price=c.terms["price_krw_per_kwh"])})
            trades = [{"order_id": t.order_id, "start": _quarter(market_day, t.interval), "side": t.side,
                       "energy_kwh": t.energy_kwh, "price_krw_per_kwh": t.price_krw_per_kwh, "pays_won": t.pays_won}
                      for t in service.company_trades(ctx.session, company, market_day)]
        return ctx.render(
            "market/market.html", header_complex=header, day=market_day, prices=prices,
            feeders=list(range(1, len(config.network.feeder_capacity_kw) + 1)),
            runs=service.list_runs(ctx.session, complex_id, market_day), book=book, company=company,
            trades=trades, ppas=ppas, total_won=sum(t["pays_won"] for t in trades),
            side_labels={k: ctx.tr(v) for k, v in SIDE_LABELS.items()},
            run_labels={k: ctx.tr(v) for k, v in RUN_LABELS.items()})
