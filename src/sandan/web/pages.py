"""Web pages (server-rendered Jinja2): sign-in, complex overview, company, asset tree, point explorer.

Every page opens one session through :func:`sandan.core.http.get_session`, so the caller's
principal comes from the signed session cookie exactly as for the API and the one access policy
filters every read.  A page that is not signed in redirects to ``/login?next=…``; a thing the
caller may not see (or that does not exist) is a 404 page in the user's language.
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, ParamSpec
from urllib.parse import urlencode

import pandas as pd
from fastapi import APIRouter, FastAPI, Form, Query, Request
from fastapi.responses import FileResponse, JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from sqlalchemy.orm import Session

from sandan.core.auth import service as auth
from sandan.core.auth.models import User
from sandan.core.auth.policy import Principal
from sandan.core.errors import DomainError, NotFound, TooManyRequests, Unauthenticated
from sandan.core.http import _authenticate, export_frame
from sandan.core.tenancy import service as tenancy
from sandan.core.tenancy.models import Asset, Company, Complex, Point, Site
from sandan.core.timeutil import KST
from sandan.core.units import QUANTITIES, unit_factor
from sandan.timeseries import service as timeseries
from sandan.web import live
from sandan.web.i18n import DEFAULT_LANGUAGE, LANGUAGE_COOKIE, N_, Translator, normalise_language, translator
from sandan.web.render import (
    STATIC_DIR,
    HeaderComplex,
    Viewer,
    plotly_js_gzip,
    plotly_js_path,
    render,
)

log = logging.getLogger("sandan.web")
P = ParamSpec("P")
router = APIRouter(include_in_schema=False)

LIVE_REFRESH_S = 10
MAX_FORM_FIELD = 500
MAX_ID = 2**31 - 1  # row ids are 32-bit integers on both databases
EXPORT_COLUMNS = ["company_id", "name", "name_en", "brn", "ksic_code", "size_class", "lat", "lon", "today_kwh",
                  "demand_kw", "demand_interval_start"]
RESOLUTION_LABELS = {"raw": N_("Raw readings"), "15min": N_("15 min"), "1h": N_("Hourly"), "1d": N_("Daily"),
                     "1mo": N_("Monthly")}
LEVEL_LABELS = {"site": N_("Site"), "area": N_("Area"), "line": N_("Line"), "equipment": N_("Equipment")}
SIZE_LABELS = {"sme": N_("SME"), "mid": N_("Mid-sized"), "large": N_("Large")}
FALLBACK_ERROR_TITLE = N_("The request could not be completed")
KIND_LABELS = {"cumulative": N_("Cumulative register"), "interval": N_("Interval total"),
               "instantaneous": N_("Instantaneous")}
#: Extra display units offered for a quantity besides the point's own (TOE is added when convertible).
EXTRA_UNITS = {"active_energy": ["kWh", "MWh"], "heat_energy": ["MJ", "GJ"]}


# --- language, viewer, page session ---------------------------------------------------------------

def language_of(request: Request, user_language: str | None = None) -> str:
    """The cookie's language, else the user's, else the platform default (Korean)."""
    default = normalise_language(getattr(request.app.state.settings, "default_language", None))
    return (normalise_language(request.cookies.get(LANGUAGE_COOKIE)) or normalise_language(user_language)
            or default or DEFAULT_LANGUAGE)


def safe_next(target: str | None) -> str:
    """A local path to go to after sign-in; anything pointing off-site becomes ``/``."""
    if not target or len(target) > MAX_FORM_FIELD or not target.startswith("/") or target.startswith("//") \
            or "\\" in target or any(ord(c) < 32 for c in target):
        return "/"
    return target


@dataclass
class PageContext:
    """What a page works with: the policed session, the caller, their language."""

    request: Request
    session: Session
    principal: Principal
    viewer: Viewer
    tr: Translator

    def render(self, template: str, *, header_complex: HeaderComplex | None = None, status_code: int = 200,
               **context: Any) -> Response:
        return render(self.request, template, self.tr, viewer=self.viewer, header_complex=header_complex,
                      status_code=status_code, **context)

    def complex_header(self, complex_id: int) -> HeaderComplex:
        complex_ = tenancy.get(self.session, Complex, complex_id)
        return HeaderComplex(complex_.id, complex_name(complex_, self.tr.language))


def complex_name(complex_: Complex, language: str) -> str:
    return complex_.name_en if language == "en" and complex_.name_en else complex_.name_ko


def company_name(company: Company, language: str) -> str:
    return company.name_en if language == "en" and company.name_en else company.name


@contextmanager
def open_page(request: Request) -> Iterator[PageContext]:
    """One transaction on behalf of the signed-in user (raises Unauthenticated when nobody is)."""
    with request.app.state.db.session() as session:
        # the same sign-in logic as every API route: the signed session cookie (or a bearer token)
        principal = _authenticate(request, session)
        session.info["principal"] = principal
        request.state.principal = principal
        if principal.user_id is None:
            raise Unauthenticated("sign in")
        user = session.get(User, principal.user_id)
        if user is None:
            raise Unauthenticated("sign in")
        viewer = Viewer(user.id, user.name, user.email, _home_complex(session, principal),
                        min(principal.companies_read) if principal.companies_read else None, principal.roles)
        request.state.viewer = viewer
        tr = translator(language_of(request, user.language))
        request.state.language = tr.language  # an error page later speaks the same language
        yield PageContext(request, session, principal, viewer, tr)


def _home_complex(session: Session, principal: Principal) -> int | None:
    """The complex a user works in: the one they operate, else their company's."""
    if principal.complexes_read:
        return min(principal.complexes_read)
    if principal.companies_read:
        return tenancy.get(session, Company, min(principal.companies_read)).complex_id
    return None


