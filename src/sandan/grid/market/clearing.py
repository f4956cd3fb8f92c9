"""Local market clearing: welfare-maximising uniform nodal-price auction of the complex (HiGHS).

The complex is a radial network: node 0 is the complex substation (the bus where the KEPCO grid
connection and the main transformer sit), nodes ``1 … F`` are its feeders.  Each feeder's limit
``feeder_capacity_kw`` is the smaller of its cable's and its transformer's rating and holds in
both directions.  Buy bids and sell offers are steps ``(interval, node, price, quantity)``; the
KEPCO grid is the outside option (import at the tariff, export at the export price, each up to
the connection limit); one shared battery sits at a node.

The LP (built in one go as a sparse matrix, solved with HiGHS, read back with its duals) is::

    max  Σ_b p_b x_b − Σ_s p_s y_s − Σ_t (π_imp,t m_t − π_exp,t e_t) − κ Σ_t (c_t + d_t)
    s.t. node n≠0, t:   Σ_{s@n} y_s − Σ_{b@n} x_b + f_{n,t} + [bat@n](d_t − c_t) = 0     (λ_{n,t})
         bus,      t:   Σ_{s@0} y_s − Σ_{b@0} x_b − Σ_n f_{n,t} + m_t − e_t
                        + [bat@0](d_t − c_t) = 0                                         (λ_{0,t})
         battery,  t:   soc_t − soc_{t−1} − η_c c_t + d_t / η_d = 0   (soc_{−1} = soc_init)
         0 ≤ x_b ≤ q_b, 0 ≤ y_s ≤ q_s, |f_{n,t}| ≤ F_n Δt, 0 ≤ m_t ≤ M Δt, 0 ≤ e_t ≤ E Δt,
         0 ≤ c_t, d_t ≤ P Δt, soc_min ≤ soc_t ≤ soc_max, soc_{T−1} ≥ soc_final_min

The node balance duals are the nodal prices λ [KRW kWh-1].  When no feeder or connection limit
binds, every λ_{n,t} of an interval is the same (a feeder strictly inside its limits has zero
reduced cost, so λ_n = λ_0); a binding feeder makes its node's price differ from the bus price.
By LP complementary slackness every accepted bid pays at most its price and every accepted offer
earns at least its price (individual rationality), and the pool's surplus equals the congestion
rent ``Σ_n (λ_n − λ_0) f_n + (λ_0 − π_imp) m + (π_exp − λ_0) e`` (each term ≥ 0).

Money: :func:`payments` writes one ledger line per accepted order, the battery, the grid and
each congestion rent, rounded to the won by cumulative rounding so that every interval's lines
sum to exactly 0 and every line is within 1 won of its exact amount.

Everything here is pure: arrays in, arrays out; no database, clock or settings.
"""

from __future__ import annotations

import hashlib
import itertools
import time
from dataclasses import dataclass, field
from typing import Any

import highspy
import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy import sparse

from sandan.core.errors import InvalidInput

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

#: Length of one market interval [h] (15 minutes).
INTERVAL_H = 0.25
#: Day-ahead intervals per day.
DAY_INTERVALS = 96
BUY = 1
SELL = -1
#: Prices are compared to order prices within this tolerance [KRW kWh-1] (solver tolerances).
PRICE_TOL = 1e-6


@dataclass(frozen=True)
class Network:
    """The complex's limits.

    Parameters
    ----------
    feeder_capacity_kw : limit of each feeder 1 … F, both directions [kW]
    import_capacity_kw : grid connection limit for power drawn from KEPCO [kW]
    export_capacity_kw : grid connection limit for power sent to KEPCO [kW]
    """

    feeder_capacity_kw: tuple[float, ...]
    import_capacity_kw: float
    export_capacity_kw: float

    @property
    def feeders(self) -> int:
        return len(self.feeder_capacity_kw)

    @property
    def nodes(self) -> int:
        """The bus (node 0) and the feeders."""
        return len(self.feeder_capacity_kw) + 1


@dataclass(frozen=True)
class Battery:
    """The complex's shared battery.

    Parameters
    ----------
    node : the node it is connected to (0 = the substation bus)
    power_kw : charge and discharge limit [kW]
    soc_min_kwh, soc_max_kwh : state-of-charge limits (the ESS safety rules' SOC band) [kWh]
    soc_initial_kwh : stored energy at the start of the first interval [kWh]
    soc_final_min_kwh : stored energy required at the end of the last interval; ``None`` = the
        initial energy (a day-ahead schedule leaves the battery as it found it) [kWh]
    soc_final_max_kwh : upper bound on the final energy; ``None`` = ``soc_max_kwh`` [kWh]
    efficiency_charge, efficiency_discharge : one-way efficiencies [-]
    cost_krw_per_kwh : wear cost per kWh charged or discharged [KRW kWh-1]
    """

    node: int
    power_kw: float
    soc_min_kwh: float
    soc_max_kwh: float
    soc_initial_kwh: float
    soc_final_min_kwh: float | None = None
    soc_final_max_kwh: float | None = None
    efficiency_charge: float = 0.95
    efficiency_discharge: float = 0.95
    cost_krw_per_kwh: float = 0.0


