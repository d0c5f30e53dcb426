"""Customer notifications reach a real loopback webhook, with retries after failures."""

from __future__ import annotations

from sync.hq import service


def test_notifications_delivered_with_retries(make_hq_server, webhook_receiver, wait_until):
    webhook_receiver.fail_first = 2
    server = make_hq_server(webhook_url=webhook_receiver.url, notify_retry_base=0.05, notify_poll=0.02)
    server.add_product("A1")
    store = server.add_store("S1")
    channel = server.add_channel("shop")
    store.send("allotment.granted", {"sku": "A1", "qty": 1})
    order_no = channel.place("S1", [("A1", 1)], paid=True).json()["order_no"]
    store.send("order.status_changed", {"order_no": order_no, "to": "ready"})
    store.send("order.handed_over", {"order_no": order_no, "clerk_id": "c1", "at": "t"})

    assert wait_until(lambda: len(webhook_receiver.received) == 3)
    kinds = [n["kind"] for n in webhook_receiver.received]
    assert kinds == ["allocated", "ready", "picked_up"]
    assert all(n["order_no"] == order_no and n["notification_id"] for n in webhook_receiver.received)
    assert webhook_receiver.attempts == 5  # two refused, then one each

    def rows() -> list[tuple]:
        with server.db.tx(snapshot=True) as tx:
            return tx.all("SELECT kind, status, attempts FROM notifications ORDER BY created_at, kind")

    # the receiver may answer before the deliverer has recorded it
    assert wait_until(lambda: {r[1] for r in rows()} == {"delivered"})
    assert max(r[2] for r in rows()) == 3


def test_reminder_for_ready_order_near_window_end(hq_server):
    hq_server.add_product("A1")
    store = hq_server.add_store("S1")
    channel = hq_server.add_channel("shop")
    store.send("allotment.granted", {"sku": "A1", "qty": 1})
    order_no = channel.place("S1", [("A1", 1)], paid=True).json()["order_no"]
    store.send("order.status_changed", {"order_no": order_no, "to": "ready"})
    assert service.send_reminders(hq_server.db, hq_server.clock()) == 1
    assert service.send_reminders(hq_server.db, hq_server.clock()) == 0
    with hq_server.db.tx() as tx:
        kinds = [r[0] for r in tx.all("SELECT kind FROM notifications ORDER BY created_at")]
    assert "reminder" in kinds


def test_backoff_doubles_and_is_capped():
    from sync.hq.notify import backoff_seconds

    assert [backoff_seconds(n, 1.0, 10.0) for n in range(1, 7)] == [1, 2, 4, 8, 10, 10]