def page(view: Callable[P, Response]) -> Callable[P, Response]:
    """Turn errors of a page into pages: sign-in redirect, 404 in the user's language, never problem+json."""

    def wrapper(*args: P.args, **kwargs: P.kwargs) -> Response:
        request = kwargs.get("request")  # FastAPI passes every parameter by name
        if not isinstance(request, Request):
            raise TypeError(f"page view {view.__name__} needs a 'request: Request' parameter")
        try:
            if any(isinstance(v, int) and not isinstance(v, bool) and not 0 < v <= MAX_ID for v in kwargs.values()):
                raise NotFound("no row has this id")  # before the database sees an out-of-range integer
            return view(*args, **kwargs)
        except Unauthenticated:
            return RedirectResponse("/login?" + urlencode({"next": _here(request)}), status_code=303)
        except DomainError as exc:
            return error_page(request, exc.status, exc)
        except Exception:
            log.exception("page %s failed", request.url.path)
            return error_page(request, 500, None)

    functools.update_wrapper(wrapper, view)  # FastAPI reads the view's parameters through __wrapped__
    return wrapper


def _here(request: Request) -> str:
    query = request.url.query
    return request.url.path + (f"?{query}" if query else "")


def error_page(request: Request, status: int, exc: DomainError | None) -> Response:
    viewer: Viewer | None = getattr(request.state, "viewer", None)
    tr = translator(getattr(request.state, "language", None) or language_of(request))
    titles = {404: N_("Not found"), 403: N_("Not allowed"), 500: N_("Something went wrong")}
    messages = {404: N_("This page does not exist, or your account may not see it."),
                403: N_("Your account may not do this."),
                500: N_("Something went wrong on our side. It has been logged; please try again later.")}
    detail = None if status in messages or exc is None else exc.detail
    return render(request, "error.html", tr, viewer=viewer, status_code=status,
                  title=tr(titles.get(status, FALLBACK_ERROR_TITLE)),
                  message=tr(messages[status]) if status in messages else "", detail=detail, status=status)


# --- sign-in, sign-out, language ------------------------------------------------------------------

@router.get("/login")
def login_form(request: Request, next: str = "/") -> Response:
    if request.session.get("uid"):
        return RedirectResponse(safe_next(next), status_code=303)
    tr = translator(language_of(request))
    return render(request, "login.html", tr, next=safe_next(next), email="", error=None)


