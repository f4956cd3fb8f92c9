"""Routes of the core model under ``/api/v1``: parse, call the service, serialise."""

from __future__ import annotations

from typing import Any, Generic, TypeVar

import pandas as pd
from fastapi import APIRouter, Response
from pydantic import BaseModel

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
from sandan.core.tenancy import schemas, service
from sandan.core.tenancy.models import Asset, Company, Complex, Point, Site

router = APIRouter(tags=["core model"], responses=SIGNED_IN_PROBLEMS)
Format = ExportFormat


T = TypeVar("T")


class Page(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None


def _listing(session: Any, model: Any, read: type[BaseModel], page: Any, fmt: str, name: str,
             filters: dict[str, Any] | None = None) -> Any:
    if fmt != "json":
        rows = service.page(session, model, limit=EXPORT_LIMIT, filters=filters)
        frame = pd.DataFrame([read.model_validate(r).model_dump(mode="json") for r in rows],
                             columns=list(read.model_fields))
        return export_frame(frame, fmt, name)
    items = service.page(session, model, after_id=page.after_id, limit=page.limit, filters=filters)
    return page_body([read.model_validate(i) for i in items], page.limit)




@router.get("/complexes", response_model=Page[schemas.ComplexRead], responses=FILE_RESPONSES)
def list_complexes(session: SessionDep, page: PageDep, format: Format = "json") -> Any:
    return _listing(session, Complex, schemas.ComplexRead, page, format, "complexes")


@router.get("/complexes/{complex_id}", response_model=schemas.ComplexRead)
def get_complex(session: SessionDep, complex_id: IdPath) -> Any:
    return service.get(session, Complex, complex_id)


@router.get("/companies", response_model=Page[schemas.CompanyRead], responses=FILE_RESPONSES)
def list_companies(session: SessionDep, page: PageDep, complex_id: IdQuery = None,
                   format: Format = "json") -> Any:
    return _listing(session, Company, schemas.CompanyRead, page, format, "companies", {"complex_id": complex_id})


@router.post("/companies", response_model=schemas.CompanyRead, status_code=201, responses=BODY_PROBLEMS)
def create_company(session: SessionDep, data: schemas.CompanyCreate) -> Any:
    return service.create_company(session, data)


@router.get("/companies/{company_id}", response_model=schemas.CompanyRead)
def get_company(session: SessionDep, company_id: IdPath) -> Any:
    return service.get(session, Company, company_id)


@router.patch("/companies/{company_id}", response_model=schemas.CompanyRead, responses=BODY_PROBLEMS)
def update_company(session: SessionDep, company_id: IdPath, data: schemas.CompanyUpdate) -> Any:
    return service.update_company(session, company_id, data)


@router.get("/sites", response_model=Page[schemas.SiteRead], responses=FILE_RESPONSES)
def list_sites(session: SessionDep, page: PageDep, company_id: IdQuery = None, format: Format = "json") -> Any:
    return _listing(session, Site, schemas.SiteRead, page, format, "sites", {"company_id": company_id})


@router.post("/sites", response_model=schemas.SiteRead, status_code=201, responses=BODY_PROBLEMS)
def create_site(session: SessionDep, data: schemas.SiteCreate) -> Any:
    return service.create_site(session, data)


@router.get("/sites/{site_id}", response_model=schemas.SiteRead)
def get_site(session: SessionDep, site_id: IdPath) -> Any:
    return service.get(session, Site, site_id)


@router.patch("/sites/{site_id}", response_model=schemas.SiteRead, responses=BODY_PROBLEMS)
def update_site(session: SessionDep, site_id: IdPath, data: schemas.SiteUpdate) -> Any:
    return service.update_site(session, site_id, data)


@router.get("/sites/{site_id}/tree")
def site_tree(session: SessionDep, site_id: IdPath) -> list[dict[str, Any]]:
    return service.asset_tree(session, site_id)


@router.get("/assets", response_model=Page[schemas.AssetRead], responses=FILE_RESPONSES)
def list_assets(session: SessionDep, page: PageDep, site_id: IdQuery = None, format: Format = "json") -> Any:
    return _listing(session, Asset, schemas.AssetRead, page, format, "assets", {"site_id": site_id})


@router.post("/assets", response_model=schemas.AssetRead, status_code=201, responses=BODY_PROBLEMS)
def create_asset(session: SessionDep, data: schemas.AssetCreate) -> Any:
    return service.create_asset(session, data)


@router.get("/assets/{asset_id}", response_model=schemas.AssetRead)
def get_asset(session: SessionDep, asset_id: IdPath) -> Any:
    return service.get(session, Asset, asset_id)


@router.patch("/assets/{asset_id}", response_model=schemas.AssetRead, responses=BODY_PROBLEMS)
def update_asset(session: SessionDep, asset_id: IdPath, data: schemas.AssetUpdate) -> Any:
    return service.update_asset(session, asset_id, data)


@router.delete("/assets/{asset_id}", status_code=204)
def delete_asset(session: SessionDep, asset_id: IdPath) -> Response:
    service.delete_asset(session, asset_id)
    return Response(status_code=204)


@router.get("/points", response_model=Page[schemas.PointRead], responses=FILE_RESPONSES)
def list_points(session: SessionDep, page: PageDep, company_id: IdQuery = None, site_id: IdQuery = None,
                asset_id: IdQuery = None, format: Format = "json") -> Any:
    return _listing(session, Point, schemas.PointRead, page, format, "points",
                    {"company_id": company_id, "site_id": site_id, "asset_id": asset_id})


@router.post("/points", response_model=schemas.PointRead, status_code=201, responses=BODY_PROBLEMS)
def create_point(session: SessionDep, data: schemas.PointCreate) -> Any:
    return service.create_point(session, data)


@router.get("/points/{point_id}", response_model=schemas.PointRead)
def get_point(session: SessionDep, point_id: IdPath) -> Any:
    return service.get(session, Point, point_id)


@router.patch("/points/{point_id}", response_model=schemas.PointRead, responses=BODY_PROBLEMS)
def update_point(session: SessionDep, point_id: IdPath, data: schemas.PointUpdate) -> Any:
    return service.update_point(session, point_id, data)
