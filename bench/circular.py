"""Complex-wide symbiosis matching: the HiGHS optimiser beside greedy pairing, in one run (issue #8).

Run::

    PYTHONPATH=src .venv/bin/python bench/circular.py              # 5,000 companies, 20,000 streams
    PYTHONPATH=src .venv/bin/python bench/circular.py --companies 500 --streams 2000

What it does: builds one synthetic complex (seeded) of ``--companies`` companies spread over a
6 km × 6 km estate, and ``--streams`` streams among them — 60 % offered (by-products and wastes of
every coded group of ``reference/kr_waste_codes.csv``, residual heat, waste water; about one in
eight hazardous where the class is 지정폐기물), 40 % wanted (raw materials accepting one or two
groups and/or substituting a virgin material, some with quality limits) — and receivers' permits
(plain for most wanted groups, hazardous for some, some with a monthly capacity).  Then, timed:

* **optimiser** = :func:`sandan.circular.matching.candidates` (filters and economics of every
  compatible pair) + :func:`sandan.circular.optimise.solve` (LP, HiGHS, column generation);
* **greedy** = the same candidates + :func:`sandan.circular.optimise.greedy` (best pair first).

Both see the same candidate pairs; the candidate step is timed once and added to each.  Prints the
time and the total net value [KRW/month] of each, their ratio, and exits 1 if the full optimisation
takes more than ``--limit-s`` (10 s) or the optimiser's value is below greedy's.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd

from sandan.circular import matching, optimise, reference

CENTRE = (34.93, 127.70)  # Gwangyang national industrial complex, approximately
SPAN_DEG = 0.054  # about 6 km


def build(companies: int, streams: int, seed: int) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    lat = CENTRE[0] + rng.uniform(-SPAN_DEG / 2, SPAN_DEG / 2, companies)
    lon = CENTRE[1] + rng.uniform(-SPAN_DEG / 2, SPAN_DEG / 2, companies)
    leaves = [c for c in reference.kr_codes().values() if c.level == 3 or (c.level == 2 and c.exchange_allowed)]
    codes = np.array([c.code for c in leaves])
    hazardous_class = np.array([c.hazardous for c in leaves])
    materials = [k for k, f in reference.factors().items() if f.kind == "virgin" and f.unit == "t"]
    treatments = np.array(["landfill", "incineration", "recycling"])
    n_out = int(streams * 0.6)
    n_in = streams - n_out
    owner = rng.integers(0, companies, streams)
    # offers: 90 % coded, 5 % heat, 5 % waste water
    kind_draw = rng.uniform(size=n_out)
    code_idx = rng.integers(0, len(codes), n_out)
    coded = kind_draw < 0.9
    heat = (kind_draw >= 0.9) & (kind_draw < 0.95)
    offers = pd.DataFrame({
        "stream_id": np.arange(1, n_out + 1), "company_id": owner[:n_out], "complex_id": 1,
        "kind": np.where(coded, np.where(rng.uniform(size=n_out) < 0.5, "waste", "by_product"),
                         np.where(heat, "heat", "waste_water")),
        "code": np.where(coded, codes[code_idx], None),
        "hazardous": coded & hazardous_class[code_idx],
        "unit": np.where(coded, "t", np.where(heat, "GJ", "m3")),
        "quantity": np.round(rng.lognormal(3.5, 1.0, n_out), 1),
        "variability_pct": rng.uniform(0, 40, n_out),
        "specs": [{"moisture_pct": float(m)} for m in rng.uniform(0, 20, n_out)],
        "lat": lat[owner[:n_out]], "lon": lon[owner[:n_out]],
        "treatment": np.where(coded, treatments[rng.integers(0, 3, n_out)], np.where(heat, "vent", "sewer")),
        "treatment_cost_krw_per_unit": np.where(coded, rng.integers(40_000, 300_000, n_out),
                                                np.where(heat, 0, rng.integers(500, 2_000, n_out)))})
    groups = sorted({c[:5] + "-00" for c in codes})
    accepts, substitutes, limits, units = [], [], [], []
    for _ in range(n_in):
        draw = rng.uniform()
        if draw < 0.05:
            accepts.append(["heat"])
            substitutes.append("natural_gas_heat")
            units.append("GJ")
        elif draw < 0.1:
            accepts.append(["waste_water"])
            substitutes.append("industrial_water")
            units.append("m3")
        else:
            accepts.append(list(rng.choice(groups, size=int(rng.integers(1, 3)), replace=False)))
            substitutes.append(str(rng.choice(materials)) if rng.uniform() < 0.5 else None)
            units.append("t")
        limits.append({"moisture_pct": {"max": 15.0}} if rng.uniform() < 0.1 else {})
    in_owner = owner[n_out:]
    demands = pd.DataFrame({
        "stream_id": np.arange(n_out + 1, streams + 1), "company_id": in_owner, "complex_id": 1,
        "accepts": accepts, "substitutes": substitutes, "unit": units,
        "capacity": np.round(rng.lognormal(3.5, 1.0, n_in), 1), "limits": limits,
        "lat": lat[in_owner], "lon": lon[in_owner],
        "virgin_price_krw_per_unit": rng.integers(10_000, 200_000, n_in),
        "processing_cost_krw_per_unit": rng.integers(0, 30_000, n_in)})
    permit_rows = []
    for company, wanted in zip(in_owner, accepts, strict=True):
        for group in wanted:
            if group in reference.CODELESS_KINDS or rng.uniform() < 0.2:
                continue
            permit_rows.append({"permit_id": len(permit_rows) + 1, "company_id": int(company), "code_prefix": group,
                                "hazardous": bool(rng.uniform() < 0.5),
                                "capacity": float(rng.integers(50, 500)) if rng.uniform() < 0.3 else None})
    return offers, demands, pd.DataFrame(permit_rows, columns=list(matching.PERMIT_COLUMNS))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0] if __doc__ else None)
    parser.add_argument("--companies", type=int, default=5_000)
    parser.add_argument("--streams", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=8)
    parser.add_argument("--limit-s", type=float, default=10.0)
    args = parser.parse_args(argv)
    offers, demands, permits = build(args.companies, args.streams, args.seed)
    print(f"complex: {args.companies:,} companies, {len(offers):,} offered and {len(demands):,} wanted streams, "
          f"{len(permits):,} permits")
    t0 = time.perf_counter()
    found = matching.candidates(offers, demands, permits)
    t1 = time.perf_counter()
    best = optimise.solve(found.arcs)
    t2 = time.perf_counter()
    greedy = optimise.greedy(found.arcs)
    t3 = time.perf_counter()
    cand_s, lp_s, greedy_s = t1 - t0, t2 - t1, t3 - t2
    assigned = int((best.arcs["quantity"] > 1e-6).sum())
    print(f"candidates: {len(found.arcs):,} feasible pairs with a positive value in {cand_s:.2f} s; "
          f"removed by filter: {found.removed}")
    print(f"optimiser (HiGHS LP, {best.status}, {best.rounds} pricing rounds, {best.columns:,} arcs entered): "
          f"{cand_s + lp_s:.2f} s total ({lp_s:.2f} s solve), "
          f"{assigned:,} pairs, value ₩{best.value_krw:,.0f}/month, CO2 avoided {best.co2_kg / 1000:,.0f} t/month")
    print(f"greedy (best pair first):       {cand_s + greedy_s:.2f} s total ({greedy_s:.2f} s pairing), "
          f"{int((greedy.arcs['quantity'] > 1e-6).sum()):,} pairs, value ₩{greedy.value_krw:,.0f}/month, "
          f"CO2 avoided {greedy.co2_kg / 1000:,.0f} t/month")
    gain = best.objective_krw / greedy.objective_krw if greedy.objective_krw else float("inf")
    print(f"optimiser / greedy: value x{gain:.4f} (+₩{best.objective_krw - greedy.objective_krw:,.0f}/month), "
          f"time x{(cand_s + lp_s) / (cand_s + greedy_s):.2f}")
    ok = cand_s + lp_s <= args.limit_s and best.objective_krw >= greedy.objective_krw - 1e-6
    if not ok:
        print(f"FAIL: full optimisation must take at most {args.limit_s} s and match or beat greedy")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
