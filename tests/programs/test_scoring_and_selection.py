"""Conflicts of interest, panel aggregation by hand, bonus points, and the selection against a
brute force."""

from __future__ import annotations

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sandan.programs.catalogue import BonusTable, Indicator, bonus_table, default_indicators
from sandan.programs.conflicts import Parties, ReviewerProfile, conflicts, plan_panels
from sandan.programs.scoring import aggregate, bonus, check_sheet, to_centi
from sandan.programs.selection import (
    Candidate,
    Limits,
    brute_force_optima,
    explain,
    feasible,
    objective,
    select,
    select_brute_force,
    select_greedy,
)

# --- conflicts ----------------------------------------------------------------------------------

APP = Parties(application_id=7, company_id=100, applicant_name="(주)광양에너지",
              member_company_ids=frozenset({200}), member_names=frozenset({"광양시", "한국에너지 공과대학교"}))


def test_own_organisation_consortium_member_and_declared_conflicts() -> None:
    assert [r.code for r in conflicts(ReviewerProfile(1, affiliation_company_id=100), APP)] == ["own_organisation"]
    assert [r.code for r in conflicts(ReviewerProfile(1, affiliation="(주) 광양에너지"), APP)] == ["own_organisation"]
    assert [r.code for r in conflicts(ReviewerProfile(1, affiliation_company_id=200), APP)] == ["consortium_member"]
    # names match without spaces: "한국에너지공과대학교" is the member "한국에너지 공과대학교"
    assert [r.code for r in conflicts(ReviewerProfile(1, affiliation="한국에너지공과대학교"), APP)] == \
        ["consortium_member"]
    assert [r.code for r in conflicts(ReviewerProfile(1, declared_application_ids=frozenset({7})), APP)] == \
        ["declared"]
    assert [r.code for r in conflicts(ReviewerProfile(1, declared_company_ids=frozenset({200})), APP)] == \
        ["declared"]
    assert conflicts(ReviewerProfile(1, affiliation="서울대학교", affiliation_company_id=300), APP) == []


def test_panels_never_hold_a_conflict_and_spread_the_load() -> None:
    reviewers = [ReviewerProfile(1, affiliation_company_id=100),     # own organisation of app 7
                 ReviewerProfile(2, affiliation="광양시"),            # consortium member of app 7
                 ReviewerProfile(3, declared_application_ids=frozenset({8})),
                 ReviewerProfile(4), ReviewerProfile(5)]
    other = Parties(application_id=8, company_id=101, applicant_name="(주)여수화학")
    plan = plan_panels([APP, other], reviewers, panel_size=3)
    # app 7 may only take 3, 4, 5; app 8 may not take 3: load after app 7 is {3:1, 4:1, 5:1, 1:0, 2:0}
    assert plan.assignments == {7: [3, 4, 5], 8: [1, 2, 4]}
    assert plan.short == {}
    short = plan_panels([APP], reviewers, panel_size=4)
    assert short.assignments == {7: [3, 4, 5]}
    assert short.short == {7: 1}


# --- sheets, aggregation, bonus -----------------------------------------------------------------

INDICATORS = default_indicators()


def test_the_default_indicators_weigh_100_with_regional_balance_and_spillover() -> None:
    assert sum(i.weight for i in INDICATORS) == 100
    assert {i.code for i in INDICATORS} >= {"regional_balance", "spillover"}


def test_sheets_are_checked() -> None:
    full = {i.code: i.weight for i in INDICATORS}
    assert check_sheet(full, INDICATORS) == []
    bad = {**full, "plan": 25.5, "luck": 3}
    del bad["spillover"]
    assert [r.code for r in check_sheet(bad, INDICATORS)] == ["unknown_indicator", "range", "missing"]
    assert check_sheet({"a": -1}, [Indicator("a", "a", "a", 10)])[0].code == "range"


def test_aggregation_of_a_hand_worked_panel() -> None:
    # five reviewers: 82, 75.5, 91, 68, 79 → drop 91 (highest) and 68 (lowest);
    # (82 + 75.5 + 79) / 3 = 236.5 / 3 = 78.8333… → 78.83 (7883 hundredths)
    agg = aggregate([82, 75.5, 91, 68, 79])
    assert agg.dropped == (91, 68)
    assert agg.average == pytest.approx(236.5 / 3)
    assert agg.average_centi == 7883
    # four reviewers (below the default of five): no trimming, (82 + 75.5 + 91 + 68) / 4 = 79.125 → 79.13
    small = aggregate([82, 75.5, 91, 68])
    assert small.dropped is None
    assert small.average_centi == 7913
    # configurable: trimming from 4 sheets on → (75.5 + 82) / 2 = 78.75
    assert aggregate([82, 75.5, 91, 68], trim_min_panel=4).average_centi == 7875
    # never trimming
    assert aggregate([82, 75.5, 91, 68, 79], trim_min_panel=None).average_centi == to_centi(395.5 / 5)
    with pytest.raises(ValueError, match="no score"):
        aggregate([])


