"""Use cases of the circular domain: streams, permits, matching runs, decisions, flows.

Disclosure: a company's streams are read only by that company (and the operator of its complex)
through the one access policy.  Matching needs every stream of a complex, and a decision on one
side must reach the other side's row; both are done by the **broker** (:func:`_broker`), the
platform acting for a moment with its own rights inside the service, never handing rows to the
caller.  What leaves the broker is, per side, an anonymised summary of the counterpart (material,
code, hazard, quantity, distance, value, CO2 — no name, id or location).  Names are written into
both sides' rows only when both have agreed (accepted or asked to be introduced).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from sandan.circular import matching, optimise, reference
from sandan.circular.models import Decision, Direction, Permit, Recommendation, Side, Stream, StreamKind
from sandan.circular.schemas import DecisionCreate, MatchingRun, PermitCreate, StreamCreate
from sandan.core.auth.policy import Principal
from sandan.core.brn import normalise_brn
from sandan.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from sandan.core.tenancy.models import Company, Complex
from sandan.core.timeutil import now_utc

#: Each rejection of a receiver for a code group halves later scores and objective weights of that pair.
REJECTION_WEIGHT = 0.5
CONSENT = (Decision.accepted, Decision.introduce)
UNIT_OF_KIND = {StreamKind.heat: "GJ", StreamKind.waste_water: "m3"}


@contextmanager
def _broker(session: Session) -> Iterator[None]:
    """Act as the platform for the block (matching, the other side of a decision), then restore."""
    previous = session.info.get("principal")
    session.info["principal"] = Principal.system("circular-broker")
    try:
        yield
    finally:
        session.info["principal"] = previous


def _company(session: Session, company_id: int) -> Company:
    company = session.execute(select(Company).where(Company.id == company_id)).scalar_one_or_none()
    if company is None:
        raise NotFound(f"company {company_id} not found")
    return company


def _complex(session: Session, complex_id: int) -> Complex:
    row = session.execute(select(Complex).where(Complex.id == complex_id)).scalar_one_or_none()
    if row is None:
        raise NotFound(f"complex {complex_id} not found")
    return row


# --- reference -----------------------------------------------------------------------------------

def reference_codes() -> list[dict[str, Any]]:
    return [{"code": c.code, "level": c.level, "name_ko": c.name_ko, "name_en": c.name_en, "hazardous": c.hazardous,
             "exchange_allowed": c.exchange_allowed, "legal_note": c.legal_note, "ewc_code": c.ewc_code,
             "ewc_hazardous": reference.ewc_codes()[c.ewc_code].hazardous if c.ewc_code in reference.ewc_codes()
             else None, "source": c.source, "version": c.version, "verified": c.verified}
            for c in reference.kr_codes().values()]


def reference_factors() -> list[dict[str, Any]]:
    return [vars(f) for f in reference.factors().values()]


# --- streams -------------------------------------------------------------------------------------

def _check_code(code: str, field: str) -> None:
    """A listed code, or a code under a listed group (the table is a representative subset)."""
    table = reference.kr_codes()
    if not reference.KR_CODE.match(code) or (code not in table and code[:5] + "-00" not in table):
        raise InvalidInput(f"unknown Korean waste class '{code}': use a code of GET /circular/reference/codes "
                           "(XX-XX-XX)", field=field)


def create_stream(session: Session, company_id: int, data: StreamCreate) -> Stream:
    """Validate against the reference tables, derive the EU code and hazard, store."""
    company = _company(session, company_id)
    unit = UNIT_OF_KIND.get(data.kind, "t")
    if data.direction == Direction.out and data.unit != unit:
        raise InvalidInput(f"a {data.kind} stream is measured in {unit}, not {data.unit}", field="unit")
    if data.direction == Direction.out and data.kind == StreamKind.raw_material:
        raise InvalidInput("a raw material is an incoming stream (direction 'in')", field="kind")
    if data.direction == Direction.in_ and data.kind != StreamKind.raw_material:
        raise InvalidInput("an incoming stream is of kind raw_material", field="kind")
    ewc = data.ewc_code
    hazardous = bool(data.hazardous)
    if data.direction == Direction.out and data.kind in (StreamKind.waste, StreamKind.by_product):
        if data.kr_code is None:
            raise InvalidInput("a waste or by-product needs its Korean waste class (kr_code)", field="kr_code")
        _check_code(data.kr_code, "kr_code")
        row = reference.tree(data.kr_code)
        assert row is not None
        derived_ewc = reference.kr_codes()[data.kr_code].ewc_code if data.kr_code in reference.kr_codes() else None
        if ewc is not None and ewc not in reference.ewc_codes():
            raise InvalidInput(f"unknown EU List of Waste entry '{ewc}' (NN NN NN, '*' for hazardous entries)",
                               field="ewc_code")
        ewc = ewc or derived_ewc
        derived = row.hazardous or bool(ewc and reference.ewc_codes()[ewc].hazardous)
        if data.hazardous is False and derived:
            raise InvalidInput(f"{data.kr_code}{' / ' + ewc if ewc else ''} is a hazardous class (지정폐기물); "
                               "it cannot be declared non-hazardous", field="hazardous")
        hazardous = derived or bool(data.hazardous)
    elif data.kr_code is not None or data.ewc_code is not None:
        raise InvalidInput("only outgoing waste and by-products carry waste codes; an incoming stream lists "
                           "what it accepts in 'accepts'", field="kr_code")
    elif data.hazardous:
        raise InvalidInput("only a coded waste or by-product can be hazardous", field="hazardous")
    for i, accepted in enumerate(data.accepts):
        if accepted not in reference.CODELESS_KINDS:
            _check_code(accepted, f"accepts.{i}")
    if data.substitutes is not None:
        factor = reference.factors().get(data.substitutes)
        if factor is None or factor.kind != "virgin":
            raise InvalidInput(f"unknown virgin material '{data.substitutes}': use a key of "
                               "GET /circular/reference/factors (kind virgin)", field="substitutes")
    if data.direction == Direction.in_ and not data.accepts and data.substitutes is None:
        raise InvalidInput("an incoming stream says what it can take: 'accepts' and/or 'substitutes'",
                           field="accepts")
    for name, bound in data.limits.items():
        if bound.min is not None and bound.max is not None and bound.min > bound.max:
            raise InvalidInput(f"limit '{name}': min is above max", field=f"limits.{name}")
    receiver_id = None
    if data.current_receiver_brn is not None:
        receiver_id = _receiver_in_complex(session, company, data.current_receiver_brn)
    virgin_price = data.virgin_price_krw_per_unit
    if virgin_price is None:
        virgin_price = reference.factors()[data.substitutes].price_krw_per_unit if data.substitutes else 0
    stream = Stream(company_id=company.id, direction=data.direction, kind=data.kind, material=data.material,
                    kr_code=data.kr_code, ewc_code=ewc, hazardous=hazardous, unit=data.unit,
                    quantity_per_month=data.quantity_per_month, variability_pct=data.variability_pct,
                    specs=dict(data.specs), limits={k: v.model_dump(exclude_none=True) for k, v in data.limits.items()},
                    accepts=list(data.accepts), substitutes=data.substitutes, treatment=data.treatment,
                    treatment_cost_krw_per_unit=data.treatment_cost_krw_per_unit,
                    virgin_price_krw_per_unit=virgin_price,
                    processing_cost_krw_per_unit=data.processing_cost_krw_per_unit,
                    current_receiver_company_id=receiver_id,
                    lat=data.lat if data.lat is not None else company.lat,
                    lon=data.lon if data.lon is not None else company.lon)
    session.add(stream)
    session.flush()
    return stream


def _receiver_in_complex(session: Session, company: Company, brn: str) -> int:
    """The id of the company with registration number ``brn`` if it is in ``company``'s complex.

    Read by the broker: the generator names its receiver, which it need not be able to read."""
    try:
        number = normalise_brn(brn)
    except InvalidInput as error:
        raise InvalidInput(error.detail, field="current_receiver_brn") from error
    with _broker(session):
        found = session.execute(select(Company.id, Company.complex_id).where(Company.brn == number)).first()
    if found is None or found.complex_id != company.complex_id:
        raise InvalidInput(f"the receiver {number} is not a company of this complex: exchanges are matched "
                           "inside one complex", field="current_receiver_brn")
    if found.id == company.id:
        raise InvalidInput("a company is not its own receiver", field="current_receiver_brn")
    return int(found.id)


def list_streams(session: Session, company_id: int) -> list[Stream]:
    _company(session, company_id)
    return list(session.execute(select(Stream).where(Stream.company_id == company_id).order_by(Stream.id)).scalars())


def get_stream(session: Session, stream_id: int) -> Stream:
    stream = session.execute(select(Stream).where(Stream.id == stream_id)).scalar_one_or_none()
    if stream is None:
        raise NotFound(f"stream {stream_id} not found")
    return stream


def archive_stream(session: Session, stream_id: int) -> Stream:
    """Take a stream off the market: later runs ignore it; decided recommendations stay on record."""
    stream = get_stream(session, stream_id)
    stream.active = False
    session.flush()
    return stream


# --- permits -------------------------------------------------------------------------------------

def create_permit(session: Session, company_id: int, data: PermitCreate) -> Permit:
    company = _company(session, company_id)
    _check_code(data.code_prefix, "code_prefix")
    permit = Permit(company_id=company.id, permit_no=data.permit_no, code_prefix=data.code_prefix,
                    hazardous=data.hazardous, capacity_per_month=data.capacity_per_month, valid_until=data.valid_until)
    session.add(permit)
    session.flush()
    return permit


def list_permits(session: Session, company_id: int) -> list[Permit]:
    _company(session, company_id)
    return list(session.execute(select(Permit).where(Permit.company_id == company_id).order_by(Permit.id)).scalars())


def delete_permit(session: Session, permit_id: int) -> None:
    permit = session.execute(select(Permit).where(Permit.id == permit_id)).scalar_one_or_none()
    if permit is None:
        raise NotFound(f"permit {permit_id} not found")
    session.delete(permit)
    session.flush()


# --- matching ------------------------------------------------------------------------------------

def frames(streams: list[Stream], companies: dict[int, Company], permits: list[Permit],
           today: dt.date) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Offers, demands and valid permits as the DataFrames :mod:`sandan.circular.matching` takes."""
    offers = [{"stream_id": s.id, "company_id": s.company_id, "complex_id": companies[s.company_id].complex_id,
               "kind": str(s.kind), "code": s.kr_code, "hazardous": s.hazardous, "unit": s.unit,
               "quantity": s.quantity_per_month, "variability_pct": s.variability_pct, "specs": s.specs,
               "lat": s.lat, "lon": s.lon, "treatment": str(s.treatment) if s.treatment else None,
               "treatment_cost_krw_per_unit": s.treatment_cost_krw_per_unit}
              for s in streams if s.direction == Direction.out]
    demands = [{"stream_id": s.id, "company_id": s.company_id, "complex_id": companies[s.company_id].complex_id,
                "accepts": s.accepts, "substitutes": s.substitutes, "unit": s.unit, "capacity": s.quantity_per_month,
                "limits": s.limits, "lat": s.lat, "lon": s.lon,
                "virgin_price_krw_per_unit": s.virgin_price_krw_per_unit,
                "processing_cost_krw_per_unit": s.processing_cost_krw_per_unit}
               for s in streams if s.direction == Direction.in_]
    permit_rows = [{"permit_id": p.id, "company_id": p.company_id, "code_prefix": p.code_prefix,
                    "hazardous": p.hazardous, "capacity": p.capacity_per_month}
                   for p in permits if p.valid_until is None or p.valid_until >= today]
    return (pd.DataFrame(offers, columns=list(matching.OFFER_COLUMNS)),
            pd.DataFrame(demands, columns=list(matching.DEMAND_COLUMNS)),
            pd.DataFrame(permit_rows, columns=list(matching.PERMIT_COLUMNS)))


