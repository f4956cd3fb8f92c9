"""Candidate pairs: compatibility, hard filters and economics, each against arithmetic done by hand."""

from __future__ import annotations

import math
from typing import Any

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sandan.circular import matching, reference
from sandan.core.errors import InvalidInput

LAT, LON = 34.90, 127.70
#: 0.01 degree of latitude in road km: 6371 km × π/180 × 0.01 = 1.111949 km great circle, × 1.3 detour.
KM_PER_0_01_DEG = 6371.0 * math.pi / 180 * 0.01 * 1.3


def offer(sid: int, company: int, code: str | None, quantity: float, *, kind: str = "by_product",
          hazardous: bool = False, treatment: str = "landfill", cost: int = 100_000, lat: float = LAT,
          specs: dict[str, float] | None = None, unit: str = "t", complex_id: int = 1) -> dict[str, Any]:
    return {"stream_id": sid, "company_id": company, "complex_id": complex_id, "kind": kind, "code": code,
            "hazardous": hazardous, "unit": unit, "quantity": quantity, "variability_pct": 10.0,
            "specs": specs or {}, "lat": lat, "lon": LON, "treatment": treatment,
            "treatment_cost_krw_per_unit": cost}


def demand(sid: int, company: int, accepts: list[str], capacity: float, *, substitutes: str | None = None,
           price: int = 15_000, processing: int = 5_000, lat: float = LAT, limits: dict[str, Any] | None = None,
           unit: str = "t", complex_id: int = 1) -> dict[str, Any]:
    return {"stream_id": sid, "company_id": company, "complex_id": complex_id, "accepts": accepts,
            "substitutes": substitutes, "unit": unit, "capacity": capacity, "limits": limits or {}, "lat": lat,
            "lon": LON, "virgin_price_krw_per_unit": price, "processing_cost_krw_per_unit": processing}


def permit(pid: int, company: int, prefix: str, hazardous: bool = False, capacity: float | None = None
           ) -> dict[str, Any]:
    return {"permit_id": pid, "company_id": company, "code_prefix": prefix, "hazardous": hazardous,
            "capacity": capacity}


def run(offers: list[dict[str, Any]], demands: list[dict[str, Any]], permits: list[dict[str, Any]] | None = None,
        **kw: Any) -> matching.Candidates:
    """The candidates with every column of every pair (``detail``) as ``arcs``."""
    found = matching.candidates(pd.DataFrame(offers), pd.DataFrame(demands),
                                pd.DataFrame(permits or [], columns=list(matching.PERMIT_COLUMNS)), **kw)
    return matching.Candidates(found.detail(), found.removed)


def test_value_and_co2_of_a_substitution_worked_by_hand() -> None:
    # 51-03-01 iron and steel slag replaces cement clinker at 0.8 t per t (substitutions.csv);
    # the receiver is 0.01° north: 1.445534 km by road.
    found = run([offer(1, 10, "51-03-01", 100)],
                [demand(5, 20, [], 80, substitutes="cement_clinker", price=90_000, lat=LAT + 0.01)])
    (arc,) = found.arcs.to_dict("records")
    assert arc["compatibility"] == pytest.approx(0.9)  # a declared substitution
    assert arc["distance_km"] == pytest.approx(KM_PER_0_01_DEG, rel=1e-6)  # 1.445534
    # transport 1.445534 km × 150 ₩/t-km = 216.83 ₩/t
    assert arc["transport_krw_per_unit"] == pytest.approx(216.830, abs=0.01)
    # value = avoided landfill 100,000 + 0.8 × 90,000 − 216.83 − processing 5,000 = 166,783.17 ₩/t
    assert arc["value_krw_per_unit"] == pytest.approx(166_783.17, abs=0.01)
    # CO2 = 0.8 × 520 (clinker) + 1.2 (landfill) − 1.445534 × 0.0847 (truck) = 417.2 − 0.12244 = 417.0776 kg/t
    assert arc["co2_kg_per_unit"] == pytest.approx(417.0776, abs=1e-3)


