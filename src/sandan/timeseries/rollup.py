"""Rollup arithmetic: readings in, per-point and per-group aggregates out (pure, no database).

Per point, each bucket keeps sum, min, max, count, first and last with the timestamps of first
and last, so two partial aggregates of one bucket merge exactly (sums add, first is the one
with the earlier timestamp …).  A resolution is materialised for a point only when it is
coarser than the point's nominal interval: a 15-minute point's 15-minute "rollup" is the
reading itself and is read from the readings table.

Group aggregates (asset subtree, site, company, complex) keep sum and count of additive
interval quantities in the quantity's canonical unit, bucketed by the same KST calendar.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import numpy.typing as npt
import pandas as pd

from sandan.core.timeutil import RESOLUTION_CODES, RESOLUTIONS, bucket_starts_s

ROLLUP_RESOLUTIONS: tuple[str, ...] = ("15min", "1h", "1d", "1mo")
_MONTH_S = 28 * 86400  # shorter than any month: "a month is coarser than this interval"
POINT_COLUMNS = ["point_id", "res", "bucket", "v_sum", "v_min", "v_max", "n", "first_v", "first_ts",
                 "last_v", "last_ts"]
GROUP_COLUMNS = ["target", "res", "bucket", "v_sum", "n"]


def resolution_length_s(resolution: str) -> int:
    """Length of a resolution [s]; a month counts as 28 days for "is it coarser" questions."""
    return RESOLUTIONS[resolution] or _MONTH_S


def is_materialised(resolution: str, interval_s: int) -> bool:
    """Whether rollups at ``resolution`` are stored for a point with nominal interval ``interval_s`` [s]."""
    return resolution_length_s(resolution) > interval_s


def _as_level0(frame: pd.DataFrame) -> pd.DataFrame:
    ts = frame["ts"].to_numpy(np.int64)
    value = frame["value"].to_numpy(np.float64)
    return pd.DataFrame({"point_id": frame["point_id"].to_numpy(np.int64), "bucket": ts, "v_sum": value,
                         "v_min": value, "v_max": value, "n": np.ones(len(frame), np.int64), "first_v": value,
                         "first_ts": ts, "last_v": value, "last_ts": ts})


def _merge_up(level: pd.DataFrame, resolution: str) -> pd.DataFrame:
    level = level.assign(bucket=bucket_starts_s(level["bucket"].to_numpy(np.int64), resolution))
    grouped = level.groupby(["point_id", "bucket"], sort=False).agg(
        v_sum=("v_sum", "sum"), v_min=("v_min", "min"), v_max=("v_max", "max"), n=("n", "sum"),
        first_v=("first_v", "first"), first_ts=("first_ts", "min"), last_v=("last_v", "last"),
        last_ts=("last_ts", "max"))
    return grouped.reset_index()


def point_rollups(frame: pd.DataFrame, interval_s: Mapping[int, int]) -> pd.DataFrame:
    """Rollup rows for a batch of readings.

    Parameters
    ----------
    frame : columns ``point_id``, ``ts`` [epoch s, interval start], ``value`` [point unit]
    interval_s : nominal interval of each point [s]

    Returns the rows (``POINT_COLUMNS``) of every materialised resolution, one per point and bucket.
    """
    if frame.empty:
        return pd.DataFrame(columns=POINT_COLUMNS)
    ordered = frame.sort_values(["point_id", "ts"], kind="stable")
    level = _as_level0(ordered)
    point_interval = level["point_id"].map(interval_s).to_numpy(np.int64)
    out: list[pd.DataFrame] = []
    for resolution in ROLLUP_RESOLUTIONS:
        length = resolution_length_s(resolution)
        # rows already at (or coarser than) this resolution pass through untouched
        fine = point_interval < length
        if fine.any():
            merged = _merge_up(level[fine], resolution)
            merged["res"] = RESOLUTION_CODES[resolution]
            out.append(merged)
            coarse = level[~fine]
            if len(coarse):
                level = pd.concat([merged.drop(columns="res"), coarse], ignore_index=True)
            else:
                level = merged.drop(columns="res")
            point_interval = level["point_id"].map(interval_s).to_numpy(np.int64)
    if not out:
        return pd.DataFrame(columns=POINT_COLUMNS)
    return pd.concat(out, ignore_index=True)[POINT_COLUMNS]


def group_rollups(frame: pd.DataFrame, targets: Mapping[int, tuple[int, ...]],
                  factor: Mapping[int, float]) -> pd.DataFrame:
    """Group aggregates for a batch of readings of additive interval points.

    Parameters
    ----------
    frame : columns ``point_id``, ``ts`` [epoch s], ``value`` [point unit]; only points in ``targets``
    targets : for each point, the integer codes of the groups its values add into
    factor : for each point, the factor from its unit to its quantity's canonical unit

    Returns rows ``target, res, bucket, v_sum [canonical unit], n`` for every resolution.
    """
    frame = frame[frame["point_id"].isin(list(targets))]
    if frame.empty:
        return pd.DataFrame(columns=GROUP_COLUMNS)
    point_ids = frame["point_id"].to_numpy(np.int64)
    codes, uniques = pd.factorize(point_ids)
    depth = max(len(t) for t in targets.values())
    table = np.full((len(uniques), max(depth, 1)), -1, dtype=np.int64)
    scale = np.empty(len(uniques), dtype=np.float64)
    for i, pid in enumerate(uniques):
        row = targets[int(pid)]
        table[i, : len(row)] = row
        scale[i] = factor[int(pid)]
    values = frame["value"].to_numpy(np.float64) * scale[codes]
    bucket15 = bucket_starts_s(frame["ts"].to_numpy(np.int64), "15min")
    parts: list[pd.DataFrame] = []
    for k in range(table.shape[1]):
        target = table[codes, k]
        keep = target >= 0
        if keep.any():
            parts.append(pd.DataFrame({"target": target[keep], "bucket": bucket15[keep], "v_sum": values[keep],
                                       "n": np.ones(int(keep.sum()), np.int64)}))
    level = pd.concat(parts, ignore_index=True).groupby(["target", "bucket"], sort=False, as_index=False).sum()
    out = []
    for resolution in ROLLUP_RESOLUTIONS:
        if resolution != "15min":
            level = level.assign(bucket=bucket_starts_s(level["bucket"].to_numpy(np.int64), resolution))
            level = level.groupby(["target", "bucket"], sort=False, as_index=False).sum()
        out.append(level.assign(res=RESOLUTION_CODES[resolution]))
    return pd.concat(out, ignore_index=True)[GROUP_COLUMNS]


def choose_value(kind: str, v_sum: npt.NDArray[np.float64], n: npt.NDArray[np.int64],
                 first_v: npt.NDArray[np.float64], last_v: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """The one value a bucket shows: the total for interval quantities, the mean for samples,
    the advance (last − first) for cumulative registers."""
    if kind == "interval":
        return v_sum
    if kind == "cumulative":
        return np.asarray(last_v - first_v, dtype=np.float64)
    return np.asarray(v_sum / np.maximum(n, 1), dtype=np.float64)
