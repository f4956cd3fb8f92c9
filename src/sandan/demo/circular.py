"""Demo data of the circular domain: streams and permits of a dozen tenants, and one matching run.

Idempotent: nothing is added when a company of the complex already declared a stream.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from sandan.circular import service
from sandan.circular.models import Stream
from sandan.circular.schemas import MatchingRun, PermitCreate, StreamCreate
from sandan.core.tenancy.models import Company

#: (company index, stream) — by-products and wastes out, raw materials in, typical of a steel complex.
STREAMS: tuple[tuple[int, dict[str, Any]], ...] = (
    (0, {"direction": "out", "kind": "by_product", "material": "고로 슬래그", "kr_code": "51-03-01",
         "quantity_per_month": 400.0, "variability_pct": 10.0, "treatment": "landfill",
         "treatment_cost_krw_per_unit": 60_000}),
    (1, {"direction": "out", "kind": "by_product", "material": "폐주물사", "kr_code": "51-05-01",
         "quantity_per_month": 120.0, "variability_pct": 20.0, "specs": {"moisture_pct": 6.0},
         "treatment": "landfill", "treatment_cost_krw_per_unit": 80_000}),
    (2, {"direction": "out", "kind": "waste", "material": "폐황산", "kr_code": "02-01-02", "quantity_per_month": 30.0,
         "treatment": "incineration", "treatment_cost_krw_per_unit": 280_000}),
    (3, {"direction": "out", "kind": "heat", "material": "공정 폐열", "unit": "GJ", "quantity_per_month": 900.0,
         "variability_pct": 25.0, "treatment": "vent"}),
    (4, {"direction": "out", "kind": "by_product", "material": "고철 스크랩", "kr_code": "51-12-01",
         "quantity_per_month": 60.0, "treatment": "recycling", "treatment_cost_krw_per_unit": 10_000}),
    (5, {"direction": "in", "kind": "raw_material", "material": "시멘트 혼합재", "substitutes": "cement_clinker",
         "accepts": ["51-10-00"], "quantity_per_month": 300.0, "processing_cost_krw_per_unit": 8_000}),
    (6, {"direction": "in", "kind": "raw_material", "material": "주물용 모래", "substitutes": "natural_sand",
         "quantity_per_month": 100.0, "limits": {"moisture_pct": {"max": 8.0}}, "processing_cost_krw_per_unit": 5_000}),
    (7, {"direction": "in", "kind": "raw_material", "material": "황산", "accepts": ["02-01-00"],
         "substitutes": "sulphuric_acid", "quantity_per_month": 40.0, "processing_cost_krw_per_unit": 20_000}),
    (8, {"direction": "in", "kind": "raw_material", "material": "공정 증기", "accepts": ["heat"],
         "substitutes": "natural_gas_heat", "unit": "GJ", "quantity_per_month": 600.0,
         "processing_cost_krw_per_unit": 3_000}),
    (9, {"direction": "in", "kind": "raw_material", "material": "전기로 원료", "accepts": ["51-12-00"],
         "substitutes": "pig_iron", "quantity_per_month": 80.0, "processing_cost_krw_per_unit": 30_000}),
    (10, {"direction": "in", "kind": "raw_material", "material": "골재", "substitutes": "natural_aggregate",
          "accepts": ["51-03-00"], "quantity_per_month": 250.0, "processing_cost_krw_per_unit": 2_000}),
)
PERMITS: tuple[tuple[int, dict[str, Any]], ...] = (
    (7, {"permit_no": "전남-지정-2026-007", "code_prefix": "02-00-00", "hazardous": True, "capacity_per_month": 50.0}),
)


def load_circular(session: Session, complex_id: int) -> int:
    """Declare the demo streams and permits and run matching once; returns the streams created."""
    companies = list(session.execute(select(Company).where(Company.complex_id == complex_id)
                                     .order_by(Company.id)).scalars())
    needed = max(i for i, _ in STREAMS) + 1
    if len(companies) < needed or session.execute(
            select(Stream.id).where(Stream.company_id.in_([c.id for c in companies])).limit(1)).first():
        return 0
    for i, body in STREAMS:
        service.create_stream(session, companies[i].id, StreamCreate(**body))
    for i, body in PERMITS:
        service.create_permit(session, companies[i].id, PermitCreate(**body))
    service.run_matching(session, complex_id, MatchingRun())
    return len(STREAMS)
