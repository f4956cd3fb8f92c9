"""Use cases of the grid domain: the DER registry, modelled output beside measured, the complex balance.

Every query runs through the one access policy: a DER, site or point the caller may not see
answers NotFound, exactly like one that does not exist; writes are checked by the policy's flush
hook (company admins of the owner, or the platform).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pandas as pd
from pydantic import TypeAdapter
from sqlalchemy import select
from sqlalchemy.orm import Session

from sandan.core.errors import InvalidInput, NotFound
from sandan.core.tenancy.models import Company, Point, Site
from sandan.core.timeutil import KST, now_utc
from sandan.grid import schemas
from sandan.grid.balance import BALANCE_COLUMNS, rates
from sandan.grid.demand_forecast import DemandForecaster, yesterday_forecast
from sandan.grid.dispatch import Battery, DispatchCase, DispatchInfeasible, dispatch
from sandan.grid.ess_rules import soc_rule_for
from sandan.grid.forecast import DayAheadPvForecaster, nmae, persistence_forecast
from sandan.grid.models import Der, DerKind
from sandan.grid.monitoring import Alarm, inverters_off
from sandan.grid.pv import PvPlant, pv_energy_kwh, weather_from_ghi
from sandan.grid.tou import tou_price_krw_per_kwh
from sandan.grid.waste_heat import waste_heat_energy_kwh
from sandan.timeseries import service as readings

#: Longest range a model answer covers (15-minute intervals of 31 days).
MAX_MODEL_DAYS = 31


# --- the registry ------------------------------------------------------------------------------

def get_der(session: Session, der_id: int) -> Der:
    """A visible DER, else NotFound."""
    der = session.execute(select(Der).where(Der.id == der_id)).scalar_one_or_none()
    if der is None:
        raise NotFound(f"der {der_id} not found")
    return der


def list_ders(session: Session, *, after_id: int = 0, limit: int = 50, company_id: int | None = None,
              kind: str | None = None, complex_id: int | None = None) -> list[Der]:
    """Visible DERs ordered by id, optionally of one company, kind or complex."""
    stmt = select(Der).where(Der.id > after_id)
    if company_id is not None:
        stmt = stmt.where(Der.company_id == company_id)
    if kind is not None:
        stmt = stmt.where(Der.kind == kind)
    if complex_id is not None:
        stmt = stmt.where(Der.company_id.in_(select(Company.id).where(Company.complex_id == complex_id)))
    return list(session.execute(stmt.order_by(Der.id).limit(limit)).scalars())


def _visible(session: Session, model: Any, row_id: int, name: str) -> Any:
    row = session.execute(select(model).where(model.id == row_id)).scalar_one_or_none()
    if row is None:
        raise NotFound(f"{name} {row_id} not found")
    return row


def capacity_kw(spec: schemas.PvSpec | schemas.WindSpec | schemas.WasteHeatSpec | schemas.BatterySpec) -> float:
    """The capacity shown for a DER [kW]: PV DC kWp, wind curve maximum × turbines, rated power otherwise."""
    if isinstance(spec, schemas.PvSpec):
        return spec.dc_kw
    if isinstance(spec, schemas.WindSpec):
        return max(spec.curve_power_kw) * spec.turbines
    if isinstance(spec, schemas.WasteHeatSpec):
        return spec.rated_kw
    return spec.power_kw


def _check_spec(spec: Any, on: dt.date) -> None:
    if isinstance(spec, schemas.BatterySpec):
        rule = soc_rule_for(spec.installation, on)
        if rule is not None and spec.soc_max_pct > rule.soc_max_pct:
            raise InvalidInput(
                f"soc_max_pct {spec.soc_max_pct:g} % is above the {rule.soc_max_pct:g} % the Korean ESS safety "
                f"rule allows for {spec.installation} batteries ({rule.source})", field="spec.soc_max_pct",
                data={"limit_pct": rule.soc_max_pct, "verified": rule.verified})
        if rule is not None and spec.soc_min_pct < rule.soc_min_pct:
            raise InvalidInput(f"soc_min_pct is below the {rule.soc_min_pct:g} % of the ESS safety rule",
                               field="spec.soc_min_pct")
    if isinstance(spec, schemas.PvSpec) and spec.dc_kw > 200_000:
        raise InvalidInput("a PV plant of more than 200 MWp is not a complex DER; check the strings and modules",
                           field="spec.strings")


def _meter(session: Session, point_id: int | None, company_id: int) -> int | None:
    if point_id is None:
        return None
    point = _visible(session, Point, point_id, "point")
    if point.company_id != company_id:
        raise InvalidInput("the meter must be a point of the DER's owner", field="point_id")
    if point.quantity != "active_energy":
        raise InvalidInput(f"the meter must measure active_energy (kWh), not {point.quantity}", field="point_id")
    return point_id


_WEATHER_QUANTITIES = {"ghi_point_id": "irradiance", "temp_air_point_id": "temperature"}


def _weather_points(session: Session, weather: schemas.WeatherPoints | None) -> dict[str, int]:
    """The weather points as stored, each visible to the caller and of the right quantity."""
    if weather is None:
        return {}
    out = {}
    for key, point_id in weather.model_dump(exclude_none=True).items():
        point = _visible(session, Point, point_id, "point")
        if point.quantity != _WEATHER_QUANTITIES[key]:
            raise InvalidInput(f"{key} must be a point of {_WEATHER_QUANTITIES[key]}, not {point.quantity}",
                               field=f"weather.{key}")
        out[key] = point_id
    return out


def create_der(session: Session, data: schemas.DerCreate) -> Der:
    """Register a DER on a visible site; its owner is the site's company."""
    site = _visible(session, Site, data.site_id, "site")
    point_id = _meter(session, data.point_id, site.company_id)
    on = data.commissioned_on or now_utc().astimezone(KST).date()
    _check_spec(data.spec, on)
    company = session.get(Company, site.company_id)
    lat = data.lat if data.lat is not None else (site.lat if site.lat is not None else getattr(company, "lat", None))
    lon = data.lon if data.lon is not None else (site.lon if site.lon is not None else getattr(company, "lon", None))
    der = Der(company_id=site.company_id, site_id=site.id, point_id=point_id, kind=data.spec.kind, name=data.name,
              feeds=data.feeds.value, capacity_kw=capacity_kw(data.spec), commissioned_on=data.commissioned_on,
              lat=lat, lon=lon, weather=_weather_points(session, data.weather),
              spec=data.spec.model_dump(mode="json"))
    session.add(der)
    session.flush()
    return der


