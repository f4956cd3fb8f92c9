"""The complex-wide assignment of quantities over candidate pairs: an LP solved with HiGHS.

Variables ``x_a`` ≥ 0 [unit/month], one per arc (candidate pair) of
:func:`sandan.circular.matching.candidates`.  Built from small named builders (PyPSA style), then
solved, then read back as a DataFrame:

* ``add_offer_constraints``     Σ_a∈out(i) x_a ≤ quantity_i     (never more than is offered)
* ``add_capacity_constraints``  Σ_a∈in(j)  x_a ≤ capacity_j     (never more than a receiver takes)
* ``add_permit_constraints``    Σ_a∈permit(p) x_a ≤ capacity_p  (a permit's monthly capacity)
* objective                      max Σ_a objective_krw_per_unit_a · x_a

This is a bipartite transportation problem (a min-cost flow); the LP of it has integral vertices
when the quantities are integral.  :func:`greedy` is the baseline people do by hand (best pair
first), and :func:`solve_dense_linprog` an independent second formulation (every offer × demand
pair, the missing ones bounded to zero, SciPy's interior-point HiGHS) used by the tests.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import highspy
import numpy as np
import pandas as pd

INF = highspy.kHighsInf


@dataclass
class Assignment:
    """The arcs with their assigned ``quantity``, the totals, and the solver's words."""

    arcs: pd.DataFrame
    objective_krw: float
    value_krw: float
    co2_kg: float
    status: str
    warnings: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class _Model:
    n: int
    rows_upper: list[np.ndarray] = field(default_factory=list)
    row_of_arc: list[np.ndarray] = field(default_factory=list)  # one row index per arc (or -1) per block
    names: list[str] = field(default_factory=list)
    offset: int = 0


def _add_block(model: _Model, name: str, keys: pd.Series, upper: pd.Series) -> None:
    """One constraint per distinct key: the arcs sharing it sum to at most ``upper`` of that key."""
    valid = keys.notna().to_numpy()
    codes, uniques = pd.factorize(keys[valid], sort=True)
    rows = np.full(model.n, -1, dtype=np.int64)
    rows[valid] = codes + model.offset
    caps = upper[valid].groupby(codes).first().to_numpy(dtype=float) if valid.any() else np.array([])
    model.rows_upper.append(np.where(np.isnan(caps), INF, caps))
    model.row_of_arc.append(rows)
    model.names.extend(f"{name}[{u}]" for u in uniques)
    model.offset += len(uniques)


def add_offer_constraints(model: _Model, arcs: pd.DataFrame) -> None:
    _add_block(model, "offer", arcs["offer_stream_id"], arcs["offer_quantity"])


def add_capacity_constraints(model: _Model, arcs: pd.DataFrame) -> None:
    _add_block(model, "capacity", arcs["demand_stream_id"], arcs["capacity"])


def add_permit_constraints(model: _Model, arcs: pd.DataFrame) -> None:
    if "permit_id" not in arcs or "permit_capacity" not in arcs:
        return
    _add_block(model, "permit", arcs["permit_id"].where(arcs["permit_capacity"].notna()), arcs["permit_capacity"])


def _totals(arcs: pd.DataFrame, x: np.ndarray, status: str, warnings: list[dict[str, Any]]) -> Assignment:
    out = arcs.assign(quantity=x)
    return Assignment(out, float(np.dot(arcs["objective_krw_per_unit"], x)),
                      float(np.dot(arcs["value_krw_per_unit"], x)), float(np.dot(arcs["co2_kg_per_unit"], x)),
                      status, warnings)


def solve(arcs: pd.DataFrame) -> Assignment:
    """Assign quantities over ``arcs`` maximising the objective, with HiGHS (dual simplex)."""
    n = len(arcs)
    if n == 0:
        return _totals(arcs, np.zeros(0), "empty", [])
    model = _Model(n)
    add_offer_constraints(model, arcs)
    add_capacity_constraints(model, arcs)
    add_permit_constraints(model, arcs)
    rows = np.stack(model.row_of_arc, axis=1)  # n × blocks, -1 where an arc is in no row of a block
    counts = (rows >= 0).sum(axis=1)
    lp = highspy.HighsLp()
    lp.num_col_, lp.num_row_ = n, model.offset
    lp.col_cost_ = arcs["objective_krw_per_unit"].to_numpy(dtype=float)
    lp.col_lower_ = np.zeros(n)
    lp.col_upper_ = np.full(n, INF)
    lp.row_lower_ = np.full(model.offset, -INF)
    lp.row_upper_ = np.concatenate(model.rows_upper)
    lp.sense_ = highspy.ObjSense.kMaximize
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_ = np.concatenate([[0], np.cumsum(counts)]).astype(np.int32)
    lp.a_matrix_.index_ = rows[rows >= 0].astype(np.int32)  # row-major over arcs: column by column
    lp.a_matrix_.value_ = np.ones(int(counts.sum()))
    highs = highspy.Highs()  # type: ignore[no-untyped-call]
    highs.setOptionValue("output_flag", False)
    highs.passModel(lp)
    highs.run()
    status = highs.modelStatusToString(highs.getModelStatus())
    if highs.getModelStatus() != highspy.HighsModelStatus.kOptimal:
        return _totals(arcs, np.zeros(n), status, [{"code": "solver", "message": f"HiGHS stopped: {status}",
                                                    "data": {}}])
    x = np.clip(np.asarray(highs.getSolution().col_value, dtype=float), 0.0, None)
    return _totals(arcs, x, status, [])


