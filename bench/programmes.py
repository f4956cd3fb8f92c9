"""Evaluation and selection of a national call at scale (issue #9).

Run::

    PYTHONPATH=src .venv/bin/python bench/programmes.py [--applications 2000] [--reviewers 5] [--seed 1]

What it does, in one run: the nine programmes of the 2026 call (``reference/programs_2026.csv``:
awards, national caps per project year, a third of the awards per mega-region) receive
``--applications`` applications in all (spread evenly), each from one of the 24 designated
complexes (its mega-region and bonus points from the reference tables), with a budget plan asking
60–100 % of each year's cap (the programme's yearly budget is awards × cap, times
``--budget-factor``: at 1 it never binds, below 1 the knapsack rows matter and greedy falls
behind), and ``--reviewers`` score sheets each (five indicators, points drawn
per reviewer).  Timed:

* **aggregation**: every panel trimmed and averaged (:func:`sandan.programs.scoring.aggregate`)
  plus bonus points (:func:`sandan.programs.scoring.bonus`);
* **selection**: the exact integer programme per programme (:func:`sandan.programs.selection.select`,
  HiGHS, the tie-break in the same objective), then the explanations of every application;
* the **baseline** in the same run on the same candidates: the greedy rule (best score first while
  every limit holds, :func:`sandan.programs.selection.select_greedy`) — what a spreadsheet does — with
  the total score it reaches beside the optimum.

Aggregation plus selection must stay under 2 s (exit 1 otherwise).
"""

from __future__ import annotations

import argparse
import csv
import random
import sys
import time
from importlib import resources

from sandan.programs import catalogue, scoring, selection
from sandan.programs.service import default_region_cap, programme_budget_by_year

LIMIT_S = 2.0


def complexes() -> list[dict[str, str]]:
    text = resources.files("sandan.reference").joinpath("smart_green_complexes.csv").read_text(encoding="utf-8")
    return list(csv.DictReader(text.splitlines()))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--applications", type=int, default=2000)
    parser.add_argument("--reviewers", type=int, default=5)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--budget-factor", type=float, default=1.0,
                        help="each programme's yearly budget as a share of awards x cap (below 1 the budget binds)")
    args = parser.parse_args(argv)
    rng = random.Random(args.seed)
    specs = catalogue.programmes_2026()
    indicators = catalogue.default_indicators()
    table = catalogue.bonus_table()
    sites = complexes()

    # --- the call's data (not timed) ---
    # (application id, programme index, complex, sheet totals, national ask by year)
    panels: list[tuple[int, int, dict[str, str], list[float], tuple[int, ...]]] = []
    for i in range(args.applications):
        p = i % len(specs)
        spec = specs[p]
        site = rng.choice(sites)
        caps = spec.year_caps_krw.get(site["code"], next(iter(spec.year_caps_krw.values())))
        plan = tuple(int(cap * rng.uniform(0.6, 1.0)) for cap in caps)
        quality = rng.uniform(0.5, 0.95)
        totals = [round(sum(min(ind.weight, max(0.0, rng.gauss(quality, 0.08) * ind.weight)) for ind in indicators), 1)
                  for _ in range(args.reviewers)]
        panels.append((i + 1, p, site, totals, plan))

    # --- aggregation ---
    t0 = time.perf_counter()
    by_programme: list[list[selection.Candidate]] = [[] for _ in specs]
    for app_id, p, site, totals, plan in panels:
        agg = scoring.aggregate(totals)
        extra = scoring.bonus(site["code"], site["capital_area"] == "true", table)
        by_programme[p].append(selection.Candidate(app_id, agg.average_centi + scoring.to_centi(extra.points),
                                                   site["mega_region"], plan, app_id))
    aggregation_s = time.perf_counter() - t0
    limits = [selection.Limits(s.awards, tuple(int(b * args.budget_factor) for b in programme_budget_by_year(s)),
                               default_region_cap(s.awards)) for s in specs]

    # --- selection (exact) and explanations ---
    t0 = time.perf_counter()
    chosen = [selection.select(c, lim) for c, lim in zip(by_programme, limits, strict=True)]
    for c, lim, sel in zip(by_programme, limits, chosen, strict=True):
        selection.explain(c, lim, sel)
    selection_s = time.perf_counter() - t0

    # --- baseline: greedy ---
    t0 = time.perf_counter()
    greedy = [selection.select_greedy(c, lim) for c, lim in zip(by_programme, limits, strict=True)]
    greedy_s = time.perf_counter() - t0

    def total(cands: list[selection.Candidate], ids: list[int]) -> int:
        picked = set(ids)
        return sum(c.score_centi for c in cands if c.id in picked)

    exact_total = sum(total(c, s) for c, s in zip(by_programme, chosen, strict=True))
    greedy_total = sum(total(c, s) for c, s in zip(by_programme, greedy, strict=True))
    better = sum(total(c, s) > total(c, g) for c, s, g in zip(by_programme, chosen, greedy, strict=True))
    sheets = args.applications * args.reviewers
    print(f"{args.applications:,} applications x {args.reviewers} reviewers ({sheets:,} score sheets) "
          f"in {len(specs)} programmes; {sum(len(s) for s in chosen)} awards selected")
    print(f"aggregation (trim + average + bonus): {aggregation_s * 1e3:,.1f} ms")
    print(f"selection exact (HiGHS, one solve per programme) + explanations: {selection_s * 1e3:,.1f} ms")
    print(f"baseline greedy selection: {greedy_s * 1e3:,.1f} ms  "
          f"(exact/greedy time = {selection_s / max(greedy_s, 1e-9):,.1f}x)")
    print(f"total score selected: exact {exact_total / 100:,.2f} vs greedy {greedy_total / 100:,.2f} points "
          f"(exact better in {better} of {len(specs)} programmes)")
    elapsed = aggregation_s + selection_s
    ok = elapsed < LIMIT_S
    print(f"aggregation + selection {elapsed:.3f} s {'<' if ok else '>='} {LIMIT_S} s: {'OK' if ok else 'TOO SLOW'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