def test_half_points_round_up() -> None:
    assert to_centi(78.125) == 7813
    assert to_centi(78.124) == 7812
    assert to_centi(0.005) == 1


def test_bonus_points_from_the_versioned_table() -> None:
    table = bonus_table()
    assert table.version == "2026.1"
    assert "daebul" in table.decline_complexes
    assert bonus("banwol_sihwa", True, table).points == 0                      # capital area, no bonus
    assert bonus("gwangyang", False, table).points == table.non_capital_area  # 1.0
    both = bonus("daebul", False, table)                                       # 1.0 + 2.0 = 3.0 (= the cap)
    assert both.points == 3.0
    assert len(both.reasons) == 2
    capped = bonus("daebul", False, BonusTable("t", 2.0, 2.5, 4.0, frozenset({"daebul"}), ""))
    assert capped.points == 4.0
    assert capped.reasons[-1] == "capped at 4"


# --- selection ----------------------------------------------------------------------------------

def test_a_hand_worked_selection_with_the_regional_rule() -> None:
    # 2 awards, one per region, budget 10 per year: the two best (90 and 85) are both 동남권, so
    # the optimum is 90 + 80 (호남권) = 170, not 90 + 85
    cands = [Candidate(1, 9000, "동남권", (5,)), Candidate(2, 8500, "동남권", (5,)),
             Candidate(3, 8000, "호남권", (5,)), Candidate(4, 7000, "대경권", (5,))]
    limits = Limits(2, (10,), max_per_region=1)
    assert select(cands, limits) == [1, 3]
    why = explain(cands, limits, [1, 3])
    assert why[1][0].code == "selected"
    assert why[1][0].message == "selected: rank 1 with 90.00 points"
    assert [r.code for r in why[2]] == ["award_count", "budget", "region"]
    assert [r.code for r in why[4]] == ["award_count", "budget"]


def test_the_budget_can_beat_the_greedy_order() -> None:
    # budget 10: greedy takes 90 (cost 6) then nothing fits (80 and 75 cost 5 each) → 90;
    # the optimum takes 80 + 75 = 155
    cands = [Candidate(1, 9000, "a", (6,)), Candidate(2, 8000, "b", (5,)), Candidate(3, 7500, "c", (5,))]
    limits = Limits(3, (10,))
    assert select_greedy(cands, limits) == [1]
    assert select(cands, limits) == [2, 3] == select_brute_force(cands, limits)


def test_ties_go_to_the_earlier_submission() -> None:
    cands = [Candidate(1, 8000, "a", (1,), submitted_order=2), Candidate(2, 8000, "b", (1,), submitted_order=1)]
    assert select(cands, Limits(1, (10,))) == [2]


@st.composite
def instances(draw: st.DrawFn) -> tuple[list[Candidate], Limits]:
    n = draw(st.integers(0, 9))
    years = draw(st.integers(1, 3))
    cands = [Candidate(i + 1, draw(st.sampled_from([0, 6000, 7000, 7000, 8050, 9000])),
                       draw(st.sampled_from(["동남권", "호남권", "수도권"])),
                       tuple(draw(st.integers(0, 5)) for _ in range(years)), draw(st.integers(0, 4)))
             for i in range(n)]
    limits = Limits(draw(st.integers(0, 5)), tuple(draw(st.integers(0, 12)) for _ in range(years)),
                    draw(st.sampled_from([None, 1, 2])))
    return cands, limits


@settings(max_examples=300, deadline=None)
@given(instances())
def test_selection_equals_brute_force(instance: tuple[list[Candidate], Limits]) -> None:
    cands, limits = instance
    chosen = select(cands, limits)
    best, ties = brute_force_optima(cands, limits)
    assert objective(cands, chosen) == objective(cands, best)
    if ties == 1:  # the optimum is unique: the very same selection
        assert chosen == best
    by_id = {c.id: c for c in cands}
    assert feasible([by_id[i] for i in chosen], limits)  # counts, budgets and the regional rule hold
    greedy = select_greedy(cands, limits)
    assert sum(by_id[i].score_centi for i in greedy) <= sum(by_id[i].score_centi for i in chosen)


def test_selection_scales_to_a_large_programme() -> None:
    rng = random.Random(3)
    cands = [Candidate(i, rng.randint(5000, 9500), rng.choice("ABCDEFGH"), (rng.randint(1, 9) * 10**8,) * 3)
             for i in range(300)]
    limits = Limits(14, (60 * 10**8,) * 3, max_per_region=5)
    chosen = select(cands, limits)
    assert len(chosen) <= 14
    assert feasible([c for c in cands if c.id in chosen], limits)
