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
    rounds: int = 0   # column-generation rounds (LP solves)
    columns: int = 0  # arcs that entered the LP


def _totals(arcs: pd.DataFrame, x: np.ndarray, status: str, warnings: list[dict[str, Any]]) -> Assignment:
    out = arcs.assign(quantity=x)
    return Assignment(out, float(np.dot(arcs["objective_krw_per_unit"], x)),
                      float(np.dot(arcs["value_krw_per_unit"], x)), float(np.dot(arcs["co2_kg_per_unit"], x)),
                      status, warnings)


def _rows(arcs: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Row of each arc in the offer, capacity and permit blocks (-1: no permit row), and the row bounds.

    * ``add_offer_constraints``     one row per offered stream: Σ x ≤ quantity
    * ``add_capacity_constraints``  one row per wanted stream:  Σ x ≤ capacity
    * ``add_permit_constraints``    one row per permit with a capacity: Σ x ≤ capacity_p
    """
    offer_row, offers = pd.factorize(arcs["offer_stream_id"], sort=True)
    demand_row, demands = pd.factorize(arcs["demand_stream_id"], sort=True)
    capped = arcs["permit_capacity"].notna().to_numpy() if "permit_capacity" in arcs else np.zeros(len(arcs), bool)
    permit_row = np.full(len(arcs), -1, dtype=np.int64)
    permit_upper = np.zeros(0)
    if capped.any():
        codes, _ = pd.factorize(arcs["permit_id"].to_numpy()[capped], sort=True)
        permit_row[capped] = codes + len(offers) + len(demands)
        permit_upper = (pd.Series(arcs["permit_capacity"].to_numpy()[capped]).groupby(codes).first()
                        .to_numpy(dtype=float))
    upper = np.concatenate([
        pd.Series(arcs["offer_quantity"].to_numpy(dtype=float)).groupby(offer_row).first().to_numpy(),
        pd.Series(arcs["capacity"].to_numpy(dtype=float)).groupby(demand_row).first().to_numpy(),
        permit_upper])
    return offer_row, demand_row + len(offers), permit_row, upper


def _columns(offer_row: np.ndarray, demand_row: np.ndarray, permit_row: np.ndarray
             ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Column-wise (CSC) entries of some arcs: each arc is 1 in its offer, capacity and permit rows."""
    has_permit = permit_row >= 0
    counts = 2 + has_permit.astype(np.int64)
    start = np.concatenate([[0], np.cumsum(counts)]).astype(np.int32)
    index = np.stack([offer_row, demand_row, np.where(has_permit, permit_row, -1)], axis=1).ravel()
    index = index[index >= 0].astype(np.int32)
    return start, index, np.ones(len(index))


def _initial(arcs: pd.DataFrame, per_stream: int) -> np.ndarray:
    """The ``per_stream`` best arcs of each offer and of each wanted stream (positions in ``arcs``)."""
    objective = arcs["objective_krw_per_unit"].to_numpy()
    chosen = np.zeros(len(arcs), bool)
    for column in ("offer_stream_id", "demand_stream_id"):
        group = arcs[column].to_numpy()
        order = np.lexsort((-objective, group))
        g = group[order]
        starts = np.r_[0, np.flatnonzero(g[1:] != g[:-1]) + 1]
        rank = np.arange(len(order)) - np.repeat(starts, np.diff(np.r_[starts, len(order)]))
        chosen[order[rank < per_stream]] = True
    return np.flatnonzero(chosen)


def _best_per_stream(candidates: np.ndarray, score: np.ndarray, offer_row: np.ndarray, demand_row: np.ndarray
                     ) -> np.ndarray:
    """Of ``candidates`` (arc positions), the one of highest ``score`` per offer and per wanted stream."""
    if not len(candidates):
        return candidates
    chosen: set[int] = set()
    for rows in (offer_row, demand_row):
        order = candidates[np.lexsort((-score[candidates], rows[candidates]))]
        first = np.r_[True, rows[order][1:] != rows[order][:-1]]
        chosen.update(order[first].tolist())
    return np.array(sorted(chosen), dtype=np.int64)


def solve(arcs: pd.DataFrame, *, initial_per_stream: int = 2, max_rounds: int = 50) -> Assignment:
    """Assign quantities over ``arcs`` maximising the objective: HiGHS with column generation.

    Millions of candidate pairs do not fit one LP in seconds, but few of them carry flow.  Start from
    the ``initial_per_stream`` best arcs of every offer and every wanted stream; solve; price every
    arc with the duals (reduced cost = objective − dual of its offer row − of its capacity row − of
    its permit row); add the arcs with a positive reduced cost (the best per offer and per wanted
    stream) and re-solve
    from the last basis.  When no arc prices positive the LP over *all* arcs is solved to
    optimality (LP duality), which the tests check against an independent formulation.
    """
    n = len(arcs)
    if n == 0:
        return _totals(arcs, np.zeros(0), "empty", [])
    offer_row, demand_row, permit_row, upper = _rows(arcs)
    objective = arcs["objective_krw_per_unit"].to_numpy(dtype=float)
    highs = highspy.Highs()  # type: ignore[no-untyped-call]
    highs.setOptionValue("output_flag", False)
    lp = highspy.HighsLp()
    lp.num_col_, lp.num_row_ = 0, len(upper)
    lp.row_lower_, lp.row_upper_ = np.full(len(upper), -INF), upper
    lp.sense_ = highspy.ObjSense.kMaximize
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_ = np.zeros(1, dtype=np.int32)
    highs.passModel(lp)
    in_model = np.zeros(n, bool)
    columns: list[np.ndarray] = []
    new = _initial(arcs, initial_per_stream)
    status, rounds = "", 0
    while len(new):
        rounds += 1
        start, index, value = _columns(offer_row[new], demand_row[new], permit_row[new])
        highs.addCols(len(new), objective[new], np.zeros(len(new)), np.full(len(new), INF), len(index),
                      start[:-1], index, value)
        in_model[new] = True
        columns.append(new)
        highs.run()
        status = highs.modelStatusToString(highs.getModelStatus())
        if highs.getModelStatus() != highspy.HighsModelStatus.kOptimal or rounds >= max_rounds:
            break
        dual = np.asarray(highs.getSolution().row_dual, dtype=float)
        dual_with_none = np.append(dual, 0.0)  # permit_row -1 reads the appended 0
        reduced = objective - dual[offer_row] - dual[demand_row] - dual_with_none[permit_row]
        positive = (reduced > 1e-7 * np.maximum(1.0, np.abs(objective))) & ~in_model
        new = _best_per_stream(np.flatnonzero(positive), reduced, offer_row, demand_row)
        highs.setOptionValue("presolve", "off")  # re-solve from the last basis
    warnings: list[dict[str, Any]] = []
    if status != "Optimal":
        warnings.append({"code": "solver", "message": f"HiGHS stopped: {status}", "data": {}})
        return _totals(arcs, np.zeros(n), status, warnings)
    if len(new):
        warnings.append({"code": "pricing", "message": f"stopped after {rounds} rounds with arcs still pricing "
                         "positive: the assignment is feasible but may not be optimal", "data": {"rounds": rounds}})
    x = np.zeros(n)
    x[np.concatenate(columns)] = np.clip(np.asarray(highs.getSolution().col_value, dtype=float), 0.0, None)
    out = _totals(arcs, x, status, warnings)
    out.rounds, out.columns = rounds, int(in_model.sum())
    return out


def greedy(arcs: pd.DataFrame) -> Assignment:
    """Best pair first: take the arc of highest objective per unit, assign what both sides (and the
    permit) still have, repeat.  The usual hand method; optimal only when no offer's best receiver
    is another offer's only one.  Arcs are walked in sorted blocks, each block first dropping the
    arcs whose offer or receiver is already used up (numpy), so millions of arcs take seconds."""
    offer_row, demand_row, permit_row, upper = _rows(arcs)
    objective = arcs["objective_krw_per_unit"].to_numpy(dtype=float)
    left = upper.copy()
    left = np.append(left, INF)  # permit_row -1 reads an unlimited row
    order = np.argsort(-objective, kind="stable")
    order = order[objective[order] > 0]
    x = np.zeros(len(arcs))
    block = 4096
    for begin in range(0, len(order), block):
        chunk = order[begin:begin + block]
        chunk = chunk[(left[offer_row[chunk]] > 0) & (left[demand_row[chunk]] > 0) & (left[permit_row[chunk]] > 0)]
        for a in chunk.tolist():
            o, d, p = offer_row[a], demand_row[a], permit_row[a]
            q = min(left[o], left[d], left[p])
            if q <= 0:
                continue
            x[a] = q
            left[o] -= q
            left[d] -= q
            if p >= 0:
                left[p] -= q
        if not (left[:len(upper)] > 0).any():
            break
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
