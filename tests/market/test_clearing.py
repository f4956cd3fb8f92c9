"""Local market clearing: worked examples, invariants (Hypothesis), an independent LP, the greedy baseline."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sandan.core.errors import InvalidInput
from sandan.grid.market.clearing import (
    BUY,
    INTERVAL_H,
    SELL,
    Battery,
    ClearingResult,
    FloatArray,
    GridPrices,
    Network,
    OrderBook,
    clear,
    cumulative_round,
    payments,
)
from sandan.grid.market.greedy import greedy_match
from tests.market.reference_lp import reference_welfare

TOL = 1e-6


def book_of(*orders: tuple[int, int, int, float, float]) -> OrderBook:
    """(interval, node, side, price, quantity) rows; ids 1, 2, … in the given order."""
    a = np.array(orders, dtype=np.float64).reshape(-1, 5)
    return OrderBook(order_id=np.arange(1, len(a) + 1, dtype=np.int64), interval=a[:, 0].astype(np.int64),
                     node=a[:, 1].astype(np.int64), side=a[:, 2].astype(np.int64),
                     price_krw_per_kwh=a[:, 3].copy(), quantity_kwh=a[:, 4].copy())


def flat(price: float, intervals: int = 1) -> FloatArray:
    return np.full(intervals, price)


def test_uncongested_complex_has_one_price() -> None:
    # Supply: node-1 offer 100 kWh @ 80, node-2 offer 100 kWh @ 100, KEPCO import @ 120.
    # Demand: node-2 bid 150 kWh @ 130, node-1 bid 20 kWh @ 90, export @ 60.
    # At 100 KRW/kWh the 130 bid takes 150 kWh = 100 (node 1) + 50 (node 2, marginal); the 90 bid
    # is out of the money.  No limit binds, so every node's price is 100.
    # Welfare = 130·150 − 80·100 − 100·50 = 19,500 − 8,000 − 5,000 = 6,500 KRW.
    book = book_of((0, 1, SELL, 80, 100), (0, 2, SELL, 100, 100), (0, 2, BUY, 130, 150), (0, 1, BUY, 90, 20))
    grid = GridPrices(flat(120), flat(60))
    res = clear(book, Network((4000.0, 4000.0), 4000.0, 4000.0), grid, intervals=1)
    np.testing.assert_allclose(res.accepted_kwh, [100, 50, 150, 0], atol=TOL)
    np.testing.assert_allclose(res.price_krw_per_kwh, [[100, 100, 100]], atol=TOL)
    assert res.welfare_krw == pytest.approx(6_500)
    assert res.binding == []
    ledger = payments(book, res, grid).set_index("order_id")
    # Buyer pays 100·150 = 15,000; sellers are paid 100·100 = 10,000 and 100·50 = 5,000; no rent.
    assert ledger.loc[3, "pays_won"] == 15_000
    assert ledger.loc[1, "pays_won"] == -10_000
    assert ledger.loc[2, "pays_won"] == -5_000
    assert set(ledger["kind"]) == {"buy", "sell"}


def test_congested_feeder_splits_the_price_and_leaves_rent() -> None:
    # Feeder 1 (200 kW = 50 kWh a quarter hour) holds a 100 kWh offer @ 50; feeder 2 a 100 kWh
    # bid @ 200; KEPCO import @ 120.  Feeder 1 can export only 50 kWh: the offer is accepted for
    # 50 kWh and sets node 1's price at 50; the other 50 kWh are imported, so the bus and node 2
    # are at 120.  Welfare = 200·100 − 50·50 − 120·50 = 20,000 − 2,500 − 6,000 = 11,500 KRW.
    book = book_of((0, 1, SELL, 50, 100), (0, 2, BUY, 200, 100))
    grid = GridPrices(flat(120), flat(60))
    net = Network((200.0, 2000.0), 10_000.0, 10_000.0)
    res = clear(book, net, grid, intervals=1)
    np.testing.assert_allclose(res.accepted_kwh, [50, 100], atol=TOL)
    np.testing.assert_allclose(res.price_krw_per_kwh, [[120, 50, 120]], atol=TOL)
    np.testing.assert_allclose(res.flow_kwh, [[-50, 100]], atol=TOL)
    assert res.import_kwh[0] == pytest.approx(50)
    assert res.welfare_krw == pytest.approx(11_500)
    assert [(b["limit"], b["node"]) for b in res.binding] == [("feeder", 1)]
    assert res.binding[0]["price_difference_krw_per_kwh"] == pytest.approx(-70)
    ledger = payments(book, res, grid)
    by_kind = ledger.groupby("kind")["pays_won"].sum().to_dict()
    # Buyer pays 120·100 = 12,000; seller is paid 50·50 = 2,500; KEPCO is paid 120·50 = 6,000;
    # feeder 1's rent (λ1 − λ0)·f1 = (50 − 120)·(−50) = 3,500 stays with the complex.
    assert by_kind == {"buy": 12_000, "sell": -2_500, "kepco_import": -6_000, "feeder_rent": -3_500}
    assert ledger["pays_won"].sum() == 0


def battery_case() -> tuple[OrderBook, Network, GridPrices, Battery]:
    # Quarter hour 0: a 100 kWh offer @ 40 and nobody to buy it (export pays 30).  Quarter hour 1:
    # a 100 kWh bid @ 200 with KEPCO at 150.  The battery at the bus (400 kW = 100 kWh a quarter
    # hour, 0-200 kWh, lossless, starting and ending empty) moves the cheap energy.
    book = book_of((0, 1, SELL, 40, 100), (1, 1, BUY, 200, 100))
    net = Network((1000.0,), 10_000.0, 10_000.0)
    grid = GridPrices(flat(150, 2), flat(30, 2))
    bat = Battery(node=0, power_kw=400.0, soc_min_kwh=0.0, soc_max_kwh=200.0, soc_initial_kwh=0.0,
                  efficiency_charge=1.0, efficiency_discharge=1.0)
    return book, net, grid, bat


def test_battery_moves_cheap_energy_and_beats_the_greedy_matcher() -> None:
    book, net, grid, bat = battery_case()
    res = clear(book, net, grid, bat, intervals=2)
    # Clearing: charge 100 kWh from the offer, discharge them to the bid:
    # welfare = 200·100 − 40·100 = 16,000 KRW.
    np.testing.assert_allclose(res.accepted_kwh, [100, 100], atol=TOL)
    np.testing.assert_allclose(res.charge_kwh, [100, 0], atol=TOL)
    np.testing.assert_allclose(res.soc_kwh, [100, 0], atol=TOL)
    assert res.welfare_krw == pytest.approx(16_000)
    # Greedy pay-as-bid: quarter hour 0 has no bid at or above 40 (export pays 30), quarter hour
    # 1 imports 100 kWh @ 150: welfare = (200 − 150)·100 = 5,000 KRW.
    accepted, imports, _, greedy = greedy_match(book, net, grid, 2)
    np.testing.assert_allclose(accepted, [0, 100])
    np.testing.assert_allclose(imports, [0, 100])
    assert greedy == pytest.approx(5_000)
    assert res.welfare_krw > greedy
    assert reference_welfare(book, net, grid, bat, 2) == pytest.approx(16_000)


def test_greedy_matcher_respects_the_feeders() -> None:
    # The congested case: greedy takes 50 kWh over feeder 1 (its limit) and imports the rest,
    # the same schedule as the clearing: 11,500 KRW.
    book = book_of((0, 1, SELL, 50, 100), (0, 2, BUY, 200, 100))
    accepted, imports, exports, value = greedy_match(book, Network((200.0, 2000.0), 10_000.0, 10_000.0),
                                                    GridPrices(flat(120), flat(60)), 1)
    np.testing.assert_allclose(accepted, [50, 100])
    assert (imports[0], exports[0], value) == (pytest.approx(50), 0, pytest.approx(11_500))


def test_intraday_reclearing_keeps_the_battery_on_its_plan() -> None:
    # One quarter hour: the battery holds 100 kWh and must still hold 100 kWh after it, so it
    # cannot serve the 100 kWh bid @ 200; KEPCO does (import @ 150).
    book = book_of((0, 1, BUY, 200, 100))
    bat = Battery(node=0, power_kw=400.0, soc_min_kwh=0.0, soc_max_kwh=200.0, soc_initial_kwh=100.0,
                  soc_final_min_kwh=100.0, soc_final_max_kwh=100.0, efficiency_charge=1.0, efficiency_discharge=1.0)
    res = clear(book, Network((1000.0,), 10_000.0, 10_000.0), GridPrices(flat(150), flat(30)), bat, intervals=1)
    assert res.discharge_kwh[0] == pytest.approx(0)
    assert res.import_kwh[0] == pytest.approx(100)
    assert res.price_krw_per_kwh[0, 1] == pytest.approx(150)


def test_result_is_reproducible_from_the_stored_book() -> None:
    rng = np.random.default_rng(3)
    n = 60
    book = OrderBook(np.arange(n, dtype=np.int64) * 7, rng.integers(0, 4, n), rng.integers(0, 3, n),
                     rng.choice([BUY, SELL], n), rng.integers(50, 200, n).astype(float), rng.uniform(1, 50, n))
    shuffled_idx = rng.permutation(n)
    shuffled = OrderBook(*(getattr(book, f)[shuffled_idx] for f in ("order_id", "interval", "node", "side",
                                                                     "price_krw_per_kwh", "quantity_kwh")))
    net = Network((100.0, 80.0), 300.0, 100.0)
    grid = GridPrices(np.full(4, 130.0), np.full(4, 70.0))
    a, b = clear(book, net, grid, intervals=4), clear(shuffled, net, grid, intervals=4)
    assert book.digest() == shuffled.digest()
    np.testing.assert_array_equal(a.accepted_kwh, b.accepted_kwh)
    np.testing.assert_array_equal(a.price_krw_per_kwh, b.price_krw_per_kwh)


def test_bad_books_are_refused() -> None:
    net, grid = Network((100.0,), 100.0, 100.0), GridPrices(flat(100), flat(50))
    with pytest.raises(InvalidInput, match="node"):
        clear(book_of((0, 5, BUY, 100, 1)), net, grid, intervals=1)
    with pytest.raises(InvalidInput, match="interval"):
        clear(book_of((3, 1, BUY, 100, 1)), net, grid, intervals=1)
    with pytest.raises(InvalidInput, match="negative"):
        clear(book_of((0, 1, BUY, 100, -1)), net, grid, intervals=1)
    with pytest.raises(InvalidInput, match="export price"):
        clear(book_of((0, 1, BUY, 100, 1)), net, GridPrices(flat(50), flat(100)), intervals=1)
    dup = book_of((0, 1, BUY, 100, 1), (0, 1, SELL, 90, 1))
    with pytest.raises(InvalidInput, match="unique"):
        clear(OrderBook(np.array([4, 4]), dup.interval, dup.node, dup.side, dup.price_krw_per_kwh, dup.quantity_kwh),
              net, grid, intervals=1)


def test_cumulative_rounding_keeps_the_total() -> None:
    # 0.4 + 0.4 + 0.4 − 1.2 = 0: prefix sums 0.4, 0.8, 1.2, 0 round to 0, 1, 1, 0, so the lines are
    # 0, 1, 0, −1: each within 1 won of its amount and summing to 0.
    np.testing.assert_array_equal(cumulative_round(np.array([0.4, 0.4, 0.4, -1.2])), [0, 1, 0, -1])


# --- invariants ------------------------------------------------------------------------------------

@st.composite
def cases(draw: st.DrawFn) -> tuple[OrderBook, Network, GridPrices, Battery | None, int]:
    intervals = draw(st.integers(1, 3))
    feeders = draw(st.integers(1, 3))
    n = draw(st.integers(0, 12))
    ints = st.lists(st.integers(0, intervals - 1), min_size=n, max_size=n)
    book = OrderBook(order_id=np.array(draw(st.permutations(range(100, 100 + n))), dtype=np.int64),
                     interval=np.array(draw(ints), dtype=np.int64),
                     node=np.array(draw(st.lists(st.integers(0, feeders), min_size=n, max_size=n)), dtype=np.int64),
                     side=np.array(draw(st.lists(st.sampled_from([BUY, SELL]), min_size=n, max_size=n)),
                                   dtype=np.int64),
                     price_krw_per_kwh=np.array(draw(st.lists(st.floats(0, 300), min_size=n, max_size=n))),
                     quantity_kwh=np.array(draw(st.lists(st.floats(0, 100), min_size=n, max_size=n))))
    caps = tuple(float(c) for c in draw(st.lists(st.integers(0, 400), min_size=feeders, max_size=feeders)))
    net = Network(caps, float(draw(st.integers(0, 400))), float(draw(st.integers(0, 400))))
    exp_p = np.array(draw(st.lists(st.floats(0, 150), min_size=intervals, max_size=intervals)))
    imp_p = exp_p + np.array(draw(st.lists(st.floats(0, 150), min_size=intervals, max_size=intervals)))
    battery = None
    if draw(st.booleans()):
        size = float(draw(st.integers(0, 200)))
        battery = Battery(node=draw(st.integers(0, feeders)), power_kw=float(draw(st.integers(0, 400))),
                          soc_min_kwh=0.1 * size, soc_max_kwh=size, soc_initial_kwh=0.5 * size,
                          efficiency_charge=draw(st.sampled_from([1.0, 0.95])), efficiency_discharge=0.9,
                          cost_krw_per_kwh=draw(st.sampled_from([0.0, 3.0])))
    return book, net, GridPrices(imp_p, exp_p), battery, intervals


def check_invariants(book: OrderBook, net: Network, grid: GridPrices, bat: Battery | None, intervals: int,
                     res: ClearingResult) -> None:
    book = book.sorted()
    x, lam = res.accepted_kwh, res.price_krw_per_kwh
    nodes = net.nodes
    # Energy balance at every node in every interval: injections − withdrawals + inflow = 0.
    net_inj = np.zeros((intervals, nodes))
    np.add.at(net_inj, (book.interval, book.node), np.where(book.side == SELL, x, -x))
    if bat is not None:
        net_inj[:, bat.node] += res.discharge_kwh - res.charge_kwh
    net_inj[:, 1:] += res.flow_kwh
    net_inj[:, 0] += res.import_kwh - res.export_kwh - res.flow_kwh.sum(axis=1)
    np.testing.assert_allclose(net_inj, 0, atol=1e-6)
    # The complex as a whole balances too (the flows cancel).
    total = np.bincount(book.interval, weights=np.where(book.side == SELL, x, -x), minlength=intervals).astype(float)
    total += res.import_kwh - res.export_kwh + res.discharge_kwh - res.charge_kwh
    np.testing.assert_allclose(total, 0, atol=1e-6)
    # No limit exceeded.
    cap = np.asarray(net.feeder_capacity_kw) * INTERVAL_H
    assert (np.abs(res.flow_kwh) <= cap + 1e-7).all()
    assert (res.import_kwh <= net.import_capacity_kw * INTERVAL_H + 1e-7).all()
    assert (res.export_kwh <= net.export_capacity_kw * INTERVAL_H + 1e-7).all()
    assert (x >= 0).all()
    assert (x <= book.quantity_kwh).all()
    if bat is not None:
        p = bat.power_kw * INTERVAL_H
        assert (res.charge_kwh <= p + 1e-7).all()
        assert (res.discharge_kwh <= p + 1e-7).all()
        assert (res.soc_kwh >= bat.soc_min_kwh - 1e-7).all()
        assert (res.soc_kwh <= bat.soc_max_kwh + 1e-7).all()
        prev = np.concatenate(([bat.soc_initial_kwh], res.soc_kwh[:-1]))
        np.testing.assert_allclose(res.soc_kwh, prev + bat.efficiency_charge * res.charge_kwh
                                   - res.discharge_kwh / bat.efficiency_discharge, atol=1e-6)
        assert res.soc_kwh[-1] >= bat.soc_initial_kwh - 1e-7
    # Individually rational at the node's price: no accepted bid priced below it, no accepted
    # offer above it; and efficient: no order in the money left (partly) unaccepted.
    node_price = lam[book.interval, book.node]
    tol = 1e-5 * max(1.0, float(np.abs(lam).max(initial=0)))
    accepted = x > 1e-7
    unfilled = x < book.quantity_kwh - 1e-7
    is_buy = book.side == BUY
    assert (book.price_krw_per_kwh[accepted & is_buy] >= node_price[accepted & is_buy] - tol).all()
    assert (book.price_krw_per_kwh[accepted & ~is_buy] <= node_price[accepted & ~is_buy] + tol).all()
    assert (book.price_krw_per_kwh[unfilled & is_buy] <= node_price[unfilled & is_buy] + tol).all()
    assert (book.price_krw_per_kwh[unfilled & ~is_buy] >= node_price[unfilled & ~is_buy] - tol).all()
    # Payments balance to the won in every interval, each line within 1 won of its exact amount,
    # and no buyer pays more than its bid (nor seller gets less than its offer) beyond that won.
    ledger = payments(book, res, grid, bat)
    if len(ledger):
        assert (ledger.groupby("interval")["pays_won"].sum() == 0).all()
        assert (np.abs(ledger["pays_won"] - ledger["exact_krw"]) < 1.0 + 1e-6).all()
        limit = ledger.merge(book.to_frame(), on="order_id", suffixes=("", "_order"))
        bids = limit[limit["kind"] == "buy"]
        assert (bids["pays_won"] <= bids["price_krw_per_kwh_order"] * bids["energy_kwh"] + 1 + tol * 100).all()
        offers = limit[limit["kind"] == "sell"]
        assert (-offers["pays_won"] >= offers["price_krw_per_kwh_order"] * offers["energy_kwh"] - 1 - tol * 100).all()
        rent = ledger[ledger["kind"].isin(["feeder_rent", "connection_rent"])]
        assert (rent["exact_krw"] <= tol * 100).all()  # the pool keeps rent, never pays it


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cases())
def test_clearing_invariants(case: tuple[OrderBook, Network, GridPrices, Battery | None, int]) -> None:
    book, net, grid, bat, intervals = case
    res = clear(book, net, grid, bat, intervals=intervals)
    check_invariants(book, net, grid, bat, intervals, res)
    # Sifting reaches the full LP's optimum; an independent formulation (scipy linprog) agrees
    # within 0.1 % of welfare.
    full = clear(book, net, grid, bat, intervals=intervals, sift=False)
    scale = max(1.0, abs(full.welfare_krw))
    assert res.welfare_krw == pytest.approx(full.welfare_krw, abs=1e-6 * scale)
    assert res.welfare_krw == pytest.approx(reference_welfare(book.sorted(), net, grid, bat, intervals),
                                            abs=1e-3 * scale)
    # The greedy matcher never beats the clearing (it is one feasible schedule of the same LP).
    assert greedy_match(book, net, grid, intervals)[3] <= res.welfare_krw + 1e-6 * scale


def test_welfare_matches_an_independent_lp_on_a_congested_day() -> None:
    from bench.market import scenario

    book, net, grid, bat = scenario(25, seed=11)
    res = clear(book, net, grid, bat)
    assert any(b["limit"] == "feeder" for b in res.binding), "the case should congest a feeder"
    check_invariants(book, net, grid, bat, 96, res)
    ref = reference_welfare(book, net, grid, bat, 96)
    assert abs(res.welfare_krw - ref) <= 1e-3 * abs(ref)
    greedy = greedy_match(book, net, grid, 96)[3]
    assert res.welfare_krw > greedy
