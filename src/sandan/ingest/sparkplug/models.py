"""Sparkplug B state: edge nodes and devices (online or not, since when) and each one's metrics.

Company data (``company_id`` is the company the Sparkplug group is mapped to): the access policy
filters these rows like every company-owned row.  Aliases are unique per edge node (Sparkplug
3.0, 6.4.3), so the metric map is keyed by node and alias; its device says where the metric
was born.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import BigInteger, Boolean, DateTime, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from sandan.core.timeutil import now_utc
from sandan.db import Base


class SparkplugNode(Base):
    """An edge node (``spBv1.0/<group>/…/<edge node>``), its birth/death sequence and seq state."""

    __tablename__ = "sparkplug_nodes"
    __table_args__ = (UniqueConstraint("group_id", "edge_node", name="uq_sparkplug_nodes_group_node"),)
    __policy_writers__ = "readings"

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(Integer, index=True)
    group_id: Mapped[str] = mapped_column(String(100))
    edge_node: Mapped[str] = mapped_column(String(100))
    online: Mapped[bool] = mapped_column(Boolean, default=False)
    bd_seq: Mapped[int | None] = mapped_column(BigInteger)
    last_seq: Mapped[int | None] = mapped_column(Integer)
    seq_gaps: Mapped[int] = mapped_column(Integer, default=0)
    last_warning: Mapped[str] = mapped_column(String(300), default="")
    birth_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    death_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    last_message_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=now_utc)


class SparkplugDevice(Base):
    """A device behind an edge node (``…/<edge node>/<device>``)."""

    __tablename__ = "sparkplug_devices"
    __table_args__ = (UniqueConstraint("node_id", "device", name="uq_sparkplug_devices_node_device"),)
    __policy_writers__ = "readings"

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(Integer, index=True)
    node_id: Mapped[int] = mapped_column(ForeignKey("sparkplug_nodes.id", ondelete="CASCADE"), index=True)
    device: Mapped[str] = mapped_column(String(100))
    online: Mapped[bool] = mapped_column(Boolean, default=False)
    birth_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    death_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


class SparkplugMetric(Base):
    """A metric announced in a birth: its name (the point code it writes), alias and data type."""

    __tablename__ = "sparkplug_metrics"
    __table_args__ = (UniqueConstraint("node_id", "device", "name", name="uq_sparkplug_metrics_node_device_name"),)
    __policy_writers__ = "readings"

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(Integer, index=True)
    node_id: Mapped[int] = mapped_column(ForeignKey("sparkplug_nodes.id", ondelete="CASCADE"), index=True)
    device: Mapped[str] = mapped_column(String(100), default="")
    name: Mapped[str] = mapped_column(String(200))
    alias: Mapped[int | None] = mapped_column(BigInteger)
    datatype: Mapped[int | None] = mapped_column(Integer)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=now_utc)