def update_der(session: Session, der_id: int, data: schemas.DerUpdate) -> Der:
    """Change a DER; a new spec must be of the same kind."""
    der = get_der(session, der_id)
    changes = data.model_dump(exclude_unset=True)
    if "point_id" in changes:
        der.point_id = _meter(session, data.point_id, der.company_id)
    if "weather" in changes:
        der.weather = _weather_points(session, data.weather)
    if data.spec is not None:
        if data.spec.kind != der.kind:
            raise InvalidInput(f"a {der.kind} DER keeps its kind; register a new DER for a {data.spec.kind}",
                               field="spec.kind")
        _check_spec(data.spec, data.commissioned_on or der.commissioned_on or now_utc().astimezone(KST).date())
        der.spec = data.spec.model_dump(mode="json")
        der.capacity_kw = capacity_kw(data.spec)
    for key in ("name", "commissioned_on", "lat", "lon"):
        if key in changes and changes[key] is not None:
            setattr(der, key, changes[key])
    if data.feeds is not None:
        der.feeds = data.feeds.value
    session.flush()
    return der


def delete_der(session: Session, der_id: int) -> None:
    session.delete(get_der(session, der_id))
    session.flush()


AnySpec = schemas.PvSpec | schemas.WindSpec | schemas.WasteHeatSpec | schemas.BatterySpec
_SPEC_ADAPTER: TypeAdapter[AnySpec] = TypeAdapter(schemas.Spec)


def parsed_spec(der: Der) -> AnySpec:
    """The stored spec as its schema (validated when it was written)."""
    return _SPEC_ADAPTER.validate_python(der.spec)


# --- models ------------------------------------------------------------------------------------

