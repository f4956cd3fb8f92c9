"""Market rows for the API tests' world: a draft direct PPA offered by each tenant (no buyer yet)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from sandan.grid.market import schemas, service
from tests.factories import system


def add_ppas(session: Session, tenants: dict[str, Any]) -> dict[str, int]:
    system(session)
    out = {}
    for name, tenant in tenants.items():
        draft = schemas.PpaCreate(company_id=tenant.company_id, title=f"PPA {name}", seller_capacity_kw=1500,
                                  terms=schemas.PpaTermsIn(price_type="fixed", price_krw_per_kwh=130,
                                                           volume_type="pay_as_produced", share=0.5,
                                                           start="2027-01-01", end="2037-01-01"))
        out[name] = service.create_ppa(session, draft).id
    return out
