"""Score sheets, panel aggregation and bonus points.

Aggregation follows Korean public evaluation practice: when the panel is large enough (at least
``trim_min_panel`` sheets, by default 5) the single highest and single lowest totals are dropped and
the rest averaged; smaller panels are averaged whole.  Scores are points on a 100-point scale;
final scores are kept in hundredths of a point (``*_centi``, integers) so that ranking and the
selection's objective are exact.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from sandan.programs.catalogue import BonusTable, Indicator
from sandan.programs.eligibility import Refusal

DEFAULT_TRIM_MIN_PANEL = 5


def check_sheet(scores: Mapping[str, float], indicators: Sequence[Indicator]) -> list[Refusal]:
    """Every way a score sheet is incomplete or out of range; each indicator 0..weight [points]."""
    out: list[Refusal] = []
    known = {i.code: i for i in indicators}
    for code in sorted(set(scores) - set(known)):
        out.append(Refusal("unknown_indicator", f"{code} is not an indicator of this programme", {"code": code}))
    for ind in indicators:
        if ind.code not in scores:
            out.append(Refusal("missing", f"no score for {ind.code} ({ind.name_en})", {"code": ind.code}))
            continue
        value = scores[ind.code]
        if not 0 <= value <= ind.weight:
            out.append(Refusal("range", f"{ind.code}: {value} is outside 0..{ind.weight}",
                               {"code": ind.code, "max": ind.weight}))
    return out


def to_centi(points: float) -> int:
    """Points rounded half up to hundredths, as an integer number of hundredths."""
    return int((Decimal(repr(points)) * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))


@dataclass(frozen=True)
class Aggregate:
    """A panel's result: the totals used, the dropped highest and lowest (if trimmed), the
    average [points] and the average in hundredths."""

    totals: tuple[float, ...]
    dropped: tuple[float, float] | None
    average: float
    average_centi: int


def aggregate(totals: Sequence[float], trim_min_panel: int | None = DEFAULT_TRIM_MIN_PANEL) -> Aggregate:
    """Average a panel's sheet totals, dropping one highest and one lowest when there are at least
    ``trim_min_panel`` (``None`` never trims; at least 3 is required to trim)."""
    if not totals:
        raise ValueError("a panel without score sheets has no score")
    ordered = sorted(totals)
    trim = trim_min_panel is not None and len(ordered) >= max(trim_min_panel, 3)
    used = ordered[1:-1] if trim else ordered
    mean = sum(used) / len(used)
    return Aggregate(tuple(ordered), (ordered[-1], ordered[0]) if trim else None, mean, to_centi(mean))


@dataclass(frozen=True)
class Bonus:
    """Bonus points [points] with the reasons, from one version of the bonus table."""

    points: float
    reasons: tuple[str, ...]
    table_version: str


def bonus(complex_code: str, capital_area: bool, table: BonusTable) -> Bonus:
    """Bonus points for a non-capital-area applicant and for a complex in a population-decline
    area, capped at the table's ``max_total``."""
    points = 0.0
    reasons: list[str] = []
    if not capital_area:
        points += table.non_capital_area
        reasons.append(f"non-capital area +{table.non_capital_area:g}")
    if complex_code in table.decline_complexes:
        points += table.population_decline_area
        reasons.append(f"population-decline area +{table.population_decline_area:g}")
    if points > table.max_total:
        reasons.append(f"capped at {table.max_total:g}")
        points = table.max_total
    return Bonus(points, tuple(reasons), table.version)
