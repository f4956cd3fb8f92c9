"""Quantities and unit conversion on top of pint.

Adds the units a Korean factory reports in: TOE (석유환산톤, tonne of oil equivalent,
1 toe = 10^7 kcal = 41.868 GJ as used by the Energy Act), ``Nm3`` (normal cubic metre),
kgCO2e / tCO2e, and dimensionless ``count`` for production counters.  The heat content of
each energy carrier per physical unit (needed for "LNG Nm3 → TOE") is reference data read
from ``reference/toe_factors.csv`` with its source (에너지법 시행규칙 [별표] 에너지열량 환산기준).
"""

from __future__ import annotations

import csv
import datetime as dt
import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

import pint

from sandan.core.errors import InvalidInput

ureg: pint.UnitRegistry[float] = pint.UnitRegistry(cache_folder=None)
ureg.define("toe = 41.868 GJ = TOE")
ureg.define("ktoe = 1000 toe")
ureg.define("kgoe = 0.001 toe")
ureg.define("Nm3 = m**3 = Nm³")
ureg.define("CO2e = [emission_mass]")
ureg.define("gCO2e = 1e-3 CO2e")
ureg.define("kgCO2e = CO2e")
ureg.define("tCO2e = 1000 CO2e = tCO2eq")
ureg.define("count = [] ")
ureg.define("var = V * A")
ureg.define("kvarh = 1000 var * hour = kVArh = kVarh")
ureg.define("kvar = 1000 var = kVAr = kVar")

_ALIASES = {"kwh": "kWh", "mwh": "MWh", "gwh": "GWh", "kw": "kW", "mw": "MW", "nm3": "Nm3", "m3": "m**3",
            "l": "L", "℃": "degC", "°c": "degC", "c": "degC", "t": "t", "ton": "t", "tonne": "t", "%": "percent"}


@dataclass(frozen=True)
class QuantityKind:
    """One kind of measured quantity: its canonical unit and whether values add up across points."""

    name: str
    canonical_unit: str
    additive: bool
    label_ko: str
    label_en: str


#: What a Point may measure.  ``additive`` quantities (energies, volumes, masses, counts) are
#: summed across the points of a group; intensive ones (power, temperature) are not.
QUANTITIES: dict[str, QuantityKind] = {q.name: q for q in [
    QuantityKind("active_energy", "kWh", True, "유효전력량", "active energy"),
    QuantityKind("reactive_energy", "kvarh", True, "무효전력량", "reactive energy"),
    QuantityKind("active_power", "kW", False, "유효전력", "active power"),
    QuantityKind("reactive_power", "kvar", False, "무효전력", "reactive power"),
    QuantityKind("gas_volume", "Nm3", True, "가스 사용량", "gas volume"),
    QuantityKind("fuel_volume", "L", True, "연료 사용량", "fuel volume"),
    QuantityKind("steam_mass", "t", True, "스팀 사용량", "steam mass"),
    QuantityKind("heat_energy", "MJ", True, "열량", "heat energy"),
    QuantityKind("water_volume", "m**3", True, "용수 사용량", "water volume"),
    QuantityKind("temperature", "degC", False, "온도", "temperature"),
    QuantityKind("production_count", "count", True, "생산량(개수)", "production count"),
    QuantityKind("production_mass", "t", True, "생산량(톤)", "production mass"),
    QuantityKind("waste_mass", "t", True, "폐기물 발생량", "waste mass"),
    QuantityKind("irradiance", "W/m**2", False, "일사량", "irradiance"),
    QuantityKind("power_factor", "percent", False, "역률", "power factor"),
]}


#: What a unit may look like before pint reads it: names joined by ``*``, ``/`` or spaces, each
#: with an optional one-digit power ("kWh", "Nm3", "m**3", "W/m**2", "kgCO2e").  pint's parser
#: evaluates arithmetic, so unchecked text could run for minutes ("10**10**10") or raise errors
#: of its own ("kWh(", "1/0"): units arrive from API queries, request bodies and imported files.
_UNIT_SYNTAX = re.compile(r"[^\W\d]\w*(?:\s*(?:\*\*|\^)\s*-?\d)?(?:\s*[*/ ]\s*[^\W\d]\w*(?:\s*(?:\*\*|\^)\s*-?\d)?)*")
_UNIT_MAX_CHARS = 40


def parse_unit(text: str) -> pint.Unit:
    """Parse a unit string, accepting the spellings Korean meter exports use (kwh, Nm3, ℃).

    Raises ``InvalidInput`` for anything pint does not know.
    """
    cleaned = text.strip()
    cleaned = _ALIASES.get(cleaned.lower(), cleaned)
    if len(cleaned) > _UNIT_MAX_CHARS or not _UNIT_SYNTAX.fullmatch(cleaned):
        raise InvalidInput(f"unknown unit '{text}'", field="unit")
    try:
        return ureg.Unit(cleaned)
    except (pint.UndefinedUnitError, pint.DefinitionSyntaxError, ValueError, AttributeError, TypeError,
            ArithmeticError) as exc:
        raise InvalidInput(f"unknown unit '{text}'", field="unit") from exc


