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
import time
from collections import defaultdict, deque
from collections.abc import Iterator
from typing import Annotated, Any

import pandas as pd
from fastapi import Depends, FastAPI, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from sandan.core.auth.policy import Principal
from sandan.core.auth.service import principal_for_user, user_for_token
from sandan.core.errors import DomainError, InvalidInput, TooManyRequests, Unauthenticated

log = logging.getLogger("sandan.http")
PROBLEM = "application/problem+json"


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


def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    titles = {404: "Not found", 405: "Method not allowed", 401: "Authentication required", 413: "Too large"}
    return problem(exc.status_code, titles.get(exc.status_code, "Error"), str(exc.detail),
                   instance=request.url.path)


def _integrity_error(request: Request, exc: Exception) -> Response:
    return problem(409, "Conflict", "the change clashes with stored data (a duplicate or a missing reference)",
                   type_slug="conflict", instance=request.url.path)


def _unexpected(request: Request, exc: Exception) -> Response:
    log.exception("unexpected error on %s", request.url.path)
    return problem(500, "Internal error", "something went wrong on our side; it has been logged",
                   instance=request.url.path)


def install_problem_handlers(app: FastAPI) -> None:
    app.add_exception_handler(DomainError, _domain_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(IntegrityError, _integrity_error)
    app.add_exception_handler(Exception, _unexpected)


class BodyLimit:
    """Refuse request bodies over ``max_bytes`` with 413 problem+json before anything reads them."""

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
                    raise _TooLarge
            return message

        try:
            await self.app(scope, limited, send)
        except _TooLarge:
            await self._refuse(scope, receive, send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = problem(413, "Request body too large", f"the body is over {self.max_bytes} bytes; send "
                           "smaller batches", type_slug="too-large")
        await response(scope, receive, send)


class _TooLarge(Exception):
    pass


# --- session and principal ---------------------------------------------------------------------

def _authenticate(request: Request, session: Session) -> Principal:
    header = request.headers.get("authorization", "")
    if header:
        scheme, _, value = header.partition(" ")
        if scheme.lower() != "bearer" or not value.strip():
            raise Unauthenticated("use 'Authorization: Bearer <token>'")
        user = user_for_token(session, value.strip())
        return principal_for_user(session, user)
    user_id = request.session.get("uid") if "session" in request.scope else None
    if user_id:
        from sandan.core.auth.models import User

        session.info["principal"] = Principal.system("session")
        user = session.get(User, int(user_id))
        session.info["principal"] = None
        if user is not None and user.is_active:
            return principal_for_user(session, user)
    raise Unauthenticated("sign in, or send a bearer token")


def get_session(request: Request) -> Iterator[Session]:
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
        after = int(value["after"])
    except (ValueError, KeyError, TypeError, json.JSONDecodeError) as exc:
        raise InvalidInput("the cursor is not one this API gave out", field="cursor") from exc
    if after < 0:
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


def export_frame(frame: pd.DataFrame, fmt: str, filename: str) -> Response:
    """A table as a CSV (UTF-8 with BOM, so Excel shows Korean) or XLSX download."""
    if fmt not in EXPORT_TYPES:
        raise InvalidInput("format must be csv or xlsx", field="format")
    out = frame.copy()
    for column in out.columns:
        if isinstance(out[column].dtype, pd.DatetimeTZDtype):
            out[column] = out[column].dt.tz_convert("Asia/Seoul").dt.strftime("%Y-%m-%d %H:%M:%S%z")
    if fmt == "csv":
        body = out.to_csv(index=False).encode("utf-8-sig")
    else:
        buffer = io.BytesIO()
        out.to_excel(buffer, index=False, engine="openpyxl")
        body = buffer.getvalue()
    return Response(body, media_type=EXPORT_TYPES[fmt],
                    headers={"Content-Disposition": f'attachment; filename="{filename}.{fmt}"'})


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
