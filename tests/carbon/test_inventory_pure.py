"""Inventory arithmetic worked by hand (2006 IPCC Guidelines Vol.2 eq. 2.1; GHG Protocol Scope 2 Guidance)."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sandan.carbon import factors, inventory
from sandan.carbon.inventory import Instrument
from sandan.core.errors import InvalidInput
from sandan.core.timeutil import KST


def test_diesel_combustion_by_hand() -> None:
    diesel = factors.fuel_factor("diesel", dt.date(2024, 1, 1))
    gases, co2e, formula = inventory.combustion(1000.0, diesel, "AR5")
    # 1,000 L × 35.3 MJ/L = 35,300 MJ = 0.0353 TJ
    # CO2 0.0353 × 74,100 = 2,615.73 kg; CH4 0.0353 × 3 = 0.1059 kg; N2O 0.0353 × 0.6 = 0.02118 kg
    assert gases == pytest.approx({"CO2": 2615.73, "CH4": 0.1059, "N2O": 0.02118})
    # AR5: 2,615.73 + 0.1059 × 28 + 0.02118 × 265 = 2,615.73 + 2.9652 + 5.6127 = 2,624.3079 kg
    assert co2e == pytest.approx(2624.3079)
    assert "35.3 MJ/L" in formula
    assert "GWP 28" in formula


def test_refrigerant_top_up_by_hand() -> None:
    gases, co2e, _ = inventory.gas_release(3.0, "HFC-134a", "AR6")
    assert gases == {"HFC-134a": 3.0}
    assert co2e == pytest.approx(3.0 * 1530)  # 4,590 kgCO2e


def test_market_based_by_hand() -> None:
    # 100 MWh consumed; a 30 MWh solar PPA at 0 and 20 MWh from a supplier at 0.2 t/MWh;
    # the other 50 MWh at the residual (location) 0.4173 → 0 + 4 + 20.865 = 24.865 t
    co2e, formula = inventory.electricity_market(100_000.0, [Instrument("ppa", 30, 0.0), Instrument("sup", 20, 0.2)],
                                                 0.4173)
    assert co2e == pytest.approx(24_865.0)
    assert "residual" in formula
    with pytest.raises(InvalidInput, match="claim"):
        inventory.electricity_market(1000.0, [Instrument("rec", 2, 0.0)], 0.4173)


def test_periods_are_korean_calendar() -> None:
    start, end, kind = inventory.period_bounds("2026-Q4")
    assert (start, end, kind) == (dt.datetime(2026, 10, 1, tzinfo=KST), dt.datetime(2027, 1, 1, tzinfo=KST),
                                  "quarter")
    assert inventory.period_bounds("2026-12")[1] == dt.datetime(2027, 1, 1, tzinfo=KST)
    assert inventory.period_bounds("2026")[2] == "year"
    for bad in ("2026-13", "2026-Q5", "26", "2026-1", "0000", "9999-01"):
        with pytest.raises(InvalidInput):
            inventory.period_bounds(bad)


def test_dq_score() -> None:
    assert inventory.dq_score(metered=True) == 1.0
    # metered, 10 % estimated, 95 % complete, unverified factor: 1 + 0.2 + 0.1 + 0.5 = 1.8
    assert inventory.dq_score(metered=True, estimated_share=0.1, completeness=0.95, factor_verified=False) == 1.8
    assert inventory.dq_score(metered=False, estimated_share=1.0, completeness=0.0) == 5.0


@given(st.floats(0, 1e7), st.lists(st.floats(0, 1), max_size=5), st.floats(0, 2))
def test_market_based_never_exceeds_residual_when_instruments_are_cleaner(kwh: float, shares: list[float],
                                                                          residual: float) -> None:
    mwh = kwh / 1000
    total = sum(shares) or 1.0
    instruments = [Instrument(f"i{i}", mwh * s / total * 0.999, 0.0) for i, s in enumerate(shares)]
    co2e, _ = inventory.electricity_market(kwh, instruments, residual)
    assert 0 <= co2e <= kwh * residual * (1 + 1e-9) + 1e-9


def test_demo_reports_the_last_closed_korean_month() -> None:
    from sandan.core.timeutil import to_epoch_s
    from sandan.demo.carbon import last_full_month

    # 2026-03-01 08:59 KST is still 28 February in UTC but March in Korea: the last closed month is February
    now = to_epoch_s(dt.datetime(2026, 3, 1, 8, 59, tzinfo=KST))
    assert last_full_month(now) == ("2026-02", dt.date(2026, 2, 1), dt.date(2026, 3, 1))
    assert last_full_month(to_epoch_s(dt.datetime(2026, 1, 15, tzinfo=KST)))[0] == "2025-12"
