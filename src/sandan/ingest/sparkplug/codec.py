"""Sparkplug B topics and payloads: parse and build, no database (pure).

Topic namespace (Sparkplug 3.0, 4.1): ``spBv1.0/<group_id>/<message_type>/<edge_node_id>[/<device_id>]``
with message types NBIRTH, NDATA, NDEATH, DBIRTH, DDATA, DDEATH (NCMD/DCMD/STATE are not data
and are ignored).  A payload that does not decode raises :class:`Malformed` with a reason.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sandan.ingest.sparkplug.schema import Payload

NAMESPACE = "spBv1.0"
DATA_TYPES = frozenset({"NBIRTH", "NDATA", "NDEATH", "DBIRTH", "DDATA", "DDEATH"})
NODE_TYPES = frozenset({"NBIRTH", "NDATA", "NDEATH"})
IGNORED_TYPES = frozenset({"NCMD", "DCMD", "STATE"})
MAX_PAYLOAD_BYTES = 4 * 1024 * 1024

# Sparkplug 3.0, 6.4.16 data types; the signed ones travel as two's complement in the unsigned fields.
INT8, INT16, INT32, INT64 = 1, 2, 3, 4
UINT8, UINT16, UINT32, UINT64 = 5, 6, 7, 8
FLOAT, DOUBLE, BOOLEAN, STRING, DATETIME, TEXT = 9, 10, 11, 12, 13, 14
_SIGNED_BITS = {INT8: 8, INT16: 16, INT32: 32, INT64: 64}


class Malformed(ValueError):
    """A topic or payload that is not Sparkplug B; ``code`` is the quarantine reason code."""

    def __init__(self, code: str, reason: str) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason


@dataclass(frozen=True)
class Topic:
    group: str
    kind: str
    node: str
    device: str = ""  # "" for node messages


def parse_topic(topic: str) -> Topic | None:
    """The parts of a Sparkplug B topic; None for message types that carry no data (NCMD, STATE …)."""
    parts = topic.split("/")
    if len(parts) >= 2 and parts[0] == NAMESPACE and parts[1] == "STATE":
        return None
    if len(parts) not in (4, 5) or parts[0] != NAMESPACE or not all(parts[1:]):
        raise Malformed("bad_topic", f"'{topic[:120]}' is not spBv1.0/<group>/<type>/<edge node>[/<device>]")
    kind = parts[2]
    if kind in IGNORED_TYPES:
        return None
    if kind not in DATA_TYPES:
        raise Malformed("bad_topic", f"unknown Sparkplug message type '{kind[:20]}'")
    if (kind in NODE_TYPES) != (len(parts) == 4):
        raise Malformed("bad_topic", f"{kind} goes to spBv1.0/<group>/{kind}/<edge node>"
                        + ("" if kind in NODE_TYPES else "/<device>"))
    return Topic(parts[1], kind, parts[3], parts[4] if len(parts) == 5 else "")


@dataclass(frozen=True)
class Metric:
    """One decoded metric: ``value`` a float (booleans 0/1), text, or None (null or not a scalar)."""

    name: str | None
    alias: int | None
    timestamp_ms: int | None
    datatype: int | None
    value: float | str | None
    is_historical: bool = False


@dataclass(frozen=True)
class Message:
    timestamp_ms: int | None
    seq: int | None
    metrics: list[Metric] = field(default_factory=list)


def _value(metric: Any) -> float | str | None:
    if metric.is_null:
        return None
    which = metric.WhichOneof("value")
    if which is None:
        return None
    raw = getattr(metric, which)
    if which in ("int_value", "long_value"):
        bits = _SIGNED_BITS.get(metric.datatype)
        number = int(raw)
        if bits is not None:
            number &= (1 << bits) - 1
            if number >= 1 << (bits - 1):
                number -= 1 << bits
        return float(number)
    if which in ("float_value", "double_value"):
        return float(raw)
    if which == "boolean_value":
        return 1.0 if raw else 0.0
    if which == "string_value":
        return str(raw)
    return None  # bytes, data sets, templates: not a reading


def decode(payload: bytes) -> Message:
    """A Sparkplug B payload; raises :class:`Malformed` (``malformed_protobuf``, ``too_large``)."""
    if len(payload) > MAX_PAYLOAD_BYTES:
        raise Malformed("too_large", f"{len(payload)} bytes; a Sparkplug payload may hold {MAX_PAYLOAD_BYTES}")
    message = Payload()
    try:
        message.ParseFromString(bytes(payload))
    except Exception as exc:  # DecodeError, and whatever the C parser raises on hostile input
        raise Malformed("malformed_protobuf", f"not a Sparkplug B payload: {str(exc)[:200]}") from None
    metrics = [Metric(m.name if m.HasField("name") else None, m.alias if m.HasField("alias") else None,
                      m.timestamp if m.HasField("timestamp") else None,
                      m.datatype if m.HasField("datatype") else None, _value(m), bool(m.is_historical))
               for m in message.metrics]
    return Message(message.timestamp if message.HasField("timestamp") else None,
                   message.seq if message.HasField("seq") else None, metrics)


def encode(metrics: list[dict[str, Any]], *, seq: int | None = None, timestamp_ms: int | None = None) -> bytes:
    """Build a payload (tests, the bench, simulators): each metric a dict with ``name``/``alias``,
    ``timestamp`` [ms], ``datatype`` and ``value`` (the value field follows the datatype)."""
    message = Payload()
    if seq is not None:
        message.seq = seq
    if timestamp_ms is not None:
        message.timestamp = timestamp_ms
    for spec in metrics:
        metric = message.metrics.add()
        for key in ("name", "alias", "timestamp", "datatype"):
            if spec.get(key) is not None:
                setattr(metric, key, spec[key])
        value, datatype = spec.get("value"), spec.get("datatype", DOUBLE)
        if value is None:
            metric.is_null = True
        elif datatype in (INT8, INT16, INT32, UINT8, UINT16, UINT32):
            metric.int_value = int(value) & 0xFFFFFFFF
        elif datatype in (INT64, UINT64, DATETIME):
            metric.long_value = int(value) & 0xFFFFFFFFFFFFFFFF
        elif datatype == FLOAT:
            metric.float_value = float(value)
        elif datatype == BOOLEAN:
            metric.boolean_value = bool(value)
        elif datatype in (STRING, TEXT):
            metric.string_value = str(value)
        else:
            metric.double_value = float(value)
    return bytes(message.SerializeToString())



__all__ = ["DATA_TYPES", "NAMESPACE", "Malformed", "Message", "Metric", "Topic", "decode", "encode", "parse_topic"]
