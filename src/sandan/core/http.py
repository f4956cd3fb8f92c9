"""What every HTTP route shares: the request's session and principal, problem+json errors,
cursor pagination and table export.

``SessionDep`` opens one transaction per request with the caller's principal attached, so the
access policy applies to every query the route's service makes; it commits before the response
is sent (``scope="function"``), so a failed commit is an error response, never a lost write.
"""

from __future__ import annotations

import base64
import io
import json
import logging
import re
import time
from collections import defaultdict, deque
from collections.abc import Iterator
from typing import Annotated, Any, Literal

import pandas as pd
from fastapi import Depends, FastAPI, Path, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, ConfigDict
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm import Session
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from sandan.core.auth.policy import Principal
from sandan.core.auth.service import principal_for_user, user_for_token
from sandan.core.errors import DomainError, InvalidInput, TooManyRequests, Unauthenticated

log = logging.getLogger("sandan.http")
PROBLEM = "application/problem+json"
#: Row ids are 32-bit integers on both databases; a larger number is refused before it reaches one.
MAX_ID = 2**31 - 1
IdPath = Annotated[int, Path(ge=1, le=MAX_ID, description="row id")]
IdQuery = Annotated[int | None, Query(ge=1, le=MAX_ID, description="row id")]


# --- problem+json (RFC 9457) -------------------------------------------------------------------

def problem(status: int, title: str, detail: str, *, type_slug: str = "about:blank", instance: str = "",
            **extra: Any) -> JSONResponse:
    body: dict[str, Any] = {
        "type": type_slug if type_slug == "about:blank" else f"https://sandan.dev/problems/{type_slug}",
        "title": title, "status": status, "detail": detail}
    if instance:
        body["instance"] = instance
    body.update({k: v for k, v in extra.items() if v is not None})
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return JSONResponse(body, status_code=status, media_type=PROBLEM, headers=headers)


def _domain_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, DomainError)
    return problem(exc.status, exc.title, exc.detail, type_slug=exc.type_slug, instance=request.url.path,
                   field=exc.field, data=exc.data or None)


def _validation_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    errors = [{"loc": [str(p) for p in e.get("loc", ())], "msg": str(e.get("msg", "")), "type": e.get("type", "")}
              for e in exc.errors()]
    first = errors[0] if errors else {"loc": [], "msg": "invalid request"}
    where = ".".join(first["loc"][1:] if len(first["loc"]) > 1 else first["loc"])
    detail = f"{where}: {first['msg']}" if where else str(first["msg"])
    return problem(422, "Invalid request", detail, type_slug="invalid-request", instance=request.url.path,
                   errors=errors)


_HTTP_TITLES = {400: ("Bad request", "bad-request"), 401: ("Authentication required", "unauthenticated"),
                404: ("Not found", "not-found"), 405: ("Method not allowed", "method-not-allowed"),
                413: ("Request body too large", "too-large")}


def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    title, slug = _HTTP_TITLES.get(exc.status_code, ("Error", "about:blank"))
    detail = str(exc.detail)
    if exc.status_code == 400 and exc.__cause__ is not None:
        # FastAPI's "error parsing the body" (a body that is not UTF-8, say): say what it was
        detail = f"{detail}: {exc.__cause__}"
    response = problem(exc.status_code, title, detail, type_slug=slug, instance=request.url.path)
    if exc.headers:
        response.headers.update(exc.headers)
    return response


def _integrity_error(request: Request, exc: Exception) -> Response:
    return problem(409, "Conflict", "the change clashes with stored data (a duplicate or a missing reference)",
                   type_slug="conflict", instance=request.url.path)


def _unexpected(request: Request, exc: Exception) -> Response:
    log.exception("unexpected error on %s", request.url.path)
    return problem(500, "Internal error", "something went wrong on our side; it has been logged",
                   instance=request.url.path)


#: PostgreSQL SQLSTATEs that mean "try the same request again": deadlock, serialization failure,
#: lock not available, and the server restarting under us.
_RETRYABLE = {"40P01", "40001", "55P03", "57P01", "57P02", "57P03", "08006", "08001"}


def _database_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, DBAPIError)
    code = getattr(exc.orig, "sqlstate", None) or getattr(exc.orig, "pgcode", None)
    if exc.connection_invalidated or code in _RETRYABLE:
        response = problem(503, "Try again", "the database was busy with a concurrent change or briefly "
                           "unavailable; nothing was stored — send the same request again",
                           type_slug="retry", instance=request.url.path)
        response.headers["Retry-After"] = "1"
        return response
    return _unexpected(request, exc)


