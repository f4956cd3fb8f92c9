"""HTTP API of the energy domain, mounted under ``/api/v1`` by :mod:`sandan.app`.

Reads hang under ``/companies/{company_id}/energy/…`` (whoever may see the company); the supply
contract is written through ``/energy/contracts/{company_id}`` (its company's admins).
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query

from sandan.core.errors import InvalidInput
from sandan.core.http import BODY_PROBLEMS, SIGNED_IN_PROBLEMS, IdPath, SessionDep
from sandan.core.timeutil import now_utc
from sandan.energy import schemas, service, tariff

router = APIRouter(tags=["energy"], responses=SIGNED_IN_PROBLEMS)

#: Meter data are looked up between these dates.
EARLIEST = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
LATEST = dt.datetime(2100, 1, 1, tzinfo=dt.UTC)
RulesYear = Annotated[int | None, Query(ge=2023, le=2100, description=(
    "price each metered day with the rules of the same day in this year (seasons, weekdays and holidays stay "
    "those of the metered dates); default: the rules in force on the metered dates"))]
Period = Literal["light", "mid", "peak"]


def _aware(value: dt.datetime | None, name: str) -> dt.datetime | None:
    if value is None:
        return None
    aware = value if value.tzinfo else value.replace(tzinfo=dt.UTC)
    if not EARLIEST <= aware <= LATEST:
        raise InvalidInput(f"{name} must lie between 1970-01-01 and 2100-01-01", field=name)
    return aware


@router.get("/companies/{company_id}/energy/contract", response_model=schemas.ContractRead)
def get_contract(session: SessionDep, company_id: IdPath) -> Any:
    """The company's KEPCO supply contract (the default 산업용(을) 고압A 선택II until one is entered)."""
    return service.get_contract(session, company_id).to_dict()


@router.put("/energy/contracts/{company_id}", response_model=schemas.ContractRead, responses=BODY_PROBLEMS)
def put_contract(session: SessionDep, company_id: IdPath, data: schemas.ContractPut) -> Any:
    """Enter or change the company's supply contract (company admins, the platform)."""
    contract = tariff.Contract(data.tariff, data.voltage, data.choice, data.contract_kw, data.deferred_reform,
                               data.reactive_metered)
    return service.put_contract(session, company_id, contract, peak_warning_kw=data.peak_warning_kw,
                                peak_critical_kw=data.peak_critical_kw).to_dict()


@router.get("/companies/{company_id}/energy/bills", response_model=schemas.BillsRead)
def bills(session: SessionDep, company_id: IdPath, start: dt.datetime | None = None, end: dt.datetime | None = None,
          rules_year: RulesYear = None,
          choice: Annotated[schemas.Choice | None, Query(description="what-if: another rate choice")] = None) -> Any:
    """Monthly KEPCO bills (calendar months, KST) from the company's 15-minute meter data: each line
    worked out (kWh × rate, billing demand × basic rate, power factor), VAT, fund, amount billed.
    Default range: the 12 months up to the current one."""
    result = service.company_bills(session, company_id, _aware(start, "start"), _aware(end, "end"),
                                   rules_year=rules_year, choice=choice)
    return result.to_dict()


@router.get("/companies/{company_id}/energy/what-if", response_model=schemas.WhatIfRead)
def what_if(session: SessionDep, company_id: IdPath, start: dt.datetime | None = None, end: dt.datetime | None = None,
            rules_year: RulesYear = None,
            shift_kwh_per_day: Annotated[float, Query(ge=0, le=10_000_000, allow_inf_nan=False,
                                                      description="energy moved each day [kWh]")] = 0.0,
            from_period: Period = "peak", to_period: Period = "light") -> Any:
    """The same load under each rate choice, and the saving from shifting load between periods."""
    return service.what_if(session, company_id, _aware(start, "start"), _aware(end, "end"), rules_year=rules_year,
                           shift_kwh_per_day=shift_kwh_per_day, from_period=from_period, to_period=to_period)


def _kpis(session: SessionDep, kind: str, node_id: int, start: dt.datetime | None, end: dt.datetime | None,
          rules_year: int | None) -> Any:
    return service.node_kpis(session, kind, node_id, _aware(start, "start"), _aware(end, "end"), rules_year=rules_year)


@router.get("/companies/{company_id}/energy/kpis", response_model=schemas.KpisRead)
def company_kpis(session: SessionDep, company_id: IdPath, start: dt.datetime | None = None,
                 end: dt.datetime | None = None, rules_year: RulesYear = None) -> Any:
    """Energy KPIs of the company (default: this month so far): consumption per carrier and in TOE,
    peak 15-minute demand and when, load factor, base load, off-hours share, variable cost, power factor,
    specific energy consumption."""
    return _kpis(session, "company", company_id, start, end, rules_year)


@router.get("/sites/{site_id}/energy/kpis", response_model=schemas.KpisRead)
def site_kpis(session: SessionDep, site_id: IdPath, start: dt.datetime | None = None,
              end: dt.datetime | None = None, rules_year: RulesYear = None) -> Any:
    """Energy KPIs of a site (see the company route)."""
    return _kpis(session, "site", site_id, start, end, rules_year)


@router.get("/assets/{asset_id}/energy/kpis", response_model=schemas.KpisRead)
def asset_kpis(session: SessionDep, asset_id: IdPath, start: dt.datetime | None = None,
               end: dt.datetime | None = None, rules_year: RulesYear = None) -> Any:
    """Energy KPIs of an asset and everything under it (see the company route)."""
    return _kpis(session, "asset", asset_id, start, end, rules_year)


@router.get("/companies/{company_id}/energy/baseline", response_model=schemas.BaselineRead)
def company_baseline(session: SessionDep, company_id: IdPath, start: dt.datetime | None = None,
                     end: dt.datetime | None = None,
                     granularity: Literal["monthly", "daily", "hourly"] = "monthly") -> Any:
    """Electricity baseline (ISO 50006 regression on day types, hour of day and metered production) with
    R², CV(RMSE), NMBE and the ASHRAE Guideline 14 verdict.  Default range: the last 12 months."""
    return service.company_baseline(session, company_id, _aware(start, "start"), _aware(end, "end"),
                                    granularity=granularity)


@router.get("/companies/{company_id}/energy/demand", response_model=schemas.DemandNowRead)
def demand_now(session: SessionDep, company_id: IdPath) -> Any:
    """Peak-demand control: the running forecast of the current 15-minute demand (from the incomer's power
    samples), its status against the warning and critical thresholds, and the load to shed now."""
    return service.demand_now(session, company_id, now_utc())
