"""Events are delivered after commit, never after a rollback, and a failing handler is contained."""

from __future__ import annotations

import logging

import pytest

from sandan.core.auth.policy import Principal
from sandan.core.events import Event, emit, subscribe


def _emit_then_fail(db) -> None:
    with db.session(principal=Principal.system()) as s:
        emit(s, "readings.stored", count=4)
        raise ZeroDivisionError("the write failed")


def test_delivered_after_commit_only(db, caplog):
    seen: list[Event] = []
    stop = subscribe("readings.stored", seen.append)
    stop_all = subscribe("*", lambda e: (_ for _ in ()).throw(RuntimeError("handler bug")))
    try:
        with db.session(principal=Principal.system()) as s:
            emit(s, "readings.stored", count=3)
            assert seen == []  # not before the commit
        assert seen == [Event("readings.stored", {"count": 3})]
        with pytest.raises(ZeroDivisionError):
            _emit_then_fail(db)
        assert len(seen) == 1  # the rolled-back write announced nothing
        assert any("handler bug" in r.getMessage() or r.exc_info for r in caplog.records
                   if r.levelno >= logging.ERROR)
    finally:
        stop()
        stop_all()
