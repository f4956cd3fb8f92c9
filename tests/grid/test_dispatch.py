"""Battery dispatch LP: a worked example, the balance and limits as properties, the optimum equal
to an independent LP of the same case (scipy's linprog on a formulation without SOC variables),
and better than the naive rule."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import linprog

from sandan.grid.dispatch import Battery, DispatchCase, DispatchInfeasible, dispatch, rule_based


def _case(gen: list[float], demand: list[float], imp: list[float], exp: list[float] | None = None,
          batteries: tuple[Battery, ...] = (), **kw: float) -> DispatchCase:
    idx = pd.date_range("2026-06-01T00:00+09:00", periods=len(gen), freq=f"{int(kw.get('dt_h', 0.25) * 60)}min")
    s = lambda v: pd.Series(v, index=idx, dtype=float)  # noqa: E731
    return DispatchCase(s(gen), s(demand), s(imp), s(exp if exp is not None else [0.0] * len(gen)), batteries, **kw)


def test_worked_example_by_hand() -> None:
    # 4 hours; 10 kWh / 5 kW battery, 90 % each way, empty at the start (SOC 0 %, band 0..100 %)
    battery = Battery("b", energy_kwh=10, power_kw=5, charge_efficiency=0.9, discharge_efficiency=0.9,
                      soc_min_pct=0, soc_max_pct=100, soc_initial_pct=0)
    case = _case(gen=[0, 8, 0, 0], demand=[2, 2, 2.5, 2.5], imp=[100, 100, 300, 300], batteries=(battery,),
                 dt_h=1.0, cycle_cost=0.0, curtail_cost=0.0)
    result = dispatch(case)
    # hour 1: 6 kWh surplus, the battery takes 5 (power limit) -> stores 4.5 kWh, 1 kWh exported (price 0)
    # hours 2-3 need 5 kWh delivered = 5 / 0.9 = 5.5556 kWh stored; 1.0556 kWh more must come from
    # hour 0's grid at 100 KRW: 1.0556 / 0.9 = 1.17284 kWh charged (delivered at 100/0.81 = 123.5 KRW/kWh < 300)
    # cost = (2 + 1.17284) kWh × 100 KRW = 317.284 KRW; nothing is imported at 300 KRW
    assert result.cost_krw == pytest.approx(317.284, abs=1e-3)
    assert result.frame["charge"].to_numpy() == pytest.approx([1.17284, 5.0, 0.0, 0.0], abs=1e-4)
    assert result.frame["import"].to_numpy() == pytest.approx([3.17284, 0.0, 0.0, 0.0], abs=1e-4)
    assert result.frame["discharge"].to_numpy() == pytest.approx([0.0, 0.0, 2.5, 2.5], abs=1e-4)


def _independent_lp(case: DispatchCase) -> float:
    """The same programme written differently: no SOC columns (SOC = start + cumulative sums of the
    battery's net stored energy), dense matrices, scipy's linprog.  Returns the optimal objective."""
    n, nb = len(case.demand_kwh), len(case.batteries)
    dt = case.dt_h
    gen = case.generation_kwh.to_numpy().clip(min=0)
    # x = [import, export, curtail, charge_1..nb, discharge_1..nb], each n long
    nvar = n * (3 + 2 * nb)
    cost = np.concatenate([case.import_price.to_numpy(), -case.export_price.to_numpy(), np.full(n, case.curtail_cost),
                           np.full(2 * nb * n, case.cycle_cost)])
    eye = np.eye(n)
    a_eq = np.hstack([eye, -eye, -eye] + [-eye] * nb + [eye] * nb)
    b_eq = case.demand_kwh.to_numpy() - gen
    lower_tri = np.tril(np.ones((n, n)))
    a_ub, b_ub = [], []
    for i, b in enumerate(case.batteries):
        net = np.zeros((n, nvar))  # stored energy gained up to t
        net[:, n * (3 + i):n * (4 + i)] = lower_tri * b.charge_efficiency
        net[:, n * (3 + nb + i):n * (4 + nb + i)] = -lower_tri / b.discharge_efficiency
        a_ub += [net, -net, -net[-1:]]
        b_ub += [np.full(n, b.soc_max_kwh - b.soc_initial_kwh), np.full(n, b.soc_initial_kwh - b.soc_min_kwh),
                 np.zeros(1)]
    bounds = ([(0, case.import_limit_kw * dt)] * n + [(0, case.export_limit_kw * dt)] * n
              + [(0, g) for g in gen] + [(0, b.power_kw * dt) for b in case.batteries for _ in range(n)] * 2)
    answer = linprog(cost, A_ub=np.vstack(a_ub) if a_ub else None, b_ub=np.concatenate(b_ub) if b_ub else None,
                     A_eq=a_eq, b_eq=b_eq, bounds=[(lo, None if hi == np.inf else hi) for lo, hi in bounds])
    assert answer.status == 0, answer.message
    return float(answer.fun)


energies = st.lists(st.floats(0, 200, allow_nan=False), min_size=4, max_size=24)


@st.composite
def cases(draw: st.DrawFn) -> DispatchCase:
    gen = draw(energies)
    n = len(gen)
    demand = draw(st.lists(st.floats(0, 200), min_size=n, max_size=n))
    imp = draw(st.lists(st.sampled_from([60.0, 120.0, 250.0]), min_size=n, max_size=n))
    exp = [p * draw(st.sampled_from([0.0, 0.5])) for p in imp]
    batteries = tuple(Battery(f"b{i}", energy_kwh=draw(st.floats(10, 500)), power_kw=draw(st.floats(5, 300)),
                              charge_efficiency=draw(st.floats(0.8, 1.0)),
                              discharge_efficiency=draw(st.floats(0.8, 1.0)),
                              soc_min_pct=10, soc_max_pct=draw(st.sampled_from([80.0, 90.0])),
                              soc_initial_pct=draw(st.floats(10, 80)))
                      for i in range(draw(st.integers(1, 3))))
    export_limit = draw(st.sampled_from([float("inf"), 50.0, 0.0]))
    return _case(gen, demand, imp, exp, batteries, export_limit_kw=export_limit)


@settings(max_examples=40, deadline=None)
@given(cases())
def test_balance_closes_limits_hold_and_the_optimum_matches_an_independent_lp(case: DispatchCase) -> None:
    result = dispatch(case)
    f = result.frame
    # energy balance of every interval: what comes in equals what goes out
    inflow = f["generation"] - f["curtail"] + f["import"] + f["discharge"]
    outflow = f["demand"] + f["charge"] + f["export"]
    assert np.abs(inflow - outflow).max() < 1e-6
    # non-negative within HiGHS's primal feasibility tolerance (1e-7; a bound may be missed by ~6e-8)
    assert (f[["curtail", "import", "export", "charge", "discharge"]] >= -1e-6).all().all()
    assert (f["export"] <= case.export_limit_kw * case.dt_h + 1e-6).all()
    assert (f["curtail"] <= f["generation"] + 1e-6).all()
    for b in case.batteries:
        own = result.per_battery[b.name]
        assert (own["charge"] <= b.power_kw * case.dt_h + 1e-6).all()
        assert (own["discharge"] <= b.power_kw * case.dt_h + 1e-6).all()
        assert own["soc"].between(b.soc_min_kwh - 1e-6, b.soc_max_kwh + 1e-6).all()
        # the SOC recursion, recomputed from the schedule
        stored = own["charge"] * b.charge_efficiency - own["discharge"] / b.discharge_efficiency
        soc = b.soc_initial_kwh + stored.cumsum()
        assert np.abs(soc - own["soc"]).max() < 1e-6
        assert own["soc"].iloc[-1] >= b.soc_initial_kwh - 1e-6
    assert result.objective_krw == pytest.approx(_independent_lp(case), rel=1e-7, abs=1e-4)


def test_optimum_beats_the_naive_rule_under_time_of_use_prices() -> None:
    # a day in 15-minute steps: PV bell 06-18 h (peak 400 kWh/interval = 1.6 MW), flat 300 kWh demand,
    # KEPCO-like TOU (light 00-08 and 22-24 h: 116, mid: 169, peak 11-12 and 13-18 h: 251 KRW/kWh)
    hours = np.arange(96) / 4
    gen = np.clip(400 * np.sin((hours - 6) / 12 * np.pi), 0, None)
    demand = np.full(96, 300.0)
    price = np.where((hours < 8) | (hours >= 22), 116.4,
                     np.where(((hours >= 11) & (hours < 12)) | ((hours >= 13) & (hours < 18)), 251.4, 169.3))
    battery = Battery("ess", energy_kwh=2000, power_kw=500, soc_min_pct=10, soc_max_pct=90, soc_initial_pct=10)
    case = _case(list(gen), list(demand), list(price), [0.0] * 96, (battery,))
    optimum, rule = dispatch(case), rule_based(case)
    # starting at the SOC floor the rule's schedule is feasible for the LP (it cannot end lower), so
    # the optimum can only be better; here it charges at the light-load price for the peak hours
    assert optimum.objective_krw <= rule.objective_krw + 1e-6
    # each kWh moved from light load to peak gains about 251.4 - 116.4 / 0.95² = 122.4 KRW: the LP fills
    # what the PV surplus leaves empty before the peak (the rule never charges from the grid)
    assert optimum.cost_krw < rule.cost_krw - 10_000
    assert optimum.frame["charge"][hours < 8].sum() > 0
    assert rule.frame["charge"][hours < 8].sum() == 0


def test_an_impossible_case_says_where() -> None:
    battery = Battery("b", energy_kwh=10, power_kw=2, soc_initial_pct=10)
    case = _case([0, 0], [10, 100], [100, 100], batteries=(battery,), import_limit_kw=40)
    with pytest.raises(DispatchInfeasible, match="import limit of 40 kW"):
        dispatch(case)
