"""Selection of awards per programme: an exact integer programme solved with HiGHS.

Choose binary ``x_i`` for the eligible, scored applications to maximise ``sum(score_centi_i x_i)``
subject to

* at most ``awards`` selected (:func:`add_award_count`);
* for each project year, the selected national shares within that year's budget [KRW]
  (:func:`add_yearly_budgets`);
* at most ``max_per_region`` selected per mega-region (5극3특) (:func:`add_region_caps`).

Tie-break (documented, exact): among the selections of maximal total score, the one whose members
rank highest in the priority order — score descending, then earlier submission, then lower id —
is chosen, as the maximum of ``sum(w_i x_i)`` with ``w_i = n - position_i`` over the optimal
selections (one solve of the objective ``sum((score_centi_i * M + w_i) x_i)`` with ``M`` larger than
any sum of ``w``, so that the score always comes first).  The brute force
:func:`select_brute_force` applies the same two keys and is the reference in tests.
"""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

import highspy
import numpy as np

from sandan.programs.eligibility import Refusal


@dataclass(frozen=True)
class Candidate:
    """An application in the selection: its final score [hundredths of a point], mega-region,
    national share by project year [KRW] and submission order (smaller = earlier)."""

    id: int
    score_centi: int
    region: str
    national_by_year_krw: tuple[int, ...]
    submitted_order: int = 0


@dataclass(frozen=True)
class Limits:
    """The programme's limits: award count, national budget per project year [KRW], awards per
    mega-region (``None``: no regional rule)."""

    awards: int
    budget_by_year_krw: tuple[int, ...]
    max_per_region: int | None = None


def priority(candidates: Sequence[Candidate]) -> list[Candidate]:
    """Candidates in priority order: score descending, earlier submission, lower id."""
    return sorted(candidates, key=lambda c: (-c.score_centi, c.submitted_order, c.id))


@dataclass
class _Rows:
    """Constraint rows being assembled: upper bounds and sparse coefficients."""

    upper: list[float] = field(default_factory=list)
    index: list[list[int]] = field(default_factory=list)
    value: list[list[float]] = field(default_factory=list)

    def add(self, upper: float, index: list[int], value: list[float]) -> None:
        self.upper.append(upper)
        self.index.append(index)
        self.value.append(value)


def add_award_count(rows: _Rows, cands: Sequence[Candidate], limits: Limits) -> None:
    rows.add(limits.awards, list(range(len(cands))), [1.0] * len(cands))


def add_yearly_budgets(rows: _Rows, cands: Sequence[Candidate], limits: Limits) -> None:
    """One row per project year; a year whose budget holds even the ``awards`` largest requests
    can never bind, and is left out (the solver then sees only counting rows)."""
    for y, cap in enumerate(limits.budget_by_year_krw):
        asks = [c.national_by_year_krw[y] if y < len(c.national_by_year_krw) else 0 for c in cands]
        if sum(sorted(asks, reverse=True)[:limits.awards]) <= cap:
            continue
        idx = [i for i, ask in enumerate(asks) if ask]
        rows.add(cap, idx, [float(asks[i]) for i in idx])


def add_region_caps(rows: _Rows, cands: Sequence[Candidate], limits: Limits) -> None:
    if limits.max_per_region is None:
        return
    for region in sorted({c.region for c in cands}):
        idx = [i for i, c in enumerate(cands) if c.region == region]
        rows.add(limits.max_per_region, idx, [1.0] * len(idx))