def check_unit_for_quantity(quantity: str, unit: str) -> None:
    """Raise ``InvalidInput`` unless ``unit`` measures ``quantity`` (kWh for active energy, …)."""
    kind = QUANTITIES.get(quantity)
    if kind is None:
        raise InvalidInput(f"unknown quantity '{quantity}'; known: {', '.join(sorted(QUANTITIES))}",
                           field="quantity")
    if parse_unit(unit).dimensionality != parse_unit(kind.canonical_unit).dimensionality:
        raise InvalidInput(f"unit '{unit}' does not measure {quantity} (expected something like "
                           f"'{kind.canonical_unit}')", field="unit")


def conversion_factor(from_unit: str, to_unit: str) -> float:
    """The factor that turns a value in ``from_unit`` into ``to_unit`` (multiplicative units only).

    >>> conversion_factor("MWh", "kWh")
    1000.0
    """
    source, target = parse_unit(from_unit), parse_unit(to_unit)
    try:
        return float(ureg.Quantity(1.0, source).to(target).magnitude)
    except pint.DimensionalityError as exc:
        raise InvalidInput(f"cannot convert {from_unit} to {to_unit}: they measure different things",
                           field="unit") from exc


def convert(value: float, from_unit: str, to_unit: str) -> float:
    """Convert one value between compatible units; offsets (degC ↔ K) handled by pint."""
    source, target = parse_unit(from_unit), parse_unit(to_unit)
    try:
        return float(ureg.Quantity(value, source).to(target).magnitude)
    except pint.DimensionalityError as exc:
        raise InvalidInput(f"cannot convert {from_unit} to {to_unit}: they measure different things",
                           field="unit") from exc


@dataclass(frozen=True)
class HeatContent:
    """Heat content of one energy carrier per physical unit [MJ per unit], with its source."""

    carrier: str
    unit: str
    gross_mj_per_unit: float
    net_mj_per_unit: float
    valid_from: dt.date
    source: str
    verified: bool


@lru_cache
def heat_contents() -> tuple[HeatContent, ...]:
    """The TOE conversion table (에너지열량 환산기준) from ``reference/toe_factors.csv``."""
    text = resources.files("sandan.reference").joinpath("toe_factors.csv").read_text(encoding="utf-8")
    rows: list[HeatContent] = []
    for row in csv.DictReader(text.splitlines()):
        rows.append(HeatContent(row["carrier"], row["unit"], float(row["gross_mj_per_unit"]),
                                float(row["net_mj_per_unit"]), dt.date.fromisoformat(row["valid_from"]),
                                row["source"], row["verified"].strip().lower() == "true"))
    return tuple(rows)


def heat_content(carrier: str, on: dt.date | None = None) -> HeatContent:
    """The heat-content row for ``carrier`` in force on date ``on`` (latest when ``on`` is None)."""
    rows = [r for r in heat_contents() if r.carrier == carrier and (on is None or r.valid_from <= on)]
    if not rows:
        known = sorted({r.carrier for r in heat_contents()})
        raise InvalidInput(f"no TOE factor for carrier '{carrier}'; known: {', '.join(known)}", field="carrier")
    return max(rows, key=lambda r: r.valid_from)


def to_toe(value: float, unit: str, carrier: str, *, basis: str = "gross", on: dt.date | None = None) -> float:
    """Convert a physical amount of a carrier to TOE [toe].

    Energy units (kWh, GJ …) of a carrier are first turned into the carrier's table unit
    (for electricity: kWh counted at its generation-basis heat rate, 9.6 MJ/kWh), then into
    MJ with the gross (총발열량, default, as energy-use reports use) or net heat content.
    """
    row = heat_content(carrier, on)
    per_unit = row.gross_mj_per_unit if basis == "gross" else row.net_mj_per_unit
    amount_in_table_unit = convert(value, unit, row.unit)
    return amount_in_table_unit * per_unit / ureg.Quantity(1, "toe").to("MJ").magnitude


def toe_factor(unit: str, carrier: str, *, basis: str = "gross", on: dt.date | None = None) -> float:
    """TOE per one ``unit`` of ``carrier`` [toe per unit]."""
    return to_toe(1.0, unit, carrier, basis=basis, on=on)




def unit_factor(from_unit: str, to_unit: str, carrier: str | None = None, *, on: dt.date | None = None) -> float:
    """Factor from ``from_unit`` to ``to_unit``; energy to TOE (toe, kgoe) goes through the
    carrier's heat content.  Multiplicative units only (not degC ↔ K)."""
    if _is_oil_equivalent(to_unit) and not _is_oil_equivalent(from_unit) and carrier and carrier != "heat":
        return toe_factor(from_unit, carrier, on=on) * conversion_factor("toe", to_unit)
    return conversion_factor(from_unit, to_unit)


def _is_oil_equivalent(unit: str) -> bool:
    return str(parse_unit(unit)) in {"toe", "ktoe", "kgoe"}
