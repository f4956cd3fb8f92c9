"""Use cases of the energy domain: a company's supply contract and its KEPCO bills from its meters.

Meter data are read through :mod:`sandan.timeseries.service` (the company's group totals at
15 minutes: active energy, lagging reactive energy — reactive consumption — and leading reactive
energy — reactive export, IEC 62053-23 quadrant IV), never from the readings table.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace
from typing import Any

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from sandan.core.errors import Forbidden, InvalidInput
from sandan.core.tenancy.models import Site
from sandan.core.timeutil import KST, now_utc
from sandan.core.units import unit_factor
from sandan.energy import baseline, kpi, peak, tariff
from sandan.energy.models import SupplyContract
from sandan.energy.tariff_tables import load_tables
from sandan.timeseries import service as ts

#: The tariff assumed for a company that has not entered its contract (most complex tenants
#: with ≥ 300 kW are on 산업용(을) 고압A; 선택II is the common choice).
DEFAULT_CONTRACT = tariff.Contract("industrial_eul", "high_a", "II", contract_kw=1000)
MAX_MONTHS = 36
PEAK_WARNING_SHARE, PEAK_CRITICAL_SHARE = 0.80, 0.95


@dataclass
class ContractView:
    contract: tariff.Contract
    stored: bool
    company_id: int
    warnings: list[tariff.Warning_] = field(default_factory=list)
    #: where the contract power comes from: ``stored``, ``sites`` (their contract power) or ``demand``
    source: str = "stored"
    peak_warning_kw: int | None = None
    peak_critical_kw: int | None = None

    @property
    def thresholds(self) -> tuple[int, int]:
        """Peak-demand warning and critical thresholds [kW]: stored, else 80 % and 95 % of contract power."""
        kw = self.contract.contract_kw
        return (self.peak_warning_kw or int(tariff.half_up(kw * PEAK_WARNING_SHARE)),
                self.peak_critical_kw or int(tariff.half_up(kw * PEAK_CRITICAL_SHARE)))

    def to_dict(self) -> dict[str, Any]:
        c = self.contract
        return {"company_id": self.company_id, "tariff": c.tariff, "voltage": c.voltage, "choice": c.choice,
                "contract_kw": c.contract_kw, "deferred_reform": c.deferred_reform,
                "reactive_metered": c.reactive_metered, "stored": self.stored, "source": self.source,
                "peak_warning_kw": self.thresholds[0], "peak_critical_kw": self.thresholds[1],
                "warnings": [{"code": w.code, "message": w.message} for w in self.warnings]}


def _company(session: Session, company_id: int) -> Any:
    return ts.visible_group(session, "company", company_id)


def stored_contract(session: Session, company_id: int) -> SupplyContract | None:
    return session.execute(select(SupplyContract).where(SupplyContract.company_id == company_id)).scalar_one_or_none()


def get_contract(session: Session, company_id: int) -> ContractView:
    """The company's contract, or the default one (with a warning) when none is stored."""
    _company(session, company_id)
    row = stored_contract(session, company_id)
    if row is not None:
        return ContractView(tariff.Contract(row.tariff, row.voltage, row.choice, row.contract_kw, row.deferred_reform,
                                            row.reactive_metered), True, company_id,
                            peak_warning_kw=row.peak_warning_kw, peak_critical_kw=row.peak_critical_kw)
    sites_kw = sum(s.contract_power_kw or 0 for s in session.execute(select(Site).where(
        Site.company_id == company_id)).scalars())
    if sites_kw >= 300:
        return ContractView(replace(DEFAULT_CONTRACT, contract_kw=int(tariff.half_up(sites_kw))), False, company_id,
                            [tariff.Warning_("contract_not_set",
                                             "no supply contract entered: 산업용(을) 고압A 선택II assumed, contract "
                                             "power the sum of the sites' contract power")], "sites")
    return ContractView(DEFAULT_CONTRACT, False, company_id,
                        [tariff.Warning_("contract_not_set",
                                         "no supply contract entered: 산업용(을) 고압A 선택II assumed, contract power "
                                         "from the largest 15-minute demand of the period (at least 300 kW)")],
                        "demand")


