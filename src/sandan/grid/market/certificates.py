"""Hourly granular certificates (EnergyTag style), their transfer and retirement, and the claims
they support: the hourly carbon-free energy (CFE) score and the annual renewable share by K-RE100
instrument with the RE100 plant-age rule.

A certificate stands for one Wh of metered renewable generation of one plant in one hour.  They
are issued and held in **blocks** of consecutive serial numbers ``first_wh … last_wh`` (inclusive)
per plant and hour; a transfer or a retirement of part of a block splits it.  The blocks of a
plant-hour always partition ``1 … issued_wh``: no Wh is in two blocks, so no Wh is held, sold or
claimed twice (:func:`double_counting` finds any breach; the tests apply random transfers and
retirements and check it).

Pure: records and series in, records and values out.  Energy in integer Wh.
"""

from __future__ import annotations

import datetime as dt
import enum
import math
from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Any

import pandas as pd

from sandan.core.errors import Conflict, InvalidInput


class Instrument(enum.StrEnum):
    """K-RE100 ways of procuring renewable electricity (한국형 RE100 이행수단)."""

    green_premium = "green_premium"        # 녹색프리미엄
    rec = "rec"                            # REC 구매
    third_party_ppa = "third_party_ppa"    # 제3자 PPA
    equity = "equity"                      # 지분투자
    self_generation = "self_generation"    # 자가발전
    direct_ppa = "direct_ppa"              # 직접 PPA


@dataclass(frozen=True)
class Block:
    """Certificates ``first_wh … last_wh`` of one plant-hour, held by one company.

    ``hour`` is the hour's start (UTC); ``commissioned`` the plant's commissioning (or
    re-powering) date; ``claim`` the claim it was retired for (None while it can still move).
    """

    plant_id: int
    hour: dt.datetime
    first_wh: int
    last_wh: int
    owner: int
    instrument: Instrument
    commissioned: dt.date
    claim: str | None = None

    @property
    def wh(self) -> int:
        return self.last_wh - self.first_wh + 1


def issue(plant_id: int, owner: int, generation_wh: pd.Series, instrument: Instrument,
          commissioned: dt.date) -> list[Block]:
    """One block per hour of metered generation: serials ``1 … floor(Wh)`` (a fraction of a Wh
    is not certified).  ``generation_wh`` is indexed by the hour's start (tz-aware) [Wh]."""
    if not isinstance(generation_wh.index, pd.DatetimeIndex) or generation_wh.index.tz is None:
        raise InvalidInput("generation needs a tz-aware hourly index")
    if generation_wh.index.has_duplicates:
        raise Conflict("an hour appears twice: certificates of a plant-hour are issued once")
    out = []
    for hour, value in zip(generation_wh.index.tz_convert("UTC"), generation_wh.to_numpy(float), strict=True):
        wh = math.floor(value) if math.isfinite(value) else 0
        if wh > 0:
            out.append(Block(plant_id, hour.to_pydatetime(), 1, wh, owner, instrument, commissioned))
    return out


def _take(blocks: list[Block], owner: int, hour: dt.datetime, wh: int, plant_id: int | None,
          change: Any) -> list[Block]:
    """Split off ``wh`` of the owner's unretired certificates of ``hour`` (lowest serials first)
    and apply ``change`` to the part taken."""
    if wh <= 0:
        raise InvalidInput("move at least 1 Wh")
    want = wh
    out: list[Block] = []
    for b in sorted(blocks, key=lambda b: (b.plant_id, b.hour, b.first_wh)):
        eligible = (b.owner == owner and b.hour == hour and b.claim is None
                    and (plant_id is None or b.plant_id == plant_id))
        if not eligible or want == 0:
            out.append(b)
            continue
        n = min(want, b.wh)
        out.append(change(replace(b, last_wh=b.first_wh + n - 1)))
        if n < b.wh:
            out.append(replace(b, first_wh=b.first_wh + n))
        want -= n
    if want:
        raise Conflict(f"the holder has only {wh - want} Wh of unretired certificates for that hour, not {wh}")
    return out


def transfer(blocks: list[Block], from_owner: int, to_owner: int, hour: dt.datetime, wh: int,
             plant_id: int | None = None, instrument: Instrument | None = None) -> list[Block]:
    """Move ``wh`` certificates of an hour to another company (with a PPA delivery or a market
    trade), optionally recording the instrument they now serve."""
    return _take(blocks, from_owner, hour, wh, plant_id,
                 lambda b: replace(b, owner=to_owner, instrument=instrument or b.instrument))


