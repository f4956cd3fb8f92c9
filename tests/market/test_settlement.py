"""Settlement of deviations from metered quarter hours: worked example and rounding (Hypothesis)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from sandan.core.errors import InvalidInput
from sandan.grid.market.settlement import settle_day


def test_worked_example_one_hour_two_companies() -> None:
    # Company 1 bought 10 kWh each quarter hour and metered 12, 10, 9, 10 → deviations +2, 0, −1, 0:
    # +2 at the tariff 150 = 300 won; −1 at the deviation price 80 = −80 won; day total 220 won.
    # Company 2 (a PV seller) sold 20 kWh (scheduled −20) and metered −18, −20, −21, −20 (it exported
    # less, then more) → deviations +2 (300 won) and −1 (−80 won): 220 won.
    metered = np.array([[12, 10, 9, 10], [-18, -20, -21, -20]], dtype=float)
    scheduled = np.array([[10, 10, 10, 10], [-20, -20, -20, -20]], dtype=float)
    out = settle_day(metered, scheduled, np.full(4, 150.0), np.full(4, 80.0))
    assert out.deviation_won.tolist() == [[300, 0, -80, 0], [300, 0, -80, 0]]
    assert out.company_total_won.tolist() == [220, 220]
    # The hour's net at the complex meter: 12 − 18 + 10 − 20 + 9 − 21 + 10 − 20 = −38 kWh: an export.
    assert out.grid_import_kwh_per_hour.tolist() == [0]
    assert out.grid_export_kwh_per_hour.tolist() == [38]


def test_bad_inputs_are_refused() -> None:
    with pytest.raises(InvalidInput, match="same"):
        settle_day(np.zeros((1, 4)), np.zeros((2, 4)), np.zeros(4), np.zeros(4))
    with pytest.raises(InvalidInput, match="deviation price"):
        settle_day(np.zeros((1, 4)), np.zeros((1, 4)), np.zeros(4), np.ones(4))
    with pytest.raises(InvalidInput, match="finite"):
        settle_day(np.full((1, 4), np.nan), np.zeros((1, 4)), np.zeros(4), np.zeros(4))


@settings(max_examples=100, deadline=None)
@given(hnp.arrays(np.float64, (3, 8), elements=st.floats(-500, 500)),
       hnp.arrays(np.float64, (3, 8), elements=st.floats(-500, 500)),
       st.floats(50, 300), st.floats(0, 50))
def test_day_totals_are_rounded_exact_totals(metered: np.ndarray, scheduled: np.ndarray, tariff: float,
                                             discount: float) -> None:
    out = settle_day(metered, scheduled, np.full(8, tariff), np.full(8, tariff - discount))
    dev = metered - scheduled
    exact = np.where(dev > 0, dev * tariff, dev * (tariff - discount))
    assert (np.abs(out.deviation_won - exact) < 1 + 1e-6).all()
    np.testing.assert_array_equal(out.company_total_won, np.floor(np.cumsum(exact, axis=1)[:, -1] + 0.5))
    # energy closes: the hourly aggregate is the metered total
    assert out.grid_import_kwh_per_hour.sum() - out.grid_export_kwh_per_hour.sum() == pytest.approx(metered.sum())
