"""Web pages of data quality and the quarantine: per company and per point, in Korean and English.

The pages read through the same services as the API (``sandan.ingest.quality``,
``sandan.ingest.quarantine``, ``sandan.ingest.sparkplug.service``) on the signed-in user's
session, so the one access policy decides what they show: another company's page is a 404 page.
A replay from the quarantine page goes through :func:`sandan.ingest.quarantine.replay`, which
refuses callers who are not company admins of the company (a 403 page).
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import RedirectResponse, Response

from sandan.core.errors import InvalidInput
from sandan.core.tenancy import service as tenancy
from sandan.core.tenancy.models import Company, Point
from sandan.core.timeutil import KST
from sandan.ingest import quality, quarantine
from sandan.ingest.models import QuarantinedReading, ReplayStatus
from sandan.ingest.sparkplug import service as sparkplug
from sandan.timeseries import service as timeseries
from sandan.web import live
from sandan.web.i18n import N_
from sandan.web.pages import PageContext, company_name, open_page, page

router = APIRouter(include_in_schema=False)

PAGE_SIZE = 50
DEFAULT_DAYS = 7
MAX_FILTER = 40
#: Reason codes of the ingest pipeline, VEE and the MQTT/Sparkplug adapters (docs/ingest.md), in words.
REASON_LABELS = {
    "bad_payload": N_("Unreadable reading (not an object, or missing point, time or value)"),
    "bad_timestamp": N_("Unreadable timestamp"),
    "not_a_number": N_("Value missing or not a number"),
    "not_finite": N_("Value is NaN or infinite"),
    "bad_quality": N_("Unknown quality flag"),
    "unknown_point": N_("Unknown point (or not writable by the sender)"),
    "ambiguous_point": N_("Point code used by several companies"),
    "unknown_unit": N_("Unknown unit"),
    "unit_mismatch": N_("Unit does not fit the point's quantity"),
    "future_timestamp": N_("Timestamp in the future"),
    "before_active": N_("Timestamp before the point existed"),
    "off_grid": N_("Interval total off the point's interval grid"),
    "negative_interval": N_("Negative interval total"),
    "out_of_range": N_("Value outside the point's valid range"),
    "spike": N_("Spike against its neighbours"),
    "counter_backwards": N_("Cumulative register went backwards"),
    "duplicate_in_batch": N_("Same point and time twice in one batch"),
    "conflict": N_("Another value is already stored"),
    "store_rejected": N_("Refused by the store"),
    "bad_topic": N_("MQTT topic not in the documented scheme"),
    "unknown_company": N_("Company in the topic does not exist"),
    "unknown_group": N_("Sparkplug group mapped to no company"),
    "unknown_alias": N_("Sparkplug alias announced in no birth"),
    "malformed_protobuf": N_("Not a Sparkplug B payload"),
    "too_large": N_("Message too large"),
    "ingest_error": N_("Processing failed"),
}
REPLAY_LABELS = {
    ReplayStatus.pending.value: N_("Waiting"), ReplayStatus.stored.value: N_("Replayed and stored"),
    ReplayStatus.duplicate.value: N_("Replayed: already stored"), ReplayStatus.replaced.value: N_("Replayed: replaced"),
    ReplayStatus.conflict.value: N_("Replayed: still conflicting"),
    ReplayStatus.rejected.value: N_("Replayed: still rejected"),
}
SOURCES = ("http", "mqtt", "sparkplug", "file", "replay")
REPLAYABLE = (ReplayStatus.pending.value, ReplayStatus.rejected.value, ReplayStatus.conflict.value)


# --- periods ---------------------------------------------------------------------------------------

def parse_moment(value: str, *, end: bool, field: str) -> dt.datetime:
    """A Korean calendar day (the start of it, or for ``end`` the start of the next day) or an ISO 8601
    time with offset."""
    text = value.strip()
    try:
        if len(text) == 10:
            day = dt.date.fromisoformat(text)
            start = dt.datetime(day.year, day.month, day.day, tzinfo=KST)
            return start + dt.timedelta(days=1) if end else start
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        raise InvalidInput(f"'{text[:40]}' is neither a date (YYYY-MM-DD) nor a time with offset",
                           field=field) from None
    if moment.tzinfo is None:
        raise InvalidInput("give the time with its offset, e.g. 2026-03-01T00:00+09:00", field=field)
    return moment


def period(start: str | None, end: str | None) -> tuple[dt.datetime, dt.datetime]:
    """``[start, end)`` of a page: by default the last seven Korean days, today included."""
    today = live.day_start(live.clock())
    hi = parse_moment(end, end=True, field="end") if end else today + dt.timedelta(days=1)
    lo = parse_moment(start, end=False, field="start") if start else hi - dt.timedelta(days=DEFAULT_DAYS)
    if hi <= lo:
        raise InvalidInput("the end of the range must be after its start", field="end")
    return lo, hi


def _form_dates(lo: dt.datetime, hi: dt.datetime) -> dict[str, str]:
    """The period as the date inputs show it (the end day inclusive)."""
    return {"start": lo.astimezone(KST).date().isoformat(),
            "end": (hi - dt.timedelta(seconds=1)).astimezone(KST).date().isoformat()}


def _api_period(lo: dt.datetime, hi: dt.datetime) -> dict[str, str]:
    return {"start": lo.isoformat(), "end": hi.isoformat()}


def worst_first(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Points by completeness (lowest first), then rejections and estimates (most first); points
    that expected nothing in the period last."""
    return sorted(rows, key=lambda r: (r["completeness_pct"] is None, r["completeness_pct"] or 0.0,
                                       -r["rejected"], -(r["estimated_pct"] or 0.0), r["code"]))


