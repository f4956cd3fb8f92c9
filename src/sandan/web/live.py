"""Energy figures the pages show, read through the session's principal from the reading store.

Days and months are Korean calendar days and months (Asia/Seoul).  The 15-minute demand
(수요전력) is the average power over the latest *finished* quarter hour: its energy [kWh]
divided by 0.25 h.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy.orm import Session

from sandan.core.timeutil import KST, now_utc
from sandan.timeseries import service as timeseries

QUARTER_S = 900
QUARTER_H = 0.25


def clock() -> dt.datetime:
    """Now (UTC).  One seam, so tests can fix the time the pages think it is."""
    return now_utc()


def day_start(now: dt.datetime) -> dt.datetime:
    """00:00 KST of the Korean day holding ``now``."""
    local = now.astimezone(KST)
    return local.replace(hour=0, minute=0, second=0, microsecond=0)


def month_start(now: dt.datetime) -> dt.datetime:
    """00:00 KST on the first day of the Korean month holding ``now``."""
    return day_start(now).replace(day=1)


@dataclass(frozen=True)
class EnergyNow:
    """Today's energy [kWh] and the latest finished 15-minute demand [kW] of a group."""

    today_kwh: float | None
    demand_kw: float | None
    demand_at: dt.datetime | None  # start of that quarter hour (UTC)

    def to_json(self) -> dict[str, float | str | None]:
        return {"today_kwh": self.today_kwh, "demand_kw": self.demand_kw,
                "demand_at": self.demand_at.isoformat() if self.demand_at else None}


def energy_now(session: Session, kind: str, group_id: int, now: dt.datetime) -> EnergyNow:
    """Active electrical energy consumed by a complex or company today, and its latest demand.

    Raises NotFound when the caller may not see the group's totals.
    """
    start = min(day_start(now), now - dt.timedelta(days=1))
    series = timeseries.group_series(session, kind, group_id, start, now, resolution="15min", unit="kWh")
    frame = series.frame
    today = frame[frame["ts"] >= day_start(now)]
    today_kwh = float(today["value"].sum()) if len(today) else None
    finished = frame[frame["ts"] + dt.timedelta(seconds=QUARTER_S) <= now]
    if len(finished):
        last = finished.iloc[-1]
        return EnergyNow(today_kwh, float(last["value"]) / QUARTER_H, last["ts"].to_pydatetime())
    return EnergyNow(today_kwh, None, None)


def month_kwh(session: Session, kind: str, group_id: int, now: dt.datetime) -> float | None:
    """Active electrical energy consumed this Korean month so far [kWh]; None without readings."""
    series = timeseries.group_series(session, kind, group_id, month_start(now), now, resolution="1d", unit="kWh")
    return float(series.frame["value"].sum()) if len(series.frame) else None


def daily_kwh(session: Session, kind: str, group_id: int, now: dt.datetime, days: int = 30) -> timeseries.Series:
    """Daily energy [kWh] over the last ``days`` Korean days, today included."""
    end = day_start(now) + dt.timedelta(days=1)
    return timeseries.group_series(session, kind, group_id, end - dt.timedelta(days=days), end,
                                   resolution="1d", unit="kWh")