def _located(frame: pd.DataFrame) -> pd.DataFrame:
    """Streams without a location cannot be priced for transport: left out (counted by the caller)."""
    return frame[frame["lat"].notna() & frame["lon"].notna()]


def run_matching(session: Session, complex_id: int, params: MatchingRun) -> dict[str, Any]:
    """Match every active stream of a complex, optimise, and write each assignment as two side rows.

    Only the platform and the complex's operator start a run.  Rows nobody decided on are replaced;
    decided pairs are kept and never proposed again; accepted quantities are taken off what is
    offered and what receivers take before optimising.
    """
    principal: Principal = session.info["principal"]
    _complex(session, complex_id)
    if not (principal.is_admin or complex_id in principal.complexes_operated):
        raise Forbidden("only the platform or the operator of this complex starts a matching run")
    with _broker(session):
        companies = {c.id: c for c in
                     session.execute(select(Company).where(Company.complex_id == complex_id)).scalars()}
        streams = list(session.execute(select(Stream).where(Stream.company_id.in_(companies), Stream.active)).scalars())
        permits = list(session.execute(select(Permit).where(Permit.company_id.in_(companies))).scalars())
        session.execute(delete(Recommendation).where(Recommendation.complex_id == complex_id,
                                                     Recommendation.decision == Decision.pending,
                                                     Recommendation.counterpart_decision == Decision.pending))
        kept = list(session.execute(select(Recommendation).where(Recommendation.complex_id == complex_id)).scalars())
        run_no = int(session.execute(select(func.coalesce(func.max(Recommendation.run_no), 0))
                                     .where(Recommendation.complex_id == complex_id)).scalar_one()) + 1
        offers, demands, permit_frame = frames(streams, companies, permits, now_utc().date())
        offers, demands = _located(offers), _located(demands)
        excluded, feedback, used = _history(kept, {s.id: s for s in streams})
        offers = offers.assign(quantity=offers["quantity"] - offers["stream_id"].map(used).fillna(0.0))
        demands = demands.assign(capacity=demands["capacity"] - demands["stream_id"].map(used).fillna(0.0))
        offers, demands = offers[offers["quantity"] > 0], demands[demands["capacity"] > 0]
        found = matching.candidates(offers, demands, permit_frame, feedback=feedback, excluded=excluded,
                                    carbon_price_krw_per_tco2=params.carbon_price_krw_per_tco2)
        best = optimise.solve(found.arcs)
        baseline = optimise.greedy(found.arcs)
        rows = np.flatnonzero(best.arcs["quantity"].to_numpy() > 1e-6)
        assigned = found.detail(rows).assign(quantity=best.arcs["quantity"].to_numpy()[rows])
        stream_by_id = {s.id: s for s in streams}
        created = 0
        for arc in assigned.to_dict("records"):
            created += _write_pair(session, complex_id, run_no, arc, stream_by_id, companies)
        session.flush()
    return {"complex_id": complex_id, "run_no": run_no, "offers": len(offers), "demands": len(demands),
            "candidate_pairs": len(found.arcs), "removed": found.removed, "assigned_pairs": len(assigned),
            "recommendations_created": created, "value_krw_per_month": round(best.value_krw),
            "co2_t_per_month": round(best.co2_kg / 1000.0, 3), "greedy_value_krw_per_month": round(baseline.value_krw),
            "status": best.status}


