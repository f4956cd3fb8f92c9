"""Pure parts of the gateway: register codec, read planning, slots, backoff, the platform's answer, config."""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sandan.gateway.buffer import Queued
from sandan.gateway.config import ConfigError, load_config
from sandan.gateway.forward import backoff_delay, read_answer, to_payload
from sandan.gateway.modbus.client import plan_reads
from sandan.gateway.modbus.codec import decode, encode
from sandan.gateway.modbus.config import RegisterSpec
from sandan.gateway.outlet import next_slot
from sandan.gateway.records import Reading

# Worked by hand: 12345.5 = 0x4640E600 as IEEE 754 single; 123455 (0.1 kWh counts) = 0x0001E23F;
# -1234 = 0xFB2E as int16; -100000 = 0xFFFE7960 as int32.
CASES = [
    ([0x4640, 0xE600], "float32", "big", "big", 1.0, 12345.5),
    ([0xE600, 0x4640], "float32", "little", "big", 1.0, 12345.5),
    ([0x4046, 0x00E6], "float32", "big", "little", 1.0, 12345.5),
    ([0x0001, 0xE23F], "uint32", "big", "big", 0.1, 12345.5),
    ([0xE23F, 0x0001], "uint32", "little", "big", 0.1, 12345.5),
    ([0xFB2E], "int16", "big", "big", 0.001, -1.234),
    ([0xFB2E], "uint16", "big", "big", 1.0, 64302.0),
    ([0xFFFE, 0x7960], "int32", "big", "big", 0.01, -1000.0),
    ([0x7960, 0xFFFE], "int32", "little", "big", 0.01, -1000.0),
]


@pytest.mark.parametrize(("words", "kind", "word_order", "byte_order", "scale", "value"), CASES)
def test_decode_hand_computed_registers(words: list[int], kind: str, word_order: str, byte_order: str,
                                        scale: float, value: float) -> None:
    assert decode(words, kind, word_order=word_order, byte_order=byte_order,  # type: ignore[arg-type]
                  scale=scale) == pytest.approx(value)
    assert encode(value, kind, word_order=word_order, byte_order=byte_order,  # type: ignore[arg-type]
                  scale=scale) == words


def test_decode_refuses_the_wrong_number_of_registers() -> None:
    with pytest.raises(ValueError, match="float32 needs 2 register"):
        decode([1], "float32")


@given(st.integers(-(2**31), 2**31 - 1), st.sampled_from(["big", "little"]), st.sampled_from(["big", "little"]))
def test_int32_round_trips(raw: int, word_order: str, byte_order: str) -> None:
    words = encode(raw, "int32", word_order=word_order, byte_order=byte_order)  # type: ignore[arg-type]
    assert all(0 <= w <= 0xFFFF for w in words)
    assert decode(words, "int32", word_order=word_order, byte_order=byte_order) == raw  # type: ignore[arg-type]


def test_plan_reads_merges_adjacent_registers_per_table() -> None:
    specs = [RegisterSpec(point="a", address=0, type="float32"), RegisterSpec(point="b", address=2, type="uint32"),
             RegisterSpec(point="c", address=6, type="int16"),
             RegisterSpec(point="d", address=0, register_type="input"),
             RegisterSpec(point="e", address=200, type="float32")]
    blocks = [(b.register_type, b.start, b.count, [s.point for s in b.specs]) for b in plan_reads(specs)]
    assert blocks == [("holding", 0, 4, ["a", "b"]), ("holding", 6, 1, ["c"]), ("holding", 200, 2, ["e"]),
                      ("input", 0, 1, ["d"])]
    merged = plan_reads(specs, max_gap=2)
    assert [(b.start, b.count) for b in merged if b.register_type == "holding"] == [(0, 7), (200, 2)]


def test_slots_are_on_the_interval_grid() -> None:
    assert next_slot(datetime(2025, 3, 1, 10, 0, 7, tzinfo=UTC), 15) == datetime(2025, 3, 1, 10, 0, 15, tzinfo=UTC)
    assert next_slot(datetime(2025, 3, 1, 10, 0, 15, tzinfo=UTC), 15) == datetime(2025, 3, 1, 10, 0, 15, tzinfo=UTC)
    assert next_slot(datetime(2025, 3, 1, 10, 0, 0, 1, tzinfo=UTC), 60) == datetime(2025, 3, 1, 10, 1, tzinfo=UTC)


def test_backoff_grows_is_capped_and_jittered() -> None:
    rng = random.Random(3)
    delays = [backoff_delay(n, 1.0, 30.0, rng) for n in range(8)]
    for n, delay in enumerate(delays):
        step = min(30.0, 2.0**n)
        assert step / 2 <= delay <= step
    assert len({round(backoff_delay(4, 1.0, 30.0, rng), 6) for _ in range(20)}) > 1


def test_reading_must_be_aware_and_finite() -> None:
    with pytest.raises(ValueError, match="naive"):
        Reading("p", datetime(2025, 1, 1), 1.0)  # noqa: DTZ001 - the point of the test
    with pytest.raises(ValueError, match="finite"):
        Reading("p", datetime(2025, 1, 1, tzinfo=UTC), float("nan"))


