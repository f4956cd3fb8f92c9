"""Use cases of control: declare controllable points, request and confirm commands, hand them to
their gateway, record its acknowledgement.

Lifecycle (every transition is an ORM write, so the audit log records it with its actor, and an
event ``commands.<status>`` is emitted after commit)::

    requested ──confirm──▶ confirmed ──gateway polls──▶ sent ──ack──▶ done | failed
        │                     │                          │
        └── not confirmed ────┴── not acknowledged ──────┴──▶ expired   (deadlines per point)
        └──────── cancel ─────┴──▶ cancelled   (not once sent: it may be on the device)

Who does what is checked here, before anything is written: company admins (and the platform
admin) declare points and request and confirm commands; only the gateway named by the allow-list
entry (its device account) receives and acknowledges a command.  A command the caller may not
see answers exactly like one that does not exist.
"""

from __future__ import annotations

import datetime as dt
import math

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from sandan.core import events
from sandan.core.auth.models import Membership, Organisation, Role, User
from sandan.core.auth.policy import Principal
from sandan.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from sandan.core.tenancy.models import Point
from sandan.core.timeutil import now_utc
from sandan.ingest.control import schemas
from sandan.ingest.control.models import OPEN, Command, CommandStatus, ConfirmPolicy, ControllablePoint


def _principal(session: Session) -> Principal:
    principal = session.info["principal"]
    assert isinstance(principal, Principal)
    return principal


def _require_admin(principal: Principal, company_id: int, what: str) -> None:
    if not (principal.is_admin or company_id in principal.companies_admin):
        raise Forbidden(f"only an admin of the company may {what}")


def _emit(session: Session, command: Command) -> None:
    events.emit(session, f"commands.{command.status}", command_id=command.id, company_id=command.company_id,
                point_id=command.point_id, value=command.value, gateway=command.gateway)


# --- the allow-list ----------------------------------------------------------------------------

def put_control(session: Session, point_id: int, data: schemas.ControlPut) -> ControllablePoint:
    """Declare ``point_id`` controllable, or change its entry."""
    point = session.execute(select(Point).where(Point.id == point_id)).scalar_one_or_none()
    if point is None:
        raise NotFound("point not found")
    _require_admin(_principal(session), point.company_id, "declare controllable points")
    entry = session.execute(select(ControllablePoint).where(ControllablePoint.point_id == point_id)
                            ).scalar_one_or_none()
    if entry is None:
        entry = ControllablePoint(company_id=point.company_id, point_id=point.id)
        session.add(entry)
    entry.min_value, entry.max_value = data.min_value, data.max_value
    entry.gateway, entry.device, entry.protocol = data.gateway, data.device, data.protocol
    entry.address = data.address()
    entry.confirm_policy = data.confirm_policy.value
    entry.confirm_within_s, entry.execute_within_s = data.confirm_within_s, data.execute_within_s
    entry.enabled = data.enabled
    session.flush()
    return entry


def list_controls(session: Session, *, after_id: int = 0, limit: int = 50) -> list[ControllablePoint]:
    query = select(ControllablePoint).where(ControllablePoint.id > after_id).order_by(ControllablePoint.id)
    return list(session.execute(query.limit(limit)).scalars())


# --- commands ----------------------------------------------------------------------------------

def check_limits(value: float, minimum: float, maximum: float) -> None:
    """Refuse a value outside ``[minimum, maximum]``, naming the limit (422)."""
    if not math.isfinite(value):
        raise InvalidInput("the value must be a finite number", field="value")
    if value < minimum:
        raise InvalidInput(f"value {value:g} is below the limit min_value = {minimum:g}", field="value",
                           data={"limit": "min_value", "min_value": minimum, "value": value})
    if value > maximum:
        raise InvalidInput(f"value {value:g} is above the limit max_value = {maximum:g}", field="value",
                           data={"limit": "max_value", "max_value": maximum, "value": value})


def request_command(session: Session, data: schemas.CommandCreate, *, now: dt.datetime | None = None,
                    ) -> Command:
    """Step one: a company admin asks for ``value`` on an allow-listed point."""
    now = now or now_utc()
    principal = _principal(session)
    point = session.execute(select(Point).where(Point.id == data.point_id)).scalar_one_or_none()
    if point is None:
        raise NotFound("point not found")
    _require_admin(principal, point.company_id, "request commands")
    entry = session.execute(select(ControllablePoint).where(ControllablePoint.point_id == point.id)
                            ).scalar_one_or_none()
    if entry is None or not entry.enabled:
        raise InvalidInput(f"point {point.code} is not on the allow-list of controllable points"
                           + ("" if entry is None else " (it is disabled)"), field="point_id")
    check_limits(data.value, entry.min_value, entry.max_value)
    expire_due(session, now=now)
    command = Command(
        company_id=point.company_id, point_id=point.id, gateway=entry.gateway, value=data.value,
        status=CommandStatus.requested.value, reason=data.reason,
        target={"point": point.code, "unit": point.unit, "device": entry.device, "protocol": entry.protocol,
                "address": dict(entry.address), "confirm_policy": entry.confirm_policy,
                "execute_within_s": entry.execute_within_s, "min_value": entry.min_value,
                "max_value": entry.max_value},
        requested_by=principal.user_id, requested_by_name=principal.name, requested_at=now,
        expires_at=now + dt.timedelta(seconds=entry.confirm_within_s))
    session.add(command)
    session.flush()
    _emit(session, command)
    return command


def get_command(session: Session, command_id: int) -> Command:
    command = session.execute(select(Command).where(Command.id == command_id)).scalar_one_or_none()
    if command is None:
        raise NotFound("command not found")
    return command


