"""The demo's live feed: a background thread that appends readings while the app serves.

Every ``SANDAN_SIMULATOR_INTERVAL_S`` seconds (5 s) one :func:`tick` writes, through the
reading store and as the system principal:

* an instantaneous kW reading *now* for every simulated power point;
* every 15-minute interval that has closed since the point's last reading (after a restart,
  the gap is filled a day per tick, back to at most ``history_days``).

Synthetic points take their values from the profile stored in ``Point.source``
(:func:`sandan.demo.profiles.synthetic_values`), the same function the loader used for the
history, so a rewrite is a duplicate, never a conflict.  DAEWOO Steel's points replay the real
reading of 52 weeks before (weekdays stay weekdays).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import bindparam, select, text
from sqlalchemy.orm import Session

from sandan.core.auth.policy import Principal
from sandan.core.tenancy.models import Company, Complex, Point, PointKind
from sandan.core.timeutil import now_utc, to_epoch_s
from sandan.db import Database
from sandan.demo.profiles import WEEK_S, hash_normal, synthetic_values

log = logging.getLogger(__name__)

COMPLEX_CODE = "gwangyang"
ENERGY_INTERVAL_S = 900
MAX_FILL_S = 86400


@dataclass
class TickResult:
    stored: int = 0
    points: int = 0


def simulated_points(session: Session) -> list[Point]:
    """The points of the demo complex whose source says how to simulate them."""
    rows = session.execute(select(Point).join(Company, Company.id == Point.company_id)
                           .join(Complex, Complex.id == Company.complex_id)
                           .where(Complex.code == COMPLEX_CODE).order_by(Point.id)).scalars()
    return [p for p in rows if isinstance(p.source, dict) and p.source.get("simulate")]


def _last_readings(session: Session, point_ids: list[int]) -> dict[int, int]:
    if not point_ids:
        return {}
    stmt = text("SELECT point_id, MAX(ts) FROM readings WHERE point_id IN :ids GROUP BY point_id").bindparams(
        bindparam("ids", expanding=True))
    return {int(pid): int(ts) for pid, ts in session.connection().execute(stmt, {"ids": point_ids}).all()}


def _stored_values(session: Session, point_id: int, lo: int, hi: int) -> pd.Series:
    rows = session.connection().execute(
        text("SELECT ts, value FROM readings WHERE point_id = :p AND ts >= :lo AND ts < :hi"),
        {"p": point_id, "lo": lo, "hi": hi}).all()
    return pd.Series({int(ts): float(v) for ts, v in rows}, dtype=np.float64)


def _due_starts(last: int | None, closed_end: int, interval_s: int, history_s: int) -> np.ndarray:
    """Interval starts [epoch s] still to write: after the last reading, up to the last closed interval."""
    first = closed_end - interval_s if last is None else last + interval_s
    first = max(first, closed_end - history_s)
    first = first // interval_s * interval_s
    stop = min(closed_end, first + MAX_FILL_S)
    return np.arange(first, stop, interval_s, dtype=np.int64)


def tick(db: Database, now_s: int | None = None, *, history_days: int = 90) -> TickResult:
    """Append what is due at ``now_s`` [epoch s] for every simulated point; returns what was stored."""
    from sandan.timeseries.store import write_readings

    now_s = to_epoch_s(now_utc()) if now_s is None else int(now_s)
    closed_end = now_s // ENERGY_INTERVAL_S * ENERGY_INTERVAL_S
    result = TickResult()
    with db.session(principal=Principal.system("simulator")) as session:
        points = simulated_points(session)
        result.points = len(points)
        last = _last_readings(session, [p.id for p in points])
        by_code = {(p.company_id, p.code): p for p in points}
        frames: list[pd.DataFrame] = []
        for point in points:
            source = point.source
            if point.kind == PointKind.instantaneous:
                stamps = np.array([now_s], dtype=np.int64)
                if source.get("simulate") == "replay_power":
                    energy = by_code.get((point.company_id, str(source.get("energy_point"))))
                    values = None if energy is None else _replay_power(session, energy, now_s, source)
                else:
                    values = synthetic_values(source, stamps, ENERGY_INTERVAL_S)
            else:
                stamps = _due_starts(last.get(point.id), closed_end, point.interval_s, history_days * 86400)
                if not len(stamps):
                    continue
                if source.get("simulate") == "replay":
                    picked = _replayed(session, point.id, stamps, int(source.get("replay_weeks", 52)))
                    keep = np.isfinite(picked)
                    stamps, values = stamps[keep], picked[keep]
                else:
                    values = synthetic_values(source, stamps, point.interval_s)
            if values is not None and len(stamps):
                frames.append(pd.DataFrame({"point_id": point.id, "ts": stamps, "value": values}))
        if frames:
            result.stored = write_readings(session, pd.concat(frames, ignore_index=True)).stored
    return result


def _replayed(session: Session, point_id: int, stamps: np.ndarray, weeks: int) -> np.ndarray:
    """The stored values ``weeks`` weeks before each stamp, else one week further back (NaN if neither).

    The loader's week-aligned year leaves a six-day gap a year back (see ``shift_year_to``);
    the week before the gap holds the intervals that were moved there, so the two look-backs
    together always find a reading.
    """
    values = np.full(len(stamps), np.nan, dtype=np.float64)
    for lag in (weeks * WEEK_S, (weeks + 1) * WEEK_S):
        missing = ~np.isfinite(values)
        if not missing.any():
            break
        wanted = stamps[missing] - lag
        old = _stored_values(session, point_id, int(wanted.min()), int(wanted.max()) + 1)
        values[missing] = old.reindex(wanted).to_numpy(np.float64)
    return values


def _replay_power(session: Session, energy: Point, now_s: int, source: dict[str, Any]) -> np.ndarray | None:
    """Power now [kW] from the replayed energy of the current interval a year ago, with jitter."""
    start = np.array([now_s // energy.interval_s * energy.interval_s], dtype=np.int64)
    old = _replayed(session, energy.id, start, int(source.get("replay_weeks", 52)))
    if not np.isfinite(old[0]):
        return None
    jitter = 1.0 + 0.02 * hash_normal(energy.id, 7, np.array([now_s], dtype=np.int64))
    return np.asarray(old * 3600.0 / energy.interval_s * jitter, dtype=np.float64)


class Simulator:
    """A daemon thread that calls :func:`tick` every ``interval_s`` [s] until stopped."""

    def __init__(self, db: Database, interval_s: float = 5.0, *, history_days: int = 90,
                 clock: Callable[[], int] | None = None) -> None:
        self.db = db
        self.interval_s = max(0.05, float(interval_s))
        self.history_days = history_days
        self.clock = clock
        self.ticks = 0
        self.stored = 0
        self.errors = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> None:
        if self.running:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="sandan-simulator", daemon=True)
        self._thread.start()
        log.info("simulator started: a tick every %.1f s", self.interval_s)

    def stop(self, timeout_s: float = 10.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout_s)
            if self._thread.is_alive():
                log.warning("simulator did not stop within %.0f s", timeout_s)
            self._thread = None
        log.info("simulator stopped after %d ticks, %d readings", self.ticks, self.stored)

    def tick_once(self) -> TickResult:
        result = tick(self.db, self.clock() if self.clock else None, history_days=self.history_days)
        self.ticks += 1
        self.stored += result.stored
        return result

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.tick_once()
            except Exception:  # keep the feed alive through a locked database or a bad row
                self.errors += 1
                log.exception("simulator tick failed")
            self._stop.wait(self.interval_s)


def attach(app: Any, *, interval_s: float | None = None) -> Simulator:
    """Run a :class:`Simulator` for ``app`` (its ``state.db``) from startup to shutdown (lifespan)."""
    settings = getattr(app.state, "settings", None)
    period = interval_s if interval_s is not None else float(getattr(settings, "simulator_interval_s", 5.0))
    simulator = Simulator(app.state.db, period)
    app.state.simulator = simulator
    inner: Callable[[Any], AbstractAsyncContextManager[Any]] = app.router.lifespan_context

    @asynccontextmanager
    async def lifespan(application: Any) -> AsyncIterator[Any]:
        async with inner(application) as state:
            simulator.start()
            try:
                yield state
            finally:
                simulator.stop()

    app.router.lifespan_context = lifespan
    return simulator


__all__ = ["Simulator", "TickResult", "attach", "simulated_points", "tick"]