@dataclass(frozen=True)
class OrderBook:
    """Bids and offers as parallel arrays (one row per step).

    Parameters
    ----------
    order_id : unique id of each order (the ledger and stored results key on it)
    interval : interval index 0 … T−1 of the clearing
    node : node the order is delivered at (0 = bus, 1 … F = feeders)
    side : ``BUY`` (+1) or ``SELL`` (−1)
    price_krw_per_kwh : limit price, the most a buyer pays or the least a seller takes [KRW kWh-1]
    quantity_kwh : energy offered or wanted in the interval [kWh]
    """

    order_id: IntArray
    interval: IntArray
    node: IntArray
    side: IntArray
    price_krw_per_kwh: FloatArray
    quantity_kwh: FloatArray

    @classmethod
    def from_frame(cls, frame: pd.DataFrame) -> OrderBook:
        """From a DataFrame with the field names as columns."""
        return cls(order_id=frame["order_id"].to_numpy(np.int64), interval=frame["interval"].to_numpy(np.int64),
                   node=frame["node"].to_numpy(np.int64), side=frame["side"].to_numpy(np.int64),
                   price_krw_per_kwh=frame["price_krw_per_kwh"].to_numpy(np.float64),
                   quantity_kwh=frame["quantity_kwh"].to_numpy(np.float64))

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame({"order_id": self.order_id, "interval": self.interval, "node": self.node,
                             "side": self.side, "price_krw_per_kwh": self.price_krw_per_kwh,
                             "quantity_kwh": self.quantity_kwh})

    def __len__(self) -> int:
        return len(self.order_id)

    def sorted(self) -> OrderBook:
        """The same book in order-id order (clearing is defined on this order: reproducible)."""
        idx = np.argsort(self.order_id, kind="stable")
        return OrderBook(self.order_id[idx], self.interval[idx], self.node[idx], self.side[idx],
                         self.price_krw_per_kwh[idx], self.quantity_kwh[idx])

    def digest(self) -> str:
        """SHA-256 of the sorted book: a stored result names the exact book it cleared."""
        book = self.sorted()
        h = hashlib.sha256()
        for arr in (book.order_id, book.interval, book.node, book.side, book.price_krw_per_kwh, book.quantity_kwh):
            h.update(np.ascontiguousarray(arr).tobytes())
        return h.hexdigest()


@dataclass(frozen=True)
class GridPrices:
    """The outside option per interval [KRW kWh-1]: buy from KEPCO at ``import_``, sell at ``export``."""

    import_krw_per_kwh: FloatArray
    export_krw_per_kwh: FloatArray


@dataclass
class ClearingResult:
    """What the clearing decided.  Arrays are per order (in the book's order), per interval ``t``
    and per node ``n``.

    ``price_krw_per_kwh[t, n]`` is the nodal price; ``flow_kwh[t, f]`` the energy sent from the bus
    into feeder ``f+1`` (negative: out of the feeder); ``binding`` names each limit at its bound.
    """

    accepted_kwh: FloatArray
    price_krw_per_kwh: FloatArray
    flow_kwh: FloatArray
    import_kwh: FloatArray
    export_kwh: FloatArray
    charge_kwh: FloatArray
    discharge_kwh: FloatArray
    soc_kwh: FloatArray
    welfare_krw: float
    binding: list[dict[str, Any]] = field(default_factory=list)
    timings_s: dict[str, float] = field(default_factory=dict)
    iterations: int = 0
    rounds: int = 1
    lp_orders: int = 0

    @property
    def intervals(self) -> int:
        return int(self.price_krw_per_kwh.shape[0])


