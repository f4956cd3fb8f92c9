"""Use cases of the local market: set-up, orders, clearing runs, prices and trades.

Each function works on the caller's session, so the one access policy decides what it sees and
may write; the explicit checks here only make the refusals say why.  A clearing loads the order
book of the complex and day (or quarter hour), clears it with :func:`clearing.clear`, writes the
run (inputs, the book's digest, the public results) and one trade per accepted order.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from sandan.core import events
from sandan.core.auth.policy import Principal
from sandan.core.brn import normalise_brn
from sandan.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from sandan.core.tenancy import service as tenancy
from sandan.core.tenancy.models import Company, Complex
from sandan.core.timeutil import KST, now_utc
from sandan.grid.market import clearing, ppa, schemas
from sandan.grid.market.models import MarketConfig, MarketOrder, MarketRun, MarketTrade, PpaContract

SIDES = {"buy": clearing.BUY, "sell": clearing.SELL}
#: The set-up a complex has before its operator stores one: every company at the bus, no battery,
#: a connection of 10 MW each way, and KEPCO prices that are placeholders to be replaced by the
#: complex's own tariff (산업용(을) time-of-use shape; the operator's PUT overrides them).
DEFAULT_CONFIG: dict[str, Any] = {
    "network": {"feeder_capacity_kw": [], "import_capacity_kw": 10_000.0, "export_capacity_kw": 10_000.0},
    "battery": None,
    "grid_prices": {"import_krw_per_kwh": [110.0] * 8 + [160.0] * 14 + [110.0] * 2,
                    "export_krw_per_kwh": [90.0] * 24},
    "company_nodes": {},
}


def day_or_today(day: dt.date | None) -> dt.date:
    """The market day asked for, else today's Korean calendar day."""
    return day if day is not None else now_utc().astimezone(KST).date()


def _principal(session: Session) -> Principal:
    principal = session.info["principal"]
    assert isinstance(principal, Principal)
    return principal


def _require_operator(session: Session, complex_id: int, what: str) -> Principal:
    principal = _principal(session)
    if not (principal.is_admin or complex_id in principal.complexes_operated):
        raise Forbidden(f"only the complex's operators may {what}")
    return principal


# --- set-up --------------------------------------------------------------------------------------

def get_config(session: Session, complex_id: int) -> schemas.MarketConfigRead:
    """The complex's market set-up (the defaults until its operator stores one)."""
    tenancy.get(session, Complex, complex_id)
    row = session.execute(select(MarketConfig).where(MarketConfig.complex_id == complex_id)).scalar_one_or_none()
    data = DEFAULT_CONFIG if row is None else {"network": row.network, "battery": row.battery,
                                                "grid_prices": row.grid_prices, "company_nodes": row.company_nodes}
    return schemas.MarketConfigRead.model_validate({**data, "complex_id": complex_id, "configured": row is not None})


def put_config(session: Session, complex_id: int, data: schemas.MarketConfigPut) -> schemas.MarketConfigRead:
    """Store the complex's set-up (its operators).  Every company named must be in the complex."""
    tenancy.get(session, Complex, complex_id)
    _require_operator(session, complex_id, "change the market set-up")
    if data.company_nodes:
        ids = sorted(data.company_nodes)
        found = set(session.execute(select(Company.id).where(Company.id.in_(ids),
                                                             Company.complex_id == complex_id)).scalars())
        if missing := [i for i in ids if i not in found]:
            raise InvalidInput(f"companies {missing[:5]} are not companies of this complex", field="company_nodes")
    row = session.execute(select(MarketConfig).where(MarketConfig.complex_id == complex_id)).scalar_one_or_none()
    if row is None:
        row = MarketConfig(complex_id=complex_id)
        session.add(row)
    dumped = data.model_dump(mode="json")
    row.network, row.battery, row.grid_prices = dumped["network"], dumped["battery"], dumped["grid_prices"]
    row.company_nodes = {str(k): v for k, v in data.company_nodes.items()}
    session.flush()
    return get_config(session, complex_id)


# --- orders --------------------------------------------------------------------------------------

