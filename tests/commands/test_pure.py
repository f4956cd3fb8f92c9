"""Pure parts of commands: limits, the read-back tolerance, the gateway's memory of what it executed."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sandan.core.errors import InvalidInput
from sandan.gateway.commands import CommandLog, Outcome, matches
from sandan.gateway.modbus.codec import decode, encode
from sandan.ingest.control.service import check_limits

finite = st.floats(min_value=-1e9, max_value=1e9, allow_nan=False, allow_infinity=False)


@given(finite, finite, finite)
def test_a_value_passes_the_limits_exactly_when_it_lies_between_them(value: float, a: float, b: float) -> None:
    low, high = min(a, b), max(a, b)
    if low <= value <= high:
        check_limits(value, low, high)
        return
    with pytest.raises(InvalidInput) as refused:
        check_limits(value, low, high)
    limit = "min_value" if value < low else "max_value"
    assert refused.value.data["limit"] == limit
    assert limit in refused.value.detail


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf])
def test_non_finite_values_are_refused(value: float) -> None:
    with pytest.raises(InvalidInput):
        check_limits(value, 0, 100)


@given(st.integers(min_value=0, max_value=65535), st.sampled_from([1.0, 0.1, 0.01, 10.0]))
def test_what_a_uint16_register_holds_reads_back_as_a_match(raw: int, scale: float) -> None:
    value = raw * scale
    words = encode(value, "uint16", scale=scale)
    assert matches(value, decode(words, "uint16", scale=scale), {"type": "uint16", "scale": scale})


@given(st.floats(min_value=-1e6, max_value=1e6, allow_nan=False))
def test_float32_read_back_matches_within_its_precision(value: float) -> None:
    back = decode(encode(value, "float32"), "float32")
    assert matches(value, back, {"type": "float32"})


def test_a_different_read_back_does_not_match() -> None:
    assert not matches(42.5, 42.0, {"type": "uint16", "scale": 0.1})
    assert matches(42.5, 42.5, {"type": "uint16", "scale": 0.1})
    assert not matches(12.5, 12.6, {"type": "float32"})


def test_the_command_log_survives_reopening(tmp_path: Path) -> None:
    path = tmp_path / "commands.db"
    log = CommandLog(path)
    log.started(1)
    log.started(2)
    log.executed(2, Outcome("done", 4.5, "wrote"))
    log.started(3)
    log.executed(3, Outcome("failed", None, "refused"))
    log.acked(3, Outcome("failed", None, "refused"))
    log.close()
    again = CommandLog(path)
    assert again.get(1) == ("started", None)
    assert again.get(2) == ("executed", Outcome("done", 4.5, "wrote"))
    assert again.get(3) == ("acked", Outcome("failed", None, "refused"))
    assert again.get(4) is None
    again.close()
