"""CBAM specific embedded emissions, worked by hand (Implementing Regulation (EU) 2023/1773 Annex III)."""

from __future__ import annotations

import pytest

from sandan.carbon.cbam import Precursor, specific_embedded_emissions
from sandan.core.errors import InvalidInput


def test_hot_rolled_coil_with_a_crude_steel_precursor() -> None:
    # A rolling mill makes 10,000 t of hot-rolled flat products (CN 7208) in the reporting period:
    #   direct emissions attributed to the process (reheating furnaces, city gas)   1,200 t
    #   electricity 5,000 MWh × 0.4173 tCO2/MWh (Korean 2023 factor)                 2,086.5 t indirect
    #   precursor: 10,500 t crude steel slabs (CN 7207) at SEE 1.8 direct, 0.2 indirect
    #     → 18,900 t direct and 2,100 t indirect embedded in the precursor
    # SEE_dir = (1,200 + 18,900) / 10,000 = 2.01 tCO2e/t
    # SEE_ind = (2,086.5 + 2,100) / 10,000 = 0.41865 tCO2e/t
    # SEE     = 2.42865 tCO2e/t
    slab = Precursor("crude steel slab", "7207", 10_500.0, 1.8, 0.2)
    see = specific_embedded_emissions("7208", 10_000.0, 1_200.0, 5_000.0, 0.4173, [slab])
    assert see.indirect_t == pytest.approx(2086.5)
    assert see.precursors_direct_t == pytest.approx(18_900.0)
    assert see.see_direct == pytest.approx(2.01)
    assert see.see_indirect == pytest.approx(0.41865)
    assert see.see_total == pytest.approx(2.42865)


def test_without_precursors_and_refusals() -> None:
    # aluminium casting: 50 t direct, 800 MWh at 0.4173 = 333.84 t; 500 t cast → 0.1 + 0.66768 = 0.76768
    see = specific_embedded_emissions("7601", 500.0, 50.0, 800.0, 0.4173)
    assert see.see_total == pytest.approx(0.76768)
    with pytest.raises(InvalidInput, match="activity level"):
        specific_embedded_emissions("7601", 0.0, 50.0, 800.0, 0.4173)
    with pytest.raises(InvalidInput, match="negative"):
        specific_embedded_emissions("7601", 1.0, -1.0, 0.0, 0.4)
