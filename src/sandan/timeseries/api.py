"""Routes of the reading store: series of a point or a group, exports, audited edits."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query

from sandan.core.errors import InvalidInput
from sandan.core.http import (
    BODY_PROBLEMS,
    FILE_RESPONSES,
    SIGNED_IN_PROBLEMS,
    ExportFormat,
    IdPath,
    SessionDep,
    export_frame,
)
from sandan.core.tenancy.models import Carrier, Direction
from sandan.core.timeutil import now_utc, to_epoch_s
from sandan.timeseries import schemas, service
from sandan.timeseries.store import edit_reading

router = APIRouter(tags=["readings"], responses=SIGNED_IN_PROBLEMS)
Resolution = Annotated[Literal["raw", "15min", "1h", "1d", "1mo"], Query()]
Format = ExportFormat


#: Readings are stored from 1970 (epoch seconds) and looked up no later than 2100.
EARLIEST = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
LATEST = dt.datetime(2100, 1, 1, tzinfo=dt.UTC)


def _range(start: dt.datetime | None, end: dt.datetime | None) -> tuple[dt.datetime, dt.datetime]:
    hi = _aware(end, "end") if end else now_utc()
    lo = _aware(start, "start") if start else max(EARLIEST, hi - dt.timedelta(days=7))
    return lo, hi


def _aware(value: dt.datetime, field: str) -> dt.datetime:
    """``value`` with its offset (naive means UTC), refused outside 1970 .. 2100."""
    aware = value if value.tzinfo else value.replace(tzinfo=dt.UTC)
    if not EARLIEST <= aware <= LATEST:
        raise InvalidInput(f"{field} must lie between 1970-01-01 and 2100-01-01", field=field)
    return aware


def _answer(series: service.Series, fmt: str, name: str) -> Any:
    if fmt != "json":
        frame = series.frame.rename(columns={"value": f"value [{series.unit}]"})
        return export_frame(frame, fmt, name)
    return {"label": series.label, "quantity": series.quantity, "unit": series.unit,
            "resolution": series.resolution, "items": series.frame.to_dict("records")}


@router.get("/points/{point_id}/series", response_model=schemas.SeriesRead, responses=FILE_RESPONSES)
def point_series(session: SessionDep, point_id: IdPath, start: dt.datetime | None = None,
                 end: dt.datetime | None = None, resolution: Resolution = "1h",
                 unit: Annotated[str | None, Query(max_length=20)] = None, format: Format = "json") -> Any:
    """One point's series; times without an offset are read as UTC, values in ``unit`` (default the point's)."""
    lo, hi = _range(start, end)
    series = service.point_series(session, point_id, lo, hi, resolution, unit)
    return _answer(series, format, f"point-{point_id}-{resolution}")


@router.get("/groups/{kind}/{group_id}/series", response_model=schemas.SeriesRead, responses=FILE_RESPONSES)
def group_series(session: SessionDep, kind: Literal["complex", "company", "site", "asset"], group_id: IdPath,
                 start: dt.datetime | None = None, end: dt.datetime | None = None,
                 quantity: Annotated[str, Query(max_length=40)] = "active_energy",
                 carrier: Carrier = Carrier.electricity, direction: Direction = Direction.consumption,
                 resolution: Resolution = "1h", unit: Annotated[str | None, Query(max_length=20)] = None,
                 format: Format = "json") -> Any:
    """The total of a complex, company, site or asset subtree (main meters win over sub-meters)."""
    lo, hi = _range(start, end)
    series = service.group_series(session, kind, group_id, lo, hi, quantity=quantity, carrier=carrier.value,
                                  direction=direction.value, resolution=resolution, unit=unit)
    return _answer(series, format, f"{kind}-{group_id}-{resolution}")


@router.post("/points/{point_id}/edits", response_model=schemas.ReadingEdited, responses=BODY_PROBLEMS)
def edit(session: SessionDep, point_id: IdPath, data: schemas.ReadingEdit) -> Any:
    """Change one stored reading with a reason (company admins); audited with before and after."""
    return edit_reading(session, point_id, to_epoch_s(_aware(data.ts, "ts")), data.value, data.reason)