def submit_orders(session: Session, data: schemas.OrdersCreate) -> list[MarketOrder]:
    """Add a company's bids and offers for a market day (its admins).  Each order trades at the
    company's node in the complex's set-up."""
    company = tenancy.get(session, Company, data.company_id)
    principal = _principal(session)
    if not (principal.is_admin or company.id in principal.companies_admin):
        raise Forbidden("only the company's admins may submit its orders")
    config = get_config(session, company.complex_id)
    node = config.company_nodes.get(company.id, 0)
    rows = [MarketOrder(company_id=company.id, complex_id=company.complex_id, market_day=data.market_day,
                        interval=o.interval, node=node, side=o.side, price_krw_per_kwh=o.price_krw_per_kwh,
                        quantity_kwh=o.quantity_kwh, submitted_by=principal.name) for o in data.orders]
    session.add_all(rows)
    session.flush()
    return rows


def company_orders(session: Session, company_id: int, market_day: dt.date) -> list[MarketOrder]:
    tenancy.get(session, Company, company_id)
    return list(session.execute(select(MarketOrder).where(MarketOrder.company_id == company_id,
                                                          MarketOrder.market_day == market_day)
                                .order_by(MarketOrder.interval, MarketOrder.id)).scalars())


# --- clearing ------------------------------------------------------------------------------------

def _book(session: Session, complex_id: int, market_day: dt.date, interval: int | None,
          last_order_id: int | None = None) -> tuple[clearing.OrderBook, int]:
    """The order book of a complex and day (or one quarter hour, re-indexed to interval 0) and the
    highest order id in it."""
    stmt = select(MarketOrder.id, MarketOrder.interval, MarketOrder.node, MarketOrder.side,
                  MarketOrder.price_krw_per_kwh, MarketOrder.quantity_kwh).where(
        MarketOrder.complex_id == complex_id, MarketOrder.market_day == market_day)
    if interval is not None:
        stmt = stmt.where(MarketOrder.interval == interval)
    if last_order_id is not None:
        stmt = stmt.where(MarketOrder.id <= last_order_id)
    rows = session.execute(stmt.order_by(MarketOrder.id)).all()
    ids = np.array([r[0] for r in rows], dtype=np.int64)
    book = clearing.OrderBook(
        order_id=ids,
        interval=np.array([0 if interval is not None else r[1] for r in rows], dtype=np.int64),
        node=np.array([r[2] for r in rows], dtype=np.int64),
        side=np.array([SIDES[r[3]] for r in rows], dtype=np.int64),
        price_krw_per_kwh=np.array([r[4] for r in rows], dtype=np.float64),
        quantity_kwh=np.array([r[5] for r in rows], dtype=np.float64))
    return book, int(ids.max()) if len(ids) else 0


def _inputs(config: schemas.MarketConfigRead, battery_soc: tuple[float, float, float] | None,
            interval: int | None) -> dict[str, Any]:
    """What a run clears with, as stored on the run (JSON)."""
    prices = config.grid_prices
    cut = slice(interval, interval + 1) if interval is not None else slice(None)
    battery = None
    if config.battery is not None:
        battery = config.battery.model_dump()
        if battery_soc is not None:
            battery["soc_initial_kwh"], battery["soc_final_min_kwh"], battery["soc_final_max_kwh"] = battery_soc
    return {"network": config.network.model_dump(), "battery": battery,
            "grid_prices": {"import_krw_per_kwh": prices.import_krw_per_kwh[cut],
                            "export_krw_per_kwh": prices.export_krw_per_kwh[cut]},
            "intervals": 1 if interval is not None else clearing.DAY_INTERVALS}


def _clear_inputs(inputs: dict[str, Any], book: clearing.OrderBook) -> clearing.ClearingResult:
    net = inputs["network"]
    network = clearing.Network(tuple(net["feeder_capacity_kw"]), net["import_capacity_kw"], net["export_capacity_kw"])
    grid = clearing.GridPrices(np.array(inputs["grid_prices"]["import_krw_per_kwh"], dtype=np.float64),
                               np.array(inputs["grid_prices"]["export_krw_per_kwh"], dtype=np.float64))
    battery = clearing.Battery(**inputs["battery"]) if inputs["battery"] else None
    return clearing.clear(book, network, grid, battery, intervals=inputs["intervals"])


def _battery_plan(session: Session, complex_id: int, market_day: dt.date, interval: int,
                  config: schemas.MarketConfigRead) -> tuple[float, float, float] | None:
    """(start energy, end energy, end energy) of the battery for an intraday re-clearing: where the
    latest day-ahead run planned it before and after the quarter hour (the configured initial
    energy when the day has no day-ahead run: the battery then stays idle)."""
    if config.battery is None:
        return None
    da = latest_run(session, complex_id, market_day, day_ahead=True)
    if da is None or not da.results.get("soc_kwh"):
        start = end = config.battery.soc_initial_kwh
    else:
        soc = da.results["soc_kwh"]
        start = da.inputs["battery"]["soc_initial_kwh"] if interval == 0 else soc[interval - 1]
        end = soc[interval]
    return float(start), float(end), float(end)


