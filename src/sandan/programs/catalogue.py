"""The programme office's reference tables, read from ``sandan/programs/reference/*.csv``.

Every table keeps its source and a ``verified`` flag (``false`` where a value is ours, e.g. the
bonus points, which the call's announcement names but does not quantify in our data).
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache
from importlib import resources

#: One hundred million won (억원) [KRW].
EOK_KRW = 100_000_000


@dataclass(frozen=True)
class ProgrammeSpec:
    """A programme of a call as the announcement lists it.

    ``year_caps_krw`` maps a complex code (or ``*`` for any) to the national budget per award of
    each project year [KRW]; the resource-circulation programme has one schedule per complex.
    """

    code: str
    area: str
    name_ko: str
    name_en: str
    awards: int
    award_unit: str
    budget_per_award_krw: int
    year_caps_krw: dict[str, list[int]]
    eligibility_rule: str
    eligibility_text: str
    max_national_share_pct: int
    source: str

    @property
    def duration_years(self) -> int:
        """The longest project duration of any schedule [years]."""
        return max(len(caps) for caps in self.year_caps_krw.values())


def parse_year_caps(text: str) -> dict[str, list[int]]:
    """``"20/50/50/20"`` → ``{"*": [20e8, 50e8, 50e8, 20e8]}``; ``"yeosu 30/45; pohang 8/37/30"`` →
    one schedule per complex.  Values in the text are in 억원 (100 million KRW); out in [KRW]."""
    out: dict[str, list[int]] = {}
    for part in text.split(";"):
        words = part.strip().split()
        if not words:
            continue
        key, split = ("*", words[0]) if len(words) == 1 else (words[0], words[1])
        out[key] = [round(float(v) * EOK_KRW) for v in split.split("/")]
    if not out:
        raise ValueError(f"no yearly budget in {text!r}")
    return out


def _read(name: str) -> list[dict[str, str]]:
    text = resources.files("sandan.programs.reference").joinpath(name).read_text(encoding="utf-8")
    return list(csv.DictReader(text.splitlines()))


def parse_programmes(rows: list[dict[str, str]]) -> list[ProgrammeSpec]:
    """Programme specs from rows shaped like ``programs_2026.csv``; a schedule that does not add up
    to the budget per award is refused."""
    out = []
    for row in rows:
        caps = parse_year_caps(row["budget_by_year_krw_100m"])
        per_award = round(float(row["budget_per_award_krw_100m"]) * EOK_KRW)
        for key, schedule in caps.items():
            if sum(schedule) != per_award:
                raise ValueError(f"{row['code']}: the schedule of {key} adds up to {sum(schedule)} KRW, "
                                 f"not the budget per award {per_award} KRW")
        out.append(ProgrammeSpec(
            code=row["code"], area=row["area"], name_ko=row["name_ko"], name_en=row["name_en"],
            awards=int(row["awards"]), award_unit=row["award_unit"], budget_per_award_krw=per_award,
            year_caps_krw=caps, eligibility_rule=row["eligibility_rule"], eligibility_text=row["eligibility"],
            max_national_share_pct=int(row["max_national_share_pct"]), source=row["source"]))
    return out


@cache
def programmes_2026() -> tuple[ProgrammeSpec, ...]:
    """The nine programmes of the 2026 integrated call."""
    return tuple(parse_programmes(_read("programs_2026.csv")))


@cache
def carbon_sector_prefixes() -> tuple[tuple[str, str], ...]:
    """(KSIC code prefix, sector) of the five carbon-regulated sectors, longest prefix first."""
    rows = [(r["ksic_prefix"], r["sector"]) for r in _read("ksic_carbon_sectors.csv")]
    return tuple(sorted(rows, key=lambda r: -len(r[0])))


@dataclass(frozen=True)
class BonusTable:
    """Bonus points of one version of the table [points on the 100-point scale]."""

    version: str
    non_capital_area: float
    population_decline_area: float
    max_total: float
    decline_complexes: frozenset[str]
    source: str


@cache
def bonus_table() -> BonusTable:
    """The current bonus table and the complexes located in population-decline areas."""
    rows = _read("bonus_points.csv")
    points = {r["kind"]: float(r["points"]) for r in rows}
    areas = frozenset(r["complex_code"] for r in _read("population_decline_areas.csv"))
    return BonusTable(version=rows[0]["version"], non_capital_area=points["non_capital_area"],
                      population_decline_area=points["population_decline_area"], max_total=points["max_total"],
                      decline_complexes=areas, source="; ".join(sorted({r["source"] for r in rows})))


@dataclass(frozen=True)
class Indicator:
    """An evaluation indicator and its weight (the most points a reviewer may give) [points]."""

    code: str
    name_ko: str
    name_en: str
    weight: int


@cache
def default_indicators() -> tuple[Indicator, ...]:
    """The indicator set every programme starts with (weights add up to 100)."""
    return tuple(Indicator(r["code"], r["name_ko"], r["name_en"], int(r["weight"]))
                 for r in _read("indicators.csv") if r["programme"] == "*")
