"""Pure parsing of meter exports: mapping, timestamps (both midnight conventions, 24:00), values."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sandan.core.errors import InvalidInput
from sandan.core.timeutil import KST, parse_local_label, to_epoch_s
from sandan.ingest.files import ColumnSpec, MapEntry, TimeSpec, parse_labels, parse_mapping, parse_readings

FMT = "%d/%m/%Y %H:%M"


def test_mapping_pairs_units_and_ids():
    entries = parse_mapping(" Usage_kWh=dw.main.kwh , CO2(tCO2)=42, Usage_MWh = dw.x.kwh@MWh ")
    assert entries == [MapEntry("Usage_kWh", "dw.main.kwh"), MapEntry("CO2(tCO2)", "42"),
                       MapEntry("Usage_MWh", "dw.x.kwh", "MWh")]
    assert entries[1].point_id == 42
    assert entries[0].point_id is None
    with pytest.raises(InvalidInput, match="column=point"):
        parse_mapping("Usage_kWh")
    with pytest.raises(InvalidInput, match="more than once"):
        parse_mapping("a=x,a=y")
    with pytest.raises(InvalidInput, match="empty"):
        parse_mapping(" , ")


@settings(max_examples=200, deadline=None)
@given(moment=st.datetimes(min_value=dt.datetime(2000, 1, 1), max_value=dt.datetime(2040, 1, 1)),  # noqa: DTZ001
       midnight=st.sampled_from(["next-day", "same-date"]), on_the_hour=st.booleans())
def test_vectorised_labels_agree_with_parse_local_label(moment, midnight, on_the_hour):
    moment = moment.replace(second=0, microsecond=0)
    if on_the_hour:
        moment = moment.replace(hour=0, minute=0)
    text = moment.strftime(FMT)
    got, errors = parse_labels(pd.Series([text]), TimeSpec("t", FMT, midnight=midnight))
    assert errors == [None]
    assert int(got[0]) == to_epoch_s(parse_local_label(text, FMT, midnight=midnight))


def test_24_00_and_same_date_midnight_and_end_labels():
    table = pd.DataFrame({"t": ["2026-02-28 23:45", "2026-02-28 24:00", "2026-03-01 00:15"],
                          "kwh": ["1", "2", "3"]})
    parsed = parse_readings(table, [ColumnSpec("kwh", 7, interval_s=900)],
                            TimeSpec("t", "%Y-%m-%d %H:%M", label="end"))
    starts = [dt.datetime.fromtimestamp(t, KST) for t in parsed.frame["ts"]]
    assert starts == [dt.datetime(2026, 2, 28, 23, 30, tzinfo=KST), dt.datetime(2026, 2, 28, 23, 45, tzinfo=KST),
                      dt.datetime(2026, 3, 1, 0, 0, tzinfo=KST)]
    # the steel file: "31/12/2018 00:00" is the interval that ends at 2019-01-01 00:00
    steel = pd.DataFrame({"date": ["31/12/2018 23:45", "31/12/2018 00:00"], "Usage_kWh": ["3.78", "3.67"]})
    same_date = parse_readings(steel, [ColumnSpec("Usage_kWh", 1)],
                               TimeSpec("date", FMT, label="end", midnight="same-date"))
    assert [dt.datetime.fromtimestamp(t, KST) for t in same_date.frame["ts"]] == [
        dt.datetime(2018, 12, 31, 23, 30, tzinfo=KST), dt.datetime(2018, 12, 31, 23, 45, tzinfo=KST)]


def test_iso_timestamps_with_and_without_offsets():
    table = pd.DataFrame({"t": ["2026-03-01T00:00:00+00:00", "2026-03-01 09:00", "2026-03-01T00:00Z"],
                          "v": ["1", "1", "1"]})
    labels, errors = parse_labels(table["t"], TimeSpec("t"))
    assert errors == [None, None, None]
    assert len(set(labels.tolist())) == 1  # all three are 2026-03-01 00:00 UTC


def test_bad_cells_become_issues_and_numbers_may_have_separators():
    table = pd.DataFrame({"t": ["2026-03-01 00:00", "yesterday", "2026-03-01 00:30", "2026-03-01 00:45", ""],
                          "v": ["1,234.5", "2", "abc", "", "5"]})
    parsed = parse_readings(table, [ColumnSpec("v", 1, valid_max=1e6)], TimeSpec("t", "%Y-%m-%d %H:%M"))
    assert parsed.frame["value"].tolist() == [1234.5]
    assert [(i.row, i.code) for i in sorted(parsed.issues, key=lambda i: i.row)] == [
        (3, "bad_timestamp"), (4, "not_a_number"), (5, "empty_value"), (6, "empty_timestamp")]
    assert "does not match the time format" in next(i.message for i in parsed.issues if i.row == 3)
    assert parsed.candidates == 5


def test_repeated_rows_in_a_file_are_duplicates_or_conflicts():
    table = pd.DataFrame({"t": ["2026-03-01 00:00", "2026-03-01 00:00", "2026-03-01 00:00"],
                          "v": ["1", "1", "2"]})
    parsed = parse_readings(table, [ColumnSpec("v", 1)], TimeSpec("t", "%Y-%m-%d %H:%M"))
    assert len(parsed.frame) == 1
    assert parsed.duplicates_in_file == 1
    (issue,) = parsed.issues
    assert (issue.row, issue.status, issue.code) == (4, "conflict", "conflict_in_file")
    assert "row 2" in issue.message


def test_unknown_columns_are_named():
    with pytest.raises(InvalidInput, match="Usage_kwh not in the file; it has: date, Usage_kWh"):
        parse_readings(pd.DataFrame({"date": [], "Usage_kWh": []}), [ColumnSpec("Usage_kwh", 1)],
                       TimeSpec("date", FMT))