def pv_plant(der: Der) -> PvPlant:
    """The pvlib description of a PV DER."""
    spec = parsed_spec(der)
    assert isinstance(spec, schemas.PvSpec)
    if der.lat is None or der.lon is None:
        raise InvalidInput("the PV plant has no location; set lat and lon on it or its site", field="lat")
    return PvPlant(dc_kw=spec.dc_kw, ac_kw=spec.ac_kw, tilt_deg=spec.tilt_deg, azimuth_deg=spec.azimuth_deg,
                   lat=der.lat, lon=der.lon, altitude_m=spec.altitude_m, gamma_pdc_pct_per_c=spec.gamma_pdc_pct_per_c,
                   losses_pct=spec.losses_pct, inverter_efficiency_pct=spec.inverter_efficiency_pct,
                   albedo=spec.albedo, mounting=spec.mounting)


def _point_values(session: Session, point_id: int | None, starts: pd.DatetimeIndex, unit: str) -> pd.Series | None:
    """A visible point's 15-minute values on ``starts`` (NaN where missing), else None."""
    if point_id is None:
        return None
    end = (starts[-1] + pd.Timedelta("15min")).to_pydatetime()
    try:
        frame = readings.point_series(session, point_id, starts[0].to_pydatetime(), end, "15min", unit).frame
    except (NotFound, InvalidInput):
        return None
    values: pd.Series = frame.set_index("ts")["value"].reindex(starts)
    return values


def modelled_kwh(der: Der, starts: pd.DatetimeIndex, session: Session | None = None) -> tuple[pd.Series, str]:
    """Modelled output [kWh] per 15-minute interval starting at ``starts`` and the weather used.

    PV from its weather points (GHI, air temperature) where measured, clear sky elsewhere; waste
    heat from its schedule; wind needs measured wind and a battery generates nothing of its own
    (both 0 here, said in the weather label).
    """
    spec = parsed_spec(der)
    if isinstance(spec, schemas.PvSpec):
        plant = pv_plant(der)
        weather = der.weather or {}
        ghi = _point_values(session, weather.get("ghi_point_id"), starts, "W/m**2") if session else None
        if ghi is None or ghi.isna().all():
            return pv_energy_kwh(plant, starts), "clear-sky"
        temp = _point_values(session, weather.get("temp_air_point_id"), starts, "degC") if session else None
        frame = weather_from_ghi(plant, starts, ghi, temp)
        label = "measured" if ghi.notna().all() else f"measured in {int(ghi.notna().sum())} of {len(starts)} intervals"
        return pv_energy_kwh(plant, starts, weather=frame), label
    if isinstance(spec, schemas.WasteHeatSpec):
        return waste_heat_energy_kwh(starts, rated_kw=spec.rated_kw, hourly_load_pct=spec.hourly_load_pct,
                                     operating_weekdays=spec.operating_weekdays,
                                     runs_on_holidays=spec.runs_on_holidays,
                                     availability_pct=spec.availability_pct), "schedule"
    label = "no wind measurement" if isinstance(spec, schemas.WindSpec) else "storage"
    return pd.Series(0.0, index=starts), label


def interval_starts(start: dt.datetime, end: dt.datetime, max_days: int = MAX_MODEL_DAYS) -> pd.DatetimeIndex:
    """15-minute interval starts in [start, end) in UTC; a clear error for an empty or too long range."""
    lo, hi = pd.Timestamp(start).tz_convert("UTC").ceil("15min"), pd.Timestamp(end).tz_convert("UTC")
    if hi <= lo:
        raise InvalidInput("the end of the range must be after its start", field="end")
    if hi - lo > pd.Timedelta(days=max_days):
        raise InvalidInput(f"ask for at most {max_days} days at a time", field="end")
    return pd.date_range(lo, hi, freq="15min", inclusive="left")


def der_model(session: Session, der_id: int, start: dt.datetime, end: dt.datetime) -> dict[str, Any]:
    """Modelled output of a DER per 15 minutes beside what its meter measured [kWh]."""
    der = get_der(session, der_id)
    starts = interval_starts(start, end)
    model, weather = modelled_kwh(der, starts, session)
    measured = _point_values(session, der.point_id, starts, "kWh")
    measured_values = [None] * len(starts) if measured is None else \
        [None if pd.isna(v) else float(v) for v in measured.to_numpy()]
    items = [{"ts": ts.to_pydatetime(), "model_kwh": round(float(m), 4), "measured_kwh": v}
             for ts, m, v in zip(starts, model.to_numpy(), measured_values, strict=True)]
    return {"der_id": der.id, "kind": der.kind, "weather": weather, "model_kwh": round(float(model.sum()), 3),
            "measured_kwh": None if measured is None or measured.isna().all() else float(measured.sum()),
            "items": items}