def _group(stream: Stream) -> str:
    return (stream.kr_code or str(stream.kind))[:5]


def _history(kept: list[Recommendation], streams: dict[int, Stream]
             ) -> tuple[set[tuple[int, int]], pd.DataFrame, dict[int, float]]:
    """From decided rows: pairs never to propose again, feedback weights, quantities already accepted."""
    excluded: set[tuple[int, int]] = set()
    weights: dict[tuple[int, str], float] = {}
    used: dict[int, float] = {}
    for rec in kept:
        offer_id, demand_id = ((rec.stream_id, rec.counterpart_stream_id) if rec.side == Side.supplier
                               else (rec.counterpart_stream_id, rec.stream_id))
        excluded.add((offer_id, demand_id))
        offer = streams.get(offer_id)
        if rec.side == Side.receiver and rec.decision == Decision.rejected and offer is not None:
            key = (rec.company_id, _group(offer))
            weights[key] = weights.get(key, 1.0) * REJECTION_WEIGHT
        if rec.decision == Decision.accepted and rec.counterpart_decision == Decision.accepted:
            used[rec.stream_id] = used.get(rec.stream_id, 0.0) + rec.quantity_per_month
    feedback = pd.DataFrame([(c, g, w) for (c, g), w in weights.items()],
                            columns=["receiver_company_id", "group", "weight"])
    return excluded, feedback, used