@router.post("/login")
def login_submit(request: Request, email: str = Form(""), password: str = Form(""),
                 next: str = Form("/")) -> Response:
    tr = translator(language_of(request))
    target = safe_next(next)

    def refuse(message: str, status: int) -> Response:
        return render(request, "login.html", tr, next=target, email=email[:200], error=message,
                      status_code=status)

    client = request.client.host if request.client else "unknown"
    try:
        request.app.state.login_limiter.hit(client)
    except TooManyRequests:
        return refuse(tr("Too many sign-in attempts. Wait a minute and try again."), 429)
    if not email.strip() or not password or len(email) > MAX_FORM_FIELD or len(password) > MAX_FORM_FIELD:
        return refuse(tr("Wrong e-mail or password."), 401)
    with request.app.state.db.session() as session:
        try:
            user = auth.login(session, email, password)
        except Unauthenticated:
            return refuse(tr("Wrong e-mail or password."), 401)
        user_id = user.id
    request.session.clear()
    request.session["uid"] = user_id
    return RedirectResponse(target, status_code=303)


@router.post("/logout")
def logout(request: Request) -> Response:
    request.session.clear()
    return RedirectResponse("/login", status_code=303)


@router.post("/language")
def set_language(request: Request, lang: str = Form(DEFAULT_LANGUAGE), next: str = Form("/")) -> Response:
    response = RedirectResponse(safe_next(next), status_code=303)
    chosen = normalise_language(lang)
    if chosen:
        response.set_cookie(LANGUAGE_COOKIE, chosen, max_age=365 * 86400, httponly=True, samesite="lax",
                            secure=request.app.state.settings.environment == "production")
    return response


# --- complexes ------------------------------------------------------------------------------------

@router.get("/")
@page
def home(request: Request) -> Response:
    with open_page(request) as ctx:
        if ctx.viewer.home_complex_id is not None:
            return RedirectResponse(f"/complexes/{ctx.viewer.home_complex_id}", status_code=303)
        return RedirectResponse("/complexes", status_code=303)


@router.get("/complexes")
@page
def complexes(request: Request) -> Response:
    with open_page(request) as ctx:
        rows = tenancy.page(ctx.session, Complex, limit=1000)
        counts: dict[int, int] = {}
        for company in _all_companies(ctx.session, None):
            counts[company.complex_id] = counts.get(company.complex_id, 0) + 1
        rows.sort(key=lambda c: (-counts.get(c.id, 0), complex_name(c, ctx.tr.language)))
        items = [{"id": c.id, "name": complex_name(c, ctx.tr.language),
                  "region": c.region_en if ctx.tr.language == "en" else c.region_ko,
                  "year": c.designated_year, "companies": counts.get(c.id, 0)} for c in rows]
        return ctx.render("complexes.html", complexes=items)


def _all_companies(session: Session, complex_id: int | None) -> list[Company]:
    """Every company the caller may see (in one complex when given), page by page."""
    out: list[Company] = []
    after = 0
    while True:
        batch = tenancy.page(session, Company, after_id=after, limit=1000, filters={"complex_id": complex_id})
        out.extend(batch)
        if len(batch) < 1000:
            return out
        after = batch[-1].id


def _overview_figures(ctx: PageContext, complex_id: int) -> dict[str, Any]:
    """The complex's and each visible company's energy today and 15-minute demand."""
    now = live.clock()
    companies = _all_companies(ctx.session, complex_id)
    try:
        total: live.EnergyNow | None = live.energy_now(ctx.session, "complex", complex_id, now)
    except NotFound:
        total = None  # a tenant sees its own company only, not the complex total
    per_company = {c.id: live.energy_now(ctx.session, "company", c.id, now) for c in companies}
    if total is None:
        today = [e.today_kwh for e in per_company.values() if e.today_kwh is not None]
        demand = [e.demand_kw for e in per_company.values() if e.demand_kw is not None]
        moments = [e.demand_at for e in per_company.values() if e.demand_at is not None]
        shown = live.EnergyNow(sum(today) if today else None, sum(demand) if demand else None,
                               max(moments) if moments else None)
    else:
        shown = total
    return {"now": now, "companies": companies, "total": shown, "is_complex_total": total is not None,
            "per_company": per_company}


