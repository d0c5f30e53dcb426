"""End to end with a real HQ on a loopback port: an order placed at HQ reaches the store by
pull, is handed over at the counter, and HQ learns of it by push."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from conftest_client import channel, client, edge, hq, pack_all  # noqa: F401  (fixtures)

from edge.domain import orders, pickup, stock
from sync.hq import service


def test_order_placed_at_hq_is_handed_over_and_hq_sees_it(hq, edge, client, channel):
    first = client.sync_once()
    assert first.ok and first.pending == 0
    assert service.allotment(hq.db, "S001", "B001")["granted"] == 20
    view = channel.place([("B001", 2), ("D001", 1)])

    report = client.sync_once()
    assert report.ok and report.applied >= 2  # the order and its preparation task
    order = orders.get_order(edge.db, view["order_no"])
    assert order.status == "allocated" and order.payment_status == "paid"
    assert stock.levels(edge.db, "B001").reserved == 2

    verdict = pickup.check(edge, view["pickup_code"])
    assert verdict.kind == "not_ready"
    for bag in order.bags:
        orders.pack_bag(edge.db, order.order_no, bag.zone, "A-101", actor="c01")
    assert pickup.check(edge, view["pickup_code"]).kind == "ok"
    pickup.hand_over(edge, order.order_no, "c01")

    report = client.sync_once()
    assert report.ok and report.pending == 0, report
    assert service.get_order(hq.db, order.order_no)["status"] == "picked_up"
    rejected = edge.db.execute("SELECT type, reason FROM sync_rejected").fetchall()
    assert not rejected, rejected  # HQ knows every event type the store sends


def test_payment_and_new_window_from_hq_reach_the_counter(hq, edge, client, channel):
    assert client.sync_once().ok
    view = channel.place([("M001", 1)], paid=False)
    assert client.sync_once().ok
    order = orders.get_order(edge.db, view["order_no"])
    assert order.payment_status == "pending"
    pack_all(edge, order.order_no)
    assert pickup.check(edge, view["pickup_code"]).kind == "unpaid"

    assert channel.pay(order.order_no).status_code == 200
    later = datetime.now(timezone.utc) + timedelta(days=2)
    service.extend_window(hq.db, order.order_no, later, datetime.now(timezone.utc))
    assert client.sync_once().ok
    order = orders.get_order(edge.db, view["order_no"])
    assert order.payment_status == "paid"
    assert abs(order.window_end - later) < timedelta(seconds=1)  # HQ keeps whole seconds
    assert pickup.check(edge, view["pickup_code"]).kind == "ok"


def test_big_events_go_in_batches_under_hq_size_limit(hq, edge, client):
    from edge.db import write_tx
    from edge.domain import outbox
    from sync.protocol import MAX_PUSH_BYTES

    reason = "x" * (MAX_PUSH_BYTES // 6)
    with write_tx(edge.db):
        for i in range(8):  # together about 1.3 x what HQ accepts in one request
            outbox.append(edge.db, type="audit.override", entity=f"order:O{i}",
                          at=datetime.now(timezone.utc),
                          payload={"manager_id": "m01", "reason": reason, "action": "demo"})
    report = client.sync_once()
    assert report.ok and report.pending == 0 and report.rejected == 0


def test_missing_goods_and_counts_reach_hq_stock(hq, edge, client, channel):
    assert client.sync_once().ok
    view = channel.place([("B001", 1), ("D001", 2)])
    assert client.sync_once().ok
    pack_all(edge, view["order_no"])
    pickup.hand_over(edge, view["order_no"], "c01",
                     not_taken=[pickup.NotTaken(line_no=2, qty=1, reason="missing")])
    stock.count(edge.db, sku="M001", counted=40, based_on=stock.levels(edge.db, "M001").on_hand,
                actor="m01")
    assert client.sync_once().ok
    for sku in ("B001", "D001", "M001"):
        assert service.stock_level(hq.db, "S001", sku) == stock.levels(edge.db, sku).on_hand, sku


def test_a_window_extended_at_the_store_reaches_hq(hq, edge, client, channel):
    assert client.sync_once().ok
    view = channel.place([("B001", 1)])
    assert client.sync_once().ok
    later = datetime.now(timezone.utc) + timedelta(days=3)
    orders.extend_window(edge.db, view["order_no"], later, actor="m01")
    assert client.sync_once().ok
    hq_end = datetime.fromisoformat(service.get_order(hq.db, view["order_no"])["window_end"])
    assert abs(hq_end - later) < timedelta(seconds=1)


def test_window_extended_at_the_store_reopens_the_order_at_hq(hq, edge, client, channel):
    assert client.sync_once().ok
    view = channel.place([("B001", 1)])
    assert client.sync_once().ok
    order = orders.get_order(edge.db, view["order_no"])
    pack_all(edge, order.order_no)
    later = order.window_end + timedelta(minutes=5)
    assert orders.mark_overdue(edge.db, now=later) == [order.order_no]
    assert client.sync_once().ok
    assert service.get_order(hq.db, order.order_no)["status"] == "overdue"

    new_end = later + timedelta(days=1)
    orders.extend_window(edge.db, order.order_no, new_end, actor="m01", now=later)
    report = client.sync_once()
    assert report.ok and report.pending == 0, report
    at_hq = service.get_order(hq.db, order.order_no)
    assert at_hq["status"] == "ready"
    assert datetime.fromisoformat(at_hq["window_end"]) == new_end
    rejected = edge.db.execute("SELECT type, reason FROM sync_rejected").fetchall()
    assert not rejected, rejected
