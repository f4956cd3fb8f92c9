"""VEE — validation, estimation and editing of meter readings, as meter-data systems do it.

Pure functions on the readings of one point, sorted by time: numpy arrays in, masks or values
out; no database, no settings, no clock (the caller passes ``now_s``).  Each check is a named
rule with a reason code (:data:`RULES`); a rejection keeps the code and a sentence a person can
act on, a warning (``flat_line``, ``rollover``, ``gap``) is returned as data and the reading is
stored.

Timestamps are epoch seconds [s, UTC, interval start]; values are in the point's unit.  Editing
(a company admin changes a stored value with a reason, audited) is
:func:`sandan.timeseries.store.edit_reading`.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
import pandas as pd

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]


@dataclass(frozen=True)
class Rule:
    code: str
    severity: str  # "reject" or "warn"
    description: str


#: Every rule, by reason code (the codes are an API: documented in docs/ingest.md).
RULES: dict[str, Rule] = {r.code: r for r in [
    Rule("bad_payload", "reject", "the reading is not an object/row with point, ts and value"),
    Rule("bad_timestamp", "reject", "the timestamp is not ISO 8601 with an offset or epoch seconds (1970-2100)"),
    Rule("not_a_number", "reject", "the value is not a number"),
    Rule("not_finite", "reject", "the value is NaN or infinite"),
    Rule("bad_quality", "reject", "quality must be measured or estimated (edits go through the edit API)"),
    Rule("unknown_point", "reject", "no point with this code or id that the caller may write"),
    Rule("ambiguous_point", "reject", "the point code is used by several companies the caller writes"),
    Rule("unknown_unit", "reject", "the unit is not one sandan knows"),
    Rule("unit_mismatch", "reject", "the unit does not measure the point's quantity"),
    Rule("out_of_range", "reject", "outside the point's valid_min/valid_max (or above register_max)"),
    Rule("negative_interval", "reject", "a negative total for an interval point of an additive quantity"),
    Rule("future_timestamp", "reject", "later than now plus the tolerance (5 minutes by default)"),
    Rule("before_active", "reject", "before the point's active_from"),
    Rule("off_grid", "reject", "an interval total whose timestamp is not on the point's interval grid"),
    Rule("spike", "reject", "more than k times the rolling median of its neighbours, neighbours not"),
    Rule("counter_backwards", "reject", "a cumulative register went down without rolling over (meter reset)"),
    Rule("duplicate_in_batch", "reject", "the same point and time came earlier in the batch with another value"),
    Rule("conflict", "reject", "a different measured value is already stored for this point and time"),
    Rule("flat_line", "warn", "N or more identical non-zero values in a row"),
    Rule("rollover", "warn", "a cumulative register rolled over at register_max"),
    Rule("gap", "warn", "missing intervals before this reading, too long to estimate"),
]}


@dataclass(frozen=True)
class VeeConfig:
    """Settings of the checks (frozen presets; the defaults are what HTTP and file ingest use).

    ``future_tolerance_s`` [s]; ``spike_k`` [-] multiple of the rolling median, over a centred
    window of ``spike_window`` readings, checked only with at least ``spike_min_context``
    readings of the point in the batch; ``flat_run`` [-] identical values that make a flat line;
    ``max_estimate_gap_s`` [s] longest gap filled by interpolation (0 turns estimation off);
    ``rollover_fraction`` [-] how close to ``register_max`` the last value must be for a fall
    to count as a rollover.
    """

    future_tolerance_s: int = 300
    spike_k: float = 20.0
    spike_window: int = 9
    spike_min_context: int = 8
    spike_action: str = "reject"
    flat_run: int = 12
    max_estimate_gap_s: int = 3600
    rollover_fraction: float = 0.9


DEFAULT = VeeConfig()


@dataclass
class Findings:
    """Per reading of one point: the rejection code and reason (or None), and warnings."""

    n: int
    codes: list[str | None] = field(default_factory=list)
    reasons: list[str | None] = field(default_factory=list)
    warnings: dict[int, list[str]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.codes:
            self.codes = [None] * self.n
            self.reasons = [None] * self.n

    def reject(self, mask: BoolArray, code: str, reason: str | list[str]) -> None:
        for j, i in enumerate(np.flatnonzero(mask).tolist()):
            if self.codes[i] is None:
                self.codes[i] = code
                self.reasons[i] = reason if isinstance(reason, str) else reason[j]

    def warn(self, mask: BoolArray, code: str) -> None:
        for i in np.flatnonzero(mask).tolist():
            self.warnings.setdefault(i, []).append(code)

    @property
    def rejected(self) -> BoolArray:
        return np.array([c is not None for c in self.codes], dtype=bool)


# --- single-reading checks (vectorised over a batch) ----------------------------------------------

def not_finite(value: FloatArray) -> BoolArray:
    """NaN or ±inf values."""
    return ~np.isfinite(np.asarray(value, dtype=np.float64))


def out_of_range(value: FloatArray, valid_min: float | None, valid_max: float | None) -> BoolArray:
    """Values below ``valid_min`` or above ``valid_max`` [point unit]; a missing bound never bites."""
    v = np.asarray(value, dtype=np.float64)
    out = np.zeros(len(v), dtype=bool)
    if valid_min is not None:
        out |= v < valid_min
    if valid_max is not None:
        out |= v > valid_max
    return out


def negative_interval(value: FloatArray, *, interval_additive: bool, valid_min: float | None) -> BoolArray:
    """Negative totals of an interval point of an additive quantity (energy, volume, mass), unless
    the point's ``valid_min`` explicitly allows negatives."""
    v = np.asarray(value, dtype=np.float64)
    if not interval_additive or (valid_min is not None and valid_min < 0):
        return np.zeros(len(v), dtype=bool)
    return np.asarray(v < 0, dtype=bool)


