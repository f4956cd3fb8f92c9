"""Budget plans against the programmes' caps and matching rule; the call's lifecycle and deadline
in Asia/Seoul."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest

from sandan.core.timeutil import KST
from sandan.programs.budget import YearBudget, check_plan, national_by_year
from sandan.programs.calls import CallStatus, check_transition, check_window
from sandan.programs.catalogue import EOK_KRW, parse_year_caps, programmes_2026

AX = next(p for p in programmes_2026() if p.code == "ax_demo_complex")
RC = next(p for p in programmes_2026() if p.code == "resource_circulation")


def test_reference_schedules() -> None:
    # 140억원 per award as 20/50/50/20 억원
    assert AX.year_caps_krw == {"*": [20 * EOK_KRW, 50 * EOK_KRW, 50 * EOK_KRW, 20 * EOK_KRW]}
    assert AX.budget_per_award_krw == 14_000_000_000
    # resource circulation: Yeosu 30/45 (2 years), Pohang 8/37/30 (3 years), each 75억원
    assert RC.year_caps_krw == {"yeosu": [3_000_000_000, 4_500_000_000],
                                "pohang": [800_000_000, 3_700_000_000, 3_000_000_000]}
    assert RC.duration_years == 3
    assert sum(p.awards for p in programmes_2026()) == 39  # the announcement's 39 new projects


def test_a_schedule_that_does_not_add_up_is_refused() -> None:
    from sandan.programs.catalogue import parse_programmes

    row = {"code": "x", "area": "GX", "name_ko": "x", "name_en": "x", "awards": "1", "award_unit": "complex",
           "budget_per_award_krw_100m": "10", "budget_by_year_krw_100m": "5/4", "eligibility": "",
           "eligibility_rule": "designated", "max_national_share_pct": "50", "source": ""}
    with pytest.raises(ValueError, match="adds up to 900000000"):
        parse_programmes([row])
    assert parse_year_caps("6") == {"*": [600_000_000]}


def plan(*national_local_private: tuple[int, int, int]) -> list[YearBudget]:
    return [YearBudget(y, n, loc, p) for y, (n, loc, p) in enumerate(national_local_private, start=1)]


def test_a_plan_within_caps_and_matching_passes() -> None:
    # year 1: national 20억 of a 40억 total = 50% (the limit itself); cap 20억
    good = plan((20 * EOK_KRW, 10 * EOK_KRW, 10 * EOK_KRW), (50 * EOK_KRW, 30 * EOK_KRW, 20 * EOK_KRW),
                (50 * EOK_KRW, 50 * EOK_KRW, 0), (20 * EOK_KRW, 0, 20 * EOK_KRW))
    assert check_plan(good, AX.year_caps_krw, "gwangyang", 50) == []


def test_over_cap_and_matching_are_refused_with_numbers() -> None:
    # year 1: national 20억 + 1 won is over the 20억 cap; year 2: national 50억 of 99.99..억 total
    # is 50.0000001% > 50%: refused as matching
    bad = plan((20 * EOK_KRW + 1, 20 * EOK_KRW, 20 * EOK_KRW), (50 * EOK_KRW, 50 * EOK_KRW - 1, 0),
               (0, 0, 0), (0, 0, 0))
    refusals = check_plan(bad, AX.year_caps_krw, "gwangyang", 50)
    assert [(r.code, r.data["year"]) for r in refusals] == [("over_cap", 1), ("matching", 2)]
    assert refusals[0].message == ("year 1: the national share 2,000,000,001 KRW is over the programme's cap "
                                   "of 2,000,000,000 KRW")


def test_years_must_match_the_complexs_schedule() -> None:
    # Yeosu's schedule has 2 years: a 3-year plan is refused; Pohang's has 3
    three = plan((8 * EOK_KRW, 8 * EOK_KRW, 0), (30 * EOK_KRW, 30 * EOK_KRW, 0), (30 * EOK_KRW, 30 * EOK_KRW, 0))
    # (years 1 and 2 are within Yeosu's caps of 30억 and 45억; year 3 has no cap there)
    assert [r.code for r in check_plan(three, RC.year_caps_krw, "yeosu", 50)] == ["years"]
    assert check_plan(three, RC.year_caps_krw, "pohang", 50) == []
    assert [r.code for r in check_plan(three, RC.year_caps_krw, "gwangyang", 50)] == ["no_schedule"]


def test_negative_shares_are_refused() -> None:
    assert [r.code for r in check_plan(plan((1, -1, 5)), {"*": [10]}, "x", 50)] == ["negative"]


def test_national_by_year() -> None:
    assert national_by_year(plan((1, 0, 1), (2, 0, 2)), 3) == [1, 2, 0]


# --- lifecycle and deadline ---------------------------------------------------------------------

def test_lifecycle_moves_one_step_at_a_time() -> None:
    steps = list(CallStatus)
    assert [s.value for s in steps] == ["draft", "open", "closed", "evaluation", "selection", "announced"]
    for a, b in itertools.pairwise(steps):
        assert check_transition(a, b) == []
    (r,) = check_transition(CallStatus.open, CallStatus.selection)
    assert r.message == "a call in status open can only move to closed, not selection"
    assert check_transition(CallStatus.announced, CallStatus.draft)[0].code == "transition"


OPENS = dt.datetime(2026, 4, 29, 9, 0, tzinfo=KST)
CLOSES = dt.datetime(2026, 6, 8, 18, 0, tzinfo=KST)


def test_the_deadline_second_is_in_time_and_the_next_is_late() -> None:
    # 18:00:00 KST on 8 June is 09:00:00 UTC; one second later is refused
    on_time = dt.datetime(2026, 6, 8, 9, 0, 0, tzinfo=dt.UTC)
    assert check_window(CallStatus.open, OPENS, CLOSES, on_time) == []
    (late,) = check_window(CallStatus.open, OPENS, CLOSES, on_time + dt.timedelta(seconds=1))
    assert late.code == "deadline_passed"
    assert late.message == "the deadline was 2026-06-08 18:00:00 KST; it is 2026-06-08 18:00:01 KST"


def test_before_opening_and_outside_open_status_are_refused() -> None:
    assert check_window(CallStatus.open, OPENS, CLOSES, OPENS - dt.timedelta(seconds=1))[0].code == "not_yet_open"
    assert check_window(CallStatus.closed, OPENS, CLOSES, OPENS)[0].code == "call_not_open"