def put_contract(session: Session, company_id: int, contract: tariff.Contract, *, peak_warning_kw: int | None = None,
                 peak_critical_kw: int | None = None) -> ContractView:
    """Store the company's contract (company admins and the platform; the policy checks the write)."""
    _company(session, company_id)
    principal = session.info["principal"]
    if not (principal.is_admin or company_id in principal.companies_admin):
        raise Forbidden("only an admin of the company may change its supply contract")
    if contract.tariff == "industrial_eul" and contract.contract_kw < 300:
        raise InvalidInput("산업용(을) needs a contract power of 300 kW or more", field="contract_kw")
    if contract.tariff != "industrial_eul" and contract.contract_kw >= 300:
        raise InvalidInput("산업용(갑) is for contract power below 300 kW", field="contract_kw")
    load_tables().rate_version(contract.tariff, contract.voltage, contract.choice, now_utc().astimezone(KST).date())
    if peak_warning_kw and peak_critical_kw and peak_warning_kw >= peak_critical_kw:
        raise InvalidInput("the warning threshold must be below the critical one", field="peak_warning_kw")
    row = stored_contract(session, company_id)
    if row is None:
        row = SupplyContract(company_id=company_id)
        session.add(row)
    row.tariff, row.voltage, row.choice = contract.tariff, contract.voltage, contract.choice
    row.contract_kw, row.deferred_reform, row.reactive_metered = (contract.contract_kw, contract.deferred_reform,
                                                                 contract.reactive_metered)
    row.peak_warning_kw, row.peak_critical_kw = peak_warning_kw, peak_critical_kw
    session.flush()
    return ContractView(contract, True, company_id, peak_warning_kw=peak_warning_kw,
                        peak_critical_kw=peak_critical_kw)


def month_range(start: dt.datetime | None, end: dt.datetime | None) -> list[dt.date]:
    """The KST calendar months overlapping ``[start, end)``; default the 12 months up to the current one."""
    now = now_utc().astimezone(KST)
    hi = (end or now).astimezone(KST)
    first_hi = dt.date(hi.year, hi.month, 1)
    if end is not None and hi == pd.Timestamp(first_hi, tz=KST).to_pydatetime():
        first_hi = tariff.months_back(first_hi, 1)  # an end at 00:00 of the 1st excludes that month
    lo = start.astimezone(KST) if start else None
    first_lo = dt.date(lo.year, lo.month, 1) if lo else tariff.months_back(first_hi, 11)
    if first_lo > first_hi:
        raise InvalidInput("the end of the range must be after its start", field="end")
    months = []
    month = first_lo
    while month <= first_hi:
        months.append(month)
        month = tariff.months_back(month, -1)
    if len(months) > MAX_MONTHS:
        raise InvalidInput(f"at most {MAX_MONTHS} months at a time", field="start")
    return months


def company_meter(session: Session, company_id: int, start: dt.datetime, end: dt.datetime) -> pd.DataFrame:
    """The company's 15-minute kWh, lagging and leading kvarh between ``start`` and ``end`` (UTC index)."""
    def series(quantity: str, direction: str) -> pd.Series:
        got = ts.group_series(session, "company", company_id, start, end, quantity=quantity,
                              direction=direction, resolution="15min")
        return pd.Series(got.frame["value"].to_numpy(), index=pd.DatetimeIndex(got.frame["ts"]), dtype=float)

    frame = pd.DataFrame({"kwh": series("active_energy", "consumption")})
    for col, direction in (("lag_kvarh", "consumption"), ("lead_kvarh", "export")):
        reactive = series("reactive_energy", direction)
        if not reactive.empty:  # no reactive points: no column, so the bill says the power factor is unknown
            frame[col] = reactive
    return frame.sort_index()