def _validate(book: OrderBook, network: Network, grid: GridPrices, battery: Battery | None, intervals: int) -> None:
    n = len(book)
    for name in ("interval", "node", "side", "price_krw_per_kwh", "quantity_kwh"):
        if len(getattr(book, name)) != n:
            raise InvalidInput(f"order book column {name} has {len(getattr(book, name))} rows, not {n}")
    if n and (book.interval.min() < 0 or book.interval.max() >= intervals):
        raise InvalidInput(f"an order's interval lies outside 0 … {intervals - 1}", field="interval")
    if n and (book.node.min() < 0 or book.node.max() >= network.nodes):
        raise InvalidInput(f"an order's node lies outside 0 … {network.nodes - 1}", field="node")
    if n and not np.isin(book.side, (BUY, SELL)).all():
        raise InvalidInput("side must be 1 (buy) or -1 (sell)", field="side")
    if n and ((book.quantity_kwh < 0).any() or not np.isfinite(book.quantity_kwh).all()):
        raise InvalidInput("quantities must be finite and not negative", field="quantity_kwh")
    if n and not np.isfinite(book.price_krw_per_kwh).all():
        raise InvalidInput("prices must be finite", field="price_krw_per_kwh")
    if n > 1 and (np.diff(np.sort(book.order_id)) == 0).any():
        raise InvalidInput("order ids must be unique", field="order_id")
    if len(grid.import_krw_per_kwh) != intervals or len(grid.export_krw_per_kwh) != intervals:
        raise InvalidInput(f"grid prices must have {intervals} values")
    if (np.asarray(grid.export_krw_per_kwh) > np.asarray(grid.import_krw_per_kwh)).any():
        raise InvalidInput("the export price may not exceed the import price (free arbitrage)")
    if min(network.feeder_capacity_kw, default=0.0) < 0 or network.import_capacity_kw < 0 \
            or network.export_capacity_kw < 0:
        raise InvalidInput("network limits may not be negative")
    if battery is not None:
        if not 0 <= battery.node < network.nodes:
            raise InvalidInput("the battery's node is not a node of the network", field="node")
        final_min = battery.soc_initial_kwh if battery.soc_final_min_kwh is None else battery.soc_final_min_kwh
        if not (0 <= battery.soc_min_kwh <= battery.soc_initial_kwh <= battery.soc_max_kwh
                and battery.soc_min_kwh <= final_min <= battery.soc_max_kwh and battery.power_kw >= 0
                and 0 < battery.efficiency_charge <= 1 and 0 < battery.efficiency_discharge <= 1):
            raise InvalidInput("battery limits are inconsistent "
                               "(SOC band, initial and final energy, power, efficiency)")


@dataclass
class _Layout:
    """Column and row offsets of the LP."""

    orders: int
    intervals: int
    feeders: int
    battery: bool

    @property
    def flow0(self) -> int:
        return self.orders

    @property
    def imp0(self) -> int:
        return self.flow0 + self.intervals * self.feeders

    @property
    def exp0(self) -> int:
        return self.imp0 + self.intervals

    @property
    def charge0(self) -> int:
        return self.exp0 + self.intervals

    @property
    def discharge0(self) -> int:
        return self.charge0 + self.intervals

    @property
    def soc0(self) -> int:
        return self.discharge0 + self.intervals

    @property
    def columns(self) -> int:
        return self.soc0 + (self.intervals if self.battery else 0) - (0 if self.battery else 2 * self.intervals)

    @property
    def node_rows(self) -> int:
        return self.intervals * (self.feeders + 1)

    @property
    def rows(self) -> int:
        return self.node_rows + (self.intervals if self.battery else 0)