def latest_run(session: Session, complex_id: int, market_day: dt.date, *, day_ahead: bool) -> MarketRun | None:
    stmt = select(MarketRun).where(MarketRun.complex_id == complex_id, MarketRun.market_day == market_day,
                                   MarketRun.kind == ("day_ahead" if day_ahead else "intraday"))
    return session.execute(stmt.order_by(MarketRun.id.desc()).limit(1)).scalar_one_or_none()


def run_clearing(session: Session, complex_id: int, data: schemas.ClearRequest) -> MarketRun:
    """Clear the complex's book for a market day (day-ahead) or one quarter hour (intraday), as
    its operator; store the run and the trades.  The latest run of a quarter hour is the one that
    counts (an intraday re-clearing supersedes the day-ahead result of its quarter hour)."""
    tenancy.get(session, Complex, complex_id)
    principal = _require_operator(session, complex_id, "run the market clearing")
    config = get_config(session, complex_id)
    interval = data.interval
    soc = _battery_plan(session, complex_id, data.market_day, interval, config) if interval is not None else None
    inputs = _inputs(config, soc, interval)
    book, last_id = _book(session, complex_id, data.market_day, interval)
    result = _clear_inputs(inputs, book)
    grid = clearing.GridPrices(np.array(inputs["grid_prices"]["import_krw_per_kwh"]),
                               np.array(inputs["grid_prices"]["export_krw_per_kwh"]))
    battery = clearing.Battery(**inputs["battery"]) if inputs["battery"] else None
    ledger = clearing.payments(book, result, grid, battery)
    offset = interval or 0
    system = ledger[ledger["order_id"] < 0]
    run = MarketRun(
        complex_id=complex_id, market_day=data.market_day, kind="intraday" if interval is not None else "day_ahead",
        interval=interval, last_order_id=last_id, orders=len(book), digest=book.digest(), inputs=inputs,
        welfare_krw=float(result.welfare_krw), run_by=principal.name,
        results={"first_interval": offset,
                 "price_krw_per_kwh": np.round(result.price_krw_per_kwh, 6).tolist(),
                 "flow_kwh": np.round(result.flow_kwh, 6).tolist(),
                 "import_kwh": np.round(result.import_kwh, 6).tolist(),
                 "export_kwh": np.round(result.export_kwh, 6).tolist(),
                 "charge_kwh": np.round(result.charge_kwh, 6).tolist(),
                 "discharge_kwh": np.round(result.discharge_kwh, 6).tolist(),
                 "soc_kwh": np.round(result.soc_kwh, 6).tolist() if battery is not None else [],
                 "binding": [{**b, "interval": b["interval"] + offset} for b in result.binding],
                 "ledger": [{"interval": int(r["interval"]) + offset, "kind": str(r["kind"]), "node": int(r["node"]),
                             "energy_kwh": round(float(r["energy_kwh"]), 6), "pays_won": int(r["pays_won"])}
                            for r in system.to_dict("records")]})
    session.add(run)
    session.flush()
    orders = ledger[ledger["order_id"] >= 0].to_dict("records")
    company_of = dict(session.execute(select(MarketOrder.id, MarketOrder.company_id).where(
        MarketOrder.complex_id == complex_id, MarketOrder.market_day == data.market_day)).all())
    session.add_all([MarketTrade(run_id=run.id, order_id=int(r["order_id"]), company_id=company_of[int(r["order_id"])],
                                 complex_id=complex_id, market_day=data.market_day,
                                 interval=int(r["interval"]) + offset, node=int(r["node"]), side=str(r["kind"]),
                                 energy_kwh=float(r["energy_kwh"]), price_krw_per_kwh=float(r["price_krw_per_kwh"]),
                                 pays_won=int(r["pays_won"]))
                     for r in orders])
    session.flush()
    events.emit(session, "market.cleared", run_id=run.id, complex_id=complex_id,
                market_day=data.market_day.isoformat(), interval=interval)
    return run


def replay_run(session: Session, run_id: int) -> tuple[MarketRun, clearing.ClearingResult, str]:
    """Clear a stored run's order book again with its stored inputs: the result and the digest of
    the book as found now (equal to the run's when nothing was lost)."""
    run = session.execute(select(MarketRun).where(MarketRun.id == run_id)).scalar_one_or_none()
    if run is None:
        raise NotFound(f"market run {run_id} not found")
    book, _ = _book(session, run.complex_id, run.market_day, run.interval, run.last_order_id)
    return run, _clear_inputs(run.inputs, book), book.digest()


