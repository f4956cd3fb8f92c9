"""Tables of control: the allow-list of controllable points and the commands sent through it.

Both are company data (``company_id``).  Commands are written by company admins (request,
confirm) and by the company's gateway device (delivery, acknowledgement), so the table lets the
company's reading writers through the policy (``__policy_writers__ = "readings"``); who may do
which step is checked by :mod:`sandan.ingest.control.service` before anything is written.
"""

from __future__ import annotations

import datetime as dt
import enum
from typing import Any

from sqlalchemy import JSON, Boolean, DateTime, Float, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from sandan.core.timeutil import now_utc
from sandan.db import Base


class CommandStatus(enum.StrEnum):
    """Where a command stands.  ``requested`` → ``confirmed`` → ``sent`` → ``done`` | ``failed``;
    ``requested``/``confirmed``/``sent`` → ``expired`` when its deadline passes;
    ``requested``/``confirmed`` → ``cancelled`` by an admin."""

    requested = "requested"
    confirmed = "confirmed"
    sent = "sent"
    done = "done"
    failed = "failed"
    expired = "expired"
    cancelled = "cancelled"


OPEN = (CommandStatus.requested, CommandStatus.confirmed, CommandStatus.sent)


class ConfirmPolicy(enum.StrEnum):
    """Who confirms a requested command."""

    #: a different admin when the company has another active one, else the requester (separate call)
    other_if_available = "other_if_available"
    #: always a different admin (or a platform admin)
    other_admin = "other_admin"
    #: any admin of the company, the requester included (still a separate confirm call)
    any_admin = "any_admin"


class ControllablePoint(Base):
    """A point a company admin declared controllable: its limits, the gateway and device that
    execute it, and the protocol address to write.

    ``gateway`` is the name of the device account whose token the gateway uses (its e-mail);
    only that gateway is handed the point's commands.  ``device`` is the device's name in the
    gateway's configuration.  ``min_value``/``max_value`` bound every commanded value [point unit].
    """

    __tablename__ = "controllable_points"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    company_id: Mapped[int] = mapped_column(Integer, index=True)
    point_id: Mapped[int] = mapped_column(ForeignKey("points.id", ondelete="CASCADE"), unique=True)
    min_value: Mapped[float] = mapped_column(Float)
    max_value: Mapped[float] = mapped_column(Float)
    gateway: Mapped[str] = mapped_column(String(200))
    device: Mapped[str] = mapped_column(String(100))
    protocol: Mapped[str] = mapped_column(String(10))
    address: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    confirm_policy: Mapped[str] = mapped_column(String(24), default=ConfirmPolicy.other_if_available.value)
    confirm_within_s: Mapped[int] = mapped_column(Integer, default=600)
    execute_within_s: Mapped[int] = mapped_column(Integer, default=300)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=now_utc, onupdate=now_utc)


class Command(Base):
    """One control command: the value to write to a point, who asked and who confirmed, what the
    gateway did.  ``target`` is the allow-list entry as it was when the command was requested (the
    gateway executes that, even if the entry changes later)."""

    __tablename__ = "commands"
    __policy_writers__ = "readings"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    company_id: Mapped[int] = mapped_column(Integer, index=True)
    point_id: Mapped[int] = mapped_column(ForeignKey("points.id", ondelete="CASCADE"), index=True)
    gateway: Mapped[str] = mapped_column(String(200), index=True)
    value: Mapped[float] = mapped_column(Float)
    status: Mapped[str] = mapped_column(String(12), default=CommandStatus.requested.value, index=True)
    reason: Mapped[str] = mapped_column(String(500), default="")
    target: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    requested_by: Mapped[int | None] = mapped_column(Integer)
    requested_by_name: Mapped[str] = mapped_column(String(200), default="")
    requested_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=now_utc)
    confirmed_by: Mapped[int | None] = mapped_column(Integer)
    confirmed_by_name: Mapped[str] = mapped_column(String(200), default="")
    confirmed_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    sent_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    acked_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    readback: Mapped[float | None] = mapped_column(Float)
    message: Mapped[str] = mapped_column(String(500), default="")