def install_problem_handlers(app: FastAPI) -> None:
    app.add_exception_handler(DomainError, _domain_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(IntegrityError, _integrity_error)
    app.add_exception_handler(DBAPIError, _database_error)
    app.add_exception_handler(Exception, _unexpected)


class BodyLimit:
    """Refuse request bodies over ``max_bytes`` with 413 problem+json.

    A declared ``Content-Length`` over the limit is refused before anything reads the body; a
    chunked (or understated) body is cut off as soon as it passes the limit while it is read.
    The cut-off is an HTTP 413 raised from ``receive``: FastAPI passes HTTP exceptions through
    its body parsing (anything else it would answer as "400 error parsing the body").
    """

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        length = headers.get(b"content-length")
        if length is not None and (not length.isdigit() or int(length) > self.max_bytes):
            await self._refuse(scope, receive, send)
            return
        seen = 0

        async def limited() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_bytes:
                    raise StarletteHTTPException(413, self._detail())
            return message

        await self.app(scope, limited, send)

    def _detail(self) -> str:
        return f"the body is over {self.max_bytes} bytes; send smaller batches"

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = problem(413, "Request body too large", self._detail(), type_slug="too-large",
                           instance=scope.get("path", ""))
        await response(scope, receive, send)


class RefuseNul:
    """Refuse a URL holding a NUL character (``%00``) with 422 problem+json before any route sees
    it: no route needs one, and PostgreSQL refuses NUL in text with an error, not an answer."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and (b"%00" in scope.get("query_string", b"") or "\x00" in scope.get("path", "")):
            response = problem(422, "Invalid request", "the URL holds a NUL character (%00)",
                               type_slug="invalid-request", instance=scope.get("path", "").replace("\x00", ""))
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)


# --- problem+json in the OpenAPI document -------------------------------------------------------

class Problem(BaseModel):
    """An RFC 9457 problem: what went wrong, in words a person can act on."""

    model_config = ConfigDict(extra="allow")
    type: str
    title: str
    status: int
    detail: str
    instance: str | None = None
    field: str | None = None
    errors: list[dict[str, Any]] | None = None
    data: dict[str, Any] | None = None


_PROBLEM_DESCRIPTIONS = {
    400: "the request body could not be read (not UTF-8 JSON)",
    401: "not signed in, or the token is unknown, expired or revoked",
    403: "the caller may see the thing but not do this to it",
    404: "not found, or not visible to the caller (the two are never told apart)",
    409: "the request clashes with stored data (a duplicate, a row still in use)",
    413: "the request body is over the size limit",
    422: "a value in the request is wrong; ``detail`` and ``field`` say which",
    429: "too many attempts; wait a minute",
}


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` declaring problem+json bodies for ``statuses``."""
    schema = {"$ref": "#/components/schemas/Problem"}
    return {status: {"description": _PROBLEM_DESCRIPTIONS[status], "content": {PROBLEM: {"schema": schema}}}
            for status in statuses}


#: What every signed-in route may answer besides its success.
SIGNED_IN_PROBLEMS = problem_responses(401, 403, 404, 409, 422)
#: What a route that takes a request body may answer besides.
BODY_PROBLEMS = problem_responses(400, 413)


def install_problem_schema(app: FastAPI) -> None:
    """Add the ``Problem`` schema that :func:`problem_responses` refers to to the app's OpenAPI document."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        document = generate()
        document.setdefault("components", {}).setdefault("schemas", {})["Problem"] = Problem.model_json_schema()
        return document

    app.openapi = openapi  # type: ignore[method-assign]


# --- session and principal ---------------------------------------------------------------------

def _authenticate(request: Request, session: Session) -> Principal:
    header = request.headers.get("authorization", "")
    if header:
        scheme, _, value = header.partition(" ")
        if scheme.lower() != "bearer" or not value.strip():
            raise Unauthenticated("use 'Authorization: Bearer <token>'")
        return principal_for_user(session, user_for_token(session, value.strip()))
    user_id = request.session.get("uid") if "session" in request.scope else None
    if user_id:
        from sandan.core.auth.models import User

        session.info["principal"] = Principal.system("session")
        signed_in = session.get(User, int(user_id))
        session.info["principal"] = None
        if signed_in is not None and signed_in.is_active:
            return principal_for_user(session, signed_in)
    raise Unauthenticated("sign in, or send a bearer token")


_bearer_scheme = HTTPBearer(auto_error=False, description="a token from POST /api/v1/auth/token or /tokens")


def get_session(request: Request,
                _credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer_scheme)] = None,
                ) -> Iterator[Session]:
    """The request's session, with the caller's principal; the bearer scheme is declared for OpenAPI
    (the header itself is read by :func:`_authenticate`, which also accepts the signed session cookie)."""
    db = request.app.state.db
    with db.session() as session:
        session.info["principal"] = _authenticate(request, session)
        request.state.principal = session.info["principal"]
        yield session


SessionDep = Annotated[Session, Depends(get_session, scope="function")]


def get_principal(session: SessionDep) -> Principal:
    return session.info["principal"]  # type: ignore[no-any-return]


PrincipalDep = Annotated[Principal, Depends(get_principal)]


# --- pagination --------------------------------------------------------------------------------

def encode_cursor(last_id: int) -> str:
    return base64.urlsafe_b64encode(json.dumps({"after": last_id}).encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> int:
    if not cursor:
        return 0
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        value = json.loads(base64.urlsafe_b64decode(padded.encode()))
        after = value["after"]
    except (ValueError, KeyError, TypeError, IndexError) as exc:
        raise InvalidInput("the cursor is not one this API gave out", field="cursor") from exc
    if isinstance(after, bool) or not isinstance(after, int) or not 0 <= after <= MAX_ID:
        raise InvalidInput("the cursor is not one this API gave out", field="cursor")
    return after


class PageParams:
    def __init__(self, cursor: Annotated[str | None, Query(max_length=200)] = None,
                 limit: Annotated[int, Query(ge=1, le=1000)] = 50) -> None:
        self.after_id = decode_cursor(cursor)
        self.limit = limit


PageDep = Annotated[PageParams, Depends()]


def page_body(items: list[Any], limit: int) -> dict[str, Any]:
    next_cursor = encode_cursor(items[-1].id) if len(items) == limit else None
    return {"items": items, "next_cursor": next_cursor}


# --- export ------------------------------------------------------------------------------------

EXPORT_TYPES = {"csv": "text/csv; charset=utf-8",
                "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
#: OpenAPI ``responses`` of a route whose 200 may also be a CSV or XLSX download.
FILE_RESPONSES: dict[int | str, dict[str, Any]] = {200: {"content": {
    "text/csv": {"schema": {"type": "string"}},
    EXPORT_TYPES["xlsx"]: {"schema": {"type": "string", "format": "binary"}}}}}


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
#: Characters XML 1.0 (so XLSX) cannot hold: C0 controls other than tab, newline and return.
_XLSX_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def _safe_cell(value: Any, fmt: str) -> Any:
    """A text cell a spreadsheet shows as text: never run as a formula (a name such as
    ``=HYPERLINK(…)`` gets a leading apostrophe, as OWASP advises against CSV injection), and
    without the control characters XLSX cannot store."""
    if not isinstance(value, str):
        return value
    if fmt == "xlsx":
        value = _XLSX_ILLEGAL.sub("\ufffd", value)
    return "'" + value if value.startswith(_FORMULA_START) else value


def export_frame(frame: pd.DataFrame, fmt: str, filename: str) -> Response:
    """A table as a CSV (UTF-8 with BOM, so Excel shows Korean) or XLSX download."""
    if fmt not in EXPORT_TYPES:
        raise InvalidInput("format must be csv or xlsx", field="format")
    out = frame.copy()
    for column in out.columns:
        if isinstance(out[column].dtype, pd.DatetimeTZDtype):
            out[column] = out[column].dt.tz_convert("Asia/Seoul").dt.strftime("%Y-%m-%d %H:%M:%S%z")
        elif out[column].dtype == object or pd.api.types.is_string_dtype(out[column].dtype):
            out[column] = out[column].map(lambda v: _safe_cell(v, fmt))
    if fmt == "csv":
        body = out.to_csv(index=False).encode("utf-8-sig")
    else:
        buffer = io.BytesIO()
        out.to_excel(buffer, index=False, engine="openpyxl")
        body = buffer.getvalue()
    safe_name = re.sub(r"[^A-Za-z0-9._-]", "_", filename)[:120] or "export"
    return Response(body, media_type=EXPORT_TYPES[fmt],
                    headers={"Content-Disposition": f'attachment; filename="{safe_name}.{fmt}"'})


# --- rate limit --------------------------------------------------------------------------------

class RateLimiter:
    """A sliding-window limit per key (login attempts per client address)."""

    def __init__(self, per_minute: int) -> None:
        self.per_minute = per_minute
        self._hits: dict[str, deque[float]] = defaultdict(deque)

    def hit(self, key: str) -> None:
        now = time.monotonic()
        hits = self._hits[key]
        while hits and now - hits[0] > 60:
            hits.popleft()
        if len(hits) >= self.per_minute:
            raise TooManyRequests("too many attempts; wait a minute and try again")
        hits.append(now)


#: The ``format`` query parameter of every list and series: JSON, or a CSV / XLSX download.
ExportFormat = Annotated[Literal["json", "csv", "xlsx"], Query(description="json, or a csv / xlsx download")]
#: Rows at most in one CSV / XLSX download.
EXPORT_LIMIT = 100_000
