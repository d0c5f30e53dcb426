"""Pre-sale end to end (issue 11): a real store, its sync client, and a real HQ on a loopback
port over SQLite and PostgreSQL (``hq_server``). HQ announces a transfer whose units it
sells ahead; pre-sale orders wait at the store, off the task board and off the shelf, until
the goods are received; a short delivery releases orders in order of purchase, leaves the
latest ones waiting and tells HQ."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone

import pytest

from edge import present
from edge.domain import board, clerks, orders, pickup, presale, sales, stock, transfers
from edge.domain.errors import DomainError
from edge.store import init_store
from sync.client import SyncClient
from sync.hq import service
from sync.protocol import TransferLine

SKU, STORE = "P001", "S001"
CLERK, MANAGER = "c01", "m01"
SHELF = 5  # units of P001 already on the shelf, none granted online


@pytest.fixture
def shop(tmp_path, hq_server):
    hq_server.add_product(SKU, "阳光玫瑰葡萄", "Shine Muscat grapes", "chilled", 5900)
    token = hq_server.add_store(STORE).token
    store = init_store(tmp_path / "store", STORE, "静安寺店", "Jing'an Temple")
    earlier = datetime.now(timezone.utc) - timedelta(days=1)
    store.db.execute("INSERT INTO products (sku, name_zh, name_en, zone, price_cents)"
                     " VALUES (?, '阳光玫瑰葡萄', 'Shine Muscat grapes', 'chilled', 5900)", [SKU])
    store.db.conn.commit()
    clerks.add_clerk(store.db, CLERK, "王芳", "1111", role="clerk", now=earlier)
    clerks.add_clerk(store.db, MANAGER, "张经理", "9999", role="manager", now=earlier)
    stock.receive(store.db, sku=SKU, lot="L0", qty=SHELF, expiry="2099-01-01", actor=MANAGER, now=earlier)
    client = SyncClient(store, hq_server.url, token, timeout=10)
    assert client.sync_once().ok
    transfer_id = service.transfer_stock(
        hq_server.db, STORE, [TransferLine(sku=SKU, lot="PS1", expiry="2099-02-01", qty=10, presale=6)],
        hq_server.clock(), transfer_id="T-PRESALE-1")
    assert client.sync_once().ok
    yield store, client, transfer_id
    client.close()
    store.close()


def _presell(hq_server, qtys: list[int]) -> tuple[list[str], list[int]]:
    """Place one pre-sale order per quantity (paid), in this order; (order numbers, codes)."""
    channel = hq_server.add_channel(f"presale-{uuid.uuid4().hex[:8]}")
    numbers, codes = [], []
    for qty in qtys:
        r = channel.place(STORE, [(SKU, qty)], paid=True, presale=True)
        codes.append(r.status_code)
        if r.status_code == 201:
            numbers.append(r.json()["order_no"])
    return numbers, codes


def _board_orders(store) -> set[str]:
    now = datetime.now(timezone.utc)
    return {row.order_no for row in board.view(board.board_rows(store.db, now=now),
                                               board.BoardFilter(), now).rows}


def test_a_short_delivery_releases_orders_in_purchase_order_and_tells_hq(shop, hq_server):
    store, client, transfer_id = shop
    pool = service.allotment(hq_server.db, STORE, SKU, "presale")
    assert (pool["granted"], pool["sold"]) == (6, 0)
    numbers, codes = _presell(hq_server, [2, 1, 2, 1, 1])
    assert codes == [201, 201, 201, 201, 409]  # HQ never sells past the pre-sale pool
    assert service.allotment(hq_server.db, STORE, SKU, "presale")["sold"] == 6
    assert service.allotment(hq_server.db, STORE, SKU)["sold"] == 0  # the shelf's pool: untouched
    assert client.sync_once().ok

    assert not _board_orders(store) & set(numbers)  # waiting: not on the board
    assert [o.order_no for o in presale.waiting_orders(store.db)] == numbers
    assert stock.levels(store.db, SKU).sellable == SHELF

    done = transfers.receive_transfer(store, transfer_id, CLERK, received={1: 4})  # 4 of 10 came
    assert done.lines[0].received_qty == 4 and done.lines[0].short == 6
    # 4 pre-sold units came: orders 1 (2) and 2 (1) go; order 3 needs 2 of the 1 left, and
    # order 4 may not jump it
    assert _board_orders(store) >= set(numbers[:2])
    assert [o.order_no for o in presale.waiting_orders(store.db)] == numbers[2:]
    lv = stock.levels(store.db, SKU)
    assert (lv.on_hand, lv.reserved, lv.presale, lv.sellable) == (SHELF + 4, 3, 1, SHELF)
    with pytest.raises(DomainError):  # the unit held for order 3 is not the counter's
        sales.sell(store, [sales.SaleLine(SKU, SHELF + 1)], CLERK)
    with pytest.raises(DomainError) as refused:  # nothing to pack before its goods come
        orders.pack_bag(store.db, numbers[2], "chilled", "C-1", actor=CLERK)
    assert refused.value.code == "bag.presale_waiting"
    verdict = pickup.judge(store, orders.require_order(store.db, numbers[2]))
    assert verdict.kind == "not_ready"  # at the counter: said plainly, in both languages
    assert "预售等货中" in present.verdict_message(verdict, "zh-CN")
    assert "waiting for goods" in present.verdict_message(verdict, "en")

    report = client.sync_once()
    assert report.ok and report.pending == 0, report
    assert not store.db.execute("SELECT type, reason FROM sync_rejected").fetchall()
    pool = service.allotment(hq_server.db, STORE, SKU, "presale")
    assert (pool["granted"], pool["sold"]) == (4, 6)  # 2 units never came: 2 orders owed
    conflicts = [c for c in service.open_conflicts(hq_server.db, STORE) if c["kind"] == "presale_short"]
    assert len(conflicts) == 1 and numbers[2] in conflicts[0]["detail"]
    sent = hq_server.db.run_tx(lambda tx: tx.all(
        "SELECT order_no, kind FROM notifications WHERE kind LIKE 'presale%' ORDER BY ord"), snapshot=True)
    assert [tuple(r) for r in sent] == [(numbers[0], "presale_arrived"), (numbers[1], "presale_arrived"),
                                        (numbers[2], "presale_delayed"), (numbers[3], "presale_delayed")]
    _, codes = _presell(hq_server, [1])
    assert codes == [409]  # the pool is short: nothing more is pre-sold
    assert service.stock_level(hq_server.db, STORE, SKU) == SHELF + 4


def test_pre_sale_never_touches_the_shelf(shop, hq_server):
    store, client, transfer_id = shop
    numbers, codes = _presell(hq_server, [1] * 6)
    assert codes == [201] * 6
    assert client.sync_once().ok
    lv = stock.levels(store.db, SKU)
    assert (lv.reserved, lv.allotment, lv.presale, lv.sellable) == (0, 0, 0, SHELF)
    sales.sell(store, [sales.SaleLine(SKU, SHELF)], CLERK)  # the counter sells its whole shelf
    assert stock.levels(store.db, SKU).sellable == 0
    assert len(presale.waiting_orders(store.db)) == 6  # and the pre-sale orders still stand

    transfers.receive_transfer(store, transfer_id, CLERK)  # all 10 came
    assert presale.waiting_orders(store.db) == []
    assert _board_orders(store) >= set(numbers)
    lv = stock.levels(store.db, SKU)
    assert (lv.on_hand, lv.reserved, lv.presale, lv.sellable) == (10, 6, 0, 4)
    assert client.sync_once().ok
    assert service.allotment(hq_server.db, STORE, SKU, "presale")["granted"] == 6
    assert not [c for c in service.open_conflicts(hq_server.db, STORE) if c["kind"] == "presale_short"]
    assert service.stock_level(hq_server.db, STORE, SKU) == 10


def test_unsold_pre_sale_units_wait_for_hq_then_a_manager_ends_the_pre_sale(shop, hq_server):
    store, client, transfer_id = shop
    numbers, _ = _presell(hq_server, [2])
    assert client.sync_once().ok
    transfers.receive_transfer(store, transfer_id, CLERK)
    lv = stock.levels(store.db, SKU)
    assert (lv.reserved, lv.presale, lv.sellable) == (2, 4, SHELF + 4)  # 4 pre-sale units held
    late, _ = _presell(hq_server, [1])  # HQ still pre-sells: the unit is here already
    assert client.sync_once().ok
    assert presale.waiting_orders(store.db) == [] and _board_orders(store) >= {*numbers, *late}
    assert presale.end_presale(store.db, sku=SKU, actor=MANAGER) == 3
    assert stock.levels(store.db, SKU).sellable == SHELF + 4 + 3
    assert client.sync_once().ok
    pool = service.allotment(hq_server.db, STORE, SKU, "presale")
    assert pool["granted"] - pool["locked"] - pool["sold"] == 0
    _, codes = _presell(hq_server, [1])
    assert codes == [409]


def test_hq_refuses_what_no_store_may_say_about_a_pre_sale(hq_server):
    """A pre-sale line beyond its transfer line, and a store naming another store's order
    (or more arrived than was pre-sold) in ``presale.received``: refused, nothing changed."""
    with pytest.raises(ValueError):
        TransferLine(sku=SKU, lot="L1", qty=2, presale=3)
    hq_server.add_product(SKU)
    hq_server.add_store(STORE)
    other = hq_server.add_store("S002")
    service.transfer_stock(hq_server.db, STORE, [TransferLine(sku=SKU, lot="L1", qty=4, presale=4)],
                           hq_server.clock())
    numbers, codes = _presell(hq_server, [2])
    assert codes == [201]
    before = service.allotment(hq_server.db, STORE, SKU, "presale")
    lines = [{"sku": SKU, "presale": 4, "arrived": 1}]
    theirs = other.send("presale.received", {"transfer_id": "T-X", "lines": lines,
                                             "released": [], "waiting": [{"order_no": numbers[0]}]})
    assert (theirs["outcome"], theirs["reason"]) == ("rejected", "unknown_order")
    too_many = other.send("presale.received", {"transfer_id": "T-X", "released": [],
                                               "lines": [{"sku": SKU, "presale": 1, "arrived": 2}]})
    assert too_many["outcome"] == "rejected" and too_many["reason"].startswith("bad_line")
    assert service.allotment(hq_server.db, STORE, SKU, "presale") == before
    assert not service.open_conflicts(hq_server.db)


def test_an_order_hq_sold_before_it_heard_of_the_short_delivery_waits_and_hq_is_told(shop, hq_server):
    store, client, transfer_id = shop
    first, _ = _presell(hq_server, [2, 2])
    assert client.sync_once().ok
    transfers.receive_transfer(store, transfer_id, CLERK, received={1: 3})  # 3 of 6 pre-sold came
    late, codes = _presell(hq_server, [2])  # HQ has not heard yet: its pool still has 2 free
    assert codes == [201]
    report = client.sync_once()  # the receipt goes up, the late order comes down
    assert report.ok
    assert client.sync_once().ok and client.sync_once().pending == 0
    assert [o.order_no for o in presale.waiting_orders(store.db)] == [first[1], late[0]]
    sent = hq_server.db.run_tx(lambda tx: tx.all(
        "SELECT order_no FROM notifications WHERE kind = 'presale_delayed' ORDER BY ord"), snapshot=True)
    assert [r[0] for r in sent] == [first[1], late[0]]
    assert len([c for c in service.open_conflicts(hq_server.db, STORE) if c["kind"] == "presale_short"]) == 2
    pool = service.allotment(hq_server.db, STORE, SKU, "presale")
    assert (pool["granted"], pool["sold"]) == (3, 6)  # 3 never came: the pool owes 3
    assert stock.levels(store.db, SKU).sellable == SHELF  # the shelf untouched throughout
