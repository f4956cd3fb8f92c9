"""KEPCO industrial electricity bill from 15-minute meter data (pure: series in, bill out).

The rules are those of ``reference/KEPCO_RULES.md`` (KEPCO 기본공급약관 [K1] and the sources it
lists), chosen by the dates of the bill through :mod:`sandan.energy.tariff_tables`:

* seasons by month; light/mid/peak load periods by local hour, season and day type — a public
  holiday (「관공서의 공휴일에 관한 규정」, temporary holidays excluded) and every Sunday is light load
  all day, a Saturday's peak hours are mid load [K1 별표3 단서];
* energy charge (전력량요금) = Σ over rate versions and load periods of kWh (rounded half-up to
  1 kWh) × rate, truncated below 1 원;
* billing demand (요금적용전력) [K1 제68조]: the largest 15-minute demand of mid- and peak-load
  intervals in this month's bill and in the December, January, February, July, August and
  September bills of the 11 months before, at least 30 % of contract power; demands in 1 kW
  rounded half-up;
* basic charge (기본요금) = billing demand × basic rate (prorated by days when the rate changes
  inside the month), truncated;
* power-factor charge [K1 제41–43조]: a percentage of the basic charge from the monthly average
  of 30-minute power factors in the lagging and leading windows of the rule in force;
* 2026 weekend discount of 산업용(을) (50 % of the energy charge, spring/autumn weekends and
  holidays 11–14 h);
* excess-demand surcharge (초과사용부가금) when a 15-minute demand exceeds contract power;
* climate-environment and fuel-cost lines (rate × kWh, truncated), the electricity charge
  (전기요금계), VAT 10 % rounded half-up, the Electric Power Industry Base Fund truncated below 10 원,
  and the amount billed truncated below 10 원 [K1 제7조 ②].

A bill is one calendar month (meter reading at month end; how 「X월분」 maps to other meter-reading
days is an open question of KEPCO_RULES.md §11).  ``rules_year`` prices a month's load with the
rules of the same day in another year (the 2018 steel plant data under today's tariff), while
seasons, weekdays and holidays stay those of the metered dates.

Money is integer won; energy kWh; demand kW; reactive energy kvarh.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal
from typing import Any

import numpy as np
import pandas as pd

from sandan.core.errors import InvalidInput
from sandan.core.timeutil import KST, korean_holidays
from sandan.energy.tariff_tables import (
    CHOICES,
    PERIODS,
    TARIFFS,
    VOLTAGES,
    TariffTables,
    load_tables,
    season_of,
)

#: Bills whose months count for the billing demand of later months [K1 제68조 ①].
DEMAND_WINDOW_MONTHS = frozenset({12, 1, 2, 7, 8, 9})
BILLING_DEMAND_FLOOR = Decimal("0.30")


@dataclass(frozen=True)
class Contract:
    """A customer's supply contract.

    ``tariff`` one of ``industrial_gap_1``, ``industrial_gap_2``, ``industrial_eul``; ``voltage``
    ``low``/``high_a``/``high_b``/``high_c``; ``choice`` ``I``/``II``/``III`` (``""`` for low-voltage
    갑Ⅰ); ``contract_kw`` contract power (계약전력) [kW]; ``deferred_reform`` the customer applied to
    defer the 2026 reform (유예); ``reactive_metered`` a kVarh meter is installed (else the power
    factor is deemed 92 % lagging [K1 제42조 ①], i.e. no charge).
    """

    tariff: str = "industrial_eul"
    voltage: str = "high_a"
    choice: str = "II"
    contract_kw: int = 1000
    deferred_reform: bool = False
    reactive_metered: bool = True

    def __post_init__(self) -> None:
        if self.tariff not in TARIFFS:
            raise InvalidInput(f"unknown tariff '{self.tariff}'; use one of {', '.join(TARIFFS)}", field="tariff")
        if self.voltage not in VOLTAGES:
            raise InvalidInput(f"unknown voltage '{self.voltage}'; use one of {', '.join(VOLTAGES)}",
                               field="voltage")
        if self.choice not in CHOICES:
            raise InvalidInput(f"unknown choice '{self.choice}'; use I, II or III", field="choice")
        if not 1 <= self.contract_kw <= 10_000_000:
            raise InvalidInput("contract power must be between 1 and 10,000,000 kW", field="contract_kw")


@dataclass(frozen=True)
class BillLine:
    """One line of a bill: ``amount_krw`` after its rounding; ``quantity`` × ``unit_price`` shown as worked."""

    code: str
    amount_krw: int
    quantity: float | None = None
    unit: str = ""
    unit_price: float | None = None
    note: str = ""


@dataclass(frozen=True)
class Warning_:
    code: str
    message: str


@dataclass
class Bill:
    """A monthly bill with every line and the figures it was computed from."""

    month: dt.date
    contract: Contract
    kwh_by_period: dict[str, int]
    kwh_total: int
    max_demand_kw: int                 # largest mid/peak 15-min demand of the month [kW]
    max_demand_at: dt.datetime | None  # start of that interval (KST)
    max_demand_any_kw: int             # largest 15-min demand of any period [kW]
    billing_demand_kw: int
    billing_demand_from: dt.date       # the month whose demand set the billing demand (month itself: floor)
    lag_pf_pct: int | None
    lead_pf_pct: int | None
    power_factor_pct_of_basic: Decimal
    lines: list[BillLine]
    electricity_charge_krw: int
    vat_krw: int
    fund_krw: int
    total_krw: int
    rules_date: dt.date
    energy_details: list[BillLine] = field(default_factory=list)
    unverified: list[str] = field(default_factory=list)
    warnings: list[Warning_] = field(default_factory=list)

    def line(self, code: str) -> int:
        return sum(ln.amount_krw for ln in self.lines if ln.code == code)

    def to_dict(self) -> dict[str, Any]:
        return {
            "month": self.month.isoformat()[:7], "tariff": self.contract.tariff, "voltage": self.contract.voltage,
            "choice": self.contract.choice, "contract_kw": self.contract.contract_kw,
            "kwh_by_period": self.kwh_by_period, "kwh_total": self.kwh_total,
            "max_demand_kw": self.max_demand_kw,
            "max_demand_at": self.max_demand_at.isoformat() if self.max_demand_at else None,
            "max_demand_any_kw": self.max_demand_any_kw, "billing_demand_kw": self.billing_demand_kw,
            "billing_demand_from": self.billing_demand_from.isoformat()[:7],
            "lag_power_factor_pct": self.lag_pf_pct, "lead_power_factor_pct": self.lead_pf_pct,
            "power_factor_pct_of_basic": float(self.power_factor_pct_of_basic),
            "lines": [{"code": ln.code, "amount_krw": ln.amount_krw, "quantity": ln.quantity, "unit": ln.unit,
                       "unit_price": ln.unit_price, "note": ln.note} for ln in self.lines],
            "energy_details": [{"period": ln.note, "kwh": ln.quantity, "krw_per_kwh": ln.unit_price}
                               for ln in self.energy_details],
            "electricity_charge_krw": self.electricity_charge_krw, "vat_krw": self.vat_krw,
            "fund_krw": self.fund_krw, "total_krw": self.total_krw, "rules_date": self.rules_date.isoformat(),
            "unverified": self.unverified,
            "warnings": [{"code": w.code, "message": w.message} for w in self.warnings]}


# --- rounding (KEPCO_RULES.md §10) ----------------------------------------------------------------

def half_up(value: Decimal | float, unit: str = "1") -> Decimal:
    """Round half-up to ``unit`` (kWh, kW and % are counted this way [K1 제7조 ①])."""
    return Decimal(str(value)).quantize(Decimal(unit), rounding=ROUND_HALF_UP)


def truncate_won(value: Decimal) -> int:
    """원미만 절사: drop the fraction of a won (toward zero)."""
    return int(value.quantize(Decimal("1"), rounding=ROUND_DOWN))


def truncate_10_won(value: Decimal | int) -> int:
    """10원 미만 절사 (fund, amount billed)."""
    return int(Decimal(value) / 10) * 10


def _dec(x: float) -> Decimal:
    return Decimal(str(x))


# --- classification of intervals -----------------------------------------------------------------

def tariff_day_type(day: dt.date) -> str:
    """``weekday``, ``saturday`` or ``sunday_holiday`` for the tariff's day rules [K1 별표3 단서].

    Public holidays are those of 「관공서의 공휴일에 관한 규정」 without temporary holidays (임시공휴일).
    """
    name = korean_holidays(day.year).get(day)
    if day.weekday() == 6 or (name is not None and "임시공휴일" not in name):
        return "sunday_holiday"
    return "saturday" if day.weekday() == 5 else "weekday"


def _rules_day(day: dt.date, rules_year: int | None) -> dt.date:
    if rules_year is None:
        return day
    try:
        return day.replace(year=rules_year)
    except ValueError:  # 29 February priced in a year without one
        return dt.date(rules_year, 2, 28)


def classify(ts: pd.DatetimeIndex, contract: Contract, tables: TariffTables | None = None, *,
             rules_year: int | None = None) -> pd.DataFrame:
    """The tariff position of each interval start ``ts`` (tz-aware).

    Columns: ``local`` (KST), ``day``, ``day_type``, ``season``, ``rules_day`` (date whose rates
    apply, after ``rules_year`` and deferral), ``period`` (light/mid/peak after the day rules).
    """
    tables = tables or load_tables()
    if ts.tz is None:
        raise InvalidInput("meter timestamps must carry a time zone", field="ts")
    local = ts.tz_convert(KST)
    days = pd.Series(local.date, index=ts)
    out = pd.DataFrame({"local": local, "day": days.to_numpy(), "hour": local.hour}, index=ts)
    info: dict[dt.date, tuple[str, str, dt.date, tuple[str, ...]]] = {}
    for day in pd.unique(out["day"]):
        season = season_of(day.month)
        rules_day = tables.lookup_day(contract.tariff, _rules_day(day, rules_year), deferred=contract.deferred_reform)
        info[day] = (tariff_day_type(day), season, rules_day, tables.hour_periods(contract.tariff, season, rules_day))
    codes, uniques = pd.factorize(out["day"])
    out["day_type"] = np.array([info[d][0] for d in uniques], dtype=object)[codes]
    out["season"] = np.array([info[d][1] for d in uniques], dtype=object)[codes]
    out["rules_day"] = np.array([info[d][2] for d in uniques], dtype=object)[codes]
    table = np.array([info[d][3] for d in uniques], dtype=object)
    period = table[codes, out["hour"].to_numpy()]
    period[(out["day_type"] == "saturday").to_numpy() & (period == "peak")] = "mid"
    period[(out["day_type"] == "sunday_holiday").to_numpy()] = "light"
    out["period"] = period
    return out


# --- power factor ----------------------------------------------------------------------------------

def _in_window(hours: pd.Series, window: tuple[int, int]) -> pd.Series:
    start, end = window
    if start < end:
        return (hours >= start) & (hours < end)
    return (hours >= start) | (hours < end)


def power_factors(meter: pd.DataFrame, rule_lag: tuple[int, int], rule_lead: tuple[int, int], *,
                  lag_floor: int, lag_cap: int, lead_floor: int) -> tuple[int | None, int | None]:
    """Monthly lagging and leading power factors [%] from 15-minute kWh and kvarh [K1 제41조].

    30-minute intervals (clock half hours, local) are formed by summing kWh and kvarh; the lagging
    PF of each in the lagging window is kWh / √(kWh² + kvarh_lag²), limited to ``lag_floor``…
    ``lag_cap``; the leading PF in the leading window is kWh / √(kWh² + kvarh_lead²), at least
    ``lead_floor``, and 100 % where the interval is lagging (kvarh_lag ≥ kvarh_lead).  Half hours
    with neither active nor reactive energy carry no power factor and are left out.  Each monthly
    figure is the mean, rounded half-up to 1 %.  ``None`` where no half hour counts.
    """
    local = pd.DatetimeIndex(meter.index).tz_convert(KST)
    half = local.floor("30min")
    grouped = meter[["kwh", "lag_kvarh", "lead_kvarh"]].groupby(half).sum()
    hours = pd.Series(pd.DatetimeIndex(grouped.index).hour, index=grouped.index)
    kwh, lag, lead = grouped["kwh"], grouped["lag_kvarh"], grouped["lead_kvarh"]
    flows = (kwh > 0) | (lag > 0) | (lead > 0)

    def pf(reactive: pd.Series) -> pd.Series:
        apparent = pd.Series(np.sqrt(kwh ** 2 + reactive ** 2), index=kwh.index)
        return pd.Series(100 * kwh / apparent.where(apparent > 0, 1), dtype=float)

    lag_sel = _in_window(hours, rule_lag) & flows
    lag_pf = pf(lag)[lag_sel].clip(lag_floor, lag_cap)
    lead_sel = _in_window(hours, rule_lead) & flows
    lead_pf = pf(lead).clip(lower=lead_floor).where(lead > lag, 100.0)[lead_sel]
    lag_pct = int(half_up(float(lag_pf.mean()))) if len(lag_pf) else None
    lead_pct = int(half_up(float(lead_pf.mean()))) if len(lead_pf) else None
    return lag_pct, lead_pct


# --- the bill ----------------------------------------------------------------------------------------

def months_back(month: dt.date, n: int) -> dt.date:
    """The first day of the month ``n`` months before ``month`` (negative ``n``: after)."""
    y, m = divmod(month.year * 12 + month.month - 1 - n, 12)
    return dt.date(y, m + 1, 1)


def billing_demand(month: dt.date, month_max_kw: int, history: Mapping[dt.date, int], contract_kw: int
                   ) -> tuple[int, dt.date, list[Warning_]]:
    """요금적용전력 [kW] of ``month`` and the month that set it [K1 제68조 ①].

    ``month_max_kw``: this month's largest mid/peak 15-minute demand; ``history``: the same figure
    of earlier months (first day of month → kW).  The months of the window are the 11 before
    ``month`` whose month is Dec, Jan, Feb, Jul, Aug or Sep.  The floor is 30 % of contract power
    (rounded half-up to 1 kW); when the floor applies the month returned is ``month`` itself.
    """
    best, source = month_max_kw, month
    missing: list[str] = []
    for n in range(1, 12):
        prior = months_back(month, n)
        if prior.month not in DEMAND_WINDOW_MONTHS:
            continue
        if prior not in history:
            missing.append(prior.isoformat()[:7])
            continue
        if history[prior] > best:
            best, source = history[prior], prior
    floor = int(half_up(Decimal(contract_kw) * BILLING_DEMAND_FLOOR))
    warnings = []
    if missing:
        warnings.append(Warning_("demand_history_missing",
                                 f"no demand record for {', '.join(missing)}: the billing demand counts only "
                                 "the months present"))
    if floor > best:
        return floor, month, warnings
    return best, source, warnings


def _sums(values: pd.Series, version: pd.Series, period: pd.Series) -> dict[tuple[dt.date, str], float]:
    """Sum of ``values`` per (rates version, load period)."""
    grouped = values.groupby([version, period]).sum()
    return {(key[0], str(key[1])): float(v) for key, v in zip(grouped.index, grouped.to_numpy(), strict=True)}


def monthly_demands(meter: pd.DataFrame, contract: Contract, first: dt.date, before: dt.date, *,
                    rules_year: int | None = None, interval_s: int = 900,
                    tables: TariffTables | None = None) -> dict[dt.date, int]:
    """Largest mid/peak 15-minute demand [kW, 1 kW half-up] of each month from ``first`` up to
    (not including) ``before`` that has meter data: the history :func:`billing_demand` needs."""
    data = _check_meter(meter)
    lo, hi = pd.Timestamp(first, tz=KST), pd.Timestamp(before, tz=KST)
    data = data[(data.index >= lo) & (data.index < hi)]
    if data.empty:
        return {}
    pos = classify(pd.DatetimeIndex(data.index), contract, tables, rules_year=rules_year)
    demand_kw = data["kwh"] * (3600 / interval_s)
    month = pos["day"].map(lambda d: d.replace(day=1))
    counting = pos["period"].isin(["mid", "peak"])
    out = {m: 0 for m in pd.unique(month)}
    for m, kw in demand_kw[counting].groupby(month[counting]).max().items():
        out[m] = int(half_up(float(kw)))
    return out


def _month_bounds(month: dt.date) -> tuple[pd.Timestamp, pd.Timestamp]:
    start = pd.Timestamp(month.year, month.month, 1, tz=KST)
    return start, start + pd.offsets.MonthBegin(1)


def _check_meter(meter: pd.DataFrame) -> pd.DataFrame:
    if not isinstance(meter.index, pd.DatetimeIndex) or meter.index.tz is None:
        raise InvalidInput("meter data must be indexed by tz-aware interval starts", field="ts")
    if "kwh" not in meter:
        raise InvalidInput("meter data needs a 'kwh' column", field="kwh")
    out = meter.copy()
    for col in ("lag_kvarh", "lead_kvarh"):
        if col not in out:
            out[col] = 0.0
    out = out.fillna(0.0)
    if (out[["kwh", "lag_kvarh", "lead_kvarh"]] < 0).any().any():
        raise InvalidInput("meter energies must not be negative", field="kwh")
    return out


def compute_bill(meter: pd.DataFrame, contract: Contract, month: dt.date, *,
                 demand_history: Mapping[dt.date, int] | None = None, rules_year: int | None = None,
                 interval_s: int = 900, power_factor_warning_only: bool = False,
                 excess_warning_only: bool = False, tables: TariffTables | None = None) -> Bill:
    """The bill of calendar ``month`` (any day of it) from 15-minute ``meter`` data.

    ``meter``: DataFrame indexed by tz-aware interval start, columns ``kwh`` [kWh per interval]
    and optionally ``lag_kvarh``, ``lead_kvarh`` [kvarh per interval]; rows outside the month are
    ignored.  ``demand_history``: earlier months' largest mid/peak demands [kW] (see
    :func:`billing_demand`).  ``power_factor_warning_only`` / ``excess_warning_only``: the first
    month a surcharge arises is notified, not charged [K1 제43조 ③, 제67조의3 ④].
    """
    tables = tables or load_tables()
    month = month.replace(day=1)
    start, end = _month_bounds(month)
    has_reactive = any(col in meter and bool(meter[col].notna().any()) for col in ("lag_kvarh", "lead_kvarh"))
    data = _check_meter(meter)
    data = data[(data.index >= start) & (data.index < end)]
    warnings: list[Warning_] = []
    unverified: set[str] = set()
    days_in_month = (end - start).days
    expected = days_in_month * 86400 // interval_s
    if len(data) < expected:
        warnings.append(Warning_("meter_data_incomplete",
                                 f"{len(data)} of {expected} intervals have meter data: missing intervals count as 0"))
    if data.empty:
        raise InvalidInput(f"no meter data in {month.isoformat()[:7]}", field="month")
    pos = classify(pd.DatetimeIndex(data.index), contract, tables, rules_year=rules_year)
    kwh = data["kwh"]

    # energy charge: per rates version and load period, kWh rounded half-up to 1 kWh
    versions: dict[dt.date, Any] = {}
    for rules_day in pd.unique(pos["rules_day"]):
        versions[rules_day] = tables.rate_version(contract.tariff, contract.voltage, contract.choice, rules_day)
    version_key = pos["rules_day"].map(lambda d: versions[d].effective_from)
    flat = contract.tariff == "industrial_gap_1"
    rate_period = pd.Series("flat", index=pos.index) if flat else pos["period"]
    season = season_of(month.month)
    energy_sum = Decimal(0)
    kwh_by_period = dict.fromkeys(PERIODS, 0)
    lines: list[BillLine] = []
    energy_lines: list[BillLine] = []
    by_version = {v.effective_from: v for v in versions.values()}
    for (_, period), value in _sums(kwh, version_key, pos["period"]).items():
        kwh_by_period[period] += int(half_up(value))
    rounded_periods: dict[tuple[dt.date, str], int] = {}
    for (vfrom, period), value in _sums(kwh, version_key, rate_period).items():
        q = int(half_up(value))
        rounded_periods[(vfrom, period)] = q
        version = by_version[vfrom]
        rate = version.energy_krw_per_kwh[(season, period)]
        energy_sum += q * _dec(rate)
        energy_lines.append(BillLine("energy_detail", 0, q, "kWh", rate, f"{period} ({vfrom.isoformat()} rates)"))
        if not version.verified:
            unverified.add(f"rates of {vfrom.isoformat()} ({version.source})")
    energy_krw = truncate_won(energy_sum)
    kwh_total = sum(rounded_periods.values())

    # demand
    demand_kw = kwh * (3600 / interval_s)
    counting = pos["period"].isin(["mid", "peak"])
    month_max = int(half_up(float(demand_kw[counting].max()))) if counting.any() else 0
    max_at = (pd.Timestamp(pos["local"][counting].iloc[int(np.argmax(demand_kw[counting].to_numpy()))])
              .to_pydatetime() if counting.any() else None)
    max_any = int(half_up(float(demand_kw.max())))
    history = dict(demand_history or {})
    bd_kw, bd_from, bd_warn = billing_demand(month, month_max, history, contract.contract_kw)
    warnings += bd_warn

    # basic charge: prorated by days when the basic rate changes inside the month
    day_rates = pos.groupby("day")["rules_day"].first().map(lambda d: _dec(versions[d].basic_krw_per_kw))
    basic_sum = sum((bd_kw * rate * Decimal(1) / days_in_month for rate in day_rates), Decimal(0))
    if day_rates.nunique() == 1:
        basic_sum = bd_kw * day_rates.iloc[0]
    basic_krw = truncate_won(basic_sum)
    lines.append(BillLine("basic", basic_krw, bd_kw, "kW", float(day_rates.iloc[0]),
                          f"billing demand set by {bd_from.isoformat()[:7]}"))

    # power factor
    rules_date = _rules_day(month, rules_year)
    pf_rule = tables.power_factor_rule(rules_date)
    if not pf_rule.verified:
        unverified.add("power-factor rule before 2025-02-01 (B1;P1)")
    lag_pct: int | None = None
    lead_pct: int | None = None
    pf_pct = Decimal(0)
    if contract.reactive_metered and not has_reactive:
        warnings.append(Warning_("reactive_energy_missing", "no reactive energy (kvarh) data: the power factor is "
                                 "taken as 92 % lagging, no charge or rebate"))
    if contract.reactive_metered and has_reactive:
        lag_pct, lead_pct = power_factors(data, pf_rule.lag_hours, pf_rule.lead_hours,
                                          lag_floor=pf_rule.lag_floor_pct, lag_cap=pf_rule.lag_rebate_cap_pct,
                                          lead_floor=pf_rule.lead_floor_pct)
        step = _dec(pf_rule.pct_of_basic_per_pct)
        if lag_pct is not None:
            pf_pct += (pf_rule.lag_reference_pct - lag_pct) * step  # negative above the reference: a rebate
        if lead_pct is not None and contract.voltage != "low":
            pf_pct += max(0, pf_rule.lead_reference_pct - lead_pct) * step
    pf_krw = truncate_won(basic_krw * pf_pct / 100)
    if power_factor_warning_only and pf_krw > 0:
        warnings.append(Warning_("power_factor_warning_month",
                                 f"first month of a power-factor surcharge: {pf_krw} won notified, not charged"))
        pf_krw = 0
    lines.append(BillLine("power_factor", pf_krw, float(pf_pct), "% of basic", None,
                          f"lagging {lag_pct}%, leading {lead_pct}%"))

    lines.append(BillLine("energy", energy_krw, kwh_total, "kWh", None, "sum of the load periods"))

    # 2026 weekend discount on the energy charge
    discount_sum = Decimal(0)
    for disc in tables.discounts():
        if disc.tariff != contract.tariff or disc.season != season:
            continue
        in_dates = pos["rules_day"].map(lambda d, disc=disc: disc.effective_from <= d <= disc.effective_to)
        sel = (in_dates & pos["day_type"].isin(disc.day_types) & (pos["hour"] >= disc.hours[0])
               & (pos["hour"] < disc.hours[1]))
        if not sel.any():
            continue
        for (vfrom, period), value in _sums(kwh[sel], version_key[sel], rate_period[sel]).items():
            rate = by_version[vfrom].energy_krw_per_kwh[(season, period)]
            discount_sum += int(half_up(value)) * _dec(rate) * (1 - _dec(disc.energy_charge_factor))
    if discount_sum:
        lines.append(BillLine("weekend_discount", -truncate_won(discount_sum), None, "", None,
                              "50% of the energy charge on spring/autumn weekends and holidays 11-14 h"))

    # excess-demand surcharge (초과사용부가금)
    if max_any > contract.contract_kw:
        excess = max_any - contract.contract_kw
        ratio = excess * 100 / contract.contract_kw
        mult = tables.excess_multiplier_pct(ratio)
        amount = truncate_won(excess * day_rates.iloc[0] * mult / 100)
        if excess_warning_only:
            warnings.append(Warning_("excess_demand_warning_month",
                                     f"demand exceeded contract power by {excess} kW: {amount} won notified"))
        else:
            lines.append(BillLine("excess_demand", amount, excess, "kW", float(day_rates.iloc[0]) * mult / 100,
                                  f"{ratio:.1f}% over contract power, {mult}% of the basic rate"))

    # climate-environment and fuel-cost lines, per day's rules (the adjustment dates are real dates)
    kwh_day = kwh.groupby(pos["day"]).sum()
    share = kwh_day / kwh_day.sum() if kwh_day.sum() > 0 else kwh_day * 0
    for item, code in (("climate_environment_charge", "climate"), ("fuel_cost_adjustment", "fuel")):
        rates = {d: tables.adjustment(item, _rules_day(d, rules_year)) for d in kwh_day.index}
        if any(r is None for r in rates.values()):
            warnings.append(Warning_(f"{code}_rate_unknown",
                                     f"no {item} rate in force for some days of {month.isoformat()[:7]}: "
                                     "charged at 0 there"))
        distinct = {r for r in rates.values() if r is not None}
        if len(distinct) <= 1 and all(r is not None for r in rates.values()):
            rate = distinct.pop() if distinct else 0.0
            amount = truncate_won(kwh_total * _dec(rate))
            lines.append(BillLine(code, amount, kwh_total, "kWh", rate))
        else:
            # a rate change inside the month: kWh split by the days' share of the metered energy
            split = sum((Decimal(kwh_total) * _dec(float(share[d])) * _dec(r or 0.0) for d, r in rates.items()),
                        Decimal(0))
            lines.append(BillLine(code, truncate_won(split), kwh_total, "kWh", None, "rate changed within the month"))
    if rates_unverified := [d for d in kwh_day.index
                            if not tables.adjustment_verified("climate_environment_charge", _rules_day(d, rules_year))]:
        unverified.add(f"climate-environment charge after {rates_unverified[0]}")

    charge: int = sum((ln.amount_krw for ln in lines), 0)
    vat_rate = tables.adjustment("vat", rules_date) or 10.0
    vat = int(half_up(Decimal(charge) * _dec(vat_rate) / 100))  # charge: int, the sum of whole-won lines
    fund_rate = tables.adjustment("power_industry_fund", rules_date)
    if fund_rate is None:
        raise InvalidInput(f"no fund rate in force on {rules_date}", field="month")
    fund = truncate_10_won(Decimal(charge) * _dec(fund_rate) / 100)
    total = truncate_10_won(charge + vat + fund)
    return Bill(month, contract, kwh_by_period, kwh_total, month_max, max_at, max_any, bd_kw, bd_from,
                lag_pct, lead_pct, pf_pct, lines, charge, vat, fund, total, rules_date, energy_lines,
                sorted(unverified), warnings)


def months_of(meter: pd.DataFrame) -> list[dt.date]:
    """The calendar months (KST) the meter data touches, first days, in order."""
    local = pd.DatetimeIndex(meter.index).tz_convert(KST)
    return sorted({dt.date(t.year, t.month, 1) for t in local})


def compute_bills(meter: pd.DataFrame, contract: Contract, months: Sequence[dt.date] | None = None, *,
                  demand_history: Mapping[dt.date, int] | None = None, rules_year: int | None = None,
                  interval_s: int = 900, tables: TariffTables | None = None) -> list[Bill]:
    """Consecutive monthly bills; each month's mid/peak maximum demand joins the history of the next."""
    history = dict(demand_history or {})
    bills = []
    for month in months or months_of(meter):
        bill = compute_bill(meter, contract, month, demand_history=history, rules_year=rules_year,
                            interval_s=interval_s, tables=tables)
        history[month.replace(day=1)] = bill.max_demand_kw
        bills.append(bill)
    return bills