@router.get("/complexes/{complex_id:int}")
@page
def overview(request: Request, complex_id: int) -> Response:
    with open_page(request) as ctx:
        header = ctx.complex_header(complex_id)
        figures = _overview_figures(ctx, complex_id)
        language = ctx.tr.language
        rows = [{"id": c.id, "name": company_name(c, language), "ksic": c.ksic_code,
                 "size": ctx.tr(SIZE_LABELS.get(c.size_class.value, c.size_class.value)),
                 "lat": c.lat, "lon": c.lon, "energy": figures["per_company"][c.id]}
                for c in figures["companies"]]
        # the largest consumers first; companies without readings today last, by name
        rows.sort(key=lambda r: (r["energy"].today_kwh is None, -(r["energy"].today_kwh or 0.0), r["name"]))
        located = [r for r in rows if r["lat"] is not None and r["lon"] is not None]
        map_data = {"points": [{"id": r["id"], "name": r["name"], "lat": r["lat"], "lon": r["lon"],
                                "url": f"/companies/{r['id']}", "today_kwh": r["energy"].today_kwh}
                               for r in located],
                    "labels": {"today": ctx.tr("Today"), "no_data": ctx.tr("No readings yet"),
                               "longitude": ctx.tr("Longitude"), "latitude": ctx.tr("Latitude")}}
        live_config = {"url": f"/complexes/{complex_id}/live", "refresh_s": LIVE_REFRESH_S,
                       "locale": "ko-KR" if language == "ko" else "en-US"}
        return ctx.render("overview.html", header_complex=header, complex_id=complex_id, rows=rows,
                          unlocated=len(rows) - len(located), total=figures["total"],
                          is_complex_total=figures["is_complex_total"], now=figures["now"],
                          map_data=map_data, live_config=live_config)


@router.get("/complexes/{complex_id:int}/live")
def overview_live(request: Request, complex_id: int) -> Response:
    """The overview's live figures as JSON (polled by the page every few seconds)."""
    try:
        with open_page(request) as ctx:
            ctx.complex_header(complex_id)
            figures = _overview_figures(ctx, complex_id)
            body = {"at": figures["now"].isoformat(), "at_kst": figures["now"].astimezone(KST).strftime("%H:%M:%S"),
                    "total": figures["total"].to_json(), "is_complex_total": figures["is_complex_total"],
                    "companies": {str(cid): e.to_json() for cid, e in figures["per_company"].items()}}
    except Unauthenticated:
        return JSONResponse({"detail": "sign in"}, status_code=401)
    except NotFound:
        return JSONResponse({"detail": "not found"}, status_code=404)
    return JSONResponse(body, headers={"Cache-Control": "no-store"})


@router.get("/complexes/{complex_id:int}/companies")
@page
def overview_export(request: Request, complex_id: int, format: str = Query("csv", pattern="^(csv|xlsx)$")) -> Response:
    """The overview's company table as CSV or XLSX."""
    with open_page(request) as ctx:
        ctx.complex_header(complex_id)
        figures = _overview_figures(ctx, complex_id)
        records = []
        for c in figures["companies"]:
            energy: live.EnergyNow = figures["per_company"][c.id]
            records.append({"company_id": c.id, "name": c.name, "name_en": c.name_en, "brn": c.brn,
                            "ksic_code": c.ksic_code, "size_class": c.size_class.value, "lat": c.lat, "lon": c.lon,
                            "today_kwh": energy.today_kwh, "demand_kw": energy.demand_kw,
                            "demand_interval_start": energy.demand_at})
        frame = pd.DataFrame.from_records(records, columns=EXPORT_COLUMNS)
        frame["demand_interval_start"] = pd.to_datetime(frame["demand_interval_start"], utc=True)
        return export_frame(frame, format, f"complex-{complex_id}-companies")


# --- company ----------------------------------------------------------------------------------------