def build_lp(book: OrderBook, network: Network, grid: GridPrices, battery: Battery | None,
             intervals: int, node_rhs_kwh: FloatArray | None = None) -> tuple[highspy.HighsLp, _Layout]:
    """The clearing LP (minimise −welfare) as one sparse CSC matrix; rows are node balances
    ``(t, n)`` at ``t·(F+1)+n``, then battery energy rows ``t``.  ``node_rhs_kwh[t, n]`` is the
    right-hand side of the node rows (the net withdrawal of orders held outside the LP) [kWh]."""
    m = len(book)
    f_count = network.feeders
    lay = _Layout(m, intervals, f_count, battery is not None)
    nodes = f_count + 1
    t_idx = np.arange(intervals, dtype=np.int64)

    # --- columns: order steps, feeder flows, import, export, [charge, discharge, soc] ---
    cost = [np.where(book.side == BUY, -book.price_krw_per_kwh, book.price_krw_per_kwh)]
    lower = [np.zeros(m)]
    upper = [book.quantity_kwh.astype(np.float64)]
    cap = np.asarray(network.feeder_capacity_kw, dtype=np.float64) * INTERVAL_H
    cost.append(np.zeros(intervals * f_count))
    lower.append(np.tile(-cap, intervals))
    upper.append(np.tile(cap, intervals))
    cost += [np.asarray(grid.import_krw_per_kwh, np.float64), -np.asarray(grid.export_krw_per_kwh, np.float64)]
    lower += [np.zeros(intervals), np.zeros(intervals)]
    upper += [np.full(intervals, network.import_capacity_kw * INTERVAL_H),
              np.full(intervals, network.export_capacity_kw * INTERVAL_H)]

    # --- matrix entries (row, col, value) ---
    rows = [book.interval * nodes + book.node]
    cols = [np.arange(m, dtype=np.int64)]
    vals = [np.where(book.side == BUY, -1.0, 1.0)]
    flow_cols = lay.flow0 + np.arange(intervals * f_count, dtype=np.int64)
    flow_t = np.repeat(t_idx, f_count)
    flow_n = np.tile(np.arange(1, nodes, dtype=np.int64), intervals)
    rows += [flow_t * nodes + flow_n, flow_t * nodes]
    cols += [flow_cols, flow_cols]
    vals += [np.ones(intervals * f_count), -np.ones(intervals * f_count)]
    rows += [t_idx * nodes, t_idx * nodes]
    cols += [lay.imp0 + t_idx, lay.exp0 + t_idx]
    vals += [np.ones(intervals), -np.ones(intervals)]

    row_lower = np.zeros(lay.rows)
    if node_rhs_kwh is not None:
        row_lower[: lay.node_rows] = node_rhs_kwh.ravel()
    row_upper = row_lower.copy()
    if battery is not None:
        p = battery.power_kw * INTERVAL_H
        cost += [np.full(intervals, battery.cost_krw_per_kwh)] * 2 + [np.zeros(intervals)]
        lower += [np.zeros(intervals), np.zeros(intervals), np.full(intervals, battery.soc_min_kwh)]
        soc_hi = np.full(intervals, battery.soc_max_kwh)
        soc_lo = np.full(intervals, battery.soc_min_kwh)
        final_min = battery.soc_initial_kwh if battery.soc_final_min_kwh is None else battery.soc_final_min_kwh
        soc_lo[-1] = max(soc_lo[-1], final_min)
        if battery.soc_final_max_kwh is not None:
            soc_hi[-1] = min(soc_hi[-1], battery.soc_final_max_kwh)
        lower[-1] = soc_lo
        upper += [np.full(intervals, p), np.full(intervals, p), soc_hi]
        node_row = t_idx * nodes + battery.node
        energy_row = lay.node_rows + t_idx
        c_cols, d_cols, s_cols = lay.charge0 + t_idx, lay.discharge0 + t_idx, lay.soc0 + t_idx
        rows += [node_row, node_row, energy_row, energy_row, energy_row, energy_row[1:]]
        cols += [c_cols, d_cols, c_cols, d_cols, s_cols, s_cols[:-1]]
        vals += [-np.ones(intervals), np.ones(intervals), np.full(intervals, -battery.efficiency_charge),
                 np.full(intervals, 1.0 / battery.efficiency_discharge), np.ones(intervals),
                 -np.ones(intervals - 1)]
        row_lower[lay.node_rows] = row_upper[lay.node_rows] = battery.soc_initial_kwh

    n_cols = lay.columns
    matrix = sparse.csc_matrix((np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))),
                               shape=(lay.rows, n_cols))
    lp = highspy.HighsLp()
    lp.num_col_ = n_cols
    lp.num_row_ = lay.rows
    lp.col_cost_ = np.concatenate(cost)
    lp.col_lower_ = np.concatenate(lower)
    lp.col_upper_ = np.concatenate(upper)
    lp.row_lower_ = row_lower
    lp.row_upper_ = row_upper
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.num_col_ = n_cols
    lp.a_matrix_.num_row_ = lay.rows
    lp.a_matrix_.start_ = matrix.indptr.astype(np.int32)
    lp.a_matrix_.index_ = matrix.indices.astype(np.int32)
    lp.a_matrix_.value_ = matrix.data
    return lp, lay


#: HiGHS options for the clearing LP.  It has few rows (one per node and interval, one per
#: battery interval) and many bounded columns (one per order), so dual simplex solves it in about
#: one iteration per row.  Presolve is off: it finds next to nothing to remove (no fixed
#: columns, no redundant rows) and measured 3-10x the solve time of the whole simplex on the
#: bench's books.  One thread because the platform shares its cores.
#: No "threads" option: HiGHS sizes one scheduler per process on its first solve, and a later
#: instance asking for another thread count refuses to run (model status "Not Set") — which
#: happened after the grid's dispatch had solved in the same process.  Dual simplex is serial anyway.
SOLVER_OPTIONS: dict[str, Any] = {"output_flag": False, "solver": "simplex", "simplex_strategy": 1,
                                  "presolve": "off", "primal_feasibility_tolerance": 1e-9,
                                  "dual_feasibility_tolerance": 1e-9}


