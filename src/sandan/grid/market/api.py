"""HTTP API of the complex power market, mounted under ``/api/v1`` by :mod:`sandan.app`.

* the set-up of a complex's market (its network, battery, KEPCO prices, company nodes): read by
  everyone signed in, written by the complex's operators;
* bids and offers: submitted by a company's admins, read by whoever reads the company;
* clearings: run by the complex's operators (day-ahead, or one quarter hour intraday); the
  nodal prices and the complex's figures are public, each company reads its own trades.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query

from sandan.core.http import BODY_PROBLEMS, SIGNED_IN_PROBLEMS, IdPath, SessionDep
from sandan.grid.market import schemas, service

router = APIRouter(tags=["market"], responses=SIGNED_IN_PROBLEMS)
DayQuery = Annotated[dt.date | None, Query(description="market day (Korean calendar day); today in Korea if omitted",
                                           ge=schemas.DAY_MIN, le=schemas.DAY_MAX)]


@router.get("/complexes/{complex_id}/market/config", response_model=schemas.MarketConfigRead)
def get_config(session: SessionDep, complex_id: IdPath) -> Any:
    """The complex's market set-up: feeder and connection limits, the shared battery, KEPCO's
    import and export prices per quarter hour, and each company's node."""
    return service.get_config(session, complex_id)


@router.put("/complexes/{complex_id}/market/config", response_model=schemas.MarketConfigRead,
            responses=BODY_PROBLEMS)
def put_config(session: SessionDep, complex_id: IdPath, data: schemas.MarketConfigPut) -> Any:
    """Store the complex's market set-up (its operators, or the platform)."""
    return service.put_config(session, complex_id, data)


@router.post("/market/orders", status_code=201, response_model=schemas.OrderList, responses=BODY_PROBLEMS)
def submit_orders(session: SessionDep, data: schemas.OrdersCreate) -> Any:
    """Submit bids and offers of a company for one market day (its admins).  Each is a step
    (price, quantity) for one quarter hour at the company's node."""
    return {"items": service.submit_orders(session, data)}


@router.get("/companies/{company_id}/market/orders", response_model=schemas.OrderList)
def company_orders(session: SessionDep, company_id: IdPath, market_day: DayQuery = None) -> Any:
    """The company's bids and offers of a market day."""
    return {"items": service.company_orders(session, company_id, service.day_or_today(market_day))}


@router.get("/companies/{company_id}/market/trades", response_model=schemas.TradeList)
def company_trades(session: SessionDep, company_id: IdPath, market_day: DayQuery = None) -> Any:
    """The company's trades of a market day in the clearings that count, each at its node's price,
    with what it pays (> 0) or is paid (< 0) in won."""
    items = service.company_trades(session, company_id, service.day_or_today(market_day))
    return {"items": items, "total_pays_won": sum(t.pays_won for t in items)}


@router.post("/complexes/{complex_id}/market/clear", status_code=201, response_model=schemas.RunRead,
             responses=BODY_PROBLEMS)
def run_clearing(session: SessionDep, complex_id: IdPath, data: schemas.ClearRequest) -> Any:
    """Clear the complex's order book (its operators): the whole market day (96 quarter hours,
    day-ahead) or, with ``interval``, re-clear one quarter hour intraday."""
    return service.run_clearing(session, complex_id, data)


@router.get("/complexes/{complex_id}/market/prices", response_model=schemas.PricesRead)
def day_prices(session: SessionDep, complex_id: IdPath, market_day: DayQuery = None) -> Any:
    """Public nodal prices of each cleared quarter hour (the bus, then each feeder): one price
    when no limit binds, different prices across a congested feeder."""
    return service.day_prices(session, complex_id, service.day_or_today(market_day))


@router.get("/complexes/{complex_id}/market/runs", response_model=list[schemas.RunRead])
def list_runs(session: SessionDep, complex_id: IdPath, market_day: DayQuery = None) -> Any:
    """The clearings of a market day with their public results (prices, flows, battery, binding
    limits, the complex's ledger lines) and the digest of the order book each cleared."""
    return service.list_runs(session, complex_id, service.day_or_today(market_day))


# --- direct PPAs -----------------------------------------------------------------------------------

@router.post("/ppas", status_code=201, response_model=schemas.PpaRead, responses=BODY_PROBLEMS)
def create_ppa(session: SessionDep, data: schemas.PpaCreate) -> Any:
    """Draft a direct PPA as the seller (its admins): price (fixed or SMP-indexed), volumes
    (pay-as-produced share or an hourly shape), term, and the buyer by its registration number.
    The eligibility findings (seller capacity, buyer contract power, term) come back with it."""
    return service.create_ppa(session, data)


@router.get("/ppas/{ppa_id}", response_model=schemas.PpaRead)
def get_ppa(session: SessionDep, ppa_id: IdPath) -> Any:
    """One contract (its seller and its buyer read it)."""
    return service.get_ppa(session, ppa_id)


@router.get("/companies/{company_id}/ppas", response_model=schemas.PpaList)
def company_ppas(session: SessionDep, company_id: IdPath) -> Any:
    """The contracts in which the company sells or buys."""
    return {"items": service.company_ppas(session, company_id)}


@router.post("/ppas/{ppa_id}/sign", response_model=schemas.PpaRead)
def sign_ppa(session: SessionDep, ppa_id: IdPath,
             party: Annotated[Literal["seller", "buyer"] | None, Query(description="sign as (platform admins)")] = None
             ) -> Any:
    """Sign the draft as the seller or the buyer (their admins).  With both signatures the
    contract is signed, and active from the first day of its term if it meets the rules."""
    return service.sign_ppa(session, ppa_id, party)
