"""Battery dispatch of a complex as a linear programme solved by HiGHS (highspy).

Pure: series and battery parameters in, a schedule out.  Every quantity is energy per interval
[kWh] (power × interval length), prices are [KRW/kWh], limits of power are [kW].

For each interval ``t`` of length ``dt_h`` [h] and battery ``b``::

    generation_t - curtail_t + import_t + Σ_b discharge_bt = demand_t + Σ_b charge_bt + export_t
    soc_bt = soc_b,t-1 + η_c,b · charge_bt - discharge_bt / η_d,b
    soc_min_b ≤ soc_bt ≤ soc_max_b,   0 ≤ charge_bt, discharge_bt ≤ P_b · dt_h
    0 ≤ import_t ≤ import_limit_kw · dt_h,   0 ≤ export_t ≤ export_limit_kw · dt_h,   0 ≤ curtail_t ≤ generation_t
    soc_bT ≥ soc_b0   (the day ends with at least the energy it started with)

minimising Σ_t import_price_t · import_t - export_price_t · export_t + cycle_cost · Σ (charge + discharge)
+ curtail_cost · Σ curtail.  With export paid less than import the optimum uses the complex's
renewables inside the complex first; curtailment happens only when export is limited (its small
cost, default 0.02 KRW/kWh, prefers storing or exporting to throwing away).  The small cycling
cost (default 0.01 KRW/kWh) makes the optimum unique where charging and discharging at once would
cost nothing.

Built in stages (STYLE: ``add_<what>`` builders, solve, read back as a DataFrame).  The market
(``sandan.grid.market``) may reuse :func:`dispatch` with its own prices.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import highspy
import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy import sparse

Array = npt.NDArray[np.float64]


@dataclass(frozen=True)
class Battery:
    """One battery.  ``energy_kwh`` usable energy at 100 % SOC [kWh]; ``power_kw`` charge and
    discharge limit [kW]; efficiencies [0..1] one way each; SOC band and start [% of energy]."""

    name: str
    energy_kwh: float
    power_kw: float
    charge_efficiency: float = 0.95
    discharge_efficiency: float = 0.95
    soc_min_pct: float = 10.0
    soc_max_pct: float = 90.0
    soc_initial_pct: float = 50.0

    @property
    def soc_min_kwh(self) -> float:
        return self.energy_kwh * self.soc_min_pct / 100.0

    @property
    def soc_max_kwh(self) -> float:
        return self.energy_kwh * self.soc_max_pct / 100.0

    @property
    def soc_initial_kwh(self) -> float:
        return self.energy_kwh * self.soc_initial_pct / 100.0


@dataclass(frozen=True)
class DispatchCase:
    """What the complex faces over the horizon (all series on the same interval starts).

    ``generation_kwh`` in-complex renewables, ``demand_kwh`` load [kWh per interval];
    ``import_price`` / ``export_price`` [KRW/kWh]; ``import_limit_kw`` / ``export_limit_kw`` the
    grid connection [kW]; ``dt_h`` interval length [h].
    """

    generation_kwh: pd.Series
    demand_kwh: pd.Series
    import_price: pd.Series
    export_price: pd.Series
    batteries: Sequence[Battery]
    import_limit_kw: float = float("inf")
    export_limit_kw: float = float("inf")
    dt_h: float = 0.25
    cycle_cost: float = 0.01
    curtail_cost: float = 0.02


class DispatchInfeasible(ValueError):
    """No schedule meets the demand within the connection limit; the message says where."""


@dataclass
class DispatchResult:
    """The schedule per interval [kWh] (battery columns summed; per battery in ``per_battery``),
    the grid cost [KRW], the objective (grid cost and cycling cost) [KRW] and the solver's status."""

    frame: pd.DataFrame
    cost_krw: float
    status: str
    objective_krw: float = 0.0
    per_battery: dict[str, pd.DataFrame] = field(default_factory=dict)


# --- build -------------------------------------------------------------------------------------

