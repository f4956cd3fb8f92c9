"""Revenue sharing (햇빛소득): worked example and exact sums (Hypothesis)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sandan.core.errors import InvalidInput
from sandan.grid.market.sharing import Basis, Recipient, Rule, apportion, distribute


def test_apportion_largest_remainder() -> None:
    # 100 won by 1:1:1 → exact 33.33 each; floors 33+33+33 = 99; the 1 won left goes to the
    # largest fraction, a tie, so to the first: 34, 33, 33.
    assert apportion(100, [1, 1, 1]).tolist() == [34, 33, 33]
    # 10 won by 0.15 : 0.85 → 1.5 and 8.5 → floors 1 + 8, the tie's won to the first: 2, 8.
    assert apportion(10, [0.15, 0.85]).tolist() == [2, 8]


def test_quarter_statement_worked_example() -> None:
    # 1,000,003 won distributable: 40 % equally, 30 % by roof, 30 % per worker.
    # Pools: 400,001.2 / 300,000.9 / 300,000.9 → floors 400,001 / 300,000 / 300,000, the 2 won
    # left to the largest fractions (0.9, 0.9; the tie 0.2 loses): 400,001 / 300,001 / 300,001.
    # Equal pool over 3 tenants: 133,333.67 each → 133,334 / 133,334 / 133,333 (the 2 won left:
    # equal fractions, so the first two).
    # Roof 600 : 300 : 0 m2 → 200,000.67 / 100,000.33 / 0 → 200,001 / 100,000 / 0.
    # Workers 2 + 0 + 1 = 3: 100,000.33 each → 100,001 / 100,000 / 100,000 by worker, so
    # company 1 (2 workers) 200,001, company 2 none, company 3 100,000.
    rules = [Rule("equal", 0.4, Basis.equal), Rule("roof", 0.3, Basis.roof), Rule("workers", 0.3, Basis.per_worker)]
    people = [Recipient(1, roof=600, workers=2), Recipient(2, roof=300), Recipient(3, workers=1)]
    out = distribute(1_000_003, rules, people)
    assert out["equal"].tolist() == [133_334, 133_334, 133_333]
    assert out["roof"].tolist() == [200_001, 100_000, 0]
    assert out["workers"].tolist() == [200_001, 0, 100_000]
    assert out["total"].tolist() == [533_336, 233_334, 233_333]
    assert out["total"].sum() == 1_000_003


def test_distance_favours_neighbours() -> None:
    # 1 / max(d, 100): 50 m → 1/100, 200 m → 1/200: 2 : 1 of 3,000 won = 2,000 and 1,000.
    out = distribute(3000, [Rule("near", 1.0, Basis.distance)], [Recipient(1, distance_m=50),
                                                                 Recipient(2, distance_m=200)])
    assert out["total"].tolist() == [2000, 1000]


def test_bad_rules_are_refused() -> None:
    with pytest.raises(InvalidInput, match="add up to 1"):
        distribute(10, [Rule("a", 0.5, Basis.equal)], [Recipient(1)])
    with pytest.raises(InvalidInput, match="zero weight"):
        distribute(10, [Rule("roof", 1.0, Basis.roof)], [Recipient(1)])
    with pytest.raises(InvalidInput, match="no workers"):
        distribute(10, [Rule("w", 1.0, Basis.per_worker)], [Recipient(1)])
    with pytest.raises(InvalidInput, match="negative"):
        apportion(-1, [1])


recipients = st.lists(st.builds(Recipient, company_id=st.integers(1, 10**6), roof=st.floats(0, 5000),
                                distance_m=st.floats(0, 5000), workers=st.integers(0, 300)), min_size=1, max_size=30)


@settings(max_examples=100, deadline=None)
@given(st.integers(0, 10**12), recipients, st.lists(st.floats(0.01, 1), min_size=4, max_size=4))
def test_amounts_sum_exactly_to_the_distributable_revenue(total: int, people: list[Recipient],
                                                           raw: list[float]) -> None:
    shares = [r / sum(raw) for r in raw]
    shares[-1] = 1.0 - sum(shares[:-1])
    rules = [Rule("equal", shares[0], Basis.equal), Rule("distance", shares[1], Basis.distance),
             Rule("roof", shares[2], Basis.roof), Rule("workers", shares[3], Basis.per_worker)]
    if sum(p.roof for p in people) <= 0 or sum(p.workers for p in people) <= 0:
        with pytest.raises(InvalidInput):
            distribute(total, rules, people)
        return
    out = distribute(total, rules, people)
    assert int(out["total"].sum()) == total
    assert (out[["equal", "distance", "roof", "workers"]] >= 0).all().all()
    # nobody is more than 1 won from their exact share of a pool
    exact_equal = out["equal"].sum() / len(people)
    assert (abs(out["equal"] - exact_equal) < 1).all()