def merit_order_prices(book: OrderBook, network: Network, grid: GridPrices, intervals: int) -> FloatArray:
    """Copper-plate price per interval (every order on one bus, no battery) [KRW kWh-1]: where the
    supply curve (offers and KEPCO import) meets the demand curve (bids and export)."""
    out = np.empty(intervals)
    buy = book.side == BUY
    p_all = book.price_krw_per_kwh
    span = float(p_all.max() - p_all.min()) + 1.0 if len(p_all) else 1.0
    order = np.argsort(book.interval * span + (p_all - (p_all.min() if len(p_all) else 0.0)))
    split = np.searchsorted(book.interval[order], np.arange(intervals + 1))
    for t in range(intervals):
        idx = order[split[t]: split[t + 1]]
        p, q, b = book.price_krw_per_kwh[idx], book.quantity_kwh[idx], buy[idx]
        sp = np.concatenate((p[~b], [grid.import_krw_per_kwh[t]]))
        sq = np.concatenate((q[~b], [network.import_capacity_kw * INTERVAL_H]))
        dp = np.concatenate((p[b], [grid.export_krw_per_kwh[t]]))
        dq = np.concatenate((q[b], [network.export_capacity_kw * INTERVAL_H]))
        levels = np.sort(np.concatenate((sp, dp)))
        supply = np.searchsorted(np.sort(sp), levels, side="right")
        s_cum = np.concatenate(([0.0], np.cumsum(sq[np.argsort(sp)])))[supply]
        dsort = np.argsort(dp)
        d_cum_desc = np.concatenate((np.cumsum(dq[dsort][::-1])[::-1], [0.0]))
        demand = d_cum_desc[np.searchsorted(dp[dsort], levels, side="left")]
        cross = np.flatnonzero(s_cum >= demand)
        out[t] = levels[cross[0]] if len(cross) else levels[-1]
    return out


#: Sifting: orders priced within this band of their interval's copper-plate price start in the
#: LP; the rest start fixed at the bound they would take at that price [KRW kWh-1].
SIFT_BAND_KRW = 5.0


def _add_columns(h: highspy.Highs, cost: FloatArray, upper: FloatArray, row: IntArray, coeff: FloatArray) -> None:
    k = len(cost)
    h.addCols(k, cost, np.zeros(k), upper, k, np.arange(k, dtype=np.int32), row.astype(np.int32), coeff)


