"""Inventories from stored readings, worked by hand, and the real steel plant against its CO2 column."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sandan.carbon import service
from sandan.core.tenancy import schemas
from sandan.core.tenancy import service as tenancy
from sandan.core.tenancy.models import Carrier, PointKind
from sandan.core.timeutil import KST, to_epoch_s
from sandan.db import Database
from sandan.timeseries.store import write_readings
from tests.carbon.world import daily, make_plant
from tests.factories import system

MARCH_2023 = dt.date(2023, 3, 1)

# Hand-worked March 2023 for the plant below (31 days):
#   electricity 31 × 1,000 kWh = 31,000 kWh; 2023 grid factor 0.4173 tCO2eq/MWh = 0.4173 kgCO2e/kWh
#     → 31,000 × 0.4173 = 12,936.3 kgCO2e (a published total: the same under every GWP set)
#   city gas 31 × 100 Nm3 = 3,100 Nm3 × 38.5 MJ/Nm3 = 119,350 MJ = 0.11935 TJ
#     CO2 0.11935 × 56,100 = 6,695.535 kg; CH4 0.11935 × 1 = 0.11935 kg; N2O 0.11935 × 0.1 = 0.011935 kg
#   diesel 31 × 10 L = 310 L × 35.3 MJ/L = 10,943 MJ = 0.010943 TJ
#     CO2 0.010943 × 74,100 = 810.8763 kg; CH4 0.010943 × 3 = 0.032829 kg; N2O 0.010943 × 0.6 = 0.0065658 kg
GAS_CO2, GAS_CH4, GAS_N2O = 6695.535, 0.11935, 0.011935
DSL_CO2, DSL_CH4, DSL_N2O = 810.8763, 0.032829, 0.0065658
SCOPE2 = 12936.3
SCOPE1 = {
    # SAR: CH4 21, N2O 310
    #   gas 6,695.535 + 2.50635 + 3.69985 = 6,701.7412; diesel 810.8763 + 0.689409 + 2.035398 = 813.601107
    "SAR": 6701.7412 + 813.601107,
    # AR5: CH4 28, N2O 265
    #   gas 6,695.535 + 3.3418 + 3.162775 = 6,702.039575; diesel 810.8763 + 0.919212 + 1.739937 = 813.535449
    "AR5": 6702.039575 + 813.535449,
    # AR6: fossil CH4 29.8, N2O 273
    #   gas 6,695.535 + 3.55663 + 3.258255 = 6,702.349885; diesel 810.8763 + 0.9783042 + 1.7924634 = 813.6470676
    "AR6": 6702.349885 + 813.6470676,
}


@pytest.mark.parametrize("gwp_set", ["SAR", "AR5", "AR6"])
def test_month_of_electricity_city_gas_and_diesel_by_hand(db: Database, gwp_set: str) -> None:
    with db.session() as s:
        plant = make_plant(s, 1)
        daily(s, plant.points["kwh"], MARCH_2023, [1000.0] * 31, estimated=frozenset({3, 4}))
        daily(s, plant.points["gas"], MARCH_2023, [100.0] * 31)
        daily(s, plant.points["diesel"], MARCH_2023, [10.0] * 31)
        inv = service.compute_inventory(s, plant.company_id, "2023-03", gwp_set)
    totals = inv["totals_kg"]
    assert totals["scope1_kg"] == pytest.approx(SCOPE1[gwp_set], rel=1e-12)
    assert totals["scope2_location_kg"] == pytest.approx(SCOPE2, rel=1e-12)
    # no contractual instruments: market-based equals location-based (residual = location factor, disclosed)
    assert totals["scope2_market_kg"] == pytest.approx(SCOPE2, rel=1e-12)
    assert {w["code"] for w in inv["warnings"]} == {"residual_mix_unavailable"}
    assert totals["total_location_kg"] == pytest.approx(SCOPE1[gwp_set] + SCOPE2, rel=1e-12)
    by_source = {(line["source"], line["method"]): line for line in inv["lines"]}
    gas = by_source[("p1.gas", "")]
    assert gas["gases_kg"] == pytest.approx({"CO2": GAS_CO2, "CH4": GAS_CH4, "N2O": GAS_N2O})
    assert by_source[("p1.diesel", "")]["gases_kg"] == pytest.approx({"CO2": DSL_CO2, "CH4": DSL_CH4, "N2O": DSL_N2O})
    # the trace: readings with their quality, the factor row with its version, the formula
    elec = by_source[("p1.kwh", "location")]
    assert elec["readings"]["present"] == 31
    assert elec["readings"]["expected"] == 31
    assert elec["readings"]["estimated"] == 2
    assert elec["readings"]["estimated_share"] == pytest.approx(2 / 31, abs=1e-6)
    assert elec["factors"][0]["factor_id"] == "kr-grid-2023"
    assert elec["factors"][0]["version"] == "gir-2025-12"
    assert "31000 kWh × 0.4173" in elec["formula"]
    assert gas["factors"][0]["factor_id"] == "fuel-city-gas"
    assert "38.5 MJ/Nm3" in gas["formula"]
    # data quality: electricity 1 + 2 × 2/31 = 1.129 → 1.13; city gas 1 + 0.5 (its NCV row is unverified)
    assert elec["dq_score"] == 1.13
    assert gas["dq_score"] == 1.5


def test_entered_data_instruments_and_site_boundary(db: Database) -> None:
    with db.session() as s:
        plant = make_plant(s, 2)
        other = make_plant(s, 3)
        daily(s, plant.points["kwh"], MARCH_2023, [1000.0] * 31)
        service.add_activity(s, plant.company_id, {"site_id": plant.site_id, "occurred_on": dt.date(2023, 3, 9),
                                                   "category": "refrigerant", "substance": "R-410A", "amount": 2.0,
                                                   "unit": "kg"})
        service.add_activity(s, plant.company_id, {"site_id": plant.site_id, "occurred_on": dt.date(2023, 4, 1),
                                                   "category": "refrigerant", "substance": "R-410A", "amount": 99.0,
                                                   "unit": "kg"})  # April: outside the month
        service.add_instrument(s, plant.company_id, {"site_id": plant.site_id, "kind": "ppa",
                                                     "period_start": MARCH_2023, "period_end": dt.date(2023, 4, 1),
                                                     "mwh": 10.0, "factor_t_per_mwh": 0.0, "reference": "solar"})
        inv = service.compute_inventory(s, plant.company_id, "2023-03", "AR5", site_id=plant.site_id)
        with pytest.raises(Exception, match="not found"):
            service.compute_inventory(s, plant.company_id, "2023-03", "AR5", site_id=other.site_id)
    # R-410A AR5 GWP 0.5 × 677 + 0.5 × 3,170 = 1,923.5 → 2 kg × 1,923.5 = 3,847 kgCO2e
    assert inv["totals_kg"]["scope1_kg"] == pytest.approx(3847.0)
    # location 31,000 kWh × 0.4173 = 12,936.3; market: 10 MWh × 0 + 21 MWh × 0.4173 t = 8,763.3 kg
    assert inv["totals_kg"]["scope2_location_kg"] == pytest.approx(12936.3)
    assert inv["totals_kg"]["scope2_market_kg"] == pytest.approx(8763.3)


def _steel_readings(path: Path) -> pd.DataFrame:
    """The dataset's 15-minute kWh, labelled by interval end in Korean time (midnight written as 00:00
    of the day it ends... the README: '31/12/2018 00:00' is really 2019-01-01 00:00), as interval starts."""
    raw = pd.read_csv(path, encoding="utf-8-sig")
    label = pd.to_datetime(raw["date"], format="%d/%m/%Y %H:%M")
    midnight = (label.dt.hour == 0) & (label.dt.minute == 0)
    end = label + pd.to_timedelta(midnight.astype(int), unit="D")
    start = (end - pd.Timedelta(minutes=15)).dt.tz_localize(KST)
    ts = (start - pd.Timestamp(0, tz="UTC")) // pd.Timedelta(seconds=1)
    return pd.DataFrame({"ts": ts.to_numpy(), "kwh": raw["Usage_kWh"].to_numpy(), "co2_t": raw["CO2(tCO2)"].to_numpy()})


def test_steel_plant_2018_scope2_against_its_co2_column(db: Database, steel_csv: Path) -> None:
    data = _steel_readings(steel_csv)
    assert data["ts"].min() == to_epoch_s(dt.datetime(2018, 1, 1, tzinfo=KST))
    assert data["ts"].max() == to_epoch_s(dt.datetime(2018, 12, 31, 23, 45, tzinfo=KST))
    with db.session() as s:
        plant = make_plant(s, 4, daily=False)
        system(s)
        point = tenancy.create_point(s, schemas.PointCreate(
            site_id=plant.site_id, code="daewoo.kwh", name="수전 유효전력량", quantity="active_energy", unit="kWh",
            carrier=Carrier.electricity, kind=PointKind.interval, interval_s=900))
        write_readings(s, pd.DataFrame({"point_id": point.id, "ts": data["ts"], "value": data["kwh"]}))
        inv = service.compute_inventory(s, plant.company_id, "2018", "SAR")
    (line,) = [ln for ln in inv["lines"] if ln["method"] == "location"]
    kwh = float(data["kwh"].sum())
    # annual use 959,636.71 kWh; the factor applicable to 2018 is the guideline's 2014-2016 national
    # factor, 0.45941 tCO2eq/MWh with SAR GWPs (0.4594106 before rounding)
    assert line["activity"] == pytest.approx(kwh, rel=1e-12)
    assert line["factors"][0]["factor_id"] == "kr-grid-2014-2016"
    ours_t = inv["totals_t"]["scope2_location_t"]
    assert ours_t == pytest.approx(kwh / 1000 * 0.4594106, rel=1e-9)  # ≈ 440.87 t
    theirs_t = float(data["co2_t"].sum())                               # 403.81 t
    # The dataset is 8.4 % lower.  Not a different factor: it rounds each 15-minute figure to 0.01 t,
    # and 60 % of the intervals use less than ~10.9 kWh (0.005 t / 0.4594 t/MWh), which round to 0.
    # Redoing exactly that rounding with our factor gives the dataset's total within 0.6 %, and the
    # same value as the dataset in all but 112 of 35,040 intervals.
    assert (ours_t - theirs_t) / ours_t == pytest.approx(0.084, abs=0.005)
    rounded = np.round(data["kwh"].to_numpy() * 0.4594106 / 1000, 2)
    assert float(rounded.sum()) == pytest.approx(theirs_t, rel=0.006)
    assert int((rounded != data["co2_t"].to_numpy()).sum()) < 150
    assert (data["co2_t"] == 0).mean() == pytest.approx(0.60, abs=0.01)
    # every reading stored, none estimated: data-quality score 1.5 (1 + 0.5 for a factor not yet checked
    # against the guideline text)
    assert line["readings"]["present"] == 35040
    assert line["readings"]["expected"] == 35040
    assert line["dq_score"] == 1.5


def test_product_footprints_sum_exactly_to_the_site_total(db: Database) -> None:
    with db.session() as s:
        plant = make_plant(s, 5)
        daily(s, plant.points["kwh"], MARCH_2023, [1000.0] * 31)
        daily(s, plant.points["gas"], MARCH_2023, [100.0] * 31)
        daily(s, plant.points["diesel"], MARCH_2023, [10.0] * 31)
        for code, quantity, mass_kg, hours in (("coil", 100.0, 60_000.0, 10.0), ("wire", 400.0, 40_000.0, 30.0)):
            service.add_production(s, plant.company_id, {"site_id": plant.site_id, "period": "2023-03",
                                                         "product_code": code, "declared_unit": "t",
                                                         "quantity": quantity, "mass_kg": mass_kg,
                                                         "machine_hours": hours})
        by_mass = service.product_footprints(s, plant.company_id, "2023-03", gwp_set="AR5", basis="mass")
        by_hours = service.product_footprints(s, plant.company_id, "2023-03", gwp_set="AR5", basis="machine_hours")
        empty = service.product_footprints(s, plant.company_id, "2023-04", gwp_set="AR5")
    # site total AR5 (see SCOPE1 and SCOPE2 above): 7,515.575024 + 12,936.3 = 20,451.875024 kg = 20,451,875 g
    total_g = round((SCOPE1["AR5"] + SCOPE2) * 1000)
    assert total_g == 20_451_875
    assert by_mass["total_g"] == total_g
    coil, wire = by_mass["products"]
    # by mass 60 t : 40 t → 12,271,125 g and 8,180,750 g (exact shares, no remainder)
    assert (coil["allocated_g"], wire["allocated_g"]) == (12_271_125, 8_180_750)
    assert coil["allocated_g"] + wire["allocated_g"] == total_g
    # per declared unit: coil 12,271.125 kg / 100 t = 122.71125 kgCO2e/t
    assert coil["pcf_kg_per_unit"] == pytest.approx(122.71125)
    # by machine hours 10 h : 30 h → 5,112,968.75 and 15,338,906.25 g → floors 5,112,968 + 15,338,906 = 20,451,874;
    # the 1 g left goes to the larger remainder (0.75 vs 0.25): coil 5,112,969 g
    coil_h, wire_h = by_hours["products"]
    assert (coil_h["allocated_g"], wire_h["allocated_g"]) == (5_112_969, 15_338_906)
    assert by_hours["allocated_g"] == total_g
    assert empty["products"] == []
    assert "no_production" in {w["code"] for w in empty["warnings"]}


def test_cbam_from_the_inventory_and_production(db: Database) -> None:
    with db.session() as s:
        plant = make_plant(s, 6)
        daily(s, plant.points["kwh"], MARCH_2023, [1000.0] * 31)
        daily(s, plant.points["gas"], MARCH_2023, [100.0] * 31)
        daily(s, plant.points["diesel"], MARCH_2023, [10.0] * 31)
        for code, mass_kg in (("coil", 60_000.0), ("wire", 40_000.0)):
            service.add_production(s, plant.company_id, {"site_id": plant.site_id, "period": "2023-03",
                                                         "product_code": code, "declared_unit": "t",
                                                         "quantity": mass_kg / 1000, "mass_kg": mass_kg})
        coil = service.cbam_embedded(s, plant.company_id, "2023-03", cn_code="7208", product_code="coil")
        nothing = service.cbam_embedded(s, plant.company_id, "2023-04")
    # coil is 60 of the 100 t: direct 0.6 × 7.515575024 t = 4.5093450144 t; electricity 0.6 × 31 MWh = 18.6 MWh
    # × 0.4173 = 7.76178 t; SEE_dir = 4.5093450144 / 60 = 0.07515575024; SEE_ind = 7.76178 / 60 = 0.129363
    embedded = coil["embedded"]
    assert embedded["see_direct"] == pytest.approx(SCOPE1["AR5"] / 1000 * 0.6 / 60)
    assert embedded["see_indirect"] == pytest.approx(0.129363)
    assert embedded["see_total"] == pytest.approx(0.07515575024 + 0.129363)
    assert nothing["embedded"] is None
    assert "no_production_mass" in {w["code"] for w in nothing["warnings"]}
