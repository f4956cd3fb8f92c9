"""Allocation to products sums exactly to the site total (worked example and Hypothesis)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sandan.carbon.allocation import allocate_grams, footprints
from sandan.core.errors import InvalidInput


def test_worked_example_by_mass() -> None:
    # site total 10,000.001 kgCO2e = 10,000,001 g over masses 1 t, 1 t, 1 t: a third each is 3,333,333.67 g
    # → floors 3,333,333 × 3 = 9,999,999; the 2 g left go to the largest remainders (all 0.67, ties by order)
    # → A and B get 3,333,334 g, C 3,333,333 g; sum 10,000,001 g exactly.
    products = [{"code": c, "quantity": 100.0, "mass_kg": 1000.0} for c in "ABC"]
    out = footprints(10_000.001, products, "mass")
    assert [p["allocated_g"] for p in out] == [3_333_334, 3_333_334, 3_333_333]
    assert sum(p["allocated_g"] for p in out) == 10_000_001  # type: ignore[misc]
    # per declared unit: 3,333.334 kg / 100 units = 33.33334 kgCO2e per unit
    assert out[0]["pcf_kg_per_unit"] == pytest.approx(33.33334)


def test_worked_example_by_economic_value() -> None:
    # 1,200 kgCO2e over products worth ₩3,000,000 and ₩1,000,000: 900 kg and 300 kg
    out = footprints(1200.0, [{"code": "coil", "quantity": 10.0, "value_krw": 3_000_000},
                              {"code": "wire", "quantity": 30.0, "value_krw": 1_000_000}], "economic_value")
    assert [p["allocated_kg"] for p in out] == [900.0, 300.0]
    assert [p["pcf_kg_per_unit"] for p in out] == [90.0, 10.0]


def test_refusals() -> None:
    with pytest.raises(InvalidInput, match="basis"):
        footprints(1.0, [{"code": "a", "quantity": 1, "mass_kg": 1}], "volume")
    with pytest.raises(InvalidInput, match="zero"):
        allocate_grams(10, {"a": 0.0, "b": 0.0})
    with pytest.raises(InvalidInput, match="nothing"):
        allocate_grams(10, {})


@given(st.integers(0, 10**12), st.lists(st.floats(0, 1e9, allow_nan=False), min_size=1, max_size=20)
       .filter(lambda ws: sum(ws) > 0))
def test_allocation_sums_exactly_and_is_proportional(total_g: int, weights: list[float]) -> None:
    named = {f"p{i}": w for i, w in enumerate(weights)}
    grams = allocate_grams(total_g, named)
    assert sum(grams.values()) == total_g
    for key, w in named.items():
        assert abs(grams[key] - total_g * w / sum(weights)) < 1 + 1e-6 * total_g