@router.get("/companies/{company_id:int}")
@page
def company_page(request: Request, company_id: int) -> Response:
    with open_page(request) as ctx:
        company = tenancy.get(ctx.session, Company, company_id)
        header = ctx.complex_header(company.complex_id)
        sites = tenancy.page(ctx.session, Site, limit=1000, filters={"company_id": company_id})
        now = live.clock()
        energy = live.energy_now(ctx.session, "company", company_id, now)
        month = live.month_kwh(ctx.session, "company", company_id, now)
        daily = live.daily_kwh(ctx.session, "company", company_id, now)
        points = timeseries.visible_points(ctx.session, company_id)
        latest = timeseries.latest_readings(ctx.session, [p.id for p in points])
        site_names = {s.id: s.name for s in sites}
        language = ctx.tr.language
        point_rows = [{"id": p.id, "code": p.code, "name": p.name, "site": site_names.get(p.site_id, ""),
                       "quantity": _quantity_label(p.quantity, language), "unit": p.unit,
                       "latest": latest.get(p.id)} for p in points]
        day_end = live.day_start(now) + dt.timedelta(days=1)
        export_query = {"resolution": "1d", "start": (day_end - dt.timedelta(days=30)).isoformat(),
                        "end": day_end.isoformat(), "unit": "kWh"}
        chart = {"x": [ts.astimezone(KST).strftime("%Y-%m-%d") for ts in daily.frame["ts"]],
                 "y": [round(float(v), 3) for v in daily.frame["value"]],
                 "labels": {"energy": ctx.tr("Energy"), "no_data": ctx.tr("No readings in the last 30 days"),
                            "unit": "kWh"}}
        return ctx.render(
            "company.html", header_complex=header, company=company, name=company_name(company, language),
            size=ctx.tr(SIZE_LABELS.get(company.size_class.value, company.size_class.value)), sites=sites,
            energy=energy, month_kwh=month, month_toe=month * unit_factor("kWh", "toe", "electricity")
            if month is not None else None, chart=chart, points=point_rows,
            export_base=f"/api/v1/groups/company/{company_id}/series?" + urlencode(export_query), now=now)


def _quantity_label(quantity: str, language: str) -> str:
    q = QUANTITIES.get(quantity)
    if q is None:
        return quantity
    return q.label_en if language == "en" else q.label_ko


# --- asset tree -----------------------------------------------------------------------------------

@router.get("/sites/{site_id:int}/tree")
@page
def site_tree(request: Request, site_id: int) -> Response:
    with open_page(request) as ctx:
        site = tenancy.get(ctx.session, Site, site_id)
        company = tenancy.get(ctx.session, Company, site.company_id)
        header = ctx.complex_header(company.complex_id)
        tree = tenancy.asset_tree(ctx.session, site_id)
        tree[0]["name"] = site.name
        language = ctx.tr.language
        _label_points(tree, language)
        return ctx.render("tree.html", header_complex=header, site=site, company=company,
                          company_label=company_name(company, language), tree=tree,
                          level_labels={k: ctx.tr(v) for k, v in LEVEL_LABELS.items()})


def _label_points(nodes: list[dict[str, Any]], language: str) -> None:
    for node in nodes:
        for point in node["points"]:
            point["quantity_label"] = _quantity_label(point["quantity"], language)
        _label_points(node["children"], language)


# --- point explorer -------------------------------------------------------------------------------