class _Lp:
    """Columns and rows of the LP, collected as triplets and handed to HiGHS at once."""

    def __init__(self) -> None:
        self.lower: list[Array] = []
        self.upper: list[Array] = []
        self.cost: list[Array] = []
        self.row_lower: list[Array] = []
        self.row_upper: list[Array] = []
        self.entries: list[tuple[Array, Array, Array]] = []
        self.n_cols = 0
        self.n_rows = 0

    def add_columns(self, n: int, lower: Array | float, upper: Array | float,
                    cost: Array | float) -> npt.NDArray[np.int64]:
        self.lower.append(np.broadcast_to(np.asarray(lower, dtype=float), (n,)).copy())
        self.upper.append(np.broadcast_to(np.asarray(upper, dtype=float), (n,)).copy())
        self.cost.append(np.broadcast_to(np.asarray(cost, dtype=float), (n,)).copy())
        cols = np.arange(self.n_cols, self.n_cols + n)
        self.n_cols += n
        return cols

    def add_rows(self, n: int, lower: Array | float, upper: Array | float) -> npt.NDArray[np.int64]:
        self.row_lower.append(np.broadcast_to(np.asarray(lower, dtype=float), (n,)).copy())
        self.row_upper.append(np.broadcast_to(np.asarray(upper, dtype=float), (n,)).copy())
        rows = np.arange(self.n_rows, self.n_rows + n)
        self.n_rows += n
        return rows

    def set(self, rows: npt.NDArray[np.int64], cols: npt.NDArray[np.int64], values: Array | float) -> None:
        self.entries.append((rows.astype(float), cols.astype(float),
                             np.broadcast_to(np.asarray(values, dtype=float), rows.shape).copy()))

    def solve(self) -> tuple[str, Array, float]:
        rows = np.concatenate([e[0] for e in self.entries]).astype(np.int64)
        cols = np.concatenate([e[1] for e in self.entries]).astype(np.int64)
        vals = np.concatenate([e[2] for e in self.entries])
        matrix = sparse.csc_matrix((vals, (rows, cols)), shape=(self.n_rows, self.n_cols))
        lp = highspy.HighsLp()
        lp.num_col_, lp.num_row_ = self.n_cols, self.n_rows
        lp.col_cost_ = np.concatenate(self.cost)
        lp.col_lower_ = np.concatenate(self.lower)
        lp.col_upper_ = np.concatenate(self.upper)
        lp.row_lower_ = np.concatenate(self.row_lower)
        lp.row_upper_ = np.concatenate(self.row_upper)
        lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
        lp.a_matrix_.start_ = matrix.indptr
        lp.a_matrix_.index_ = matrix.indices
        lp.a_matrix_.value_ = matrix.data
        h = highspy.Highs()  # type: ignore[no-untyped-call]
        h.setOptionValue("output_flag", False)
        h.passModel(lp)
        h.run()
        status = h.modelStatusToString(h.getModelStatus())
        x = np.asarray(h.getSolution().col_value, dtype=float)
        return status, x, float(h.getInfo().objective_function_value)


@dataclass(frozen=True)
class _Columns:
    imp: npt.NDArray[np.int64]
    exp: npt.NDArray[np.int64]
    curtail: npt.NDArray[np.int64]
    charge: list[npt.NDArray[np.int64]]
    discharge: list[npt.NDArray[np.int64]]
    soc: list[npt.NDArray[np.int64]]


def add_grid_exchange(lp: _Lp, case: DispatchCase, n: int) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """Import and export per interval, bounded by the connection, priced."""
    imp = lp.add_columns(n, 0.0, case.import_limit_kw * case.dt_h, case.import_price.to_numpy(dtype=float))
    exp = lp.add_columns(n, 0.0, case.export_limit_kw * case.dt_h, -case.export_price.to_numpy(dtype=float))
    return imp, exp


def add_curtailment(lp: _Lp, case: DispatchCase, n: int) -> npt.NDArray[np.int64]:
    """Renewable energy left unused per interval, at most what was generated."""
    return lp.add_columns(n, 0.0, case.generation_kwh.to_numpy(dtype=float).clip(min=0), case.curtail_cost)