@dataclass
class BillsResult:
    company_id: int
    contract: ContractView
    bills: list[tariff.Bill]

    def to_dict(self) -> dict[str, Any]:
        return {"company_id": self.company_id, "contract": self.contract.to_dict(),
                "total_krw": sum(b.total_krw for b in self.bills), "items": [b.to_dict() for b in self.bills]}


def _bounds(months: list[dt.date]) -> tuple[dt.datetime, dt.datetime]:
    lo = pd.Timestamp(tariff.months_back(months[0], 11), tz=KST).to_pydatetime()
    hi = pd.Timestamp(tariff.months_back(months[-1], -1), tz=KST).to_pydatetime()
    return lo, hi


def _effective(view: ContractView, meter: pd.DataFrame) -> tariff.Contract:
    if view.source != "demand" or meter.empty:
        return view.contract
    peak_kw = int(tariff.half_up(float(meter["kwh"].max()) * 4)) if len(meter) else 0
    return replace(DEFAULT_CONTRACT, contract_kw=max(300, peak_kw))


def _bills(meter: pd.DataFrame, contract: tariff.Contract, months: list[dt.date], rules_year: int | None
           ) -> list[tariff.Bill]:
    """Bills of ``months`` with the demand history of the 11 months before the first from ``meter``."""
    history: dict[dt.date, int] = {}
    for n in range(11, 0, -1):  # month by month: a month before the tables begin is left out, not an error
        prior = tariff.months_back(months[0], n)
        try:
            history.update(tariff.monthly_demands(meter, contract, prior, tariff.months_back(prior, -1),
                                                  rules_year=rules_year))
        except InvalidInput:
            continue
    present = [m for m in months if not meter[(meter.index >= pd.Timestamp(m, tz=KST))
                                              & (meter.index < pd.Timestamp(tariff.months_back(m, -1), tz=KST))].empty]
    return tariff.compute_bills(meter, contract, present, demand_history=history, rules_year=rules_year)


def company_bills(session: Session, company_id: int, start: dt.datetime | None = None, end: dt.datetime | None = None,
                  *, rules_year: int | None = None, choice: str | None = None) -> BillsResult:
    """The company's monthly KEPCO bills over the months of ``[start, end)``.

    Months without meter data are left out."""
    view = get_contract(session, company_id)
    months = month_range(start, end)
    meter = company_meter(session, company_id, *_bounds(months))
    contract = _effective(view, meter)
    if choice is not None:
        contract = tariff.with_choice(contract, choice)
    return BillsResult(company_id, replace(view, contract=contract),
                       _bills(meter, contract, months, rules_year))


def what_if(session: Session, company_id: int, start: dt.datetime | None = None, end: dt.datetime | None = None, *,
            rules_year: int | None = None, shift_kwh_per_day: float = 0.0, from_period: str = "peak",
            to_period: str = "light") -> dict[str, Any]:
    """The same load under each rate choice of the company's tariff, and the saving from shifting
    ``shift_kwh_per_day`` [kWh] each day from one load period to another."""
    view = get_contract(session, company_id)
    months = month_range(start, end)
    meter = company_meter(session, company_id, *_bounds(months))
    contract = _effective(view, meter)
    base = _bills(meter, contract, months, rules_year)
    choices: tuple[str, ...] = ("I", "II", "III") if contract.tariff == "industrial_eul" else ("I", "II")
    if contract.voltage == "low":
        choices = ("",)
    options = []
    for choice in choices:
        bills = _bills(meter, tariff.with_choice(contract, choice), months, rules_year)
        options.append({"choice": choice, "total_krw": sum(b.total_krw for b in bills),
                        "difference_krw": sum(b.total_krw for b in bills) - sum(b.total_krw for b in base)})
    shifted_total = None
    if shift_kwh_per_day > 0:
        shifted = tariff.shift_load(meter, contract, shift_kwh_per_day, from_period=from_period, to_period=to_period,
                                    rules_year=rules_year)
        shifted_total = sum(b.total_krw for b in _bills(shifted, contract, months, rules_year))
    base_total = sum(b.total_krw for b in base)
    shown = replace(view, contract=contract)
    return {"company_id": company_id, "contract": shown.to_dict(),
            "months": [m.isoformat()[:7] for m in months], "total_krw": base_total, "choices": options,
            "shift": {"kwh_per_day": shift_kwh_per_day, "from_period": from_period, "to_period": to_period,
                      "total_krw": shifted_total,
                      "saving_krw": None if shifted_total is None else base_total - shifted_total}}


