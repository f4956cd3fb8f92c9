"""Carbon demo data for DAEWOO Steel: a refrigerant top-up, a small solar PPA and a submitted MRV
report of the last full Korean month of its (replayed) meter year, ready for a verifier.

Idempotent: nothing is added when the company already has a report.  A verifier account is not
created here; make one with ``sandan users add --role verifier`` and assign it on the report page.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from sandan.carbon import service
from sandan.carbon.models import MrvReport
from sandan.core.tenancy.models import Site
from sandan.core.timeutil import KST, from_epoch_s


def last_full_month(now_s: int) -> tuple[str, dt.date, dt.date]:
    """The label (YYYY-MM) and [first day, first day of the next month) of the last closed Korean month."""
    today = from_epoch_s(now_s).astimezone(KST).date()
    end = today.replace(day=1)
    start = (end - dt.timedelta(days=1)).replace(day=1)
    return start.strftime("%Y-%m"), start, end


def load_carbon_demo(session: Session, company_id: int | None, now_s: int) -> int:
    """Add the steel plant's carbon data; returns the number of reports created (0 or 1)."""
    if company_id is None:
        return 0
    if session.execute(select(MrvReport.id).where(MrvReport.company_id == company_id)).first() is not None:
        return 0
    site = session.execute(select(Site).where(Site.company_id == company_id).order_by(Site.id)).scalars().first()
    if site is None:
        return 0
    label, start, end = last_full_month(now_s)
    service.add_activity(session, company_id, {"site_id": site.id, "occurred_on": start + dt.timedelta(days=9),
                                               "category": "refrigerant", "substance": "R-410A", "amount": 3.0,
                                               "unit": "kg", "evidence": "demo: air-conditioner service record"})
    service.add_instrument(session, company_id, {"site_id": site.id, "kind": "ppa", "period_start": start,
                                                 "period_end": end, "mwh": 5.0, "factor_t_per_mwh": 0.0,
                                                 "reference": "demo: rooftop solar PPA"})
    report = service.create_report(session, company_id, label, "AR5", title=f"{label} 월간 배출량 (demo)")
    service.submit(session, report.id)
    return 1
