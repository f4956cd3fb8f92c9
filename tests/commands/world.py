"""Control rows for the API tests' world: every tenant's main meter is allow-listed (0..100) and
has one requested command, addressed to the device account of company A's gateway."""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy.orm import Session

from sandan.ingest.control import schemas, service
from tests.factories import Tenant, system

GATEWAY = "device@sandan.test"


def add_controls(session: Session, tenants: Mapping[str, Tenant]) -> dict[str, int]:
    """Allow-list each tenant's main point and request one command on it; the command ids by tenant."""
    system(session)
    commands: dict[str, int] = {}
    for name, tenant in tenants.items():
        service.put_control(session, tenant.main_point_id, schemas.ControlPut(
            min_value=0, max_value=100, gateway=GATEWAY, device="main-meter", protocol="modbus",
            modbus=schemas.ModbusAddress(address=100), confirm_within_s=86_400))
        commands[name] = service.request_command(session, schemas.CommandCreate(
            point_id=tenant.main_point_id, value=10, reason="world")).id
    return commands
