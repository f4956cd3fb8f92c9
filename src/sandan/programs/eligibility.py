"""Who may apply to which programme: explicit rules, each refusal explained in words.

Rules are written in the programme table (``eligibility_rule``):

* ``designated`` — the applicant's complex is a designated smart green complex (designated in
  or before the call year);
* ``designated_in=<year>`` — reserved to the complexes designated in that year (2025: asan_bugok,
  masan_ftz, chungju_1);
* ``complexes=<code>;<code>`` — reserved to the named complexes (resource circulation: Yeosu and
  Pohang);
* ``tenant_sector=carbon5`` — a tenant company of a designated complex in one of the five
  carbon-regulated sectors (automobiles, batteries, home appliances, steel/aluminium, textiles),
  recognised by its KSIC code (``reference/ksic_carbon_sectors.csv``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sandan.programs.catalogue import carbon_sector_prefixes


@dataclass(frozen=True)
class Applicant:
    """What eligibility looks at: the applicant's complex (code and designation year, ``None`` when
    not designated), whether it applies as a company, and its KSIC code (5 digits)."""

    complex_code: str
    designated_year: int | None
    is_company: bool = True
    ksic_code: str = ""


@dataclass(frozen=True)
class Refusal:
    """Why an applicant may not apply: a code, a sentence, and the values behind it."""

    code: str
    message: str
    data: dict[str, Any] = field(default_factory=dict)


def carbon_sector(ksic_code: str) -> str | None:
    """The carbon-regulated sector a KSIC code belongs to (longest matching prefix), or ``None``."""
    for prefix, sector in carbon_sector_prefixes():
        if ksic_code.startswith(prefix):
            return sector
    return None


def _designated(a: Applicant, call_year: int) -> list[Refusal]:
    if a.designated_year is None:
        return [Refusal("not_designated", f"the complex {a.complex_code} is not a designated smart green complex",
                        {"complex": a.complex_code})]
    if a.designated_year > call_year:
        return [Refusal("designated_later", f"the complex {a.complex_code} was designated in {a.designated_year}, "
                        f"after the {call_year} call", {"complex": a.complex_code, "year": a.designated_year})]
    return []


def check(rule: str, applicant: Applicant, call_year: int) -> list[Refusal]:
    """Every reason ``applicant`` may not apply under ``rule`` in the call of ``call_year``;
    empty when it may.  An unknown rule refuses (never silently admits)."""
    name, _, arg = rule.partition("=")
    refusals = _designated(applicant, call_year)
    if name == "designated":
        return refusals
    if name == "designated_in":
        year = int(arg)
        if applicant.designated_year is not None and applicant.designated_year != year:
            refusals.append(Refusal(
                "reserved_to_designation_year",
                f"this programme is reserved to complexes designated in {year}; {applicant.complex_code} "
                f"was designated in {applicant.designated_year}",
                {"year": year, "designated_year": applicant.designated_year}))
        return refusals
    if name == "complexes":
        allowed = [c.strip() for c in arg.split(";") if c.strip()]
        if applicant.complex_code not in allowed:
            refusals.append(Refusal(
                "reserved_to_complexes",
                f"this programme is reserved to the complexes {', '.join(allowed)}; "
                f"{applicant.complex_code} is not one of them", {"allowed": allowed}))
        return refusals
    if name == "tenant_sector" and arg == "carbon5":
        if not applicant.is_company:
            refusals.append(Refusal("company_only", "this programme is for tenant companies, not complexes"))
        elif carbon_sector(applicant.ksic_code) is None:
            refusals.append(Refusal(
                "sector_not_regulated",
                f"KSIC {applicant.ksic_code or '(none)'} is not in the five carbon-regulated sectors "
                "(automobiles, batteries, home appliances, steel/aluminium, textiles)",
                {"ksic_code": applicant.ksic_code}))
        return refusals
    return [Refusal("unknown_rule", f"the programme's eligibility rule {rule!r} is not known", {"rule": rule})]
