"""Routes of the Sparkplug B state (read only): edge nodes and devices, online or not, births, deaths, seq gaps."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from sandan.core.http import (
    EXPORT_LIMIT,
    FILE_RESPONSES,
    SIGNED_IN_PROBLEMS,
    ExportFormat,
    IdQuery,
    PageDep,
    SessionDep,
    encode_cursor,
    export_frame,
)
from sandan.ingest.sparkplug import service
from sandan.ingest.sparkplug.schemas import SparkplugNodePage

router = APIRouter(responses=SIGNED_IN_PROBLEMS)
Format = ExportFormat


@router.get("/sparkplug/nodes", tags=["ingest"], response_model=SparkplugNodePage, responses=FILE_RESPONSES)
def list_nodes(session: SessionDep, page: PageDep, company_id: IdQuery = None,
               online: Annotated[bool | None, Query(description="only nodes online (true) or offline (false)")] = None,
               format: Format = "json") -> Any:
    """Sparkplug B edge nodes the caller may see, each with its devices: online state, last birth and
    death, bdSeq, last seq and the count of sequence gaps; export as CSV or XLSX (one row per device)."""
    if format != "json":
        nodes = service.list_nodes(session, company_id=company_id, online=online, limit=EXPORT_LIMIT)
        devices = service.devices_of(session, [n.id for n in nodes])
        frame = service.nodes_frame([service.node_summary(n, devices[n.id]) for n in nodes])
        return export_frame(frame, format, "sparkplug-nodes")
    nodes = service.list_nodes(session, company_id=company_id, online=online, after_id=page.after_id,
                               limit=page.limit)
    devices = service.devices_of(session, [n.id for n in nodes])
    items = [service.node_summary(n, devices[n.id]) for n in nodes]
    next_cursor = encode_cursor(nodes[-1].id) if len(nodes) == page.limit else None
    return {"items": items, "next_cursor": next_cursor}
