"""HTTP API of the grid domain, mounted under ``/api/v1`` by :mod:`sandan.app`."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

import pandas as pd
from fastapi import APIRouter, Query, Response

from sandan.core.errors import InvalidInput
from sandan.core.http import (
    BODY_PROBLEMS,
    EXPORT_LIMIT,
    FILE_RESPONSES,
    SIGNED_IN_PROBLEMS,
    ExportFormat,
    IdPath,
    IdQuery,
    PageDep,
    SessionDep,
    export_frame,
    page_body,
)
from sandan.grid import schemas, service
from sandan.grid.models import DerKind

router = APIRouter(tags=["grid"], responses=SIGNED_IN_PROBLEMS)
Format = ExportFormat


@router.get("/ders", response_model=schemas.DerPage, responses=FILE_RESPONSES)
def list_ders(session: SessionDep, page: PageDep, company_id: IdQuery = None, kind: DerKind | None = None,
              format: Format = "json") -> Any:
    """The DERs the caller may see (PV, waste heat, wind, batteries), optionally of one company or kind."""
    kind_value = kind.value if kind else None
    if format != "json":
        rows = service.list_ders(session, limit=EXPORT_LIMIT, company_id=company_id, kind=kind_value)
        frame = pd.DataFrame([schemas.DerRead.model_validate(r).model_dump(mode="json") for r in rows],
                             columns=list(schemas.DerRead.model_fields))
        return export_frame(frame, format, "ders")
    items = service.list_ders(session, after_id=page.after_id, limit=page.limit, company_id=company_id,
                              kind=kind_value)
    return page_body([schemas.DerRead.model_validate(i) for i in items], page.limit)


@router.post("/ders", status_code=201, response_model=schemas.DerRead, responses=BODY_PROBLEMS)
def create_der(session: SessionDep, data: schemas.DerCreate) -> Any:
    """Register a DER on a site (company admins of the site's company, or the platform).  A battery's
    SOC band is checked against the Korean ESS safety rule of its installation."""
    return service.create_der(session, data)


@router.get("/ders/{der_id}", response_model=schemas.DerRead)
def get_der(session: SessionDep, der_id: IdPath) -> Any:
    return service.get_der(session, der_id)


@router.patch("/ders/{der_id}", response_model=schemas.DerRead, responses=BODY_PROBLEMS)
def update_der(session: SessionDep, der_id: IdPath, data: schemas.DerUpdate) -> Any:
    return service.update_der(session, der_id, data)


@router.delete("/ders/{der_id}", status_code=204)
def delete_der(session: SessionDep, der_id: IdPath) -> Response:
    service.delete_der(session, der_id)
    return Response(status_code=204)


@router.get("/ders/{der_id}/model", response_model=schemas.DerModelRead)
def der_model(session: SessionDep, der_id: IdPath, start: dt.datetime, end: dt.datetime) -> Any:
    """Modelled output per 15 minutes (PV with pvlib under clear sky, waste heat from its schedule)
    beside what the DER's meter measured [kWh].  Times without an offset are UTC; at most 31 days."""
    return service.der_model(session, der_id, _aware(start), _aware(end))


@router.get("/ders/{der_id}/forecast", response_model=schemas.ForecastRead)
def pv_forecast(session: SessionDep, der_id: IdPath, start: dt.datetime, end: dt.datetime) -> Any:
    """Day-ahead forecast of a PV plant per 15 minutes from its meter's last 60 days (clear-sky-index
    blend of persistence and a recent median), beside clear-sky-index persistence and the measured
    output, with nMAE, bias and skill over what was measured.  At most 31 days."""
    return service.pv_forecast(session, der_id, _aware(start), _aware(end))


@router.get("/ders/{der_id}/alarms", response_model=schemas.AlarmsRead)
def der_alarms(session: SessionDep, der_id: IdPath, start: dt.datetime, end: dt.datetime) -> Any:
    """Alarms of a PV plant from its meter against its model: outages (nothing for 30 minutes while
    output is expected) and, with measured weather, days more than 20 % below the model; each in
    words with the lost kWh.  At most 31 days."""
    return service.der_alarms(session, der_id, _aware(start), _aware(end))


def _aware(value: dt.datetime) -> dt.datetime:
    """``value`` with its offset (naive means UTC), refused outside 1970 .. 2100."""
    aware = value if value.tzinfo else value.replace(tzinfo=dt.UTC)
    if not dt.datetime(1970, 1, 2, tzinfo=dt.UTC) <= aware <= dt.datetime(2100, 1, 1, tzinfo=dt.UTC):
        raise InvalidInput("times must lie between 1970-01-02 and 2100-01-01", field="start")
    return aware


@router.get("/grid/balance/{kind}/{group_id}", response_model=schemas.BalanceRead, response_model_by_alias=True)
def balance(session: SessionDep, kind: Literal["complex", "company"], group_id: IdPath, start: dt.datetime,
            end: dt.datetime,
            import_limit_kw: Annotated[float | None, Query(gt=0, le=1e7, description="grid connection [kW]")] = None,
            ) -> Any:
    """The 15-minute energy balance of a complex or company: generation of its DERs (metered, or
    modelled), measured demand, batteries dispatched by the LP (HiGHS) under the TOU price, grid
    import and export; self-sufficiency and self-consumption per KST day and month.  A complex's
    balance is for the platform, its operator and its auditors.  At most 31 days."""
    return service.complex_balance(session, kind, group_id, _aware(start), _aware(end),
                                   import_limit_kw=import_limit_kw)


@router.get("/grid/demand-forecast/{kind}/{group_id}", response_model=schemas.ForecastRead)
def demand_forecast(session: SessionDep, kind: Literal["complex", "company"], group_id: IdPath, start: dt.datetime,
                    end: dt.datetime) -> Any:
    """Day-ahead demand forecast per 15 minutes from the last 60 days of consumption and the Korean
    calendar (same slot, same day type), beside "same time yesterday" and the actual, with nMAE,
    bias and skill.  A complex's forecast is for the platform, its operator and its auditors."""
    return service.demand_forecast(session, kind, group_id, _aware(start), _aware(end))
