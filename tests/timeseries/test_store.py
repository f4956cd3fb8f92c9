"""The reading store: idempotent writes, rollups on the KST calendar, group totals, edits."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from sqlalchemy import select, text

from sandan.core.audit import AuditLog
from sandan.core.auth.policy import Principal
from sandan.core.errors import InvalidInput, NotFound
from sandan.core.timeutil import KST, to_epoch_s
from sandan.timeseries import service
from sandan.timeseries.meta import load_point_meta
from sandan.timeseries.models import Quality
from sandan.timeseries.service import group_series, point_series
from sandan.timeseries.store import CONFLICT, DUPLICATE, REJECTED, REPLACED, STORED, edit_reading, write_readings
from tests.factories import make_tenant, system

T0 = dt.datetime(2026, 3, 31, 22, 0, tzinfo=KST)  # 2026-03-31 22:00 KST = 13:00 UTC


def _frame(point_id: int, start: dt.datetime, values: list[float], step_s: int = 900,
           quality: int = Quality.measured) -> pd.DataFrame:
    t0 = to_epoch_s(start)
    return pd.DataFrame({"point_id": point_id, "ts": [t0 + i * step_s for i in range(len(values))],
                         "value": values, "quality": quality})


def test_write_is_idempotent_and_rolls_up_on_korean_days(db):
    with db.session() as s:
        tenant = make_tenant(system(s), 1)
        # 16 quarter hours from 22:00 to 02:00 KST: 8 on 31 March, 8 on 1 April (KST)
        values = [float(i + 1) for i in range(16)]
        first = write_readings(s, _frame(tenant.main_point_id, T0, values))
        assert first.stored == 16
        again = write_readings(s, _frame(tenant.main_point_id, T0, values))
        assert again.duplicates == 16
        assert again.stored == 0

        day = point_series(s, tenant.main_point_id, T0 - dt.timedelta(days=1), T0 + dt.timedelta(days=2), "1d")
        # hand calculation: 31 March holds 1..8 = 36, 1 April holds 9..16 = 100 (KST days)
        assert day.frame["value"].tolist() == [36.0, 100.0]
        assert [t.astimezone(KST).day for t in day.frame["ts"]] == [31, 1]
        month = point_series(s, tenant.main_point_id, T0 - dt.timedelta(days=40), T0 + dt.timedelta(days=40), "1mo")
        assert month.frame["value"].tolist() == [36.0, 100.0]  # March and April on the Korean calendar
        hour = point_series(s, tenant.main_point_id, T0, T0 + dt.timedelta(hours=4), "1h")
        assert hour.frame["value"].tolist() == [10.0, 26.0, 42.0, 58.0]
        assert hour.frame["max"].tolist() == [4.0, 8.0, 12.0, 16.0]
        in_mwh = point_series(s, tenant.main_point_id, T0, T0 + dt.timedelta(hours=1), "1h", unit="MWh")
        assert in_mwh.frame["value"].iloc[0] == pytest.approx(0.010)


def test_conflicts_are_kept_out_and_estimates_give_way(db):
    with db.session() as s:
        tenant = make_tenant(system(s), 2)
        write_readings(s, _frame(tenant.main_point_id, T0, [5.0, 6.0]))
        clash = write_readings(s, _frame(tenant.main_point_id, T0, [5.0, 7.0]))
        assert clash.status.tolist() == [DUPLICATE, CONFLICT]
        assert clash.existing == {1: 6.0}
        estimate = write_readings(s, _frame(tenant.main_point_id, T0 + dt.timedelta(minutes=30), [3.0],
                                            quality=Quality.estimated))
        assert estimate.stored == 1
        real = write_readings(s, _frame(tenant.main_point_id, T0 + dt.timedelta(minutes=30), [4.0]))
        assert real.status.tolist() == [REPLACED]
        hour = point_series(s, tenant.main_point_id, T0, T0 + dt.timedelta(hours=1), "1h")
        assert hour.frame["value"].tolist() == [15.0]  # 5 + 6 + 4, the estimate 3 is gone
        assert hour.frame["count"].tolist() == [3]
        company = group_series(s, "company", tenant.company_id, T0, T0 + dt.timedelta(hours=1), resolution="1h")
        assert company.frame["value"].tolist() == [15.0]


def test_bad_rows_are_rejected_with_reasons(db):
    with db.session() as s:
        tenant = make_tenant(system(s), 3)
        frame = pd.DataFrame({"point_id": [tenant.main_point_id, 999_999, tenant.main_point_id],
                              "ts": [to_epoch_s(T0)] * 3, "value": [1.0, 1.0, float("nan")], "quality": [0, 0, 0]})
        result = write_readings(s, frame)
        assert result.status.tolist() == [STORED, REJECTED, REJECTED]
        assert result.reasons[1] == "unknown point"
        assert "finite" in result.reasons[2]


def test_main_meter_wins_over_sub_meters_in_group_totals(db):
    with db.session() as s:
        tenant = make_tenant(system(s), 4)
        write_readings(s, pd.concat([_frame(tenant.main_point_id, T0, [10.0] * 4),
                                     _frame(tenant.line_point_id, T0, [4.0] * 4)]))
        start, end = T0, T0 + dt.timedelta(hours=1)
        assert group_series(s, "company", tenant.company_id, start, end).frame["value"].tolist() == [40.0]
        assert group_series(s, "site", tenant.site_id, start, end).frame["value"].tolist() == [40.0]
        # the line and its area have no meter of their own above the line meter: they show the sub-meter
        assert group_series(s, "asset", tenant.area_id, start, end).frame["value"].tolist() == [16.0]
        assert group_series(s, "asset", tenant.line_id, start, end).frame["value"].tolist() == [16.0]
        toe = group_series(s, "company", tenant.company_id, start, end, unit="toe").frame["value"].iloc[0]
        assert toe == pytest.approx(40 * 9.6 / 41868)  # 9.6 MJ/kWh, 1 toe = 41,868 MJ


def test_edit_needs_a_reason_and_is_audited(db):
    with db.session() as s:
        tenant = make_tenant(system(s), 5)
        write_readings(s, _frame(tenant.main_point_id, T0, [1.0, 2.0, 3.0, 4.0]))
        with pytest.raises(InvalidInput):
            edit_reading(s, tenant.main_point_id, to_epoch_s(T0), 9.0, "  ")
        edit_reading(s, tenant.main_point_id, to_epoch_s(T0), 9.0, "meter replaced; value from the paper log")
        hour = point_series(s, tenant.main_point_id, T0, T0 + dt.timedelta(hours=1), "1h")
        assert hour.frame["value"].tolist() == [18.0]
        assert hour.frame["max"].tolist() == [9.0]
        company = group_series(s, "company", tenant.company_id, T0, T0 + dt.timedelta(hours=1))
        assert company.frame["value"].tolist() == [18.0]
        log = s.execute(select(AuditLog).where(AuditLog.action == "edit")).scalars().one()
        assert log.before == {"value": 1.0}
        assert log.after["value"] == 9.0
        assert "paper log" in log.reason
        quality = s.connection().execute(text("SELECT quality FROM readings WHERE point_id = :p AND ts = :t"),
                                         {"p": tenant.main_point_id, "t": to_epoch_s(T0)}).scalar_one()
        assert quality == Quality.edited
        with pytest.raises(NotFound):
            edit_reading(s, 999_999, to_epoch_s(T0), 1.0, "no such point")


def test_a_bucket_stored_off_the_grid_is_merged_not_copied_over(db):
    """A 15-minute meter once sent 22:50; a batch 22:00-22:45 then looks like it fills a new hour.
    On PostgreSQL the bulk copy meets the stored hour and falls back to merging it."""
    with db.session() as s:
        tenant = make_tenant(system(s), 6)
        assert write_readings(s, _frame(tenant.main_point_id, T0 + dt.timedelta(minutes=50), [7.0])).stored == 1
        assert write_readings(s, _frame(tenant.main_point_id, T0, [1.0, 2.0, 3.0, 4.0])).stored == 4
        hour = point_series(s, tenant.main_point_id, T0, T0 + dt.timedelta(hours=1), "1h").frame
        assert hour["value"].tolist() == [17.0]
        assert hour["count"].tolist() == [5]
        assert hour["max"].tolist() == [7.0]
        company = group_series(s, "company", tenant.company_id, T0, T0 + dt.timedelta(hours=1), resolution="1h")
        assert company.frame["value"].tolist() == [17.0]
        assert company.frame["count"].tolist() == [5]


def test_readings_and_series_of_another_company_stay_invisible(db):
    with db.session() as s:
        mine, theirs = make_tenant(system(s), 7), make_tenant(system(s), 8)
    member = Principal(user_id=None, name="member", companies_read=frozenset({mine.company_id}),
                       companies_readings=frozenset({mine.company_id}), roles=frozenset({"company_member"}))
    with db.session(principal=member) as s:
        assert set(load_point_meta(s, [mine.main_point_id, theirs.main_point_id])) == {mine.main_point_id}
        result = write_readings(s, pd.concat([_frame(mine.main_point_id, T0, [1.0]),
                                              _frame(theirs.main_point_id, T0, [1.0])]))
        assert result.status.tolist() == [STORED, REJECTED]
        assert result.reasons[1] == "unknown point"
        with pytest.raises(NotFound):
            point_series(s, theirs.main_point_id, T0, T0 + dt.timedelta(hours=1))
        with pytest.raises(NotFound):
            group_series(s, "company", theirs.company_id, T0, T0 + dt.timedelta(hours=1))
        assert point_series(s, mine.main_point_id, T0, T0 + dt.timedelta(hours=1), "raw").frame["value"].tolist() \
            == [1.0]


def test_raw_series_refuse_more_rows_than_the_cap(db, monkeypatch):
    with db.session() as s:
        tenant = make_tenant(system(s), 9)
        write_readings(s, _frame(tenant.main_point_id, T0, [1.0, 2.0, 3.0, 4.0]))
        monkeypatch.setattr(service, "MAX_RAW_ROWS", 3)
        with pytest.raises(InvalidInput):
            point_series(s, tenant.main_point_id, T0, T0 + dt.timedelta(hours=1), "raw")
        monkeypatch.setattr(service, "MAX_RAW_ROWS", 4)
        raw = point_series(s, tenant.main_point_id, T0, T0 + dt.timedelta(hours=1), "raw").frame
        assert raw["value"].tolist() == [1.0, 2.0, 3.0, 4.0]
        assert raw["ts"].tolist() == [pd.Timestamp(T0 + dt.timedelta(minutes=15 * i)) for i in range(4)]


def test_unit_conversion_and_labels_of_series(db):
    with db.session() as s:
        tenant = make_tenant(system(s), 10)
        write_readings(s, _frame(tenant.main_point_id, T0, [1000.0, 1000.0, 1000.0, 1000.0]))
        hour = point_series(s, tenant.main_point_id, T0, T0 + dt.timedelta(hours=1), "1h", unit="MWh")
        assert hour.unit == "MWh"
        assert hour.label == "수전 유효전력량"
        assert hour.frame["value"].tolist() == [4.0]
        assert hour.frame["min"].tolist() == [1.0]
        assert hour.frame["max"].tolist() == [1.0]
