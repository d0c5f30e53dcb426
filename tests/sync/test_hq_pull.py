"""Pull contract: paging by cursor, resync on epoch / cursor trouble, snapshot."""

from __future__ import annotations

from sync.hq import registry, service
from sync.protocol import TransferLine


def _transfers(hq_server, store_id: str, n: int) -> None:
    for i in range(n):
        service.transfer_stock(hq_server.db, store_id, [TransferLine(sku="A1", lot=f"L{i}", qty=1)],
                               hq_server.clock(), transfer_id=f"T{i}")


def test_pull_pages_in_cursor_order(hq_server):
    store = hq_server.add_store("S1")
    _transfers(hq_server, "S1", 5)
    first = store.pull(0, limit=2).json()
    assert [c["cursor"] for c in first["changes"]] == [1, 2]
    assert first["has_more"] and first["next_cursor"] == 2 and not first["resync"]
    second = store.pull(2, first["epoch"], limit=2).json()
    assert [c["payload"]["transfer_id"] for c in second["changes"]] == ["T2", "T3"]
    last = store.pull(4, first["epoch"], limit=2).json()
    assert [c["cursor"] for c in last["changes"]] == [5] and not last["has_more"]
    empty = store.pull(5, first["epoch"]).json()
    assert empty["changes"] == [] and empty["next_cursor"] == 5 and not empty["has_more"]


def test_epoch_change_asks_for_resync(hq_server):
    store = hq_server.add_store("S1")
    _transfers(hq_server, "S1", 2)
    epoch = store.pull(0).json()["epoch"]
    new_epoch = registry.bump_epoch(hq_server.db)
    body = store.pull(2, epoch).json()
    assert body["resync"] and body["reason"] == "epoch_changed" and body["epoch"] == new_epoch
    assert body["changes"] == []
    assert store.pull(2).json()["resync"]  # a cursor without an epoch is not trusted


def test_cursor_ahead_of_hq_asks_for_resync(hq_server):
    store = hq_server.add_store("S1")
    _transfers(hq_server, "S1", 2)
    epoch = store.pull(0).json()["epoch"]
    body = store.pull(9, epoch).json()
    assert body["resync"] and body["reason"] == "cursor_ahead"


def test_pruned_cursor_asks_for_resync(hq_server):
    store = hq_server.add_store("S1")
    _transfers(hq_server, "S1", 4)
    epoch = store.pull(0).json()["epoch"]
    service.prune_changes(hq_server.db, "S1", 3)
    assert store.pull(1, epoch).json()["reason"] == "cursor_pruned"
    ok = store.pull(3, epoch).json()
    assert not ok["resync"] and [c["cursor"] for c in ok["changes"]] == [4]


def test_snapshot_matches_its_cursor(hq_server):
    hq_server.add_product("A1")
    store = hq_server.add_store("S1")
    channel = hq_server.add_channel("shop")
    store.send("allotment.granted", {"sku": "A1", "qty": 3})
    order_no = channel.place("S1", [("A1", 2)]).json()["order_no"]
    _transfers(hq_server, "S1", 1)
    snap = store.snapshot().json()
    types = {item["type"] for item in snap["items"]}
    assert types >= {"order.allocated", "task.updated", "allotment.updated", "stock.transfer"}
    assert snap["acked_seq"] == 1
    orders = [i["payload"] for i in snap["items"] if i["type"] == "order.allocated"]
    assert orders[0]["order_no"] == order_no and len(orders[0]["pickup_code"]) == 11
    channel.cancel(order_no)
    after = store.pull(snap["cursor"], snap["epoch"]).json()
    assert [c["type"] for c in after["changes"]][0] == "order.cancelled"
    store.send("stock.moved", {"move_id": "rx", "sku": "A1", "lot": "L0", "qty": 1, "kind": "transfer_in",
                               "ref": "T0"})
    assert "stock.transfer" not in {i["type"] for i in store.snapshot().json()["items"]}


def test_catalog_window_and_allotment_requests_reach_the_store(hq_server):
    from datetime import timedelta

    hq_server.add_product("A1")
    store, other = hq_server.add_store("S1"), hq_server.add_store("S2")
    hq_server.add_product("A1", price_cents=990)  # a price change goes to every store
    channel = hq_server.add_channel("shop")
    store.send("allotment.granted", {"sku": "A1", "qty": 1})
    order_no = channel.place("S1", [("A1", 1)]).json()["order_no"]
    service.extend_window(hq_server.db, order_no, hq_server.clock() + timedelta(days=2), hq_server.clock())
    service.request_allotment(hq_server.db, "S1", "A1", 20, hq_server.clock())
    changes = store.pull_all()
    prices = [(c["payload"]["price_cents"], c["payload"]["version"]) for c in changes if c["type"] == "catalog.item"]
    assert prices == [(1290, 1), (990, 2)]  # a new store starts with the current catalog
    assert [c["payload"]["version"] for c in changes if c["type"] == "order.window_extended"] == [2]
    assert [c["payload"]["qty"] for c in changes if c["type"] == "allotment.requested"] == [20]
    assert [c["type"] for c in other.pull_all()] == ["catalog.item", "catalog.item"]
