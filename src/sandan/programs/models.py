"""Tables of the programs domain: calls, programmes, applications, reviewers, panels, score
sheets and results.

Imported by :mod:`sandan.registry` so that Alembic and the tests see them.

Access (rules stated on the models, applied by :mod:`sandan.core.auth.policy`):

* calls and programmes are public notices: everyone reads; programme officers write;
* applications are company rows (the applicant's admins write, its company reads); programme
  officers read all; a reviewer reads only the applications assigned to it;
* reviewers, conflicts, assignments and score sheets: programme officers and the reviewer itself —
  never applicants, never other reviewers (``reviewer_user_id`` says whose a row is);
* results: programme officers; the applicant's company once the call is announced
  (``published_at``), with the panel's totals but never who gave them.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
    and_,
    or_,
    select,
    true,
)
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.sql.elements import ColumnElement

from sandan.core.auth.policy import Principal, before_and_after, company_filter
from sandan.core.timeutil import now_utc
from sandan.db import Base, str_enum
from sandan.programs.calls import CallStatus


def _own(column: Any, p: Principal) -> ColumnElement[bool]:
    return column == (p.user_id if p.user_id is not None else -1)  # type: ignore[no-any-return]


def _officer_or_own(cls: Any, p: Principal) -> ColumnElement[bool]:
    return true() if p.is_programme_officer else _own(cls.reviewer_user_id, p)


class _OfficerWrites:
    """Notices and panels: written by programme officers (and the platform)."""

    @classmethod
    def policy_write(cls, p: Principal, obj: Any) -> bool:
        return p.is_programme_officer


class ProgrammeCall(_OfficerWrites, Base):
    """A yearly call (공모): its lifecycle status and the submission window (stored UTC)."""

    __tablename__ = "programme_calls"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    year: Mapped[int] = mapped_column(Integer)
    title_ko: Mapped[str] = mapped_column(String(200))
    title_en: Mapped[str] = mapped_column(String(200))
    status: Mapped[CallStatus] = mapped_column(str_enum(CallStatus), default=CallStatus.draft)
    opens_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    closes_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    announced_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    source: Mapped[str] = mapped_column(String(300), default="")


class Programme(_OfficerWrites, Base):
    """A programme of a call: awards, budgets [KRW], eligibility rule, evaluation settings.

    ``year_caps_krw`` maps a complex code (or ``*``) to the national cap per project year of one
    award; ``budget_by_year_krw`` is the programme's national budget per project year for the
    selection (by default awards × the largest cap of that year).
    """

    __tablename__ = "programmes"
    __table_args__ = (UniqueConstraint("call_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    call_id: Mapped[int] = mapped_column(ForeignKey("programme_calls.id", ondelete="CASCADE"), index=True)
    code: Mapped[str] = mapped_column(String(40))
    area: Mapped[str] = mapped_column(String(10))
    name_ko: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200))
    awards: Mapped[int] = mapped_column(Integer)
    award_unit: Mapped[str] = mapped_column(String(10))
    budget_per_award_krw: Mapped[int] = mapped_column(BigInteger)
    year_caps_krw: Mapped[dict[str, Any]] = mapped_column(JSON)
    budget_by_year_krw: Mapped[list[Any]] = mapped_column(JSON)
    eligibility_rule: Mapped[str] = mapped_column(String(100))
    eligibility_text: Mapped[str] = mapped_column(String(300), default="")
    max_national_share_pct: Mapped[int] = mapped_column(Integer, default=50)
    max_per_region: Mapped[int | None] = mapped_column(Integer)
    panel_size: Mapped[int] = mapped_column(Integer, default=5)
    trim_min_panel: Mapped[int | None] = mapped_column(Integer, default=5)
    indicators: Mapped[list[Any]] = mapped_column(JSON)
    source: Mapped[str] = mapped_column(String(300), default="")


class Application(Base):
    """An application of a company to a programme: consortium, budget plan by year, documents.

    ``members`` is a list of ``{kind, name, company_id?}`` (kind: complex_body, local_government,
    institute, company); ``budget`` a list of ``{year, national_krw, local_krw, private_krw}``;
    ``documents`` a list of ``{name, kind, sha256}``.
    """

    __tablename__ = "programme_applications"
    __table_args__ = (UniqueConstraint("programme_id", "company_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id"), index=True)
    programme_id: Mapped[int] = mapped_column(ForeignKey("programmes.id", ondelete="CASCADE"), index=True)
    complex_id: Mapped[int] = mapped_column(ForeignKey("complexes.id"), index=True)
    title: Mapped[str] = mapped_column(String(300))
    applicant_name: Mapped[str] = mapped_column(String(200))
    ksic_code: Mapped[str] = mapped_column(String(5), default="")
    summary: Mapped[str] = mapped_column(Text, default="")
    members: Mapped[list[Any]] = mapped_column(JSON, default=list)
    budget: Mapped[list[Any]] = mapped_column(JSON, default=list)
    documents: Mapped[list[Any]] = mapped_column(JSON, default=list)
    status: Mapped[str] = mapped_column(String(12), default="draft", index=True)
    receipt_no: Mapped[str | None] = mapped_column(String(40))
    submitted_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=now_utc)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=now_utc, onupdate=now_utc)

    @classmethod
    def policy_read(cls, p: Principal) -> ColumnElement[bool]:
        if p.is_programme_officer:
            return true()
        assignments = ReviewAssignment.__table__
        assigned = select(assignments.c.application_id).where(
            _own(assignments.c.reviewer_user_id, p), assignments.c.withdrawn_at.is_(None))
        return or_(company_filter(cls.company_id, p), cls.id.in_(assigned.scalar_subquery()))


class Reviewer(Base):
    """An external evaluator (평가위원): a user of the review pool, their affiliation (for the
    conflict check) and expertise.  Read only by programme officers and the reviewer."""

    __tablename__ = "programme_reviewers"

    id: Mapped[int] = mapped_column(primary_key=True)
    reviewer_user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    affiliation: Mapped[str] = mapped_column(String(200), default="")
    affiliation_company_id: Mapped[int | None] = mapped_column(ForeignKey("companies.id"))
    expertise: Mapped[str] = mapped_column(String(200), default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    @classmethod
    def policy_read(cls, p: Principal) -> ColumnElement[bool]:
        return _officer_or_own(cls, p)

    @classmethod
    def policy_write(cls, p: Principal, obj: Any) -> bool:
        return p.is_programme_officer


class _ReviewerRow:
    """Rows of one reviewer: read and written by programme officers and by that reviewer."""

    @classmethod
    def policy_read(cls, p: Principal) -> ColumnElement[bool]:
        return _officer_or_own(cls, p)

    @classmethod
    def policy_write(cls, p: Principal, obj: Any) -> bool:
        return p.is_programme_officer or all(
            uid == p.user_id and p.user_id is not None for (uid,) in before_and_after(obj, "reviewer_user_id"))


class ReviewerConflict(_ReviewerRow, Base):
    """A conflict of interest a reviewer (or the office for them) declared: an application or a
    company."""

    __tablename__ = "programme_reviewer_conflicts"

    id: Mapped[int] = mapped_column(primary_key=True)
    reviewer_id: Mapped[int] = mapped_column(ForeignKey("programme_reviewers.id", ondelete="CASCADE"), index=True)
    reviewer_user_id: Mapped[int] = mapped_column(Integer, index=True)
    application_id: Mapped[int | None] = mapped_column(ForeignKey("programme_applications.id", ondelete="CASCADE"))
    conflict_company_id: Mapped[int | None] = mapped_column(ForeignKey("companies.id"))
    reason: Mapped[str] = mapped_column(String(300), default="")
    declared_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=now_utc)


class ReviewAssignment(_ReviewerRow, Base):
    """A reviewer on an application's panel; withdrawn (never deleted) when a conflict appears."""

    __tablename__ = "programme_review_assignments"
    __table_args__ = (UniqueConstraint("application_id", "reviewer_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("programme_applications.id", ondelete="CASCADE"),
                                                index=True)
    programme_id: Mapped[int] = mapped_column(ForeignKey("programmes.id", ondelete="CASCADE"), index=True)
    #: the applicant's company (the assignment's own read and write rules apply, not the company's)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id"), index=True)
    reviewer_id: Mapped[int] = mapped_column(ForeignKey("programme_reviewers.id", ondelete="CASCADE"), index=True)
    reviewer_user_id: Mapped[int] = mapped_column(Integer, index=True)
    assigned_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=now_utc)
    withdrawn_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    withdrawn_reason: Mapped[str] = mapped_column(String(300), default="")


