"""Direct power purchase agreements (직접 PPA) between a seller and a buyer in the complex: terms,
eligibility checks, the contract lifecycle and the amounts a contract moves per quarter hour.

Pure: terms and series in, values out.  Series are 15-minute, tz-aware, labelled by interval
start.  Money is integer won (cumulative rounding: the total of a statement is the rounded exact
total and every line is within 1 won of its exact amount).

Under the direct-PPA rules (전기사업법 시행령, 2022; 분산에너지 활성화 특별법, 2024) the seller is a
renewable generator and the buyer an electricity user; which capacities qualify is a rule the
complex configures (:class:`EligibilityRules`, defaults in ``reference/ppa_eligibility.csv``).
"""

from __future__ import annotations

import csv
import datetime as dt
import enum
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

import numpy as np
import pandas as pd

from sandan.core.errors import Conflict, InvalidInput
from sandan.grid.market.clearing import INTERVAL_H, cumulative_round


class PriceType(enum.StrEnum):
    fixed = "fixed"
    smp_indexed = "smp_indexed"


class VolumeType(enum.StrEnum):
    #: the buyer takes a fixed share of whatever the plant produces
    pay_as_produced = "pay_as_produced"
    #: the seller commits to an hourly profile; a shortfall is the seller's to replace
    shaped = "shaped"


@dataclass(frozen=True)
class PpaTerms:
    """What the two parties agreed.

    Parameters
    ----------
    price_type : fixed price, or indexed to the system marginal price (SMP)
    price_krw_per_kwh : the fixed price; for SMP-indexed contracts the adder [KRW kWh-1]
    smp_multiplier : price = SMP × multiplier + adder for SMP-indexed contracts [-]
    floor_krw_per_kwh, cap_krw_per_kwh : bounds of an indexed price (None: unbounded) [KRW kWh-1]
    volume_type : pay-as-produced or shaped
    share : the buyer's share of the production, pay-as-produced [-] (0 … 1)
    profile_kwh_per_h : the committed energy per hour of the day (24 values, KST), shaped [kWh h-1]
    start, end : the term, a half-open range of KST days [start, end)
    """

    price_type: PriceType
    price_krw_per_kwh: float
    volume_type: VolumeType
    start: dt.date
    end: dt.date
    smp_multiplier: float = 1.0
    floor_krw_per_kwh: float | None = None
    cap_krw_per_kwh: float | None = None
    share: float = 1.0
    profile_kwh_per_h: tuple[float, ...] = field(default_factory=tuple)

    def validate(self) -> None:
        if self.end <= self.start:
            raise InvalidInput("the term must end after it starts", field="end")
        if self.volume_type == VolumeType.pay_as_produced and not 0 < self.share <= 1:
            raise InvalidInput("a pay-as-produced share lies in (0, 1]", field="share")
        if self.volume_type == VolumeType.shaped and (len(self.profile_kwh_per_h) != 24
                                                      or min(self.profile_kwh_per_h) < 0):
            raise InvalidInput("a shaped contract needs 24 hourly volumes, none negative", field="profile_kwh_per_h")
        if self.floor_krw_per_kwh is not None and self.cap_krw_per_kwh is not None \
                and self.floor_krw_per_kwh > self.cap_krw_per_kwh:
            raise InvalidInput("the price floor lies above the cap", field="floor_krw_per_kwh")


# --- eligibility ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class EligibilityRules:
    """Thresholds a direct PPA must meet (configurable per complex).

    Parameters
    ----------
    seller_min_capacity_kw : least installed capacity of the seller's renewable plant(s) [kW]
    buyer_min_contract_kw : least contract power (계약전력) of the buyer with KEPCO [kW]
    max_term_years : longest term allowed [year]
    """

    seller_min_capacity_kw: float
    buyer_min_contract_kw: float
    max_term_years: float = 25.0


def default_rules() -> EligibilityRules:
    """The shipped defaults (``reference/ppa_eligibility.csv``, each row with its source)."""
    text = resources.files("sandan.grid.market").joinpath("reference/ppa_eligibility.csv").read_text("utf-8")
    values = {row["rule"]: float(row["value"]) for row in csv.DictReader(text.splitlines())}
    return EligibilityRules(values["seller_min_capacity_kw"], values["buyer_min_contract_kw"],
                            values["max_term_years"])


def check_eligibility(terms: PpaTerms, seller_capacity_kw: float, buyer_contract_kw: float,
                      rules: EligibilityRules) -> list[dict[str, Any]]:
    """Findings (``code``, ``message``, ``data``) for every rule the contract breaks; empty = eligible.

    ``seller_capacity_kw`` is the renewable capacity behind the contract [kW];
    ``buyer_contract_kw`` the buyer's contract power with KEPCO [kW].
    """
    findings: list[dict[str, Any]] = []
    if seller_capacity_kw < rules.seller_min_capacity_kw:
        findings.append({"code": "seller_capacity", "message": "the seller's renewable capacity is below the minimum",
                         "data": {"capacity_kw": seller_capacity_kw, "minimum_kw": rules.seller_min_capacity_kw}})
    if buyer_contract_kw < rules.buyer_min_contract_kw:
        findings.append({"code": "buyer_contract_power", "message": "the buyer's contract power is below the minimum",
                         "data": {"contract_kw": buyer_contract_kw, "minimum_kw": rules.buyer_min_contract_kw}})
    years = (terms.end - terms.start).days / 365.25
    if years > rules.max_term_years:
        findings.append({"code": "term", "message": "the term is longer than allowed",
                         "data": {"years": round(years, 2), "maximum_years": rules.max_term_years}})
    return findings