def add_battery(lp: _Lp, case: DispatchCase, battery: Battery, n: int) -> tuple[npt.NDArray[np.int64], ...]:
    """Charge, discharge and SOC columns of one battery with its SOC recursion and end condition."""
    step = battery.power_kw * case.dt_h
    charge = lp.add_columns(n, 0.0, step, case.cycle_cost)
    discharge = lp.add_columns(n, 0.0, step, case.cycle_cost)
    soc = lp.add_columns(n, battery.soc_min_kwh, battery.soc_max_kwh, 0.0)
    # soc_t - soc_{t-1} - η_c charge_t + discharge_t / η_d = 0   (soc_{-1} = initial, moved to the bounds)
    rows = lp.add_rows(n, 0.0, 0.0)
    lp.set(rows, soc, 1.0)
    lp.set(rows[1:], soc[:-1], -1.0)
    lp.set(rows, charge, -battery.charge_efficiency)
    lp.set(rows, discharge, 1.0 / battery.discharge_efficiency)
    first = lp.row_lower[-1]
    first[0] = lp.row_upper[-1][0] = battery.soc_initial_kwh
    # the horizon ends with at least the initial energy
    lp.upper[-1][-1] = battery.soc_max_kwh
    lp.lower[-1][-1] = max(battery.soc_min_kwh, min(battery.soc_initial_kwh, battery.soc_max_kwh))
    return charge, discharge, soc


def add_balance(lp: _Lp, case: DispatchCase, cols: _Columns, n: int) -> None:
    """generation - curtail + import + Σ discharge - Σ charge - export = demand, every interval."""
    net = case.demand_kwh.to_numpy(dtype=float) - case.generation_kwh.to_numpy(dtype=float).clip(min=0)
    rows = lp.add_rows(n, net, net)
    lp.set(rows, cols.imp, 1.0)
    lp.set(rows, cols.exp, -1.0)
    lp.set(rows, cols.curtail, -1.0)
    for charge, discharge in zip(cols.charge, cols.discharge, strict=True):
        lp.set(rows, discharge, 1.0)
        lp.set(rows, charge, -1.0)


def _check_shape(case: DispatchCase) -> pd.DatetimeIndex:
    index = case.demand_kwh.index
    for name in ("generation_kwh", "import_price", "export_price"):
        if not getattr(case, name).index.equals(index):
            raise ValueError(f"{name} must have the same intervals as demand_kwh")
    if len(index) == 0:
        raise ValueError("the horizon holds no interval")
    for battery in case.batteries:
        if not 0 <= battery.soc_min_pct <= battery.soc_initial_pct <= battery.soc_max_pct <= 100:
            raise ValueError(f"battery {battery.name}: need 0 ≤ soc_min ≤ soc_initial ≤ soc_max ≤ 100 %")
    return pd.DatetimeIndex(index)


def _diagnose(case: DispatchCase) -> str:
    """Where the demand cannot be met: the first interval whose demand exceeds renewables, full
    battery discharge and the import limit together (a necessary condition)."""
    reach = (case.generation_kwh.clip(lower=0) + sum(b.power_kw for b in case.batteries) * case.dt_h
             + case.import_limit_kw * case.dt_h)
    short = (case.demand_kwh - reach).to_numpy(dtype=float)
    if (short > 1e-9).any():
        i = int(np.argmax(short))
        return (f"demand of {case.demand_kwh.iloc[i]:.1f} kWh at {case.demand_kwh.index[i]} exceeds renewables, "
                f"batteries at full power and the import limit of {case.import_limit_kw:g} kW together by "
                f"{short[i]:.1f} kWh")
    return "the batteries cannot hold enough energy to bridge the intervals above the import limit"


# --- solve and read back -----------------------------------------------------------------------