def test_a_code_accepted_one_for_one_and_a_sibling_code() -> None:
    # accepted 51-03-02 vs offered 51-03-01: same group, distance 1 → 0.7; the receiver's own material
    # is replaced one for one (its price 15,000): value = 100,000 + 15,000 − 0 − 5,000 = 110,000
    found = run([offer(1, 10, "51-03-01", 100)], [demand(5, 20, ["51-03-02"], 50)])
    (arc,) = found.arcs.to_dict("records")
    assert (arc["tree_distance"], arc["compatibility"]) == (1, 0.7)
    assert arc["value_krw_per_unit"] == pytest.approx(110_000)
    # the whole group accepted (51-03-00): distance 0 → 1.0
    (arc,) = run([offer(1, 10, "51-03-01", 100)], [demand(5, 20, ["51-03-00"], 50)]).arcs.to_dict("records")
    assert (arc["tree_distance"], arc["compatibility"]) == (0, 1.0)
    # another group (51-04 dusts) is no candidate at all
    assert run([offer(1, 10, "51-03-01", 100)], [demand(5, 20, ["51-04-00"], 50)]).arcs.empty


def test_code_distance_walks_the_tree() -> None:
    assert reference.code_distance("51-03-01", "51-03-01") == 0
    assert reference.code_distance("51-03-01", "51-03-00") == 0
    assert reference.code_distance("51-03-01", "51-03-02") == 1
    assert reference.code_distance("51-03-01", "51-04-01") == 2
    assert reference.code_distance("51-03-01", "02-01-02") == 3


def test_a_hazardous_stream_goes_only_to_a_receiver_with_a_hazardous_permit_for_its_class() -> None:
    acid = offer(1, 10, "02-01-02", 20, kind="waste", hazardous=True)
    receivers = [demand(5, 20, ["02-01-00"], 30), demand(6, 21, ["02-01-00"], 30), demand(7, 22, ["02-01-00"], 30),
                 demand(8, 23, ["02-01-00"], 30)]
    permits = [permit(1, 20, "02-01-00", hazardous=False),   # the class, but not for 지정폐기물
               permit(2, 21, "02-00-00", hazardous=True),    # the whole corrosive class, hazardous: covers it
               permit(3, 23, "51-03-00", hazardous=True)]    # hazardous, but another class
    found = run([acid], receivers, permits)
    assert list(found.arcs["demand_stream_id"]) == [6]
    assert found.removed == {"hazard_permit": 3}


def test_a_non_hazardous_waste_needs_a_permit_a_by_product_does_not() -> None:
    receivers = [demand(5, 20, ["51-01-00"], 30)]
    waste = offer(1, 10, "51-01-02", 20, kind="waste")
    by_product = offer(2, 11, "51-01-02", 20, kind="by_product")
    found = run([waste, by_product], receivers)
    assert list(found.arcs["offer_stream_id"]) == [2]
    assert found.removed == {"permit": 1}
    assert list(run([waste], receivers, [permit(1, 20, "51-01-00")]).arcs["offer_stream_id"]) == [1]


def test_specs_outside_the_receivers_limits_or_not_declared_are_filtered() -> None:
    limits = {"moisture_pct": {"max": 10.0}, "cao_pct": {"min": 30.0}}
    offers = [offer(1, 10, "51-03-01", 10, specs={"moisture_pct": 8.0, "cao_pct": 35.0}),
              offer(2, 11, "51-03-01", 10, specs={"moisture_pct": 12.0, "cao_pct": 35.0}),
              offer(3, 12, "51-03-01", 10, specs={"moisture_pct": 8.0})]
    found = run(offers, [demand(5, 20, ["51-03-00"], 50, limits=limits)])
    assert list(found.arcs["offer_stream_id"]) == [1]
    assert found.removed == {"specs": 2}
    assert matching.specs_within({"moisture_pct": 12.0}, {"moisture_pct": {"max": 10.0}}) == "moisture_pct"


def test_legal_restrictions_same_company_units_and_losses_are_filtered() -> None:
    offers = [offer(1, 10, "07-00-00", 10, kind="waste", hazardous=True),  # asbestos: disposal only
              offer(2, 20, "51-03-01", 10),                                  # the receiver's own stream
              offer(3, 11, "51-03-01", 10, cost=0, lat=LAT + 1.0)]           # 144 km for 15,000 ₩ of aggregate
    receivers = [demand(5, 20, ["07-00-00", "51-03-00"], 50)]
    found = run(offers, receivers, [permit(1, 20, "07-00-00", hazardous=True)])
    assert found.arcs.empty
    # 144.55 km × 150 = 21,683 ₩/t transport > 15,000 − 5,000: a loss, never proposed
    assert found.removed == {"legal": 1, "same_company": 1, "no_net_value": 1}


