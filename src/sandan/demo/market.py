"""Demo data of the local power market: the complex's set-up (four feeders, the connection, a
shared battery, a KEPCO time-of-use price shape), a day of bids and offers of every company (every
fourth company sells rooftop PV around noon, the others buy along their shift), and the
day-ahead clearing of that day, so the market page has prices, congestion and trades to show."""

from __future__ import annotations

import datetime as dt

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from sandan.core.tenancy.models import Company
from sandan.core.timeutil import KST
from sandan.grid.market import schemas, service
from sandan.grid.market.models import MarketConfig

FEEDERS = 4
SEED = 20261126


def load_market(session: Session, complex_id: int, end_s: int) -> int:
    """Set up, fill and clear the market of the Korean day of ``end_s`` (the demo's last closed
    quarter hour, epoch seconds) once (nothing if the complex already has a set-up); the number of
    orders submitted."""
    market_day = dt.datetime.fromtimestamp(end_s, KST).date()
    if session.execute(select(MarketConfig.id).where(MarketConfig.complex_id == complex_id)).first():
        return 0
    companies = list(session.execute(select(Company.id).where(Company.complex_id == complex_id)
                                     .order_by(Company.id)).scalars())
    if not companies:
        return 0
    hour = np.arange(96) / 4
    tou = np.where(((hour >= 10) & (hour < 12)) | ((hour >= 13) & (hour < 17)), 190.0,
                   np.where((hour >= 22) | (hour < 8), 95.0, 140.0))
    service.put_config(session, complex_id, schemas.MarketConfigPut(
        network=schemas.NetworkIn(feeder_capacity_kw=[400.0, 1500.0, 1500.0, 1500.0], import_capacity_kw=8000.0,
                                  export_capacity_kw=1000.0),
        battery=schemas.BatteryIn(node=0, power_kw=500.0, soc_min_kwh=100.0, soc_max_kwh=900.0, soc_initial_kwh=500.0),
        grid_prices=schemas.GridPricesIn(import_krw_per_kwh=tou.tolist(), export_krw_per_kwh=[85.0] * 96),
        company_nodes={c: 1 + i % FEEDERS for i, c in enumerate(companies)}))
    rng = np.random.default_rng(SEED)
    sun = np.clip(np.sin((hour - 6) / 13 * np.pi), 0, None)
    shift = 0.4 + 0.6 * ((hour >= 8) & (hour < 20))
    submitted = 0
    for i, company in enumerate(companies):
        seller = i % 4 == 0  # on feeder 1: a PV-rich feeder whose export binds at noon
        size = rng.uniform(40, 120) if seller else rng.uniform(10, 60)
        qty = size * (sun if seller else shift) * rng.uniform(0.8, 1.2, 96)
        price = rng.uniform(50, 90, 96) if seller else rng.uniform(100, 200, 96)
        orders = [schemas.OrderIn(interval=t, side="sell" if seller else "buy", price_krw_per_kwh=round(float(p), 1),
                                  quantity_kwh=round(float(q), 3)) for t, (p, q) in enumerate(zip(price, qty,
                                                                                                   strict=True))
                  if q > 0.001]
        if orders:
            service.submit_orders(session, schemas.OrdersCreate(company_id=company, market_day=market_day,
                                                                orders=orders))
            submitted += len(orders)
    service.run_clearing(session, complex_id, schemas.ClearRequest(market_day=market_day))
    return submitted
