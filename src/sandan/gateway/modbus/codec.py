"""Register words to numbers: data types, word and byte order, scale and offset (pure).

Modbus carries 16-bit registers, each big-endian on the wire.  32-bit values span two registers;
devices disagree on which comes first: ``word_order="big"`` puts the high word first (ABCD, the
Modbus convention), ``"little"`` the low word first (CDAB, common on Schneider/ABB meters).
``byte_order="little"`` swaps the two bytes inside each register (BADC / DCBA) for the rarer
devices that do that.
"""

from __future__ import annotations

import struct
from collections.abc import Sequence
from typing import Literal

DataType = Literal["uint16", "int16", "uint32", "int32", "float32"]
WordOrder = Literal["big", "little"]

WIDTH: dict[str, int] = {"uint16": 1, "int16": 1, "uint32": 2, "int32": 2, "float32": 2}
_STRUCT: dict[str, str] = {"uint16": "H", "int16": "h", "uint32": "I", "int32": "i", "float32": "f"}


def decode(registers: Sequence[int], data_type: DataType, *, word_order: WordOrder = "big",
           byte_order: WordOrder = "big", scale: float = 1.0, offset: float = 0.0) -> float:
    """The engineering value ``raw * scale + offset`` of the registers holding one value.

    :param registers: the register words as read, first register first [0..65535 each]
    :param data_type: how the words encode the raw number
    :param scale: multiplier of the raw number [unit per count]
    :param offset: added after scaling [unit]
    """
    width = WIDTH[data_type]
    if len(registers) != width:
        raise ValueError(f"{data_type} needs {width} register(s), got {len(registers)}")
    words = list(registers)
    if word_order == "little":
        words.reverse()
    raw_bytes = b"".join(_word_bytes(word, byte_order) for word in words)
    (raw,) = struct.unpack(">" + _STRUCT[data_type], raw_bytes)
    return float(raw) * scale + offset


def encode(value: float, data_type: DataType, *, word_order: WordOrder = "big",
           byte_order: WordOrder = "big", scale: float = 1.0, offset: float = 0.0) -> list[int]:
    """The registers a device holding ``value`` would show (inverse of :func:`decode`)."""
    raw_value = (value - offset) / scale
    number: float | int = raw_value if data_type == "float32" else round(raw_value)
    raw_bytes = struct.pack(">" + _STRUCT[data_type], number)
    words = [int.from_bytes(_swap(raw_bytes[i:i + 2], byte_order), "big") for i in range(0, len(raw_bytes), 2)]
    if word_order == "little":
        words.reverse()
    return words


def _word_bytes(word: int, byte_order: WordOrder) -> bytes:
    if not 0 <= word <= 0xFFFF:
        raise ValueError(f"register value {word} is outside 0..65535")
    return _swap(word.to_bytes(2, "big"), byte_order)


def _swap(pair: bytes, byte_order: WordOrder) -> bytes:
    return pair[::-1] if byte_order == "little" else pair