# --- what-if ------------------------------------------------------------------------------------------

def compare_contracts(meter: pd.DataFrame, contracts: Sequence[Contract], months: Sequence[dt.date] | None = None,
                      *, rules_year: int | None = None, interval_s: int = 900,
                      tables: TariffTables | None = None) -> list[tuple[Contract, list[Bill]]]:
    """The same load billed under each contract (tariff choice), months in order."""
    return [(c, compute_bills(meter, c, months, rules_year=rules_year, interval_s=interval_s, tables=tables))
            for c in contracts]


def shift_load(meter: pd.DataFrame, contract: Contract, kwh_per_day: float, *, from_period: str = "peak",
               to_period: str = "light", rules_year: int | None = None,
               tables: TariffTables | None = None) -> pd.DataFrame:
    """The meter data with ``kwh_per_day`` [kWh] moved each day from one load period to another.

    On each day that has intervals of ``from_period``, the energy taken is spread evenly over
    those intervals (never below zero: what an interval lacks is not taken) and the same energy
    is added evenly over the same day's ``to_period`` intervals.  Days without both periods are
    left as they are.  Total energy is unchanged.
    """
    if kwh_per_day < 0:
        raise InvalidInput("the energy to shift must not be negative", field="kwh_per_day")
    if from_period not in PERIODS or to_period not in PERIODS or from_period == to_period:
        raise InvalidInput("shift between two different periods among light, mid and peak", field="from_period")
    data = _check_meter(meter)
    pos = classify(pd.DatetimeIndex(data.index), contract, tables, rules_year=rules_year)
    out = meter.copy()  # the columns the caller gave, no more (no invented reactive energy)
    out["kwh"] = data["kwh"]
    for _, idx in pos.groupby("day").groups.items():
        day_pos = pos.loc[idx]
        src = day_pos.index[day_pos["period"] == from_period]
        dst = day_pos.index[day_pos["period"] == to_period]
        if len(src) == 0 or len(dst) == 0:
            continue
        take = np.minimum(out.loc[src, "kwh"].to_numpy(), kwh_per_day / len(src))
        out.loc[src, "kwh"] = out.loc[src, "kwh"].to_numpy() - take
        out.loc[dst, "kwh"] = out.loc[dst, "kwh"].to_numpy() + take.sum() / len(dst)
    return out