def _solve(cost: list[float], rows: _Rows) -> list[int]:
    """Maximise ``cost @ x`` over binary ``x`` under ``rows`` (HiGHS, proven optimal)."""
    h = highspy.Highs()  # type: ignore[no-untyped-call]
    h.setOptionValue("output_flag", False)
    h.setOptionValue("mip_rel_gap", 0.0)
    h.setOptionValue("mip_abs_gap", 0.5)  # objectives are integers: a gap under 1 proves optimality
    lp = highspy.HighsLp()
    n = len(cost)
    lp.num_col_, lp.num_row_ = n, len(rows.upper)
    lp.col_cost_ = np.asarray(cost, dtype=float)
    lp.col_lower_ = np.zeros(n)
    lp.col_upper_ = np.ones(n)
    lp.row_lower_ = np.full(len(rows.upper), -highspy.kHighsInf)
    lp.row_upper_ = np.asarray(rows.upper, dtype=float)
    lp.a_matrix_.format_ = highspy.MatrixFormat.kRowwise
    starts = np.cumsum([0] + [len(i) for i in rows.index])
    lp.a_matrix_.start_ = starts.astype(np.int32)
    lp.a_matrix_.index_ = np.asarray([j for i in rows.index for j in i], dtype=np.int32)
    lp.a_matrix_.value_ = np.asarray([v for vs in rows.value for v in vs], dtype=float)
    lp.sense_ = highspy.ObjSense.kMaximize
    lp.integrality_ = [highspy.HighsVarType.kInteger] * n
    h.passModel(lp)
    h.run()
    status = h.getModelStatus()
    if status != highspy.HighsModelStatus.kOptimal:
        raise RuntimeError(f"the selection did not solve to optimality: {h.modelStatusToString(status)}")
    return [i for i, v in enumerate(h.getSolution().col_value) if v > 0.5]


def undominated(cands: Sequence[Candidate], limits: Limits) -> list[int]:
    """Positions (in priority order) of the candidates that may be in an optimal selection.

    Candidate ``j`` dominates a later ``i`` when both are in one mega-region and ``j`` asks no more
    national budget in any year.  If ``k`` candidates dominate ``i``, where ``k`` is the award
    count, or the regional cap when smaller, no optimal selection holds ``i``: it leaves at least
    one dominator out, and swapping ``i`` for it keeps every limit and raises the objective."""
    n = len(cands)
    k = limits.awards if limits.max_per_region is None else min(limits.awards, limits.max_per_region)
    years = max((len(c.national_by_year_krw) for c in cands), default=0)
    need = np.zeros((n, years), dtype=np.int64)
    for i, c in enumerate(cands):
        need[i, :len(c.national_by_year_krw)] = c.national_by_year_krw
    region_codes: dict[str, int] = {}
    region = np.array([region_codes.setdefault(c.region, len(region_codes)) for c in cands])
    # dominates[i, j]: j comes before i, in i's region, asking no more in any year
    dominates = (np.tril(np.ones((n, n), dtype=bool), k=-1) & (region[:, None] == region[None, :])
                 & np.all(need[None, :, :] <= need[:, None, :], axis=2))
    return [int(i) for i in np.flatnonzero(dominates.sum(axis=1) < k)]


def select(candidates: Sequence[Candidate], limits: Limits) -> list[int]:
    """The ids of the optimal selection (total score, then the documented tie-break), in
    priority order.  Candidates with a score of zero or less are never selected."""
    ranked = [c for c in priority(candidates) if c.score_centi > 0]
    if not ranked or limits.awards <= 0:
        return []
    n = len(ranked)
    positions = undominated(ranked, limits)
    cands = [ranked[pos] for pos in positions]
    rows = _Rows()
    add_award_count(rows, cands, limits)
    add_yearly_budgets(rows, cands, limits)
    add_region_caps(rows, cands, limits)
    # lexicographic in one solve: a hundredth of a point outweighs every tie-break sum (at most
    # awards x n), and the coefficients stay exact integers in double precision (< 2**53)
    scale = min(limits.awards, n) * n + 1
    chosen = _solve([float(c.score_centi * scale + (n - pos)) for pos, c in zip(positions, cands, strict=True)],
                    rows)
    return [cands[i].id for i in sorted(chosen)]


def feasible(chosen: Sequence[Candidate], limits: Limits) -> bool:
    """Whether a set of candidates keeps every limit."""
    if len(chosen) > limits.awards:
        return False
    for y, cap in enumerate(limits.budget_by_year_krw):
        if sum(c.national_by_year_krw[y] for c in chosen if y < len(c.national_by_year_krw)) > cap:
            return False
    per_region = limits.max_per_region
    return per_region is None or all(n <= per_region for n in Counter(c.region for c in chosen).values())