def list_commands(session: Session, *, status: str | None = None, after_id: int = 0, limit: int = 50,
                  ) -> list[Command]:
    query = select(Command).where(Command.id > after_id)
    if status:
        query = query.where(Command.status == status)
    return list(session.execute(query.order_by(Command.id).limit(limit)).scalars())


def _other_admins(session: Session, company_id: int, user_id: int | None) -> int:
    """Active admins of the company other than ``user_id`` (read past the policy: a company admin
    cannot list the company's memberships, but the count decides who confirms)."""
    query = (select(func.count(func.distinct(Membership.user_id)))
             .join(Organisation, Organisation.id == Membership.organisation_id)
             .join(User, User.id == Membership.user_id)
             .where(Organisation.company_id == company_id, Membership.role == Role.company_admin,
                    User.is_active.is_(True), Membership.user_id != (user_id or -1)))
    return int(session.connection().execute(query).scalar_one())


def confirm_command(session: Session, command_id: int, *, now: dt.datetime | None = None) -> Command:
    """Step two: an admin confirms; by default a different admin when the company has one."""
    now = now or now_utc()
    principal = _principal(session)
    command = get_command(session, command_id)
    _require_admin(principal, command.company_id, "confirm commands")
    expire_due(session, now=now)
    if command.status != CommandStatus.requested:
        raise Conflict(f"command {command.id} is {command.status}; only a requested command can be confirmed")
    policy = command.target.get("confirm_policy", ConfirmPolicy.other_if_available.value)
    same = principal.user_id is not None and principal.user_id == command.requested_by
    if same and policy == ConfirmPolicy.other_admin:
        raise Forbidden("a different admin must confirm this command (the point's confirm_policy is other_admin)")
    if same and policy == ConfirmPolicy.other_if_available:
        others = _other_admins(session, command.company_id, principal.user_id)
        if others:
            raise Forbidden(f"another admin of the company must confirm this command ({others} can)")
    command.status = CommandStatus.confirmed.value
    command.confirmed_by, command.confirmed_by_name, command.confirmed_at = principal.user_id, principal.name, now
    command.expires_at = now + dt.timedelta(seconds=int(command.target.get("execute_within_s", 300)))
    session.flush()
    _emit(session, command)
    return command


def cancel_command(session: Session, command_id: int, *, now: dt.datetime | None = None) -> Command:
    """An admin withdraws a command before its gateway received it."""
    now = now or now_utc()
    principal = _principal(session)
    command = get_command(session, command_id)
    _require_admin(principal, command.company_id, "cancel commands")
    expire_due(session, now=now)
    if command.status not in (CommandStatus.requested, CommandStatus.confirmed):
        raise Conflict(f"command {command.id} is {command.status}; only a requested or confirmed command can be "
                       "cancelled (a sent one may already be on the device)")
    command.status = CommandStatus.cancelled.value
    command.message = f"cancelled by {principal.name}"[:500]
    session.flush()
    _emit(session, command)
    return command


def expire_due(session: Session, *, now: dt.datetime | None = None) -> int:
    """Mark open commands past their deadline ``expired`` (of the companies the caller reads)."""
    now = now or now_utc()
    due = session.execute(select(Command).where(Command.status.in_([s.value for s in OPEN]),
                                                Command.expires_at <= now)).scalars().all()
    for command in due:
        command.status = CommandStatus.expired.value
        command.message = f"not {'confirmed' if command.confirmed_at is None else 'acknowledged'} in time"
        _emit(session, command)
    if due:
        session.flush()
    return len(due)


def gateway_commands(session: Session, *, now: dt.datetime | None = None) -> list[tuple[Command, str]]:
    """The confirmed commands for the calling gateway (device token), each marked ``sent`` when
    first handed over.  A sent command is handed over again until acknowledged: the gateway
    remembers what it executed, so a repeat never writes twice.  Anyone else gets nothing."""
    now = now or now_utc()
    principal = _principal(session)
    if not principal.is_device:
        return []
    expire_due(session, now=now)
    found = session.execute(select(Command).where(
        Command.gateway == principal.name,
        Command.status.in_([CommandStatus.confirmed.value, CommandStatus.sent.value]),
        Command.company_id.in_(sorted(principal.companies_readings))).order_by(Command.id)).scalars().all()
    out = []
    for command in found:
        if command.status == CommandStatus.confirmed:
            command.status, command.sent_at = CommandStatus.sent.value, now
            _emit(session, command)
        out.append((command, str(command.target.get("point", ""))))
    session.flush()
    return out


def ack_command(session: Session, command_id: int, data: schemas.CommandAck, *,
                now: dt.datetime | None = None) -> Command:
    """The gateway's answer: ``done`` or ``failed``, with the value read back after writing.

    Only a command handed to this gateway can be acknowledged (also after it expired: the
    outcome is recorded as reported); anything else answers 404 like a nonexistent id."""
    now = now or now_utc()
    principal = _principal(session)
    command = get_command(session, command_id)
    if not principal.is_device:
        raise Forbidden("only the command's gateway acknowledges it")
    if command.gateway != principal.name or command.sent_at is None:
        raise NotFound("command not found")
    if command.status not in (CommandStatus.sent, CommandStatus.confirmed, CommandStatus.expired):
        if command.status == data.status and command.readback == data.readback:
            return command  # a repeated acknowledgement (the gateway did not hear the first answer)
        raise Conflict(f"command {command.id} was already acknowledged as {command.status}")
    late = command.status == CommandStatus.expired
    command.status = data.status
    command.readback = data.readback
    command.message = (data.message + (" (acknowledged after the deadline)" if late else ""))[:500]
    command.acked_at = now
    session.flush()
    _emit(session, command)
    return command