def retire(blocks: list[Block], owner: int, hour: dt.datetime, wh: int, claim: str,
           plant_id: int | None = None) -> list[Block]:
    """Retire ``wh`` certificates of an hour for a claim: they can never move again."""
    if not claim:
        raise InvalidInput("a retirement names its claim")
    return _take(blocks, owner, hour, wh, plant_id, lambda b: replace(b, claim=claim))


def double_counting(blocks: Iterable[Block], issued: dict[tuple[int, dt.datetime], int]) -> list[dict[str, Any]]:
    """Findings for every plant-hour whose blocks do not partition ``1 … issued Wh`` exactly
    (an overlap: a Wh counted twice; a gap: a Wh lost)."""
    by_key: dict[tuple[int, dt.datetime], list[Block]] = {}
    for b in blocks:
        by_key.setdefault((b.plant_id, b.hour), []).append(b)
    findings = []
    for key in sorted(set(by_key) | set(issued)):
        expected = 1
        for b in sorted(by_key.get(key, []), key=lambda b: b.first_wh):
            if b.first_wh != expected or b.last_wh < b.first_wh:
                findings.append({"code": "overlap" if b.first_wh < expected else "gap",
                                 "data": {"plant_id": key[0], "hour": key[1].isoformat(), "at_wh": b.first_wh}})
            expected = max(expected, b.last_wh + 1)
        if expected != issued.get(key, 0) + 1:
            findings.append({"code": "total", "data": {"plant_id": key[0], "hour": key[1].isoformat(),
                                                       "blocks_wh": expected - 1, "issued_wh": issued.get(key, 0)}})
    return findings


def hourly_cfe(consumption_wh: pd.Series, retired: Iterable[Block]) -> pd.DataFrame:
    """Hour-by-hour matching of a company's consumption with the certificates it retired [Wh]:
    ``matched = min(consumption, retired)`` per hour (a surplus hour does not cover another), and
    the CFE score of the hours is ``Σ matched / Σ consumption``.  Returns per hour
    ``consumption_wh``, ``retired_wh``, ``matched_wh``; the score is ``cfe_score(frame)``."""
    retired_by_hour: dict[pd.Timestamp, int] = {}
    for b in retired:
        if b.claim is not None:
            key = pd.Timestamp(b.hour)
            retired_by_hour[key] = retired_by_hour.get(key, 0) + b.wh
    idx = consumption_wh.index
    frame = pd.DataFrame({"consumption_wh": consumption_wh.astype(float).clip(lower=0)}, index=idx)
    frame["retired_wh"] = [float(retired_by_hour.get(pd.Timestamp(h).tz_convert("UTC"), 0)) for h in idx]
    frame["matched_wh"] = frame[["consumption_wh", "retired_wh"]].min(axis=1)
    return frame


def cfe_score(frame: pd.DataFrame) -> float:
    """Share of consumption matched hour by hour [-] (0 when nothing was consumed)."""
    total = float(frame["consumption_wh"].sum())
    return float(frame["matched_wh"].sum()) / total if total > 0 else 0.0


#: RE100 technical criteria: electricity from plants commissioned or re-powered within the last 15
#: years of the reporting year counts; self-generation is exempt.
PLANT_AGE_LIMIT_YEARS = 15
AGE_RULE_EXEMPT = frozenset({Instrument.self_generation})


def renewable_share(consumption_wh: float, retired: Iterable[Block], year: int) -> dict[str, Any]:
    """A company's annual renewable share by instrument [-], counting only certificates of hours
    in ``year`` (KST) from plants that meet the 15-year age rule (self-generation exempt);
    excluded Wh are reported, not counted."""
    counted: dict[str, int] = {i.value: 0 for i in Instrument}
    excluded = 0
    for b in retired:
        if b.claim is None or pd.Timestamp(b.hour).tz_convert("Asia/Seoul").year != year:
            continue
        too_old = year - b.commissioned.year > PLANT_AGE_LIMIT_YEARS
        if too_old and b.instrument not in AGE_RULE_EXEMPT:
            excluded += b.wh
            continue
        counted[b.instrument.value] += b.wh
    total = sum(counted.values())
    return {"year": year, "consumption_wh": consumption_wh, "renewable_wh": total, "excluded_old_plants_wh": excluded,
            "share": min(1.0, total / consumption_wh) if consumption_wh > 0 else 0.0,
            "by_instrument_wh": counted}
