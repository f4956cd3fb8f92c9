"""Korean ESS safety rules as configurable constraints (reference data, not numbers in code).

After the ESS fires of 2017-2019 the Ministry of Trade, Industry and Energy limited the charge
rate (state of charge) of energy storage: 80 % indoors and 90 % outdoors for new systems (see
``reference/ess_safety_limits.csv`` for the source of each row and whether it is verified).  A
battery's ``soc_max_pct`` may not exceed the limit of its installation; the table can be changed
without touching code.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass
from functools import cache
from importlib import resources


@dataclass(frozen=True)
class SocRule:
    """The SOC band a rule allows for one installation type [% of usable energy]."""

    installation: str
    soc_min_pct: float
    soc_max_pct: float
    effective_from: dt.date
    effective_to: dt.date | None
    source: str
    verified: bool


@cache
def soc_rules() -> tuple[SocRule, ...]:
    """The rows of ``reference/ess_safety_limits.csv``."""
    text = resources.files("sandan.grid").joinpath("reference", "ess_safety_limits.csv").read_text(encoding="utf-8")
    return tuple(SocRule(installation=row["installation"], soc_min_pct=float(row["soc_min_pct"]),
                         soc_max_pct=float(row["soc_max_pct"]),
                         effective_from=dt.date.fromisoformat(row["effective_from"]),
                         effective_to=dt.date.fromisoformat(row["effective_to"]) if row["effective_to"] else None,
                         source=row["source"], verified=row["verified"] == "true")
                 for row in csv.DictReader(io.StringIO(text)))


def soc_rule_for(installation: str, on: dt.date, rules: tuple[SocRule, ...] | None = None) -> SocRule | None:
    """The rule in force for ``installation`` (``indoor``/``outdoor``) on day ``on``, if any."""
    for rule in rules if rules is not None else soc_rules():
        if rule.installation == installation and rule.effective_from <= on and (
                rule.effective_to is None or on < rule.effective_to):
            return rule
    return None
