"""The append-only audit log: who wrote what, when, with the row before and after.

Every ORM write is recorded automatically after each flush (see :func:`install`), so no
service can forget it; bulk paths (the reading store) call :func:`record` themselves.  The
table is append-only: database triggers refuse UPDATE and DELETE (see the migrations).
"""

from __future__ import annotations

import datetime as dt
import enum
from typing import Any

from sqlalchemy import JSON, BigInteger, DateTime, Integer, String, event, insert, inspect
from sqlalchemy.orm import Mapped, Session, mapped_column
from sqlalchemy.orm.attributes import get_history

from sandan.core.timeutil import now_utc
from sandan.db import Base

SECRET_COLUMNS = {"password_hash", "token_hash"}


class AuditLog(Base):
    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=now_utc, index=True)
    actor_user_id: Mapped[int | None] = mapped_column(Integer)
    actor: Mapped[str] = mapped_column(String(200), default="")
    action: Mapped[str] = mapped_column(String(20))
    entity: Mapped[str] = mapped_column(String(60))
    entity_id: Mapped[str] = mapped_column(String(60), default="")
    company_id: Mapped[int | None] = mapped_column(Integer, index=True)
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    reason: Mapped[str] = mapped_column(String(500), default="")


def _plain(value: Any) -> Any:
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return value


def _row(obj: Any) -> dict[str, Any]:
    mapper = inspect(obj).mapper
    return {c.key: ("***" if c.key in SECRET_COLUMNS else _plain(getattr(obj, c.key)))
            for c in mapper.column_attrs}


def _before(obj: Any) -> dict[str, Any]:
    state = inspect(obj)
    out: dict[str, Any] = {}
    for attr in state.mapper.column_attrs:
        hist = get_history(obj, attr.key)
        value = hist.deleted[0] if hist.deleted else (hist.unchanged[0] if hist.unchanged else None)
        out[attr.key] = "***" if attr.key in SECRET_COLUMNS else _plain(value)
    return out


def _actor(session: Session) -> tuple[int | None, str]:
    principal = session.info.get("principal")
    if principal is None:
        return None, "unknown"
    return principal.user_id, principal.name


def record(session: Session, *, action: str, entity: str, entity_id: str = "", company_id: int | None = None,
           before: dict[str, Any] | None = None, after: dict[str, Any] | None = None, reason: str = "") -> None:
    """Append one audit record in the session's transaction (for writes that bypass the ORM)."""
    user_id, actor = _actor(session)
    session.execute(insert(AuditLog).values(
        at=now_utc(), actor_user_id=user_id, actor=actor, action=action, entity=entity, entity_id=entity_id,
        company_id=company_id, before=before, after=after, reason=reason))


def _before_flush(session: Session, _ctx: Any, _instances: Any) -> None:
    pending = session.info.setdefault("_audit_pending", [])
    for obj in session.dirty:
        if isinstance(obj, AuditLog) or not session.is_modified(obj, include_collections=False):
            continue
        pending.append(("update", obj, _before(obj)))
    for obj in session.deleted:
        if not isinstance(obj, AuditLog):
            pending.append(("delete", obj, _before(obj)))
    for obj in session.new:
        if not isinstance(obj, AuditLog):
            pending.append(("create", obj, None))


def _after_flush(session: Session, _ctx: Any) -> None:
    pending = session.info.pop("_audit_pending", [])
    if not pending:
        return
    user_id, actor = _actor(session)
    rows = []
    for action, obj, before in pending:
        after = None if action == "delete" else _row(obj)
        # the primary key as now flushed: a new row has no identity key until after this hook
        identity = inspect(obj).mapper.primary_key_from_instance(obj)
        rows.append({
            "at": now_utc(), "actor_user_id": user_id, "actor": actor, "action": action,
            "entity": type(obj).__tablename__, "entity_id": ",".join(str(i) for i in identity or ()),
            "company_id": getattr(obj, "company_id", None), "before": before, "after": after,
            "reason": session.info.get("reason", ""),
        })
    session.connection().execute(insert(AuditLog), rows)


def install() -> None:
    """Attach the audit hooks to every session (idempotent)."""
    if not event.contains(Session, "before_flush", _before_flush):
        event.listen(Session, "before_flush", _before_flush)
        event.listen(Session, "after_flush", _after_flush)