# --- the balance -------------------------------------------------------------------------------

#: Longest range a balance covers [days].
MAX_BALANCE_DAYS = 31


def _batteries(ders: list[Der]) -> list[Battery]:
    out = []
    for der in ders:
        spec = parsed_spec(der)
        if isinstance(spec, schemas.BatterySpec):
            out.append(Battery(name=f"der-{der.id}", energy_kwh=spec.energy_kwh, power_kw=spec.power_kw,
                               charge_efficiency=spec.charge_efficiency_pct / 100,
                               discharge_efficiency=spec.discharge_efficiency_pct / 100,
                               soc_min_pct=spec.soc_min_pct, soc_max_pct=spec.soc_max_pct,
                               soc_initial_pct=spec.soc_min_pct))
    return out


def der_generation_kwh(session: Session, ders: list[Der], starts: pd.DatetimeIndex) -> tuple[pd.Series, list[str]]:
    """Renewable output of ``ders`` per interval [kWh]: each DER's meter where it has a reading,
    its model elsewhere; and warnings (as data) naming the DERs that were modelled."""
    total = pd.Series(0.0, index=starts)
    modelled = []
    for der in ders:
        if der.kind == DerKind.battery:
            continue
        model, _ = modelled_kwh(der, starts, session)
        measured = _point_values(session, der.point_id, starts, "kWh")
        if measured is None or measured.isna().any():
            modelled.append(der.name)
        total += model if measured is None else measured.fillna(model)
    warnings = [f"modelled output used for: {', '.join(modelled)}"] if modelled else []
    return total, warnings


def complex_balance(session: Session, kind: str, group_id: int, start: dt.datetime, end: dt.datetime, *,
                    import_limit_kw: float | None = None) -> dict[str, Any]:
    """The 15-minute balance of a company or complex with its batteries dispatched by the LP under the
    TOU price, and self-sufficiency / self-consumption per KST day and month.

    Demand is the group's measured consumption; generation its DERs' metered output (modelled
    where not metered); export is not paid inside this plan (the market prices it).
    """
    row = readings.visible_group(session, kind, group_id)
    starts = interval_starts(start, end, MAX_BALANCE_DAYS)
    ders = list_ders(session, limit=10_000, company_id=group_id if kind == "company" else None,
                     complex_id=group_id if kind == "complex" else None)
    generation, warnings = der_generation_kwh(session, ders, starts)
    series = readings.group_series(session, kind, group_id, starts[0].to_pydatetime(),
                                   (starts[-1] + pd.Timedelta("15min")).to_pydatetime(), resolution="15min",
                                   unit="kWh")
    demand = series.frame.set_index("ts")["value"].reindex(starts)
    if demand.isna().any():
        warnings.append(f"no consumption measured in {int(demand.isna().sum())} of {len(starts)} intervals "
                        "(taken as 0)")
    price = tou_price_krw_per_kwh(starts)
    case = DispatchCase(generation, demand.fillna(0.0), price, pd.Series(0.0, index=starts), _batteries(ders),
                        import_limit_kw=import_limit_kw if import_limit_kw is not None else float("inf"))
    try:
        result = dispatch(case)
    except DispatchInfeasible as exc:
        raise InvalidInput(str(exc), field="import_limit_kw") from exc
    frame = result.frame
    days, months = rates(frame, "day"), rates(frame, "month")
    return {"kind": kind, "group_id": group_id, "name": str(getattr(row, "name", "") or getattr(row, "name_ko", "")),
            "ders": len(ders), "batteries": len(case.batteries), "cost_krw": round(result.cost_krw),
            "warnings": warnings,
            "totals": {c: round(float(frame[c].sum()), 3) for c in BALANCE_COLUMNS},
            "days": _rate_rows(days), "months": _rate_rows(months),
            "items": [{"ts": ts.to_pydatetime(), **{c: round(float(v), 4) for c, v in zip(frame.columns, values,
                                                                                            strict=True)}}
                      for ts, values in zip(frame.index, frame.to_numpy(), strict=True)]}


