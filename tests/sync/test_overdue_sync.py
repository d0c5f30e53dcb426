"""Overdue pickups end to end with a real HQ on a loopback port (SQLite and PostgreSQL):
the store's sweeper marks the order overdue, a reminder becomes a customer notification in
HQ's outbox and reaches the webhook, an extension reopens the order at HQ, and a manager's
return closes it at HQ with the stock back at the store."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from conftest_client import channel, edge, hq  # noqa: F401  (fixtures)

from edge.domain import orders, overdue, stock
from edge.services.overdue import OverdueSweeper
from sync.client import SyncClient
from sync.hq import service
from tests.support.edge_store import PRODUCTS, build_store


def _notifications(server, order_no: str) -> list[tuple[str, str]]:
    with server.db.tx(snapshot=True) as tx:
        return [tuple(r) for r in tx.all(
            "SELECT kind, payload FROM notifications WHERE order_no = ? ORDER BY ord", (order_no,))]


def test_overdue_reminder_extend_and_return_reach_hq(make_hq_server, webhook_receiver, wait_until,
                                                      tmp_path):
    server = make_hq_server(webhook_url=webhook_receiver.url, notify_poll=0.02)
    for sku, zh, en, zone in PRODUCTS:
        server.add_product(sku, zh, en, zone)
    agent = server.add_store("S001")
    store = build_store(tmp_path / "store")
    client = SyncClient(store, server.url, agent.token, timeout=10)
    try:
        assert client.sync_once().ok  # the store's allotment reaches HQ
        now = datetime.now(timezone.utc)
        placed = server.add_channel().place(
            "S001", [("B001", 2)], paid=True, window_start=(now - timedelta(hours=2)).isoformat(),
            window_end=(now + timedelta(hours=1)).isoformat())
        assert placed.status_code == 201, placed.text
        order_no = placed.json()["order_no"]
        assert client.sync_once().ok
        assert orders.get_order(store.db, order_no).status == "allocated"

        # the window ends; the sweeper (a store service, not a person) marks it overdue
        sweeper = OverdueSweeper(store.data_dir, interval_s=0.01,
                                 clock=lambda: now + timedelta(hours=1, minutes=1)).start()
        try:
            assert wait_until(lambda: orders.get_order(store.db, order_no).status == "overdue")
        finally:
            sweeper.stop()
        assert client.sync_once().ok
        assert service.get_order(server.db, order_no)["status"] == "overdue"

        overdue.send_reminder(store.db, order_no, actor="c01")
        report = client.sync_once()
        assert report.ok and report.pending == 0, report
        assert [k for k, _ in _notifications(server, order_no)].count("reminder") == 1
        assert wait_until(lambda: any(n["kind"] == "reminder" and n["order_no"] == order_no
                                      for n in webhook_receiver.received))
        sent = next(n for n in webhook_receiver.received if n["kind"] == "reminder")
        assert sent["data"]["pickup_code"] and sent["data"]["clerk_id"] == "c01"

        new_end = now + timedelta(days=1)
        orders.extend_window(store.db, order_no, new_end, actor="c01")
        assert client.sync_once().ok
        at_hq = service.get_order(server.db, order_no)
        assert at_hq["status"] == orders.get_order(store.db, order_no).status == "preparing"
        assert abs(datetime.fromisoformat(at_hq["window_end"]) - new_end) < timedelta(seconds=1)

        orders.mark_overdue(store.db, now=new_end + timedelta(minutes=1))
        reserved = stock.levels(store.db, "B001").reserved
        orders.return_to_stock(store.db, order_no, actor="m01")
        report = client.sync_once()
        assert report.ok and report.pending == 0, report
        assert service.get_order(server.db, order_no)["status"] == "returned"
        assert stock.levels(store.db, "B001").reserved == reserved - 2
        rejected = store.db.execute("SELECT type, reason FROM sync_rejected").fetchall()
        assert rejected == []
    finally:
        client.close()
        store.close()


def test_hq_refuses_a_reminder_for_an_order_it_does_not_hold_open(hq_server):
    hq_server.add_product("A1")
    store = hq_server.add_store("S1")
    other = hq_server.add_store("S2")
    channel = hq_server.add_channel("shop")
    store.send("allotment.granted", {"sku": "A1", "qty": 2})
    order_no = channel.place("S1", [("A1", 1)], paid=True).json()["order_no"]
    assert other.send("order.reminder_requested", {"order_no": order_no, "clerk_id": "x"})[
        "reason"] == "unknown_order"  # another store's order is answered like an unknown one
    store.send("order.handed_over", {"order_no": order_no, "clerk_id": "c1", "at": "t"})
    result = store.send("order.reminder_requested", {"order_no": order_no, "clerk_id": "c1"})
    assert (result["outcome"], result["reason"]) == ("rejected", "order_closed:picked_up")
    assert store.send("order.reminder_requested", {"clerk_id": "c1"})["outcome"] == "rejected"
    assert "reminder" not in [k for k, _ in _notifications(hq_server, order_no)]


def test_store_edge_sync_marks_orders_overdue_for_a_store_without_the_app(hq, edge, channel,
                                                                            capsys):
    """A store running only the sync service: its orders still become overdue, HQ hears."""
    from edge.cli import main

    token = hq.add_store()
    argv = ["sync", "--once", "--data-dir", str(edge.data_dir), "--hq", hq.url, "--token", token,
            "--lang", "en"]
    assert main(argv) == 0  # HQ learns the allotment
    now = datetime.now(timezone.utc)
    view = channel.place([("D001", 1)], window_start=(now - timedelta(hours=3)).isoformat(),
                         window_end=(now - timedelta(minutes=1)).isoformat())
    assert main(argv) == 0  # the order arrives, its window already over
    assert orders.get_order(edge.db, view["order_no"]).status == "allocated"
    assert main(argv) == 0  # swept before syncing, then HQ is told
    assert "1 orders past their window marked overdue" in capsys.readouterr().err
    assert orders.get_order(edge.db, view["order_no"]).status == "overdue"
    assert service.get_order(hq.db, view["order_no"])["status"] == "overdue"
