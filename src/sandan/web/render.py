"""Templates, static files and formatting shared by every page.

Pages render through :func:`render`, which adds what the layout needs (the translator, the
viewer, the header complex, links to static files with a content hash so browsers may cache them
for long).  Numbers and times are formatted here, times always in Asia/Seoul.
"""

from __future__ import annotations

import datetime as dt
import gzip
import hashlib
import json
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from babel.numbers import format_decimal
from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

from sandan.core.timeutil import KST
from sandan.web.i18n import LANGUAGE_NAMES, LANGUAGES, Translator

STATIC_DIR = Path(__file__).resolve().parent / "static"
#: Pages load scripts only from this origin; plotly sets inline styles, so styles may be inline.
CONTENT_SECURITY_POLICY = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
                           "img-src 'self' data: blob:; connect-src 'self'; frame-ancestors 'none'; "
                           "base-uri 'self'; form-action 'self'")


@dataclass(frozen=True)
class Viewer:
    """The signed-in user as the layout shows them (plain values: usable after the session closed)."""

    user_id: int
    name: str
    email: str
    home_complex_id: int | None = None
    home_company_id: int | None = None
    roles: frozenset[str] = field(default_factory=frozenset)


@dataclass(frozen=True)
class HeaderComplex:
    id: int
    name: str


@lru_cache(maxsize=1)
def environment() -> Environment:
    env = Environment(loader=PackageLoader("sandan.web", "templates"), autoescape=select_autoescape(["html"]),
                      undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    env.globals["static"] = static_url
    env.filters["json_data"] = json_data
    return env


@lru_cache(maxsize=64)
def _file_hash(name: str) -> str:
    return hashlib.sha256((STATIC_DIR / name).read_bytes()).hexdigest()[:10]


def static_url(name: str) -> str:
    """URL of a file in ``web/static`` with its content hash (a changed file gets a new URL)."""
    return f"/static/{name}?v={_file_hash(name)}"


def json_data(value: Any) -> Markup:
    """JSON for a ``<script type="application/json">`` block (``<`` escaped so it cannot close the tag)."""
    text = json.dumps(value, ensure_ascii=False, default=str)
    return Markup(text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026"))


def number(value: float | None, language: str, digits: int = 1) -> str:
    """A number with grouping in the user's locale; None (no data) is an em dash."""
    if value is None:
        return "—"
    return format_decimal(round(value, digits), format=f"#,##0.{'0' * digits}" if digits else "#,##0",
                          locale="ko_KR" if language == "ko" else "en_US")


def kst(value: dt.datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """A time on the Korean clock (stored UTC, shown KST)."""
    if value is None:
        return "—"
    return value.astimezone(KST).strftime(fmt)


def nav_entries(viewer: Viewer | None) -> list[tuple[str, str]]:
    """The domains' links for the main navigation (see :mod:`sandan.web.nav`)."""
    from sandan.web.nav import entries  # nav imports Viewer from here

    return entries(viewer)


def render(request: Request, template: str, tr: Translator, *, viewer: Viewer | None = None,
           header_complex: HeaderComplex | None = None, status_code: int = 200, **context: Any) -> HTMLResponse:
    """Render a page in the user's language inside the layout."""
    language = tr.language
    body = environment().get_template(template).render(
        request=request, _=tr, lang=language, languages=[(code, LANGUAGE_NAMES[code]) for code in LANGUAGES],
        viewer=viewer, header_complex=header_complex, here=_here(request), domain_nav=nav_entries(viewer),
        num=lambda value, digits=1: number(value, language, digits), kst=kst, **context)
    response = HTMLResponse(body, status_code=status_code)
    response.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "same-origin"
    response.headers["Cache-Control"] = "no-store"
    response.headers["Content-Language"] = language
    return response


def _here(request: Request) -> str:
    """The current path and query, for ``next=`` links back to this page."""
    query = request.url.query
    return request.url.path + (f"?{query}" if query else "")


# --- plotly.js from the installed Python package -------------------------------------------------

def plotly_js_path() -> Path:
    """``plotly.min.js`` shipped inside the ``plotly`` Python package (never copied into this repo)."""
    return Path(str(resources.files("plotly").joinpath("package_data", "plotly.min.js")))


@lru_cache(maxsize=1)
def plotly_js_gzip() -> tuple[bytes, str]:
    """The gzip-compressed bundle (about a third of its 4.8 MB) and an ETag, made once per process."""
    raw = plotly_js_path().read_bytes()
    return gzip.compress(raw, compresslevel=6, mtime=0), '"' + hashlib.sha256(raw).hexdigest()[:16] + '"'
