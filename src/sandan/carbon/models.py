"""Tables of the carbon domain
(FEMS+ and MRV: entered activity data, contractual instruments, MRV reports and their ledger).

Imported by :mod:`sandan.registry` so that Alembic and the tests see them.

Every row carries ``company_id``: the access policy filters and guards them.  MRV rows also say
``__policy_grant_scope__ = ("mrv_report", <column>)``: the verifier assigned to a report
(:class:`MrvAssignment`, a grant source) reads them, and appends findings, ledger entries and the
statement (``__policy_grant_writes__``).  Submitted versions, findings, statements and ledger
entries are append-only: the ORM refuses to change or delete them, and a change made behind its
back is found by :func:`sandan.carbon.mrv.verify_bundle` (hashes and the chain no longer match).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, Date, DateTime, Float, ForeignKey, Integer, String, Text, UniqueConstraint, event
from sqlalchemy.orm import Mapped, mapped_column

from sandan.core.errors import Conflict
from sandan.core.timeutil import now_utc
from sandan.db import Base

REPORT_SCOPE = "mrv_report"


class ActivityEntry(Base):
    """Activity data entered by hand for a site: a refrigerant top-up [kg], a process emission [kg of
    a gas], or a fuel without a meter [in the fuel's table unit], on a Korean calendar day."""

    __tablename__ = "carbon_activities"

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id"), index=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"), index=True)
    occurred_on: Mapped[dt.date] = mapped_column(Date)
    category: Mapped[str] = mapped_column(String(20))
    substance: Mapped[str] = mapped_column(String(40))
    amount: Mapped[float] = mapped_column(Float)
    unit: Mapped[str] = mapped_column(String(20))
    evidence: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=now_utc)


class ContractualInstrument(Base):
    """Electricity covered by a contractual instrument (PPA, REC, supplier-specific factor) for the
    market-based method: ``mwh`` [MWh] at ``factor_t_per_mwh`` [tCO2e/MWh] over [period_start, period_end)."""

    __tablename__ = "carbon_instruments"

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id"), index=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    period_start: Mapped[dt.date] = mapped_column(Date)
    period_end: Mapped[dt.date] = mapped_column(Date)
    mwh: Mapped[float] = mapped_column(Float)
    factor_t_per_mwh: Mapped[float] = mapped_column(Float)
    reference: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=now_utc)


class ProductionRecord(Base):
    """What a site produced of one product in a period (YYYY, YYYY-Qn, YYYY-MM): ``quantity`` in its
    declared unit, and the allocation bases: ``mass_kg`` [kg], ``machine_hours`` [h], ``value_krw`` [KRW]."""

    __tablename__ = "carbon_production"
    __table_args__ = (UniqueConstraint("site_id", "period", "product_code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id"), index=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"), index=True)
    period: Mapped[str] = mapped_column(String(10))
    product_code: Mapped[str] = mapped_column(String(80))
    product_name: Mapped[str] = mapped_column(String(200), default="")
    declared_unit: Mapped[str] = mapped_column(String(20))
    quantity: Mapped[float] = mapped_column(Float)
    mass_kg: Mapped[float] = mapped_column(Float, default=0.0)
    machine_hours: Mapped[float] = mapped_column(Float, default=0.0)
    value_krw: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=now_utc)


class MrvReport(Base):
    """An emission report of a company for a period (its boundary: the company or one site).

    Its status is not stored: it is the last event of its ledger (:func:`sandan.carbon.mrv.status_of`).
    """

    __tablename__ = "mrv_reports"
    __policy_grant_scope__ = (REPORT_SCOPE, "id")

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id"), index=True)
    site_id: Mapped[int | None] = mapped_column(ForeignKey("sites.id"))
    period: Mapped[str] = mapped_column(String(10))
    gwp_set: Mapped[str] = mapped_column(String(3))
    title: Mapped[str] = mapped_column(String(200), default="")
    created_by: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=now_utc)