# --- results -------------------------------------------------------------------------------------

def _binding_runs(session: Session, complex_id: int, market_day: dt.date) -> dict[int, MarketRun]:
    """For each quarter hour, the run that counts: the latest intraday one, else the latest day-ahead."""
    runs = session.execute(select(MarketRun).where(MarketRun.complex_id == complex_id,
                                                   MarketRun.market_day == market_day)
                           .order_by(MarketRun.id)).scalars().all()
    out: dict[int, MarketRun] = {}
    da = [r for r in runs if r.kind == "day_ahead"]
    if da:
        out = dict.fromkeys(range(clearing.DAY_INTERVALS), da[-1])
    for r in runs:
        if r.kind == "intraday" and r.interval is not None:
            out[r.interval] = r
    return out


def day_prices(session: Session, complex_id: int, market_day: dt.date) -> schemas.PricesRead:
    """The public nodal prices of each cleared quarter hour of a market day."""
    tenancy.get(session, Complex, complex_id)
    day_start = dt.datetime.combine(market_day, dt.time(0), tzinfo=KST)
    items = []
    for t, run in sorted(_binding_runs(session, complex_id, market_day).items()):
        row = run.results["price_krw_per_kwh"][t - run.results.get("first_interval", 0)]
        items.append(schemas.IntervalPrices(interval=t, start=day_start + dt.timedelta(minutes=15 * t), run_id=run.id,
                                            kind=run.kind, price_krw_per_kwh=row,
                                            congested=max(row) - min(row) > clearing.PRICE_TOL * 1e3))
    return schemas.PricesRead(complex_id=complex_id, market_day=market_day, intervals=items)


def company_trades(session: Session, company_id: int, market_day: dt.date) -> list[MarketTrade]:
    """The company's trades of a market day in the runs that count."""
    company = tenancy.get(session, Company, company_id)
    binding = _binding_runs(session, company.complex_id, market_day)
    run_ids = sorted({r.id for r in binding.values()})
    if not run_ids:
        return []
    trades = session.execute(select(MarketTrade).where(MarketTrade.company_id == company_id,
                                                       MarketTrade.run_id.in_(run_ids))
                             .order_by(MarketTrade.interval, MarketTrade.order_id)).scalars().all()
    return [t for t in trades if binding[t.interval].id == t.run_id]


def list_runs(session: Session, complex_id: int, market_day: dt.date) -> list[MarketRun]:
    tenancy.get(session, Complex, complex_id)
    return list(session.execute(select(MarketRun).where(MarketRun.complex_id == complex_id,
                                                        MarketRun.market_day == market_day)
                                .order_by(MarketRun.id)).scalars())


def order_book_summary(session: Session, complex_id: int, market_day: dt.date) -> list[dict[str, Any]]:
    """Per quarter hour: how many bids and offers, and their volume [kWh] (no company named)."""
    rows = session.execute(
        select(MarketOrder.interval, MarketOrder.side, func.count(), func.sum(MarketOrder.quantity_kwh))
        .where(MarketOrder.complex_id == complex_id, MarketOrder.market_day == market_day)
        .group_by(MarketOrder.interval, MarketOrder.side)).all()
    out: dict[int, dict[str, Any]] = {}
    for t, side, n, kwh in rows:
        entry = out.setdefault(int(t), {"interval": int(t), "bids": 0, "bid_kwh": 0.0, "offers": 0, "offer_kwh": 0.0})
        key = "bid" if side == "buy" else "offer"
        entry[key + "s"] = int(n)
        entry[key + "_kwh"] = float(kwh or 0.0)
    return [out[t] for t in sorted(out)]


# --- direct PPAs ---------------------------------------------------------------------------------

def _terms(data: dict[str, Any]) -> ppa.PpaTerms:
    return ppa.PpaTerms(price_type=ppa.PriceType(data["price_type"]), price_krw_per_kwh=data["price_krw_per_kwh"],
                        volume_type=ppa.VolumeType(data["volume_type"]), start=dt.date.fromisoformat(data["start"]),
                        end=dt.date.fromisoformat(data["end"]), smp_multiplier=data.get("smp_multiplier", 1.0),
                        floor_krw_per_kwh=data.get("floor_krw_per_kwh"), cap_krw_per_kwh=data.get("cap_krw_per_kwh"),
                        share=data.get("share", 1.0), profile_kwh_per_h=tuple(data.get("profile_kwh_per_h") or ()))


