"""A greedy pay-as-bid matcher made network-feasible: the baseline the clearing is measured against.

Per interval, bids are taken from the highest price down; each takes the cheapest offer it can
reach without breaking a feeder or connection limit (KEPCO import is an offer at the bus at the
tariff, export a bid at the bus at the export price), as much as the limits allow, until no
reachable offer is at or below its price.  Each pair trades at its own prices (pay-as-bid).  It
never schedules the battery and never revisits a match, which is where welfare is lost.
"""

from __future__ import annotations

import numpy as np

from sandan.grid.market.clearing import (
    BUY,
    INTERVAL_H,
    SELL,
    FloatArray,
    GridPrices,
    Network,
    OrderBook,
    welfare,
)


def greedy_match(book: OrderBook, network: Network, grid: GridPrices,
                 intervals: int) -> tuple[FloatArray, FloatArray, FloatArray, float]:
    """Match greedily; return (accepted kWh per order in ``book``'s row order, import kWh, export
    kWh per interval, welfare [KRW])."""
    accepted = np.zeros(len(book))
    imports = np.zeros(intervals)
    exports = np.zeros(intervals)
    cap = np.concatenate(([np.inf], np.asarray(network.feeder_capacity_kw) * INTERVAL_H))
    nodes = network.nodes
    price = book.price_krw_per_kwh
    qty = book.quantity_kwh
    sell = np.flatnonzero(book.side == SELL)
    buy = np.flatnonzero(book.side == BUY)
    sell = sell[np.lexsort((price[sell], book.node[sell], book.interval[sell]))]
    buy = buy[np.lexsort((-price[buy], book.interval[buy]))]
    sell_split = np.searchsorted(book.interval[sell], np.arange(intervals + 1))
    buy_split = np.searchsorted(book.interval[buy], np.arange(intervals + 1))
    for t in range(intervals):
        imp_price = float(grid.import_krw_per_kwh[t])
        exp_price = float(grid.export_krw_per_kwh[t])
        offers_t = sell[sell_split[t]: sell_split[t + 1]]
        node_split = np.searchsorted(book.node[offers_t], np.arange(nodes + 1))
        queues = [list(offers_t[node_split[n]: node_split[n + 1]]) for n in range(nodes)]
        heads = [0] * nodes
        left = {int(i): float(qty[i]) for i in offers_t}
        import_left = network.import_capacity_kw * INTERVAL_H
        flow = [0.0] * nodes  # into each feeder from the bus
        bids = [(float(price[i]), int(book.node[i]), int(i)) for i in buy[buy_split[t]: buy_split[t + 1]]]
        bids.append((exp_price, 0, -1))
        bids.sort(key=lambda b: -b[0])
        export_left = network.export_capacity_kw * INTERVAL_H
        for bid_price, j, bid in bids:
            want = float(qty[bid]) if bid >= 0 else export_left
            while want > 1e-12:
                room_in = cap[j] - flow[j] if j else np.inf
                best, best_price, best_room = -2, np.inf, 0.0
                for n in range(nodes):
                    q = queues[n]
                    while heads[n] < len(q) and left[int(q[heads[n]])] <= 1e-12:
                        heads[n] += 1
                    if heads[n] >= len(q):
                        continue
                    room = room_in if n != j else np.inf
                    if n and n != j:
                        room = min(room, cap[n] + flow[n])
                    p = float(price[q[heads[n]]])
                    if room > 1e-12 and p < best_price:
                        best, best_price, best_room = n, p, room
                if bid >= 0 and import_left > 1e-12 and imp_price < best_price and room_in > 1e-12:
                    best, best_price, best_room = -1, imp_price, room_in
                if best == -2 or best_price > bid_price:
                    break
                if best == -1:
                    amount = min(want, import_left, best_room)
                    import_left -= amount
                    imports[t] += amount
                    src = 0
                else:
                    offer = int(queues[best][heads[best]])
                    amount = min(want, left[offer], best_room)
                    left[offer] -= amount
                    accepted[offer] += amount
                    src = best
                if src != j:
                    flow[src] -= amount if src else 0.0
                    flow[j] += amount if j else 0.0
                want -= amount
                if bid >= 0:
                    accepted[bid] += amount
                else:
                    exports[t] += amount
                    export_left -= amount
    return accepted, imports, exports, welfare(book, accepted, grid, imports, exports)
