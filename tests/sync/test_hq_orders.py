"""Orders and stock end to end through a real server: no oversell, release, conflicts."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import httpx

from sync.hq import service


def _setup(hq_server, units: int = 10, sku: str = "A1"):
    hq_server.add_product(sku)
    store = hq_server.add_store("S1")
    channel = hq_server.add_channel("live")
    if units:
        store.send("allotment.granted", {"sku": sku, "qty": units})
    return store, channel


def test_concurrent_orders_never_oversell_the_allotment(hq_server):
    _, channel = _setup(hq_server, units=10)

    def place(i: int) -> int:
        with httpx.Client(base_url=hq_server.url, timeout=60) as c:
            body = {"request_id": f"r{i}", "store_id": "S1", "customer_name": "李雷",
                    "customer_phone": "13900000000", "lines": [{"sku": "A1", "qty": 1}]}
            return c.post("/v1/orders", json=body, headers=channel.headers).status_code

    with ThreadPoolExecutor(max_workers=50) as pool:
        codes = list(pool.map(place, range(50)))
    assert codes.count(201) == 10 and codes.count(409) == 40
    assert service.allotment(hq_server.db, "S1", "A1") == {"sku": "A1", "pool": "on_hand", "granted": 10,
                                                           "locked": 10, "sold": 0}


def test_retried_order_request_is_idempotent(hq_server):
    _, channel = _setup(hq_server, units=5)
    a = channel.place("S1", [("A1", 2)], request_id="same").json()
    b = channel.place("S1", [("A1", 2)], request_id="same").json()
    assert a["order_no"] == b["order_no"]
    assert service.allotment(hq_server.db, "S1", "A1")["locked"] == 2


def test_unknown_sku_and_store_are_clear_errors(hq_server):
    _, channel = _setup(hq_server)
    r = channel.place("S1", [("NOPE", 1)])
    assert r.status_code == 422 and r.json()["error"] == "unknown_sku"
    r = channel.place("S9", [("A1", 1)])
    assert r.status_code == 404 and r.json()["error"] == "unknown_store"


def test_payment_deducts_and_cancel_gives_back(hq_server):
    _, channel = _setup(hq_server, units=5)
    order_no = channel.place("S1", [("A1", 3)]).json()["order_no"]
    assert channel.pay(order_no).json()["payment_status"] == "paid"
    assert service.allotment(hq_server.db, "S1", "A1")["sold"] == 3
    assert channel.cancel(order_no).json()["status"] == "cancelled"
    state = service.allotment(hq_server.db, "S1", "A1")
    assert (state["locked"], state["sold"]) == (0, 0)


def test_unpaid_order_released_after_30_minutes(hq_server):
    store, channel = _setup(hq_server, units=2)
    unpaid = channel.place("S1", [("A1", 1)]).json()["order_no"]
    paid = channel.place("S1", [("A1", 1)], paid=True).json()["order_no"]
    hq_server.clock.advance(minutes=29)
    assert service.release_unpaid_orders(hq_server.db, hq_server.clock()) == []
    hq_server.clock.advance(minutes=1)
    assert service.release_unpaid_orders(hq_server.db, hq_server.clock()) == [unpaid]
    # the released unit went back to the store (it may be gone there): not sellable online yet
    assert service.allotment(hq_server.db, "S1", "A1") == {"sku": "A1", "pool": "on_hand", "granted": 1,
                                                           "locked": 0, "sold": 1}
    assert channel.pay(unpaid).json()["error"] == "order_cancelled"
    cancels = [c for c in store.pull_all() if c["type"] == "order.cancelled"]
    assert [(c["payload"]["reason"], c["payload"]["regrant"]) for c in cancels] == [("payment_timeout", True)]
    assert channel.place("S1", [("A1", 1)]).status_code == 409
    store.send("allotment.granted", {"sku": "A1", "qty": 1})  # the store still has it
    assert channel.place("S1", [("A1", 1)]).status_code == 201  # the released unit sells again
    assert paid


def test_sweeper_releases_with_injected_clock(make_hq_server, wait_until):
    server = make_hq_server(sweep_interval=0.05)
    _, channel = _setup(server, units=1)
    order_no = channel.place("S1", [("A1", 1)]).json()["order_no"]
    server.clock.advance(minutes=31)
    assert wait_until(lambda: service.get_order(server.db, order_no)["status"] == "cancelled")


def test_presale_pool_kept_apart_from_stock_on_hand(hq_server):
    store, channel = _setup(hq_server, units=1)
    store.send("allotment.granted", {"sku": "A1", "qty": 5, "pool": "presale"})
    assert channel.place("S1", [("A1", 3)], presale=True).status_code == 201
    assert channel.place("S1", [("A1", 2)]).status_code == 409  # on-hand has only 1
    assert service.allotment(hq_server.db, "S1", "A1")["locked"] == 0
    assert service.allotment(hq_server.db, "S1", "A1", "presale")["locked"] == 3


def test_revoke_takes_back_only_free_units(hq_server):
    store, channel = _setup(hq_server, units=5)
    channel.place("S1", [("A1", 4)])
    result = store.send("allotment.revoked", {"sku": "A1", "qty": 3})
    assert result["outcome"] == "applied" and result["reason"] == "partial:1_of_3"
    assert service.allotment(hq_server.db, "S1", "A1")["granted"] == 4
    updates = [c["payload"] for c in store.pull_all() if c["type"] == "allotment.updated"]
    assert updates[-1]["granted"] == 4 and updates[-1]["locked"] == 4


def test_handover_beats_hq_cancellation(hq_server):
    store, channel = _setup(hq_server, units=2)
    order_no = channel.place("S1", [("A1", 2)], paid=True).json()["order_no"]
    assert channel.cancel(order_no).json()["status"] == "cancelled"  # HQ cancels meanwhile ...
    result = store.send("order.handed_over", {"order_no": order_no, "clerk_id": "c7",  # ... store was offline
                                              "at": "2020-01-01T00:00:00+00:00", "verify_ms": 420})
    assert result["outcome"] == "applied"
    assert service.get_order(hq_server.db, order_no)["status"] == "picked_up"
    conflicts = service.open_conflicts(hq_server.db, "S1")
    assert [(c["kind"], c["order_no"]) for c in conflicts] == [("handover_after_cancel", order_no)]
    assert service.allotment(hq_server.db, "S1", "A1")["sold"] == 2  # the units are gone
    noted = [c for c in store.pull_all() if c["type"] == "conflict.noted"]
    assert noted[0]["payload"]["kind"] == "handover_after_cancel"
    again = store.send("order.handed_over", {"order_no": order_no, "clerk_id": "c8", "at": "x"})
    assert again["reason"] == "already_picked_up"
    assert channel.cancel(order_no).json()["error"] == "not_cancellable"


def test_partial_pickup_records_refund_due(hq_server):
    store, channel = _setup(hq_server, units=2)
    order_no = channel.place("S1", [("A1", 2)], paid=True).json()["order_no"]
    store.send("order.handed_over", {"order_no": order_no, "clerk_id": "c1", "at": "t",
                                     "lines_not_taken": [{"line_no": 1, "qty": 1, "reason": "refused"}],
                                     "override": {"manager_id": "m1", "reason": "customer refused one"}})
    assert service.get_order(hq_server.db, order_no)["status"] == "partially_picked_up"
    assert [c["kind"] for c in service.open_conflicts(hq_server.db, "S1")] == ["refund_due"]


def test_negative_stock_recorded_and_raises_exception_task(hq_server):
    store, _ = _setup(hq_server, units=0)
    store.send("stock.moved", {"move_id": "m1", "sku": "A1", "qty": 2, "kind": "receipt"})
    store.send("stock.moved", {"move_id": "m2", "sku": "A1", "qty": -3, "kind": "sale"})
    store.send("stock.moved", {"move_id": "m3", "sku": "A1", "qty": -1, "kind": "waste"})
    assert service.stock_level(hq_server.db, "S1", "A1") == -2  # never clipped
    exceptions = service.store_tasks(hq_server.db, "S1", kind="exception")
    assert len(exceptions) == 1 and exceptions[0]["fields"]["level"] == -1
    assert any(c["type"] == "task.updated" and c["payload"]["kind"] == "exception" for c in store.pull_all())


def test_count_books_the_difference_not_the_total(hq_server):
    store, _ = _setup(hq_server, units=0)
    store.send("stock.moved", {"move_id": "m1", "sku": "A1", "qty": 10, "kind": "receipt"})
    # the store counted 7 believing it had 9; meanwhile HQ also got a sale of 1 from the same store
    store.send("stock.moved", {"move_id": "m2", "sku": "A1", "qty": -1, "kind": "sale"})
    store.send("stock.moved", {"move_id": "m3", "sku": "A1", "qty": 7, "kind": "count", "counted_base": 9})
    assert service.stock_level(hq_server.db, "S1", "A1") == 7


def test_task_last_write_wins_status_forward(hq_server):
    store, channel = _setup(hq_server, units=1)
    order_no = channel.place("S1", [("A1", 1)]).json()["order_no"]
    task_id = f"prep-{order_no}"
    store.send("task.updated", {"task_id": task_id, "status": "done", "fields": {"shelf": "F1"}})
    store.send("task.updated", {"task_id": task_id, "status": "in_progress", "fields": {"shelf": "F2"}})
    task = [t for t in service.store_tasks(hq_server.db, "S1") if t["task_id"] == task_id][0]
    assert task["status"] == "done" and task["fields"]["shelf"] == "F2"
    echoed = [c["payload"] for c in store.pull_all() if c["type"] == "task.updated"]
    assert echoed[-1]["status"] == "done"


def test_temperature_readings_insert_only_deduplicated(hq_server):
    store = hq_server.add_store("S1")
    reading = {"reading_id": "r1", "probe_id": "fridge-1", "celsius": 3.5, "at": "2026-05-01T08:00:00Z"}
    store.send("temperature.reading", reading)
    store.send("temperature.reading", {**reading, "celsius": 9.9})
    with hq_server.db.tx() as tx:
        assert tx.all("SELECT reading_id, celsius FROM temperature_readings") == [("r1", 3.5)]


def test_store_status_reports_move_order_forward_only(hq_server):
    store, channel = _setup(hq_server, units=1)
    order_no = channel.place("S1", [("A1", 1)], paid=True).json()["order_no"]
    assert store.send("order.status_changed", {"order_no": order_no, "to": "ready"})["outcome"] == "applied"
    back = store.send("order.status_changed", {"order_no": order_no, "to": "preparing"})
    assert back["outcome"] == "rejected" and back["reason"].startswith("status_not_forward")
    assert service.get_order(hq_server.db, order_no)["status"] == "ready"