def _summary(stream: Stream, company: Company) -> dict[str, Any]:
    """What one side learns of the other before consent: the stream, not the company."""
    return {"direction": str(stream.direction), "kind": str(stream.kind), "material": stream.material,
            "kr_code": stream.kr_code, "ewc_code": stream.ewc_code, "hazardous": stream.hazardous,
            "quantity_per_month": stream.quantity_per_month, "unit": stream.unit,
            "variability_pct": stream.variability_pct, "size_class": str(company.size_class),
            "sector": company.ksic_code[:2]}


def _write_pair(session: Session, complex_id: int, run_no: int, arc: dict[Any, Any], streams: dict[int, Stream],
                companies: dict[int, Company]) -> int:
    offer, demand = streams[int(arc["offer_stream_id"])], streams[int(arc["demand_stream_id"])]
    quantity = float(arc["quantity"])
    key = f"{complex_id}-{run_no}-{offer.id}-{demand.id}"
    common = {"complex_id": complex_id, "run_no": run_no, "pair_key": key, "unit": offer.unit,
              "quantity_per_month": quantity, "value_krw_per_month": round(quantity * float(arc["value_krw_per_unit"])),
              "co2_kg_per_month": quantity * float(arc["co2_kg_per_unit"]), "score": float(arc["score"]),
              "distance_km": round(float(arc["distance_km"]), 2),
              "explanation": matching.explain(arc, quantity)[:1000],
              "reasons": _jsonable(matching.reasons(arc, quantity))}
    session.add(Recommendation(company_id=offer.company_id, side=Side.supplier, stream_id=offer.id,
                               counterpart_stream_id=demand.id, counterpart_company_id=demand.company_id,
                               counterpart=_summary(demand, companies[demand.company_id]), **common))
    session.add(Recommendation(company_id=demand.company_id, side=Side.receiver, stream_id=demand.id,
                               counterpart_stream_id=offer.id, counterpart_company_id=offer.company_id,
                               counterpart=_summary(offer, companies[offer.company_id]), **common))
    return 2


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, float) and not np.isfinite(value):
        return None
    return value


