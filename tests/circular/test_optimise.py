"""The complex-wide assignment: hand-worked instances, greedy's mistake, and a second LP formulation."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sandan.circular import optimise


def arcs(rows: list[tuple[int, int, float]], supply: dict[int, float], capacity: dict[int, float],
         permits: dict[tuple[int, int], tuple[int, float]] | None = None) -> pd.DataFrame:
    """Arcs (offer, demand, objective ₩/unit) with the offer's quantity and the demand's capacity."""
    permits = permits or {}
    return pd.DataFrame({
        "offer_stream_id": [o for o, _, _ in rows], "demand_stream_id": [d for _, d, _ in rows],
        "objective_krw_per_unit": [v for _, _, v in rows], "value_krw_per_unit": [v for _, _, v in rows],
        "co2_kg_per_unit": [1.0] * len(rows),
        "offer_quantity": [supply[o] for o, _, _ in rows], "capacity": [capacity[d] for _, d, _ in rows],
        "permit_id": [float(permits[(o, d)][0]) if (o, d) in permits else np.nan for o, d, _ in rows],
        "permit_capacity": [permits[(o, d)][1] if (o, d) in permits else np.nan for o, d, _ in rows]})


def test_greedy_is_wrong_where_the_best_pair_takes_another_offers_only_receiver() -> None:
    # S1 (10 t) → R1 at 100 ₩/t or → R2 at 90 ₩/t; S2 (10 t) → R1 only, at 80 ₩/t; R1 and R2 take 10 t.
    # Greedy takes S1→R1 first (100 × 10 = 1,000) and leaves S2 nowhere to go: 1,000 ₩.
    # Best: S1→R2 (90 × 10 = 900) and S2→R1 (80 × 10 = 800): 1,700 ₩.
    instance = arcs([(1, 1, 100.0), (1, 2, 90.0), (2, 1, 80.0)], {1: 10, 2: 10}, {1: 10, 2: 10})
    greedy = optimise.greedy(instance)
    best = optimise.solve(instance)
    assert greedy.objective_krw == pytest.approx(1_000)
    assert best.objective_krw == pytest.approx(1_700)
    assert list(best.arcs["quantity"]) == pytest.approx([0, 10, 10])
    assert optimise.solve_dense_linprog(instance) == pytest.approx(1_700, rel=1e-7)
    assert best.status == "Optimal"



def test_quantities_are_split_where_an_offer_is_larger_than_any_receiver() -> None:
    # 100 t offered; R1 takes 30 t at 50 ₩/t, R2 takes 50 t at 40 ₩/t: 30 × 50 + 50 × 40 = 3,500 ₩, 20 t left
    best = optimise.solve(arcs([(1, 1, 50.0), (1, 2, 40.0)], {1: 100}, {1: 30, 2: 50}))
    assert list(best.arcs["quantity"]) == pytest.approx([30, 50])
    assert best.value_krw == pytest.approx(3_500)
    assert best.co2_kg == pytest.approx(80)


def test_a_permits_monthly_capacity_binds_across_offers() -> None:
    # two offers of 10 t into one receiver (capacity 40 t) under one permit of 15 t/month:
    # the better one (60 ₩/t) fills 10 t, the other gets the 5 t left: 600 + 5 × 50 = 850 ₩
    instance = arcs([(1, 1, 60.0), (2, 1, 50.0)], {1: 10, 2: 10}, {1: 40},
                    permits={(1, 1): (7, 15.0), (2, 1): (7, 15.0)})
    best = optimise.solve(instance)
    assert list(best.arcs["quantity"]) == pytest.approx([10, 5])
    assert best.objective_krw == pytest.approx(850)
    assert optimise.greedy(instance).objective_krw == pytest.approx(850)
    assert optimise.solve_dense_linprog(instance) == pytest.approx(850, rel=1e-7)


def test_pricing_rounds_reach_the_optimum_of_all_arcs() -> None:
    # 30 offers × 20 receivers, every pair an arc with a random value: starting from the best arc of
    # each stream, the duals must price the missing arcs in over several rounds
    rng = np.random.default_rng(3)
    rows = [(o, d, float(rng.integers(1, 100))) for o in range(1, 31) for d in range(1, 21)]
    instance = arcs(rows, {o: float(rng.integers(1, 20)) for o in range(1, 31)},
                    {d: float(rng.integers(5, 30)) for d in range(1, 21)})
    priced = optimise.solve(instance, initial_per_stream=1)
    assert priced.rounds > 1
    assert priced.columns < len(instance)
    assert priced.objective_krw == pytest.approx(optimise.solve_dense_linprog(instance), rel=1e-9)


def test_an_empty_instance_assigns_nothing() -> None:
    empty = arcs([], {}, {})
    assert optimise.solve(empty).objective_krw == 0
    assert optimise.solve(empty).status == "empty"


@st.composite
def instances(draw: st.DrawFn) -> pd.DataFrame:
    n_offers, n_demands = draw(st.integers(1, 6)), draw(st.integers(1, 6))
    supply = {o: float(draw(st.integers(1, 40))) for o in range(1, n_offers + 1)}
    capacity = {d: float(draw(st.integers(1, 40))) for d in range(1, n_demands + 1)}
    pairs = draw(st.lists(st.tuples(st.integers(1, n_offers), st.integers(1, n_demands)), min_size=1, max_size=20,
                          unique=True))
    rows = [(o, d, float(draw(st.integers(1, 200)))) for o, d in pairs]
    permit_cap = float(draw(st.integers(1, 30)))
    permits = {(o, d): (1, permit_cap) for o, d in pairs if d == 1 and draw(st.booleans())}
    return arcs(rows, supply, capacity, permits)


@settings(max_examples=60, deadline=None)
@given(instances())
def test_assignment_respects_quantities_and_equals_an_independent_lp(instance: pd.DataFrame) -> None:
    # one arc per stream to start with: the pricing rounds must find the rest
    best = optimise.solve(instance, initial_per_stream=1)
    assert best.warnings == []
    x = best.arcs
    tol = 1e-6
    assert (x["quantity"] >= -tol).all()
    for offer_id, group in x.groupby("offer_stream_id"):
        assert group["quantity"].sum() <= group["offer_quantity"].iloc[0] + tol, offer_id
    for demand_id, group in x.groupby("demand_stream_id"):
        assert group["quantity"].sum() <= group["capacity"].iloc[0] + tol, demand_id
    for permit_id, group in x[x["permit_capacity"].notna()].groupby("permit_id"):
        assert group["quantity"].sum() <= group["permit_capacity"].iloc[0] + tol, permit_id
    assert best.objective_krw == pytest.approx(optimise.solve_dense_linprog(instance), rel=1e-6, abs=1e-6)
    greedy = optimise.greedy(instance)
    assert greedy.objective_krw <= best.objective_krw + 1e-6