def _buyer_by_brn(session: Session, complex_id: int, brn: str) -> int:
    """The id of the complex's company with this registration number: the directory of market
    participants (only whether the number belongs to a company of the complex is revealed)."""
    companies = Company.__table__
    found = session.execute(select(companies.c.id).where(companies.c.brn == normalise_brn(brn),
                                                         companies.c.complex_id == complex_id)).scalar_one_or_none()
    if found is None:
        raise InvalidInput("no company of this complex has this business registration number", field="buyer_brn")
    return int(found)


def create_ppa(session: Session, data: schemas.PpaCreate) -> PpaContract:
    """A seller's draft (its admins), checked against the eligibility rules."""
    seller = tenancy.get(session, Company, data.company_id)
    principal = _principal(session)
    if not (principal.is_admin or seller.id in principal.companies_admin):
        raise Forbidden("only the seller's admins may draft its PPAs")
    buyer = _buyer_by_brn(session, seller.complex_id, data.buyer_brn) if data.buyer_brn else None
    if buyer == seller.id:
        raise InvalidInput("seller and buyer must be different companies", field="buyer_brn")
    terms_json = data.terms.model_dump(mode="json")
    row = PpaContract(company_id=seller.id, buyer_company_id=buyer, complex_id=seller.complex_id, title=data.title,
                      terms=terms_json, seller_capacity_kw=data.seller_capacity_kw,
                      buyer_contract_kw=data.buyer_contract_kw, created_by=principal.name,
                      findings=ppa.check_eligibility(_terms(terms_json), data.seller_capacity_kw,
                                                     data.buyer_contract_kw, ppa.default_rules()))
    session.add(row)
    session.flush()
    return row


def get_ppa(session: Session, ppa_id: int) -> PpaContract:
    return tenancy.get(session, PpaContract, ppa_id)


def company_ppas(session: Session, company_id: int) -> list[PpaContract]:
    """Contracts in which the company sells or buys."""
    tenancy.get(session, Company, company_id)
    return list(session.execute(select(PpaContract).where(or_(PpaContract.company_id == company_id,
                                                              PpaContract.buyer_company_id == company_id))
                                .order_by(PpaContract.id)).scalars())


def _advance(row: PpaContract, today: dt.date) -> None:
    """Dates move a contract on: a signed, eligible one becomes active on its first day, an
    active one ends after its last."""
    terms = _terms(row.terms)
    state = ppa.Lifecycle(ppa.Status(row.status), row.seller_signed, row.buyer_signed)
    if state.status == ppa.Status.signed and not row.findings and terms.start <= today:
        state = ppa.activate(state, terms, today, [])
    if state.status == ppa.Status.active and today >= terms.end:
        state = ppa.end(state)
    row.status = state.status.value


def sign_ppa(session: Session, ppa_id: int, party: str | None = None) -> PpaContract:
    """A party signs the draft: the seller's admins as seller, the buyer's as buyer (a platform
    admin names the party, else signs as seller).  With both signatures it is signed, and active
    once its term has begun and it meets the eligibility rules."""
    row = get_ppa(session, ppa_id)
    principal = _principal(session)
    if party is None:
        if principal.is_admin or row.company_id in principal.companies_admin:
            party = "seller"
        elif row.buyer_company_id in principal.companies_admin:
            party = "buyer"
        else:
            raise Forbidden("only the admins of the seller or the buyer may sign")
    company = row.company_id if party == "seller" else row.buyer_company_id
    if company is None:
        raise Conflict("the contract has no buyer yet")
    if not (principal.is_admin or company in principal.companies_admin):
        raise Forbidden(f"only the {party}'s admins may sign as {party}")
    state = ppa.sign(ppa.Lifecycle(ppa.Status(row.status), row.seller_signed, row.buyer_signed), party)
    row.status, row.seller_signed, row.buyer_signed = state.status.value, state.seller_signed, state.buyer_signed
    _advance(row, day_or_today(None))
    session.flush()
    return row


def advance_ppas(session: Session, today: dt.date) -> int:
    """Activate and end the contracts the caller may write whose dates have come (a daily job);
    the number changed."""
    rows = session.execute(select(PpaContract).where(PpaContract.status.in_(("signed", "active")))).scalars().all()
    changed = 0
    for row in rows:
        before = row.status
        _advance(row, today)
        changed += row.status != before
    session.flush()
    return changed
