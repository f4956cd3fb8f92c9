"""The emission-factor library: grid electricity, fuels, global warming potentials (reference data).

Every row comes from ``sandan/carbon/reference/*.csv`` with its ``factor_id``, ``version``, source,
validity (``valid_from`` inclusive, ``valid_to`` exclusive, empty = open) and ``verified`` flag;
no factor lives in code.  Loaders read the package's own files (nothing else); the choosers are
pure.

* grid electricity [tCO2/MWh, kgCH4/MWh, kgN2O/MWh, or a published total tCO2eq/MWh]: schemes
  ``location`` (national consumption-side factors by year, GHG Protocol Scope 2 Guidance
  location-based method) and ``kets_allocation`` (the K-ETS allocation factor, kept apart);
* fuels: Korean net calorific values [MJ per unit] with 2006 IPCC default factors [kg/TJ];
* GWP-100 sets ``SAR``, ``AR5``, ``AR6`` — every calculation names one.
"""

from __future__ import annotations

import csv
import datetime as dt
from dataclasses import asdict, dataclass
from functools import lru_cache
from importlib import resources
from typing import Any, Literal

from sandan.core.errors import InvalidInput

GwpSet = Literal["SAR", "AR5", "AR6"]
GWP_SETS: tuple[GwpSet, ...] = ("SAR", "AR5", "AR6")
GRID_SCHEMES = ("location", "kets_allocation")


def _rows(name: str) -> list[dict[str, str]]:
    text = resources.files("sandan.carbon.reference").joinpath(name).read_text(encoding="utf-8")
    return list(csv.DictReader(text.splitlines()))


def _date(text: str) -> dt.date | None:
    return dt.date.fromisoformat(text) if text.strip() else None


def _float(text: str) -> float | None:
    return float(text) if text.strip() else None


def _true(text: str) -> bool:
    return text.strip().lower() == "true"


@dataclass(frozen=True)
class GridFactor:
    """One grid electricity factor row.

    ``co2_t_per_mwh`` [tCO2/MWh], ``ch4_kg_per_mwh`` [kgCH4/MWh], ``n2o_kg_per_mwh`` [kgN2O/MWh]
    when the publisher gives the gases; ``tco2eq_per_mwh`` [tCO2eq/MWh] is the published total.
    """

    factor_id: str
    version: str
    scheme: str
    basis: str
    valid_from: dt.date
    valid_to: dt.date | None
    co2_t_per_mwh: float | None
    ch4_kg_per_mwh: float | None
    n2o_kg_per_mwh: float | None
    tco2eq_per_mwh: float
    source: str
    verified: bool

    @property
    def per_gas(self) -> bool:
        return self.co2_t_per_mwh is not None

    def covers(self, day: dt.date) -> bool:
        return self.valid_from <= day and (self.valid_to is None or day < self.valid_to)

    def trace(self) -> dict[str, Any]:
        return {"table": "grid_electricity.csv", **_jsonable(asdict(self))}


@dataclass(frozen=True)
class FuelFactor:
    """One fuel: net calorific value ``ncv_mj_per_unit`` [MJ per ``unit``] and 2006 IPCC default
    emission factors ``co2_kg_per_tj``, ``ch4_kg_per_tj``, ``n2o_kg_per_tj`` [kg per TJ NCV]."""

    factor_id: str
    version: str
    carrier: str
    unit: str
    ncv_mj_per_unit: float
    co2_kg_per_tj: float
    ch4_kg_per_tj: float
    n2o_kg_per_tj: float
    valid_from: dt.date
    valid_to: dt.date | None
    source: str
    verified: bool

    def covers(self, day: dt.date) -> bool:
        return self.valid_from <= day and (self.valid_to is None or day < self.valid_to)

    def trace(self) -> dict[str, Any]:
        return {"table": "fuels.csv", **_jsonable(asdict(self))}


def _jsonable(row: dict[str, Any]) -> dict[str, Any]:
    return {k: (v.isoformat() if isinstance(v, dt.date) else v) for k, v in row.items()}


@lru_cache
def grid_factors() -> tuple[GridFactor, ...]:
    """Every grid electricity factor row of ``grid_electricity.csv``."""
    out = []
    for r in _rows("grid_electricity.csv"):
        valid_from = _date(r["valid_from"])
        assert valid_from is not None, r["factor_id"]
        out.append(GridFactor(r["factor_id"], r["version"], r["scheme"], r["basis"], valid_from,
                              _date(r["valid_to"]), _float(r["co2_t_per_mwh"]), _float(r["ch4_kg_per_mwh"]),
                              _float(r["n2o_kg_per_mwh"]), float(r["tco2eq_per_mwh"]), r["source"],
                              _true(r["verified"])))
    return tuple(out)