def clear(book: OrderBook, network: Network, grid: GridPrices, battery: Battery | None = None, *,
          intervals: int = DAY_INTERVALS, options: dict[str, Any] | None = None,
          sift: bool = True) -> ClearingResult:
    """Clear the order book: accepted quantities, nodal prices, flows, grid exchange, battery.

    ``intervals`` is 96 for a day-ahead clearing and 1 for the intraday re-clearing of one
    interval (the battery then starts from its scheduled energy and must end within
    ``soc_final_min_kwh`` … ``soc_final_max_kwh``, so later intervals stay feasible).  The book
    is cleared in order-id order; the result's per-order arrays follow ``book.sorted()``.

    Sifting (exact, a column-generation scheme): most orders are far from the price and end fully
    accepted or rejected.  Only orders priced within ``SIFT_BAND_KRW`` of their interval's
    copper-plate price (:func:`merit_order_prices`) enter the LP one by one.  Orders below the
    band (bids) or above it (offers) stay out, i.e. rejected; those beyond the other side enter as
    one block column per interval, node and side, priced at the block's least favourable member
    (the lowest bid, the highest offer).  After each solve the optimality conditions of the full
    LP are checked against the nodal prices: a rejected bid must be priced at or below its
    node's price (an offer at or above), a block must be fully accepted and its least favourable
    member priced at or above the price (offers: at or below) — then every member is.  Orders
    that fail enter one by one (a failed block is closed and its members enter), and HiGHS
    restarts from its last basis.  It stops when nothing fails, which is exactly the optimality
    condition of the full LP: the quantities and nodal prices are those of the full LP (tested
    against ``sift=False``, which solves the full LP in one go).  Blocks keep the restricted LP
    feasible (they can shrink to zero, which the full LP allows too).
    """
    _validate(book, network, grid, battery, intervals)
    book = book.sorted()
    t0 = time.perf_counter()
    m = len(book)
    nodes = network.nodes
    row_of = book.interval * nodes + book.node
    buy = book.side == BUY
    price_of = book.price_krw_per_kwh
    coeff_of = np.where(buy, -1.0, 1.0)
    cost_of = np.where(buy, -price_of, price_of)
    if sift and m:
        guess = merit_order_prices(book, network, grid, intervals)[book.interval]
        active = np.abs(price_of - guess) <= SIFT_BAND_KRW
        blocked = ~active & np.where(buy, price_of > guess, price_of < guess)
    else:
        active = np.ones(m, dtype=bool)
        blocked = np.zeros(m, dtype=bool)
    in_lp = np.flatnonzero(active)
    sub = OrderBook(book.order_id[in_lp], book.interval[in_lp], book.node[in_lp], book.side[in_lp],
                    price_of[in_lp], book.quantity_kwh[in_lp])
    lp, lay = build_lp(sub, network, grid, battery, intervals)
    # Block columns: one per (row, side) of the blocked orders, appended after the model's columns.
    blk = np.flatnonzero(blocked)
    blk_key = row_of[blk] * 2 + buy[blk]
    keys, block_of = np.unique(blk_key, return_inverse=True) if len(blk) else (np.zeros(0, np.int64),
                                                                              np.zeros(0, np.int64))
    n_blocks = len(keys)
    block_is_buy = (keys % 2).astype(bool)
    block_price = np.full(n_blocks, np.inf)
    np.minimum.at(block_price, block_of, np.where(buy[blk], price_of[blk], -price_of[blk]))
    block_price = np.where(block_is_buy, block_price, -block_price)  # lowest bid / highest offer
    block_qty = np.asarray(np.bincount(block_of, weights=book.quantity_kwh[blk], minlength=n_blocks), np.float64)
    block_open = np.ones(n_blocks, dtype=bool)
    member_block = np.full(m, -1, dtype=np.int64)
    member_block[blk] = block_of
    t1 = time.perf_counter()
    h = highspy.Highs()  # type: ignore[no-untyped-call]
    for key, value in {**SOLVER_OPTIONS, **(options or {})}.items():
        h.setOptionValue(key, value)
    h.passModel(lp)
    block_col0 = lay.columns
    if n_blocks:
        _add_columns(h, np.where(block_is_buy, -block_price, block_price), block_qty, keys // 2,
                     np.where(block_is_buy, -1.0, 1.0))
    entered: list[IntArray] = [in_lp]  # order index of each single-order column, in column order
    next_col = block_col0 + n_blocks
    entered_cols: list[IntArray] = [np.arange(lay.orders, dtype=np.int64)]
    rounds = iterations = 0
    while True:
        h.run()
        rounds += 1
        iterations += int(h.getInfo().simplex_iteration_count)
        status = h.getModelStatus()
        if status != highspy.HighsModelStatus.kOptimal:
            # Every order may be rejected and the battery may idle, so only the battery's energy
            # requirements can make the clearing infeasible.
            raise InvalidInput(f"the clearing has no solution ({h.modelStatusToString(status)}): check the battery's "
                               "initial and final energy against its power limit and SOC band")
        sol = h.getSolution()
        lam_rows = np.asarray(sol.row_dual)[: lay.node_rows]
        col_value = np.asarray(sol.col_value)
        # Blocks that fail: not fully accepted, or their least favourable member is out of the money.
        open_idx = np.flatnonzero(block_open)
        lam_b = lam_rows[keys[open_idx] // 2]
        value_b = col_value[block_col0 + open_idx]
        p_b = block_price[open_idx]
        bad_block = (value_b < block_qty[open_idx] - 1e-7) | np.where(
            block_is_buy[open_idx], p_b < lam_b - PRICE_TOL, p_b > lam_b + PRICE_TOL)
        closing = open_idx[bad_block]
        # Rejected orders outside the LP that are in the money.
        out = np.flatnonzero(~active & ~blocked)
        lam_o = lam_rows[row_of[out]]
        wrong = np.where(buy[out], price_of[out] > lam_o + PRICE_TOL, price_of[out] < lam_o - PRICE_TOL)
        enter = out[wrong]
        if len(closing):
            in_closing = np.zeros(n_blocks, dtype=bool)
            in_closing[closing] = True
            members = blk[in_closing[block_of]]
            enter = np.concatenate((enter, members))
            block_open[closing] = False
            blocked[members] = False
            cols = (block_col0 + closing).astype(np.int32)
            h.changeColsBounds(len(cols), cols, np.zeros(len(cols)), np.zeros(len(cols)))
        if not len(enter):
            break
        _add_columns(h, cost_of[enter], book.quantity_kwh[enter].astype(np.float64), row_of[enter], coeff_of[enter])
        active[enter] = True
        entered.append(enter)
        entered_cols.append(next_col + np.arange(len(enter), dtype=np.int64))
        next_col += len(enter)
    t2 = time.perf_counter()
    x = col_value
    price = lam_rows.reshape(intervals, nodes)
    flow = x[lay.flow0: lay.imp0].reshape(intervals, network.feeders)
    accepted = np.zeros(m)
    accepted[blocked] = book.quantity_kwh[blocked]  # members of blocks still open: fully accepted
    accepted[np.concatenate(entered)] = x[np.concatenate(entered_cols)]
    accepted = np.clip(accepted, 0.0, book.quantity_kwh)
    zeros = np.zeros(intervals)
    if battery is not None:
        charge, discharge, soc = (x[lay.charge0: lay.discharge0], x[lay.discharge0: lay.soc0],
                                  x[lay.soc0: lay.soc0 + intervals])
    else:
        charge, discharge, soc = zeros, zeros, zeros
    imports, exports = x[lay.imp0: lay.exp0].copy(), x[lay.exp0: lay.exp0 + intervals].copy()
    result = ClearingResult(
        accepted_kwh=accepted, price_krw_per_kwh=price, flow_kwh=flow.copy(), import_kwh=imports, export_kwh=exports,
        charge_kwh=np.array(charge), discharge_kwh=np.array(discharge), soc_kwh=np.array(soc),
        welfare_krw=welfare(book, accepted, grid, imports, exports, battery, np.array(charge), np.array(discharge)),
        iterations=iterations, rounds=rounds, lp_orders=int(active.sum()))
    result.binding = binding_limits(result, network)
    result.timings_s = {"build": t1 - t0, "solve": t2 - t1, "read": time.perf_counter() - t2}
    return result


def binding_limits(result: ClearingResult, network: Network, tol_kwh: float = 1e-6) -> list[dict[str, Any]]:
    """Each feeder or connection limit at its bound with a price difference across it."""
    out: list[dict[str, Any]] = []
    cap = np.asarray(network.feeder_capacity_kw) * INTERVAL_H
    for t in range(result.intervals):
        bus = result.price_krw_per_kwh[t, 0]
        for f in range(network.feeders):
            gap = result.price_krw_per_kwh[t, f + 1] - bus
            if abs(result.flow_kwh[t, f]) >= cap[f] - tol_kwh and abs(gap) > PRICE_TOL:
                out.append({"interval": t, "limit": "feeder", "node": f + 1, "flow_kwh": float(result.flow_kwh[t, f]),
                            "price_difference_krw_per_kwh": float(gap)})
        if result.import_kwh[t] >= network.import_capacity_kw * INTERVAL_H - tol_kwh and result.import_kwh[t] > 0:
            out.append({"interval": t, "limit": "import", "node": 0, "flow_kwh": float(result.import_kwh[t])})
        if result.export_kwh[t] >= network.export_capacity_kw * INTERVAL_H - tol_kwh and result.export_kwh[t] > 0:
            out.append({"interval": t, "limit": "export", "node": 0, "flow_kwh": float(result.export_kwh[t])})
    return out


def welfare(book: OrderBook, accepted_kwh: FloatArray, grid: GridPrices, import_kwh: FloatArray,
            export_kwh: FloatArray, battery: Battery | None = None, charge_kwh: FloatArray | None = None,
            discharge_kwh: FloatArray | None = None) -> float:
    """Social welfare of a schedule [KRW]: buyers' value − sellers' cost − net grid cost − battery
    wear.  ``accepted_kwh`` follows ``book``'s own row order."""
    signed = np.where(book.side == BUY, book.price_krw_per_kwh, -book.price_krw_per_kwh)
    value = float(signed @ accepted_kwh)
    value -= float(np.asarray(grid.import_krw_per_kwh) @ import_kwh - np.asarray(grid.export_krw_per_kwh) @ export_kwh)
    if battery is not None and charge_kwh is not None and discharge_kwh is not None:
        value -= battery.cost_krw_per_kwh * float(charge_kwh.sum() + discharge_kwh.sum())
    return value


# --- payments ------------------------------------------------------------------------------------

LEDGER_COLUMNS = ("interval", "kind", "order_id", "node", "energy_kwh", "price_krw_per_kwh", "exact_krw", "pays_won")


def cumulative_round(amounts: FloatArray) -> IntArray:
    """Round each amount to the won so that the rounded prefix sums equal the rounded exact
    prefix sums: every line moves by less than 1 won and the total is the rounded exact total."""
    prefix = np.concatenate(([0.0], np.cumsum(amounts)))
    rounded = np.floor(prefix + 0.5).astype(np.int64)
    return np.diff(rounded)


def payments(book: OrderBook, result: ClearingResult, grid: GridPrices, battery: Battery | None = None) -> pd.DataFrame:
    """The ledger of a clearing: who pays the market pool what [won].

    ``pays_won`` > 0: the party pays the pool; < 0: it is paid.  Lines per interval: each accepted
    order (buyers pay ``λ_n q``, sellers are paid it), the battery (pays for charging, is paid for
    discharging at its node's price), KEPCO (paid ``π_imp m``, pays ``π_exp e``), and the
    congestion rent (each binding feeder ``(λ_n − λ_0) f_n``, the connection
    ``(λ_0 − π_imp) m + (π_exp − λ_0) e``) that the pool keeps for the complex.  Every interval's
    lines sum to exactly 0 won (cumulative rounding, see :func:`cumulative_round`).
    """
    book = book.sorted()
    price = result.price_krw_per_kwh
    frames: list[pd.DataFrame] = []
    mask = result.accepted_kwh > 1e-9
    node_price = price[book.interval[mask], book.node[mask]]
    q = result.accepted_kwh[mask]
    sign = np.where(book.side[mask] == BUY, 1.0, -1.0)
    frames.append(pd.DataFrame({
        "interval": book.interval[mask], "kind": np.where(book.side[mask] == BUY, "buy", "sell"),
        "order_id": book.order_id[mask], "node": book.node[mask], "energy_kwh": q,
        "price_krw_per_kwh": node_price, "exact_krw": sign * node_price * q}))
    t = np.arange(result.intervals)
    bus = price[:, 0]
    imp_p = np.asarray(grid.import_krw_per_kwh, np.float64)
    exp_p = np.asarray(grid.export_krw_per_kwh, np.float64)
    system: list[dict[str, Any]] = []
    for ti in t:
        if battery is not None and (result.charge_kwh[ti] > 1e-9 or result.discharge_kwh[ti] > 1e-9):
            net = result.charge_kwh[ti] - result.discharge_kwh[ti]
            p = price[ti, battery.node]
            system.append({"interval": ti, "kind": "battery", "order_id": -1, "node": battery.node, "energy_kwh": net,
                           "price_krw_per_kwh": p, "exact_krw": p * net})
        if result.import_kwh[ti] > 1e-9:
            system.append({"interval": ti, "kind": "kepco_import", "order_id": -1, "node": 0,
                           "energy_kwh": result.import_kwh[ti], "price_krw_per_kwh": imp_p[ti],
                           "exact_krw": -imp_p[ti] * result.import_kwh[ti]})
        if result.export_kwh[ti] > 1e-9:
            system.append({"interval": ti, "kind": "kepco_export", "order_id": -1, "node": 0,
                           "energy_kwh": result.export_kwh[ti], "price_krw_per_kwh": exp_p[ti],
                           "exact_krw": exp_p[ti] * result.export_kwh[ti]})
        for f in range(result.flow_kwh.shape[1]):
            rent = (price[ti, f + 1] - bus[ti]) * result.flow_kwh[ti, f]
            if abs(rent) > 1e-9:
                system.append({"interval": ti, "kind": "feeder_rent", "order_id": -1, "node": f + 1,
                               "energy_kwh": result.flow_kwh[ti, f], "price_krw_per_kwh": price[ti, f + 1] - bus[ti],
                               "exact_krw": -rent})
        conn = (bus[ti] - imp_p[ti]) * result.import_kwh[ti] + (exp_p[ti] - bus[ti]) * result.export_kwh[ti]
        if abs(conn) > 1e-9:
            system.append({"interval": ti, "kind": "connection_rent", "order_id": -1, "node": 0,
                           "energy_kwh": result.import_kwh[ti] - result.export_kwh[ti],
                           "price_krw_per_kwh": bus[ti], "exact_krw": -conn})
    if system:
        frames.append(pd.DataFrame(system))
    ledger = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]
    ledger = ledger.sort_values(["interval", "order_id", "kind"], kind="stable", ignore_index=True)
    ledger["interval"] = ledger["interval"].astype(np.int64)
    ledger["order_id"] = ledger["order_id"].astype(np.int64)
    ledger["node"] = ledger["node"].astype(np.int64)
    pays = np.zeros(len(ledger), dtype=np.int64)
    bounds = np.flatnonzero(np.diff(ledger["interval"].to_numpy(), prepend=-1, append=-1))
    exact = ledger["exact_krw"].to_numpy(np.float64)
    for a, b in itertools.pairwise(bounds):
        pays[a:b] = cumulative_round(exact[a:b])
    ledger["pays_won"] = pays
    return ledger[list(LEDGER_COLUMNS)]
