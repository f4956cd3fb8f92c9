"""Units: conversions, TOE from the Energy Act table, clear errors for incompatible units."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sandan.core.errors import InvalidInput
from sandan.core.units import (
    check_unit_for_quantity,
    conversion_factor,
    convert,
    heat_content,
    to_toe,
    unit_factor,
)


def test_energy_units():
    assert conversion_factor("MWh", "kWh") == pytest.approx(1000.0)
    assert conversion_factor("GJ", "kWh") == pytest.approx(1e9 / 3.6e6)
    assert convert(1.0, "tCO2e", "kgCO2e") == pytest.approx(1000.0)
    assert convert(1.0, "toe", "GJ") == pytest.approx(41.868)  # 1 toe = 10^7 kcal


def test_toe_worked_examples():
    # 에너지법 시행규칙 [별표] (2017): electricity 9.6 MJ/kWh, diesel 37.8 MJ/L, city gas 42.7 MJ/Nm3 (gross)
    assert to_toe(1000.0, "kWh", "electricity") == pytest.approx(9600 / 41868)  # 0.2293 toe per MWh
    assert to_toe(1.0, "MWh", "electricity") == pytest.approx(9600 / 41868)
    assert to_toe(1000.0, "L", "diesel") == pytest.approx(37800 / 41868)
    assert to_toe(1000.0, "Nm3", "lng_city_gas") == pytest.approx(42700 / 41868)
    assert to_toe(1000.0, "Nm3", "lng_city_gas", basis="net") == pytest.approx(38500 / 41868)
    assert unit_factor("kWh", "kgoe", "electricity") == pytest.approx(9.6 / 41.868)
    assert unit_factor("kWh", "kWh", "electricity") == 1.0


def test_heat_content_rows_carry_their_source():
    row = heat_content("electricity", dt.date(2026, 1, 1))
    assert "에너지법 시행규칙" in row.source
    assert row.valid_from <= dt.date(2026, 1, 1)
    with pytest.raises(InvalidInput, match="no TOE factor"):
        heat_content("plutonium")


def test_incompatible_and_unknown_units_are_clear_errors():
    with pytest.raises(InvalidInput, match="different things"):
        conversion_factor("kWh", "Nm3")
    with pytest.raises(InvalidInput, match="unknown unit 'furlongs_per_fortnightz'"):
        conversion_factor("furlongs_per_fortnightz", "kWh")
    with pytest.raises(InvalidInput, match="does not measure active_energy"):
        check_unit_for_quantity("active_energy", "kW")
    with pytest.raises(InvalidInput, match="unknown quantity"):
        check_unit_for_quantity("vibes", "kWh")
    check_unit_for_quantity("gas_volume", "Nm3")
    check_unit_for_quantity("temperature", "℃")


@given(st.floats(min_value=-1e12, max_value=1e12, allow_nan=False),
       st.sampled_from(["kWh", "MWh", "GJ", "MJ", "toe", "kcal"]), st.sampled_from(["kWh", "MWh", "GJ", "toe"]))
def test_conversions_round_trip(value, a, b):
    assert convert(convert(value, a, b), b, a) == pytest.approx(value, rel=1e-9, abs=1e-6)