def test_heat_is_matched_by_kind_in_gj() -> None:
    heat = offer(1, 10, None, 500, kind="heat", unit="GJ", treatment="vent", cost=0)
    found = run([heat], [demand(5, 20, ["heat"], 300, substitutes="natural_gas_heat", price=25_000, unit="GJ"),
                         demand(6, 21, ["heat"], 300, unit="t")])
    (arc,) = found.arcs.to_dict("records")
    # 25,000 − 5,000 = 20,000 ₩/GJ; CO2 62.3 kg/GJ (LNG boiler heat) + 0 (vented)
    assert (arc["demand_stream_id"], arc["value_krw_per_unit"], arc["co2_kg_per_unit"]) == (5, 20_000, 62.3)
    assert found.removed == {"unit": 1}


def test_rejections_weight_the_score_and_exclude_the_pair() -> None:
    offers = [offer(1, 10, "51-03-01", 100)]
    receivers = [demand(5, 20, ["51-03-00"], 100)]
    plain = run(offers, receivers).arcs.iloc[0]
    feedback = pd.DataFrame({"receiver_company_id": [20], "group": ["51-03"], "weight": [0.5]})
    weighted = run(offers, receivers, feedback=feedback).arcs.iloc[0]
    assert weighted["score"] == pytest.approx(plain["score"] / 2)
    assert weighted["objective_krw_per_unit"] == pytest.approx(plain["objective_krw_per_unit"] / 2)
    found = run(offers, receivers, excluded={(1, 5)})
    assert found.arcs.empty
    assert found.removed == {"rejected_before": 1}


def test_score_parts_worked_by_hand() -> None:
    # same place, 100 t offered to 50 t: compatibility 1.0 × 30 = 30; quantity fit 50/100 × 20 = 10;
    # distance 0 km → 15; value 110,000/(110,000 + 50,000) × 20 = 13.75; CO2: aggregate 4 + landfill 1.2
    # = 5.2 kg/t → 5.2/505.2 × 15 = 0.1544; total 68.904
    (arc,) = run([offer(1, 10, "51-03-02", 100)],
                 [demand(5, 20, ["51-03-00"], 50, substitutes="natural_aggregate")]).arcs.to_dict("records")
    assert arc["score"] == pytest.approx(30 + 10 + 15 + 13.75 + 5.2 / 505.2 * 15, abs=1e-9)


def test_a_receiver_outside_the_complex_is_refused() -> None:
    with pytest.raises(InvalidInput, match="outside the complex"):
        run([offer(1, 10, "51-03-01", 100)], [demand(5, 20, ["51-03-00"], 50, complex_id=2)])


def test_explanation_says_it_in_words_with_the_numbers() -> None:
    (arc,) = run([offer(1, 10, "51-03-01", 100)],
                 [demand(5, 20, [], 80, substitutes="cement_clinker", price=90_000)]).arcs.to_dict("records")
    text = matching.explain(arc, 80.0)
    assert "80.0 t/month of iron and steel slag (51-03-01, EU 10 02 02)" in text
    assert "₩100,000 + avoided virgin material ₩72,000" in text
    # 80 t × 167,000 ₩/t = 13,360,000 ₩/month; 80 × 417.2 kg = 33.38 t CO2
    assert "₩13,360,000/month" in text
    assert "33.38 t/month" in text


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["02-01-02", "03-02-00", "51-03-01", "51-01-01"]), st.booleans(),
                          st.integers(1, 50)), min_size=1, max_size=6),
       st.lists(st.tuples(st.sampled_from(["02-00-00", "02-01-00", "03-00-00", "51-03-00", "51-01-00"]),
                          st.booleans()), max_size=6))
def test_no_hazardous_pair_without_a_hazardous_permit_covering_the_code(
        offered: list[tuple[str, bool, int]], permitted: list[tuple[str, bool]]) -> None:
    offers = [offer(i + 1, 100 + i, code, q, kind="waste", hazardous=reference.is_hazardous_kr(code) or flag)
              for i, (code, flag, q) in enumerate(offered)]
    receivers = [demand(50 + j, 200 + j, ["02-00-00", "03-00-00", "51-03-00", "51-01-00"], 100) for j in range(3)]
    permits = [permit(k + 1, 200 + k % 3, prefix, hazardous) for k, (prefix, hazardous) in enumerate(permitted)]
    arcs = run(offers, receivers, permits).arcs
    for arc in arcs.to_dict("records"):
        held = [p for p in permits if p["company_id"] == arc["receiver_company_id"]
                and arc["code"].startswith(p["code_prefix"].replace("-00", ""))]
        assert held, arc
        if arc["hazardous"]:
            assert any(p["hazardous"] for p in held), arc
