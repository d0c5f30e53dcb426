"""A lossy network between store and HQ (tests/support/fault_proxy.py): requests lost,
responses lost after HQ acted, requests duplicated and replayed out of order. Afterwards every
committed store event exists exactly once at HQ, every HQ order exactly once in the store,
and stock and allotment are equal on both sides."""

from __future__ import annotations

import random

from conftest_client import PRODUCTS, channel, edge, hq, pack_all  # noqa: F401

from edge.domain import orders, pickup, sales, stock
from sync.client import SyncClient
from sync.hq import service
from tests.support.fault_proxy import FaultProxy, Faults

LOSSY = Faults(drop_request=0.15, drop_response=0.2, duplicate=0.15, replay=0.15)


def _sync_until_quiet(client: SyncClient, attempts: int = 30) -> None:
    for _ in range(attempts):
        report = client.sync_once()
        if report.ok and report.pending == 0 and report.pulled == 0:
            return
    raise AssertionError(f"no quiet sync after {attempts} attempts: {report}")


def _counter_work(edge, rng: random.Random) -> None:
    """Hand over what arrived, a stock correction now and then, a counter sale."""
    arrived = edge.db.execute("SELECT order_no FROM orders WHERE status = 'allocated'"
                              " AND payment_status = 'paid'").fetchall()
    for (order_no,) in arrived:
        pack_all(edge, order_no)
        pickup.hand_over(edge, order_no, "c01")
    if rng.random() < 0.5:
        stock.adjust(edge.db, sku=rng.choice(PRODUCTS)[0], qty=-1, reason="damaged", actor="m01")
    sku = rng.choice(PRODUCTS)[0]
    if stock.levels(edge.db, sku).sellable > 0:  # an add-on sale at the counter
        sales.sell(edge, [sales.SaleLine(sku, 1)], "c01")


def test_lossy_network_loses_and_duplicates_nothing(hq, edge, channel):
    rng = random.Random(11)
    token = hq.add_store()
    with FaultProxy(hq.url, faults=Faults(), seed=3) as proxy:
        client = SyncClient(edge, proxy.url, token, timeout=5)
        _sync_until_quiet(client)  # HQ learns the allotment over a clean line
        proxy.set_faults(LOSSY)
        placed = []
        for _ in range(15):
            placed.append(channel.place([(rng.choice(PRODUCTS)[0], rng.randint(1, 2))]))
            if rng.random() < 0.3:
                channel.cancel(rng.choice(placed)["order_no"])  # may race a hand-over: fine
            client.sync_once()
            _counter_work(edge, rng)
            client.sync_once()
        assert proxy.stats.dropped_responses and proxy.stats.duplicated and proxy.stats.replayed
        proxy.set_faults(Faults())
        _sync_until_quiet(client)
        client.close()

    with hq.db.tx(snapshot=True) as tx:
        hq_events = tx.all("SELECT seq, event_id FROM events WHERE store_id = 'S001' ORDER BY seq")
        hq_orders = dict(tx.all("SELECT order_no, status FROM orders WHERE store_id = 'S001'"))
        hq_sales = tx.all("SELECT sale_id, total_cents FROM sales ORDER BY sale_id")
    assert hq_events == edge.db.execute("SELECT seq, event_id FROM outbox ORDER BY seq").fetchall()
    assert hq_sales and hq_sales == edge.db.execute(
        "SELECT sale_id, total_cents FROM sales ORDER BY sale_id").fetchall()
    store_orders = dict(edge.db.execute("SELECT order_no, status FROM orders").fetchall())
    assert store_orders == hq_orders  # every order once, the same outcome on both sides
    received = edge.db.execute("SELECT entity, COUNT(*) FROM audit WHERE action = 'order.received'"
                               " GROUP BY entity HAVING COUNT(*) > 1").fetchall()
    assert received == []
    for sku, *_ in PRODUCTS:
        levels = stock.levels(edge.db, sku)
        assert service.stock_level(hq.db, "S001", sku) == levels.on_hand, sku
        a = service.allotment(hq.db, "S001", sku)
        assert a["granted"] - a["locked"] - a["sold"] == levels.allotment, sku
    assert orders.get_order(edge.db, placed[0]["order_no"]) is not None


def test_two_clients_of_one_store_at_once_change_nothing_twice(hq, edge, channel):
    """The UI's worker and ``store-edge sync`` may run together: each fact still lands once."""
    import threading

    from edge.store import Store

    token = hq.add_store()
    assert SyncClient(edge, hq.url, token).sync_once().ok
    stop = threading.Event()

    def other_terminal() -> None:
        client = SyncClient(lambda: Store.open(edge.data_dir), hq.url, token)
        while not stop.is_set():
            client.sync_once()
        client.close()

    thread = threading.Thread(target=other_terminal)
    thread.start()
    mine = SyncClient(edge, hq.url, token)
    try:
        rng = random.Random(2)
        for _ in range(10):
            channel.place([(rng.choice(PRODUCTS)[0], 1)])
            mine.sync_once()
            _counter_work(edge, rng)
    finally:
        stop.set()
        thread.join()
    _sync_until_quiet(mine)
    with hq.db.tx(snapshot=True) as tx:
        hq_events = tx.all("SELECT seq, event_id FROM events WHERE store_id = 'S001' ORDER BY seq")
        hq_orders = dict(tx.all("SELECT order_no, status FROM orders WHERE store_id = 'S001'"))
    assert hq_events == edge.db.execute("SELECT seq, event_id FROM outbox ORDER BY seq").fetchall()
    assert dict(edge.db.execute("SELECT order_no, status FROM orders").fetchall()) == hq_orders
    assert edge.db.execute("SELECT COUNT(*) FROM audit WHERE action = 'order.received'").fetchone()[0] == 10
