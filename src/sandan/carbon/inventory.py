"""GHG inventory arithmetic (pure): activity in, emissions with their formula out.

GHG Protocol Corporate Standard / ISO 14064-1.  Emissions are kgCO2e inside (STYLE.md); each
:class:`Line` is one figure of an inventory with everything a verifier needs to redo it: the
activity amount and where it came from, the factor rows (with versions), the formula with the
numbers put in, and a data-quality score.

* stationary combustion (2006 IPCC Guidelines Vol.2 Ch.2, Tier 1/2, eq. 2.1):
  ``E_g [kg] = amount [unit] × NCV [MJ/unit] × 1e-6 [TJ/MJ] × EF_g [kg/TJ]``, ``CO2e = Σ_g E_g × GWP_g``;
* purchased electricity (GHG Protocol Scope 2 Guidance, ch. 6):
  location-based ``E [kgCO2e] = kWh × EF_grid [tCO2e/MWh]`` (tCO2e/MWh = kgCO2e/kWh);
  market-based ``E = Σ_i MWh_i × EF_i + (MWh − Σ_i MWh_i) × EF_residual``;
* refrigerant top-ups (mass-balance simplification, GHG Protocol HFC tool): ``E = kg × GWP``;
* process emissions entered as a mass of one gas: ``E = kg × GWP``.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import asdict, dataclass, field
from typing import Any

from sandan.carbon.factors import FuelFactor, GridFactor, GwpSet, electricity_tco2e_per_mwh, gwp
from sandan.core.errors import InvalidInput
from sandan.core.timeutil import KST

COMBUSTION_GASES = ("CO2", "CH4", "N2O")


@dataclass
class ReadingsTrace:
    """What the readings behind an activity amount were: counts by quality over the period."""

    point_id: int
    code: str
    unit: str
    expected: int
    present: int
    estimated: int
    edited: int

    @property
    def estimated_share(self) -> float:
        """Share of the stored readings that are estimates [0..1]."""
        return self.estimated / self.present if self.present else 0.0

    @property
    def completeness(self) -> float:
        """Stored readings over expected intervals [0..1]."""
        return min(self.present, self.expected) / self.expected if self.expected else 1.0

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "estimated_share": round(self.estimated_share, 6),
                "completeness": round(self.completeness, 6)}


@dataclass
class Line:
    """One inventory figure: scope, what, how much, and how it was computed."""

    scope: int
    category: str
    source: str
    activity: float
    activity_unit: str
    gases_kg: dict[str, float]
    co2e_kg: float
    formula: str
    factors: list[dict[str, Any]]
    gwp_set: str
    method: str = ""
    site_id: int | None = None
    readings: ReadingsTrace | None = None
    entry_id: int | None = None
    dq_score: float = 1.0
    warnings: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["readings"] = self.readings.to_dict() if self.readings else None
        return out


def _g(x: float) -> str:
    return f"{x:.6g}"


def combustion(amount: float, fuel: FuelFactor, gwp_set: GwpSet) -> tuple[dict[str, float], float, str]:
    """Stationary-combustion emissions of ``amount`` [fuel.unit] of a fuel.

    Returns the gases [kg], the total [kgCO2e] and the formula with the numbers in it.
    """
    tj = amount * fuel.ncv_mj_per_unit * 1e-6
    ef = {"CO2": fuel.co2_kg_per_tj, "CH4": fuel.ch4_kg_per_tj, "N2O": fuel.n2o_kg_per_tj}
    gases = {g: tj * ef[g] for g in COMBUSTION_GASES}
    co2e = sum(gases[g] * gwp(g, gwp_set) for g in COMBUSTION_GASES)
    formula = (f"{_g(amount)} {fuel.unit} × {_g(fuel.ncv_mj_per_unit)} MJ/{fuel.unit} × 1e-6 TJ/MJ = {_g(tj)} TJ; "
               + " + ".join(f"{_g(tj)} TJ × {_g(ef[g])} kg{g}/TJ × GWP {_g(gwp(g, gwp_set))}" for g in COMBUSTION_GASES)
               + f" = {_g(co2e)} kgCO2e ({gwp_set})")
    return gases, co2e, formula


def electricity_location(kwh: float, grid: GridFactor, gwp_set: GwpSet) -> tuple[dict[str, float], float, str]:
    """Location-based scope 2 of ``kwh`` [kWh] with grid factor row ``grid``."""
    factor = electricity_tco2e_per_mwh(grid, gwp_set)
    co2e = kwh * factor
    if grid.per_gas:
        gases = {"CO2": kwh / 1000 * (grid.co2_t_per_mwh or 0.0) * 1000,
                 "CH4": kwh / 1000 * (grid.ch4_kg_per_mwh or 0.0),
                 "N2O": kwh / 1000 * (grid.n2o_kg_per_mwh or 0.0)}
        how = (f"({_g(grid.co2_t_per_mwh or 0.0)} tCO2/MWh + {_g(grid.ch4_kg_per_mwh or 0.0)} kgCH4/MWh × "
               f"GWP {_g(gwp('CH4', gwp_set))} / 1000 + {_g(grid.n2o_kg_per_mwh or 0.0)} kgN2O/MWh × "
               f"GWP {_g(gwp('N2O', gwp_set))} / 1000) = {_g(factor)} tCO2e/MWh")
    else:
        gases = {}
        how = f"{_g(factor)} tCO2eq/MWh (published total; the publisher's GWPs apply)"
    formula = f"{_g(kwh)} kWh × {how} = {_g(co2e)} kgCO2e"
    return gases, co2e, formula


@dataclass(frozen=True)
class Instrument:
    """A contractual instrument for market-based scope 2: ``mwh`` [MWh] at ``factor_t_per_mwh`` [tCO2e/MWh]."""

    label: str
    mwh: float
    factor_t_per_mwh: float


def electricity_market(kwh: float, instruments: list[Instrument], residual_t_per_mwh: float) -> tuple[float, str]:
    """Market-based scope 2 [kgCO2e] of ``kwh`` [kWh] covered by ``instruments``, the rest at the residual
    factor [tCO2e/MWh].  Instruments may not claim more than was consumed."""
    mwh = kwh / 1000
    claimed = sum(i.mwh for i in instruments)
    if claimed > mwh + 1e-9:
        raise InvalidInput(f"contractual instruments claim {claimed:g} MWh but only {mwh:g} MWh was consumed "
                           "in the period", field="instruments")
    parts = [(f"{_g(i.mwh)} MWh × {_g(i.factor_t_per_mwh)} tCO2e/MWh ({i.label})", i.mwh * i.factor_t_per_mwh)
             for i in instruments]
    rest = mwh - claimed
    parts.append((f"{_g(rest)} MWh × {_g(residual_t_per_mwh)} tCO2e/MWh (residual)", rest * residual_t_per_mwh))
    co2e = sum(t for _, t in parts) * 1000
    return co2e, " + ".join(p for p, _ in parts) + f" = {_g(co2e)} kgCO2e"


def gas_release(kg: float, substance: str, gwp_set: GwpSet) -> tuple[dict[str, float], float, str]:
    """A released mass of one gas or blend [kg] (refrigerant top-up, process emission) in kgCO2e."""
    factor = gwp(substance, gwp_set)
    co2e = kg * factor
    return {substance: kg}, co2e, f"{_g(kg)} kg {substance} × GWP {_g(factor)} ({gwp_set}) = {_g(co2e)} kgCO2e"


def dq_score(*, metered: bool, estimated_share: float = 0.0, completeness: float = 1.0,
             factor_verified: bool = True) -> float:
    """Data-quality score of one figure, 1 (best) to 5 (worst).

    ``1`` for metered activity data (``2`` entered by hand), plus 2 × the share of estimated
    readings [0..1], plus 2 × the missing share of expected readings [0..1], plus 0.5 when a
    factor row is not verified against its source; capped at 5.  (The scale follows the 1-5
    direction of the PACT data-quality ratings; the weights are sandan's.)
    """
    score = (1.0 if metered else 2.0) + 2.0 * estimated_share + 2.0 * (1.0 - completeness)
    score += 0.0 if factor_verified else 0.5
    return round(min(score, 5.0), 2)


def weighted_dq(lines: list[Line]) -> float | None:
    """Emission-weighted mean data-quality score of ``lines`` (None without emissions)."""
    total = sum(abs(line.co2e_kg) for line in lines)
    if total == 0:
        return None
    return round(sum(abs(line.co2e_kg) * line.dq_score for line in lines) / total, 2)


_PERIOD = re.compile(r"^(\d{4})(?:-(?:(0[1-9]|1[0-2])|Q([1-4])))?$")


def period_bounds(label: str) -> tuple[dt.datetime, dt.datetime, str]:
    """A reporting period ``YYYY``, ``YYYY-Qn`` or ``YYYY-MM`` as [start, end) in Korean time and its kind."""
    m = _PERIOD.match(label.strip())
    if not m:
        raise InvalidInput(f"'{label}' is not a period; write a year (2026), a quarter (2026-Q1) or a month "
                           "(2026-03)", field="period")
    year = int(m.group(1))
    if not 1990 <= year <= 2100:
        raise InvalidInput(f"{year} is outside the years sandan reports (1990-2100)", field="period")
    if m.group(2):
        first, months, kind = int(m.group(2)), 1, "month"
    elif m.group(3):
        first, months, kind = 3 * int(m.group(3)) - 2, 3, "quarter"
    else:
        first, months, kind = 1, 12, "year"
    start = dt.datetime(year, first, 1, tzinfo=KST)
    end_month = first + months
    end = dt.datetime(year + (end_month - 1) // 12, (end_month - 1) % 12 + 1, 1, tzinfo=KST)
    return start, end, kind


def totals(lines: list[Line]) -> dict[str, float]:
    """Scope totals [kgCO2e]: scope 1, scope 2 location- and market-based side by side."""
    s1 = sum(line.co2e_kg for line in lines if line.scope == 1)
    s2_loc = sum(line.co2e_kg for line in lines if line.scope == 2 and line.method == "location")
    s2_mkt = sum(line.co2e_kg for line in lines if line.scope == 2 and line.method == "market")
    return {"scope1_kg": s1, "scope2_location_kg": s2_loc, "scope2_market_kg": s2_mkt,
            "total_location_kg": s1 + s2_loc, "total_market_kg": s1 + s2_mkt}