def in_future(ts_s: IntArray, now_s: int, tolerance_s: int = 300) -> BoolArray:
    """Timestamps later than ``now_s + tolerance_s`` [s]."""
    return np.asarray(np.asarray(ts_s, dtype=np.int64) > now_s + tolerance_s, dtype=bool)


def before_active(ts_s: IntArray, active_from_s: int | None) -> BoolArray:
    """Timestamps before the point existed (its ``active_from``) [s]."""
    ts = np.asarray(ts_s, dtype=np.int64)
    if active_from_s is None:
        return np.zeros(len(ts), dtype=bool)
    return np.asarray(ts < active_from_s, dtype=bool)


def off_grid(ts_s: IntArray, interval_s: int) -> BoolArray:
    """Interval-start timestamps that are not a multiple of the interval [s] (UTC epoch grid; the
    KST offset of 9 h is a multiple of every interval up to an hour)."""
    ts = np.asarray(ts_s, dtype=np.int64)
    if interval_s <= 0 or 86400 % interval_s:
        return np.zeros(len(ts), dtype=bool)
    return np.asarray(ts % interval_s != 0, dtype=bool)


# --- checks over a point's series ---------------------------------------------------------------

def spikes(value: FloatArray, *, k: float = 20.0, window: int = 9, min_context: int = 8) -> BoolArray:
    """Isolated spikes: |v| more than ``k`` × the rolling median of |v| over a centred ``window``
    (and more than ``k`` × the median of the series' non-zero |v|, so that noise around zero is no
    spike), with both neighbours below |v| / ``k`` (a step change, where the neighbour is high too,
    is not a spike).  Series shorter than ``min_context`` are not judged.  ``value`` sorted by time.
    """
    v = np.abs(np.asarray(value, dtype=np.float64))
    n = len(v)
    out = np.zeros(n, dtype=bool)
    if n < max(min_context, 3):
        return out
    nonzero = v[(v > 0) & np.isfinite(v)]
    scale = float(np.median(nonzero)) if len(nonzero) else 0.0
    median = np.maximum(pd.Series(v).rolling(window, center=True, min_periods=1).median().to_numpy(), scale)
    prev = np.r_[np.inf, v[:-1]]
    nxt = np.r_[v[1:], np.inf]
    prev[0], nxt[-1] = nxt[0], prev[-1]  # at the ends, judge by the one neighbour there is
    with np.errstate(invalid="ignore"):
        out = (median > 0) & (v > k * median) & (prev * k < v) & (nxt * k < v)
    return np.asarray(out, dtype=bool)