# --- data quality ----------------------------------------------------------------------------------

@router.get("/companies/{company_id:int}/quality")
@page
def company_quality_page(request: Request, company_id: int, start: str | None = Query(None, max_length=40),
                         end: str | None = Query(None, max_length=40)) -> Response:
    with open_page(request) as ctx:
        company = tenancy.get(ctx.session, Company, company_id)
        header = ctx.complex_header(company.complex_id)
        lo, hi = period(start, end)
        answer = quality.company_quality(ctx.session, company_id, lo, hi)
        nodes = sparkplug.list_nodes(ctx.session, company_id=company_id, limit=1000)
        devices = sparkplug.devices_of(ctx.session, [n.id for n in nodes])
        summaries = [sparkplug.node_summary(n, devices[n.id]) for n in nodes]
        api_query = _api_period(lo, hi)
        return ctx.render(
            "quality.html", header_complex=header, company=company,
            company_label=company_name(company, ctx.tr.language), answer=answer,
            rows=worst_first(answer["points"]), form=_form_dates(lo, hi), lo=lo, hi=hi,
            period_query=urlencode(api_query),
            export_base=f"/api/v1/quality/companies/{company_id}?" + urlencode(api_query),
            nodes=summaries, nodes_online=sum(1 for n in summaries if n["online"]),
            devices_total=sum(len(n["devices"]) for n in summaries),
            devices_online=sum(n["devices_online"] for n in summaries),
            nodes_export=f"/api/v1/sparkplug/nodes?company_id={company_id}")


@router.get("/points/{point_id:int}/quality")
@page
def point_quality_page(request: Request, point_id: int, start: str | None = Query(None, max_length=40),
                       end: str | None = Query(None, max_length=40)) -> Response:
    with open_page(request) as ctx:
        point = tenancy.get(ctx.session, Point, point_id)
        company = tenancy.get(ctx.session, Company, point.company_id)
        header = ctx.complex_header(company.complex_id)
        lo, hi = period(start, end)
        answer = quality.point_quality(ctx.session, point_id, lo, hi)
        form = _form_dates(lo, hi)
        recent = quarantine.list_quarantine(ctx.session, quarantine.QuarantineFilter(
            company_id=company.id, point_id=point_id, start=lo, end=hi), limit=10)
        quarantine_link = f"/companies/{company.id}/quarantine?" + urlencode({"point_id": point_id, **form})
        return ctx.render(
            "point_quality.html", header_complex=header, company=company, point=point,
            company_label=company_name(company, ctx.tr.language), answer=answer, form=form,
            rejected_rows=[_row(ctx, r, {}) for r in recent], quarantine_link=quarantine_link,
            export_base="/api/v1/quarantine?" + urlencode({"company_id": company.id, "point_id": point_id,
                                                           **_api_period(lo, hi)}))


# --- quarantine ------------------------------------------------------------------------------------

def _row(ctx: PageContext, r: QuarantinedReading, codes: dict[int, str]) -> dict[str, Any]:
    label = REASON_LABELS.get(r.reason_code)
    return {"id": r.id, "ts": dt.datetime.fromtimestamp(r.ts, dt.UTC) if r.ts is not None else None,
            "point_id": r.point_id, "point": codes.get(r.point_id or 0) or r.point_ref or "—",
            "value": r.value, "unit": r.unit or "", "reason_code": r.reason_code,
            "reason_label": ctx.tr(label) if label else r.reason_code, "reason": r.reason,
            "source": r.source, "source_ref": r.source_ref, "received_at": r.received_at,
            "replay_status": r.replay_status, "replay_label": ctx.tr(REPLAY_LABELS.get(r.replay_status, N_("Waiting"))),
            "replay_reason": r.replay_reason, "replays": r.replays, "replayable": r.replay_status in REPLAYABLE,
            "raw": json.dumps(r.raw, ensure_ascii=False, indent=2, default=str) if r.raw is not None else ""}


