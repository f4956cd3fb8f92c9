"""Web pages of the circular domain
(Resource circulation: waste and by-product streams, symbiosis matching, handover chain).

Pages open their session with :func:`sandan.web.pages.open_page` (the one access policy decides
what they show) and render through :func:`sandan.web.render.render`.  ``NAV`` lists the links this
domain adds to the main navigation.

* ``/circular/complexes/{id}`` — the symbiosis map: companies at their locations, flows as arrows
  sized by tonnes (existing, proposed, accepted), filters by status and material, and the table of
  the same flows.  What is drawn comes from :func:`sandan.circular.service.flows`: a company sees
  the flows of its own streams (the counterpart only once disclosed), the operator all of them.
* ``/circular/companies/{id}`` — a company's streams and its side of each recommendation, with the
  explanation in words and the anonymised counterpart.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from sandan.circular import service
from sandan.core.tenancy import service as tenancy
from sandan.core.tenancy.models import Company
from sandan.web.i18n import N_
from sandan.web.nav import NavEntry
from sandan.web.pages import company_name, open_page, page
from sandan.web.render import Viewer

router = APIRouter(include_in_schema=False)

STATUS_LABELS = {"existing": N_("Existing"), "proposed": N_("Proposed"), "accepted": N_("Accepted")}
DECISION_LABELS = {"pending": N_("Pending"), "accepted": N_("Accepted"), "rejected": N_("Rejected"),
                   "introduce": N_("Introduction requested")}
#: Colour of each status on the map (SVG presentation attributes: the stylesheet has no map rules).
STATUS_COLOURS = {"existing": "#6b7280", "proposed": "#d97706", "accepted": "#059669"}
MAP_W, MAP_H, MAP_PAD = 720, 480, 30
MAX_STROKE = 10.0


def _complex_link(viewer: Viewer) -> str | None:
    return f"/circular/complexes/{viewer.home_complex_id}" if viewer.home_complex_id else None


def _company_link(viewer: Viewer) -> str | None:
    return f"/circular/companies/{viewer.home_company_id}" if viewer.home_company_id else None


NAV: tuple[NavEntry, ...] = (NavEntry(N_("Symbiosis map"), _complex_link),
                             NavEntry(N_("My streams"), _company_link))


def project(points: list[tuple[float, float]]) -> tuple[Any, Any]:
    """A function (lat, lon) → SVG (x, y) fitting ``points`` in the drawing, north up."""
    lats, lons = [p[0] for p in points] or [0.0], [p[1] for p in points] or [0.0]
    lo_lat, hi_lat, lo_lon, hi_lon = min(lats), max(lats), min(lons), max(lons)
    span = max(hi_lat - lo_lat, hi_lon - lo_lon, 1e-4)

    def xy(lat: float, lon: float) -> tuple[float, float]:
        return (MAP_PAD + (lon - lo_lon) / span * (MAP_W - 2 * MAP_PAD),
                MAP_H - MAP_PAD - (lat - lo_lat) / span * (MAP_H - 2 * MAP_PAD))

    return xy, span


def symbiosis_drawing(flows: list[dict[str, Any]]) -> dict[str, Any]:
    """Nodes (one per company end) and arrows (stroke width ∝ quantity) of the flows that have both ends."""
    ends = {}
    for f in flows:
        for end in (f["source"], f["target"]):
            if end and end.get("lat") is not None and end.get("lon") is not None:
                ends[end["company_id"]] = end
    xy, _ = project([(e["lat"], e["lon"]) for e in ends.values()])
    nodes = [{"id": cid, "name": e["name"], "x": round(xy(e["lat"], e["lon"])[0], 1),
              "y": round(xy(e["lat"], e["lon"])[1], 1)} for cid, e in ends.items()]
    biggest = max((f["quantity_per_month"] for f in flows), default=1.0) or 1.0
    arrows = []
    for f in flows:
        s, t = f["source"], f["target"]
        if not (s and t and s["company_id"] in ends and t["company_id"] in ends):
            continue
        (x1, y1), (x2, y2) = xy(s["lat"], s["lon"]), xy(t["lat"], t["lon"])
        arrows.append({"x1": round(x1, 1), "y1": round(y1, 1), "x2": round(x2, 1), "y2": round(y2, 1),
                       "width": round(1.0 + (MAX_STROKE - 1.0) * f["quantity_per_month"] / biggest, 1),
                       "status": f["status"], "title": f"{f['material']} {f['quantity_per_month']:,.1f} {f['unit']}"})
    return {"nodes": nodes, "arrows": arrows, "width": MAP_W, "height": MAP_H}


@router.get("/circular/complexes/{complex_id:int}")
@page
def symbiosis_page(request: Request, complex_id: int, status: str | None = Query(None, max_length=20),
                   material: str | None = Query(None, max_length=100)) -> Response:
    with open_page(request) as ctx:
        header = ctx.complex_header(complex_id)
        every = service.flows(ctx.session, complex_id)
        materials = sorted({str(f["material"]) for f in every if f["material"]})
        shown = [f for f in every if (not status or f["status"] == status)
                 and (not material or f["material"] == material)]
        return ctx.render("circular/symbiosis.html", header_complex=header, flows=shown,
                          drawing=symbiosis_drawing(shown), statuses=STATUS_LABELS, colours=STATUS_COLOURS,
                          materials=materials,
                          status=status or "", material=material or "",
                          tonnes=sum(f["quantity_per_month"] for f in shown if f["unit"] == "t"))


@router.get("/circular/companies/{company_id:int}")
@page
def streams_page(request: Request, company_id: int) -> Response:
    with open_page(request) as ctx:
        company = tenancy.get(ctx.session, Company, company_id)
        header = ctx.complex_header(company.complex_id)
        streams = service.list_streams(ctx.session, company_id)
        recs = service.list_recommendations(ctx.session, company_id)
        return ctx.render("circular/streams.html", header_complex=header, company=company,
                          company_label=company_name(company, ctx.tr.language), streams=streams,
                          recommendations=recs, decisions=DECISION_LABELS,
                          export_base=f"/api/v1/circular/companies/{company_id}")
