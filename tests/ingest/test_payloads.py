"""The JSON and CSV parsers of HTTP ingest, fuzzed: any body is either a batch or a clean refusal,
and every reading of a batch is parsed or rejected with a reason — never a crash."""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sandan.core.errors import DomainError
from sandan.ingest import vee
from sandan.ingest.payloads import TooLarge, parse_csv_batch, parse_json_batch
from sandan.ingest.pipeline import RawReading, _parse

scalars = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=30)
documents = st.recursive(scalars, lambda inner: st.lists(inner, max_size=4)
                         | st.dictionaries(st.text(max_size=8), inner, max_size=4), max_leaves=20)
reading_like = st.fixed_dictionaries({}, optional={
    "point": st.one_of(st.text(max_size=20), st.integers(), st.none(), st.just("c1.main.kwh")),
    "ts": st.one_of(st.text(max_size=30), st.integers(), st.floats(), st.just("2026-03-10T00:00:00+09:00"),
                    st.datetimes().map(lambda d: d.isoformat())),
    "value": st.one_of(st.floats(), st.integers(), st.text(max_size=10), st.booleans(), st.none()),
    "unit": st.one_of(st.text(max_size=10), st.sampled_from(["kWh", "MWh", "Nm3", "degC", "zork"]), st.integers()),
    "quality": st.one_of(st.text(max_size=10), st.sampled_from(["measured", "estimated", "edited"]))})


def _every_reading_is_parsed_or_rejected(readings: list[RawReading]) -> None:
    batch = _parse(readings)
    assert batch.n == len(readings)
    for i, code in batch.codes.items():
        assert code in vee.RULES, code
        assert batch.reasons[i]


@settings(max_examples=300, deadline=None)
@given(body=st.binary(max_size=300))
def test_any_bytes_are_a_batch_or_a_refusal(body):
    for parse in (parse_json_batch, parse_csv_batch):
        try:
            batch = parse(body)
        except DomainError as error:
            status = error.status
            assert status in (400, 413, 422)
            continue
        _every_reading_is_parsed_or_rejected(batch.readings)


@settings(max_examples=300, deadline=None)
@given(document=documents)
def test_any_json_document_is_a_batch_or_a_refusal(document):
    for body in (document, {"readings": document}, {"readings": [document]}):
        try:
            batch = parse_json_batch(json.dumps(body).encode())
        except DomainError:
            continue
        _every_reading_is_parsed_or_rejected(batch.readings)


@settings(max_examples=300, deadline=None)
@given(items=st.lists(reading_like, max_size=8))
def test_reading_shaped_json_never_crashes_the_parse_step(items):
    batch = parse_json_batch(json.dumps({"readings": items}).encode())
    _every_reading_is_parsed_or_rejected(batch.readings)


@settings(max_examples=300, deadline=None)
@given(rows=st.lists(st.lists(st.text(max_size=12), min_size=0, max_size=6), max_size=6),
       header=st.permutations(["point", "ts", "value", "unit", "quality"]))
def test_csv_rows_never_crash(rows, header):
    text = ",".join(header) + "\n" + "\n".join(",".join(json.dumps(c) for c in row) for row in rows)
    try:
        batch = parse_csv_batch(text.encode())
    except DomainError:
        return
    _every_reading_is_parsed_or_rejected(batch.readings)


def test_batch_limits_and_shapes():
    with pytest.raises(TooLarge):
        parse_json_batch(json.dumps({"readings": [{}] * 4}).encode(), max_readings=3)
    with pytest.raises(TooLarge):
        parse_csv_batch(b"point,ts,value\n" + b"a,1,1\n" * 4, max_readings=3)
    assert len(parse_json_batch(b'[{"point": "x", "ts": 0, "value": 1}]').readings) == 1  # a bare list
    parsed = _parse(parse_json_batch(b'{"readings": [{"point": "x", "ts": 1.5, "value": "1,234.5"},'
                                     b'{"point": "x", "ts": "2026-03-10T00:00:00", "value": 1},'
                                     b'{"point": "x", "ts": 4102444800, "value": 1},'
                                     b'{"point": true, "ts": 0, "value": 1}]}').readings)
    assert parsed.codes == {0: "bad_timestamp", 1: "bad_timestamp", 2: "bad_timestamp", 3: "bad_payload"}
    assert "no UTC offset" in parsed.reasons[1]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(items=st.lists(reading_like, max_size=6))
def test_fuzzed_batches_through_http_are_answered_per_reading(world, items):
    response = world.client.post("/api/v1/ingest", content=json.dumps({"readings": items}).encode(),
                                 headers={**world.as_("device"), "content-type": "application/json"})
    assert response.status_code == 200, response.text  # the client asserts any error is problem+json
    answer = response.json()
    assert len(answer["readings"]) == len(items)
    summary = answer["summary"]
    assert sum(summary[k] for k in ("stored", "duplicate", "replaced", "conflict", "rejected")) == len(items)