# --- recommendations -----------------------------------------------------------------------------

def list_recommendations(session: Session, company_id: int) -> list[Recommendation]:
    _company(session, company_id)
    return list(session.execute(select(Recommendation).where(Recommendation.company_id == company_id)
                                .order_by(Recommendation.score.desc(), Recommendation.id)).scalars())


def decide(session: Session, recommendation_id: int, data: DecisionCreate) -> Recommendation:
    """Accept, reject (with a reason) or ask for an introduction on one's own side; the broker tells
    the other side what was decided, and names both companies to each other once both agreed."""
    own = session.execute(select(Recommendation).where(Recommendation.id == recommendation_id)).scalar_one_or_none()
    if own is None:
        raise NotFound(f"recommendation {recommendation_id} not found")
    if own.disclosed is not None:
        raise Conflict("both sides agreed and were introduced; the decision can no longer change")
    decision = Decision(data.decision)
    if decision == Decision.rejected and data.reason is None:
        raise InvalidInput("say why the recommendation is rejected (reason): it tunes later scores", field="reason")
    own.decision = decision
    own.reject_reason = data.reason if decision == Decision.rejected else None
    own.note = data.note
    own.decided_at = now_utc()
    session.flush()  # the policy checks the caller may write its own side before the broker acts
    with _broker(session):
        other = session.execute(select(Recommendation).where(Recommendation.pair_key == own.pair_key,
                                                             Recommendation.id != own.id)).scalar_one_or_none()
        if other is not None:
            other.counterpart_decision = decision
            if decision in CONSENT and other.decision in CONSENT:
                own.disclosed = _identity(session, other.company_id)
                other.disclosed = _identity(session, own.company_id)
        session.flush()
    return own


