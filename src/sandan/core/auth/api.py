"""Routes of identity: sign in for a token, the caller, token management."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response
from sqlalchemy import select

from sandan.core.auth import schemas, service
from sandan.core.auth.models import ApiToken, User
from sandan.core.auth.policy import Principal
from sandan.core.errors import Forbidden, NotFound
from sandan.core.http import IdPath, PrincipalDep, RateLimiter, SessionDep, problem_responses

router = APIRouter(tags=["identity"])


@router.post("/auth/token", response_model=schemas.TokenIssued, status_code=201,
             responses=problem_responses(400, 401, 413, 422, 429))
def issue_token(request: Request, data: schemas.TokenRequest) -> Any:
    """Sign in with e-mail and password and receive a bearer token (rate limited per address)."""
    limiter: RateLimiter = request.app.state.login_limiter
    limiter.hit(request.client.host if request.client else "unknown")
    with request.app.state.db.session() as session:
        user = service.login(session, data.email, data.password)
        session.info["principal"] = Principal(user_id=user.id, name=user.email)
        token, plain = service.create_token(session, user, data.name, days=data.days)
        return schemas.TokenIssued.model_validate({**schemas.TokenRead.model_validate(token).model_dump(),
                                                   "token": plain})


@router.get("/me", response_model=schemas.Me, responses=problem_responses(401))
def me(principal: PrincipalDep) -> Any:
    return schemas.Me(user_id=principal.user_id, email=principal.name, roles=sorted(principal.roles),
                      companies=sorted(principal.companies_read),
                      complexes=sorted(principal.complexes_read), is_admin=principal.is_admin)


@router.get("/tokens", response_model=list[schemas.TokenRead], responses=problem_responses(401))
def list_tokens(session: SessionDep, principal: PrincipalDep) -> Any:
    """The caller's own tokens (a platform admin revokes others' by id, but lists only its own)."""
    return list(session.execute(select(ApiToken).where(ApiToken.user_id == (principal.user_id or -1))
                                .order_by(ApiToken.id)).scalars())


@router.post("/tokens", response_model=schemas.TokenIssued, status_code=201,
             responses=problem_responses(400, 401, 403, 404, 413, 422))
def create_token(session: SessionDep, principal: PrincipalDep, data: schemas.TokenCreate) -> Any:
    user = session.get(User, principal.user_id) if principal.user_id else None
    if user is None:
        raise NotFound("no user behind this principal")
    if principal.is_device:
        # a stolen device token must not be able to outlive its revocation by minting another
        raise Forbidden("a device cannot issue tokens; a company admin issues device tokens")
    token, plain = service.create_token(session, user, data.name, days=data.days)
    return {**schemas.TokenRead.model_validate(token).model_dump(), "token": plain}


@router.delete("/tokens/{token_id}", status_code=204, responses=problem_responses(401, 404, 422))
def revoke_token(session: SessionDep, token_id: IdPath) -> Response:
    service.revoke_token(session, token_id)
    return Response(status_code=204)
