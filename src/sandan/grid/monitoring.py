"""PV and battery monitoring: performance ratio (IEC 61724-1), under-performing strings and
inverters, battery limits — each finding an alarm as data, explained in words with the lost kWh.

Pure: per-interval frames on tz-aware interval starts in, numbers and alarms out.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd

G_REF_W_M2 = 1000.0  # reference irradiance of IEC 61724-1 [W m-2]


@dataclass(frozen=True)
class Alarm:
    """A finding: ``code`` (``string_low``, ``inverter_off``, ``battery_over_temperature`` …), what it
    concerns, when it was first seen (the start of the interval that completed the evidence), a
    message in words, and the energy lost so far [kWh] where one can be told."""

    code: str
    subject: str
    at: pd.Timestamp
    message: str
    lost_kwh: float | None = None
    data: dict[str, Any] = field(default_factory=dict)


def performance_ratio(energy_ac_kwh: pd.Series, poa_w_m2: pd.Series, dc_kw: float, *,
                      temp_cell_degc: pd.Series | None = None, gamma_pct_per_c: float = -0.37,
                      interval_h: float = 0.25, tz: str = "Asia/Seoul") -> pd.DataFrame:
    """Daily performance ratio per IEC 61724-1:2021 §10.3 [-].

    ``PR = Y_f / Y_r`` with final yield ``Y_f = E_AC / P_0`` [kWh/kWp] and reference yield
    ``Y_r = Σ G_POA Δt / G_ref`` [h]; the temperature-corrected ratio (§10.3.2) weights each
    interval's reference energy by ``C_k = 1 + γ (T_cell,k - 25 °C)``:
    ``PR_STC = E_AC / Σ (P_0 · C_k · G_POA,k / G_ref · Δt)``.  ``dc_kw`` is P_0 [kWp]; days are local
    days of ``tz``.
    """
    reference_kwh = dc_kw * poa_w_m2.clip(lower=0) / G_REF_W_M2 * interval_h
    days = pd.DatetimeIndex(energy_ac_kwh.index).tz_convert(tz).normalize()
    out = pd.DataFrame({"energy_kwh": energy_ac_kwh.groupby(days).sum(),
                        "reference_kwh": reference_kwh.reindex(energy_ac_kwh.index).groupby(days).sum()})
    out["pr"] = out["energy_kwh"] / out["reference_kwh"].where(out["reference_kwh"] > 0)
    if temp_cell_degc is not None:
        factor = 1 + gamma_pct_per_c / 100 * (temp_cell_degc.reindex(energy_ac_kwh.index) - 25.0)
        corrected = (reference_kwh.reindex(energy_ac_kwh.index) * factor).groupby(days).sum()
        out["pr_temperature_corrected"] = out["energy_kwh"] / corrected.where(corrected > 0)
    return out


def low_strings(string_kwh: pd.DataFrame, *, threshold: float = 0.05, window: int = 2,
                min_kwh: float = 0.05) -> list[Alarm]:
    """Strings whose output over ``window`` consecutive intervals stays more than ``threshold`` below
    the median of their siblings (the other columns: strings of one inverter, same orientation).

    ``string_kwh`` holds energy per interval [kWh], one column per string.  Intervals where the
    sibling median is below ``min_kwh`` (night, dawn) are not judged.  One alarm per string, at the
    first interval that completes the evidence; the lost energy is the shortfall against the
    median over the whole frame from the start of the evidence.
    """
    median = string_kwh.median(axis=1)
    judged = median >= min_kwh
    ratio = string_kwh.div(median.where(judged), axis=0)
    run = low_string_evidence(string_kwh, threshold=threshold, window=window, min_kwh=min_kwh)
    alarms = []
    for column in string_kwh.columns:
        hits = run[column].to_numpy().nonzero()[0]
        if len(hits) == 0:
            continue
        at = int(hits[0])
        begin = at - window + 1
        shortfall = (median - string_kwh[column]).iloc[begin:].clip(lower=0)[judged.iloc[begin:]].sum()
        share = float(1 - ratio[column].iloc[begin:at + 1].mean())
        alarms.append(Alarm("string_low", str(column), string_kwh.index[at],
                            f"string {column} produces {share:.0%} less than its siblings since "
                            f"{string_kwh.index[begin]}: check for soiling, shading, a blown fuse or a bad connector",
                            lost_kwh=float(shortfall), data={"shortfall_share": share}))
    return alarms


def low_string_evidence(string_kwh: pd.DataFrame, *, threshold: float = 0.05, window: int = 2,
                        min_kwh: float = 0.05) -> pd.DataFrame:
    """True at each interval that completes ``window`` judged intervals of a string more than
    ``threshold`` below its siblings' median (see :func:`low_strings`)."""
    median = string_kwh.median(axis=1)
    judged = median >= min_kwh
    low = string_kwh.lt(median * (1 - threshold), axis=0) & judged.to_numpy()[:, None]
    evidence: pd.DataFrame = low.astype(int).rolling(window, min_periods=window).sum() >= window
    return evidence


