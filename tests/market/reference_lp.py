"""An independent formulation of the clearing LP, solved with scipy's ``linprog``: no flow and no
state-of-charge variables — one complex-wide balance per interval, each feeder's limit as two
inequalities on its node's net withdrawal, the battery's energy as cumulative sums.  Written with
plain loops over orders and intervals, so it shares nothing with ``clearing.build_lp``."""

from __future__ import annotations

import numpy as np
from scipy.optimize import linprog

from sandan.grid.market.clearing import BUY, INTERVAL_H, Battery, GridPrices, Network, OrderBook


def reference_welfare(book: OrderBook, network: Network, grid: GridPrices, battery: Battery | None,
                      intervals: int) -> float:
    m, t_n = len(book), intervals
    # columns: orders, import t, export t, charge t, discharge t
    n = m + 4 * t_n
    imp, exp, chg, dis = m, m + t_n, m + 2 * t_n, m + 3 * t_n
    c = np.zeros(n)
    bounds: list[tuple[float, float]] = []
    for j in range(m):
        c[j] = -book.price_krw_per_kwh[j] if book.side[j] == BUY else book.price_krw_per_kwh[j]
        bounds.append((0.0, float(book.quantity_kwh[j])))
    power = battery.power_kw * INTERVAL_H if battery else 0.0
    for t in range(t_n):
        c[imp + t] = grid.import_krw_per_kwh[t]
        c[exp + t] = -grid.export_krw_per_kwh[t]
    bounds += [(0.0, network.import_capacity_kw * INTERVAL_H)] * t_n
    bounds += [(0.0, network.export_capacity_kw * INTERVAL_H)] * t_n
    bounds += [(0.0, power)] * (2 * t_n)
    if battery:
        c[chg: chg + 2 * t_n] = battery.cost_krw_per_kwh
    a_eq, b_eq, a_ub, b_ub = [], [], [], []
    for t in range(t_n):
        row = np.zeros(n)  # supply − demand of the whole complex
        for j in range(m):
            if book.interval[j] == t:
                row[j] = -1.0 if book.side[j] == BUY else 1.0
        row[imp + t], row[exp + t], row[chg + t], row[dis + t] = 1.0, -1.0, -1.0, 1.0
        a_eq.append(row)
        b_eq.append(0.0)
        for f in range(1, network.nodes):
            w = np.zeros(n)  # net withdrawal of node f
            for j in range(m):
                if book.interval[j] == t and book.node[j] == f:
                    w[j] = 1.0 if book.side[j] == BUY else -1.0
            if battery and battery.node == f:
                w[chg + t], w[dis + t] = 1.0, -1.0
            cap = network.feeder_capacity_kw[f - 1] * INTERVAL_H
            a_ub += [w, -w]
            b_ub += [cap, cap]
    if battery:
        final_min = battery.soc_initial_kwh if battery.soc_final_min_kwh is None else battery.soc_final_min_kwh
        final_max = battery.soc_max_kwh if battery.soc_final_max_kwh is None else battery.soc_final_max_kwh
        for t in range(t_n):
            e = np.zeros(n)  # energy added up to the end of interval t
            for tau in range(t + 1):
                e[chg + tau] = battery.efficiency_charge
                e[dis + tau] = -1.0 / battery.efficiency_discharge
            hi = (final_max if t == t_n - 1 else battery.soc_max_kwh) - battery.soc_initial_kwh
            floor = max(final_min, battery.soc_min_kwh) if t == t_n - 1 else battery.soc_min_kwh
            lo = floor - battery.soc_initial_kwh
            a_ub += [e, -e]
            b_ub += [hi, -lo]
    res = linprog(c, A_ub=np.array(a_ub) if a_ub else None, b_ub=np.array(b_ub) if b_ub else None,
                  A_eq=np.array(a_eq), b_eq=np.array(b_eq), bounds=bounds, method="highs")
    assert res.status == 0, res.message
    return -float(res.fun)
