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

from collections.abc import Callable, Mapping
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
    """Feasible pairs (lean, for the optimiser), what the filters removed (warnings as data), and
    :meth:`detail`: the economics, permit and score of chosen rows (by position in ``arcs``)."""

    arcs: pd.DataFrame
    removed: dict[str, int] = field(default_factory=dict)
    _detail: Callable[[np.ndarray | None], pd.DataFrame] | None = None

    def detail(self, rows: np.ndarray | None = None) -> pd.DataFrame:
        """Every column of the rows at positions ``rows`` of ``arcs`` (all rows if None)."""
        if self._detail is None:
            return self.arcs
        return self._detail(rows)


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


_GROUP, _CLASS, _KIND, _MATERIAL = 0, 1, 2, 3  # how an offer's key was formed


def _tail(code: Any) -> int:
    """The last pair of a code as a number (``51-03-01`` → 1, ``51-03-00`` → 0), -1 without a code."""
    return int(code[6:8]) if isinstance(code, str) and len(code) == 8 else -1


def _join(left_keys: np.ndarray, right_keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Row positions (i, j) of every pair with ``left_keys[i] == right_keys[j]`` (an equi-join in numpy)."""
    order = np.argsort(right_keys, kind="stable")
    sorted_keys = right_keys[order]
    lo = np.searchsorted(sorted_keys, left_keys, "left")
    hi = np.searchsorted(sorted_keys, left_keys, "right")
    counts = hi - lo
    left = np.repeat(np.arange(len(left_keys)), counts)
    starts = np.repeat(np.cumsum(counts) - counts, counts)
    right = order[np.arange(int(counts.sum())) - starts + np.repeat(lo, counts)]
    return left, right


def _compatible_pairs(offers: pd.DataFrame, demands: pd.DataFrame, offer_material: list[str | None]
                      ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(offer row, demand row, compatibility, tree distance) of every compatible pair, the best way
    each pair is compatible; distance -1 marks a declared substitution."""
    o_rows: list[tuple[int, str, int, int]] = []  # offer row, key, key type, tail
    for i, (code, kind, material) in enumerate(zip(offers["code"], offers["kind"], offer_material, strict=True)):
        if isinstance(code, str):
            o_rows.append((i, "g:" + code[:5], _GROUP, _tail(code)))
            o_rows.append((i, "c:" + code[:2], _CLASS, _tail(code)))
        else:
            o_rows.append((i, "k:" + str(kind), _KIND, -1))
        if material:
            o_rows.append((i, "m:" + material, _MATERIAL, -1))
    d_rows: list[tuple[int, str, int]] = []  # demand row, key, accepted tail
    for j, (accepts, substitutes) in enumerate(zip(demands["accepts"], demands["substitutes"], strict=True)):
        for accepted in accepts if accepts is not None else ():
            if accepted in reference.CODELESS_KINDS:
                d_rows.append((j, "k:" + accepted, -1))
            elif accepted.endswith("-00-00"):
                d_rows.append((j, "c:" + accepted[:2], -1))
            else:
                d_rows.append((j, "g:" + accepted[:5], _tail(accepted)))
        if isinstance(substitutes, str) and substitutes:
            d_rows.append((j, "m:" + substitutes, -1))
    if not o_rows or not d_rows:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, np.zeros(0), empty
    keys, _ = pd.factorize(pd.Series([r[1] for r in o_rows] + [r[1] for r in d_rows]))
    o_key, d_key = keys[:len(o_rows)], keys[len(o_rows):]
    left, right = _join(o_key, d_key)
    if not len(left):
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, np.zeros(0), empty
    o_row = np.array([r[0] for r in o_rows])[left]
    o_type = np.array([r[2] for r in o_rows])[left]
    o_tail = np.array([r[3] for r in o_rows])[left]
    d_row = np.array([r[0] for r in d_rows])[right]
    d_tail = np.array([r[2] for r in d_rows])[right]
    exact = (o_type == _CLASS) | (o_type == _KIND) | (d_tail == 0) | (d_tail == o_tail)
    substitution = o_type == _MATERIAL
    distance = np.where(substitution, -1, np.where(exact, 0, 1))
    compat = np.where(substitution, COMPAT_SUBSTITUTION,
                      np.where(exact, COMPAT_BY_DISTANCE[0], COMPAT_BY_DISTANCE[1]))
    pair = o_row.astype(np.int64) * max(len(demands), 1) + d_row
    order = np.lexsort((-compat, pair))
    first = np.r_[True, pair[order][1:] != pair[order][:-1]]
    best = order[first]
    return o_row[best], d_row[best], compat[best], distance[best]


def _permit_table(permits: pd.DataFrame, receivers: np.ndarray, code_names: np.ndarray
                  ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per (receiver company, offered code): the covering permit's id, hazardous flag and capacity.

    A hazardous permit covers everything a non-hazardous one does, so it is preferred; then the
    most specific (``51-03-01`` over ``51-03-00`` over ``51-00-00``)."""
    shape = (len(receivers), len(code_names))
    ids, hazardous, capacity = np.full(shape, np.nan), np.zeros(shape, bool), np.full(shape, np.nan)
    priority = np.full(shape, -1)
    row_of = {int(c): i for i, c in enumerate(receivers)}
    covered: dict[str, np.ndarray] = {}
    for pid, company, code_prefix, haz, cap in zip(permits["permit_id"], permits["company_id"],
                                                   permits["code_prefix"], permits["hazardous"], permits["capacity"],
                                                   strict=True):
        r = row_of.get(int(company))
        if r is None:
            continue
        prefix = _prefix(str(code_prefix))
        if prefix not in covered:
            covered[prefix] = np.flatnonzero(np.char.startswith(code_names.astype(str), prefix)) \
                if len(code_names) else np.zeros(0, dtype=np.int64)
        cols = covered[prefix]
        rank = int(bool(haz)) * 10 + len(prefix)
        better = cols[priority[r, cols] < rank]
        priority[r, better] = rank
        ids[r, better] = float(pid)
        hazardous[r, better] = bool(haz)
        capacity[r, better] = np.nan if cap is None or pd.isna(cap) else float(cap)
    return ids, hazardous, capacity


def _spec_failures(offers: pd.DataFrame, demands: pd.DataFrame, oi: np.ndarray, di: np.ndarray) -> np.ndarray:
    """Per pair: whether a limit of the receiver is not met (or not declared) by the offer's specs."""
    fails = np.zeros(len(oi), bool)
    names = sorted({name for limits in demands["limits"] if limits for name in limits})
    for name in names:
        value = np.array([float(s.get(name, np.nan)) if s else np.nan for s in offers["specs"]])
        low = np.array([float(lim.get(name, {}).get("min", np.nan)) if lim else np.nan for lim in demands["limits"]])
        high = np.array([float(lim.get(name, {}).get("max", np.nan)) if lim else np.nan for lim in demands["limits"]])
        limited = np.array([bool(lim) and name in lim for lim in demands["limits"]])
        v = value[oi]
        fails |= limited[di] & (np.isnan(v) | (v > high[di]) | (v < low[di]))
    return fails


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


def _factors(keys: Any, attr: str) -> np.ndarray:
    """A factor attribute per key (0 for a missing or unknown key)."""
    table = reference.factors()
    return np.array([float(getattr(table[k], attr)) if isinstance(k, str) and k in table else 0.0 for k in keys])


def candidates(offers: pd.DataFrame, demands: pd.DataFrame, permits: pd.DataFrame | None = None, *,
               feedback: pd.DataFrame | None = None, excluded: set[tuple[int, int]] | None = None,
               carbon_price_krw_per_tco2: float = 0.0) -> Candidates:
    """Feasible, scored pairs of ``offers`` × ``demands`` (columns: ``OFFER_COLUMNS``, ``DEMAND_COLUMNS``).

    ``permits`` has ``PERMIT_COLUMNS``; ``feedback`` has ``receiver_company_id``, ``group``, ``weight``
    (a multiplier ≤ 1 per receiver and code group, from earlier rejections); ``excluded`` holds
    ``(offer stream_id, demand stream_id)`` pairs that were rejected and are never proposed again.
    ``carbon_price_krw_per_tco2`` [KRW/tCO2e] adds CO2 avoided to the objective.
    Returns every feasible pair with a positive objective as a lean ``arcs`` frame (what the
    optimiser needs: stream ids, quantity, capacity, permit, value, CO2, and
    ``objective_krw_per_unit`` = value + carbon price × CO2, times the feedback weight);
    :meth:`Candidates.detail` adds the economics, permit and score of chosen rows.
    Every filter runs on integer arrays over the pairs (20,000 streams give millions of pairs).
    """
    check_same_complex(offers, demands)
    offers, demands = offers.reset_index(drop=True), demands.reset_index(drop=True)
    permits = permits if permits is not None else pd.DataFrame(columns=list(PERMIT_COLUMNS))
    subs = [reference.substitution_for(c if isinstance(c, str) else None, str(k))
            for c, k in zip(offers["code"], offers["kind"], strict=True)]
    offer_material = [s.material if s else None for s in subs]
    oi, di, compat, distance = _compatible_pairs(offers, demands, offer_material)
    removed: dict[str, int] = {}

    # per-stream arrays, gathered per pair below
    o_company = offers["company_id"].to_numpy(dtype=np.int64)
    d_company = demands["company_id"].to_numpy(dtype=np.int64)
    o_unit, d_unit = offers["unit"].to_numpy(dtype=object), demands["unit"].to_numpy(dtype=object)
    o_allowed = np.array([_exchange_allowed(c) for c in offers["code"]], dtype=bool)
    o_hazardous = offers["hazardous"].to_numpy(dtype=bool)
    o_coded = np.array([isinstance(c, str) for c in offers["code"]], dtype=bool)
    o_waste = (offers["kind"] == "waste").to_numpy()
    code_ids, code_names = pd.factorize(offers["code"].where(o_coded, None))
    receivers = np.unique(d_company)
    d_receiver = np.searchsorted(receivers, d_company)
    permit_id, permit_hazardous, permit_capacity = _permit_table(permits, receivers, np.asarray(code_names))

    def keep(mask: np.ndarray, reason: str) -> None:
        nonlocal oi, di, compat, distance
        count = int(np.count_nonzero(~mask))
        if count:
            removed[reason] = removed.get(reason, 0) + count
            oi, di, compat, distance = oi[mask], di[mask], compat[mask], distance[mask]

    keep(o_company[oi] != d_company[di], "same_company")
    units, _ = pd.factorize(np.concatenate([o_unit, d_unit]))
    keep(units[:len(o_unit)][oi] == units[len(o_unit):][di], "unit")
    keep(o_allowed[oi], "legal")
    if excluded:
        sid_o, sid_d = offers["stream_id"].to_numpy(dtype=np.int64), demands["stream_id"].to_numpy(dtype=np.int64)
        scale = int(max(sid_d.max(initial=0), max((b for _, b in excluded), default=0))) + 1
        gone = np.array([a * scale + b for a, b in excluded], dtype=np.int64)
        keep(~np.isin(sid_o[oi] * scale + sid_d[di], gone), "rejected_before")

    def permit_of(o: np.ndarray, d: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The receiver's covering permit per pair: id (NaN if none), hazardous, capacity (NaN if none)."""
        code = code_ids[o]
        if not permit_id.size:
            return np.full(len(o), np.nan), np.zeros(len(o), bool), np.full(len(o), np.nan)
        cell = (d_receiver[d], np.where(code >= 0, code, 0))
        coded = code >= 0
        return (np.where(coded, permit_id[cell], np.nan), coded & permit_hazardous[cell],
                np.where(coded, permit_capacity[cell], np.nan))

    held, held_hazardous, _ = permit_of(oi, di)
    no_hazard_permit = o_hazardous[oi] & ~held_hazardous
    no_permit = o_coded[oi] & o_waste[oi] & np.isnan(held)
    keep(~no_hazard_permit, "hazard_permit")
    keep(~no_permit[~no_hazard_permit], "permit")
    keep(~_spec_failures(offers, demands, oi, di), "specs")

    # economics per unit
    lat_o, lon_o = offers["lat"].to_numpy(dtype=float), offers["lon"].to_numpy(dtype=float)
    lat_d, lon_d = demands["lat"].to_numpy(dtype=float), demands["lon"].to_numpy(dtype=float)
    km = haversine_km(lat_o[oi], lon_o[oi], lat_d[di], lon_d[di]) * DETOUR
    transport = [TRANSPORT_BY_UNIT.get(str(u)) for u in o_unit]
    krw_km, kg_km = _factors(transport, "price_krw_per_unit"), _factors(transport, "kgco2e_per_unit")
    disposal_kg = _factors(offers["treatment"], "kgco2e_per_unit")
    virgin_kg = _factors(demands["substitutes"], "kgco2e_per_unit")
    d_material = demands["substitutes"].to_numpy(dtype=object)
    o_ratio = np.array([s.ratio if s else 1.0 for s in subs])
    o_material = np.array(offer_material, dtype=object)
    # a pair found by code acceptance (not substitution) replaces the receiver's material one for one
    ratio = np.where(o_material[oi] == d_material[di], o_ratio[oi], 1.0)
    treatment_cost = offers["treatment_cost_krw_per_unit"].to_numpy(dtype=float)[oi]
    price = demands["virgin_price_krw_per_unit"].to_numpy(dtype=float)[di]
    processing = demands["processing_cost_krw_per_unit"].to_numpy(dtype=float)[di]
    transport_krw = km * krw_km[oi]
    value = treatment_cost + ratio * price - transport_krw - processing
    transport_kg = km * kg_km[oi]
    co2 = ratio * virgin_kg[di] + disposal_kg[oi] - transport_kg

    weight = np.ones(len(oi))
    if feedback is not None and len(feedback) and len(oi):
        group = np.array([str(c)[:5] if isinstance(c, str) else str(k)[:5]
                          for c, k in zip(offers["code"], offers["kind"], strict=True)], dtype=object)
        for company, grp, w in zip(feedback["receiver_company_id"], feedback["group"], feedback["weight"],
                                   strict=True):
            weight[(d_company[di] == int(company)) & (group[oi] == str(grp))] *= float(w)
    objective = (value + carbon_price_krw_per_tco2 * co2 / 1000.0) * weight
    positive = objective > 0
    if not positive.all():
        removed["no_net_value"] = removed.get("no_net_value", 0) + int(np.count_nonzero(~positive))
    sel = np.flatnonzero(positive)
    o, d = oi[sel], di[sel]
    p_id, _, p_cap = permit_of(o, d)
    arcs = pd.DataFrame({
        "offer_stream_id": offers["stream_id"].to_numpy()[o], "demand_stream_id": demands["stream_id"].to_numpy()[d],
        "offer_quantity": offers["quantity"].to_numpy(dtype=float)[o],
        "capacity": demands["capacity"].to_numpy(dtype=float)[d], "permit_id": p_id, "permit_capacity": p_cap,
        "objective_krw_per_unit": objective[sel], "value_krw_per_unit": value[sel], "co2_kg_per_unit": co2[sel]})
    def detail(rows: np.ndarray | None = None) -> pd.DataFrame:
        pick = np.arange(len(sel)) if rows is None else np.asarray(rows, dtype=np.int64)
        s_ = sel[pick]
        o_, d_ = oi[s_], di[s_]
        out = arcs.iloc[pick].reset_index(drop=True)
        _, p_haz, _ = permit_of(o_, d_)
        quantity, capacity = out["offer_quantity"].to_numpy(), out["capacity"].to_numpy()
        extra = pd.DataFrame({
            "supplier_company_id": o_company[o_], "receiver_company_id": d_company[d_],
            "kind": offers["kind"].to_numpy(dtype=object)[o_], "code": offers["code"].to_numpy(dtype=object)[o_],
            "hazardous": o_hazardous[o_], "unit": o_unit[o_],
            "variability_pct": offers["variability_pct"].to_numpy(dtype=float)[o_],
            "compatibility": compat[s_], "tree_distance": distance[s_], "material": d_material[d_],
            "ratio": ratio[s_], "treatment": offers["treatment"].to_numpy(dtype=object)[o_],
            "treatment_cost_krw_per_unit": treatment_cost[s_], "virgin_price_krw_per_unit": price[s_],
            "processing_cost_krw_per_unit": processing[s_], "distance_km": km[s_], "permit_hazardous": p_haz,
            "transport_krw_per_unit": transport_krw[s_], "avoided_virgin_krw_per_unit": ratio[s_] * price[s_],
            "transport_kg_per_unit": transport_kg[s_], "avoided_virgin_kg_per_unit": ratio[s_] * virgin_kg[d_],
            "avoided_disposal_kg_per_unit": disposal_kg[o_], "feedback_weight": weight[s_]})
        out = pd.concat([out, extra], axis=1)
        high = np.maximum(quantity, capacity)
        parts = {
            "compatibility": compat[s_],
            "quantity_fit": np.divide(np.minimum(quantity, capacity), high, out=np.zeros(len(s_)), where=high > 0),
            "distance": 1.0 - np.minimum(km[s_], DISTANCE_SCALE_KM) / DISTANCE_SCALE_KM,
            "value": np.clip(value[s_], 0, None) / (np.clip(value[s_], 0, None) + VALUE_HALF_KRW_PER_UNIT),
            "co2": np.clip(co2[s_], 0, None) / (np.clip(co2[s_], 0, None) + CO2_HALF_KG_PER_UNIT)}
        score = np.zeros(len(s_))
        for name, w in WEIGHTS.items():
            out[f"score_{name}"] = parts[name] * w
            score += parts[name] * w
        out["score"] = score * weight[s_]
        return out

    return Candidates(arcs, removed, detail)


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
