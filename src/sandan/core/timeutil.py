"""Time: UTC inside, Asia/Seoul (KST, UTC+9, no daylight saving) on screen, interval-start labels.

Rollup buckets for days and months are Korean calendar days and months, never UTC days.  Bucket
and reading timestamps are stored as integer epoch seconds (UTC), which is what every function
here speaks when it says ``_s``.
"""

from __future__ import annotations

import datetime as dt
import re
from functools import lru_cache
from typing import Literal
from zoneinfo import ZoneInfo

import holidays
import numpy as np
import numpy.typing as npt

from sandan.core.errors import InvalidInput

UTC = dt.UTC
KST = ZoneInfo("Asia/Seoul")
KST_OFFSET_S = 9 * 3600

Resolution = Literal["raw", "15min", "1h", "1d", "1mo"]
#: Rollup resolutions, finest first, with their fixed length in seconds (a month has none).
RESOLUTIONS: dict[str, int] = {"15min": 900, "1h": 3600, "1d": 86400, "1mo": 0}
RESOLUTION_CODES: dict[str, int] = {"15min": 1, "1h": 2, "1d": 3, "1mo": 4}


def now_utc() -> dt.datetime:
    return dt.datetime.now(UTC)


def to_epoch_s(value: dt.datetime) -> int:
    """Epoch seconds of an aware datetime; naive datetimes are refused."""
    if value.tzinfo is None:
        raise InvalidInput("timestamps must carry a time zone (for example 2026-03-01T00:00:00+09:00)",
                           field="ts")
    return int(value.timestamp())


def from_epoch_s(seconds: int | float) -> dt.datetime:
    return dt.datetime.fromtimestamp(seconds, UTC)


def to_kst(value: dt.datetime) -> dt.datetime:
    return value.astimezone(KST)


def parse_timestamp(text: str, *, default_tz: dt.tzinfo = KST) -> dt.datetime:
    """Parse ISO 8601; a time without an offset is read in ``default_tz`` (Korean local time)."""
    try:
        value = dt.datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError as exc:
        raise InvalidInput(f"'{text}' is not an ISO 8601 timestamp", field="ts") from exc
    return value if value.tzinfo else value.replace(tzinfo=default_tz)


_HOUR_24 = re.compile(r"(?<!\d)24:00(:00)?")


def parse_local_label(text: str, fmt: str, *, tz: dt.tzinfo = KST,
                      midnight: Literal["next-day", "same-date"] = "next-day") -> dt.datetime:
    """Parse a local wall-clock label, understanding the two ways Korean exports write midnight.

    ``24:00`` always means midnight at the end of the written date.  ``00:00`` is taken as
    written (``midnight="next-day"``, the usual meaning), or as the end of the written date
    (``midnight="same-date"``, as in exports that label the interval ending at midnight with
    the date of the day it ends).
    """
    raw = text.strip()
    end_of_day = False
    if _HOUR_24.search(raw):
        raw = _HOUR_24.sub("00:00", raw)
        end_of_day = True
    try:
        value = dt.datetime.strptime(raw, fmt)  # noqa: DTZ007 - the zone is attached just below
    except ValueError as exc:
        raise InvalidInput(f"'{text}' does not match the time format '{fmt}'", field="ts") from exc
    if midnight == "same-date" and value.hour == 0 and value.minute == 0 and value.second == 0:
        end_of_day = True
    if end_of_day:
        value += dt.timedelta(days=1)
    return value.replace(tzinfo=tz)


def interval_start(label: dt.datetime, interval_s: int, *, label_is: Literal["start", "end"]) -> dt.datetime:
    """The start of an interval from its label (end-labelled series are moved back one interval)."""
    return label - dt.timedelta(seconds=interval_s) if label_is == "end" else label


def bucket_starts_s(ts_s: npt.NDArray[np.int64], resolution: str) -> npt.NDArray[np.int64]:
    """Bucket start [epoch s] of each timestamp [epoch s] at a resolution, on the KST calendar.

    Sub-day buckets align to the clock; days start at 00:00 KST; months at the first day 00:00 KST.
    """
    ts = np.asarray(ts_s, dtype=np.int64)
    if resolution == "1mo":
        local = (ts + KST_OFFSET_S).astype("datetime64[s]")
        return np.asarray(local.astype("datetime64[M]").astype("datetime64[s]").astype(np.int64)
                          - KST_OFFSET_S, dtype=np.int64)
    length = RESOLUTIONS.get(resolution)
    if not length:
        raise InvalidInput(f"unknown resolution '{resolution}'; use one of raw, 15min, 1h, 1d, 1mo",
                           field="resolution")
    if length >= 86400:
        return np.asarray((ts + KST_OFFSET_S) // length * length - KST_OFFSET_S, dtype=np.int64)
    return np.asarray(ts // length * length, dtype=np.int64)


def bucket_start_s(ts_s: int, resolution: str) -> int:
    return int(bucket_starts_s(np.array([ts_s], dtype=np.int64), resolution)[0])


@lru_cache(maxsize=64)
def korean_holidays(year: int) -> dict[dt.date, str]:
    """Korean public holidays (공휴일, including substitute holidays) of a year, Korean names."""
    return dict(holidays.country_holidays("KR", years=year, language="ko"))


def is_korean_holiday(day: dt.date) -> bool:
    return day in korean_holidays(day.year)


def day_type(day: dt.date) -> Literal["weekday", "saturday", "sunday_holiday"]:
    """The day type tariffs and baselines use: a public holiday counts as a Sunday."""
    if day.weekday() == 6 or is_korean_holiday(day):
        return "sunday_holiday"
    if day.weekday() == 5:
        return "saturday"
    return "weekday"
