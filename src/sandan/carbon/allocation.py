"""Allocation of a site's emissions to its products (pure), ISO 14067:2018 clause 6.4.6 / GHG Protocol
Product Standard ch. 9: by a physical relationship (mass, machine hours) or by economic value, the
choice documented with the result.

The shares are applied to whole grams (gCO2e) with the largest-remainder method, so the products'
figures add up *exactly* to the site total — no rounding residue appears or disappears.
"""

from __future__ import annotations

from collections.abc import Mapping

from sandan.core.errors import InvalidInput

BASES = ("mass", "machine_hours", "economic_value")


def allocate_grams(total_g: int, weights: Mapping[str, float]) -> dict[str, int]:
    """Split ``total_g`` [gCO2e, integer] over the keys of ``weights`` [any unit, ≥ 0] in proportion,
    largest remainder first (ties: key order).  The result sums exactly to ``total_g``."""
    if not weights:
        raise InvalidInput("nothing to allocate to: record production for the period first", field="products")
    if any(w < 0 for w in weights.values()):
        raise InvalidInput("allocation weights may not be negative", field="weights")
    weight_sum = sum(weights.values())
    if weight_sum <= 0:
        raise InvalidInput("the allocation basis is zero for every product; choose another basis", field="basis")
    exact = {k: total_g * w / weight_sum for k, w in weights.items()}
    floors = {k: int(v // 1) for k, v in exact.items()}
    left = total_g - sum(floors.values())
    order = sorted(weights, key=lambda k: (-(exact[k] - floors[k]), list(weights).index(k)))
    for k in order[:left]:
        floors[k] += 1
    return floors


def footprints(total_kg: float, products: list[dict[str, float | str]], basis: str) -> list[dict[str, object]]:
    """Per product: allocated emissions [kgCO2e, from whole grams] and the footprint per declared unit
    [kgCO2e per unit].  Each product has ``code``, ``quantity`` [declared units] and the basis value
    (``mass_kg``, ``machine_hours`` or ``value_krw``)."""
    if basis not in BASES:
        raise InvalidInput(f"unknown allocation basis '{basis}'; use {', '.join(BASES)}", field="basis")
    key = {"mass": "mass_kg", "machine_hours": "machine_hours", "economic_value": "value_krw"}[basis]
    weights = {str(p["code"]): float(p[key]) for p in products}
    total_g = round(total_kg * 1000)
    grams = allocate_grams(total_g, weights)
    weight_sum = sum(weights.values())
    out: list[dict[str, object]] = []
    for p in products:
        code = str(p["code"])
        quantity = float(p["quantity"])
        out.append({"code": code, "basis": basis, "basis_value": weights[code],
                    "share": weights[code] / weight_sum, "allocated_g": grams[code],
                    "allocated_kg": grams[code] / 1000,
                    "pcf_kg_per_unit": grams[code] / 1000 / quantity if quantity > 0 else None})
    return out
