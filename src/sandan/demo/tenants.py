"""The demo complex's synthetic tenants, drawn from one seeded generator (pure, no database).

Tenant *i* is drawn after tenants 1 … *i-1* from ``numpy.random.default_rng(seed)``, so the
first tenants are the same whatever the count, and the same seed gives the same complex on
every machine.  Sectors, KSIC codes and name parts are reference data
(``reference/demo_sectors.csv``, ``reference/demo_names.csv``).
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

import numpy as np

from sandan.core.brn import make_brn
from sandan.core.tenancy.models import SizeClass
from sandan.demo.profiles import GasProfile, LoadProfile, PvProfile

DEMO_SEED = 2026
#: centre of the Gwangyang complex [deg] and how far tenants scatter around it [deg]
CENTRE_LAT, CENTRE_LON, SCATTER_DEG = 34.93, 127.70, 0.03
#: the first three digits (tax office) of the demo's registration numbers; the fourth and fifth
#: say "corporation" (81, 86, 87, 88 are the corporate ranges)
BRN_OFFICE = "416"
CORPORATE_CODES = ("81", "86", "87", "88")


@dataclass(frozen=True)
class Sector:
    sector: str
    sector_ko: str
    ksic_code: str
    ksic_name_ko: str
    weight: float
    contract_kw_min: float
    contract_kw_max: float
    shift_p: tuple[float, float, float]
    p_saturday: float
    p_gas: float
    p_pv: float


@dataclass(frozen=True)
class TenantSpec:
    """Everything the loader needs to create one synthetic tenant and its meters."""

    index: int
    code: str
    name: str
    name_en: str
    brn: str
    sector: str
    sector_ko: str
    ksic_code: str
    size_class: SizeClass
    lat: float
    lon: float
    contract_kw: float
    load: LoadProfile
    lines: tuple[tuple[str, float], ...]
    pv: PvProfile | None
    gas: GasProfile | None


def _reference(name: str) -> list[dict[str, str]]:
    text = resources.files("sandan.reference").joinpath(name).read_text(encoding="utf-8")
    return list(csv.DictReader(text.splitlines()))


@lru_cache
def sectors() -> tuple[Sector, ...]:
    return tuple(Sector(r["sector"], r["sector_ko"], r["ksic_code"], r["ksic_name_ko"], float(r["weight"]),
                        float(r["contract_kw_min"]), float(r["contract_kw_max"]),
                        (float(r["p_shift1"]), float(r["p_shift2"]), float(r["p_shift3"])),
                        float(r["p_saturday"]), float(r["p_gas"]), float(r["p_pv"]))
                 for r in _reference("demo_sectors.csv"))


@lru_cache
def name_parts() -> tuple[tuple[tuple[str, str], ...], dict[str, tuple[tuple[str, str], ...]]]:
    """Name prefixes ``(ko, en)`` and the words of each sector."""
    rows = _reference("demo_names.csv")
    prefixes = tuple((r["ko"], r["en"]) for r in rows if r["kind"] == "prefix")
    words: dict[str, list[tuple[str, str]]] = {}
    for r in rows:
        if r["kind"] == "word":
            words.setdefault(r["sector"], []).append((r["ko"], r["en"]))
    return prefixes, {k: tuple(v) for k, v in words.items()}


def _size_class(contract_kw: float, rng: np.random.Generator) -> SizeClass:
    if contract_kw >= 4000 and rng.random() < 0.5:
        return SizeClass.large
    if contract_kw >= 1500:
        return SizeClass.mid
    return SizeClass.sme


def make_tenants(count: int = 40, seed: int = DEMO_SEED) -> list[TenantSpec]:
    """``count`` synthetic tenants, deterministic for a seed."""
    rng = np.random.default_rng(seed)
    table = sectors()
    weights = np.array([s.weight for s in table], dtype=np.float64)
    weights /= weights.sum()
    prefixes, words = name_parts()
    names: set[str] = set()
    serials: set[int] = set()
    out: list[TenantSpec] = []
    for index in range(1, count + 1):
        sector = table[int(rng.choice(len(table), p=weights))]
        sector_words = words.get(sector.sector) or words["metal"]
        for attempt in range(100):
            prefix = prefixes[int(rng.integers(len(prefixes)))]
            word = sector_words[int(rng.integers(len(sector_words)))]
            base_ko = prefix[0] + word[0] + (f" {attempt}" if attempt >= 50 else "")
            if base_ko not in names:
                break
        names.add(base_ko)
        name = f"㈜{base_ko}" if rng.random() < 0.5 else f"{base_ko}㈜"
        name_en = f"{prefix[1]} {word[1]} Co., Ltd."
        serial = int(rng.integers(1, 10_000))
        while serial in serials:
            serial = serial % 9999 + 1
        serials.add(serial)
        brn = make_brn(f"{BRN_OFFICE}{CORPORATE_CODES[int(rng.integers(len(CORPORATE_CODES)))]}{serial:04d}")

        contract_kw = float(np.exp(rng.uniform(math.log(sector.contract_kw_min), math.log(sector.contract_kw_max))))
        contract_kw = max(50.0, round(contract_kw / 10.0) * 10.0)
        size_class = _size_class(contract_kw, rng)
        shifts = int(rng.choice([1, 2, 3], p=np.array(sector.shift_p) / sum(sector.shift_p)))
        saturday = bool(rng.random() < sector.p_saturday)
        continuous = shifts == 3 and bool(rng.random() < 0.7)
        load = LoadProfile(
            seed=int(rng.integers(1, 2**31 - 1)),
            peak_kw=round(contract_kw * float(rng.uniform(0.55, 0.85)), 1),
            base_frac=round(float(rng.uniform(0.35, 0.55) if continuous else rng.uniform(0.1, 0.3)), 3),
            shifts=shifts, saturday=saturday or continuous, sunday=continuous,
            lunch_dip=round(float(rng.uniform(0.2, 0.5)), 3) if shifts < 3 else 0.0,
            noise=round(float(rng.uniform(0.03, 0.08)), 3), cooling=round(float(rng.uniform(0.05, 0.2)), 3))
        lat = round(CENTRE_LAT + float(rng.uniform(-SCATTER_DEG, SCATTER_DEG)), 5)
        lon = round(CENTRE_LON + float(rng.uniform(-SCATTER_DEG, SCATTER_DEG)), 5)
        first_share = round(float(rng.uniform(0.3, 0.5)), 3)
        lines: tuple[tuple[str, float], ...] = (("1라인", first_share),)
        if rng.random() < 0.5:
            lines += (("2라인", round(float(rng.uniform(0.15, 0.3)), 3)),)
        pv = None
        if rng.random() < sector.p_pv:
            kwp = max(20.0, round(contract_kw * float(rng.uniform(0.1, 0.3)) / 5.0) * 5.0)
            pv = PvProfile(seed=int(rng.integers(1, 2**31 - 1)), kwp=kwp, lat=lat, lon=lon)
        gas = None
        if rng.random() < sector.p_gas:
            gas = GasProfile(seed=int(rng.integers(1, 2**31 - 1)),
                             process_nm3_h=round(load.peak_kw * float(rng.uniform(0.02, 0.1)), 1),
                             heating_nm3_h=round(float(rng.uniform(2.0, 20.0)), 1), load=load)
        out.append(TenantSpec(index, f"t{index:02d}", name, name_en, brn, sector.sector, sector.sector_ko,
                              sector.ksic_code, size_class, lat, lon, contract_kw, load, lines, pv, gas))
    return out
