"""Rollup arithmetic: readings in, per-point and per-group aggregates out (pure, no database).

Per point, each bucket keeps sum, min, max, count, first and last with the timestamps of first
and last, so two partial aggregates of one bucket merge exactly (sums add, first is the one
with the earlier timestamp …).

What is stored, and what is merged when read:

* 15 min, 1 h and 1 day are stored (``ROLLUP_RESOLUTIONS``), for a point only where a bucket
  holds at least ``MIN_READINGS_PER_ROLLUP`` (8) of its nominal intervals: a 15-minute meter's
  hours (4 readings) are merged from its readings when read, its days (96) are stored.  A rollup
  of a handful of readings saves little when read and costs a row on every write;
* a month is merged from the stored days when read (at most 31 rows per point or group);
* everything merges exactly (:func:`coarsen`), so a series is the same whichever level it is
  read from.  Every stored bucket is kept current on every write.

Group aggregates (asset subtree, site, company, complex) keep sum and count of additive
interval quantities in the quantity's canonical unit, bucketed by the same KST calendar.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from sandan.core.timeutil import RESOLUTION_CODES, RESOLUTIONS, bucket_starts_s

#: Resolutions stored in the rollup tables; a month is merged from days when read.
ROLLUP_RESOLUTIONS: tuple[str, ...] = ("15min", "1h", "1d")
#: A point's rollup at a resolution is stored when a bucket spans at least this many of its intervals.
MIN_READINGS_PER_ROLLUP = 8
POINT_COLUMNS = ["point_id", "res", "bucket", "v_sum", "v_min", "v_max", "n", "first_v", "first_ts",
                 "last_v", "last_ts"]
GROUP_COLUMNS = ["target", "res", "bucket", "v_sum", "n"]


def is_materialised(resolution: str, interval_s: int) -> bool:
    """Whether rollups at ``resolution`` are stored for a point with nominal interval ``interval_s`` [s]."""
    return resolution in ROLLUP_RESOLUTIONS and RESOLUTIONS[resolution] >= MIN_READINGS_PER_ROLLUP * interval_s


def source_level(resolution: str, interval_s: int) -> str:
    """The stored level a point's series at ``resolution`` is read from: the resolution itself, the
    days for a month, or ``"raw"`` (the readings)."""
    if resolution == "raw" or is_materialised(resolution, interval_s):
        return resolution
    if resolution == "1mo" and is_materialised("1d", interval_s):
        return "1d"
    return "raw"


def coarsen(bucket: npt.NDArray[np.int64], v_sum: npt.NDArray[np.float64], v_min: npt.NDArray[np.float64],
            v_max: npt.NDArray[np.float64], n: npt.NDArray[np.int64], first_v: npt.NDArray[np.float64],
            last_v: npt.NDArray[np.float64], resolution: str) -> tuple[npt.NDArray[Any], ...]:
    """Merge one point's finer buckets (sorted by ``bucket`` [epoch s]) into ``resolution``'s.

    Returns ``bucket, v_sum, v_min, v_max, n, first_v, last_v`` of the coarser buckets; readings
    enter as buckets of one (sum = min = max = first = last = value, n = 1).
    """
    if not len(bucket):
        return bucket, v_sum, v_min, v_max, n, first_v, last_v
    coarse = bucket_starts_s(bucket, resolution)
    starts = _run_starts(coarse)
    ends = np.append(starts[1:], len(coarse)) - 1
    return (coarse[starts], np.add.reduceat(v_sum, starts), np.minimum.reduceat(v_min, starts),
            np.maximum.reduceat(v_max, starts), np.add.reduceat(n, starts), first_v[starts], last_v[ends])


def coarsen_sums(bucket: npt.NDArray[np.int64], v_sum: npt.NDArray[np.float64], n: npt.NDArray[np.int64],
                 resolution: str) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float64], npt.NDArray[np.int64]]:
    """Merge a group's finer buckets (sorted) into ``resolution``'s: ``bucket, v_sum, n``."""
    if not len(bucket):
        return bucket, v_sum, n
    coarse = bucket_starts_s(bucket, resolution)
    starts = _run_starts(coarse)
    return coarse[starts], np.add.reduceat(v_sum, starts), np.add.reduceat(n, starts)


def sort_order(keys: tuple[npt.NDArray[np.int64], ...]) -> npt.NDArray[np.intp] | None:
    """A stable order sorting rows by ``keys`` (most significant first), or None if already sorted."""
    first = keys[0]
    if len(first) < 2:
        return None
    ascending = np.ones(len(first) - 1, dtype=bool)
    tie = np.ones(len(first) - 1, dtype=bool)
    for key in keys:
        step = np.diff(key)
        ascending &= ~tie | (step >= 0)
        tie &= step == 0
        if not ascending.all():
            return np.lexsort(tuple(reversed(keys)))
    return None


def _run_starts(*keys: npt.NDArray[np.int64]) -> npt.NDArray[np.intp]:
    """Positions where a run of equal ``keys`` starts (rows sorted by the keys)."""
    change = np.zeros(len(keys[0]), dtype=bool)
    change[0] = True
    for key in keys:
        change[1:] |= key[1:] != key[:-1]
    return np.flatnonzero(change)


def _per_row(lookup_ids: npt.NDArray[np.int64], lookup_values: npt.NDArray[np.int64],
             ids: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
    return lookup_values[np.searchsorted(lookup_ids, ids)]


def point_rollups(frame: pd.DataFrame, interval_s: Mapping[int, int]) -> pd.DataFrame:
    """Rollup rows for a batch of readings.

    Parameters
    ----------
    frame : columns ``point_id``, ``ts`` [epoch s, interval start], ``value`` [point unit]; a point
        appears at most once per timestamp
    interval_s : nominal interval of each point [s]

    Returns the rows (``POINT_COLUMNS``) of every materialised resolution, one per point and bucket,
    ordered by resolution, point and bucket.

    Each resolution is aggregated from the one below it (15 min from the readings, 1 h from 15 min
    …), which is exact because every kept statistic merges exactly; a resolution is emitted only for
    the points where it is materialised.
    """
    if frame.empty:
        return pd.DataFrame(columns=POINT_COLUMNS)
    pid = frame["point_id"].to_numpy(np.int64)
    ts = frame["ts"].to_numpy(np.int64)
    value = frame["value"].to_numpy(np.float64)
    order = sort_order((pid, ts))
    if order is not None:
        pid, ts, value = pid[order], ts[order], value[order]
    point_ids = pid[_run_starts(pid)]
    point_interval = np.array([interval_s[int(p)] for p in point_ids], dtype=np.int64)
    # the level below, sorted by point and bucket: sum, min, max, n, first and last (value and ts)
    bucket, v_sum, v_min, v_max = ts, value, value, value
    n = np.ones(len(ts), dtype=np.int64)
    first_v, first_ts, last_v, last_ts = value, ts, value, ts
    parts: list[list[npt.NDArray[Any]]] = []
    for resolution in ROLLUP_RESOLUTIONS:
        bucket = bucket_starts_s(bucket, resolution)
        starts = _run_starts(pid, bucket)
        ends = np.append(starts[1:], len(pid)) - 1
        pid, bucket = pid[starts], bucket[starts]
        v_sum = np.add.reduceat(v_sum, starts)
        v_min = np.minimum.reduceat(v_min, starts)
        v_max = np.maximum.reduceat(v_max, starts)
        n = np.add.reduceat(n, starts)
        first_v, first_ts = first_v[starts], first_ts[starts]
        last_v, last_ts = last_v[ends], last_ts[ends]
        emit = _per_row(point_ids, point_interval, pid) * MIN_READINGS_PER_ROLLUP <= RESOLUTIONS[resolution]
        level = [pid, np.full(len(pid), RESOLUTION_CODES[resolution], np.int64), bucket, v_sum, v_min, v_max, n,
                 first_v, first_ts, last_v, last_ts]
        if emit.all():
            parts.append(level)
        elif emit.any():
            parts.append([column[emit] for column in level])
    if not parts:
        return pd.DataFrame(columns=POINT_COLUMNS)
    return pd.DataFrame({name: np.concatenate([part[i] for part in parts]) for i, name in enumerate(POINT_COLUMNS)})


_DENSE_SPARE_CELLS = 1 << 16  # (group, quarter hour) cells counted densely beyond four per row


def _sum_by_key(target: npt.NDArray[np.int64], bucket: npt.NDArray[np.int64], value: npt.NDArray[np.float64],
                ) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64], npt.NDArray[np.float64],
                           npt.NDArray[np.int64]]:
    """Sum and count of ``value`` per (target, 15-minute bucket), ordered by target and bucket."""
    lo = int(bucket.min())
    slot = (bucket - lo) // RESOLUTIONS["15min"]
    slots = int(slot.max()) + 1
    cells = (int(target.max()) + 1) * slots
    if cells <= 4 * len(target) + _DENSE_SPARE_CELLS:
        key = target * slots + slot
        counts = np.bincount(key, minlength=cells)
        sums = np.bincount(key, weights=value, minlength=cells)
        used = np.flatnonzero(counts).astype(np.int64)
        return (used // slots, used % slots * RESOLUTIONS["15min"] + lo, np.asarray(sums[used], dtype=np.float64),
                counts[used].astype(np.int64))
    order = np.lexsort((slot, target))
    target, bucket, value = target[order], bucket[order], value[order]
    starts = _run_starts(target, bucket)
    counts = np.diff(np.append(starts, len(target))).astype(np.int64)
    return target[starts], bucket[starts], np.add.reduceat(value, starts), counts


def group_rollups(frame: pd.DataFrame, targets: Mapping[int, tuple[int, ...]],
                  factor: Mapping[int, float]) -> pd.DataFrame:
    """Group aggregates for a batch of readings of additive interval points.

    Parameters
    ----------
    frame : columns ``point_id``, ``ts`` [epoch s], ``value`` [point unit]; only points in ``targets``
    targets : for each point, the integer codes (from 0) of the groups its values add into
    factor : for each point, the factor from its unit to its quantity's canonical unit

    Returns rows ``target, res, bucket, v_sum [canonical unit], n`` for every resolution, ordered by
    resolution, target and bucket.
    """
    point_ids = frame["point_id"].to_numpy(np.int64)
    known = np.array(sorted(targets), dtype=np.int64)
    if not len(point_ids) or not len(known):
        return pd.DataFrame(columns=GROUP_COLUMNS)
    codes = np.minimum(np.searchsorted(known, point_ids), len(known) - 1)
    keep = known[codes] == point_ids
    depth = max(max(len(t) for t in targets.values()), 1)
    table = np.full((len(known), depth), -1, dtype=np.int64)
    scale = np.empty(len(known), dtype=np.float64)
    for i, pid in enumerate(known.tolist()):
        row = targets[pid]
        table[i, : len(row)] = row
        scale[i] = factor[pid]
    values = frame["value"].to_numpy(np.float64)
    ts = frame["ts"].to_numpy(np.int64)
    if not keep.all():
        codes, values, ts = codes[keep], values[keep], ts[keep]
    # one row per reading and group it adds into (group by group), then summed per quarter hour
    target = table[codes].T.ravel()
    values = np.tile(values * scale[codes], depth)
    bucket = np.tile(bucket_starts_s(ts, "15min"), depth)
    adds = target >= 0
    if not adds.all():
        target, values, bucket = target[adds], values[adds], bucket[adds]
    if not len(target):
        return pd.DataFrame(columns=GROUP_COLUMNS)
    target, bucket, v_sum, n = _sum_by_key(target, bucket, values)
    parts = []
    for resolution in ROLLUP_RESOLUTIONS:
        if resolution != "15min":
            bucket = bucket_starts_s(bucket, resolution)
            starts = _run_starts(target, bucket)
            target, bucket = target[starts], bucket[starts]
            v_sum, n = np.add.reduceat(v_sum, starts), np.add.reduceat(n, starts)
        parts.append((target, np.full(len(target), RESOLUTION_CODES[resolution], np.int64), bucket, v_sum, n))
    return pd.DataFrame({name: np.concatenate([part[i] for part in parts]) for i, name in enumerate(GROUP_COLUMNS)})


def choose_value(kind: str, v_sum: npt.NDArray[np.float64], n: npt.NDArray[np.int64],
                 first_v: npt.NDArray[np.float64], last_v: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """The one value a bucket shows: the total for interval quantities, the mean for samples,
    the advance (last − first) for cumulative registers."""
    if kind == "interval":
        return v_sum
    if kind == "cumulative":
        return np.asarray(last_v - first_v, dtype=np.float64)
    return np.asarray(v_sum / np.maximum(n, 1), dtype=np.float64)
