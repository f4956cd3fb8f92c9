"""Granular certificates: issuance per Wh and hour, transfer and retirement by splitting blocks,
no Wh counted twice (Hypothesis), hourly CFE score and the annual share with the plant-age rule."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sandan.core.errors import Conflict
from sandan.grid.market import certificates as gc
from sandan.grid.market.certificates import Block, Instrument

H0 = pd.Timestamp("2026-06-01 12:00", tz="Asia/Seoul").tz_convert("UTC")
H1 = H0 + pd.Timedelta(hours=1)
NEW = dt.date(2020, 1, 1)


def hours(*values: float) -> pd.Series:
    return pd.Series(values, index=pd.date_range(H0, periods=len(values), freq="h"))


def test_issue_transfer_retire_split_blocks() -> None:
    # 1,500.7 Wh at 12:00 and 800 Wh at 13:00 KST → blocks 1…1500 and 1…800 (the 0.7 Wh is not certified).
    blocks = gc.issue(7, owner=1, generation_wh=hours(1500.7, 800), instrument=Instrument.self_generation,
                      commissioned=NEW)
    assert [(b.first_wh, b.last_wh) for b in blocks] == [(1, 1500), (1, 800)]
    # 600 Wh of 12:00 go to company 2 with a direct PPA: 1…600 to 2, 601…1500 stay with 1.
    blocks = gc.transfer(blocks, 1, 2, H0.to_pydatetime(), 600, instrument=Instrument.direct_ppa)
    noon = sorted((b.first_wh, b.last_wh, b.owner, b.instrument) for b in blocks if b.hour == H0)
    assert noon == [(1, 600, 2, Instrument.direct_ppa), (601, 1500, 1, Instrument.self_generation)]
    # Company 2 retires 250 Wh of them for its 2026 claim: 1…250 retired, 251…600 still movable.
    blocks = gc.retire(blocks, 2, H0.to_pydatetime(), 250, "RE100-2026")
    mine = sorted((b.first_wh, b.last_wh, b.claim) for b in blocks if b.owner == 2)
    assert mine == [(1, 250, "RE100-2026"), (251, 600, None)]
    # Retired certificates never move again: only 350 Wh are left to company 2 at 12:00.
    with pytest.raises(Conflict, match="only 350 Wh"):
        gc.transfer(blocks, 2, 3, H0.to_pydatetime(), 351)
    assert gc.double_counting(blocks, {(7, H0.to_pydatetime()): 1500, (7, H1.to_pydatetime()): 800}) == []


def test_an_overlap_or_a_gap_is_found() -> None:
    a = Block(1, H0.to_pydatetime(), 1, 10, 1, Instrument.rec, NEW)
    b = Block(1, H0.to_pydatetime(), 10, 20, 2, Instrument.rec, NEW)  # serial 10 twice
    assert [f["code"] for f in gc.double_counting([a, b], {(1, H0.to_pydatetime()): 20})] == ["overlap"]
    c = Block(1, H0.to_pydatetime(), 12, 20, 2, Instrument.rec, NEW)  # serial 11 lost
    assert [f["code"] for f in gc.double_counting([a, c], {(1, H0.to_pydatetime()): 20})] == ["gap"]
    assert [f["code"] for f in gc.double_counting([a], {(1, H0.to_pydatetime()): 20})] == ["total"]


def test_an_hour_is_issued_once() -> None:
    twice = pd.Series([1.0, 2.0], index=pd.DatetimeIndex([H0, H0]))
    with pytest.raises(Conflict):
        gc.issue(1, 1, twice, Instrument.rec, NEW)


def test_hourly_cfe_caps_each_hour() -> None:
    # Consumption 1,000 and 1,000 Wh; retired 1,500 Wh at 12:00 and 200 Wh at 13:00.
    # Matched = min per hour = 1,000 + 200 = 1,200 of 2,000 Wh → CFE 0.6 (the 500 Wh surplus at
    # noon does not cover 13:00; an annual match would say 1,700 / 2,000 = 0.85).
    retired = [Block(1, H0.to_pydatetime(), 1, 1500, 9, Instrument.direct_ppa, NEW, "c"),
               Block(1, H1.to_pydatetime(), 1, 200, 9, Instrument.direct_ppa, NEW, "c"),
               Block(1, H1.to_pydatetime(), 201, 900, 9, Instrument.direct_ppa, NEW)]  # not retired: no claim
    frame = gc.hourly_cfe(hours(1000, 1000), retired)
    assert frame["matched_wh"].tolist() == [1000, 200]
    assert gc.cfe_score(frame) == pytest.approx(0.6)


def test_renewable_share_applies_the_plant_age_rule() -> None:
    # 2026 consumption 10,000 Wh.  Retired: 3,000 Wh of a direct PPA from a 2020 plant (counts),
    # 2,000 Wh of RECs from a 2005 plant (21 years old: excluded), 1,000 Wh self-generation from a
    # 2005 plant (exempt: counts).  Share = (3,000 + 1,000) / 10,000 = 0.4.
    old = dt.date(2005, 3, 1)
    retired = [Block(1, H0.to_pydatetime(), 1, 3000, 9, Instrument.direct_ppa, NEW, "c"),
               Block(2, H0.to_pydatetime(), 1, 2000, 9, Instrument.rec, old, "c"),
               Block(3, H0.to_pydatetime(), 1, 1000, 9, Instrument.self_generation, old, "c")]
    share = gc.renewable_share(10_000, retired, 2026)
    assert share["share"] == pytest.approx(0.4)
    assert share["excluded_old_plants_wh"] == 2000
    assert share["by_instrument_wh"]["direct_ppa"] == 3000
    assert share["by_instrument_wh"]["self_generation"] == 1000


moves = st.lists(st.tuples(st.sampled_from(["transfer", "retire"]), st.integers(1, 4), st.integers(1, 4),
                           st.integers(0, 1), st.integers(1, 400)), max_size=25)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.integers(0, 1000), min_size=2, max_size=2), moves)
def test_no_certificate_is_ever_counted_twice(generation: list[int],
                                              steps: list[tuple[str, int, int, int, int]]) -> None:
    blocks = gc.issue(1, 1, hours(*generation), Instrument.direct_ppa, NEW)
    issued = {(b.plant_id, b.hour): b.wh for b in blocks}
    retired_before: set[tuple[int, int, dt.datetime]] = set()
    for kind, frm, to, h, wh in steps:
        hour = (H0 if h == 0 else H1).to_pydatetime()
        try:
            if kind == "transfer":
                blocks = gc.transfer(blocks, frm, to, hour, wh)
            else:
                blocks = gc.retire(blocks, frm, hour, wh, f"claim-{frm}")
        except Conflict:
            continue  # not enough unretired certificates: nothing changed
        assert gc.double_counting(blocks, issued) == []
        retired_now = {(s, b.owner, b.hour) for b in blocks if b.claim for s in range(b.first_wh, b.last_wh + 1)}
        assert retired_before <= retired_now  # a retired Wh stays retired with the same holder
        retired_before = retired_now
    assert sum(b.wh for b in blocks) == sum(issued.values())