def greedy(arcs: pd.DataFrame) -> Assignment:
    """Best pair first: take the arc of highest objective per unit, assign what both sides still
    have, repeat.  The usual hand method, optimal only when no offer's best receiver is another
    offer's only one."""
    order = np.argsort(-arcs["objective_krw_per_unit"].to_numpy(), kind="stable")
    left_offer: dict[Any, float] = dict(zip(arcs["offer_stream_id"], arcs["offer_quantity"], strict=True))
    left_cap: dict[Any, float] = dict(zip(arcs["demand_stream_id"], arcs["capacity"], strict=True))
    has_permit = "permit_capacity" in arcs
    left_permit: dict[Any, float] = {}
    if has_permit:
        for p, c in zip(arcs["permit_id"], arcs["permit_capacity"], strict=True):
            if pd.notna(c):
                left_permit[p] = float(c)
    offer = arcs["offer_stream_id"].to_numpy()
    demand = arcs["demand_stream_id"].to_numpy()
    permit = arcs["permit_id"].to_numpy() if has_permit else np.full(len(arcs), np.nan)
    objective = arcs["objective_krw_per_unit"].to_numpy(dtype=float)
    x = np.zeros(len(arcs))
    for a in order:
        if objective[a] <= 0:
            break
        q = min(left_offer[offer[a]], left_cap[demand[a]], left_permit.get(permit[a], INF))
        if q <= 0:
            continue
        x[a] = q
        left_offer[offer[a]] -= q
        left_cap[demand[a]] -= q
        if permit[a] in left_permit:
            left_permit[permit[a]] -= q
    return _totals(arcs, x, "greedy", [])


def solve_dense_linprog(arcs: pd.DataFrame) -> float:
    """The same instance, formulated independently: a variable for every offer × demand pair (pairs
    that are not arcs bounded to 0), constraints built as dense matrices, solved by SciPy's
    interior-point HiGHS.  Returns the optimal objective [KRW/month].  For tests (small instances)."""
    from scipy.optimize import linprog

    offers = sorted(set(arcs["offer_stream_id"]))
    demands = sorted(set(arcs["demand_stream_id"]))
    n_o, n_d = len(offers), len(demands)
    cost = np.zeros((n_o, n_d))
    upper = np.zeros((n_o, n_d))
    permit_of = np.full((n_o, n_d), np.nan)
    supply = {o: float(q) for o, q in zip(arcs["offer_stream_id"], arcs["offer_quantity"], strict=True)}
    cap = {d: float(q) for d, q in zip(arcs["demand_stream_id"], arcs["capacity"], strict=True)}
    permits: dict[float, float] = {}
    has_permit = "permit_capacity" in arcs
    permit_ids = arcs["permit_id"].to_numpy(dtype=float) if has_permit else np.full(len(arcs), np.nan)
    permit_caps = arcs["permit_capacity"].to_numpy(dtype=float) if has_permit else np.full(len(arcs), np.nan)
    for a, (o, d, c) in enumerate(zip(arcs["offer_stream_id"], arcs["demand_stream_id"],
                                      arcs["objective_krw_per_unit"].to_numpy(dtype=float), strict=True)):
        i, j = offers.index(o), demands.index(d)
        cost[i, j] = c
        upper[i, j] = np.inf
        if not np.isnan(permit_caps[a]):
            permit_of[i, j] = permit_ids[a]
            permits[float(permit_ids[a])] = float(permit_caps[a])
    a_rows, b = [], []
    for i, o in enumerate(offers):
        m = np.zeros((n_o, n_d))
        m[i, :] = 1
        a_rows.append(m.ravel())
        b.append(supply[o])
    for j, d in enumerate(demands):
        m = np.zeros((n_o, n_d))
        m[:, j] = 1
        a_rows.append(m.ravel())
        b.append(cap[d])
    for p, c in permits.items():
        a_rows.append((permit_of == p).astype(float).ravel())
        b.append(c)
    result = linprog(-cost.ravel(), A_ub=np.array(a_rows), b_ub=np.array(b),
                     bounds=list(zip(np.zeros(n_o * n_d), upper.ravel(), strict=True)), method="highs-ipm")
    assert result.status == 0, result.message
    return float(-result.fun)
