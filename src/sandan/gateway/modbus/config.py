"""Configuration of one Modbus TCP device and its register map."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from sandan.gateway.modbus.codec import WIDTH, DataType, WordOrder


class RegisterSpec(BaseModel):
    """One value in the device's register map, feeding one platform point."""

    model_config = ConfigDict(extra="forbid")

    point: str = Field(min_length=1, description="platform point code the value feeds")
    address: int = Field(ge=0, le=65535, description="first register, 0-based as on the wire")
    register_type: Literal["holding", "input"] = "holding"
    type: DataType = "uint16"
    scale: float = 1.0
    offset: float = 0.0
    word_order: WordOrder | None = Field(None, description="overrides the device's word_order")
    byte_order: WordOrder | None = Field(None, description="overrides the device's byte_order")
    unit: str | None = None

    @property
    def width(self) -> int:
        return WIDTH[self.type]

    @model_validator(mode="after")
    def _fits(self) -> RegisterSpec:
        if self.address + self.width - 1 > 65535:
            raise ValueError(f"a {self.type} at address {self.address} runs past register 65535")
        if self.scale == 0:
            raise ValueError("scale may not be 0")
        return self


class ModbusDevice(BaseModel):
    """A Modbus TCP device (a meter, or a serial line behind a TCP gateway with ``unit_id``)."""

    model_config = ConfigDict(extra="forbid")

    protocol: Literal["modbus"]
    name: str = Field(min_length=1)
    host: str = Field(min_length=1)
    port: int = Field(502, ge=1, le=65535)
    unit_id: int = Field(1, ge=0, le=255)
    poll_interval_s: float = Field(60.0, gt=0)
    timeout_s: float = Field(3.0, gt=0)
    word_order: WordOrder = "big"
    byte_order: WordOrder = "big"
    max_gap: int = Field(0, ge=0, le=100, description="unused registers a single read may span")
    registers: list[RegisterSpec] = Field(min_length=1)
    writable: list[int] = Field(default_factory=list, description=(
        "holding registers platform commands may write (first register of each value); none by default"))
