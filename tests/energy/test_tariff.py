"""The KEPCO bill against bills worked out by hand (rates from reference/tariff_rates.csv)."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from sandan.core.errors import InvalidInput
from sandan.core.timeutil import KST
from sandan.energy.tariff import (
    Contract,
    billing_demand,
    classify,
    compute_bill,
    shift_load,
    shift_saving,
    tariff_day_type,
    truncate_10_won,
)

EUL_A_II = Contract("industrial_eul", "high_a", "II", contract_kw=1000)


def month_of(start: str, end: str, kwh: float = 100.0) -> pd.Series:
    idx = pd.date_range(start, end, freq="15min", tz=KST, inclusive="left")
    return pd.Series(kwh, index=idx)


def meter(kwh: pd.Series, lag_ratio: float = 0.0, lead_ratio: float = 0.0) -> pd.DataFrame:
    """kvarh = ratio × kWh: lagging in 08-22 h, leading in 22-08 h (local)."""
    day = (kwh.index.hour >= 8) & (kwh.index.hour < 22)
    return pd.DataFrame({"kwh": kwh, "lag_kvarh": np.where(day, kwh * lag_ratio, 0.0),
                         "lead_kvarh": np.where(day, 0.0, kwh * lead_ratio)}).tz_convert("UTC")


def test_day_types_follow_the_holiday_rules():
    assert tariff_day_type(dt.date(2025, 7, 4)) == "weekday"          # Friday
    assert tariff_day_type(dt.date(2025, 7, 5)) == "saturday"
    assert tariff_day_type(dt.date(2025, 7, 6)) == "sunday_holiday"    # Sunday
    assert tariff_day_type(dt.date(2025, 8, 15)) == "sunday_holiday"   # 광복절, a Friday
    # 2025-01-27 was a temporary holiday (임시공휴일): not a tariff holiday [K1 별표3 단서]
    assert tariff_day_type(dt.date(2025, 1, 27)) == "weekday"


def test_periods_by_hour_season_and_day_type():
    ts = pd.DatetimeIndex([pd.Timestamp(s, tz=KST) for s in (
        "2025-07-04 11:00", "2025-07-04 12:00", "2025-07-04 22:00",  # summer weekday: peak, mid, light
        "2025-07-05 11:00",                                           # Saturday: peak -> mid
        "2025-08-15 11:00",                                           # holiday: light all day
        "2025-12-03 09:00", "2025-12-03 16:30",                       # winter weekday peaks (9-12, 16-19)
        "2026-07-03 16:00", "2026-07-03 11:00",                       # after the 2026 reform: peak 15-21
    )])
    got = classify(ts, EUL_A_II)["period"].tolist()
    assert got == ["peak", "mid", "light", "mid", "light", "peak", "peak", "peak", "mid"]
    # a customer who deferred the reform keeps the 2023 hours until 2026-09-30 (11 h is peak again)
    deferred = classify(ts[-2:], Contract(deferred_reform=True))["period"].tolist()
    assert deferred == ["peak", "peak"]  # 16 h: peak in both tables (13-18 before the reform)


def test_billing_demand_window_and_floor():
    history = {dt.date(2024, 7, 1): 950,   # 12 months back: outside the window
               dt.date(2024, 12, 1): 500, dt.date(2025, 1, 1): 700,
               dt.date(2025, 3, 1): 900,   # March: not a window month
               dt.date(2025, 6, 1): 650,   # June: summer rates, yet not a window month
               dt.date(2024, 8, 1): 680, dt.date(2024, 9, 1): 10, dt.date(2025, 2, 1): 10}
    # July 2025: max(600 this month; Aug 680, Sep 10, Dec 500, Jan 700, Feb 10) = 700 from January
    assert billing_demand(dt.date(2025, 7, 1), 600, history, 1000)[:2] == (700, dt.date(2025, 1, 1))
    # the floor: 30 % of 3,000 kW = 900 kW beats every demand
    assert billing_demand(dt.date(2025, 7, 1), 600, history, 3000)[:2] == (900, dt.date(2025, 7, 1))
    # 30 % of 1,005 kW = 301.5 -> 302 kW (1 kW, half-up)
    assert billing_demand(dt.date(2025, 7, 1), 0, {}, 1005)[0] == 302


def test_hand_worked_bill_july_2025():
    """산업용(을) 고압A 선택II, contract 1,000 kW, July 2025 (rates of 2024-10-24, summer).

    Load: 100 kWh every 15 minutes (400 kW), except
      2025-07-02 (Wed) 14:00  150 kWh (600 kW, peak)
      2025-07-03 (Thu) 09:00  100.6 kWh (mid: tests the kWh rounding)
      2025-07-06 (Sun) 14:00  200 kWh (800 kW, but Sunday is light: does not count for demand)
    July 2025: 31 days, 23 weekdays, 4 Saturdays, 4 Sundays, no holiday.
    Summer weekday hours: light 0-8, 22-24 (10 h); mid 8-11, 12-13, 18-22 (8 h); peak 11-12, 13-18 (6 h).
      light = (23×10 + 4×10 + 4×24) h × 400 kW = 366 h × 400 = 146,400 + 100 (Sunday spike) = 146,500 kWh
      mid   = (23×8 + 4×14) h × 400 = 240 × 400 = 96,000 + 0.6 = 96,000.6 -> 96,001 kWh (half-up)
      peak  = 23×6 h × 400 = 138 × 400 = 55,200 + 50 = 55,250 kWh
      total = 297,751 kWh
    Energy charge = 146,500×110.9 + 96,001×163.8 + 55,250×245.9
                  = 16,246,850 + 15,724,963.8 + 13,585,975 = 45,557,788.8 -> 45,557,788 won
    Billing demand: this month 600 kW (mid/peak only); window Dec 500, Jan 700 -> 700 kW
      (March 900 and June 650 are not window months; July 2024 is 12 months back)
    Basic = 700 × 8,320 = 5,824,000 won
    Power factor (rule of 2025-02-01): every half hour has kvarh = 0.75 × kWh -> PF = 4/5 = 80 %
      lagging 08-22: (92 - 80) × 0.2 = 2.4 %; leading 22-08: (95 - 80) × 0.2 = 3.0 %
      5.4 % × 5,824,000 = 314,496 won
    Climate 297,751 × 9.0 = 2,679,759; fuel 297,751 × 5.0 = 1,488,755
    전기요금계 = 5,824,000 + 314,496 + 45,557,788 + 2,679,759 + 1,488,755 = 55,864,798
    VAT 10 % = 5,586,479.8 -> 5,586,480 (half-up)
    Fund 2.7 % (from 2025-07-01) = 1,508,349.546 -> 1,508,340 (below 10 won truncated)
    Billed = 55,864,798 + 5,586,480 + 1,508,340 = 62,959,618 -> 62,959,610
    """
    kwh = month_of("2025-07-01", "2025-08-01")
    kwh[pd.Timestamp("2025-07-02 14:00", tz=KST)] = 150.0
    kwh[pd.Timestamp("2025-07-03 09:00", tz=KST)] = 100.6
    kwh[pd.Timestamp("2025-07-06 14:00", tz=KST)] = 200.0
    history = {dt.date(2024, 7, 1): 950, dt.date(2024, 12, 1): 500, dt.date(2025, 1, 1): 700,
               dt.date(2025, 3, 1): 900, dt.date(2025, 6, 1): 650}
    bill = compute_bill(meter(kwh, 0.75, 0.75), EUL_A_II, dt.date(2025, 7, 1), demand_history=history)
    assert bill.kwh_by_period == {"light": 146_500, "mid": 96_001, "peak": 55_250}
    assert bill.kwh_total == 297_751
    assert bill.max_demand_kw == 600
    assert bill.max_demand_at == dt.datetime(2025, 7, 2, 14, tzinfo=KST)
    assert (bill.billing_demand_kw, bill.billing_demand_from) == (700, dt.date(2025, 1, 1))
    assert (bill.lag_pf_pct, bill.lead_pf_pct) == (80, 80)
    assert bill.line("basic") == 5_824_000
    assert bill.line("power_factor") == 314_496
    assert bill.line("energy") == 45_557_788
    assert bill.line("climate") == 2_679_759
    assert bill.line("fuel") == 1_488_755
    assert bill.electricity_charge_krw == 55_864_798
    assert bill.vat_krw == 5_586_480
    assert bill.fund_krw == 1_508_340
    assert bill.total_krw == 62_959_610
    assert bill.unverified == []
    # September 2024 and February 2025 have no record: said, not guessed
    assert [w.code for w in bill.warnings] == ["demand_history_missing"]


def test_power_factor_rebate_and_caps():
    """Lagging PF 99 % is counted as 97 % (cap): rebate (97 - 92) × 0.2 = 1.0 % of the basic charge.

    kvarh = 0.1425 × kWh: PF = 1/√(1 + 0.1425²) = 0.98999 -> clipped to 97; leading: none flows, so
    every night half hour is lagging-or-empty and counts 100 % -> no leading charge.
    Basic: 400 kW this month, contract 1,000 kW, no history -> 400 × 8,320 = 3,328,000;
    rebate 1.0 % = -33,280 won.
    """
    kwh = month_of("2025-07-01", "2025-08-01")
    bill = compute_bill(meter(kwh, 0.1425, 0.0), EUL_A_II, dt.date(2025, 7, 1))
    assert bill.line("basic") == 3_328_000
    assert (bill.lag_pf_pct, bill.lead_pf_pct) == (97, 100)
    assert bill.line("power_factor") == -33_280


def test_power_factor_rule_before_2025_uses_90_percent():
    """January 2025: the old rule (lagging reference 90 %, unverified hours 9-23).

    PF 80 % lagging in 08-22 h; the old window 9-23 h holds 22 h (lag kvarh 0 -> PF 100 -> clipped to 95)
    and 8 h: 9..21 at 80 % (13 h, 26 half hours), 22 h at 95 % (2 half hours) -> mean (26×80 + 2×95)/28
    = 2,270/28 = 81.07 -> 81 %: (90 - 81) × 0.2 = 1.8 %.  No leading energy -> no leading charge.
    Winter basic: 400 kW × 8,320 = 3,328,000; 1.8 % = 59,904 won.
    """
    kwh = month_of("2025-01-01", "2025-02-01")
    bill = compute_bill(meter(kwh, 0.75, 0.0), EUL_A_II, dt.date(2025, 1, 1))
    assert bill.lag_pf_pct == 81
    assert bill.line("power_factor") == 59_904
    assert "power-factor rule before 2025-02-01 (B1;P1)" in bill.unverified


def test_reform_month_april_2026_discount_and_deferral():
    """April 2026: the 2026 table from the 16th; weekend discount 11-14 h; deferred customers keep the old table.

    Load: 10 kWh every 15 minutes (40 kW) -> 40 kWh per hour; contract 1,000 kW -> floor 300 kW
    billing demand (no history), basic 300 × 8,320 = 2,496,000 (unchanged by the reform).
    Holidays: none in April 2026.  1-15 April: 15 days (Wed 1 .. Wed 15): 11 weekdays, 2 Sat, 2 Sun.
    16-30 April: 15 days (Thu 16 .. Thu 30): 11 weekdays, 2 Sat, 2 Sun.
    Old hours (1-15): weekday light 10 h, mid 8 h, peak 6 h; Saturday light 10, mid 14; Sunday light 24.
      light = (110 + 20 + 48) h × 40 = 7,120; mid = (88 + 28) × 40 = 4,640; peak = 66 × 40 = 2,640 kWh
    New hours (16-30): light 0-8, 22-24 (10 h), mid 8-15, 21-22 (8 h), peak 15-21 (6 h): the same counts,
      light 7,120; mid 4,640; peak 2,640 kWh
    Rates II spring/autumn: old light 110.9, mid 133.4, peak 164.1; new light 116.0, mid 133.4,
      peak 150.9 (164.1 - 13.2, the announced spring/autumn cut)
      old = 7,120×110.9 + 4,640×133.4 + 2,640×164.1 = 789,608 + 618,976 + 433,224 = 1,841,808
      new = 7,120×116.0 + 4,640×133.4 + 2,640×150.9 = 825,920 + 618,976 + 398,376 = 1,843,272
      energy = 1,841,808 + 1,843,272 = 3,685,080 won
    Discount (16-30 only): Sat 18, 25 11-14 h are mid (new hours): 2 × 3 h × 40 = 240 kWh × 133.4 × 0.5
      = 16,008; Sun 19, 26 11-14 h light: 240 kWh × 116.0 × 0.5 = 13,920 -> discount 29,928 won
    Deferred: 1,841,808 × 2 = 3,683,616 won, no discount.
    """
    kwh = month_of("2026-04-01", "2026-05-01", 10.0)
    bill = compute_bill(meter(kwh), EUL_A_II, dt.date(2026, 4, 1))
    assert bill.billing_demand_kw == 300
    assert bill.line("basic") == 2_496_000
    assert bill.line("energy") == 3_685_080
    assert bill.line("weekend_discount") == -29_928
    assert any("rates of 2026-04-16" in u for u in bill.unverified)
    deferred = compute_bill(meter(kwh), Contract(contract_kw=1000, deferred_reform=True), dt.date(2026, 4, 1))
    assert deferred.line("energy") == 3_683_616
    assert deferred.line("weekend_discount") == 0


def test_excess_demand_surcharge():
    """A 15-minute demand of 1,250 kW against 1,000 kW contract: 250 kW = 25 % over -> 200 % of 8,320.

    250 × 8,320 × 2 = 4,160,000 won.
    """
    kwh = month_of("2025-07-01", "2025-08-01")
    kwh[pd.Timestamp("2025-07-08 03:00", tz=KST)] = 312.5  # 1,250 kW at night (light): counts for excess
    bill = compute_bill(meter(kwh), EUL_A_II, dt.date(2025, 7, 1))
    assert bill.line("excess_demand") == 4_160_000


def test_fuel_rate_missing_is_a_warning_and_rounding_helpers():
    kwh = month_of("2026-05-01", "2026-06-01", 10.0)
    bill = compute_bill(meter(kwh), EUL_A_II, dt.date(2026, 5, 1))
    assert bill.line("fuel") == 0
    assert "fuel_rate_unknown" in [w.code for w in bill.warnings]
    assert truncate_10_won(1_508_349) == 1_508_340


def test_shift_to_light_load_hours_saves_the_rate_difference():
    """Move 240 kWh a day from peak to light on July 2025 weekdays (23 of them).

    Each weekday loses 240 kWh of peak (24 intervals × 10 kWh) and gains 240 kWh of light:
      Δ energy = 23 × 240 × (245.9 - 110.9) = 5,520 × 135 = 745,200 won less.
    Demand: peak intervals fall from 400 to 360 kW, mid stays at 400 kW -> billing demand unchanged.
    """
    kwh = month_of("2025-07-01", "2025-08-01")
    shifted = shift_load(meter(kwh), EUL_A_II, 240.0)
    assert shifted["kwh"].sum() == pytest.approx(kwh.sum())
    before, after = shift_saving(meter(kwh), EUL_A_II, 240.0, [dt.date(2025, 7, 1)])
    assert before[0].line("energy") - after[0].line("energy") == 745_200
    assert before[0].billing_demand_kw == after[0].billing_demand_kw == 400


def test_bad_input_is_refused():
    with pytest.raises(InvalidInput):
        Contract(choice="IV")
    with pytest.raises(InvalidInput):
        compute_bill(meter(month_of("2025-07-01", "2025-07-02")), EUL_A_II, dt.date(2025, 9, 1))
    with pytest.raises(InvalidInput):  # no 2018 rates in the tables: never priced with a guess
        compute_bill(meter(month_of("2018-07-01", "2018-07-02")), EUL_A_II, dt.date(2018, 7, 1))
