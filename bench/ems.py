"""EMS benchmark (issue #6): a day of 15-minute battery dispatch for a complex of 1,000 companies
with 200 DERs and 5 batteries, and a year of PV modelling for 200 plants, each timed beside a
baseline measured in the same run.

Run::

    PYTHONPATH=src .venv/bin/python bench/ems.py                 # the issue's sizes
    PYTHONPATH=src .venv/bin/python bench/ems.py --plants 20     # quicker while developing

Dispatch: 1,000 synthetic SME demand profiles (seeded; day shift, night base, lunch dip) are
summed into the complex's demand; 200 DERs — 170 PV plants (rooftop and ground, several
orientations, clear sky on Wednesday 2026-06-10 in Gwangyang, modelled together with
:func:`sandan.grid.pv.pv_energy_kwh_many`), 20 small wind turbines (their curve, a synthetic
sea-breeze wind) and 10 waste-heat units (their schedules) — are summed into its generation; 5
batteries are dispatched by the LP (:func:`sandan.grid.dispatch.dispatch`, HiGHS) under KEPCO's
산업용(을) TOU energy price with an export limit, and by the naive rule
(:func:`sandan.grid.dispatch.rule_based`) as the baseline.  Both start at the SOC floor, so the
rule's schedule is feasible for the LP.  Printed: time of each, grid cost, self-consumption and
self-sufficiency, and what the LP gains.

PV year: ``--plants`` plants at one site on the Greensboro TMY3 year (pvlib's bundled file, hourly)
modelled at once (:func:`pv_energy_kwh_many`: sun position per site, irradiance per orientation)
against the per-plant loop of :func:`pv_energy_kwh` (ModelChain per plant); the totals must agree.
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np
import pandas as pd
import pvlib

from sandan.grid.balance import rates
from sandan.grid.dispatch import Battery, DispatchCase, dispatch, rule_based
from sandan.grid.pv import PvPlant, pv_energy_kwh, pv_energy_kwh_many, read_tmy3
from sandan.grid.tou import tou_price_krw_per_kwh
from sandan.grid.waste_heat import waste_heat_energy_kwh
from sandan.grid.wind import wind_energy_kwh

GWANGYANG = (34.94, 127.70)
ORIENTATIONS = [(10, 180, "rooftop"), (20, 180, "rooftop"), (25, 160, "rooftop"), (25, 200, "rooftop"),
                (30, 180, "ground"), (15, 135, "rooftop"), (15, 225, "rooftop")]


def demand_kwh(starts: pd.DatetimeIndex, companies: int, rng: np.random.Generator) -> pd.Series:
    """Sum of ``companies`` SME load profiles [kWh per 15 min]: 08-18 h shift, night base, lunch dip."""
    hour = starts.tz_convert("Asia/Seoul").hour.to_numpy() + starts.tz_convert("Asia/Seoul").minute.to_numpy() / 60
    shift = ((hour >= 8) & (hour < 18)).astype(float) - 0.4 * ((hour >= 12) & (hour < 13))
    peak_kw = rng.lognormal(mean=np.log(40), sigma=0.8, size=companies)
    base = rng.uniform(0.2, 0.6, size=companies)
    load_kw = peak_kw[None, :] * (base[None, :] + (1 - base[None, :]) * shift[:, None])
    load_kw *= rng.normal(1.0, 0.05, size=load_kw.shape).clip(0.8, 1.2)
    return pd.Series(load_kw.sum(axis=1) * 0.25, index=starts)


def generation_kwh(starts: pd.DatetimeIndex, rng: np.random.Generator) -> tuple[pd.Series, dict[str, float]]:
    """170 PV plants, 20 small wind turbines and 10 waste-heat units [kWh per 15 min]."""
    plants = []
    for _ in range(170):
        tilt, azimuth, mounting = ORIENTATIONS[rng.integers(len(ORIENTATIONS))]
        dc = float(rng.uniform(50, 500))
        plants.append(PvPlant(dc_kw=dc, ac_kw=dc / 1.2, tilt_deg=tilt, azimuth_deg=azimuth, lat=GWANGYANG[0],
                              lon=GWANGYANG[1], mounting=mounting))
    pv = pv_energy_kwh_many(plants, starts).sum(axis=1)
    hour = starts.tz_convert("Asia/Seoul").hour.to_numpy()
    wind_m_s = pd.Series(4 + 3 * np.sin((hour - 9) / 24 * 2 * np.pi) + rng.normal(0, 0.5, len(starts)), index=starts)
    wind = sum((wind_energy_kwh(wind_m_s, measured_at_m=10, hub_height_m=float(rng.uniform(18, 36)),
                                speeds_m_s=[3, 5, 8, 11, 25], power_kw=[0, 0.15 * r, 0.55 * r, r, r])
                for r in rng.uniform(10, 100, size=20)), pd.Series(0.0, index=starts))
    heat = sum((waste_heat_energy_kwh(starts, rated_kw=float(r), hourly_load_pct=[80.0] * 24,
                                      operating_weekdays=[0, 1, 2, 3, 4, 5], availability_pct=95)
                for r in rng.uniform(100, 2000, size=10)), pd.Series(0.0, index=starts))
    parts = {"pv": float(pv.sum()), "wind": float(wind.sum()), "waste_heat": float(heat.sum())}
    return pv + wind + heat, parts


def bench_dispatch(seed: int) -> None:
    rng = np.random.default_rng(seed)
    # a working day (2026-06-03, the local elections, is a public holiday: light load all day)
    starts = pd.date_range("2026-06-10T00:00+09:00", periods=96, freq="15min").tz_convert("UTC")
    t = time.perf_counter()
    demand = demand_kwh(starts, 1000, rng)
    generation, parts = generation_kwh(starts, rng)
    prepared_s = time.perf_counter() - t
    batteries = [Battery(f"ess-{i}", energy_kwh=e, power_kw=e / 2, soc_min_pct=10, soc_max_pct=90, soc_initial_pct=10)
                 for i, e in enumerate(rng.uniform(4000, 12000, size=5))]
    case = DispatchCase(generation, demand, tou_price_krw_per_kwh(starts), pd.Series(0.0, index=starts), batteries,
                        export_limit_kw=10_000)
    t = time.perf_counter()
    rule = rule_based(case)
    rule_s = time.perf_counter() - t
    t = time.perf_counter()
    optimum = dispatch(case)
    lp_s = time.perf_counter() - t
    day_rule, day_lp = rates(rule.frame, "day").iloc[0], rates(optimum.frame, "day").iloc[0]
    print(f"complex day: demand {demand.sum() / 1000:,.1f} MWh, generation {generation.sum() / 1000:,.1f} MWh "
          f"(PV {parts['pv'] / 1000:,.1f}, wind {parts['wind'] / 1000:,.1f}, "
          f"waste heat {parts['waste_heat'] / 1000:,.1f}); "
          f"1,000 profiles and 200 DER models built in {prepared_s:.2f} s")
    print(f"  rule-based dispatch : {rule_s * 1000:8.1f} ms  cost {rule.cost_krw:>14,.0f} KRW  "
          f"self-consumption {day_rule.self_consumption:.1%}  self-sufficiency {day_rule.self_sufficiency:.1%}  "
          f"curtailed {rule.frame['curtail'].sum():,.0f} kWh")
    print(f"  LP dispatch (HiGHS) : {lp_s * 1000:8.1f} ms  cost {optimum.cost_krw:>14,.0f} KRW  "
          f"self-consumption {day_lp.self_consumption:.1%}  self-sufficiency {day_lp.self_sufficiency:.1%}  "
          f"curtailed {optimum.frame['curtail'].sum():,.0f} kWh")
    print(f"  LP gains {rule.cost_krw - optimum.cost_krw:,.0f} KRW ({1 - optimum.cost_krw / rule.cost_krw:.2%}) and "
          f"{(day_lp.self_consumption - day_rule.self_consumption) * 100:+.2f} points of self-consumption; "
          f"time ratio LP/rule {lp_s / rule_s:.1f}x")


def bench_pv_year(n_plants: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    tmy, meta = read_tmy3(os.path.join(os.path.dirname(pvlib.__file__), "data", "723170TYA.CSV"))
    plants = []
    for _ in range(n_plants):
        tilt, azimuth, mounting = ORIENTATIONS[rng.integers(len(ORIENTATIONS))]
        dc = float(rng.uniform(50, 1000))
        plants.append(PvPlant(dc_kw=dc, ac_kw=dc / 1.2, tilt_deg=tilt, azimuth_deg=azimuth, lat=meta["latitude"],
                              lon=meta["longitude"], altitude_m=meta["altitude"], mounting=mounting))
    t = time.perf_counter()
    together = pv_energy_kwh_many(plants, tmy.index, "1h", tmy)
    together_s = time.perf_counter() - t
    t = time.perf_counter()
    alone = [pv_energy_kwh(p, tmy.index, "1h", tmy).sum() for p in plants]
    loop_s = time.perf_counter() - t
    difference = abs(together.to_numpy().sum() - sum(alone)) / sum(alone)
    print(f"PV year ({n_plants} plants x 8,760 h, Greensboro TMY3): per-plant ModelChain loop {loop_s:.2f} s, "
          f"together {together_s:.2f} s — {loop_s / together_s:.1f}x faster; annual totals differ by {difference:.1e}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--plants", type=int, default=200, help="PV plants of the year benchmark")
    parser.add_argument("--seed", type=int, default=6)
    args = parser.parse_args()
    bench_dispatch(args.seed)
    bench_pv_year(args.plants, args.seed)


if __name__ == "__main__":
    main()
