"""The real steel plant year (DAEWOO Steel, Gwangyang, 2018; UCI dataset 851, CC BY 4.0) billed under
산업용(을) 고압A 선택II.

Assumptions, stated because the data set does not carry them:

* contract power 700 kW (the year's largest 15-minute demand is 629 kW; 산업용(을) needs ≥ 300 kW),
  so the 30 % floor is 210 kW and never binds, and no demand exceeds contract power;
* each 2018 day is priced with the rules in force on the same day of 2025 (``rules_year=2025``):
  the 2024-10-24 rate table, the 2023 time-of-use hours, climate 9.0 and fuel 5.0 원/kWh, the fund
  at 3.2 % through June and 2.7 % from July, and the power-factor rule of 2025-02-01 — except
  January, which falls under the earlier rule (lagging reference 90 %, `[verify]` hours 9–23 h);
  seasons, Saturdays, Sundays and holidays are those of 2018 (e.g. 2018-01-01, 2018-02-15..17,
  2018-06-13 election day, 2018-09-23..26 are light load all day);
* there are no meter data before January 2018, so the billing demand of each month counts only
  the 2018 months of its window (a warning says so on every bill but December's).

How the pinned figures arise:

* billing demand: January's largest mid/peak 15-minute demand is 153.25 kWh × 4 = 613 kW (15 Jan
  13:30–13:45); January is a window month, so 613 kW carries through the year, except November:
  its own 629 kW is larger, and November is not a window month, so December falls back to 613 kW
  (from January) — November's peak counts only for November itself;
* December, by hand (winter; rates II: light 117.9, mid 164.0, peak 221.5 원/kWh):
    energy = 7,745 × 117.9 + 26,520 × 164.0 + 25,172 × 221.5
           = 913,135.5 + 4,349,280 + 5,575,598 = 10,838,013.5 -> 10,838,013
    basic = 613 × 8,320 = 5,100,160
    power factor: lagging 94 % -> (92 - 94) × 0.2 = -0.4 % -> -20,400.64 -> -20,400 (toward zero);
      leading 100 % (no leading energy at night) -> nothing
    climate 59,437 × 9.0 = 534,933; fuel 59,437 × 5.0 = 297,185
    전기요금계 = 5,100,160 - 20,400 + 10,838,013 + 534,933 + 297,185 = 16,749,891
    VAT 1,674,989.1 -> 1,674,989; fund 2.7 % = 452,247.06 -> 452,240
    billed 16,749,891 + 1,674,989 + 452,240 = 18,877,120
* January's power factor uses the old rule: lagging 93 % against 90 % -> rebate (90 - 93) × 0.2 =
  -0.6 % of 5,100,160 = -30,600.96 -> -30,600.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest

from sandan.core.timeutil import KST
from sandan.energy.tariff import Contract, compute_bill, compute_bills, shift_saving
from tests.energy.steel import read_steel_meter

CONTRACT = Contract("industrial_eul", "high_a", "II", contract_kw=700)

# month, kWh light, mid, peak, max mid/peak demand kW, when (KST), billing demand kW, set by month,
# lagging PF %, leading PF %, energy charge, power-factor line, 전기요금계, amount billed (won)
PINNED = [
    (1, 23_995, 55_269, 46_975, 613, "01-15 13:30", 613, 1, 93, 100, 22_298_089, -30_600, 29_134_995, 32_980_800),
    (2, 18_560, 40_807, 32_131, 582, "02-01 11:45", 613, 1, 94, 99, 15_997_588, -20_400, 22_358_320, 25_309_610),
    (3, 9_293, 37_225, 33_713, 605, "03-23 09:00", 613, 1, 94, 98, 11_528_712, -20_400, 17_731_706, 20_072_280),
    (4, 7_834, 38_348, 32_588, 556, "04-30 08:45", 613, 1, 93, 98, 11_332_104, -10_200, 17_524_844, 19_838_110),
    (5, 12_109, 33_785, 33_165, 560, "05-08 10:30", 613, 1, 92, 98, 11_292_183, 0, 17_499_169, 19_809_050),
    (6, 9_160, 29_041, 27_204, 535, "06-11 11:00", 613, 1, 93, 98, 12_462_223, -10_200, 18_467_853, 20_905_600),
    (7, 11_014, 39_372, 31_289, 487, "07-05 08:45", 613, 1, 92, 92, 15_364_551, 30_600, 21_638_761, 24_386_870),
    (8, 7_090, 33_654, 27_815, 535, "08-20 10:45", 613, 1, 92, 100, 13_138_514, 0, 19_198_500, 21_636_700),
    (9, 6_223, 25_922, 25_738, 510, "09-27 14:15", 613, 1, 92, 100, 8_371_731, 0, 14_282_253, 16_096_090),
    (10, 10_068, 42_682, 31_916, 558, "10-31 08:45", 613, 1, 90, 100, 12_047_735, 20_400, 18_353_619, 20_684_520),
    (11, 9_492, 41_673, 35_053, 629, "11-22 09:30", 629, 11, 92, 100, 15_717_718, 0, 22_158_050, 24_972_110),
    (12, 7_745, 26_520, 25_172, 597, "12-19 14:00", 613, 1, 94, 100, 10_838_013, -20_400, 16_749_891, 18_877_120),
]
YEAR_TOTAL_KRW = 265_568_860
YEAR_KWH = 959_640


@pytest.fixture(scope="module")
def steel(steel_csv: Path) -> pd.DataFrame:
    return read_steel_meter(steel_csv)


@pytest.fixture(scope="module")
def bills(steel: pd.DataFrame) -> list:
    return compute_bills(steel, CONTRACT, rules_year=2025)


def test_the_meter_year_is_whole(steel):
    assert len(steel) == 35_040
    assert steel.index[0] == pd.Timestamp("2018-01-01 00:00", tz=KST)
    assert steel.index[-1] == pd.Timestamp("2018-12-31 23:45", tz=KST)


@pytest.mark.parametrize("row", PINNED, ids=[f"2018-{r[0]:02d}" for r in PINNED])
def test_monthly_bill_of_the_steel_plant(bills, row):
    (month, light, mid, peak, max_kw, max_at, bd_kw, bd_month, lag, lead, energy, pf, charge, total) = row
    bill = bills[month - 1]
    assert bill.month == dt.date(2018, month, 1)
    assert bill.kwh_by_period == {"light": light, "mid": mid, "peak": peak}
    assert bill.max_demand_kw == max_kw
    assert f"{bill.max_demand_at:%m-%d %H:%M}" == max_at
    assert (bill.billing_demand_kw, bill.billing_demand_from.month) == (bd_kw, bd_month)
    assert bill.line("basic") == bd_kw * 8_320
    assert (bill.lag_pf_pct, bill.lead_pf_pct) == (lag, lead)
    assert bill.line("energy") == energy
    assert bill.line("power_factor") == pf
    assert bill.line("climate") == (light + mid + peak) * 9
    assert bill.line("fuel") == (light + mid + peak) * 5
    assert bill.electricity_charge_krw == charge
    assert bill.total_krw == total


def test_year_totals_and_an_independent_count(bills, steel):
    assert sum(b.total_krw for b in bills) == YEAR_TOTAL_KRW
    assert sum(b.kwh_total for b in bills) == YEAR_KWH
    # independent of the engine: monthly kWh and largest demand straight from the readings
    local = steel.tz_convert(KST)
    by_month = local["kwh"].groupby(local.index.month)
    for bill, (kwh, peak_kwh) in zip(bills, zip(by_month.sum(), by_month.max(), strict=True), strict=True):
        assert abs(bill.kwh_total - kwh) <= 1.5  # three period totals, each rounded half-up
        assert bill.max_demand_any_kw == round(peak_kwh * 4)


def test_other_choices_and_load_shifting_on_the_steel_year(steel, bills):
    """What-if on the same load.

    Choice I has a lower basic rate (7,220) and higher energy rates; choice III the reverse (9,810).
    A plant with a load factor like this one's (959,640 kWh over 8,760 h against 613 kW: 18 %) is a
    low-utilisation customer, so choice I is cheapest: the basic charge saved (1,100 × 613 × 12 ≈
    8.1 M won) outweighs the 5.5 won/kWh more on ~960 MWh (≈ 5.3 M won).
    """
    totals = {c: sum(b.total_krw for b in compute_bills(steel, Contract(choice=c, contract_kw=700), rules_year=2025))
              for c in ("I", "III")}
    totals["II"] = sum(b.total_krw for b in bills)
    assert totals["I"] < totals["II"] < totals["III"]
    # shifting 50 kWh a day from peak to light in December alone
    before, after = shift_saving(steel, CONTRACT, 50.0, [dt.date(2018, 12, 1)], rules_year=2025,
                                 demand_history={dt.date(2018, 1, 1): 613})
    # energy moved on the 20 December days with peak hours (weekdays, not 25 Dec):
    # 20 × 50 kWh × (221.5 - 117.9) = 1,000 × 103.6 = 103,600 won less on the energy line
    assert before[0].line("energy") - after[0].line("energy") == pytest.approx(103_600, abs=1)


def test_a_single_month_bill_needs_no_year(steel):
    bill = compute_bill(steel, CONTRACT, dt.date(2018, 12, 1), rules_year=2025,
                        demand_history={dt.date(2018, m, 1): r[4] for m, *_ in PINNED[:11] for r in [PINNED[m - 1]]})
    assert bill.total_krw == 18_877_120
