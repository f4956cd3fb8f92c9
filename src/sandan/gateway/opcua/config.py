"""Configuration of one OPC UA server and the nodes read from it."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator


class NodeSpec(BaseModel):
    """One variable node feeding one platform point."""

    model_config = ConfigDict(extra="forbid")

    node_id: str = Field(min_length=1, description="e.g. 'ns=2;s=GasMeter.Volume' or 'ns=3;i=1002'")
    point: str = Field(min_length=1)
    scale: float = 1.0
    offset: float = 0.0
    unit: str | None = None

    @field_validator("node_id")
    @classmethod
    def _parsable(cls, value: str) -> str:
        if not any(part.strip().split("=", 1)[0] in {"i", "s", "g", "b"} for part in value.split(";")):
            raise ValueError(f"{value!r} is not an OPC UA node id (write it as 'ns=2;s=Name' or 'ns=2;i=1234')")
        return value


class OpcUaServer(BaseModel):
    """An OPC UA server (endpoint ``opc.tcp://host:port/path``), read without security or signed+encrypted."""

    model_config = ConfigDict(extra="forbid")

    protocol: Literal["opcua"]
    name: str = Field(min_length=1)
    endpoint: str = Field(pattern=r"^opc\.tcp://", description="opc.tcp://host:port/path")
    mode: Literal["subscribe", "poll"] = "subscribe"
    poll_interval_s: float = Field(60.0, gt=0, description="polling period, or the subscription's publishing interval")
    timeout_s: float = Field(5.0, gt=0)
    nodes: list[NodeSpec] = Field(min_length=1)
    writable: list[str] = Field(default_factory=list,
                                description="node ids platform commands may write; none by default")