def select_brute_force(candidates: Sequence[Candidate], limits: Limits) -> list[int]:
    """The same optimum as :func:`select` by enumerating every subset (small instances only)."""
    return brute_force_optima(candidates, limits)[0]


def objective(candidates: Sequence[Candidate], ids: Sequence[int]) -> tuple[int, int]:
    """(total score [hundredths], tie-break sum) of a selection: the two keys :func:`select` maximises."""
    ranked = [c for c in priority(candidates) if c.score_centi > 0]
    n = len(ranked)
    picked = set(ids)
    return (sum(c.score_centi for c in ranked if c.id in picked),
            sum(n - pos for pos, c in enumerate(ranked) if c.id in picked))


def brute_force_optima(candidates: Sequence[Candidate], limits: Limits) -> tuple[list[int], int]:
    """The first optimal selection found by enumeration and how many selections reach the same
    optimum (the tie-break sums of two sets can tie; then any of them is optimal)."""
    cands = [c for c in priority(candidates) if c.score_centi > 0]
    n = len(cands)
    best: tuple[int, int] = (0, 0)
    best_set: tuple[int, ...] = ()
    ties = 1
    for k in range(1, min(limits.awards, n) + 1):
        for combo in itertools.combinations(range(n), k):
            chosen = [cands[i] for i in combo]
            if not feasible(chosen, limits):
                continue
            key = (sum(c.score_centi for c in chosen), sum(n - i for i in combo))
            if key > best:
                best, best_set, ties = key, combo, 1
            elif key == best:
                ties += 1
    return [cands[i].id for i in best_set], ties


def select_greedy(candidates: Sequence[Candidate], limits: Limits) -> list[int]:
    """A baseline: take candidates in priority order while every limit holds (not optimal)."""
    chosen: list[Candidate] = []
    for c in priority(candidates):
        if c.score_centi > 0 and feasible([*chosen, c], limits):
            chosen.append(c)
    return [c.id for c in chosen]


def explain(candidates: Sequence[Candidate], limits: Limits, selected: Sequence[int]) -> dict[int, list[Refusal]]:
    """Why each candidate was or was not selected, in words (``selected`` first, then the limits
    that adding it to the selection would break)."""
    by_id = {c.id: c for c in candidates}
    chosen = [by_id[i] for i in selected]
    picked = set(selected)
    ranks = {c.id: r for r, c in enumerate(priority(candidates), start=1)}
    used = [sum(c.national_by_year_krw[y] for c in chosen if y < len(c.national_by_year_krw))
            for y in range(len(limits.budget_by_year_krw))]
    per_region = Counter(c.region for c in chosen)
    out: dict[int, list[Refusal]] = {}
    for c in candidates:
        facts = {"rank": ranks[c.id], "score": c.score_centi / 100}
        if c.id in picked:
            out[c.id] = [Refusal("selected", f"selected: rank {ranks[c.id]} with {c.score_centi / 100:.2f} points",
                                 facts)]
            continue
        why: list[Refusal] = []
        if c.score_centi <= 0:
            why.append(Refusal("no_score", "no positive score", facts))
        if len(chosen) + 1 > limits.awards:
            why.append(Refusal("award_count", f"all {limits.awards} awards went to applications that together "
                               "score higher", facts))
        for y, cap in enumerate(limits.budget_by_year_krw):
            need = c.national_by_year_krw[y] if y < len(c.national_by_year_krw) else 0
            if used[y] + need > cap:
                why.append(Refusal("budget", f"year {y + 1}: its national share {need:,} KRW does not fit the "
                                   f"{cap - used[y]:,} KRW left of the year's budget", {**facts, "year": y + 1}))
        if limits.max_per_region is not None and per_region[c.region] + 1 > limits.max_per_region:
            why.append(Refusal("region", f"the {limits.max_per_region} awards allowed in {c.region} went to "
                               "higher-scoring applications", {**facts, "region": c.region}))
        if not why:
            why.append(Refusal("swap", "taking it in place of a selected application would lower the total "
                               "score", facts))
        out[c.id] = why
    return out
