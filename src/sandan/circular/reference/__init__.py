"""Reference data of the circular domain: waste codes, the KR↔EU crosswalk, substitutions and factors.

The tables are CSV files beside this module (see ``README.md`` here), read once and cached.
Every row keeps its ``source``, ``version`` and ``verified`` flag, and the API shows them.

Korean business-waste classes (폐기물관리법 시행규칙 별표4) are written ``XX-XX-XX``: the first
pair is the class, the first two pairs the group, all three the code; ``XX-00-00`` and
``XX-XX-00`` are the class and group rows of the tree.  EU List of Waste entries are written
``NN NN NN`` with ``*`` after hazardous entries (2000/532/EC).
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from functools import cache
from importlib import resources

KR_CODE = re.compile(r"^\d{2}-\d{2}-\d{2}$")
EWC_CODE = re.compile(r"^\d{2} \d{2} \d{2}\*?$")
#: Stream kinds that carry no waste code and substitute by kind (residual heat, waste water).
CODELESS_KINDS = ("heat", "waste_water")


def _rows(name: str) -> list[dict[str, str]]:
    text = resources.files(__name__).joinpath(name).read_text(encoding="utf-8")
    return list(csv.DictReader(text.splitlines()))


def _flag(value: str) -> bool:
    return value.strip().lower() == "true"


@dataclass(frozen=True)
class KrCode:
    code: str
    level: int
    name_ko: str
    name_en: str
    hazardous: bool
    exchange_allowed: bool
    legal_note: str
    source: str
    version: str
    verified: bool
    ewc_code: str | None


@dataclass(frozen=True)
class EwcCode:
    code: str
    name_en: str
    hazardous: bool
    source: str
    verified: bool


@dataclass(frozen=True)
class Substitution:
    code_prefix: str
    material: str
    ratio: float
    note: str
    verified: bool


@dataclass(frozen=True)
class Factor:
    """A CO2 factor [kgCO2e per unit] and a default price or cost [KRW per unit] of one key."""

    key: str
    kind: str  # virgin, disposal or transport
    name_ko: str
    name_en: str
    unit: str
    kgco2e_per_unit: float
    price_krw_per_unit: int
    source: str
    verified: bool


@cache
def kr_codes() -> dict[str, KrCode]:
    """Korean waste classes by code, each with its EU entry from the crosswalk (if any)."""
    crosswalk = {r["kr_code"]: r["ewc_code"] for r in _rows("crosswalk.csv")}
    return {r["code"]: KrCode(r["code"], int(r["level"]), r["name_ko"], r["name_en"], _flag(r["hazardous"]),
                              _flag(r["exchange_allowed"]), r["legal_note"], r["source"], r["version"],
                              _flag(r["verified"]), crosswalk.get(r["code"]))
            for r in _rows("kr_waste_codes.csv")}


@cache
def ewc_codes() -> dict[str, EwcCode]:
    return {r["code"]: EwcCode(r["code"], r["name_en"], _flag(r["hazardous"]), r["source"], _flag(r["verified"]))
            for r in _rows("ewc_codes.csv")}


@cache
def crosswalk() -> list[dict[str, str]]:
    return _rows("crosswalk.csv")


@cache
def substitutions() -> tuple[Substitution, ...]:
    """Longest prefix first, so that the most specific rule wins."""
    rows = [Substitution(r["code_prefix"], r["material"], float(r["ratio"]), r["note"], _flag(r["verified"]))
            for r in _rows("substitutions.csv")]
    return tuple(sorted(rows, key=lambda s: -len(s.code_prefix)))


@cache
def factors() -> dict[str, Factor]:
    return {r["key"]: Factor(r["key"], r["kind"], r["name_ko"], r["name_en"], r["unit"], float(r["kgco2e_per_unit"]),
                             int(r["price_krw_per_unit"]), r["source"], _flag(r["verified"]))
            for r in _rows("factors.csv")}


def tree(code: str) -> KrCode | None:
    """The most specific row of the code tree that covers ``code`` (the code, its group, its class)."""
    table = kr_codes()
    for candidate in (code, code[:5] + "-00", code[:2] + "-00-00"):
        if candidate in table:
            return table[candidate]
    return None


def is_hazardous_kr(code: str) -> bool:
    """지정폐기물: the class (or a more specific row) says hazardous."""
    row = tree(code)
    return bool(row and row.hazardous)


def code_distance(a: str, b: str) -> int:
    """Steps up the code tree to a common ancestor: 0 same code, 1 same group, 2 same class, 3 none.

    A ``-00`` tail means "the whole group/class": ``51-03-00`` is at distance 0 of ``51-03-01``.
    """
    pa, pb = a.split("-"), b.split("-")
    for depth in (3, 2, 1):
        if all(x == y or x == "00" or y == "00" for x, y in zip(pa[:depth], pb[:depth], strict=True)):
            return 3 - depth
    return 3


def substitution_for(code: str | None, kind: str) -> Substitution | None:
    """Which virgin material a stream can replace: by the longest matching code prefix, else by its kind."""
    for sub in substitutions():
        if code is not None and code.startswith(sub.code_prefix):
            return sub
        if code is None and sub.code_prefix == kind:
            return sub
    return None
