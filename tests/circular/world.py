"""Circular rows of the API test world (tests/api/support.py): per tenant an offered stream, a
stream it could take in, a permit, and one side of a recommendation (A's and B's sides are the two
sides of one pair; C, alone in its complex, is paired with itself)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from sandan.circular.models import Direction, Permit, Recommendation, Side, Stream, StreamKind, Treatment


def add_circular(session: Session, tenants: dict[str, Any]) -> dict[str, dict[str, int]]:
    out: dict[str, dict[str, int]] = {"stream": {}, "permit": {}, "recommendation": {}}
    streams: dict[str, tuple[Stream, Stream]] = {}
    for name, tenant in tenants.items():
        offer = Stream(company_id=tenant.company_id, direction=Direction.out, kind=StreamKind.by_product,
                       material="슬래그", kr_code="51-03-01", ewc_code="10 02 02", unit="t", quantity_per_month=100.0,
                       treatment=Treatment.landfill, treatment_cost_krw_per_unit=90000, lat=34.90, lon=127.70)
        intake = Stream(company_id=tenant.company_id, direction=Direction.in_, kind=StreamKind.raw_material,
                        material="골재", accepts=["51-03-00"], substitutes="natural_aggregate", unit="t",
                        quantity_per_month=50.0, virgin_price_krw_per_unit=15000, lat=34.91, lon=127.71)
        session.add_all([offer, intake])
        permit = Permit(company_id=tenant.company_id, permit_no=f"P-{name}", code_prefix="51-03-00")
        session.add(permit)
        session.flush()
        streams[name] = (offer, intake)
        out["stream"][name] = offer.id
        out["permit"][name] = permit.id
    pairs = {"A": ("A", "B", Side.supplier), "B": ("A", "B", Side.receiver), "C": ("C", "C", Side.supplier)}
    for name, (supplier, receiver, side) in pairs.items():
        offer, intake = streams[supplier][0], streams[receiver][1]
        own, other = (offer, intake) if side == Side.supplier else (intake, offer)
        rec = Recommendation(company_id=tenants[name].company_id, complex_id=0, run_no=1,
                             pair_key=f"world-{supplier}-{receiver}", side=side, stream_id=own.id,
                             counterpart_stream_id=other.id, counterpart_company_id=other.company_id, unit="t",
                             quantity_per_month=50.0, value_krw_per_month=4_000_000, co2_kg_per_month=200.0,
                             score=60.0, distance_km=1.5, explanation="world", reasons=[], counterpart={})
        session.add(rec)
        session.flush()
        out["recommendation"][name] = rec.id
    return out
