"""Sparkplug B messages into readings and device state (one message at a time, in the caller's transaction).

Mapping rule: the Sparkplug **group id names the company** — an all-digit group id is the
company id, other group ids are mapped by configuration (``--sparkplug-group plant7=12``) — and
a **metric name is the point code** in that company.  Births (NBIRTH, DBIRTH) record each
metric's name, alias and data type and carry values, which are readings like any other; data
messages (NDATA, DDATA) name metrics by alias (or name).  Numeric and boolean metrics are
readings; text, bytes and null metrics and the node's own metrics (``bdSeq``, ``Node Control/*``,
``Properties/*``) are not.  Metric timestamps are epoch milliseconds; the store keeps whole
seconds, so the sub-second part is dropped.

A death marks the node (and all its devices) or the device offline with its time; an NDEATH
counts only when its ``bdSeq`` matches the node's last NBIRTH (an older session's death
arriving late is ignored).  Sequence numbers (0..255) are checked per node: a gap is counted and
noted on the node (``seq_gaps``, ``last_warning``), never refused.  With several subscriber
processes sharing the subscription, messages of one node may be handled out of order; the gap
note is then a hint, not proof of loss.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from sandan.core.timeutil import now_utc
from sandan.ingest.pipeline import RawReading
from sandan.ingest.sparkplug.codec import STRING, TEXT, Malformed, Message, Metric, Topic, decode, parse_topic
from sandan.ingest.sparkplug.models import SparkplugDevice, SparkplugMetric, SparkplugNode

log = logging.getLogger("sandan.sparkplug")
_NOT_READINGS = ("bdSeq", "Node Control/", "Device Control/", "Properties/")


@dataclass
class Handled:
    """What one message gave: readings for ``company_id``, and message-level rejections for the quarantine."""

    company_id: int | None = None
    source_ref: str = ""
    readings: list[RawReading] = field(default_factory=list)
    rejects: list[dict[str, Any]] = field(default_factory=list)
    ignored: bool = False


@dataclass
class _NodeMap:
    node_id: int
    by_alias: dict[int, str] = field(default_factory=dict)


class SparkplugState:
    """The alias maps of the nodes this process has seen (a cache of ``sparkplug_metrics``)."""

    def __init__(self, groups: Mapping[str, int] | None = None) -> None:
        self.groups = dict(groups or {})
        self._maps: dict[tuple[str, str], _NodeMap] = {}

    def company_of(self, group: str) -> int | None:
        if group in self.groups:
            return self.groups[group]
        return int(group) if group.isdigit() and len(group) < 10 else None

    def forget(self) -> None:
        self._maps.clear()

    def _load(self, session: Session, node: SparkplugNode) -> _NodeMap:
        rows = session.execute(select(SparkplugMetric.alias, SparkplugMetric.name)
                               .where(SparkplugMetric.node_id == node.id, SparkplugMetric.alias.is_not(None))).all()
        found = _NodeMap(node.id, {int(alias): name for alias, name in rows if alias is not None})
        self._maps[(node.group_id, node.edge_node)] = found
        return found

    # --- messages ---

    def handle(self, session: Session, topic: str, payload: bytes) -> Handled:
        """Apply one message: births and deaths change the stored state, data becomes readings."""
        try:
            parsed = parse_topic(topic)
        except Malformed as error:
            return Handled(rejects=[_reject(error.code, error.reason, topic, payload)])
        if parsed is None:
            return Handled(ignored=True)
        source_ref = f"{parsed.group}/{parsed.node}" + (f"/{parsed.device}" if parsed.device else "")
        company_id = self.company_of(parsed.group)
        if company_id is None:
            return Handled(source_ref=source_ref, rejects=[_reject(
                "unknown_group", f"Sparkplug group '{parsed.group[:60]}' is mapped to no company (an all-digit "
                "group id is a company id; map others with --sparkplug-group GROUP=COMPANY_ID)", topic, payload)])
        out = Handled(company_id=company_id, source_ref=source_ref)
        try:
            message = decode(payload)
        except Malformed as error:
            out.rejects.append(_reject(error.code, error.reason, topic, payload))
            return out
        now = now_utc()
        node = session.execute(select(SparkplugNode).where(SparkplugNode.group_id == parsed.group,
                                                           SparkplugNode.edge_node == parsed.node)).scalar_one_or_none()
        if node is not None and node.company_id != company_id:
            out.rejects.append(_reject("unknown_group", f"edge node {parsed.node[:60]} of group {parsed.group[:60]} "
                                       f"belongs to another company", topic, payload))
            return out
        if node is None:
            node = SparkplugNode(company_id=company_id, group_id=parsed.group, edge_node=parsed.node, online=False,
                                 seq_gaps=0, last_warning="", last_message_at=now)
            session.add(node)
            session.flush()
        node.last_message_at = now
        kind = parsed.kind
        if kind == "NDEATH":
            self._node_death(session, node, message, now)
            return out
        self._check_seq(node, parsed, message)
        if kind == "NBIRTH":
            node.online, node.birth_at = True, now
            node.bd_seq = next((int(m.value) for m in message.metrics
                                if m.name == "bdSeq" and isinstance(m.value, float)), node.bd_seq)
            self._birth(session, node, "", message)
        elif kind == "DBIRTH":
            device = self._device(session, node, parsed.device)
            device.online, device.birth_at = True, now
            self._birth(session, node, parsed.device, message)
        elif kind == "DDEATH":
            device = self._device(session, node, parsed.device)
            device.online, device.death_at = False, now
            return out
        self._readings(session, node, parsed, message, topic, out)
        return out

    def _check_seq(self, node: SparkplugNode, topic: Topic, message: Message) -> None:
        seq = message.seq
        if seq is None:
            return
        seq %= 256
        if topic.kind != "NBIRTH" and node.last_seq is not None and seq != (node.last_seq + 1) % 256:
            node.seq_gaps = (node.seq_gaps or 0) + 1
            node.last_warning = (f"seq gap before {topic.kind}: expected {(node.last_seq + 1) % 256}, got {seq} "
                                 f"at {now_utc().isoformat(timespec='seconds')}")[:300]
            log.warning("Sparkplug %s/%s: %s", node.group_id, node.edge_node, node.last_warning)
        node.last_seq = seq

    def _node_death(self, session: Session, node: SparkplugNode, message: Message, now: dt.datetime) -> None:
        bd_seq = next((int(m.value) for m in message.metrics if m.name == "bdSeq" and isinstance(m.value, float)),
                      None)
        if bd_seq is not None and node.bd_seq is not None and bd_seq != node.bd_seq:
            node.last_warning = f"NDEATH with bdSeq {bd_seq} ignored: the node was born with bdSeq {node.bd_seq}"
            return
        node.online, node.death_at = False, now
        for device in session.execute(select(SparkplugDevice).where(SparkplugDevice.node_id == node.id)).scalars():
            if device.online:
                device.online, device.death_at = False, now

    def _device(self, session: Session, node: SparkplugNode, name: str) -> SparkplugDevice:
        device = session.execute(select(SparkplugDevice).where(SparkplugDevice.node_id == node.id,
                                                               SparkplugDevice.device == name)).scalar_one_or_none()
        if device is None:
            device = SparkplugDevice(company_id=node.company_id, node_id=node.id, device=name, online=False)
            session.add(device)
            session.flush()
        return device

    def _birth(self, session: Session, node: SparkplugNode, device: str, message: Message) -> None:
        """A birth replaces the metric map of its node (NBIRTH) or device (DBIRTH)."""
        existing = {m.name: m for m in session.execute(
            select(SparkplugMetric).where(SparkplugMetric.node_id == node.id,
                                          SparkplugMetric.device == device)).scalars()}
        node_map = self._maps.get((node.group_id, node.edge_node)) or self._load(session, node)
        now = now_utc()
        for metric in message.metrics:
            if not metric.name:
                continue
            row = existing.get(metric.name[:200])
            if row is None:
                row = SparkplugMetric(company_id=node.company_id, node_id=node.id, device=device,
                                      name=metric.name[:200])
                session.add(row)
                existing[row.name] = row
            row.alias, row.datatype, row.updated_at = metric.alias, metric.datatype, now
            if metric.alias is not None:
                node_map.by_alias[metric.alias] = row.name
        session.flush()

    def _readings(self, session: Session, node: SparkplugNode, topic: Topic, message: Message, raw_topic: str,
                  out: Handled) -> None:
        node_map = self._maps.get((node.group_id, node.edge_node)) or self._load(session, node)
        reloaded = False
        for metric in message.metrics:
            name = metric.name
            if not name and metric.alias is not None:
                name = node_map.by_alias.get(metric.alias)
                if name is None and not reloaded:  # born through another subscriber process
                    node_map, reloaded = self._load(session, node), True
                    name = node_map.by_alias.get(metric.alias)
            if not name:
                out.rejects.append({
                    "reason_code": "unknown_alias", "point_ref": f"alias:{metric.alias}",
                    "reason": f"alias {metric.alias} of {topic.group}/{topic.node} was announced in no birth "
                              "(the node should be asked to rebirth)",
                    "ts": _ts_s(metric, message), "value": metric.value if isinstance(metric.value, float) else None,
                    "raw": {"topic": raw_topic, "alias": metric.alias, "value": metric.value,
                            "timestamp": metric.timestamp_ms or message.timestamp_ms}})
                continue
            if name.startswith(_NOT_READINGS) or metric.value is None or metric.datatype in (STRING, TEXT):
                continue
            ts_ms = metric.timestamp_ms if metric.timestamp_ms is not None else message.timestamp_ms
            out.readings.append(RawReading(point=name, ts=_ts_s(metric, message), value=metric.value,
                                           raw={"topic": raw_topic, "metric": name, "alias": metric.alias,
                                                "timestamp": ts_ms, "value": metric.value}))


def _ts_s(metric: Metric, message: Message) -> int | None:
    ts_ms = metric.timestamp_ms if metric.timestamp_ms is not None else message.timestamp_ms
    return None if ts_ms is None else ts_ms // 1000


def _reject(code: str, reason: str, topic: str, payload: bytes) -> dict[str, Any]:
    return {"reason_code": code, "reason": reason, "point_ref": "",
            "raw": {"topic": topic[:300], "payload_hex": bytes(payload[:600]).hex(), "bytes": len(payload)}}




# --- state, read back (for the API and the pages) --------------------------------------------------

NODE_EXPORT_COLUMNS = ["node_id", "company_id", "group_id", "edge_node", "node_online", "bd_seq", "last_seq",
                       "seq_gaps", "last_warning", "node_birth_at", "node_death_at", "last_message_at", "device",
                       "device_online", "device_birth_at", "device_death_at"]


def list_nodes(session: Session, *, company_id: int | None = None, online: bool | None = None, after_id: int = 0,
               limit: int = 50) -> list[SparkplugNode]:
    """One page of visible edge nodes by id (the access policy keeps other companies' nodes out)."""
    stmt = select(SparkplugNode).where(SparkplugNode.id > after_id)
    if company_id is not None:
        stmt = stmt.where(SparkplugNode.company_id == company_id)
    if online is not None:
        stmt = stmt.where(SparkplugNode.online == online)
    return list(session.execute(stmt.order_by(SparkplugNode.id).limit(limit)).scalars())


def devices_of(session: Session, node_ids: list[int]) -> dict[int, list[SparkplugDevice]]:
    """The devices of each node, by name."""
    out: dict[int, list[SparkplugDevice]] = {node_id: [] for node_id in node_ids}
    for i in range(0, len(node_ids), 500):
        stmt = select(SparkplugDevice).where(SparkplugDevice.node_id.in_(node_ids[i:i + 500])).order_by(
            SparkplugDevice.node_id, SparkplugDevice.device)
        for device in session.execute(stmt).scalars():
            out[device.node_id].append(device)
    return out


def node_summary(node: SparkplugNode, devices: list[SparkplugDevice]) -> dict[str, Any]:
    """A node with its devices as plain values (the API's ``SparkplugNodeRead``)."""
    return {"id": node.id, "company_id": node.company_id, "group_id": node.group_id, "edge_node": node.edge_node,
            "online": node.online, "bd_seq": node.bd_seq, "last_seq": node.last_seq, "seq_gaps": node.seq_gaps,
            "last_warning": node.last_warning, "birth_at": node.birth_at, "death_at": node.death_at,
            "last_message_at": node.last_message_at,
            "devices_online": sum(1 for d in devices if d.online),
            "devices": [{"id": d.id, "device": d.device, "online": d.online, "birth_at": d.birth_at,
                         "death_at": d.death_at} for d in devices]}


def nodes_frame(summaries: list[dict[str, Any]]) -> pd.DataFrame:
    """Nodes for CSV/XLSX export: one row per device (a node without devices: one row, device empty)."""
    records = []
    for n in summaries:
        base = {"node_id": n["id"], "company_id": n["company_id"], "group_id": n["group_id"],
                "edge_node": n["edge_node"], "node_online": n["online"], "bd_seq": n["bd_seq"],
                "last_seq": n["last_seq"], "seq_gaps": n["seq_gaps"], "last_warning": n["last_warning"],
                "node_birth_at": n["birth_at"], "node_death_at": n["death_at"],
                "last_message_at": n["last_message_at"]}
        for d in n["devices"] or [None]:
            records.append({**base, "device": d["device"] if d else "", "device_online": d["online"] if d else None,
                            "device_birth_at": d["birth_at"] if d else None,
                            "device_death_at": d["death_at"] if d else None})
    frame = pd.DataFrame(records, columns=NODE_EXPORT_COLUMNS)
    for column in ("node_birth_at", "node_death_at", "last_message_at", "device_birth_at", "device_death_at"):
        frame[column] = pd.to_datetime(frame[column], utc=True)
    return frame


__all__ = ["Handled", "SparkplugState", "devices_of", "list_nodes", "node_summary", "nodes_frame"]
