"""HTTP API of the circular domain, mounted under ``/api/v1`` by :mod:`sandan.app`.

Every route lives under ``/circular``: reference tables (codes, crosswalk, factors), a company's
streams and permits, matching runs of a complex (platform and operator), a company's
recommendations and its decisions on them, and the flows of the symbiosis map.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
from fastapi import APIRouter, Response

from sandan.circular import schemas, service
from sandan.core.http import (
    BODY_PROBLEMS,
    FILE_RESPONSES,
    SIGNED_IN_PROBLEMS,
    ExportFormat,
    IdPath,
    SessionDep,
    export_frame,
)

router = APIRouter(prefix="/circular", tags=["circular"], responses=SIGNED_IN_PROBLEMS)
Format = ExportFormat


def _table(items: list[Any], read: type[Any] | None, fmt: str, name: str) -> Any:
    rows = [read.model_validate(i).model_dump(mode="json") for i in items] if read else items
    if fmt == "json":
        return {"items": rows}
    frame = pd.DataFrame(rows, columns=list(read.model_fields) if read else None)
    for column in frame.columns:
        if frame[column].map(lambda v: isinstance(v, dict | list)).any():
            frame[column] = frame[column].map(lambda v: v if not isinstance(v, dict | list) else str(v))
    return export_frame(frame, fmt, name)


@router.get("/reference/codes", responses=FILE_RESPONSES)
def reference_codes(_session: SessionDep, format: Format = "json") -> Any:
    """Korean waste classes with the EU entry of the crosswalk, hazard, legal note, source, verified."""
    return _table(service.reference_codes(), None, format, "circular-codes")


@router.get("/reference/factors", responses=FILE_RESPONSES)
def reference_factors(_session: SessionDep, format: Format = "json") -> Any:
    """CO2 factors [kgCO2e/unit] and default prices [KRW/unit] of virgin materials, disposal and transport."""
    return _table(service.reference_factors(), None, format, "circular-factors")


@router.get("/companies/{company_id}/streams", responses=FILE_RESPONSES)
def list_streams(session: SessionDep, company_id: IdPath, format: Format = "json") -> Any:
    return _table(service.list_streams(session, company_id), schemas.StreamRead, format, "streams")


@router.post("/companies/{company_id}/streams", response_model=schemas.StreamRead, status_code=201,
             responses=BODY_PROBLEMS)
def create_stream(session: SessionDep, company_id: IdPath, data: schemas.StreamCreate) -> Any:
    return service.create_stream(session, company_id, data)


@router.get("/streams/{stream_id}", response_model=schemas.StreamRead)
def get_stream(session: SessionDep, stream_id: IdPath) -> Any:
    return service.get_stream(session, stream_id)


@router.delete("/streams/{stream_id}", response_model=schemas.StreamRead)
def archive_stream(session: SessionDep, stream_id: IdPath) -> Any:
    """Take the stream off the market (kept on record; later matching runs ignore it)."""
    return service.archive_stream(session, stream_id)


@router.get("/companies/{company_id}/permits", responses=FILE_RESPONSES)
def list_permits(session: SessionDep, company_id: IdPath, format: Format = "json") -> Any:
    return _table(service.list_permits(session, company_id), schemas.PermitRead, format, "permits")


@router.post("/companies/{company_id}/permits", response_model=schemas.PermitRead, status_code=201,
             responses=BODY_PROBLEMS)
def create_permit(session: SessionDep, company_id: IdPath, data: schemas.PermitCreate) -> Any:
    return service.create_permit(session, company_id, data)


@router.delete("/permits/{permit_id}", status_code=204)
def delete_permit(session: SessionDep, permit_id: IdPath) -> Response:
    service.delete_permit(session, permit_id)
    return Response(status_code=204)


@router.post("/complexes/{complex_id}/matching-runs", response_model=schemas.MatchingRunRead, status_code=201,
             responses=BODY_PROBLEMS)
def run_matching(session: SessionDep, complex_id: IdPath, data: schemas.MatchingRun) -> Any:
    """Match every active stream of the complex and write the optimal assignment as recommendations
    (the platform and the complex's operator only)."""
    return service.run_matching(session, complex_id, data)


@router.get("/companies/{company_id}/recommendations", responses=FILE_RESPONSES)
def list_recommendations(session: SessionDep, company_id: IdPath, format: Format = "json") -> Any:
    """The company's side of each recommendation: the counterpart anonymised until both agreed."""
    return _table(service.list_recommendations(session, company_id), schemas.RecommendationRead, format,
                  "recommendations")


@router.post("/recommendations/{recommendation_id}/decision", response_model=schemas.RecommendationRead,
             responses=BODY_PROBLEMS)
def decide(session: SessionDep, recommendation_id: IdPath, data: schemas.DecisionCreate) -> Any:
    return service.decide(session, recommendation_id, data)


@router.get("/complexes/{complex_id}/flows")
def flows(session: SessionDep, complex_id: IdPath) -> Any:
    """Flows of the symbiosis map the caller may see (existing, proposed, accepted)."""
    return {"items": service.flows(session, complex_id)}