def _choice(value: str | None, allowed: Any) -> str | None:
    return value if value and value in allowed else None


def may_replay(ctx: PageContext, company_id: int) -> bool:
    return ctx.principal.is_admin or company_id in ctx.principal.companies_admin


@router.get("/companies/{company_id:int}/quarantine")
@page
def quarantine_page(request: Request, company_id: int, reason_code: str | None = Query(None, max_length=MAX_FILTER),
                    source: str | None = Query(None, max_length=MAX_FILTER),
                    replay_status: str | None = Query(None, max_length=MAX_FILTER),
                    point_id: str | None = Query(None, max_length=12),
                    start: str | None = Query(None, max_length=40), end: str | None = Query(None, max_length=40),
                    after: str | None = Query(None, max_length=20), replayed: str | None = Query(None, max_length=8),
                    stored: str | None = Query(None, max_length=8)) -> Response:
    with open_page(request) as ctx:
        company = tenancy.get(ctx.session, Company, company_id)
        header = ctx.complex_header(company.complex_id)
        points = timeseries.visible_points(ctx.session, company_id)
        codes = {p.id: p.code for p in points}
        chosen_point = int(point_id) if point_id and point_id.isdigit() and int(point_id) in codes else None
        reason, origin, replay = (_choice(reason_code, REASON_LABELS), _choice(source, SOURCES),
                                  _choice(replay_status, REPLAY_LABELS))
        filters: dict[str, Any] = {"reason_code": reason, "source": origin, "replay_status": replay,
                                   "point_id": chosen_point, "start": start or None, "end": end or None}
        lo = parse_moment(start, end=False, field="start") if start else None
        hi = parse_moment(end, end=True, field="end") if end else None
        f = quarantine.QuarantineFilter(company_id, chosen_point, reason, origin, replay, lo, hi)
        after_id = int(after) if after and after.isdigit() else 0
        rows = quarantine.list_quarantine(ctx.session, f, after_id=after_id, limit=PAGE_SIZE)
        shown = {k: v for k, v in filters.items() if v is not None}
        api_query = {"company_id": company_id, **{k: v for k, v in shown.items() if k not in ("start", "end")},
                     **({"start": lo.isoformat()} if lo else {}), **({"end": hi.isoformat()} if hi else {})}
        next_link = (f"/companies/{company_id}/quarantine?" + urlencode({**shown, "after": rows[-1].id})
                     if len(rows) == PAGE_SIZE else None)
        return ctx.render(
            "quarantine.html", header_complex=header, company=company,
            company_label=company_name(company, ctx.tr.language), rows=[_row(ctx, r, codes) for r in rows],
            filters=filters, points=points, reasons={k: ctx.tr(v) for k, v in REASON_LABELS.items()},
            replay_labels={k: ctx.tr(v) for k, v in REPLAY_LABELS.items()}, sources=SOURCES,
            can_replay=may_replay(ctx, company_id), next_link=next_link, first_page=after_id == 0,
            first_link=f"/companies/{company_id}/quarantine?" + urlencode(shown),
            export_base="/api/v1/quarantine?" + urlencode(api_query),
            replayed=int(replayed) if replayed and replayed.isdigit() else None,
            stored=int(stored) if stored and stored.isdigit() else None)


@router.post("/companies/{company_id:int}/quarantine/replay")
@page
def quarantine_replay(request: Request, company_id: int, ids: list[str] = Form([]),
                      scope: str = Form("selected", max_length=20),
                      reason_code: str = Form("", max_length=MAX_FILTER),
                      back: str = Form("", max_length=500)) -> Response:
    """Replay the ticked rows (``scope=selected``) or every waiting row of the company, of one reason
    when the list is filtered by one (``scope=all``), then go back to the list with the outcome."""
    with open_page(request) as ctx:
        tenancy.get(ctx.session, Company, company_id)
        chosen = sorted({int(i) for i in ids if i.isdigit() and 0 < int(i) <= 2**62})
        if scope == "selected" and not chosen:
            raise InvalidInput("tick the readings to replay", field="ids")
        result = quarantine.replay(ctx.session, company_id=company_id,
                                   ids=chosen if scope == "selected" else None,
                                   reason_code=_choice(reason_code, REASON_LABELS) if scope == "all" else None)
        stored_n = sum(n for status, n in result.counts.items()
                       if status in (ReplayStatus.stored.value, ReplayStatus.duplicate.value,
                                     ReplayStatus.replaced.value))
    base = back if back.startswith(f"/companies/{company_id}/quarantine") and "//" not in back else \
        f"/companies/{company_id}/quarantine"
    query = {"replayed": result.replayed, "stored": stored_n}
    separator = "&" if "?" in base else "?"
    return RedirectResponse(base + separator + urlencode(query), status_code=303)
