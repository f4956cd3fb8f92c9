"""VEE rules, each on a hand-made series with the exact outcome."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sandan.ingest import vee


def test_every_rule_has_a_severity_and_a_unique_code():
    assert {r.severity for r in vee.RULES.values()} == {"reject", "warn"}
    assert {"flat_line", "rollover", "gap"} == {c for c, r in vee.RULES.items() if r.severity == "warn"}


def test_not_finite_and_range():
    assert vee.not_finite(np.array([1.0, np.nan, np.inf, -np.inf, 0.0])).tolist() == [False, True, True, True, False]
    assert vee.out_of_range(np.array([-1.0, 0.0, 5.0, 10.0, 10.5]), 0.0, 10.0).tolist() == [
        True, False, False, False, True]
    assert not vee.out_of_range(np.array([-1e9, 1e9]), None, None).any()


def test_negative_interval_energy_unless_the_point_allows_negatives():
    values = np.array([1.0, -0.5, 0.0])
    assert vee.negative_interval(values, interval_additive=True, valid_min=None).tolist() == [False, True, False]
    assert not vee.negative_interval(values, interval_additive=True, valid_min=-10).any()  # a bidirectional meter
    assert not vee.negative_interval(values, interval_additive=False, valid_min=None).any()  # a power sample


def test_future_before_active_and_off_grid():
    now = 1_772_600_400
    ts = np.array([now - 900, now + 300, now + 301, now + 86400])
    assert vee.in_future(ts, now, 300).tolist() == [False, False, True, True]
    assert vee.before_active(ts, now).tolist() == [True, False, False, False]
    assert not vee.before_active(ts, None).any()
    assert vee.off_grid(np.array([0, 900, 1000, 1800]), 900).tolist() == [False, False, True, False]


def test_an_isolated_spike_is_found_and_a_step_is_not():
    base = np.array([10.0, 11, 10, 12, 10, 11, 500, 10, 11, 12, 10])
    assert np.flatnonzero(vee.spikes(base, k=20)).tolist() == [6]
    step = np.array([10.0, 11, 10, 12, 10, 500, 510, 505, 500, 498, 502])  # production starts: no spike
    assert not vee.spikes(step, k=20).any()
    assert not vee.spikes(np.array([1.0, 500.0, 1.0]), k=20).any()  # too little context to judge
    noise = np.array([0.0, 0.0, 0.04, 0.0, 1.7, 0.0, 0.0, 0.0, 0.0, 3.0, 2.5])  # near zero: no spike
    assert not vee.spikes(noise, k=20).any()


def test_flat_lines_are_runs_of_identical_non_zero_values():
    values = np.array([1.0, 2.0] + [7.5] * 12 + [3.0] + [0.0] * 20)
    flat = vee.flat_lines(values, run=12)
    assert np.flatnonzero(flat).tolist() == list(range(2, 14))


def test_register_deltas_rollover_and_reset():
    reg = vee.register_deltas(np.array([100.0, 110, 125, 124, 130]), previous=95.0)
    assert reg.delta[:3].tolist() == [5.0, 10.0, 15.0]
    assert reg.backwards.tolist() == [False, False, False, True, False]
    assert reg.delta[4] == 5.0  # compared with the last accepted value (125), not the rejected one
    roll = vee.register_deltas(np.array([99_990.0, 5.0, 20.0]), previous=99_980.0, register_max=100_000)
    assert roll.rollover.tolist() == [False, True, False]
    assert roll.delta.tolist() == [10.0, 15.0, 15.0]
    assert not roll.backwards.any()
    reset = vee.register_deltas(np.array([50.0]), previous=60_000.0, register_max=100_000)  # not near the top
    assert reset.backwards.tolist() == [True]


def test_short_gaps_are_interpolated_and_long_ones_reported():
    ts = np.array([0, 900, 3600, 3600 + 900 * 7])
    est = vee.estimate_gaps(ts, np.array([1.0, 2.0, 5.0, 9.0]), 900, max_gap_s=3600)
    assert est.ts.tolist() == [1800, 2700]
    assert est.value.tolist() == pytest.approx([3.0, 4.0])
    assert est.gap_after.tolist() == [False, False, False, True]  # 5 intervals missing: 4500 s > 3600 s
    with_previous = vee.estimate_gaps(np.array([2700]), np.array([4.0]), 900, previous=(0, 1.0))
    assert with_previous.ts.tolist() == [900, 1800]
    assert with_previous.value.tolist() == pytest.approx([2.0, 3.0])
    assert len(vee.estimate_gaps(ts, np.ones(4), 900, max_gap_s=0).ts) == 0


@settings(max_examples=200, deadline=None)
@given(runs=st.lists(st.lists(st.one_of(st.floats(-1e4, 1e4), st.sampled_from([0.0, 1e6, -1e6])),
                              max_size=30), min_size=1, max_size=6),
       window=st.sampled_from([9, 8, 5, 3]), min_context=st.sampled_from([8, 3]))
def test_spikes_of_many_series_at_once_equal_one_series_at_a_time(runs, window, min_context):
    # finite values only: NaN and infinities are rejected before any series check
    runs = [r for r in runs if r] or [[1.0]]
    value = np.concatenate([np.asarray(r, dtype=float) for r in runs])
    starts = np.cumsum([0] + [len(r) for r in runs[:-1]])
    one_by_one = np.concatenate([vee.spikes(np.asarray(r, dtype=float), window=window, min_context=min_context)
                                 for r in runs])
    at_once = vee.spikes_by_run(value, starts, window=window, min_context=min_context)
    assert at_once.tolist() == one_by_one.tolist()