class _ReportRow:
    """Columns every row of a report carries: its id, the reporting company, the report."""

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id"), index=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("mrv_reports.id"), index=True)


class MrvAssignment(_ReportRow, Base):
    """The verifier assigned to a report by the company: the grant that lets that verifier in."""

    __tablename__ = "mrv_assignments"
    __table_args__ = (UniqueConstraint("report_id", "verifier_user_id"),)
    __policy_grant_source__ = ("verifier", REPORT_SCOPE, "verifier_user_id", "report_id")
    __policy_grant_scope__ = (REPORT_SCOPE, "report_id")

    verifier_user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    verifier_name: Mapped[str] = mapped_column(String(200))
    assigned_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=now_utc)


class MrvVersion(_ReportRow, Base):
    """A submitted version of a report: the frozen content (figures with traces) and its SHA-256."""

    __tablename__ = "mrv_versions"
    __table_args__ = (UniqueConstraint("report_id", "version"),)
    __policy_grant_scope__ = (REPORT_SCOPE, "report_id")

    version: Mapped[int] = mapped_column(Integer)
    content: Mapped[dict[str, Any]] = mapped_column(JSON)
    content_hash: Mapped[str] = mapped_column(String(64))
    submitted_by: Mapped[str] = mapped_column(String(200))
    submitted_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=now_utc)


class MrvFinding(_ReportRow, Base):
    """A finding of the verifier or an answer of the company (``reply_to`` names a finding's ``seq``)."""

    __tablename__ = "mrv_findings"
    __table_args__ = (UniqueConstraint("report_id", "seq"),)
    __policy_grant_scope__ = (REPORT_SCOPE, "report_id")
    __policy_grant_writes__ = True

    seq: Mapped[int] = mapped_column(Integer)
    version: Mapped[int] = mapped_column(Integer)
    author_role: Mapped[str] = mapped_column(String(20))
    author: Mapped[str] = mapped_column(String(200))
    reply_to: Mapped[int | None] = mapped_column(Integer)
    requires_correction: Mapped[bool] = mapped_column(default=False)
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=now_utc)


class MrvStatement(_ReportRow, Base):
    """A verification statement: its body (canonical JSON), the Ed25519 signature and public key."""

    __tablename__ = "mrv_statements"
    __policy_grant_scope__ = (REPORT_SCOPE, "report_id")
    __policy_grant_writes__ = True

    version: Mapped[int] = mapped_column(Integer)
    body: Mapped[dict[str, Any]] = mapped_column(JSON)
    signature: Mapped[str] = mapped_column(String(200))
    public_key: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=now_utc)


class MrvLedgerEntry(_ReportRow, Base):
    """One event of a report's append-only ledger, chained: ``entry_hash = SHA-256(prev_hash ‖ entry)``."""

    __tablename__ = "mrv_ledger"
    __table_args__ = (UniqueConstraint("report_id", "seq"),)
    __policy_grant_scope__ = (REPORT_SCOPE, "report_id")
    __policy_grant_writes__ = True

    seq: Mapped[int] = mapped_column(Integer)
    event: Mapped[str] = mapped_column(String(30))
    actor: Mapped[str] = mapped_column(String(200))
    at: Mapped[str] = mapped_column(String(40))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    prev_hash: Mapped[str] = mapped_column(String(64))
    entry_hash: Mapped[str] = mapped_column(String(64))


APPEND_ONLY: tuple[type[Any], ...] = (MrvVersion, MrvFinding, MrvStatement, MrvLedgerEntry, MrvAssignment)


def _refuse_change(_mapper: Any, _connection: Any, target: Any) -> None:
    raise Conflict(f"{type(target).__tablename__} rows are append-only: a submitted MRV record is never changed; "
                   "submit a corrected version instead")


for _model in APPEND_ONLY:
    event.listen(_model, "before_update", _refuse_change)
    event.listen(_model, "before_delete", _refuse_change)