class ScoreSheet(_ReviewerRow, Base):
    """One reviewer's scores of one application: points per indicator and their total."""

    __tablename__ = "programme_score_sheets"

    id: Mapped[int] = mapped_column(primary_key=True)
    assignment_id: Mapped[int] = mapped_column(ForeignKey("programme_review_assignments.id", ondelete="CASCADE"),
                                               unique=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("programme_applications.id", ondelete="CASCADE"),
                                                index=True)
    reviewer_user_id: Mapped[int] = mapped_column(Integer, index=True)
    scores: Mapped[dict[str, Any]] = mapped_column(JSON)
    total: Mapped[float] = mapped_column(Float)
    comment: Mapped[str] = mapped_column(Text, default="")
    submitted_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=now_utc)


class ApplicationResult(Base):
    """The evaluation and selection result of an application: the panel's totals (anonymous),
    the average, bonus, final score (hundredths of a point), rank, selection and why."""

    __tablename__ = "programme_results"

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id"), index=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("programme_applications.id", ondelete="CASCADE"),
                                                unique=True)
    programme_id: Mapped[int] = mapped_column(ForeignKey("programmes.id", ondelete="CASCADE"), index=True)
    eligible: Mapped[bool] = mapped_column(Boolean, default=True)
    sheet_totals: Mapped[list[Any]] = mapped_column(JSON, default=list)
    indicator_means: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    trimmed: Mapped[bool] = mapped_column(Boolean, default=False)
    average_centi: Mapped[int] = mapped_column(Integer, default=0)
    bonus_centi: Mapped[int] = mapped_column(Integer, default=0)
    bonus_reasons: Mapped[list[Any]] = mapped_column(JSON, default=list)
    bonus_table_version: Mapped[str] = mapped_column(String(20), default="")
    final_centi: Mapped[int] = mapped_column(Integer, default=0)
    rank: Mapped[int | None] = mapped_column(Integer)
    selected: Mapped[bool] = mapped_column(Boolean, default=False)
    explanation: Mapped[list[Any]] = mapped_column(JSON, default=list)
    computed_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=now_utc)
    published_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))

    @classmethod
    def policy_read(cls, p: Principal) -> ColumnElement[bool]:
        if p.is_programme_officer:
            return true()
        return and_(company_filter(cls.company_id, p), cls.published_at.is_not(None))

    @classmethod
    def policy_write(cls, p: Principal, obj: Any) -> bool:
        return p.is_programme_officer