def _rate_rows(table: pd.DataFrame) -> list[dict[str, Any]]:
    return [{"period": str(ts)[:10], "generation": round(float(r.generation), 3),
             "demand": round(float(r.demand), 3), "used": round(float(r.used), 3),
             "self_consumption": None if pd.isna(r.self_consumption) else round(float(r.self_consumption), 4),
             "self_sufficiency": None if pd.isna(r.self_sufficiency) else round(float(r.self_sufficiency), 4)}
            for ts, r in table.iterrows()]


# --- forecasts ---------------------------------------------------------------------------------

#: History a forecast learns from [days before the forecast range].
FORECAST_HISTORY_DAYS = 60


def _accuracy(forecast: pd.Series, baseline: pd.Series, actual: pd.Series | None) -> dict[str, float | None]:
    """nMAE and bias of ``forecast`` [-], and its skill against ``baseline`` (1 - nMAE ratio), over
    the intervals measured so far (all None before anything was measured)."""
    none: dict[str, float | None] = {"nmae": None, "bias": None, "nmae_baseline": None, "skill": None}
    if actual is None or actual.dropna().sum() <= 0:
        return none
    both = pd.concat([forecast, baseline, actual], axis=1).dropna()
    if both.empty or both.iloc[:, 2].sum() <= 0:
        return none
    total = float(both.iloc[:, 2].sum())
    error, error_base = nmae(both.iloc[:, 0], both.iloc[:, 2]), nmae(both.iloc[:, 1], both.iloc[:, 2])
    return {"nmae": round(error, 4), "bias": round(float((both.iloc[:, 0] - both.iloc[:, 2]).sum()) / total, 4),
            "nmae_baseline": round(error_base, 4), "skill": round(1 - error / error_base, 4) if error_base else None}


def _forecast_answer(starts: pd.DatetimeIndex, forecast: pd.Series, baseline: pd.Series, actual: pd.Series | None,
                     baseline_name: str, model: dict[str, Any], warnings: list[str] | None = None) -> dict[str, Any]:
    actual_values = [None] * len(starts) if actual is None else \
        [None if pd.isna(v) else float(v) for v in actual.reindex(starts).to_numpy()]
    return {"baseline": baseline_name, "model": model, "accuracy": _accuracy(forecast, baseline, actual),
            "warnings": warnings or [],
            "items": [{"ts": ts.to_pydatetime(), "forecast_kwh": None if pd.isna(f) else round(float(f), 4),
                       "baseline_kwh": None if pd.isna(b) else round(float(b), 4), "actual_kwh": a}
                      for ts, f, b, a in zip(starts, forecast.reindex(starts).to_numpy(),
                                             baseline.reindex(starts).to_numpy(), actual_values, strict=True)]}


def pv_forecast(session: Session, der_id: int, start: dt.datetime, end: dt.datetime) -> dict[str, Any]:
    """Day-ahead forecast of a PV DER for the KST days of [start, end) from its meter's last 60 days
    (clear-sky-index blend), beside clear-sky-index persistence and what was measured [kWh]."""
    der = get_der(session, der_id)
    if der.kind != DerKind.pv:
        raise InvalidInput("day-ahead forecasts are made for PV plants", field="der_id")
    starts = interval_starts(start, end)
    history = interval_starts(starts[0] - pd.Timedelta(days=FORECAST_HISTORY_DAYS), starts[0],
                              FORECAST_HISTORY_DAYS)
    plant = pv_plant(der)
    every = pd.DatetimeIndex(history.append(starts))
    measured = _point_values(session, der.point_id, every, "kWh")
    if measured is None or measured.loc[history].dropna().sum() <= 0:
        empty = pd.Series(np.nan, index=starts)
        return {"der_id": der.id, **_forecast_answer(
            starts, empty, empty, measured.loc[starts] if measured is not None else None,
            "clear-sky-index persistence", DayAheadPvForecaster().to_dict(),
            ["the plant's meter has no readings in the 60 days before: nothing to learn from"])}
    clear = pv_energy_kwh(plant, every)
    past, past_clear = measured.loc[history].dropna(), clear.loc[history]
    model = DayAheadPvForecaster().fit(past, past_clear.reindex(past.index))
    # each forecast day learns from the days before it, the forecast range's measured days included
    known = measured.dropna()
    forecast = model.predict(known, clear.reindex(known.index), clear.loc[starts])
    baseline = persistence_forecast(known, clear.reindex(known.index), clear.loc[starts])
    return {"der_id": der.id, **_forecast_answer(starts, forecast, baseline, measured.loc[starts],
                                                 "clear-sky-index persistence", model.to_dict())}