def shift_saving(meter: pd.DataFrame, contract: Contract, kwh_per_day: float, months: Sequence[dt.date] | None = None,
                 *, from_period: str = "peak", to_period: str = "light", rules_year: int | None = None,
                 demand_history: Mapping[dt.date, int] | None = None,
                 tables: TariffTables | None = None) -> tuple[list[Bill], list[Bill]]:
    """Bills before and after shifting ``kwh_per_day`` between load periods (see :func:`shift_load`)."""
    shifted = shift_load(meter, contract, kwh_per_day, from_period=from_period, to_period=to_period,
                         rules_year=rules_year, tables=tables)
    before = compute_bills(meter, contract, months, demand_history=demand_history, rules_year=rules_year,
                           tables=tables)
    after = compute_bills(shifted, contract, months, demand_history=demand_history, rules_year=rules_year,
                          tables=tables)
    return before, after


def with_choice(contract: Contract, choice: str) -> Contract:
    return replace(contract, choice=choice)



def variable_cost(meter: pd.DataFrame, contract: Contract, *, rules_year: int | None = None,
                  tables: TariffTables | None = None) -> pd.Series:
    """Variable cost of each interval [KRW, unrounded]: kWh × (energy rate of its load period +
    climate-environment + fuel-cost rates), before VAT and the fund.

    The basic charge, power factor and weekend discount are monthly bill lines and are left out:
    this is what a kWh more or less at that moment costs, for dashboards and savings estimates.
    """
    tables = tables or load_tables()
    data = _check_meter(meter)
    if data.empty:
        return pd.Series(dtype=float)
    pos = classify(pd.DatetimeIndex(data.index), contract, tables, rules_year=rules_year)
    flat = contract.tariff == "industrial_gap_1"
    keys = pd.DataFrame({"rules_day": pos["rules_day"].to_numpy(), "season": pos["season"].to_numpy(),
                         "period": pos["period"].to_numpy(), "day": pos["day"].to_numpy()})
    group = keys.groupby(list(keys.columns), sort=False).ngroup().to_numpy()
    first = keys.drop_duplicates()  # in order of first appearance, as ngroup(sort=False) numbers them
    rates = []
    for rules_day, season, period, day in first.itertuples(index=False, name=None):
        version = tables.rate_version(contract.tariff, contract.voltage, contract.choice, rules_day)
        adj_day = _rules_day(day, rules_year)
        rates.append(version.energy_krw_per_kwh[(season, "flat" if flat else period)]
                     + (tables.adjustment("climate_environment_charge", adj_day) or 0.0)
                     + (tables.adjustment("fuel_cost_adjustment", adj_day) or 0.0))
    rate = np.asarray(rates, dtype=float)[group]
    return pd.Series(data["kwh"].to_numpy() * rate, index=data.index)