def spikes_by_run(value: FloatArray, starts: IntArray, *, k: float = 20.0, window: int = 9,
                  min_context: int = 8) -> BoolArray:
    """:func:`spikes` of many series at once: ``value`` holds the series one after another (each
    sorted by time), ``starts`` the position where each begins.  The same answer as calling
    :func:`spikes` per series (finite values: NaN and infinities are rejected before), in a few array
    operations instead of one pandas call per series."""
    v = np.abs(np.asarray(value, dtype=np.float64))
    n = len(v)
    out = np.zeros(n, dtype=bool)
    if n == 0:
        return out
    first = np.asarray(starts, dtype=np.int64)
    ends = np.r_[first[1:], n]
    run_of = np.repeat(np.arange(len(first)), ends - first)
    lo, hi = first[run_of], ends[run_of]
    judged = (hi - lo) >= max(min_context, 3)
    if not judged.any():
        return out
    scale = np.zeros(len(first))
    for r in np.flatnonzero((ends - first) >= max(min_context, 3)).tolist():
        part = v[first[r]:ends[r]]
        nonzero = part[(part > 0) & np.isfinite(part)]
        scale[r] = float(np.median(nonzero)) if len(nonzero) else 0.0
    # the centred window of each position, cut at its series' ends (pandas' rolling(center=True))
    offsets = np.arange(window, dtype=np.int64) - (window - 1 - (window - 1) // 2)
    at = np.arange(n, dtype=np.int64)[:, None] + offsets[None, :]
    inside = (at >= lo[:, None]) & (at < hi[:, None])
    cells = np.where(inside, v[np.clip(at, 0, n - 1)], np.nan)
    with np.errstate(invalid="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # an all-NaN window (a NaN reading alone)
        median = np.maximum(np.nanmedian(cells, axis=1), scale[run_of])
    before = np.concatenate(([np.inf], v[:-1]))
    after = np.concatenate((v[1:], [np.inf]))
    position = np.arange(n)
    # at a series' ends, judge by the one neighbour there is
    prev: FloatArray = np.where(position == lo, after, before)
    nxt: FloatArray = np.where(position == hi - 1, before, after)
    with np.errstate(invalid="ignore"):
        out = judged & (median > 0) & (v > k * median) & (prev * k < v) & (nxt * k < v)
    return np.asarray(out, dtype=bool)


def flat_lines(value: FloatArray, *, run: int = 12, ignore_zero: bool = True) -> BoolArray:
    """Readings inside runs of ``run`` or more identical values (a stuck sensor or a frozen
    gateway); zeros are ignored by default (a plant that is off reads zero)."""
    v = np.asarray(value, dtype=np.float64)
    n = len(v)
    out = np.zeros(n, dtype=bool)
    if n < run or run < 2:
        return out
    change = np.r_[True, v[1:] != v[:-1]]
    starts = np.flatnonzero(change)
    lengths = np.diff(np.r_[starts, n])
    for start, length in zip(starts.tolist(), lengths.tolist(), strict=True):
        if length >= run and not (ignore_zero and v[start] == 0):
            out[start:start + length] = True
    return out


@dataclass(frozen=True)
class RegisterCheck:
    """A cumulative register series judged: ``backwards`` (rejected), ``rollover`` (warned) and
    ``delta`` [point unit] — the advance since the previous accepted reading (NaN where unknown)."""

    backwards: BoolArray
    rollover: BoolArray
    delta: FloatArray


def register_deltas(value: FloatArray, *, previous: float | None = None, register_max: float | None = None,
                    rollover_fraction: float = 0.9) -> RegisterCheck:
    """Advances of a cumulative register (delta from totals), with rollovers at ``register_max``.

    A fall from near the top (above ``rollover_fraction`` × ``register_max``) to near zero is a
    rollover: the advance is ``value + register_max − previous``.  Any other fall is a meter reset
    or a wrong reading: rejected, and the next reading is compared with the last accepted one.
    ``previous`` is the last stored value before the series (None: the first advance is unknown).
    """
    v = np.asarray(value, dtype=np.float64)
    n = len(v)
    backwards = np.zeros(n, dtype=bool)
    rollover = np.zeros(n, dtype=bool)
    delta = np.full(n, np.nan)
    last = previous
    for i in range(n):
        if last is None:
            last = float(v[i])
            continue
        step = float(v[i]) - last
        if step >= 0:
            delta[i] = step
            last = float(v[i])
        elif (register_max is not None and last >= rollover_fraction * register_max
              and v[i] <= (1 - rollover_fraction) * register_max):
            rollover[i] = True
            delta[i] = float(v[i]) + register_max - last
            last = float(v[i])
        else:
            backwards[i] = True
    return RegisterCheck(backwards, rollover, delta)


@dataclass(frozen=True)
class Estimate:
    """Interpolated readings for short gaps: ``ts`` [s] and ``value`` [point unit]; ``gap_after``
    marks readings preceded by a gap too long to fill (a warning)."""

    ts: IntArray
    value: FloatArray
    gap_after: BoolArray


def estimate_gaps(ts_s: IntArray, value: FloatArray, interval_s: int, *, max_gap_s: int = 3600,
                  previous: tuple[int, float] | None = None) -> Estimate:
    """Fill missing intervals between consecutive readings by linear interpolation when the gap
    (the missing span) is at most ``max_gap_s`` [s]; longer gaps are reported, not filled.

    ``ts_s`` sorted, on the point's grid; ``previous`` is the last stored reading before them.
    """
    ts = np.asarray(ts_s, dtype=np.int64)
    v = np.asarray(value, dtype=np.float64)
    gap_after = np.zeros(len(ts), dtype=bool)
    empty = Estimate(np.zeros(0, dtype=np.int64), np.zeros(0), gap_after)
    if interval_s <= 0 or len(ts) == 0:
        return empty
    if previous is not None and previous[0] < ts[0]:
        all_ts, all_v, offset = np.r_[previous[0], ts], np.r_[previous[1], v], 1
    else:
        all_ts, all_v, offset = ts, v, 0
    steps = np.diff(all_ts)
    missing_s = steps - interval_s
    gap = (missing_s > 0) & (steps % interval_s == 0)
    fill = gap & (missing_s <= max_gap_s) & (max_gap_s > 0)
    long = gap & ~fill
    gap_after[np.flatnonzero(long) + 1 - offset] = True
    out_ts: list[IntArray] = []
    out_v: list[FloatArray] = []
    for i in np.flatnonzero(fill).tolist():
        t0, t1, v0, v1 = int(all_ts[i]), int(all_ts[i + 1]), float(all_v[i]), float(all_v[i + 1])
        inner = np.arange(t0 + interval_s, t1, interval_s, dtype=np.int64)
        out_ts.append(inner)
        out_v.append(v0 + (v1 - v0) * (inner - t0) / (t1 - t0))
    if not out_ts:
        return Estimate(empty.ts, empty.value, gap_after)
    return Estimate(np.concatenate(out_ts), np.concatenate(out_v), gap_after)


__all__ = ["DEFAULT", "RULES", "Estimate", "Findings", "RegisterCheck", "Rule", "VeeConfig", "before_active",
           "estimate_gaps", "flat_lines", "in_future", "negative_interval", "not_finite", "off_grid",
           "out_of_range", "register_deltas", "spikes", "spikes_by_run"]
