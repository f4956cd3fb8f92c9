"""API shapes of the Sparkplug B state: edge nodes, their devices, online state and sequence gaps."""

from __future__ import annotations

from pydantic import BaseModel, Field

from sandan.core.tenancy.schemas import UtcDatetime


class SparkplugDeviceRead(BaseModel):
    id: int
    device: str
    online: bool
    birth_at: UtcDatetime | None = Field(description="last DBIRTH received")
    death_at: UtcDatetime | None = Field(description="last DDEATH (or the node's death) received")


class SparkplugNodeRead(BaseModel):
    id: int
    company_id: int = Field(description="the company the Sparkplug group is mapped to")
    group_id: str
    edge_node: str
    online: bool
    bd_seq: int | None = Field(description="bdSeq of the last NBIRTH")
    last_seq: int | None = Field(description="seq (0..255) of the last message")
    seq_gaps: int = Field(description="sequence gaps seen (a hint when several subscribers share the load)")
    last_warning: str
    birth_at: UtcDatetime | None = Field(description="last NBIRTH received")
    death_at: UtcDatetime | None = Field(description="last NDEATH received")
    last_message_at: UtcDatetime
    devices_online: int
    devices: list[SparkplugDeviceRead]


class SparkplugNodePage(BaseModel):
    items: list[SparkplugNodeRead]
    next_cursor: str | None
