"""Battery passport carbon-footprint attributes, worked by hand."""

from __future__ import annotations

import pytest

from sandan.carbon.battery_passport import carbon_footprint
from sandan.core.errors import InvalidInput

STAGES = {"RawMaterialExtraction": 3_600.0, "MainProduction": 900.0, "Distribution": 150.0, "Recycling": 350.0}


def test_a_60_kwh_pack_by_hand() -> None:
    # a 60 kWh pack, 1,500 full equivalent cycles → 90,000 kWh over its service life
    # per stage [kgCO2e/kWh]: 3,600/90,000 = 0.04; 900/90,000 = 0.01; 150/90,000 = 0.0016667; 350/90,000 = 0.0038889
    # battery: 5,000 kg per pack / 90,000 kWh = 0.0555556 kgCO2e/kWh (the stages add up to it)
    out = carbon_footprint(STAGES, 60 * 1500, "B", "https://example.kr/pcf-study-2026.pdf")
    assert out["absoluteCarbonFootprint"] == 5000.0
    assert out["batteryCarbonFootprint"] == pytest.approx(5000 / 90_000)
    stages = {s["lifecycleStage"]: s["carbonFootprint"] for s in out["carbonFootprintPerLifecycleStage"]}
    assert stages["RawMaterialExtraction"] == pytest.approx(0.04)
    assert stages["MainProduction"] == pytest.approx(0.01)
    assert sum(stages.values()) == pytest.approx(out["batteryCarbonFootprint"])
    assert list(stages) == ["RawMaterialExtraction", "MainProduction", "Distribution", "Recycling"]


def test_refusals() -> None:
    with pytest.raises(InvalidInput, match="missing"):
        carbon_footprint({"MainProduction": 1.0}, 10, "A", "https://x.kr/s")
    with pytest.raises(InvalidInput, match="web address"):
        carbon_footprint(STAGES, 10, "A", "study.pdf")
    with pytest.raises(InvalidInput, match="positive"):
        carbon_footprint(STAGES, 0, "A", "https://x.kr/s")
