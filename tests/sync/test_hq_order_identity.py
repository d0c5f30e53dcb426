"""An order is more than its number: events name HQ's ``order_uid``, HQ refuses them on any
other order, and an order a store gives back (``order.restored``) is recreated as it was."""

from __future__ import annotations

from sync.hq import registry, service


def _order(hq_server):
    hq_server.add_product("A1")
    store = hq_server.add_store("S1")
    channel = hq_server.add_channel("live")
    store.send("allotment.granted", {"sku": "A1", "qty": 5})
    pulled = channel.place("S1", [("A1", 1)], paid=True).json()
    allocated = [c["payload"] for c in store.pull_all() if c["type"] == "order.allocated"]
    return store, pulled["order_no"], allocated[-1]


def test_order_numbers_change_series_with_every_epoch_bump(hq_server):
    _, first, _ = _order(hq_server)
    channel = hq_server.add_channel("live-2")
    registry.bump_epoch(hq_server.db)
    second = channel.place("S1", [("A1", 1)]).json()["order_no"]
    assert first.split("-")[1] != second.split("-")[1]  # S1-<series>-<seq>
    assert second.split("-")[1] == registry.order_series(hq_server.db)


def test_an_event_naming_another_order_uid_is_refused_with_a_conflict(hq_server):
    store, order_no, payload = _order(hq_server)
    assert payload["order_uid"]
    wrong = store.send("order.handed_over", {"order_no": order_no, "order_uid": "f" * 32,
                                             "clerk_id": "c01", "at": "2026-01-01T10:00:00+00:00"})
    assert (wrong["outcome"], wrong["reason"]) == ("rejected", "order_mismatch")
    assert service.get_order(hq_server.db, order_no)["status"] == "allocated"
    [conflict] = service.open_conflicts(hq_server.db, "S1")
    assert conflict["kind"] == "order_mismatch" and conflict["order_no"] == order_no
    right = store.send("order.handed_over", {"order_no": order_no, "order_uid": payload["order_uid"],
                                             "clerk_id": "c01", "at": "2026-01-01T10:00:00+00:00"})
    assert right["outcome"] == "applied"
    assert service.get_order(hq_server.db, order_no)["status"] == "picked_up"


def _restored(order_no: str, uid: str, status: str = "ready") -> dict:
    return {"order_no": order_no, "order_uid": uid, "channel": "live", "customer_masked": "王**",
            "phone_last4": "8000", "lines": [{"line_no": 1, "sku": "A1", "name_zh": "鲜牛奶",
                                               "name_en": "Fresh milk", "qty": 2, "zone": "chilled",
                                               "unit_price_cents": 1290}],
            "window_start": "2026-01-01T10:00:00+00:00", "window_end": "2026-01-01T18:00:00+00:00",
            "payment_status": "paid", "fulfilment": "pickup", "code_hash": "ab" * 32,
            "status": status, "hq_version": 3}


def test_an_order_given_back_by_its_store_is_recreated_as_it_was(hq_server):
    store, order_no, payload = _order(hq_server)
    lost = "S1-OLDSERIES-000007"
    result = store.send("order.restored", _restored(lost, "a" * 32))
    assert (result["outcome"], result["reason"]) == ("applied", "restored")
    view = service.get_order(hq_server.db, lost)
    assert (view["status"], view["payment_status"], view["pickup_code"], view["version"]) == \
        ("ready", "paid", "", 3)  # the code never travels back in clear
    assert service.allotment(hq_server.db, "S1", "A1")["sold"] == 1 + 2
    with hq_server.db.tx(snapshot=True) as tx:
        assert tx.scalar("SELECT code_hash FROM orders WHERE order_no = ?", (lost,)) == "ab" * 32
    again = store.send("order.restored", _restored(lost, "a" * 32))
    assert (again["outcome"], again["reason"]) == ("applied", "already_known")
    assert service.allotment(hq_server.db, "S1", "A1")["sold"] == 3  # booked once
    other = store.send("order.restored", _restored(order_no, "b" * 32))
    assert (other["outcome"], other["reason"]) == ("rejected", "order_mismatch")


def test_a_store_cannot_give_back_another_stores_order(hq_server):
    store, _, _ = _order(hq_server)
    hq_server.add_store("S2")
    result = store.send("order.restored", _restored("S2-X-000001", "c" * 32))
    assert (result["outcome"], result["reason"]) == ("rejected", "unknown_order")
    result = store.send("order.restored", _restored("S10-X-000001", "c" * 32))
    assert (result["outcome"], result["reason"]) == ("rejected", "unknown_order")
