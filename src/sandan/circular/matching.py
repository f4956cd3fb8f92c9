"""Candidate pairs between what companies give out (offers) and what they could take in (demands).

Pure: DataFrames in, DataFrames out.  The steps, in order:

1. **compatibility** — a pair is a candidate only when the receiver accepts the offer's code (code
   tree distance 0 → 1.0, a sibling code in the same group → 0.7) or when the offer substitutes the
   virgin material the receiver declared (``substitutions.csv`` → 0.9);
2. **hard filters** — same complex (else :class:`InvalidInput`), not the same company, same unit,
   the law allows exchange for the class, hazard vs the receiver's permits (a hazardous stream
   needs a permit for its class that says hazardous; any waste needs a permit for its class; a
   non-hazardous by-product, heat and waste water need none), quality specs within the receiver's
   limits.  What each filter removed is counted and returned as data;
3. **economics per unit** [KRW/unit, kgCO2e/unit] — net value = avoided disposal + avoided virgin
   material − transport − processing; CO2 avoided = avoided virgin production + avoided disposal −
   transport emissions (factors from ``reference/factors.csv``);
4. **score** 0–100 per pair with the parts that make it, weighted by the feedback of earlier
   rejections, and the ``K`` best pairs per offer kept for the optimiser.

Glossary: ``quantity`` [unit/month] offered, ``capacity`` [unit/month] a receiver takes; ``unit`` is
``t``, ``GJ`` (heat) or ``m3`` (water); distances are road km = great circle × ``DETOUR``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from sandan.circular import reference
from sandan.core.errors import InvalidInput

#: Road distance over great-circle distance inside a complex (street grid), dimensionless.
DETOUR = 1.3
EARTH_RADIUS_KM = 6371.0
#: Compatibility of a pair by code-tree distance and by a declared substitution.
COMPAT_BY_DISTANCE = {0: 1.0, 1: 0.7}
COMPAT_SUBSTITUTION = 0.9
#: Score weights (sum 100) and the half-saturation points of the value and CO2 parts.
WEIGHTS = {"compatibility": 30.0, "quantity_fit": 20.0, "distance": 15.0, "value": 20.0, "co2": 15.0}
DISTANCE_SCALE_KM = 30.0
VALUE_HALF_KRW_PER_UNIT = 50_000.0
CO2_HALF_KG_PER_UNIT = 500.0
#: Transport mode by unit.
TRANSPORT_BY_UNIT = {"t": "truck", "GJ": "heat_pipe", "m3": "water_pipe"}

OFFER_COLUMNS = ("stream_id", "company_id", "complex_id", "kind", "code", "hazardous", "unit", "quantity",
                 "variability_pct", "specs", "lat", "lon", "treatment", "treatment_cost_krw_per_unit")
DEMAND_COLUMNS = ("stream_id", "company_id", "complex_id", "accepts", "substitutes", "unit", "capacity", "limits",
                  "lat", "lon", "virgin_price_krw_per_unit", "processing_cost_krw_per_unit")
PERMIT_COLUMNS = ("permit_id", "company_id", "code_prefix", "hazardous", "capacity")


@dataclass
class Candidates:
    """Feasible pairs with their economics and score, and what the filters removed (warnings as data)."""

    arcs: pd.DataFrame
    removed: dict[str, int] = field(default_factory=dict)


def haversine_km(lat1: Any, lon1: Any, lat2: Any, lon2: Any) -> Any:
    """Great-circle distance [km] between points given in degrees (scalars or arrays)."""
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dphi, dlmb = p2 - p1, np.radians(np.asarray(lon2) - np.asarray(lon1))
    a = np.sin(dphi / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dlmb / 2) ** 2
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(a))


def _prefix(code: str) -> str:
    """``51-03-00`` → ``51-03``, ``02-00-00`` → ``02``: a class or group row covers what starts with it."""
    while code.endswith("-00"):
        code = code[:-3]
    return code


def check_same_complex(offers: pd.DataFrame, demands: pd.DataFrame) -> int:
    """The one complex every stream belongs to; a stream of another complex is refused."""
    complexes = set(offers["complex_id"]) | set(demands["complex_id"])
    if len(complexes) > 1:
        raise InvalidInput(f"matching runs inside one complex; these streams belong to complexes "
                           f"{sorted(int(c) for c in complexes)} (a receiver outside the complex)", field="complex_id")
    return int(next(iter(complexes))) if complexes else 0


def _offer_keys(offers: pd.DataFrame) -> pd.DataFrame:
    coded = offers[offers["code"].notna()]
    by_group = pd.DataFrame({"offer": coded.index, "key": "g:" + coded["code"].str[:5]})
    by_class = pd.DataFrame({"offer": coded.index, "key": "c:" + coded["code"].str[:2]})
    codeless = offers[offers["code"].isna()]
    by_kind = pd.DataFrame({"offer": codeless.index, "key": "k:" + codeless["kind"]})
    subs = offers["substitutes"].dropna()
    by_material = pd.DataFrame({"offer": subs.index, "key": "m:" + subs})
    return pd.concat([by_group, by_class, by_kind, by_material], ignore_index=True)


def _demand_keys(demands: pd.DataFrame) -> pd.DataFrame:
    rows: list[tuple[int, str, str]] = []
    for idx, accepts, substitutes in zip(demands.index, demands["accepts"], demands["substitutes"], strict=True):
        for accepted in accepts or ():
            if accepted in reference.CODELESS_KINDS:
                rows.append((idx, "k:" + accepted, accepted))
            elif accepted.endswith("-00-00"):
                rows.append((idx, "c:" + accepted[:2], accepted))
            else:
                rows.append((idx, "g:" + accepted[:5], accepted))
        if isinstance(substitutes, str) and substitutes:
            rows.append((idx, "m:" + substitutes, ""))
    return pd.DataFrame(rows, columns=["demand", "key", "accepted"])


def _compatibility(offers: pd.DataFrame, demands: pd.DataFrame) -> pd.DataFrame:
    """(offer, demand, compatibility, distance) for every compatible pair; distance -1 = substitution."""
    pairs = _offer_keys(offers).merge(_demand_keys(demands), on="key")
    if pairs.empty:
        return pd.DataFrame({"offer": [], "demand": [], "compatibility": [], "tree_distance": []})
    kind = pairs["key"].str[0]
    code = offers["code"].to_numpy()[pairs["offer"].to_numpy()] if len(offers) else np.array([])
    code = pd.Series(code, index=pairs.index).fillna("")
    accepted_tail = pairs["accepted"].str[6:]
    exact = (kind == "c") | (kind == "k") | (accepted_tail == "00") | (accepted_tail == code.str[6:])
    distance = np.where(kind == "m", -1, np.where(exact, 0, 1))
    compat = np.where(kind == "m", COMPAT_SUBSTITUTION,
                      np.where(distance == 0, COMPAT_BY_DISTANCE[0], COMPAT_BY_DISTANCE[1]))
    pairs = pairs.assign(compatibility=compat, tree_distance=distance)
    best = pairs.sort_values("compatibility", ascending=False).drop_duplicates(["offer", "demand"])
    return best[["offer", "demand", "compatibility", "tree_distance"]].reset_index(drop=True)


def _permits(pairs: pd.DataFrame, permits: pd.DataFrame) -> pd.DataFrame:
    """For each pair the receiver's most specific permit covering the offer's code (NaN if none)."""
    pairs = pairs.assign(permit_id=np.nan, permit_hazardous=False, permit_capacity=np.nan)
    if permits.empty or pairs.empty:
        return pairs
    table = permits.assign(prefix=permits["code_prefix"].map(_prefix))
    code = pairs["code"].fillna("")
    found = []
    for length in (2, 5, 8):
        keyed = pd.DataFrame({"row": pairs.index, "company_id": pairs["receiver_company_id"].to_numpy(),
                              "prefix": code.str[:length].to_numpy()})
        keyed = keyed[code.str.len().to_numpy() >= length]
        found.append(keyed.merge(table[table["prefix"].str.len() == length], on=["company_id", "prefix"])
                     .assign(length=length))
    covering = pd.concat(found, ignore_index=True)
    if covering.empty:
        return pairs
    # a hazardous permit covers all a non-hazardous one does: prefer it, then the most specific
    best = covering.sort_values(["hazardous", "length"], ascending=[False, False]).drop_duplicates("row")
    rows = best["row"].to_numpy()
    pairs.loc[rows, "permit_id"] = best["permit_id"].to_numpy(dtype=float)
    pairs.loc[rows, "permit_hazardous"] = best["hazardous"].to_numpy(dtype=bool)
    pairs.loc[rows, "permit_capacity"] = best["capacity"].to_numpy(dtype=float)
    return pairs


def specs_within(specs: Mapping[str, float] | None, limits: Mapping[str, Mapping[str, float]] | None) -> str | None:
    """None if every limit of the receiver is met by the offer's specs, else the first failing name.

    A limit whose quantity the offer does not declare fails: what is not stated cannot be checked.
    """
    for name, bound in (limits or {}).items():
        value = (specs or {}).get(name)
        if value is None:
            return name
        if "max" in bound and value > bound["max"]:
            return name
        if "min" in bound and value < bound["min"]:
            return name
    return None


def _exchange_allowed(code: Any) -> bool:
    row = reference.tree(code) if isinstance(code, str) else None
    return row.exchange_allowed if row is not None else True


def _factor(key: str | None, attr: str) -> float:
    factor = reference.factors().get(key or "")
    return float(getattr(factor, attr)) if factor is not None else 0.0


def candidates(offers: pd.DataFrame, demands: pd.DataFrame, permits: pd.DataFrame | None = None, *,
               feedback: pd.DataFrame | None = None, excluded: set[tuple[int, int]] | None = None,
               carbon_price_krw_per_tco2: float = 0.0, max_per_offer: int | None = 30) -> Candidates:
    """Feasible, scored pairs of ``offers`` × ``demands`` (columns: ``OFFER_COLUMNS``, ``DEMAND_COLUMNS``).

    ``permits`` has ``PERMIT_COLUMNS``; ``feedback`` has ``receiver_company_id``, ``group``, ``weight``
    (a multiplier ≤ 1 per receiver and code group, from earlier rejections); ``excluded`` holds
    ``(offer stream_id, demand stream_id)`` pairs that were rejected and are never proposed again.
    ``carbon_price_krw_per_tco2`` [KRW/tCO2e] adds CO2 avoided to the objective.
    Returns the arcs (one row per pair) with ``value_krw_per_unit``, ``co2_kg_per_unit``,
    ``objective_krw_per_unit`` (value + carbon price × CO2, times the feedback weight) and ``score``.
    """
    check_same_complex(offers, demands)
    removed: dict[str, int] = {}
    offers = offers.reset_index(drop=True).copy()
    demands = demands.reset_index(drop=True)
    subs = [reference.substitution_for(c if isinstance(c, str) else None, k)
            for c, k in zip(offers["code"], offers["kind"], strict=True)]
    offers["substitutes"] = [s.material if s else None for s in subs]
    offers["ratio"] = [s.ratio if s else 1.0 for s in subs]
    offers["exchange_allowed"] = [_exchange_allowed(c) for c in offers["code"]]
    compat = _compatibility(offers, demands)
    o = offers.iloc[compat["offer"].to_numpy()].reset_index(drop=True)
    d = demands.iloc[compat["demand"].to_numpy()].reset_index(drop=True)
    pairs = pd.DataFrame({
        "offer_stream_id": o["stream_id"].to_numpy(), "demand_stream_id": d["stream_id"].to_numpy(),
        "supplier_company_id": o["company_id"].to_numpy(), "receiver_company_id": d["company_id"].to_numpy(),
        "kind": o["kind"].to_numpy(), "code": o["code"].to_numpy(), "hazardous": o["hazardous"].to_numpy(dtype=bool),
        "unit": o["unit"].to_numpy(), "demand_unit": d["unit"].to_numpy(),
        "offer_quantity": o["quantity"].to_numpy(dtype=float), "capacity": d["capacity"].to_numpy(dtype=float),
        "variability_pct": o["variability_pct"].to_numpy(dtype=float),
        "exchange_allowed": o["exchange_allowed"].to_numpy(dtype=bool),
        "compatibility": compat["compatibility"].to_numpy(), "tree_distance": compat["tree_distance"].to_numpy(),
        "material": d["substitutes"].to_numpy(), "offer_material": o["substitutes"].to_numpy(),
        "ratio": o["ratio"].to_numpy(dtype=float),
        "treatment": o["treatment"].to_numpy(),
        "treatment_cost_krw_per_unit": o["treatment_cost_krw_per_unit"].to_numpy(dtype=float),
        "virgin_price_krw_per_unit": d["virgin_price_krw_per_unit"].to_numpy(dtype=float),
        "processing_cost_krw_per_unit": d["processing_cost_krw_per_unit"].to_numpy(dtype=float),
        "distance_km": haversine_km(o["lat"].to_numpy(dtype=float), o["lon"].to_numpy(dtype=float),
                                    d["lat"].to_numpy(dtype=float), d["lon"].to_numpy(dtype=float)) * DETOUR,
    })
    pairs["_offer"], pairs["_demand"] = compat["offer"].to_numpy(), compat["demand"].to_numpy()

    def drop(mask: Any, reason: str) -> None:
        nonlocal pairs
        count = int(np.count_nonzero(mask))
        if count:
            removed[reason] = removed.get(reason, 0) + count
            pairs = pairs[~np.asarray(mask)].reset_index(drop=True)

    drop(pairs["supplier_company_id"] == pairs["receiver_company_id"], "same_company")
    drop(pairs["unit"] != pairs["demand_unit"], "unit")
    drop(~pairs["exchange_allowed"], "legal")
    if excluded:
        keys = set(excluded)
        drop(np.fromiter(((a, b) in keys for a, b in zip(pairs["offer_stream_id"], pairs["demand_stream_id"],
                                                           strict=True)), bool, len(pairs)), "rejected_before")
    permits = permits if permits is not None else pd.DataFrame(columns=list(PERMIT_COLUMNS))
    pairs = _permits(pairs, permits)
    drop(pairs["hazardous"] & ~pairs["permit_hazardous"].astype(bool), "hazard_permit")
    drop(pairs["code"].notna() & (pairs["kind"] == "waste") & pairs["permit_id"].isna(), "permit")
    limited = demands["limits"].map(bool).to_numpy()[pairs["_demand"].to_numpy()] if len(pairs) else np.array([])
    if len(pairs) and limited.any():
        specs = offers["specs"].to_numpy()
        limits = demands["limits"].to_numpy()
        fails = np.zeros(len(pairs), bool)
        offer_rows, demand_rows = pairs["_offer"].to_numpy(dtype=int), pairs["_demand"].to_numpy(dtype=int)
        for row in np.flatnonzero(limited):
            fails[row] = specs_within(specs[offer_rows[row]], limits[demand_rows[row]]) is not None
        drop(fails, "specs")

    transport = pairs["unit"].map(TRANSPORT_BY_UNIT)
    krw_km = transport.map(lambda k: _factor(k, "price_krw_per_unit")).astype(float)
    kg_km = transport.map(lambda k: _factor(k, "kgco2e_per_unit")).astype(float)
    virgin_kg = pairs["material"].map(lambda k: _factor(k, "kgco2e_per_unit")).astype(float)
    disposal_kg = pairs["treatment"].map(lambda k: _factor(k, "kgco2e_per_unit")).astype(float)
    # a pair found by code acceptance (not substitution) replaces the receiver's material one for one
    ratio = np.where(pairs["offer_material"] == pairs["material"], pairs["ratio"], 1.0)
    pairs["ratio"] = ratio
    pairs["transport_krw_per_unit"] = pairs["distance_km"] * krw_km
    pairs["avoided_virgin_krw_per_unit"] = ratio * pairs["virgin_price_krw_per_unit"]
    pairs["value_krw_per_unit"] = (pairs["treatment_cost_krw_per_unit"] + pairs["avoided_virgin_krw_per_unit"]
                                   - pairs["transport_krw_per_unit"] - pairs["processing_cost_krw_per_unit"])
    pairs["transport_kg_per_unit"] = pairs["distance_km"] * kg_km
    pairs["avoided_virgin_kg_per_unit"] = ratio * virgin_kg
    pairs["avoided_disposal_kg_per_unit"] = disposal_kg
    pairs["co2_kg_per_unit"] = virgin_kg * ratio + disposal_kg - pairs["transport_kg_per_unit"]

    group = pairs["code"].fillna(pairs["kind"]).astype(str).str[:5]
    weight = np.ones(len(pairs))
    if feedback is not None and len(feedback) and len(pairs):
        lookup = {(int(c), str(g)): float(w) for c, g, w in zip(feedback["receiver_company_id"], feedback["group"],
                                                                 feedback["weight"], strict=True)}
        weight = np.array([lookup.get((int(c), g), 1.0) for c, g in zip(pairs["receiver_company_id"], group,
                                                                        strict=True)])
    pairs["feedback_weight"] = weight
    pairs["objective_krw_per_unit"] = (pairs["value_krw_per_unit"]
                                       + carbon_price_krw_per_tco2 * pairs["co2_kg_per_unit"] / 1000.0) * weight
    drop(pairs["objective_krw_per_unit"] <= 0, "no_net_value")

    low, high = np.minimum(pairs["offer_quantity"], pairs["capacity"]), np.maximum(pairs["offer_quantity"],
                                                                                    pairs["capacity"])
    parts = pd.DataFrame({
        "compatibility": pairs["compatibility"],
        "quantity_fit": np.where(high > 0, low / np.where(high > 0, high, 1), 0.0),
        "distance": 1.0 - np.minimum(pairs["distance_km"], DISTANCE_SCALE_KM) / DISTANCE_SCALE_KM,
        "value": np.clip(pairs["value_krw_per_unit"], 0, None)
        / (np.clip(pairs["value_krw_per_unit"], 0, None) + VALUE_HALF_KRW_PER_UNIT),
        "co2": np.clip(pairs["co2_kg_per_unit"], 0, None)
        / (np.clip(pairs["co2_kg_per_unit"], 0, None) + CO2_HALF_KG_PER_UNIT),
    })
    for name, w in WEIGHTS.items():
        pairs[f"score_{name}"] = parts[name] * w
    pairs["score"] = parts.mul(pd.Series(WEIGHTS)).sum(axis=1) * weight
    if max_per_offer is not None and len(pairs):
        pairs = (pairs.sort_values(["offer_stream_id", "objective_krw_per_unit"], ascending=[True, False])
                 .groupby("offer_stream_id", sort=False).head(max_per_offer))
    arcs = pairs.drop(columns=["_offer", "_demand", "demand_unit", "exchange_allowed", "offer_material"])
    return Candidates(arcs.reset_index(drop=True), removed)


def explain(arc: Mapping[str, Any], quantity: float) -> str:
    """One recommendation in words with its numbers (English; the pages translate the parts)."""
    unit = arc["unit"]
    coded = isinstance(arc["code"], str)
    row = reference.tree(arc["code"]) if coded else None
    if row is not None:
        what = f"{row.name_en} ({arc['code']}{', EU ' + row.ewc_code if row.ewc_code else ''})"
    else:
        what = str(arc["code"] if coded else arc["kind"]).replace("_", " ")
    how = {0: "the same code" if coded else "the same kind", 1: "a sibling code in the same group"}.get(
        int(arc["tree_distance"]), f"a declared substitution for {arc['material']}")
    way = "by road" if unit == "t" else "by pipe"
    money = {k: f"₩{float(arc[k]):,.0f}" for k in (
        "treatment_cost_krw_per_unit", "avoided_virgin_krw_per_unit", "transport_krw_per_unit",
        "processing_cost_krw_per_unit", "value_krw_per_unit")}
    value = quantity * float(arc["value_krw_per_unit"])
    co2_t = quantity * float(arc["co2_kg_per_unit"]) / 1000.0
    return (f"{quantity:,.1f} {unit}/month of {what}{' (hazardous)' if arc['hazardous'] else ''}, "
            f"{float(arc['distance_km']):.1f} km {way}; matched by {how} "
            f"(compatibility {float(arc['compatibility']):.1f}). Per {unit}: avoided treatment "
            f"{money['treatment_cost_krw_per_unit']} + avoided virgin material {money['avoided_virgin_krw_per_unit']}"
            f" − transport {money['transport_krw_per_unit']} − processing {money['processing_cost_krw_per_unit']}"
            f" = {money['value_krw_per_unit']}, so ₩{value:,.0f}/month; CO2 avoided "
            f"{float(arc['co2_kg_per_unit']):,.1f} kg/{unit} = {co2_t:,.2f} t/month. "
            f"Score {float(arc['score']):.0f}/100.")


def reasons(arc: Mapping[str, Any], quantity: float) -> list[dict[str, Any]]:
    """The parts of a recommendation as data (``code``, ``data``), for the API and the pages."""
    return [
        {"code": "material", "data": {"code": arc["code"] if isinstance(arc["code"], str) else None,
                                      "kind": arc["kind"], "tree_distance": int(arc["tree_distance"]),
                                      "compatibility": float(arc["compatibility"]),
                                      "substitutes": arc["material"], "ratio": float(arc["ratio"])}},
        {"code": "quantity", "data": {"quantity": quantity, "unit": arc["unit"],
                                      "offered": float(arc["offer_quantity"]), "capacity": float(arc["capacity"]),
                                      "variability_pct": float(arc["variability_pct"])}},
        {"code": "distance", "data": {"km": round(float(arc["distance_km"]), 2)}},
        {"code": "value", "data": {k: round(float(arc[k])) for k in (
            "treatment_cost_krw_per_unit", "avoided_virgin_krw_per_unit", "transport_krw_per_unit",
            "processing_cost_krw_per_unit", "value_krw_per_unit")}},
        {"code": "co2", "data": {k: round(float(arc[k]), 2) for k in (
            "avoided_virgin_kg_per_unit", "avoided_disposal_kg_per_unit", "transport_kg_per_unit",
            "co2_kg_per_unit")}},
        {"code": "score", "data": {"score": round(float(arc["score"]), 1),
                                   "feedback_weight": float(arc["feedback_weight"]),
                                   **{k: round(float(arc[f"score_{k}"]), 1) for k in WEIGHTS}}},
    ]
