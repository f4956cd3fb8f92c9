"""Routes of control: the allow-list, two-step commands, and the gateway's poll and acknowledgement."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request

from sandan.core.http import (
    BODY_PROBLEMS,
    SIGNED_IN_PROBLEMS,
    IdPath,
    PageDep,
    PrincipalDep,
    RateLimiter,
    SessionDep,
    page_body,
    problem_responses,
)
from sandan.ingest.control import schemas, service


def _rate_limited(request: Request, principal: PrincipalDep) -> None:
    """Every caller of the command routes (an admin, a gateway polling) gets the ingest rate per minute."""
    limiter = getattr(request.app.state, "command_limiter", None)
    if limiter is None:
        limiter = request.app.state.command_limiter = RateLimiter(request.app.state.settings.ingest_rate_per_minute)
    limiter.hit(f"commands:{principal.user_id}:{principal.name}")


router = APIRouter(responses={**SIGNED_IN_PROBLEMS, **problem_responses(429)}, dependencies=[Depends(_rate_limited)])
StatusQuery = Annotated[Literal["requested", "confirmed", "sent", "done", "failed", "expired", "cancelled"] | None,
                        Query(description="only commands in this status")]


@router.put("/controls/{point_id}", tags=["control"], response_model=schemas.ControlRead, responses=BODY_PROBLEMS)
def put_control(session: SessionDep, point_id: IdPath, data: schemas.ControlPut) -> Any:
    """Declare a point controllable (or change its entry): limits, the gateway and device that
    execute it, the Modbus register or OPC UA node to write, who confirms and the deadlines.
    Company admins of the point's company, or the platform."""
    return service.put_control(session, point_id, data)


@router.get("/controls", tags=["control"], response_model=schemas.ControlPage)
def list_controls(session: SessionDep, page: PageDep) -> Any:
    """The allow-list of controllable points the caller may see."""
    items = service.list_controls(session, after_id=page.after_id, limit=page.limit)
    return page_body([schemas.ControlRead.model_validate(i) for i in items], page.limit)


@router.post("/commands", tags=["control"], status_code=201, response_model=schemas.CommandRead,
             responses=BODY_PROBLEMS)
def request_command(session: SessionDep, data: schemas.CommandCreate) -> Any:
    """Step one: request a value on an allow-listed point.  A value outside the point's limits is
    refused (422, naming the limit); the command waits for confirmation (``requested``)."""
    return service.request_command(session, data)


@router.get("/commands", tags=["control"], response_model=schemas.CommandPage)
def list_commands(session: SessionDep, page: PageDep, status: StatusQuery = None) -> Any:
    """Commands the caller may see, oldest first."""
    items = service.list_commands(session, status=status, after_id=page.after_id, limit=page.limit)
    return page_body([schemas.CommandRead.model_validate(i) for i in items], page.limit)


@router.get("/commands/{command_id}", tags=["control"], response_model=schemas.CommandRead)
def get_command(session: SessionDep, command_id: IdPath) -> Any:
    """One command with who requested and confirmed it and what the gateway read back."""
    return service.get_command(session, command_id)


@router.post("/commands/{command_id}/confirm", tags=["control"], response_model=schemas.CommandRead)
def confirm_command(session: SessionDep, command_id: IdPath) -> Any:
    """Step two: confirm a requested command, so its gateway executes it.  By default a different
    admin than the requester must confirm when the company has one (the point's ``confirm_policy``)."""
    return service.confirm_command(session, command_id)


@router.post("/commands/{command_id}/cancel", tags=["control"], response_model=schemas.CommandRead)
def cancel_command(session: SessionDep, command_id: IdPath) -> Any:
    """Withdraw a requested or confirmed command before its gateway received it (409 once sent)."""
    return service.cancel_command(session, command_id)


@router.get("/gateway/commands", tags=["control"], response_model=schemas.GatewayCommands)
def gateway_commands(session: SessionDep) -> Any:
    """For a gateway's device token: its company's confirmed commands addressed to it (each marked
    ``sent``); repeated until acknowledged.  Empty for every other caller."""
    items = [schemas.GatewayCommand(id=c.id, point=point, value=c.value, device=str(c.target.get("device", "")),
                                    protocol=str(c.target.get("protocol", "")),
                                    address=dict(c.target.get("address", {})), expires_at=c.expires_at)
             for c, point in service.gateway_commands(session)]
    return {"items": items}


@router.post("/gateway/commands/{command_id}/ack", tags=["control"], response_model=schemas.CommandRead,
             responses=BODY_PROBLEMS)
def ack_command(session: SessionDep, command_id: IdPath, data: schemas.CommandAck) -> Any:
    """The gateway's acknowledgement: ``done`` or ``failed``, the value read back and a message.
    Only the gateway the command was sent to; any other command answers 404."""
    return service.ack_command(session, command_id, data)
