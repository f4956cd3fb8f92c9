"""API shapes of control: allow-list entries, commands, and what a gateway sees and answers."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from sandan.core.tenancy.schemas import UtcDatetime, WriteModel
from sandan.ingest.control.models import ConfirmPolicy

DataType = Literal["uint16", "int16", "uint32", "int32", "float32"]
WordOrder = Literal["big", "little"]


class ModbusAddress(WriteModel):
    """A holding register (or two, for 32-bit types) written with function code 6 or 16."""

    address: int = Field(ge=0, le=65534, description="first holding register, 0-based as on the wire")
    type: DataType = "uint16"
    scale: float = Field(1.0, description="engineering value = raw * scale + offset [point unit per count]")
    offset: float = 0.0
    word_order: WordOrder = "big"
    byte_order: WordOrder = "big"
    unit_id: int | None = Field(None, ge=0, le=255, description="overrides the device's unit id")

    @model_validator(mode="after")
    def _scale(self) -> ModbusAddress:
        if self.scale == 0:
            raise ValueError("scale may not be 0")
        return self


class OpcUaAddress(WriteModel):
    node_id: str = Field(min_length=3, max_length=200, pattern=r"^(ns=\d+;)?[isgb]=.+$",
                         description="e.g. 'ns=2;s=Boiler.Setpoint'")
    scale: float = 1.0
    offset: float = 0.0

    @model_validator(mode="after")
    def _scale(self) -> OpcUaAddress:
        if self.scale == 0:
            raise ValueError("scale may not be 0")
        return self


class ControlPut(WriteModel):
    """Declare (or change) a point as controllable."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False, json_schema_extra={"examples": [{
        "min_value": 0, "max_value": 100, "gateway": "gw@c1.example.kr", "device": "main-meter",
        "protocol": "modbus", "modbus": {"address": 100, "type": "uint16", "scale": 1}}]})

    min_value: float = Field(description="lowest value a command may set [point unit]")
    max_value: float = Field(description="highest value a command may set [point unit]")
    gateway: str = Field(min_length=1, max_length=200,
                         description="the device account (e-mail) whose token the executing gateway uses")
    device: str = Field(min_length=1, max_length=100, description="the device's name in the gateway's configuration")
    protocol: Literal["modbus", "opcua"]
    modbus: ModbusAddress | None = None
    opcua: OpcUaAddress | None = None
    confirm_policy: ConfirmPolicy = ConfirmPolicy.other_if_available
    confirm_within_s: int = Field(600, ge=10, le=86_400, description="a request not confirmed by then expires [s]")
    execute_within_s: int = Field(300, ge=10, le=86_400,
                                  description="a confirmed command not acknowledged by then expires [s]")
    enabled: bool = True

    @model_validator(mode="after")
    def _consistent(self) -> ControlPut:
        if self.min_value > self.max_value:
            raise ValueError("min_value is above max_value")
        if self.protocol == "modbus" and self.modbus is None:
            raise ValueError("protocol modbus needs 'modbus': {address, type, scale}")
        if self.protocol == "opcua" and self.opcua is None:
            raise ValueError("protocol opcua needs 'opcua': {node_id}")
        return self

    def address(self) -> dict[str, Any]:
        chosen = self.modbus if self.protocol == "modbus" else self.opcua
        assert chosen is not None
        return chosen.model_dump()


class _Read(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class ControlRead(_Read):
    id: int
    company_id: int
    point_id: int
    min_value: float
    max_value: float
    gateway: str
    device: str
    protocol: str
    address: dict[str, Any]
    confirm_policy: str
    confirm_within_s: int
    execute_within_s: int
    enabled: bool
    updated_at: UtcDatetime


class ControlPage(BaseModel):
    items: list[ControlRead]
    next_cursor: str | None


class CommandCreate(WriteModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False, json_schema_extra={"examples": [{
        "point_id": 1, "value": 50, "reason": "peak demand: shed the compressor"}]})

    point_id: int = Field(ge=1, le=2**31 - 1)
    value: float = Field(description="the value to set [point unit]")
    reason: str = Field("", max_length=500)


class CommandRead(_Read):
    id: int
    company_id: int
    point_id: int
    gateway: str
    value: float
    status: str
    reason: str
    requested_by: int | None
    requested_by_name: str
    requested_at: UtcDatetime
    confirmed_by: int | None
    confirmed_by_name: str
    confirmed_at: UtcDatetime | None
    expires_at: UtcDatetime
    sent_at: UtcDatetime | None
    acked_at: UtcDatetime | None
    readback: float | None
    message: str


class CommandPage(BaseModel):
    items: list[CommandRead]
    next_cursor: str | None


class GatewayCommand(BaseModel):
    """A confirmed command as its gateway sees it: what to write where, and until when."""

    id: int
    point: str
    value: float
    device: str
    protocol: str
    address: dict[str, Any]
    expires_at: UtcDatetime


class GatewayCommands(BaseModel):
    items: list[GatewayCommand]


class CommandAck(WriteModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False, json_schema_extra={"examples": [{
        "status": "done", "readback": 50, "message": "wrote holding 100 = 50, read back 50"}]})

    status: Literal["done", "failed"]
    readback: float | None = Field(None, description="the value read back after writing [point unit]")
    message: str = Field("", max_length=500)
