"""The Sparkplug B payload schema, built at run time from our own minimal description.

Eclipse Sparkplug 3.0, chapter 6 ("Payloads"); the reference schema is Eclipse Tahu's
``sparkplug_b.proto``.  We describe only the fields we read, in proto2, and build the message
classes with ``google.protobuf``'s descriptor pool, so no generated code lives in the repository.
Fields we leave out (metadata, properties, data sets, templates, extensions) are kept by the
parser as unknown fields and ignored::

    syntax = "proto2";
    package sandan.sparkplug_b;
    message Payload {
      message Metric {
        optional string name = 1;  optional uint64 alias = 2;  optional uint64 timestamp = 3;
        optional uint32 datatype = 4;  optional bool is_historical = 5;
        optional bool is_transient = 6;  optional bool is_null = 7;
        oneof value { uint32 int_value = 10; uint64 long_value = 11; float float_value = 12;
                      double double_value = 13; bool boolean_value = 14; string string_value = 15;
                      bytes bytes_value = 16; }
      }
      optional uint64 timestamp = 1;  repeated Metric metrics = 2;  optional uint64 seq = 3;
      optional string uuid = 4;  optional bytes body = 5;
    }
"""

from __future__ import annotations

from typing import Any

from google.protobuf import descriptor_pb2, descriptor_pool, message_factory

_F = descriptor_pb2.FieldDescriptorProto
_OPTIONAL, _REPEATED = _F.LABEL_OPTIONAL, _F.LABEL_REPEATED

#: (name, number, type) of Payload.Metric; fields from 10 on form the ``value`` oneof.
_METRIC_FIELDS = [
    ("name", 1, _F.TYPE_STRING), ("alias", 2, _F.TYPE_UINT64), ("timestamp", 3, _F.TYPE_UINT64),
    ("datatype", 4, _F.TYPE_UINT32), ("is_historical", 5, _F.TYPE_BOOL), ("is_transient", 6, _F.TYPE_BOOL),
    ("is_null", 7, _F.TYPE_BOOL), ("int_value", 10, _F.TYPE_UINT32), ("long_value", 11, _F.TYPE_UINT64),
    ("float_value", 12, _F.TYPE_FLOAT), ("double_value", 13, _F.TYPE_DOUBLE), ("boolean_value", 14, _F.TYPE_BOOL),
    ("string_value", 15, _F.TYPE_STRING), ("bytes_value", 16, _F.TYPE_BYTES),
]
_PAYLOAD_FIELDS = [("timestamp", 1, _F.TYPE_UINT64), ("seq", 3, _F.TYPE_UINT64), ("uuid", 4, _F.TYPE_STRING),
                   ("body", 5, _F.TYPE_BYTES)]
PACKAGE = "sandan.sparkplug_b"


def _file() -> descriptor_pb2.FileDescriptorProto:
    file = descriptor_pb2.FileDescriptorProto(name="sandan/sparkplug_b.proto", package=PACKAGE, syntax="proto2")
    payload = file.message_type.add(name="Payload")
    metric = payload.nested_type.add(name="Metric")
    metric.oneof_decl.add(name="value")
    for name, number, type_ in _METRIC_FIELDS:
        field = metric.field.add(name=name, number=number, type=type_, label=_OPTIONAL)
        if number >= 10:
            field.oneof_index = 0
    for name, number, type_ in _PAYLOAD_FIELDS:
        payload.field.add(name=name, number=number, type=type_, label=_OPTIONAL)
    payload.field.add(name="metrics", number=2, type=_F.TYPE_MESSAGE, label=_REPEATED,
                      type_name=f".{PACKAGE}.Payload.Metric")
    return file


def _build() -> Any:
    pool = descriptor_pool.DescriptorPool()
    pool.Add(_file())
    return message_factory.GetMessageClass(pool.FindMessageTypeByName(f"{PACKAGE}.Payload"))


#: The Sparkplug B ``Payload`` message class (``Payload.Metric`` nested).
Payload: Any = _build()

__all__ = ["Payload"]
