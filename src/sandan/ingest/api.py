"""Routes of ingest: readings in (JSON or CSV), the quarantine (list, export, replay), data quality."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request

from sandan.core.errors import DomainError
from sandan.core.http import (
    BODY_PROBLEMS,
    EXPORT_LIMIT,
    FILE_RESPONSES,
    PROBLEM,
    SIGNED_IN_PROBLEMS,
    ExportFormat,
    IdPath,
    IdQuery,
    PageDep,
    PrincipalDep,
    RateLimiter,
    SessionDep,
    export_frame,
    page_body,
    problem_responses,
)
from sandan.core.timeutil import now_utc
from sandan.ingest import quality, quarantine, schemas
from sandan.ingest.payloads import parse_csv_batch, parse_json_batch
from sandan.ingest.pipeline import ingest

router = APIRouter(responses=SIGNED_IN_PROBLEMS)
Format = ExportFormat


class UnsupportedMediaType(DomainError):
    status = 415
    type_slug = "unsupported-media-type"
    title = "Unsupported media type"


class UnreadableBody(DomainError):
    status = 400
    type_slug = "bad-request"
    title = "Bad request"


async def _body(request: Request) -> bytes:
    return await request.body()


BodyDep = Annotated[bytes, Depends(_body)]


def _limiter(request: Request) -> RateLimiter:
    limiter = getattr(request.app.state, "ingest_limiter", None)
    if limiter is None:
        per_minute = request.app.state.settings.ingest_rate_per_minute
        limiter = request.app.state.ingest_limiter = RateLimiter(per_minute)
    return limiter


_INGEST_RESPONSES: dict[int | str, dict[str, Any]] = {
    **BODY_PROBLEMS, **problem_responses(429),
    415: {"description": "the body is neither application/json nor text/csv",
          "content": {PROBLEM: {"schema": {"$ref": "#/components/schemas/Problem"}}}}}


@router.post("/ingest", tags=["ingest"], response_model=schemas.IngestAnswer, responses=_INGEST_RESPONSES,
             openapi_extra={"requestBody": {"required": True, "content": {
                 "application/json": {"schema": schemas.INGEST_BODY_SCHEMA},
                 "text/csv": {"schema": {"type": "string", "examples": [schemas.INGEST_CSV_EXAMPLE]}}}}})
def ingest_readings(request: Request, session: SessionDep, principal: PrincipalDep, body: BodyDep) -> Any:
    """Readings in, as a JSON batch or CSV (``point,ts,value[,unit,quality]``), with a device token or
    a user token that may write readings.  Answers per reading (stored, duplicate, replaced,
    conflict or rejected with a reason code); a resend of the same batch is all duplicates.
    Unknown points and points of other companies are rejected alike (``unknown_point``)."""
    _limiter(request).hit(f"ingest:{principal.user_id}:{principal.name}")
    max_readings = request.app.state.settings.ingest_max_readings
    kind = request.headers.get("content-type", "application/json").split(";")[0].strip().lower()
    try:
        if kind == "text/csv":
            batch = parse_csv_batch(body, max_readings=max_readings)
        elif kind == "application/json" or kind.endswith("+json"):
            batch = parse_json_batch(body, max_readings=max_readings)
        else:
            raise UnsupportedMediaType(f"send application/json or text/csv, not {kind[:60]}")
    except DomainError as error:
        if error.status == 422 and error.field == "body":
            raise UnreadableBody(error.detail, field="body") from None
        raise
    source_ref = batch.source_ref or request.headers.get("x-source-ref", "") or principal.name
    result = ingest(session, batch.readings, source="http", source_ref=source_ref[:200])
    return {"summary": result.summary(), "readings": result.items()}


@router.get("/quarantine", tags=["ingest"], response_model=schemas.QuarantinePage,
         responses=FILE_RESPONSES)
def list_quarantine(session: SessionDep, page: PageDep, company_id: IdQuery = None, point_id: IdQuery = None,
                    reason_code: Annotated[str | None, Query(max_length=40)] = None,
                    source: Annotated[str | None, Query(max_length=20)] = None,
                    replay_status: Annotated[str | None, Query(max_length=12)] = None,
                    start: dt.datetime | None = None, end: dt.datetime | None = None,
                    format: Format = "json") -> Any:
    """Readings that were not stored, with reason code, reason, source and raw payload; filter by
    company, point, reason, source, replay status and reading time; export as CSV or XLSX."""
    f = quarantine.QuarantineFilter(company_id, point_id, reason_code, source, replay_status,
                                    _aware(start), _aware(end))
    if format != "json":
        rows = quarantine.list_quarantine(session, f, limit=EXPORT_LIMIT)
        return export_frame(quarantine.quarantine_frame(rows), format, "quarantine")
    items = quarantine.list_quarantine(session, f, after_id=page.after_id, limit=page.limit)
    return page_body([schemas.QuarantineRead.model_validate(i) for i in items], page.limit)


def _aware(value: dt.datetime | None) -> dt.datetime | None:
    if value is None:
        return None
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


@router.post("/quarantine/replay", tags=["ingest"], response_model=schemas.ReplayAnswer, responses=BODY_PROBLEMS)
def replay(session: SessionDep, data: schemas.ReplayRequest) -> Any:
    """Send quarantined readings through the pipeline again (after the mapping was fixed) and mark
    each with the outcome; company admins of the company, or the platform."""
    result = quarantine.replay(session, company_id=data.company_id, ids=data.ids, reason_code=data.reason_code,
                               allow=tuple(data.allow))
    return {"replayed": result.replayed, "counts": result.counts, "items": result.items}


def _period(start: dt.datetime | None, end: dt.datetime | None) -> tuple[dt.datetime, dt.datetime]:
    hi = _aware(end) or now_utc()
    lo = _aware(start) or hi - dt.timedelta(days=7)
    return lo, hi


@router.get("/quality/companies/{company_id}", tags=["data quality"], response_model=schemas.CompanyQualityRead,
            responses=FILE_RESPONSES)
def company_quality(session: SessionDep, company_id: IdPath, start: dt.datetime | None = None,
                    end: dt.datetime | None = None, format: Format = "json") -> Any:
    """Completeness, estimated share, edits and rejections of every point of a company over a period
    (default the last 7 days)."""
    lo, hi = _period(start, end)
    answer = quality.company_quality(session, company_id, lo, hi)
    if format != "json":
        return export_frame(quality.quality_frame(answer["points"]), format, f"quality-company-{company_id}")
    return answer


@router.get("/quality/points/{point_id}", tags=["data quality"], response_model=schemas.PointQualityRead)
def point_quality(session: SessionDep, point_id: IdPath, start: dt.datetime | None = None,
                  end: dt.datetime | None = None) -> Any:
    """Completeness, estimated share, edits and rejections of one point over a period."""
    lo, hi = _period(start, end)
    return quality.point_quality(session, point_id, lo, hi)
