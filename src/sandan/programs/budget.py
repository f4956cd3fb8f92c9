"""Budget plans of applications: national, local and private shares by project year, checked
against the programme's yearly caps and its matching rule.  Amounts in integer won [KRW]."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sandan.programs.eligibility import Refusal


@dataclass(frozen=True)
class YearBudget:
    """One project year of a plan: ``year`` counts from 1; shares [KRW]."""

    year: int
    national_krw: int
    local_krw: int
    private_krw: int

    @property
    def total_krw(self) -> int:
        return self.national_krw + self.local_krw + self.private_krw


def schedule_for(year_caps_krw: dict[str, list[int]], complex_code: str) -> list[int] | None:
    """The national cap of each project year for a complex [KRW] (its own schedule, else ``*``)."""
    return year_caps_krw.get(complex_code, year_caps_krw.get("*"))


def check_plan(plan: Sequence[YearBudget], year_caps_krw: dict[str, list[int]], complex_code: str,
               max_national_share_pct: int) -> list[Refusal]:
    """Every way ``plan`` breaks the programme's rules; empty when it is within them.

    * one line per project year, years 1..n where n is the programme's duration for the complex;
    * no negative share;
    * each year's national share at most that year's cap [KRW];
    * each year's national share at most ``max_national_share_pct`` percent of that year's total
      (checked in integers: ``national * 100 <= pct * total``).
    """
    caps = schedule_for(year_caps_krw, complex_code)
    if caps is None:
        return [Refusal("no_schedule", f"the programme has no budget schedule for {complex_code}")]
    out: list[Refusal] = []
    years = sorted(line.year for line in plan)
    want = list(range(1, len(caps) + 1))
    if years != want:
        out.append(Refusal("years", f"the plan must have one line for each project year {want}, it has {years}",
                           {"expected": want, "got": years}))
    for line in sorted(plan, key=lambda b: b.year):
        if min(line.national_krw, line.local_krw, line.private_krw) < 0:
            out.append(Refusal("negative", f"year {line.year}: a share is negative", {"year": line.year}))
            continue
        if 1 <= line.year <= len(caps) and line.national_krw > caps[line.year - 1]:
            out.append(Refusal(
                "over_cap", f"year {line.year}: the national share {line.national_krw:,} KRW is over the "
                f"programme's cap of {caps[line.year - 1]:,} KRW", {"year": line.year, "cap_krw": caps[line.year - 1]}))
        if line.national_krw * 100 > max_national_share_pct * line.total_krw:
            out.append(Refusal(
                "matching", f"year {line.year}: the national share {line.national_krw:,} KRW is more than "
                f"{max_national_share_pct}% of the year's total {line.total_krw:,} KRW; add local or private funds",
                {"year": line.year, "max_pct": max_national_share_pct}))
    return out


def national_by_year(plan: Sequence[YearBudget], years: int) -> list[int]:
    """The national share of project years 1..``years`` [KRW] (0 for a missing year)."""
    out = [0] * years
    for line in plan:
        if 1 <= line.year <= years:
            out[line.year - 1] += line.national_krw
    return out
