"""Direct PPAs: prices, volumes and money per quarter hour, eligibility findings, the lifecycle."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sandan.core.errors import Conflict, InvalidInput
from sandan.core.timeutil import KST
from sandan.grid.market import ppa
from sandan.grid.market.ppa import Lifecycle, PpaTerms, PriceType, Status, VolumeType

DAY = dt.date(2026, 6, 1)


def quarter_hours(n: int, start: dt.datetime | None = None) -> pd.DatetimeIndex:
    first = start or dt.datetime.combine(DAY, dt.time(12), tzinfo=KST)
    return pd.date_range(first, periods=n, freq="15min").tz_convert("UTC")


def flat(index: pd.DatetimeIndex, value: float) -> pd.Series:
    return pd.Series(value, index=index, dtype=float)


def test_fixed_pay_as_produced() -> None:
    # 60 % of the plant at 130 KRW/kWh.  Production 100, 50, 0 kWh → contracted 60, 30, 0 kWh;
    # the buyer pays 60·130 = 7,800 and 30·130 = 3,900 won; nothing falls short.
    idx = quarter_hours(3)
    terms = PpaTerms(PriceType.fixed, 130.0, VolumeType.pay_as_produced, DAY, DAY + dt.timedelta(days=1), share=0.6)
    out = ppa.statement(terms, pd.Series([100.0, 50.0, 0.0], index=idx), flat(idx, 90), flat(idx, 150), KST)
    np.testing.assert_allclose(out["contracted_kwh"], [60, 30, 0])
    assert out["buyer_pays_won"].tolist() == [7800, 3900, 0]
    assert out["shortfall_kwh"].sum() == 0


def test_smp_indexed_shaped_with_floor_cap_and_shortfall() -> None:
    # Price = SMP × 1.0 + 10 within [100, 140]: SMP 80 → 90 → floor 100; SMP 120 → 130; SMP 200 → 210 → cap 140.
    # Shape: 40 kWh per hour at 12:00 KST = 10 kWh a quarter hour.  Production 12, 4, 10 kWh →
    # delivered 10, 4, 10; shortfall 0, 6, 0 replaced at 150 → 900 won, the seller's.
    # Buyer pays the contracted 10 kWh each: 10·100 = 1,000, 10·130 = 1,300, 10·140 = 1,400.
    idx = quarter_hours(3)
    profile = tuple(40.0 if h == 12 else 0.0 for h in range(24))
    terms = PpaTerms(PriceType.smp_indexed, 10.0, VolumeType.shaped, DAY, DAY + dt.timedelta(days=30),
                     floor_krw_per_kwh=100, cap_krw_per_kwh=140, profile_kwh_per_h=profile)
    smp = pd.Series([80.0, 120.0, 200.0], index=idx)
    out = ppa.statement(terms, pd.Series([12.0, 4.0, 10.0], index=idx), smp, flat(idx, 150), KST)
    np.testing.assert_allclose(out["price_krw_per_kwh"], [100, 130, 140])
    np.testing.assert_allclose(out["delivered_kwh"], [10, 4, 10])
    np.testing.assert_allclose(out["shortfall_kwh"], [0, 6, 0])
    assert out["buyer_pays_won"].tolist() == [1000, 1300, 1400]
    assert out["shortfall_won"].tolist() == [0, 900, 0]


def test_nothing_moves_outside_the_term() -> None:
    # The term is 1 June only (KST): 23:45 on 1 June counts, 00:00 on 2 June does not.
    idx = quarter_hours(2, dt.datetime.combine(DAY, dt.time(23, 45), tzinfo=KST))
    terms = PpaTerms(PriceType.fixed, 100.0, VolumeType.pay_as_produced, DAY, DAY + dt.timedelta(days=1))
    out = ppa.statement(terms, flat(idx, 5), flat(idx, 0), flat(idx, 0), KST)
    np.testing.assert_allclose(out["contracted_kwh"], [5, 0])


def test_eligibility_findings_name_each_rule() -> None:
    rules = ppa.EligibilityRules(seller_min_capacity_kw=1000, buyer_min_contract_kw=300, max_term_years=20)
    terms = PpaTerms(PriceType.fixed, 100.0, VolumeType.pay_as_produced, DAY, dt.date(2050, 1, 1))
    found = ppa.check_eligibility(terms, seller_capacity_kw=800, buyer_contract_kw=250, rules=rules)
    assert [f["code"] for f in found] == ["seller_capacity", "buyer_contract_power", "term"]
    assert found[0]["data"] == {"capacity_kw": 800, "minimum_kw": 1000}
    assert ppa.check_eligibility(terms, 1000, 300, ppa.EligibilityRules(1000, 300, 30)) == []
    shipped = ppa.default_rules()
    assert (shipped.seller_min_capacity_kw, shipped.buyer_min_contract_kw) == (1000, 300)


def test_lifecycle_draft_signed_by_both_active_ended() -> None:
    terms = PpaTerms(PriceType.fixed, 100.0, VolumeType.pay_as_produced, DAY, DAY + dt.timedelta(days=365))
    state = ppa.sign(Lifecycle(), "buyer")
    assert state == Lifecycle(Status.draft, False, True)
    with pytest.raises(Conflict):
        ppa.activate(state, terms, DAY, [])  # one signature is not enough
    assert ppa.amend(state) == Lifecycle()  # a change withdraws the signature
    state = ppa.sign(ppa.sign(Lifecycle(), "buyer"), "seller")
    assert state.status == Status.signed
    with pytest.raises(Conflict):
        ppa.sign(state, "buyer")
    with pytest.raises(Conflict):
        ppa.activate(state, terms, DAY - dt.timedelta(days=1), [])  # before the term
    with pytest.raises(Conflict, match="seller_capacity"):
        ppa.activate(state, terms, DAY, [{"code": "seller_capacity"}])
    active = ppa.activate(state, terms, DAY, [])
    assert active.status == Status.active
    with pytest.raises(Conflict):
        ppa.amend(active)
    assert ppa.end(active).status == Status.ended
    with pytest.raises(Conflict):
        ppa.end(ppa.end(active))
    with pytest.raises(InvalidInput):
        ppa.sign(Lifecycle(), "broker")


def test_bad_terms_are_refused() -> None:
    idx = quarter_hours(1)
    with pytest.raises(InvalidInput, match="share"):
        ppa.statement(PpaTerms(PriceType.fixed, 1, VolumeType.pay_as_produced, DAY, DAY + dt.timedelta(days=1),
                               share=1.5), flat(idx, 1), flat(idx, 1), flat(idx, 1), KST)
    with pytest.raises(InvalidInput, match="24 hourly"):
        ppa.statement(PpaTerms(PriceType.fixed, 1, VolumeType.shaped, DAY, DAY + dt.timedelta(days=1)),
                      flat(idx, 1), flat(idx, 1), flat(idx, 1), KST)
    with pytest.raises(InvalidInput, match="end after"):
        ppa.statement(PpaTerms(PriceType.fixed, 1, VolumeType.pay_as_produced, DAY, DAY),
                      flat(idx, 1), flat(idx, 1), flat(idx, 1), KST)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.floats(0, 500), min_size=1, max_size=96), st.floats(0.01, 1), st.floats(-50, 400))
def test_statement_totals_are_the_rounded_exact_totals(production: list[float], share: float, price: float) -> None:
    idx = quarter_hours(len(production), dt.datetime.combine(DAY, dt.time(0), tzinfo=KST))
    terms = PpaTerms(PriceType.fixed, price, VolumeType.pay_as_produced, DAY, DAY + dt.timedelta(days=1), share=share)
    out = ppa.statement(terms, pd.Series(production, index=idx), flat(idx, 0), flat(idx, 0), KST)
    exact = out["contracted_kwh"] * price
    assert out["buyer_pays_won"].sum() == int(np.floor(exact.sum() + 0.5))
    assert (np.abs(out["buyer_pays_won"] - exact) < 1 + 1e-9).all()
    assert (out["delivered_kwh"] <= np.asarray(production) + 1e-9).all()
