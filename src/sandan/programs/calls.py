"""The call's lifecycle and its deadline (times are aware; the deadline is an instant, shown in
Asia/Seoul)."""

from __future__ import annotations

import datetime as dt
import enum

from sandan.core.timeutil import KST
from sandan.programs.eligibility import Refusal


class CallStatus(enum.StrEnum):
    """draft → open → closed → evaluation → selection → announced."""

    draft = "draft"
    open = "open"
    closed = "closed"
    evaluation = "evaluation"
    selection = "selection"
    announced = "announced"


ORDER = list(CallStatus)


def next_status(current: CallStatus) -> CallStatus | None:
    """The one status a call may move to from ``current`` (``None`` once announced)."""
    i = ORDER.index(current)
    return ORDER[i + 1] if i + 1 < len(ORDER) else None


def check_transition(current: CallStatus, target: CallStatus) -> list[Refusal]:
    """Empty when ``current`` → ``target`` is the next step of the lifecycle."""
    if next_status(current) == target:
        return []
    step = next_status(current)
    return [Refusal("transition", f"a call in status {current.value} can only move to "
                    f"{step.value if step else '(nothing: it is announced)'}, not {target.value}",
                    {"from": current.value, "to": target.value})]


def check_window(status: CallStatus, opens_at: dt.datetime, closes_at: dt.datetime, at: dt.datetime) -> list[Refusal]:
    """Empty when an application may be created, edited or submitted at ``at``: the call is open and
    ``opens_at <= at <= closes_at`` (the deadline second itself is in time, the next is late)."""
    opens_at, closes_at, at = as_utc(opens_at), as_utc(closes_at), as_utc(at)
    if status != CallStatus.open:
        return [Refusal("call_not_open", f"the call is {status.value}, not open", {"status": status.value})]
    if at < opens_at:
        return [Refusal("not_yet_open", f"the call opens at {_kst(opens_at)}", {"opens_at": opens_at.isoformat()})]
    if at > closes_at:
        return [Refusal("deadline_passed", f"the deadline was {_kst(closes_at)}; it is {_kst(at)}",
                        {"closes_at": closes_at.isoformat()})]
    return []


def as_utc(value: dt.datetime) -> dt.datetime:
    """An aware time; a naive one (SQLite hands stored times back naive) is UTC, as stored."""
    return value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)


def _kst(value: dt.datetime) -> str:
    return as_utc(value).astimezone(KST).strftime("%Y-%m-%d %H:%M:%S KST")