def dispatch(case: DispatchCase) -> DispatchResult:
    """The cost-optimal schedule of ``case`` (see the module docstring for the programme).

    Columns of ``frame``: ``generation``, ``demand``, ``curtail``, ``import``, ``export``,
    ``charge``, ``discharge``, ``soc`` (end of interval, all batteries) [kWh].
    Raises :class:`DispatchInfeasible` when no schedule exists.
    """
    index = _check_shape(case)
    n = len(index)
    lp = _Lp()
    imp, exp = add_grid_exchange(lp, case, n)
    curtail = add_curtailment(lp, case, n)
    charges, discharges, socs = [], [], []
    for battery in case.batteries:
        c, d, s = add_battery(lp, case, battery, n)
        charges.append(c)
        discharges.append(d)
        socs.append(s)
    cols = _Columns(imp, exp, curtail, charges, discharges, socs)
    add_balance(lp, case, cols, n)
    status, x, objective = lp.solve()
    if status != "Optimal":
        raise DispatchInfeasible(f"no schedule ({status}): {_diagnose(case)}")
    per_battery = {b.name: pd.DataFrame({"charge": x[c], "discharge": x[d], "soc": x[s]}, index=index)
                   for b, c, d, s in zip(case.batteries, charges, discharges, socs, strict=True)}
    zeros = np.zeros(n)
    frame = pd.DataFrame({
        "generation": case.generation_kwh.to_numpy(dtype=float).clip(min=0), "demand": case.demand_kwh.to_numpy(float),
        "curtail": x[curtail], "import": x[imp], "export": x[exp],
        "charge": sum((x[c] for c in charges), zeros), "discharge": sum((x[d] for d in discharges), zeros),
        "soc": sum((x[s] for s in socs), zeros)}, index=index)
    return DispatchResult(frame, cost_krw=grid_cost_krw(frame, case), status=status, per_battery=per_battery,
                          objective_krw=objective)


def grid_cost_krw(frame: pd.DataFrame, case: DispatchCase) -> float:
    """What the schedule pays the grid [KRW]: imports at the import price less exports at the export price."""
    return float((frame["import"] * case.import_price).sum() - (frame["export"] * case.export_price).sum())


def rule_based(case: DispatchCase) -> DispatchResult:
    """The naive rule a battery controller runs without a plan: charge from renewable surplus,
    discharge into any deficit, interval by interval, within power and SOC limits; the rest is
    imported or exported (curtailed above the export limit).  The baseline for :func:`dispatch`."""
    index = _check_shape(case)
    gen = case.generation_kwh.to_numpy(dtype=float).clip(min=0)
    demand = case.demand_kwh.to_numpy(dtype=float)
    soc = np.array([b.soc_initial_kwh for b in case.batteries])
    rows = []
    for t in range(len(index)):
        surplus = gen[t] - demand[t]
        charge = discharge = 0.0
        for i, b in enumerate(case.batteries):
            step = b.power_kw * case.dt_h
            if surplus > 0:
                c = min(step, surplus, (b.soc_max_kwh - soc[i]) / b.charge_efficiency)
                soc[i] += c * b.charge_efficiency
                surplus -= c
                charge += c
            elif surplus < 0:
                d = min(step, -surplus, (soc[i] - b.soc_min_kwh) * b.discharge_efficiency)
                soc[i] -= d / b.discharge_efficiency
                surplus += d
                discharge += d
        export = min(max(surplus, 0.0), case.export_limit_kw * case.dt_h)
        curtail = max(surplus, 0.0) - export
        rows.append((gen[t], demand[t], curtail, max(-surplus, 0.0), export, charge, discharge, float(soc.sum())))
    frame = pd.DataFrame(rows, index=index, columns=["generation", "demand", "curtail", "import", "export", "charge",
                                                     "discharge", "soc"])
    cost = grid_cost_krw(frame, case)
    return DispatchResult(frame, cost_krw=cost, status="rule",
                          objective_krw=cost + case.cycle_cost * float((frame["charge"] + frame["discharge"]).sum())
                          + case.curtail_cost * float(frame["curtail"].sum()))
