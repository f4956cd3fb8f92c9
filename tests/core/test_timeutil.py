"""Time: KST calendar buckets, end labels, 24:00 and same-date midnight, Korean holidays."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from sandan.core.errors import InvalidInput
from sandan.core.timeutil import (
    KST,
    UTC,
    bucket_start_s,
    bucket_starts_s,
    day_type,
    from_epoch_s,
    interval_start,
    is_korean_holiday,
    parse_local_label,
    parse_timestamp,
    to_epoch_s,
)


def test_days_and_months_are_korean_calendar_buckets():
    # 2026-03-31 23:30 KST is 14:30 UTC on the 31st; 2026-04-01 00:30 KST is 15:30 UTC on the 31st
    before = to_epoch_s(dt.datetime(2026, 3, 31, 23, 30, tzinfo=KST))
    after = to_epoch_s(dt.datetime(2026, 4, 1, 0, 30, tzinfo=KST))
    assert from_epoch_s(bucket_start_s(before, "1d")) == dt.datetime(2026, 3, 30, 15, 0, tzinfo=UTC)
    assert from_epoch_s(bucket_start_s(after, "1d")) == dt.datetime(2026, 3, 31, 15, 0, tzinfo=UTC)
    assert from_epoch_s(bucket_start_s(before, "1mo")).astimezone(KST) == dt.datetime(2026, 3, 1, tzinfo=KST)
    assert from_epoch_s(bucket_start_s(after, "1mo")).astimezone(KST) == dt.datetime(2026, 4, 1, tzinfo=KST)
    hours = bucket_starts_s(np.array([before, after]), "1h")
    assert [from_epoch_s(h).astimezone(KST).hour for h in hours] == [23, 0]
    with pytest.raises(InvalidInput, match="unknown resolution"):
        bucket_start_s(before, "2h")


def test_midnight_conventions_and_end_labels():
    # the steel export writes the interval ending at midnight as 00:00 of the same date
    end = parse_local_label("31/12/2018 00:00", "%d/%m/%Y %H:%M", midnight="same-date")
    assert end == dt.datetime(2019, 1, 1, 0, 0, tzinfo=KST)
    assert interval_start(end, 900, label_is="end") == dt.datetime(2018, 12, 31, 23, 45, tzinfo=KST)
    assert parse_local_label("2026-02-28 24:00", "%Y-%m-%d %H:%M") == dt.datetime(2026, 3, 1, tzinfo=KST)
    assert parse_local_label("2026-03-01 00:15", "%Y-%m-%d %H:%M", midnight="same-date") == \
        dt.datetime(2026, 3, 1, 0, 15, tzinfo=KST)
    with pytest.raises(InvalidInput, match="does not match"):
        parse_local_label("yesterday", "%Y-%m-%d %H:%M")


def test_timestamps_need_zones():
    assert parse_timestamp("2026-03-01T00:00:00") == dt.datetime(2026, 3, 1, tzinfo=KST)
    assert parse_timestamp("2026-03-01T00:00:00Z") == dt.datetime(2026, 3, 1, tzinfo=UTC)
    with pytest.raises(InvalidInput):
        to_epoch_s(dt.datetime(2026, 3, 1))  # noqa: DTZ001 - naive on purpose
    with pytest.raises(InvalidInput):
        parse_timestamp("not a time")


def test_korean_holidays_are_sunday_like_days():
    assert is_korean_holiday(dt.date(2026, 2, 17))  # 설날
    assert is_korean_holiday(dt.date(2026, 3, 2))  # 삼일절 대체 휴일
    assert day_type(dt.date(2026, 2, 17)) == "sunday_holiday"
    assert day_type(dt.date(2026, 11, 28)) == "saturday"
    assert day_type(dt.date(2026, 11, 25)) == "weekday"