# --- lifecycle -----------------------------------------------------------------------------------

class Status(enum.StrEnum):
    draft = "draft"
    signed = "signed"
    active = "active"
    ended = "ended"


@dataclass(frozen=True)
class Lifecycle:
    """Where a contract stands: its status and who has signed the current draft."""

    status: Status = Status.draft
    seller_signed: bool = False
    buyer_signed: bool = False


def sign(state: Lifecycle, party: str) -> Lifecycle:
    """A party (``seller`` or ``buyer``) signs the draft; the second signature makes it ``signed``."""
    if state.status != Status.draft:
        raise Conflict(f"a {state.status} contract cannot be signed again")
    if party not in ("seller", "buyer"):
        raise InvalidInput("party is seller or buyer", field="party")
    seller = state.seller_signed or party == "seller"
    buyer = state.buyer_signed or party == "buyer"
    return Lifecycle(Status.signed if seller and buyer else Status.draft, seller, buyer)


def amend(state: Lifecycle) -> Lifecycle:
    """Changing the terms of a draft withdraws both signatures (each must sign what it agrees to)."""
    if state.status != Status.draft:
        raise Conflict(f"a {state.status} contract cannot be changed")
    return Lifecycle()


def activate(state: Lifecycle, terms: PpaTerms, today: dt.date, findings: list[dict[str, Any]]) -> Lifecycle:
    """A signed, eligible contract becomes active from its first day."""
    if state.status != Status.signed:
        raise Conflict(f"only a signed contract can become active (this one is {state.status})")
    if findings:
        raise Conflict("the contract breaks eligibility rules: " + ", ".join(f["code"] for f in findings))
    if today < terms.start:
        raise Conflict(f"the term starts on {terms.start.isoformat()}")
    return Lifecycle(Status.active, True, True)


def end(state: Lifecycle) -> Lifecycle:
    """An active contract ends (its term is over, or the parties end it)."""
    if state.status != Status.active:
        raise Conflict(f"only an active contract can end (this one is {state.status})")
    return Lifecycle(Status.ended, True, True)


# --- volumes and money ---------------------------------------------------------------------------

def _in_term(index: pd.DatetimeIndex, terms: PpaTerms, tz: dt.tzinfo) -> np.ndarray:
    days = index.tz_convert(tz).date
    return np.array([terms.start <= d < terms.end for d in days], dtype=bool)


def contract_prices(terms: PpaTerms, smp_krw_per_kwh: pd.Series) -> pd.Series:
    """The contract price per interval [KRW kWh-1]: fixed, or SMP × multiplier + adder within
    the floor and cap."""
    if terms.price_type == PriceType.fixed:
        return pd.Series(terms.price_krw_per_kwh, index=smp_krw_per_kwh.index, dtype=float)
    price = smp_krw_per_kwh.astype(float) * terms.smp_multiplier + terms.price_krw_per_kwh
    return price.clip(lower=terms.floor_krw_per_kwh, upper=terms.cap_krw_per_kwh)


def statement(terms: PpaTerms, production_kwh: pd.Series, smp_krw_per_kwh: pd.Series,
              replacement_krw_per_kwh: pd.Series, tz: dt.tzinfo) -> pd.DataFrame:
    """What the contract moves per 15-minute interval.

    Parameters
    ----------
    production_kwh : metered production of the seller's plant per interval [kWh]
    smp_krw_per_kwh : system marginal price per interval [KRW kWh-1]
    replacement_krw_per_kwh : the price at which a shaped shortfall is replaced (the market or
        KEPCO price at the buyer) [KRW kWh-1]
    tz : the time zone of the term's days (Asia/Seoul)

    Returns columns ``contracted_kwh`` (owed to the buyer), ``delivered_kwh`` (from the plant),
    ``shortfall_kwh``, ``price_krw_per_kwh``, ``buyer_pays_won`` (contracted × price, the buyer
    to the seller) and ``shortfall_won`` (shortfall × replacement price, the seller's cost), both
    cumulatively rounded to the won.
    """
    terms.validate()
    idx = production_kwh.index
    if not (smp_krw_per_kwh.index.equals(idx) and replacement_krw_per_kwh.index.equals(idx)):
        raise InvalidInput("production, SMP and replacement prices need the same 15-minute index")
    active = _in_term(pd.DatetimeIndex(idx), terms, tz)
    produced = production_kwh.to_numpy(float).clip(min=0)
    if terms.volume_type == VolumeType.pay_as_produced:
        contracted = terms.share * produced
        delivered = contracted
    else:
        hours = pd.DatetimeIndex(idx).tz_convert(tz).hour
        contracted = np.asarray(terms.profile_kwh_per_h, dtype=float)[hours] * INTERVAL_H
        delivered = np.minimum(contracted, produced)
    contracted = np.where(active, contracted, 0.0)
    delivered = np.where(active, delivered, 0.0)
    shortfall = contracted - delivered
    price = contract_prices(terms, smp_krw_per_kwh).to_numpy(float)
    out = pd.DataFrame({"contracted_kwh": contracted, "delivered_kwh": delivered, "shortfall_kwh": shortfall,
                        "price_krw_per_kwh": price}, index=idx)
    out["buyer_pays_won"] = cumulative_round(contracted * price)
    out["shortfall_won"] = cumulative_round(shortfall * replacement_krw_per_kwh.to_numpy(float))
    return out