def _batch(n: int) -> list[Queued]:
    return [Queued(i + 1, Reading(f"p{i}", datetime(2025, 1, 1, tzinfo=UTC), float(i), "kWh")) for i in range(n)]


def test_payload_matches_the_ingest_contract() -> None:
    payload = to_payload(_batch(1), "gw-1")
    assert payload == {"readings": [{"point": "p0", "ts": "2025-01-01T00:00:00+00:00", "value": 0.0, "unit": "kWh"}],
                       "source_ref": "gw-1"}


def test_every_platform_status_acknowledges_and_unknown_ones_do_not() -> None:
    batch = _batch(6)
    statuses = ["stored", "duplicate", "replaced", "conflict", "rejected", "retry-later"]
    # the platform's IngestAnswer: one entry per reading, by index (here in reverse order)
    body = json.dumps({"summary": {}, "readings": [{"index": i, "status": s} for i, s in enumerate(statuses)][::-1]})
    outcome = read_answer(batch, 200, body.encode())
    assert outcome.acked == [1, 2, 3, 4, 5]
    assert outcome.error is not None
    assert "1 of 6" in outcome.error


@pytest.mark.parametrize(("code", "body", "fatal", "acked"), [
    (200, b'{"readings": []}', False, []),             # answer does not cover the batch: nothing deleted
    (200, b"<html>ok</html>", False, []),             # a proxy's page is not an acknowledgement
    (500, b"", False, []),
    (503, b'{"detail": "maintenance"}', False, []),
    (429, b'{"detail": "slow down"}', False, []),
    (401, b'{"detail": "invalid device token"}', True, []),
    (422, b'{"detail": "bad body"}', True, []),
])
def test_answers_that_delete_nothing(code: int, body: bytes, fatal: bool, acked: list[int]) -> None:
    outcome = read_answer(_batch(2), code, body)
    assert outcome.acked == acked
    assert outcome.fatal is fatal
    assert outcome.error


def test_the_refusal_reason_is_kept() -> None:
    outcome = read_answer(_batch(1), 401, b'{"detail": "invalid device token"}')
    assert outcome.error == "platform refused the batch with 401: invalid device token"


GOOD = """
[gateway]
name = "gw-1"
[platform]
url = "https://sandan.example.kr/"
[[devices]]
protocol = "modbus"
name = "main"
host = "10.0.0.5"
[[devices.registers]]
point = "c1.main.kwh"
address = 0
type = "float32"
unit = "kWh"
[[devices]]
protocol = "csv"
name = "drops"
folder = "drop"
"""


def test_a_good_config_loads_with_paths_from_its_folder(tmp_path: Path) -> None:
    path = tmp_path / "gateway.toml"
    path.write_text(GOOD, encoding="utf-8")
    config = load_config(path)
    assert config.platform.url == "https://sandan.example.kr"
    assert config.gateway.queue == tmp_path / "gateway-queue.db"
    assert config.devices[1].folder == tmp_path / "drop"  # type: ignore[union-attr]


@pytest.mark.parametrize(("change", "expected"), [
    (('type = "float32"', 'type = "float64"'),
     "devices[0] ('main').registers[0].type: Input should be 'uint16', 'int16', 'uint32', 'int32' or 'float32'"),
    (('protocol = "csv"', 'protocol = "bacnet"'), "devices[1] ('drops'): protocol must be 'modbus', 'opcua' or 'csv'"),
    (("address = 0", "address = 65535"), "devices[0] ('main').registers[0]: a float32 at address 65535 runs past"),
    (('host = "10.0.0.5"', 'host = "10.0.0.5"\nhots = 1'), "devices[0] ('main').hots: unknown setting (misspelt?)"),
    (('url = "https://sandan.example.kr/"', 'url = "ftp://x"'), "platform.url: String should match pattern"),
    (('name = "drops"', 'name = "main"'), "two devices are named 'main'"),
    (("[gateway]", "[gateway"), "not valid TOML"),
    (('url = "https://sandan.example.kr/"', 'url = "https://sandan.example.kr/"\ntransport = "mqtt"'),
     "gateway.company (the platform's numeric company id) is needed to forward over MQTT"),
    (('[gateway]', '[gateway]\ncompany = "acme"'), "gateway.company: String should match pattern"),
])
def test_config_errors_say_where_and_what(tmp_path: Path, change: tuple[str, str], expected: str) -> None:
    path = tmp_path / "gateway.toml"
    path.write_text(GOOD.replace(*change), encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert any(expected in problem for problem in caught.value.problems), caught.value.problems
    assert str(path) in str(caught.value)


def test_a_missing_token_names_the_variable_not_a_value(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "gateway.toml"
    path.write_text(GOOD, encoding="utf-8")
    monkeypatch.delenv("SANDAN_DEVICE_TOKEN", raising=False)
    with pytest.raises(ConfigError, match="set SANDAN_DEVICE_TOKEN"):
        load_config(path).device_token()
