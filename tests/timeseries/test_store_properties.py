"""Invariants of the reading store on both databases (Hypothesis): whatever sequence of writes
arrives, the stored rollups equal a recomputation from the stored readings; a batch split into
pieces leaves the same rollups as the whole batch."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text
from sqlalchemy.orm import Session

from sandan.core.tenancy import schemas, service
from sandan.core.tenancy.models import Carrier, Direction, PointKind
from sandan.core.timeutil import KST, bucket_starts_s, from_epoch_s, to_epoch_s
from sandan.timeseries.meta import load_point_meta
from sandan.timeseries.models import Quality
from sandan.timeseries.rollup import POINT_COLUMNS
from sandan.timeseries.service import point_series
from sandan.timeseries.store import edit_reading, write_readings
from tests.factories import Tenant, make_tenant, system
from tests.timeseries import reference

T0 = to_epoch_s(dt.datetime(2026, 4, 30, 21, 0, tzinfo=KST))  # three hours before a KST month ends
SETTINGS = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@contextmanager
def scratch(db) -> Iterator[Session]:
    """A session whose work is undone at the end (one Hypothesis example must not see another's)."""
    session = db.sessionmaker()
    try:
        yield system(session)
    finally:
        session.rollback()
        session.close()


def tenant_with_pv(s: Session) -> tuple[Tenant, int]:
    """The factory tenant (site meter, line sub-meter, kW point) and an hourly PV meter in MWh."""
    tenant = make_tenant(s, 41)
    pv = service.create_point(s, schemas.PointCreate(
        site_id=tenant.site_id, code="c41.pv.mwh", name="태양광 발전량", quantity="active_energy", unit="MWh",
        carrier=Carrier.electricity, kind=PointKind.interval, direction=Direction.generation, interval_s=3600))
    return tenant, pv.id


def readings_of(s: Session, points: list[int]) -> pd.DataFrame:
    rows = s.connection().execute(text(
        f"SELECT point_id, ts, value FROM readings WHERE point_id IN ({', '.join(map(str, points))})")).all()
    return pd.DataFrame(rows, columns=["point_id", "ts", "value"]).astype(
        {"point_id": np.int64, "ts": np.int64, "value": np.float64})


def rollups_of(s: Session, points: list[int]) -> pd.DataFrame:
    rows = s.connection().execute(text(
        f"SELECT {', '.join(POINT_COLUMNS)} FROM rollups WHERE point_id IN ({', '.join(map(str, points))})")).all()
    return pd.DataFrame(rows, columns=POINT_COLUMNS)


def group_rollups_of(s: Session, groups: set[tuple[int, int]]) -> pd.DataFrame:
    rows = [row for kind, group in sorted(groups) for row in s.connection().execute(text(
        "SELECT group_kind, group_id, metric, res, bucket, v_sum, n FROM group_rollups "
        "WHERE group_kind = :k AND group_id = :g"), {"k": kind, "g": group}).all()]
    return pd.DataFrame(rows, columns=[*reference.GROUP_KEY, "v_sum", "n"])


def check_rollups(s: Session, points: list[int]) -> None:
    """Point and group rollups of ``points`` equal a recomputation from their stored readings."""
    meta = load_point_meta(s, points)
    stored = readings_of(s, points)
    reference.assert_point_rollups_equal(rollups_of(s, points),
                                         reference.point_rollups(stored, {p: m.interval_s for p, m in meta.items()}))
    targets = {p: m.targets for p, m in meta.items() if m.targets}
    expected = reference.group_rollups(stored, targets, {p: m.metric for p, m in meta.items()},
                                       {p: m.factor_to_canonical for p, m in meta.items()})
    actual = group_rollups_of(s, {t for ts in targets.values() for t in ts})
    reference.assert_group_rollups_equal(actual[actual["n"] > 0], expected)
    assert (actual["n"] > 0).all(), "a group bucket is left with no readings"
    check_series(s, points, stored)


def check_series(s: Session, points: list[int], stored: pd.DataFrame) -> None:
    """Every point's series at every resolution — stored, merged from days (months) or from readings
    (buckets of fewer than 8 intervals) — equals pandas over the stored readings on the KST calendar."""
    start, end = from_epoch_s(T0 - 40 * 86400), from_epoch_s(T0 + 100 * 86400)
    mean_points = {p for p, m in load_point_meta(s, points, targets=False).items() if m.kind == "instantaneous"}
    for pid in points:
        mine = stored[stored["point_id"] == pid]
        for resolution in ("15min", "1h", "1d", "1mo"):
            got = point_series(s, pid, start, end, resolution).frame
            want = mine.assign(bucket=bucket_starts_s(mine["ts"].to_numpy(np.int64), resolution)).groupby(
                "bucket")["value"].agg(["sum", "mean", "min", "max", "size"])
            assert [to_epoch_s(t) for t in got["ts"]] == want.index.tolist(), (pid, resolution)
            value = want["mean"] if pid in mean_points else want["sum"]
            np.testing.assert_allclose(got["value"].to_numpy(float), value.to_numpy(float), rtol=1e-9)
            assert got["min"].tolist() == want["min"].tolist()
            assert got["max"].tolist() == want["max"].tolist()
            assert got["count"].tolist() == want["size"].tolist()


# timestamps on a 5-minute grid (on and off the 15-minute grid) over two KST days across a month end,
# and a few anywhere in the next months; values exact in binary so every order sums alike
TIMESTAMPS = st.one_of(st.integers(0, 576).map(lambda k: T0 + k * 300),
                       st.integers(0, 90 * 86400).map(lambda s: T0 + s))
VALUES = st.integers(0, 8000).map(lambda v: v / 8)


@st.composite
def batch_of(draw: st.DrawFn, points: list[int]) -> pd.DataFrame:
    rows = draw(st.lists(st.tuples(st.sampled_from(points), TIMESTAMPS, VALUES,
                                   st.sampled_from([int(Quality.measured)] * 3 + [int(Quality.estimated)])),
                         min_size=1, max_size=40))
    return pd.DataFrame(rows, columns=["point_id", "ts", "value", "quality"])


@SETTINGS
@given(data=st.data())
def test_after_any_writes_the_rollups_equal_a_recomputation_from_the_readings(db, data):
    with scratch(db) as s:
        tenant, pv = tenant_with_pv(s)
        points = [tenant.main_point_id, tenant.line_point_id, tenant.power_point_id, pv]
        sent: list[pd.DataFrame] = []
        for _ in range(data.draw(st.integers(1, 4), label="batches")):
            action = data.draw(st.sampled_from(["new", "new", "resend", "upgrade", "edit"]), label="action")
            if action == "resend" and sent:  # a gateway sends a batch again, maybe with other values (conflicts)
                earlier = data.draw(st.sampled_from(sent))
                batch = earlier.assign(value=earlier["value"] + data.draw(st.sampled_from([0.0, 1.0])))
            elif action == "upgrade" and sent:  # measured values arrive for what was estimated
                earlier = data.draw(st.sampled_from(sent))
                batch = earlier.assign(quality=int(Quality.measured), value=earlier["value"] * 2)
            elif action == "edit" and sent:
                row = data.draw(st.sampled_from(sent)).iloc[0]
                stored = readings_of(s, [int(row["point_id"])])
                if (stored["ts"] == row["ts"]).any():
                    edit_reading(s, int(row["point_id"]), int(row["ts"]), float(row["value"]) + 0.5, "test edit")
                continue
            else:
                batch = data.draw(batch_of(points))
            write_readings(s, batch)
            sent.append(batch)
        check_rollups(s, points)


@SETTINGS
@given(data=st.data())
def test_a_batch_split_into_pieces_leaves_the_same_rollups_as_the_whole(db, data):
    with scratch(db) as s:
        tenant, pv = tenant_with_pv(s)
        points = [tenant.main_point_id, tenant.line_point_id, tenant.power_point_id, pv]
        batch = data.draw(batch_of(points)).drop_duplicates(["point_id", "ts"])
        groups = {t for m in load_point_meta(s, points).values() for t in m.targets}
        nested = s.begin_nested()
        write_readings(s, batch)
        whole = rollups_of(s, points), group_rollups_of(s, groups)
        nested.rollback()
        cuts = sorted(set(data.draw(st.lists(st.integers(1, max(1, len(batch) - 1)), max_size=3))))
        for piece in np.split(batch, cuts):
            if len(piece):
                write_readings(s, piece)
        reference.assert_point_rollups_equal(rollups_of(s, points), whole[0])
        reference.assert_group_rollups_equal(group_rollups_of(s, groups), whole[1])
        check_rollups(s, points)