@router.get("/points/{point_id:int}")
@page
def point_page(request: Request, point_id: int) -> Response:
    with open_page(request) as ctx:
        point = tenancy.get(ctx.session, Point, point_id)
        site = tenancy.get(ctx.session, Site, point.site_id)
        company = tenancy.get(ctx.session, Company, point.company_id)
        header = ctx.complex_header(company.complex_id)
        assets = _asset_chain(ctx.session, point.asset_id)
        language = ctx.tr.language
        quantity = QUANTITIES.get(point.quantity)
        today = live.day_start(live.clock()).date()
        default_resolution = "1h" if point.interval_s < 3600 else "1d"
        config = {
            "api": f"/api/v1/points/{point.id}/series", "unit": point.unit, "units": _unit_choices(point),
            "resolution": default_resolution, "resolutions": list(RESOLUTION_LABELS),
            "start": (today - dt.timedelta(days=6)).isoformat(), "end": today.isoformat(),
            "additive": bool(quantity and quantity.additive), "kind": point.kind.value,
            "name": point.name, "quantity_label": _quantity_label(point.quantity, language),
            "locale": "ko-KR" if language == "ko" else "en-US",
            "labels": {key: ctx.tr(text) for key, text in {
                "time": N_("Time (KST)"), "value": N_("Value"), "min": N_("Minimum"), "max": N_("Maximum"),
                "range": N_("Min–max range"), "no_data": N_("No readings in this range"),
                "loading": N_("Loading…"), "failed": N_("Could not load the series:"), "total": N_("Total"),
                "mean": N_("Mean"), "count": N_("Readings"), "bad_range": N_("The end date must not be before "
                                                                             "the start date."),
            }.items()}}
        return ctx.render(
            "point.html", header_complex=header, point=point, site=site, company=company,
            company_label=company_name(company, language), assets=assets,
            quantity_label=_quantity_label(point.quantity, language),
            kind_label=ctx.tr(KIND_LABELS.get(point.kind.value, point.kind.value)),
            interval_label=_interval_label(point.interval_s, ctx.tr), config=config,
            resolution_labels={k: ctx.tr(v) for k, v in RESOLUTION_LABELS.items()},
            level_labels={k: ctx.tr(v) for k, v in LEVEL_LABELS.items()})


def _interval_label(interval_s: int, tr: Translator) -> str:
    if interval_s % 3600 == 0:
        return tr("every {n} h", n=interval_s // 3600)
    if interval_s % 60 == 0:
        return tr("every {n} min", n=interval_s // 60)
    return tr("every {n} s", n=interval_s)


def _asset_chain(session: Session, asset_id: int | None) -> list[Asset]:
    """The asset a point hangs on and its ancestors, outermost first."""
    if asset_id is None:
        return []
    asset = tenancy.get(session, Asset, asset_id)
    ids = [int(part) for part in asset.path.strip("/").split("/") if part]
    return [asset if i == asset.id else tenancy.get(session, Asset, i) for i in ids] or [asset]


def _unit_choices(point: Point) -> list[str]:
    """The point's unit, larger units of the same quantity, and TOE where the carrier converts."""
    choices = [point.unit]
    for unit in EXTRA_UNITS.get(point.quantity, []):
        if unit not in choices and _converts(point.unit, unit, point.carrier.value):
            choices.append(unit)
    quantity = QUANTITIES.get(point.quantity)
    if quantity and quantity.additive and _converts(point.unit, "toe", point.carrier.value):
        choices.append("toe")
    return choices


def _converts(from_unit: str, to_unit: str, carrier: str) -> bool:
    try:
        unit_factor(from_unit, to_unit, carrier)
    except DomainError:
        return False
    return True


# --- static files ---------------------------------------------------------------------------------

@router.get("/static/vendor/plotly.min.js")
def plotly_js(request: Request) -> Response:
    """plotly.js as shipped in the installed ``plotly`` Python package, gzip-compressed when accepted."""
    body, etag = plotly_js_gzip()
    headers = {"Cache-Control": "public, max-age=86400", "ETag": etag, "Vary": "Accept-Encoding"}
    if request.headers.get("if-none-match") == etag:
        return Response(status_code=304, headers=headers)
    if "gzip" in request.headers.get("accept-encoding", ""):
        return Response(body, media_type="text/javascript; charset=utf-8",
                        headers={**headers, "Content-Encoding": "gzip"})
    return FileResponse(plotly_js_path(), media_type="text/javascript; charset=utf-8", headers=headers)


def install(app: FastAPI) -> None:
    """Mount the web pages and static files on the app."""
    from sandan.web import quality  # the quality pages use this module's helpers, so they are imported here
    from sandan.web.nav import domain_modules

    app.include_router(router)
    app.include_router(quality.router)
    for module in domain_modules():
        app.include_router(module.router)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")