def inverter_off_evidence(inverter_kwh: pd.DataFrame, expected_kwh: pd.DataFrame, *, window: int = 2,
                          min_share: float = 0.1) -> pd.DataFrame:
    """True at each interval that completes ``window`` intervals of an inverter off while expected
    to deliver (see :func:`inverters_off`)."""
    expected = expected_kwh.reindex_like(inverter_kwh)
    off = (inverter_kwh <= 0.01 * expected) & (expected > 0) & (expected >= min_share * expected.max())
    evidence: pd.DataFrame = off.astype(int).rolling(window, min_periods=window).sum() >= window
    return evidence


def inverters_off(inverter_kwh: pd.DataFrame, expected_kwh: pd.DataFrame, *, window: int = 2,
                  min_share: float = 0.1) -> list[Alarm]:
    """Inverters delivering (almost) nothing for ``window`` intervals while they are expected to
    deliver at least ``min_share`` of their expected energy (the model, or a sibling's output scaled
    to its size) [kWh per interval, one column per inverter]."""
    expected = expected_kwh.reindex_like(inverter_kwh)
    run = inverter_off_evidence(inverter_kwh, expected_kwh, window=window, min_share=min_share)
    alarms = []
    for column in inverter_kwh.columns:
        hits = run[column].to_numpy().nonzero()[0]
        if len(hits) == 0:
            continue
        at = int(hits[0])
        lost = float((expected[column] - inverter_kwh[column]).iloc[at - window + 1:].clip(lower=0).sum())
        alarms.append(Alarm("inverter_off", str(column), inverter_kwh.index[at],
                            f"inverter {column} delivers nothing while {expected[column].iloc[at] * 4:.1f} kW is "
                            "expected: check its alarm code, AC breaker and grid voltage", lost_kwh=lost))
    return alarms


def battery_limits(temp_degc: pd.Series, soc_pct: pd.Series, *, temp_max_degc: float, soc_min_pct: float,
                   soc_max_pct: float, subject: str = "battery") -> list[Alarm]:
    """Battery readings outside their limits: the first over-temperature and the first SOC outside
    the band (the ESS safety rule's upper limit included), each an alarm with the reading."""
    alarms = []
    hot = temp_degc[temp_degc > temp_max_degc]
    if len(hot):
        alarms.append(Alarm("battery_over_temperature", subject, hot.index[0],
                            f"{subject}: cell temperature {hot.iloc[0]:.1f} °C above the {temp_max_degc:g} °C limit "
                            "— risk of thermal runaway; reduce power and check cooling, shut down if it keeps rising",
                            data={"temp_degc": float(hot.iloc[0])}))
    outside = soc_pct[(soc_pct > soc_max_pct) | (soc_pct < soc_min_pct)]
    if len(outside):
        alarms.append(Alarm("battery_soc_outside", subject, outside.index[0],
                            f"{subject}: state of charge {outside.iloc[0]:.1f} % outside the allowed "
                            f"{soc_min_pct:g}-{soc_max_pct:g} %", data={"soc_pct": float(outside.iloc[0])}))
    return alarms

