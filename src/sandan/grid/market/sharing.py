"""Revenue sharing of complex-owned solar (햇빛소득): the distributable revenue of a quarter split
between tenants and workers by configurable rules, in won that sum exactly to it.

The revenue is first split between the rules' pools by their shares, then each pool between its
recipients by the rule's basis: equally per tenant, by roof contribution (the roof area or
capacity a tenant lends the plant), by distance (closer to the plant, more), or per worker (every
worker the same; a company receives it for its workers).  Every split is a largest-remainder
apportionment (Hamilton's method): each amount is the exact share rounded down, and the won left
over go one by one to the largest fractions (ties to the earlier recipient), so the amounts always
add up to the total exactly.

Pure: numbers in, a table out.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd

from sandan.core.errors import InvalidInput


class Basis(enum.StrEnum):
    equal = "equal"          # the same for every tenant
    roof = "roof"            # by roof contribution [m2 or kWp]
    distance = "distance"    # by 1 / distance to the plant [m-1]
    per_worker = "per_worker"  # the same for every worker


@dataclass(frozen=True)
class Rule:
    """One pool: ``share`` of the distributable revenue [-], split by ``basis``.
    ``min_distance_m`` keeps a tenant next to the plant from taking the whole distance pool [m]."""

    name: str
    share: float
    basis: Basis
    min_distance_m: float = 100.0


@dataclass(frozen=True)
class Recipient:
    """A tenant: its company id, roof contribution [m2 or kWp], distance to the plant [m] and workers [-]."""

    company_id: int
    roof: float = 0.0
    distance_m: float = 0.0
    workers: int = 0


def apportion(total_won: int, weights: npt.ArrayLike) -> npt.NDArray[np.int64]:
    """Split ``total_won`` in proportion to ``weights`` (not negative, not all zero) into integers
    that sum to it exactly (largest remainder)."""
    w = np.asarray(weights, dtype=np.float64)
    if total_won < 0:
        raise InvalidInput("a negative amount cannot be shared")
    if len(w) == 0 or (w < 0).any() or not np.isfinite(w).all() or w.sum() <= 0:
        raise InvalidInput("weights must be finite, not negative and not all zero")
    exact = total_won * (w / w.sum())
    base: npt.NDArray[np.int64] = np.floor(exact).astype(np.int64)
    left = int(total_won - base.sum())
    order = np.lexsort((np.arange(len(w)), -(exact - base)))  # largest fraction first, then index
    base[order[:left]] += 1
    return base


def distribute(distributable_won: int, rules: list[Rule], recipients: list[Recipient]) -> pd.DataFrame:
    """Each recipient's amount per rule and in total [won].

    Rule shares must sum to 1; a rule whose basis gives every recipient zero weight (no roof
    contributed, no workers) is an error rather than money left unassigned.  The ``total`` column
    sums exactly to ``distributable_won``; the ``per_worker_won`` column shows the per-worker
    amount of the worker pool (its split among workers rounds within 1 won).
    """
    if not recipients:
        raise InvalidInput("no tenant to share with")
    if not rules or abs(sum(r.share for r in rules) - 1.0) > 1e-9 or any(r.share < 0 for r in rules):
        raise InvalidInput("the rules' shares must be non-negative and add up to 1")
    pools = apportion(distributable_won, [r.share for r in rules]) if distributable_won else \
        np.zeros(len(rules), dtype=np.int64)
    ids = [r.company_id for r in recipients]
    out = pd.DataFrame(index=pd.Index(ids, name="company_id"))
    workers = np.array([r.workers for r in recipients], dtype=np.int64)
    for rule, pool in zip(rules, pools, strict=True):
        if rule.basis == Basis.equal:
            weights = np.ones(len(recipients))
        elif rule.basis == Basis.roof:
            weights = np.array([r.roof for r in recipients], dtype=float)
        elif rule.basis == Basis.distance:
            weights = 1.0 / np.maximum([r.distance_m for r in recipients], rule.min_distance_m)
        else:
            if workers.sum() <= 0:
                raise InvalidInput(f"rule {rule.name}: no workers to share with")
            # every worker the same: apportion over the workers, then add up per company
            per_worker = apportion(int(pool), np.ones(int(workers.sum()))) if pool else \
                np.zeros(int(workers.sum()), dtype=np.int64)
            owner = np.repeat(np.arange(len(recipients)), workers)
            out[rule.name] = np.bincount(owner, weights=per_worker, minlength=len(recipients)).round().astype(np.int64)
            out["per_worker_won"] = float(pool) / float(workers.sum())
            continue
        if weights.sum() <= 0:
            raise InvalidInput(f"rule {rule.name}: every tenant has zero weight")
        out[rule.name] = apportion(int(pool), weights) if pool else 0
    names = [r.name for r in rules]
    out["total"] = out[names].sum(axis=1).astype(np.int64)
    return out
