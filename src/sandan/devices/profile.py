"""Plausible factory load profiles for the simulated meters (pure: time in, values out).

A one-shift-and-a-half SME plant on Korean time: a night base load, ramp-up at 08:00 KST, a lunch
dip at 12:00, evening shift to 22:00, low weekends; a few slow sinusoids seeded per meter so two
meters do not move in lockstep.
"""

from __future__ import annotations

import math
import random
from datetime import UTC, datetime, timedelta

KST = timedelta(hours=9)


def shift_factor(ts: datetime) -> float:
    """Share of rated load the plant runs at, at ``ts`` (tz-aware) [0..1]."""
    local = ts.astimezone(UTC) + KST
    hour = local.hour + local.minute / 60 + local.second / 3600
    if local.weekday() >= 5:
        return 0.18
    if 8 <= hour < 12 or 13 <= hour < 18:
        return 0.85
    if 12 <= hour < 13:
        return 0.55
    if 18 <= hour < 22:
        return 0.65
    if 7 <= hour < 8:
        return 0.25 + 0.6 * (hour - 7)  # ramp-up
    return 0.25


class Wobble:
    """A smooth, seeded variation around 1 (three slow sinusoids, ±``depth``)."""

    def __init__(self, seed: int, depth: float = 0.06) -> None:
        rng = random.Random(seed)
        self.terms = [(rng.uniform(300, 3600), rng.uniform(0, 2 * math.pi)) for _ in range(3)]
        self.depth = depth

    def __call__(self, epoch_s: float) -> float:
        return 1 + self.depth * sum(math.sin(2 * math.pi * epoch_s / period + phase)
                                    for period, phase in self.terms) / len(self.terms)


def power_kw(ts: datetime, rated_kw: float, wobble: Wobble) -> float:
    """Active power of the plant at ``ts`` [kW]."""
    return rated_kw * shift_factor(ts) * wobble(ts.timestamp())


def power_factor(load_share: float) -> float:
    """Power factor of an induction-motor load at a share of rated load [-]: lower when lightly loaded."""
    return max(0.70, min(0.98, 0.80 + 0.17 * load_share))


def gas_flow_nm3_per_h(ts: datetime, rated_nm3_per_h: float, wobble: Wobble) -> float:
    """Natural gas flow of process burners at ``ts`` [Nm3/h]: follows the shifts, with a pilot flow."""
    return rated_nm3_per_h * (0.05 + 0.95 * shift_factor(ts)) * wobble(ts.timestamp())