class _OfficerWritesCompanyReads:
    """Rows of an awarded project: the company reads them, the programme office reads and writes."""

    @classmethod
    def policy_read(cls, p: Principal) -> ColumnElement[bool]:
        return true() if p.is_programme_officer else company_filter(cls.company_id, p)  # type: ignore[attr-defined]

    @classmethod
    def policy_write(cls, p: Principal, obj: Any) -> bool:
        return p.is_programme_officer


class Project(_OfficerWritesCompanyReads, Base):
    """An awarded project (a selected application once the call is announced): its agreement and
    national budget schedule by project year [KRW]."""

    __tablename__ = "programme_projects"

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id"), index=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("programme_applications.id", ondelete="CASCADE"),
                                                unique=True)
    programme_id: Mapped[int] = mapped_column(ForeignKey("programmes.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(String(300))
    schedule_krw: Mapped[list[Any]] = mapped_column(JSON)
    agreement_no: Mapped[str | None] = mapped_column(String(40))
    agreed_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=now_utc)


class Disbursement(_OfficerWritesCompanyReads, Base):
    """A payment of national funds to a project for one project year [KRW]."""

    __tablename__ = "programme_disbursements"

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id"), index=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("programme_projects.id", ondelete="CASCADE"), index=True)
    year: Mapped[int] = mapped_column(Integer)
    amount_krw: Mapped[int] = mapped_column(BigInteger)
    note: Mapped[str] = mapped_column(String(300), default="")
    paid_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=now_utc)
