"""The emission-factor library: every row sourced and dated, choices by date, GWP sets, worked values."""

from __future__ import annotations

import datetime as dt

import pytest

from sandan.carbon import factors
from sandan.core.errors import InvalidInput
from sandan.core.units import heat_content


def test_every_row_has_source_validity_and_verified_flag() -> None:
    for row in [*factors.grid_factors(), *factors.fuel_factors()]:
        assert row.source.strip(), row
        assert row.version.strip(), row
        assert row.valid_to is None or row.valid_to > row.valid_from, row
        assert isinstance(row.verified, bool)


def test_announced_korean_grid_factors() -> None:
    # the 2023 factor announced in December 2025, and the 2020-2022 average it replaced
    assert factors.grid_factor(dt.date(2023, 6, 1)).tco2eq_per_mwh == 0.4173
    assert factors.grid_factor(dt.date(2023, 6, 1)).factor_id == "kr-grid-2023"
    assert factors.grid_factor(dt.date(2020, 6, 1)).tco2eq_per_mwh == 0.4541
    # the latest published factor stays in force for later years
    assert factors.grid_factor(dt.date(2026, 3, 1)).factor_id == "kr-grid-2023"
    # the K-ETS allocation factor is kept apart and chosen explicitly
    kets = factors.grid_factor(dt.date(2024, 1, 1), "kets_allocation")
    assert kets.tco2eq_per_mwh == 0.45941
    assert kets.scheme == "kets_allocation"
    assert factors.grid_factor(dt.date(2024, 1, 1)).scheme == "location"


def test_2018_grid_factor_under_each_gwp_set() -> None:
    row = factors.grid_factor(dt.date(2018, 1, 1))
    assert row.factor_id == "kr-grid-2014-2016"
    # SAR: 0.4567 + 0.0036 × 21 / 1000 + 0.0085 × 310 / 1000 = 0.4567 + 0.0000756 + 0.002635 = 0.4594106
    assert factors.electricity_tco2e_per_mwh(row, "SAR") == pytest.approx(0.4594106, abs=1e-10)
    assert round(factors.electricity_tco2e_per_mwh(row, "SAR"), 5) == row.tco2eq_per_mwh  # the published 0.45941
    # AR5: 0.4567 + 0.0036 × 28 / 1000 + 0.0085 × 265 / 1000 = 0.4567 + 0.0001008 + 0.0022525 = 0.4590533
    assert factors.electricity_tco2e_per_mwh(row, "AR5") == pytest.approx(0.4590533, abs=1e-10)
    # AR6: 0.4567 + 0.0036 × 29.8 / 1000 + 0.0085 × 273 / 1000 = 0.4567 + 0.00010728 + 0.0023205 = 0.45912778
    assert factors.electricity_tco2e_per_mwh(row, "AR6") == pytest.approx(0.45912778, abs=1e-10)


def test_published_totals_do_not_depend_on_the_gwp_set() -> None:
    row = factors.grid_factor(dt.date(2023, 1, 1))
    assert {factors.electricity_tco2e_per_mwh(row, s) for s in factors.GWP_SETS} == {0.4173}


def test_gwp_sets_and_blends() -> None:
    assert [factors.gwp("CH4", s) for s in factors.GWP_SETS] == [21, 28, 29.8]
    assert [factors.gwp("N2O", s) for s in factors.GWP_SETS] == [310, 265, 273]
    # R-410A = 50 % HFC-32 + 50 % HFC-125; AR5: 0.5 × 677 + 0.5 × 3170 = 1923.5
    assert factors.gwp("R-410A", "AR5") == pytest.approx(1923.5)
    # R-404A AR6: 0.44 × 3740 + 0.52 × 5810 + 0.04 × 1530 = 1645.6 + 3021.2 + 61.2 = 4728.0
    assert factors.gwp("R-404A", "AR6") == pytest.approx(4728.0)
    with pytest.raises(InvalidInput, match="no GWP"):
        factors.gwp("HFC-999", "AR5")
    with pytest.raises(InvalidInput, match="SAR, AR5 or AR6"):
        factors.check_gwp_set("AR4")


def test_fuel_net_calorific_values_agree_with_the_energy_act_table() -> None:
    # one Korean heat-content table: the fuel rows carry the same NCVs as sandan/reference/toe_factors.csv
    for fuel in factors.fuel_factors():
        core = heat_content(fuel.carrier, fuel.valid_from)
        assert fuel.ncv_mj_per_unit == core.net_mj_per_unit, fuel.carrier
        assert fuel.verified == core.verified, fuel.carrier


def test_unknown_choices_are_refused() -> None:
    with pytest.raises(InvalidInput, match="unknown grid factor"):
        factors.grid_factor(dt.date(2023, 1, 1), factor_id="nope")
    with pytest.raises(InvalidInput, match="no location grid factor"):
        factors.grid_factor(dt.date(2010, 1, 1))
    with pytest.raises(InvalidInput, match="no fuel factor"):
        factors.fuel_factor("coal", dt.date(2023, 1, 1))
