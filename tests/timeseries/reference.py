"""A second, deliberately plain implementation of the rollups, to test the fast one against.

Every bucket is computed straight from the readings (no merging of finer levels), one group at a
time with pandas, on the KST calendar of :func:`sandan.core.timeutil.bucket_starts_s`.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from sandan.core.timeutil import RESOLUTION_CODES, bucket_starts_s
from sandan.timeseries.rollup import POINT_COLUMNS

GROUP_KEY = ["group_kind", "group_id", "metric", "res", "bucket"]
#: What the store keeps, written out: 15 minutes, hours and days (months are merged from days when
#: read), per point only where a bucket spans at least 8 of the point's intervals.
STORED = {"15min": 900, "1h": 3600, "1d": 86400}


def point_rollups(readings: pd.DataFrame, interval_s: Mapping[int, int]) -> pd.DataFrame:
    """Rows ``POINT_COLUMNS`` from readings ``point_id, ts [epoch s], value``, sorted by key."""
    out = []
    for resolution, length_s in STORED.items():
        rows = readings[readings["point_id"].map(interval_s) * 8 <= length_s]
        if rows.empty:
            continue
        rows = rows.assign(bucket=bucket_starts_s(rows["ts"].to_numpy(np.int64), resolution))
        for (point_id, bucket), part in rows.sort_values("ts").groupby(["point_id", "bucket"]):
            values = part["value"].to_numpy(np.float64)
            out.append((int(point_id), RESOLUTION_CODES[resolution], int(bucket), float(values.sum()),
                        float(values.min()), float(values.max()), len(values), float(values[0]),
                        int(part["ts"].iloc[0]), float(values[-1]), int(part["ts"].iloc[-1])))
    return pd.DataFrame(out, columns=POINT_COLUMNS).sort_values(["point_id", "res", "bucket"], ignore_index=True)


def group_rollups(readings: pd.DataFrame, targets: Mapping[int, tuple[tuple[int, int], ...]],
                  metric: Mapping[int, str], factor: Mapping[int, float]) -> pd.DataFrame:
    """Rows ``group_kind, group_id, metric, res, bucket, v_sum, n`` of the points in ``targets``."""
    fan = []
    for point_id, ts, value in readings[["point_id", "ts", "value"]].itertuples(index=False, name=None):
        for kind, group_id in targets.get(int(point_id), ()):
            fan.append((kind, group_id, metric[int(point_id)], int(ts), value * factor[int(point_id)]))
    frame = pd.DataFrame(fan, columns=["group_kind", "group_id", "metric", "ts", "v_sum"])
    out = []
    for resolution in STORED:
        if frame.empty:
            break
        level = frame.assign(res=RESOLUTION_CODES[resolution],
                             bucket=bucket_starts_s(frame["ts"].to_numpy(np.int64), resolution))
        out.append(level.groupby(GROUP_KEY, as_index=False).agg(v_sum=("v_sum", "sum"), n=("v_sum", "size")))
    if not out:
        return pd.DataFrame(columns=[*GROUP_KEY, "v_sum", "n"])
    return pd.concat(out, ignore_index=True).sort_values(GROUP_KEY, ignore_index=True)


def assert_point_rollups_equal(actual: pd.DataFrame, expected: pd.DataFrame) -> None:
    """Same keys, counts, extremes, first and last exactly; sums to rounding."""
    actual = actual[POINT_COLUMNS].sort_values(["point_id", "res", "bucket"], ignore_index=True)
    expected = expected[POINT_COLUMNS].sort_values(["point_id", "res", "bucket"], ignore_index=True)
    exact = ["point_id", "res", "bucket", "v_min", "v_max", "n", "first_v", "first_ts", "last_v", "last_ts"]
    pd.testing.assert_frame_equal(actual[exact].astype(float), expected[exact].astype(float), check_exact=True)
    np.testing.assert_allclose(actual["v_sum"].to_numpy(float), expected["v_sum"].to_numpy(float),
                               rtol=1e-9, atol=1e-9)


def assert_group_rollups_equal(actual: pd.DataFrame, expected: pd.DataFrame) -> None:
    actual = actual.sort_values(GROUP_KEY, ignore_index=True)
    expected = expected.sort_values(GROUP_KEY, ignore_index=True)
    assert actual[GROUP_KEY].astype(str).values.tolist() == expected[GROUP_KEY].astype(str).values.tolist()
    assert actual["n"].astype(int).tolist() == expected["n"].astype(int).tolist()
    np.testing.assert_allclose(actual["v_sum"].to_numpy(float), expected["v_sum"].to_numpy(float),
                               rtol=1e-9, atol=1e-9)
