"""Tables of the complex power market
(Direct power trading: PPAs, local market clearing, settlement, certificates, revenue sharing).

Who reads and writes what (the one policy, :mod:`sandan.core.auth.policy`):

* ``market_configs``, ``market_runs`` — the complex's market set-up and its clearings with the
  public results (nodal prices, flows, the battery, congestion rent): rows of a complex, read by
  every signed-in user like the complex itself, written by the complex's operators
  (``__policy_writers__ = "complex_operator"``).
* ``market_orders`` — a company's bids and offers: read by whoever reads the company, written
  by its admins.
* ``market_trades`` — what a clearing accepted of each order and what it pays: read by whoever
  reads the company, written only by the operators of its complex (they run the clearing).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, Boolean, Date, DateTime, Float, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from sandan.core.timeutil import now_utc
from sandan.db import Base


class MarketConfig(Base):
    """A complex's market set-up: its network (feeder limits, the connection), its shared battery,
    the KEPCO prices of the outside option per quarter hour, and each company's node.

    ``network`` = ``{"feeder_capacity_kw": [...], "import_capacity_kw": x, "export_capacity_kw": y}``;
    ``battery`` = the fields of :class:`sandan.grid.market.clearing.Battery` or ``null``;
    ``grid_prices`` = ``{"import_krw_per_kwh": [96], "export_krw_per_kwh": [96]}``;
    ``company_nodes`` = ``{"<company id>": node}`` (a company not listed trades at the bus, node 0).
    """

    __tablename__ = "market_configs"
    __policy_writers__ = "complex_operator"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    complex_id: Mapped[int] = mapped_column(ForeignKey("complexes.id", ondelete="CASCADE"), unique=True)
    network: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    battery: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    grid_prices: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    company_nodes: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=now_utc, onupdate=now_utc)


class MarketOrder(Base):
    """One step of a bid (``side`` = ``buy``) or offer (``sell``) for one quarter hour of a
    market day (a Korean calendar day; ``interval`` 0 = 00:00-00:15 KST).  ``node`` is taken
    from the complex's configuration when the order is submitted."""

    __tablename__ = "market_orders"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id", ondelete="CASCADE"), index=True)
    complex_id: Mapped[int] = mapped_column(Integer, index=True)
    market_day: Mapped[dt.date] = mapped_column(Date, index=True)
    interval: Mapped[int] = mapped_column(Integer)
    node: Mapped[int] = mapped_column(Integer)
    side: Mapped[str] = mapped_column(String(4))
    price_krw_per_kwh: Mapped[float] = mapped_column(Float)
    quantity_kwh: Mapped[float] = mapped_column(Float)
    submitted_by: Mapped[str] = mapped_column(String(200), default="")
    submitted_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=now_utc)


class MarketRun(Base):
    """One clearing: day-ahead (``interval`` null, 96 quarter hours) or the intraday re-clearing of
    one quarter hour.  ``book`` names the exact order book it cleared (the orders of the complex,
    day and interval with ids up to ``last_order_id``, and their SHA-256 ``digest``) and
    ``inputs`` the configuration it used, so the run can be repeated and compared; ``results``
    holds the public figures: nodal prices per interval, flows, grid exchange, the battery, the
    binding limits and the complex's ledger lines (KEPCO, battery, congestion rent)."""

    __tablename__ = "market_runs"
    __policy_writers__ = "complex_operator"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    complex_id: Mapped[int] = mapped_column(ForeignKey("complexes.id", ondelete="CASCADE"), index=True)
    market_day: Mapped[dt.date] = mapped_column(Date, index=True)
    kind: Mapped[str] = mapped_column(String(10))
    interval: Mapped[int | None] = mapped_column(Integer, nullable=True)
    last_order_id: Mapped[int] = mapped_column(Integer, default=0)
    orders: Mapped[int] = mapped_column(Integer, default=0)
    digest: Mapped[str] = mapped_column(String(64))
    inputs: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    results: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    welfare_krw: Mapped[float] = mapped_column(Float)
    run_by: Mapped[str] = mapped_column(String(200), default="")
    run_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=now_utc)


class MarketTrade(Base):
    """What a clearing accepted of one order, at its node's price, and what it pays the market
    pool (``pays_won`` > 0) or is paid (< 0), rounded so the run's ledger sums to 0 won."""

    __tablename__ = "market_trades"
    __policy_writers__ = "complex_operator"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("market_runs.id", ondelete="CASCADE"), index=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("market_orders.id", ondelete="CASCADE"), index=True)
    company_id: Mapped[int] = mapped_column(Integer, index=True)
    complex_id: Mapped[int] = mapped_column(Integer)
    market_day: Mapped[dt.date] = mapped_column(Date)
    interval: Mapped[int] = mapped_column(Integer)
    node: Mapped[int] = mapped_column(Integer)
    side: Mapped[str] = mapped_column(String(4))
    energy_kwh: Mapped[float] = mapped_column(Float)
    price_krw_per_kwh: Mapped[float] = mapped_column(Float)
    pays_won: Mapped[int] = mapped_column(Integer)


class PpaContract(Base):
    """A direct PPA between a seller (``company_id``, the renewable generator) and a buyer
    (``buyer_company_id``; none yet while the seller drafts an offer).  Both parties read it and
    either party's admins act on it (``__policy_parties__``); the service decides which step
    each may take.  ``terms`` holds :class:`sandan.grid.market.ppa.PpaTerms` as JSON; changing
    them withdraws both signatures.  ``findings`` are the eligibility checks last made."""

    __tablename__ = "ppa_contracts"
    __policy_parties__ = ("company_id", "buyer_company_id")

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id", ondelete="CASCADE"), index=True)
    buyer_company_id: Mapped[int | None] = mapped_column(ForeignKey("companies.id", ondelete="CASCADE"),
                                                         index=True, nullable=True)
    complex_id: Mapped[int] = mapped_column(Integer, index=True)
    title: Mapped[str] = mapped_column(String(200), default="")
    status: Mapped[str] = mapped_column(String(8), default="draft")
    seller_signed: Mapped[bool] = mapped_column(Boolean, default=False)
    buyer_signed: Mapped[bool] = mapped_column(Boolean, default=False)
    terms: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    seller_capacity_kw: Mapped[float] = mapped_column(Float, default=0.0)
    buyer_contract_kw: Mapped[float] = mapped_column(Float, default=0.0)
    findings: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    created_by: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=now_utc)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=now_utc, onupdate=now_utc)