def _identity(session: Session, company_id: int) -> dict[str, Any]:
    company = session.get(Company, company_id)
    assert company is not None
    return {"company_id": company.id, "name": company.name, "name_en": company.name_en, "brn": company.brn,
            "lat": company.lat, "lon": company.lon}


# --- the symbiosis map ---------------------------------------------------------------------------

def flows(session: Session, complex_id: int) -> list[dict[str, Any]]:
    """The flows of a complex the caller may see: existing (declared receivers), proposed and accepted.

    A company sees the flows of its own streams, the counterpart located only once disclosed; the
    operator sees every flow of its complex with both ends (it reads every company of it).
    """
    _complex(session, complex_id)
    visible = {c.id: c for c in session.execute(select(Company).where(Company.complex_id == complex_id)).scalars()}
    out: list[dict[str, Any]] = []
    streams = list(session.execute(select(Stream).where(Stream.company_id.in_(visible), Stream.active,
                                                        Stream.current_receiver_company_id.is_not(None))).scalars())
    receivers = {s.current_receiver_company_id for s in streams}
    with _broker(session):
        named = {c.id: c for c in session.execute(select(Company).where(Company.id.in_(receivers))).scalars()}
    for s in streams:
        target = named.get(s.current_receiver_company_id or 0)
        out.append({"key": f"existing-{s.id}", "status": "existing", "kind": str(s.kind), "material": s.material,
                    "kr_code": s.kr_code, "hazardous": s.hazardous, "quantity_per_month": s.quantity_per_month,
                    "unit": s.unit, "value_krw_per_month": None, "co2_kg_per_month": None,
                    "source": _end(visible[s.company_id]), "target": _end(target) if target else None})
    recs = list(session.execute(select(Recommendation).where(Recommendation.complex_id == complex_id)
                                .order_by(Recommendation.id)).scalars())
    by_pair: dict[str, dict[Side, Recommendation]] = {}
    for rec in recs:
        by_pair.setdefault(rec.pair_key, {})[rec.side] = rec
    for key, sides in by_pair.items():
        any_side = next(iter(sides.values()))
        decisions = {any_side.decision, any_side.counterpart_decision}
        if Decision.rejected in decisions:
            continue
        status = "accepted" if decisions == {Decision.accepted} else "proposed"
        ends: dict[Side, dict[str, Any] | None] = {}
        for side in (Side.supplier, Side.receiver):
            mine = sides.get(side)
            if mine is not None:
                ends[side] = _end(visible[mine.company_id])
            else:
                seen = sides[Side.receiver if side == Side.supplier else Side.supplier]
                ends[side] = ({"company_id": seen.disclosed["company_id"], "name": seen.disclosed["name"],
                               "lat": seen.disclosed["lat"], "lon": seen.disclosed["lon"]} if seen.disclosed else None)
        if Side.receiver in sides:
            material = sides[Side.receiver].counterpart
        else:
            own_offer = session.get(Stream, sides[Side.supplier].stream_id)
            material = _summary(own_offer, visible[own_offer.company_id]) if own_offer else {}
        out.append({"key": key, "status": status, "kind": material.get("kind"), "material": material.get("material"),
                    "kr_code": material.get("kr_code"), "hazardous": material.get("hazardous"),
                    "quantity_per_month": any_side.quantity_per_month, "unit": any_side.unit,
                    "value_krw_per_month": any_side.value_krw_per_month, "co2_kg_per_month": any_side.co2_kg_per_month,
                    "source": ends[Side.supplier], "target": ends[Side.receiver]})
    return out


def _end(company: Company) -> dict[str, Any]:
    return {"company_id": company.id, "name": company.name, "lat": company.lat, "lon": company.lon}
