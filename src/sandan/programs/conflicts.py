"""Conflicts of interest and panel assignment.

A reviewer never scores an application from their own organisation, from a consortium in which
their organisation is a member, or one where they declared a conflict (the application itself or
the company behind it).  Organisations are matched by company id when both sides have one, else
by name (compared without spaces and case)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from sandan.programs.eligibility import Refusal


def org_key(name: str) -> str:
    """A name as organisations are compared: without spaces, case-folded (``(주)`` markers kept)."""
    return "".join(name.split()).casefold()


@dataclass(frozen=True)
class ReviewerProfile:
    """A reviewer as the conflict check sees them (never their name: ids only)."""

    id: int
    affiliation: str = ""
    affiliation_company_id: int | None = None
    declared_application_ids: frozenset[int] = frozenset()
    declared_company_ids: frozenset[int] = frozenset()


@dataclass(frozen=True)
class Parties:
    """Who stands behind an application: the applicant and every consortium member."""

    application_id: int
    company_id: int
    applicant_name: str
    member_company_ids: frozenset[int] = frozenset()
    member_names: frozenset[str] = frozenset()


def conflicts(reviewer: ReviewerProfile, parties: Parties) -> list[Refusal]:
    """Every conflict of interest between ``reviewer`` and the application; empty when none."""
    out: list[Refusal] = []
    own = org_key(reviewer.affiliation)
    if reviewer.affiliation_company_id == parties.company_id or (own and own == org_key(parties.applicant_name)):
        out.append(Refusal("own_organisation", "the reviewer belongs to the applicant organisation"))
    if (reviewer.affiliation_company_id is not None and reviewer.affiliation_company_id in parties.member_company_ids) \
            or (own and own in {org_key(n) for n in parties.member_names}):
        out.append(Refusal("consortium_member", "the reviewer's organisation is a member of the consortium"))
    if parties.application_id in reviewer.declared_application_ids \
            or parties.company_id in reviewer.declared_company_ids \
            or reviewer.declared_company_ids & parties.member_company_ids:
        out.append(Refusal("declared", "the reviewer declared a conflict of interest"))
    return out


@dataclass
class PanelPlan:
    """New assignments (application id → reviewer ids) and the applications left short of a full
    panel (with how many reviewers are missing)."""

    assignments: dict[int, list[int]] = field(default_factory=dict)
    short: dict[int, int] = field(default_factory=dict)


def plan_panels(applications: Sequence[Parties], reviewers: Sequence[ReviewerProfile], panel_size: int,
                existing: dict[int, set[int]] | None = None) -> PanelPlan:
    """Complete each application's panel to ``panel_size`` reviewers without a conflict.

    Applications in id order; each takes the free reviewers with the fewest assignments so far,
    then the lowest id (deterministic, spreads the load).  ``existing`` maps application id to the
    reviewers it already has (kept, counted in the load)."""
    existing = existing or {}
    load: dict[int, int] = {r.id: 0 for r in reviewers}
    for ids in existing.values():
        for rid in ids:
            load[rid] = load.get(rid, 0) + 1
    plan = PanelPlan()
    for parties in sorted(applications, key=lambda p: p.application_id):
        have = set(existing.get(parties.application_id, set()))
        need = panel_size - len(have)
        if need <= 0:
            continue
        free = sorted((r for r in reviewers if r.id not in have and not conflicts(r, parties)),
                      key=lambda r: (load[r.id], r.id))
        chosen = [r.id for r in free[:need]]
        for rid in chosen:
            load[rid] += 1
        if chosen:
            plan.assignments[parties.application_id] = chosen
        if len(chosen) < need:
            plan.short[parties.application_id] = need - len(chosen)
    return plan


def conflicted_pairs(pairs: Iterable[tuple[ReviewerProfile, Parties]]) -> list[tuple[int, int, list[Refusal]]]:
    """(reviewer id, application id, reasons) for every pair that is in conflict."""
    return [(r.id, p.application_id, why) for r, p in pairs if (why := conflicts(r, p))]
