"""EU battery passport: the carbon-footprint attributes (pure).

Shape of the ``CarbonFootprint`` part of the Battery Pass Data Model v1.2.0 (DIN DKE SPEC 99100):
``batteryCarbonFootprint`` [kgCO2e per kWh of total energy provided over the service life, the
functional unit of Regulation (EU) 2023/1542 Annex II], ``carbonFootprintPerLifecycleStage`` (the
same unit, per stage: RawMaterialExtraction, MainProduction, Distribution, Recycling — the stages
add up to the battery figure), ``carbonFootprintPerformanceClass``, ``carbonFootprintStudy`` (a
URL) and ``absoluteCarbonFootprint`` [kgCO2e per battery].
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlparse

from sandan.core.errors import InvalidInput

LIFECYCLE_STAGES = ("RawMaterialExtraction", "MainProduction", "Distribution", "Recycling")


def carbon_footprint(stages_kg_per_battery: Mapping[str, float], lifetime_energy_kwh: float, performance_class: str,
                     study_url: str) -> dict[str, Any]:
    """The carbon-footprint attributes of one battery model.

    ``stages_kg_per_battery`` — kgCO2e per battery for each life-cycle stage (every stage named);
    ``lifetime_energy_kwh`` — total energy the battery provides over its expected service life [kWh].
    """
    unknown = sorted(set(stages_kg_per_battery) - set(LIFECYCLE_STAGES))
    missing = [s for s in LIFECYCLE_STAGES if s not in stages_kg_per_battery]
    if unknown or missing:
        raise InvalidInput(f"life-cycle stages must be exactly {', '.join(LIFECYCLE_STAGES)} "
                           f"(unknown: {unknown or 'none'}, missing: {missing or 'none'})", field="stages")
    if lifetime_energy_kwh <= 0:
        raise InvalidInput("the energy provided over the service life must be positive", field="lifetime_energy_kwh")
    if any(v < 0 for v in stages_kg_per_battery.values()):
        raise InvalidInput("a life-cycle stage's footprint may not be negative", field="stages")
    url = urlparse(study_url)
    if url.scheme not in ("http", "https") or not url.netloc:
        raise InvalidInput("the carbon footprint study must be a web address (https://…)", field="study_url")
    if not performance_class.strip():
        raise InvalidInput("name the carbon footprint performance class", field="performance_class")
    per_stage = [{"lifecycleStage": s, "carbonFootprint": stages_kg_per_battery[s] / lifetime_energy_kwh}
                 for s in LIFECYCLE_STAGES]
    absolute = sum(stages_kg_per_battery[s] for s in LIFECYCLE_STAGES)
    return {"batteryCarbonFootprint": absolute / lifetime_energy_kwh,
            "carbonFootprintPerLifecycleStage": per_stage,
            "carbonFootprintPerformanceClass": performance_class.strip(),
            "carbonFootprintStudy": study_url, "absoluteCarbonFootprint": absolute}
