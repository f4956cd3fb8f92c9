"""Identity tables: users, organisations, memberships (a user's role in an organisation), tokens."""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import Boolean, DateTime, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from sandan.core.timeutil import now_utc
from sandan.db import Base, str_enum


class OrgKind(enum.StrEnum):
    platform = "platform"
    company = "company"
    complex_operator = "complex_operator"
    verification_body = "verification_body"
    programme_office = "programme_office"
    #: the pool of external evaluators of the programme office (programs issue)
    review_pool = "review_pool"


class Role(enum.StrEnum):
    platform_admin = "platform_admin"
    complex_operator = "complex_operator"
    company_admin = "company_admin"
    company_member = "company_member"
    verifier = "verifier"
    auditor = "auditor"
    device = "device"
    #: staff of the programme office: runs calls, panels, selection (programs issue)
    programme_officer = "programme_officer"
    #: an external evaluator: scores only the applications assigned to it (programs issue)
    reviewer = "reviewer"


class Organisation(Base):
    __tablename__ = "organisations"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[OrgKind] = mapped_column(str_enum(OrgKind))
    name: Mapped[str] = mapped_column(String(200))
    company_id: Mapped[int | None] = mapped_column(ForeignKey("companies.id"), index=True)
    complex_id: Mapped[int | None] = mapped_column(ForeignKey("complexes.id"), index=True)


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(200), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str | None] = mapped_column(String(200))
    language: Mapped[str] = mapped_column(String(5), default="ko")
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    is_device: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=now_utc)


class Membership(Base):
    __tablename__ = "memberships"
    __table_args__ = (UniqueConstraint("user_id", "organisation_id", "role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    role: Mapped[Role] = mapped_column(str_enum(Role))


class ApiToken(Base):
    """A bearer token for the API or a device: only its SHA-256 hash is stored."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(16))
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=now_utc)
    uses: Mapped[int] = mapped_column(Integer, default=0)
