"""The in-process event bus between domains.

A service calls :func:`emit` inside its transaction; subscribers are called only after that
transaction commits (a rolled-back write announces nothing).  Handlers run in the committing
thread; a failing handler is logged and does not undo the commit or stop other handlers.  Past
one process the same events go to a task queue (ARCHITECTURE.md, "Running it").
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import event as sa_event
from sqlalchemy.orm import Session

log = logging.getLogger("sandan.events")


@dataclass(frozen=True)
class Event:
    """Something that happened: a dotted ``name`` (``readings.stored``) and its data."""

    name: str
    data: dict[str, Any] = field(default_factory=dict)


Handler = Callable[[Event], None]
_handlers: dict[str, list[Handler]] = defaultdict(list)


def subscribe(name: str, handler: Handler) -> Callable[[], None]:
    """Call ``handler`` for every committed event called ``name`` (``*`` for all); returns an unsubscribe."""
    _handlers[name].append(handler)

    def unsubscribe() -> None:
        if handler in _handlers[name]:
            _handlers[name].remove(handler)

    return unsubscribe


def emit(session: Session, name: str, **data: Any) -> None:
    """Queue an event on the session; it is delivered when the session's transaction commits."""
    _install()
    session.info.setdefault("_events", []).append(Event(name, data))


def _deliver(session: Session) -> None:
    pending: list[Event] = session.info.pop("_events", [])
    for item in pending:
        for handler in [*_handlers.get(item.name, []), *_handlers.get("*", [])]:
            try:
                handler(item)
            except Exception:
                log.exception("event handler %r failed on %s", handler, item.name)


def _discard(session: Session, *_args: Any) -> None:
    session.info.pop("_events", None)


def _install() -> None:
    if not sa_event.contains(Session, "after_commit", _deliver):
        sa_event.listen(Session, "after_commit", _deliver)
        sa_event.listen(Session, "after_soft_rollback", _discard)
