"""Rollup arithmetic against a plain second implementation (Hypothesis), and its merge rules."""

from __future__ import annotations

import datetime as dt
import itertools

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sandan.core.timeutil import KST, to_epoch_s
from sandan.timeseries import rollup
from sandan.timeseries.rollup import POINT_COLUMNS, group_rollups, point_rollups, sort_order
from tests.timeseries import reference

T0 = to_epoch_s(dt.datetime(2026, 1, 30, 20, 0, tzinfo=KST))  # near a KST month end
INTERVALS = [60, 900, 3600, 86400, 31 * 86400]


@st.composite
def batches(draw: st.DrawFn, min_rows: int = 0, max_rows: int = 80) -> tuple[pd.DataFrame, dict[int, int]]:
    """Readings of a few points with mixed nominal intervals, on and off their grids, in any order."""
    interval_s = {1000 + i: draw(st.sampled_from(INTERVALS)) for i in range(draw(st.integers(1, 4)))}
    ts = st.one_of(st.integers(0, 6 * 86400 // 900).map(lambda k: T0 + k * 900),  # quarter hours over six days
                   st.integers(-40 * 86400, 400 * 86400).map(lambda s: T0 + s))  # anywhere within a year
    rows = draw(st.lists(st.tuples(st.sampled_from(sorted(interval_s)), ts,
                                   st.integers(-4000, 4000).map(lambda v: v / 8)),
                         min_size=min_rows, max_size=max_rows, unique_by=lambda r: (r[0], r[1])))
    return pd.DataFrame(rows, columns=["point_id", "ts", "value"]).astype({"point_id": np.int64, "ts": np.int64}), \
        interval_s


def merge_point_rows(parts: list[pd.DataFrame]) -> pd.DataFrame:
    """Merge partial rollups of one key the way the store's upsert does: sums add, extremes widen,
    first is the one with the earlier timestamp, last the one with the later."""
    rows = pd.concat(parts, ignore_index=True)
    out = []
    for key, part in rows.groupby(["point_id", "res", "bucket"]):
        first = part.loc[part["first_ts"].idxmin()]
        last = part.loc[part["last_ts"].idxmax()]
        out.append((*key, part["v_sum"].sum(), part["v_min"].min(), part["v_max"].max(), part["n"].sum(),
                    first["first_v"], first["first_ts"], last["last_v"], last["last_ts"]))
    return pd.DataFrame(out, columns=POINT_COLUMNS)


@settings(max_examples=80, deadline=None)
@given(batch=batches(), seed=st.integers(0, 2**16))
def test_point_rollups_equal_a_recomputation_from_the_readings(batch, seed):
    frame, interval_s = batch
    shuffled = frame.sample(frac=1, random_state=seed)
    reference.assert_point_rollups_equal(point_rollups(shuffled, interval_s),
                                         reference.point_rollups(frame, interval_s))


@settings(max_examples=60, deadline=None)
@given(batch=batches(min_rows=1), cuts=st.lists(st.integers(0, 80), max_size=4))
def test_a_batch_split_into_pieces_rolls_up_to_the_same_as_the_whole(batch, cuts):
    frame, interval_s = batch
    edges = sorted({0, len(frame), *(c for c in cuts if c < len(frame))})
    pieces = [frame.iloc[a:b] for a, b in itertools.pairwise(edges)]
    whole = point_rollups(frame, interval_s)
    merged = merge_point_rows([point_rollups(p, interval_s) for p in pieces if len(p)])
    reference.assert_point_rollups_equal(merged, whole)
    targets = {pid: (0, 1) if pid % 2 else (1,) for pid in interval_s}
    factor = {pid: 0.5 + pid % 3 for pid in interval_s}
    group_whole = group_rollups(frame, targets, factor)
    group_parts = pd.concat([group_rollups(p, targets, factor) for p in pieces if len(p)], ignore_index=True)
    summed = group_parts.groupby(["target", "res", "bucket"], as_index=False)[["v_sum", "n"]].sum()
    pd.testing.assert_frame_equal(
        summed.sort_values(["target", "res", "bucket"], ignore_index=True)[["target", "res", "bucket", "n"]],
        group_whole.sort_values(["target", "res", "bucket"], ignore_index=True)[["target", "res", "bucket", "n"]],
        check_dtype=False)
    np.testing.assert_allclose(summed.sort_values(["target", "res", "bucket"])["v_sum"].to_numpy(float),
                               group_whole.sort_values(["target", "res", "bucket"])["v_sum"].to_numpy(float),
                               rtol=1e-9, atol=1e-9)


@pytest.mark.parametrize("dense", [True, False], ids=["counted", "sorted"])
@settings(max_examples=50, deadline=None)
@given(batch=batches(), depth=st.integers(1, 4), data=st.data())
def test_group_rollups_equal_a_recomputation(batch, depth, data, dense):
    frame, interval_s = batch
    codes = st.lists(st.integers(0, 6), min_size=1, max_size=depth, unique=True).map(tuple)
    targets = {pid: data.draw(codes) for pid in interval_s if data.draw(st.booleans()) or pid == min(interval_s)}
    factor = {pid: data.draw(st.sampled_from([1.0, 1000.0, 0.001, 9.6])) for pid in targets}
    with pytest.MonkeyPatch.context() as patch:
        if not dense:  # force the sorting path (taken when the (group, quarter hour) grid would be large)
            patch.setattr(rollup, "_DENSE_SPARE_CELLS", -10**9)
        actual = group_rollups(frame, targets, factor).rename(columns={"target": "group_id"})
    expected = reference.group_rollups(frame, {pid: tuple((0, c) for c in t) for pid, t in targets.items()},
                                       dict.fromkeys(targets, "m"), factor)
    reference.assert_group_rollups_equal(actual.assign(group_kind=0, metric="m"), expected)


def test_group_rollups_ignore_points_without_targets():
    frame = pd.DataFrame({"point_id": [1, 2], "ts": [T0, T0], "value": [1.0, 2.0]})
    assert group_rollups(frame, {3: (0,)}, {3: 1.0}).empty
    only = group_rollups(frame, {2: (5,)}, {2: 2.0})
    assert only[only["res"] == 1][["target", "v_sum", "n"]].values.tolist() == [[5, 4.0, 1]]


@given(st.lists(st.tuples(st.integers(0, 3), st.integers(0, 3)), max_size=30))
def test_sort_order_is_a_stable_lexicographic_order_or_none_when_sorted(pairs):
    a = np.array([p for p, _ in pairs], dtype=np.int64)
    b = np.array([q for _, q in pairs], dtype=np.int64)
    order = sort_order((a, b))
    if order is None:
        assert pairs == sorted(pairs)
    else:
        assert order.tolist() == sorted(range(len(pairs)), key=lambda i: pairs[i])