#: What each carrier is measured as (quantity of its points), for consumption per carrier.
CARRIER_QUANTITIES = (("electricity", "active_energy"), ("lng_city_gas", "gas_volume"), ("lng", "gas_volume"),
                      ("diesel", "fuel_volume"), ("kerosene", "fuel_volume"), ("lpg_propane", "fuel_volume"),
                      ("steam", "steam_mass"), ("heat", "heat_energy"))
PRODUCTION_QUANTITIES = ("production_count", "production_mass")
NODE_KINDS = ("company", "site", "asset")


def _node_company(session: Session, kind: str, node_id: int) -> int:
    row = ts.visible_group(session, kind, node_id)
    return int(row.id if kind == "company" else row.company_id)


def _kpi_range(start: dt.datetime | None, end: dt.datetime | None) -> tuple[dt.datetime, dt.datetime]:
    """Default: this KST month up to now."""
    now = now_utc().astimezone(KST)
    hi = end or now
    lo = start or now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    if hi <= lo:
        raise InvalidInput("the end of the range must be after its start", field="end")
    if hi - lo > dt.timedelta(days=400):
        raise InvalidInput("KPIs cover at most 400 days at a time", field="start")
    return lo, hi


def _series(frame: pd.DataFrame) -> pd.Series:
    return pd.Series(frame["value"].to_numpy(), index=pd.DatetimeIndex(frame["ts"]), dtype=float)


@dataclass
class NodeData:
    """A node's series over a range, read once: electricity at 15 minutes, other carriers, reactive
    energy and production per day (only the quantities the company has points of are asked for)."""

    kind: str
    node_id: int
    company_id: int
    kwh: pd.Series
    daily: dict[tuple[str, str], tuple[pd.Series, str]]  # (carrier, quantity) -> (series, unit)
    reactive: pd.Series | None
    production: tuple[str, pd.Series, str] | None
    contract: ContractView
    cost: pd.Series | None = None  # variable cost per interval [KRW]; None when the tariff does not cover it
    cost_warning: str | None = None


def node_data(session: Session, kind: str, node_id: int, lo: dt.datetime, hi: dt.datetime, *,
              rules_year: int | None = None) -> NodeData:
    company_id = _node_company(session, kind, node_id)
    present = {(str(p.carrier), p.quantity, str(p.direction)) for p in ts.visible_points(session, company_id)}
    kwh = _series(ts.group_series(session, kind, node_id, lo, hi, resolution="15min").frame)
    daily: dict[tuple[str, str], tuple[pd.Series, str]] = {}
    for carrier, quantity in CARRIER_QUANTITIES:
        if carrier == "electricity" or (carrier, quantity, "consumption") not in present:
            continue
        got = ts.group_series(session, kind, node_id, lo, hi, quantity=quantity, carrier=carrier, resolution="1d")
        if not got.frame.empty:
            daily[(carrier, quantity)] = (_series(got.frame), got.unit)
    reactive = None
    if ("electricity", "reactive_energy", "consumption") in present:
        reactive = _series(ts.group_series(session, kind, node_id, lo, hi, quantity="reactive_energy",
                                           resolution="1d").frame)
    production = None
    for carrier, quantity, direction in sorted(present):
        if quantity in PRODUCTION_QUANTITIES and direction in ("consumption", "none"):
            got = ts.group_series(session, kind, node_id, lo, hi, quantity=quantity, carrier=carrier,
                                  direction=direction, resolution="1d")
            if not got.frame.empty:
                production = (quantity, _series(got.frame), got.unit)
                break
    data = NodeData(kind, node_id, company_id, kwh, daily, reactive, production, get_contract(session, company_id))
    if not kwh.empty:
        try:
            data.cost = tariff.variable_cost(pd.DataFrame({"kwh": kwh}), data.contract.contract, rules_year=rules_year)
        except InvalidInput as exc:
            data.cost_warning = exc.detail
    return data