def demand_forecast(session: Session, kind: str, group_id: int, start: dt.datetime, end: dt.datetime) -> dict[str, Any]:
    """Day-ahead demand forecast of a company or complex for the KST days of [start, end) from its
    last 60 days of consumption and the Korean calendar, beside "same time yesterday" and the actual [kWh]."""
    readings.visible_group(session, kind, group_id)
    starts = interval_starts(start, end)
    lo = starts[0] - pd.Timedelta(days=FORECAST_HISTORY_DAYS)
    hi = starts[-1] + pd.Timedelta("15min")
    series = readings.group_series(session, kind, group_id, lo.to_pydatetime(), hi.to_pydatetime(),
                                   resolution="15min", unit="kWh")
    consumption = series.frame.set_index("ts")["value"]
    past = consumption[consumption.index < starts[0]]
    if past.sum() <= 0:
        empty = pd.Series(np.nan, index=starts)
        return {"kind": kind, "group_id": group_id, **_forecast_answer(
            starts, empty, empty, consumption.reindex(starts), "same time yesterday", DemandForecaster().to_dict(),
            ["no consumption measured in the 60 days before: nothing to learn from"])}
    model = DemandForecaster().fit(past)
    forecast = model.predict(consumption, starts)
    baseline = yesterday_forecast(consumption, starts)
    return {"kind": kind, "group_id": group_id, **_forecast_answer(
        starts, forecast, baseline, consumption.reindex(starts), "same time yesterday", model.to_dict())}


# --- monitoring --------------------------------------------------------------------------------

def der_alarms(session: Session, der_id: int, start: dt.datetime, end: dt.datetime) -> dict[str, Any]:
    """Alarms of a PV DER over [start, end) from its meter against its model: an outage (nothing
    delivered for 30 minutes while the model expects output) and, where its weather is measured,
    days more than 20 % below the model.  Each alarm in words with the lost kWh."""
    der = get_der(session, der_id)
    starts = interval_starts(start, end)
    alarms: list[Alarm] = []
    warnings: list[str] = []
    if der.kind != DerKind.pv:
        warnings.append("alarms are computed for PV plants (battery and inverter codes need SunSpec points)")
        return {"der_id": der.id, "alarms": [], "warnings": warnings}
    measured = _point_values(session, der.point_id, starts, "kWh")
    if measured is None or measured.isna().all():
        return {"der_id": der.id, "alarms": [], "warnings": ["no meter readings in this period"]}
    model, weather = modelled_kwh(der, starts, session)
    name = der.name
    seen = measured.notna()
    alarms += inverters_off(pd.DataFrame({name: measured[seen]}), pd.DataFrame({name: model[seen]}))
    if weather == "measured":
        days = pd.DatetimeIndex(starts).tz_convert(KST).normalize()
        daily = pd.DataFrame({"measured": measured.groupby(days).sum(min_count=1), "model": model.groupby(days).sum()})
        for day, row in daily.iterrows():
            if row.model > 0 and pd.notna(row.measured) and row.measured < 0.8 * row.model:
                alarms.append(Alarm("below_model", name, pd.Timestamp(str(day)),
                                    f"{name} delivered {row.measured:.1f} kWh against {row.model:.1f} kWh "
                                    "modelled from its measured weather: check strings, soiling and inverter alarms",
                                    lost_kwh=float(row.model - row.measured)))
    else:
        warnings.append("no measured weather: only outages are judged against the clear-sky model")
    return {"der_id": der.id, "warnings": warnings,
            "alarms": [{"code": a.code, "subject": a.subject, "at": a.at.to_pydatetime(), "message": a.message,
                        "lost_kwh": None if a.lost_kwh is None else round(a.lost_kwh, 3)} for a in alarms]}
