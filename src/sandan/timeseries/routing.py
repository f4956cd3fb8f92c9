"""Which group totals a point's values add into (pure).

A node's total is its own meter when it has one, else the sum of its children's totals — the
"main meter wins" rule that keeps a site incomer and the sub-meters below it from being added
twice.  So a point adds into its own node and climbs towards the site, company and complex
until it reaches an ancestor that has a direct meter of the same metric.
"""

from __future__ import annotations

from collections.abc import Mapping, Set
from dataclasses import dataclass

from sandan.timeseries.models import GroupKind


@dataclass(frozen=True)
class PointPlace:
    """Where a point hangs: its metric and node (``asset_id`` None means directly on the site)."""

    point_id: int
    metric: str
    asset_id: int | None
    site_id: int
    company_id: int
    complex_id: int


def group_targets(place: PointPlace, asset_parent: Mapping[int, int | None],
                  metered: Set[tuple[str, str, int]]) -> list[tuple[int, int]]:
    """The (group kind, group id) totals the point adds into, nearest first.

    ``asset_parent`` maps asset id → parent asset id (None under the site); ``metered`` holds
    ``(metric, "asset"|"site", node id)`` for every node that has a direct meter of that metric.
    """
    targets: list[tuple[int, int]] = []
    node = place.asset_id
    while node is not None:
        targets.append((GroupKind.asset, node))
        parent = asset_parent.get(node)
        if parent is not None and (place.metric, "asset", parent) in metered:
            return targets
        node = parent
    if place.asset_id is not None and (place.metric, "site", place.site_id) in metered:
        return targets
    targets.extend([(GroupKind.site, place.site_id), (GroupKind.company, place.company_id),
                    (GroupKind.complex, place.complex_id)])
    return targets