def kpis_of(data: NodeData, lo: dt.datetime, hi: dt.datetime) -> dict[str, Any]:
    """KPIs of the part ``[lo, hi)`` of a node's data (see :func:`node_kpis`)."""
    def part(series: pd.Series) -> pd.Series:
        if series.empty:
            return series
        return series[(series.index >= pd.Timestamp(lo)) & (series.index < pd.Timestamp(hi))]

    kwh = part(data.kwh)
    demand = kpi.demand_kpis(kwh)
    carriers: list[dict[str, Any]] = []
    if not kwh.empty:
        carriers.append({"carrier": "electricity", "quantity": "active_energy", "amount": demand.energy_kwh,
                         "unit": "kWh", "toe": demand.energy_kwh * unit_factor("kWh", "toe", "electricity")})
    for (carrier, quantity), (series, unit) in data.daily.items():
        amount = float(part(series).sum())
        carriers.append({"carrier": carrier, "quantity": quantity, "amount": amount, "unit": unit,
                         "toe": amount * unit_factor(unit, "toe", carrier)})
    total_toe = sum(c["toe"] for c in carriers)
    warnings = [{"code": w.code, "message": w.message} for w in data.contract.warnings]
    cost = float(part(data.cost).sum()) if data.cost is not None and not kwh.empty else None
    if data.cost_warning:
        warnings.append({"code": "tariff_unavailable", "message": data.cost_warning})
    pf = None
    if data.reactive is not None and not part(data.reactive).empty:
        pf = kpi.power_factor(demand.energy_kwh, float(part(data.reactive).sum()))
    production: dict[str, Any] | None = None
    sec = None
    if data.production is not None:
        quantity, series, unit = data.production
        units = float(part(series).sum())
        production = {"quantity": quantity, "amount": units, "unit": unit}
        sec = {"kwh_per_unit": kpi.specific_energy(demand.energy_kwh, units),
               "toe_per_unit": kpi.specific_energy(total_toe, units)}
    return {"kind": data.kind, "node_id": data.node_id, "company_id": data.company_id, "start": lo.isoformat(),
            "end": hi.isoformat(), "carriers": carriers, "total_toe": total_toe, "electricity": demand.to_dict(),
            "variable_cost_krw": None if cost is None else round(cost), "power_factor": pf,
            "production": production, "specific_energy": sec, "warnings": warnings}


def node_kpis(session: Session, kind: str, node_id: int, start: dt.datetime | None = None,
              end: dt.datetime | None = None, *, rules_year: int | None = None) -> dict[str, Any]:
    """KPIs of a company, site or asset subtree over ``[start, end)`` (default: this month so far).

    Consumption per carrier in its unit and in TOE; electricity: peak 15-minute demand and when,
    load factor, base load, off-hours share, variable cost under the company's tariff, power factor
    where reactive energy is metered; specific energy consumption where production is metered.
    """
    lo, hi = _kpi_range(start, end)
    return kpis_of(node_data(session, kind, node_id, lo, hi, rules_year=rules_year), lo, hi)


def dashboard(session: Session, company_id: int, now: dt.datetime) -> dict[str, Any]:
    """Today, this month and this year so far (KST) for the company dashboard, and the peak gauge:
    this month's largest 15-minute demand against contract power.  The year is read once."""
    local = now.astimezone(KST)
    day0 = local.replace(hour=0, minute=0, second=0, microsecond=0)
    month0, year0 = day0.replace(day=1), day0.replace(month=1, day=1)
    data = node_data(session, "company", company_id, year0, now)
    periods = {name: kpis_of(data, lo, now) for name, lo in (("today", day0), ("month", month0), ("year", year0))}
    contract = data.contract
    peak = periods["month"]["electricity"]["peak_kw"]
    contract_kw = contract.contract.contract_kw
    return {"periods": periods, "contract": contract.to_dict(), "peak_kw": peak,
            "peak_at": periods["month"]["electricity"]["peak_at"], "contract_kw": contract_kw,
            "peak_share": peak / contract_kw if contract_kw else None}