@lru_cache
def fuel_factors() -> tuple[FuelFactor, ...]:
    """Every fuel row of ``fuels.csv``."""
    out = []
    for r in _rows("fuels.csv"):
        valid_from = _date(r["valid_from"])
        assert valid_from is not None, r["factor_id"]
        out.append(FuelFactor(r["factor_id"], r["version"], r["carrier"], r["unit"], float(r["ncv_mj_per_unit"]),
                              float(r["co2_kg_per_tj"]), float(r["ch4_kg_per_tj"]), float(r["n2o_kg_per_tj"]),
                              valid_from, _date(r["valid_to"]), r["source"], _true(r["verified"])))
    return tuple(out)


@lru_cache
def gwp_table() -> dict[str, dict[str, float]]:
    """GWP-100 per gas and set: ``{"CH4": {"SAR": 21.0, "AR5": 28.0, "AR6": 29.8}, …}``."""
    return {r["gas"]: {"SAR": float(r["sar"]), "AR5": float(r["ar5"]), "AR6": float(r["ar6"])}
            for r in _rows("gwp.csv")}


@lru_cache
def refrigerant_blends() -> dict[str, dict[str, float]]:
    """Mass fractions of the components of each refrigerant blend: ``{"R-410A": {"HFC-32": 0.5, …}}``."""
    out: dict[str, dict[str, float]] = {}
    for r in _rows("refrigerant_blends.csv"):
        out.setdefault(r["blend"], {})[r["gas"]] = float(r["mass_fraction"])
    return out


def check_gwp_set(gwp_set: str) -> GwpSet:
    """``gwp_set`` if it is one of SAR, AR5, AR6, else InvalidInput naming the choices."""
    for known in GWP_SETS:
        if gwp_set == known:
            return known
    raise InvalidInput(f"unknown GWP set '{gwp_set}'; choose SAR, AR5 or AR6", field="gwp_set")


def gwp(gas: str, gwp_set: GwpSet) -> float:
    """GWP-100 of ``gas`` in ``gwp_set`` [kgCO2e per kg]; a blend is the mass-weighted sum of its gases."""
    table = gwp_table()
    if gas in table:
        return table[gas][gwp_set]
    blend = refrigerant_blends().get(gas)
    if blend is None:
        known = sorted([*table, *refrigerant_blends()])
        raise InvalidInput(f"no GWP for '{gas}'; known gases: {', '.join(known)}", field="substance")
    return sum(fraction * table[component][gwp_set] for component, fraction in blend.items())


def grid_factor(day: dt.date, scheme: str = "location", factor_id: str | None = None) -> GridFactor:
    """The grid factor row for ``day``: the one named by ``factor_id``, else the ``scheme`` row valid then."""
    rows = grid_factors()
    if factor_id:
        for row in rows:
            if row.factor_id == factor_id:
                return row
        raise InvalidInput(f"unknown grid factor '{factor_id}'; known: {', '.join(r.factor_id for r in rows)}",
                           field="grid_factor")
    if scheme not in GRID_SCHEMES:
        raise InvalidInput(f"unknown grid scheme '{scheme}'; use {' or '.join(GRID_SCHEMES)}", field="scheme")
    valid = [r for r in rows if r.scheme == scheme and r.covers(day)]
    if not valid:
        raise InvalidInput(f"no {scheme} grid factor covers {day.isoformat()}", field="period")
    return max(valid, key=lambda r: r.valid_from)


def fuel_factor(carrier: str, day: dt.date) -> FuelFactor:
    """The fuel row of ``carrier`` valid on ``day``."""
    valid = [r for r in fuel_factors() if r.carrier == carrier and r.covers(day)]
    if not valid:
        known = sorted({r.carrier for r in fuel_factors()})
        raise InvalidInput(f"no fuel factor for '{carrier}' on {day.isoformat()}; known fuels: {', '.join(known)}",
                           field="carrier")
    return max(valid, key=lambda r: r.valid_from)


def electricity_tco2e_per_mwh(row: GridFactor, gwp_set: GwpSet) -> float:
    """A grid factor in tCO2e/MWh under ``gwp_set``: gases weighted by their GWP where the row gives
    them, else the published total (whose GWPs the publisher chose)."""
    if row.co2_t_per_mwh is None:
        return row.tco2eq_per_mwh
    return (row.co2_t_per_mwh + (row.ch4_kg_per_mwh or 0.0) * gwp("CH4", gwp_set) / 1000.0
            + (row.n2o_kg_per_mwh or 0.0) * gwp("N2O", gwp_set) / 1000.0)
