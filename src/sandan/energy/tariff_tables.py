"""KEPCO industrial tariff tables: dated versions read from ``energy/reference/*.csv``.

The tables are copies of ``../shared/data/kepco`` (rates, time-of-use hours, adjustment lines) plus
the rules of ``reference/KEPCO_RULES.md`` written out as small tables (power-factor rule, reform
deferral, the 2026 weekend discount, the excess-demand multipliers).  Every row keeps its
``source`` tags (defined in ``KEPCO_RULES.md``) and its ``verified`` flag; an empty
``effective_from`` means "since before anything we know", an empty ``effective_to`` "no end known".

Lookups answer the row in force on a date; a date no row covers raises :class:`InvalidInput` that
names the table, so a bill is never priced with a guessed rate.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

import pandas as pd

from sandan.core.errors import InvalidInput

TARIFFS = ("industrial_gap_1", "industrial_gap_2", "industrial_eul")
VOLTAGES = ("low", "high_a", "high_b", "high_c")
CHOICES = ("", "I", "II", "III")
SEASONS = ("summer", "spring_autumn", "winter")
PERIODS = ("light", "mid", "peak")
_FAR_PAST = pd.Timestamp("1900-01-01")
_FAR_FUTURE = pd.Timestamp("2999-12-31")


def season_of(month: int) -> str:
    """KEPCO season of a month [K1 별표3]: summer Jun–Aug, spring/autumn Mar–May and Sep–Oct, winter Nov–Feb."""
    if 6 <= month <= 8:
        return "summer"
    if 3 <= month <= 5 or 9 <= month <= 10:
        return "spring_autumn"
    return "winter"


def _read(name: str) -> pd.DataFrame:
    with resources.files("sandan.energy").joinpath("reference", name).open(encoding="utf-8") as fh:
        frame = pd.read_csv(fh, dtype={"choice": str}, keep_default_na=False, na_values={"effective_from": [""],
                                                                                            "effective_to": [""]})
    for col in ("effective_from", "effective_to"):
        if col in frame:
            frame[col] = pd.to_datetime(frame[col])
    if "effective_from" in frame:
        frame["effective_from"] = frame["effective_from"].fillna(_FAR_PAST)
        frame["effective_to"] = frame["effective_to"].fillna(_FAR_FUTURE)
    return frame


@dataclass(frozen=True)
class RateVersion:
    """The basic charge and energy rates of one tariff/voltage/choice in force on a date."""

    basic_krw_per_kw: float
    energy_krw_per_kwh: dict[tuple[str, str], float]  # (season, load_period) -> rate; "flat" for 갑Ⅰ
    effective_from: dt.date
    verified: bool
    source: str


@dataclass(frozen=True)
class PowerFactorRule:
    """The power-factor rule in force [K1 제41–43조]: references, floors, hour windows (local hours)."""

    lag_reference_pct: int
    lag_floor_pct: int
    lag_rebate_cap_pct: int
    lag_hours: tuple[int, int]
    lead_reference_pct: int
    lead_floor_pct: int
    lead_hours: tuple[int, int]
    pct_of_basic_per_pct: float
    effective_from: dt.date | None
    verified: bool


@dataclass(frozen=True)
class Discount:
    """A discount on the energy charge (the 2026 weekend discount of 산업용(을))."""

    tariff: str
    season: str
    day_types: tuple[str, ...]
    hours: tuple[int, int]
    energy_charge_factor: float
    effective_from: dt.date
    effective_to: dt.date


class TariffTables:
    """All tables, with lookups by date.  Build once (:func:`load_tables`) and share."""

    def __init__(self, rates: pd.DataFrame, tou: pd.DataFrame, adjustments: pd.DataFrame,
                 power_factor: pd.DataFrame, deferrals: pd.DataFrame, discounts: pd.DataFrame,
                 excess: pd.DataFrame) -> None:
        self.rates, self.tou, self.adjustments = rates, tou, adjustments
        self.power_factor, self.deferrals, self.discounts_table, self.excess = (power_factor, deferrals, discounts,
                                                                               excess)
        # lookups run once per metered day: plain records and a memo keep a year's bills fast
        self._records = {name: _records(frame) for name, frame in (
            ("rates", rates), ("tou", tou), ("adjustments", adjustments), ("power_factor", power_factor))}
        self._memo: dict[tuple[Any, ...], Any] = {}

    def _in_force(self, table: str, day: dt.date) -> list[dict[str, Any]]:
        key = ("in_force", table, day)
        if key not in self._memo:
            self._memo[key] = [r for r in self._records[table] if r["effective_from"] <= day <= r["effective_to"]]
        return self._memo[key]  # type: ignore[no-any-return]

    def rate_version(self, tariff: str, voltage: str, choice: str, day: dt.date) -> RateVersion:
        """Rates of a tariff, voltage and choice (``""`` for 갑Ⅰ low voltage) in force on ``day``."""
        key = ("rates", tariff, voltage, choice, day)
        if key in self._memo:
            return self._memo[key]  # type: ignore[no-any-return]
        rows = [r for r in self._in_force("rates", day)
                if r["tariff"] == tariff and r["voltage"] == voltage and r["choice"] == choice]
        if not rows:
            raise InvalidInput(f"no KEPCO rates for {tariff} {voltage} {choice or '-'} in force on {day} "
                               "(tariff_rates.csv)", field="tariff")
        basic = rows[0]["basic_krw_per_kw"]
        if basic == "" or pd.isna(basic):
            raise InvalidInput(f"the basic charge of {tariff} {voltage} {choice or '-'} on {day} is not known "
                               "(tariff_rates.csv)", field="tariff")
        energy = {(str(r["season"]), str(r["load_period"])): float(r["energy_krw_per_kwh"]) for r in rows}
        version = RateVersion(float(basic), energy, rows[0]["effective_from"], all(r["verified"] for r in rows),
                              ";".join(sorted({tag for r in rows for tag in str(r["source"]).split(";")})))
        self._memo[key] = version
        return version

    def hour_periods(self, tariff: str, season: str, day: dt.date) -> tuple[str, ...]:
        """The load period of each local hour 0..23 of an ordinary weekday (``tou_hours.csv``).

        갑Ⅰ has no time-of-use rates; its billing demand still needs mid/peak hours, which are
        those of 갑Ⅱ.
        """
        group = "industrial_gap_2" if tariff == "industrial_gap_1" else tariff
        key = ("tou", group, season, day)
        if key in self._memo:
            return self._memo[key]  # type: ignore[no-any-return]
        rows = [r for r in self._in_force("tou", day) if r["tariff_group"] == group and r["season"] == season]
        if not rows:
            raise InvalidInput(f"no time-of-use hours for {group} {season} in force on {day} (tou_hours.csv)",
                               field="tariff")
        hours = [""] * 24
        for r in rows:
            for h in range(int(r["hour_start"]), int(r["hour_end"])):
                hours[h] = str(r["load_period"])
        self._memo[key] = tuple(hours)
        return tuple(hours)

    def adjustment(self, item: str, day: dt.date) -> float | None:
        """The value of an adjustment line (``adjustments.csv``) on ``day``, None where no row covers it."""
        rows = [r for r in self._in_force("adjustments", day) if r["item"] == item]
        return None if not rows else float(rows[-1]["value"])

    def adjustment_verified(self, item: str, day: dt.date) -> bool:
        """False when the row in force on ``day`` is not confirmed by the sources (no row: True)."""
        return all(r["verified"] for r in self._in_force("adjustments", day) if r["item"] == item)

    def power_factor_rule(self, day: dt.date) -> PowerFactorRule:
        rows = self._in_force("power_factor", day)
        if not rows:
            raise InvalidInput(f"no power-factor rule in force on {day}", field="tariff")
        r = rows[-1]
        start = r["effective_from"]
        return PowerFactorRule(int(r["lag_reference_pct"]), int(r["lag_floor_pct"]), int(r["lag_rebate_cap_pct"]),
                               (int(r["lag_hour_start"]), int(r["lag_hour_end"])), int(r["lead_reference_pct"]),
                               int(r["lead_floor_pct"]), (int(r["lead_hour_start"]), int(r["lead_hour_end"])),
                               float(r["pct_of_basic_per_pct"]), None if start == _FAR_PAST.date() else start,
                               bool(r["verified"]))

    def lookup_day(self, tariff: str, day: dt.date, *, deferred: bool) -> dt.date:
        """The date whose rates and hours apply to ``day``.

        A customer who deferred the 2026 reform (유예) keeps the table and hours in force the day
        before the reform until the end of the deferral [N3].
        """
        if deferred:
            for r in _plain(self.deferrals):
                if r["tariff"] != tariff:
                    continue
                start, until = dt.date.fromisoformat(str(r["reform_from"])), dt.date.fromisoformat(
                    str(r["deferred_until"]))
                if start <= day <= until:
                    return start - dt.timedelta(days=1)
        return day

    def discounts(self) -> list[Discount]:
        return [Discount(str(r["tariff"]), str(r["season"]), tuple(str(r["day_types"]).split(";")),
                         (int(r["hour_start"]), int(r["hour_end"])), float(r["energy_charge_factor"]),
                         r["effective_from"], r["effective_to"])
                for r in _records(self.discounts_table)]

    def excess_multiplier_pct(self, excess_ratio_pct: float) -> int:
        """초과사용부가금 multiplier [%] for an excess over contract power [% of contract power]."""
        rows = _plain(self.excess)
        for r in rows:
            upper = float("inf") if r["excess_ratio_to_pct"] == "" else float(r["excess_ratio_to_pct"])
            if float(r["excess_ratio_from_pct"]) <= excess_ratio_pct < upper:
                return int(r["multiplier_pct"])
        return int(rows[-1]["multiplier_pct"])


def _plain(frame: pd.DataFrame) -> list[dict[str, Any]]:
    return [{str(k): v for k, v in row.items()} for row in frame.to_dict("records")]


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows as dicts with dates as ``datetime.date`` and ``verified`` as bool."""
    out = []
    for rec in _plain(frame):
        rec["effective_from"] = rec["effective_from"].date()
        rec["effective_to"] = rec["effective_to"].date()
        rec["verified"] = str(rec.get("verified", "")).lower() == "true"
        out.append(rec)
    return out


@lru_cache(maxsize=1)
def load_tables() -> TariffTables:
    """The tables shipped in ``sandan/energy/reference`` (read once)."""
    return TariffTables(_read("tariff_rates.csv"), _read("tou_hours.csv"), _read("adjustments.csv"),
                        _read("power_factor_rules.csv"), _read("reform_deferrals.csv"), _read("discounts.csv"),
                        _read("excess_demand.csv"))