def company_baseline(session: Session, company_id: int, start: dt.datetime | None = None,
                     end: dt.datetime | None = None, *, granularity: str = "monthly") -> dict[str, Any]:
    """An electricity baseline of the company over ``[start, end)`` (default: the last 12 months):
    calendar variables (day types; hour of day × day type for hourly), plus production where
    production points are metered; statistics and the ASHRAE Guideline 14 verdict."""
    if granularity not in ("monthly", "daily", "hourly"):
        raise InvalidInput("granularity is monthly, daily or hourly", field="granularity")
    months = month_range(start, end)
    lo = pd.Timestamp(months[0], tz=KST).to_pydatetime()
    hi = pd.Timestamp(tariff.months_back(months[-1], -1), tz=KST).to_pydatetime()
    resolution = {"monthly": "1mo", "daily": "1d", "hourly": "1h"}[granularity]
    _company(session, company_id)
    got = ts.group_series(session, "company", company_id, lo, hi, resolution=resolution)
    y = pd.Series(got.frame["value"].to_numpy(), index=pd.DatetimeIndex(got.frame["ts"]), dtype=float)
    if len(y) < 3:
        empty = baseline.BaselineModel(granularity, {}, baseline.FitStats(len(y), 0, None, None, None),
                                       [{"code": "insufficient_data",
                                         "message": "a baseline needs at least three periods of metered energy"}])
        return {"company_id": company_id, "start": lo.isoformat(), "end": hi.isoformat(), **empty.to_dict()}
    features = baseline.calendar_features(pd.DatetimeIndex(y.index), granularity)  # type: ignore[arg-type]
    for quantity in PRODUCTION_QUANTITIES:
        prod = ts.group_series(session, "company", company_id, lo, hi, quantity=quantity, carrier="none",
                               direction="none", resolution=resolution)
        if not prod.frame.empty:
            features[quantity] = pd.Series(prod.frame["value"].to_numpy(), index=pd.DatetimeIndex(prod.frame["ts"]))
    model = baseline.fit(y, features, granularity)  # type: ignore[arg-type]
    return {"company_id": company_id, "start": lo.isoformat(), "end": hi.isoformat(), **model.to_dict()}


def demand_now(session: Session, company_id: int, now: dt.datetime) -> dict[str, Any]:
    """The running forecast of the current 15-minute demand from the company's incomer power points
    (active power, consumption, on a site rather than an asset), against its thresholds."""
    _company(session, company_id)
    view = get_contract(session, company_id)
    warning_kw, critical_kw = view.thresholds
    points = [p for p in ts.visible_points(session, company_id)
              if p.quantity == "active_power" and p.asset_id is None and p.direction == "consumption"]
    start = peak.interval_start_of(now)
    columns = []
    for point in points:
        got = ts.point_series(session, point.id, start - dt.timedelta(minutes=5), now + dt.timedelta(seconds=1),
                              resolution="raw", unit="kW")
        columns.append(pd.Series(got.frame["value"].to_numpy(), index=pd.DatetimeIndex(got.frame["ts"]),
                                 name=point.id))
    samples = pd.concat(columns, axis=1).sort_index().ffill().sum(axis=1, min_count=1) if columns \
        else pd.Series(dtype=float)
    forecast = peak.forecast_demand(samples, now, warning_kw=warning_kw, critical_kw=critical_kw)
    return {"company_id": company_id, **forecast.to_dict(), "warning_kw": warning_kw, "critical_kw": critical_kw,
            "points": [p.id for p in points]}
