"""The stock ledger: signed moves, levels as sums, allotment held apart, counts as differences."""

from __future__ import annotations

from datetime import timedelta

import pytest

from edge.db import write_tx
from edge.domain import audit, outbox, pickup, stock
from edge.domain.errors import DomainError
from tests.support.edge_store import ALLOTMENT, LOTS, NOW, dump


def _sum(db, sku: str, account: str) -> int:
    return db.execute("SELECT COALESCE(SUM(qty), 0) FROM stock_moves WHERE sku = ? AND account = ?",
                      [sku, account]).fetchone()[0]


def test_levels_are_sums_of_moves_and_sellable_is_on_hand_minus_allotment_minus_reserved(
        store, make_order):
    db = store.db
    received = sum(q for sku, _lot, _exp, q in LOTS if sku == "B001")
    lv = stock.levels(db, "B001")
    assert (lv.on_hand, lv.allotment, lv.reserved, lv.presale) == (received, ALLOTMENT, 0, 0)
    assert lv.sellable == received - ALLOTMENT
    make_order(lines=[("B001", 4)])  # an online order: 4 units move from allotment to reserved
    stock.adjust(db, sku="B001", qty=-2, reason="damaged", actor="m01", now=NOW)
    lv = stock.levels(db, "B001")
    assert lv.on_hand == received - 2 == _sum(db, "B001", "on_hand")
    assert lv.allotment == ALLOTMENT - 4 == _sum(db, "B001", "allotment")
    assert lv.reserved == 4 == _sum(db, "B001", "reserved")
    assert lv.sellable == lv.on_hand - lv.allotment - lv.reserved == received - 2 - ALLOTMENT
    # moves are never updated, only appended
    n = db.execute("SELECT COUNT(*) FROM stock_moves WHERE sku = 'B001'").fetchone()[0]
    stock.adjust(db, sku="B001", qty=1, reason="found", actor="m01", now=NOW)
    assert db.execute("SELECT COUNT(*) FROM stock_moves WHERE sku = 'B001'").fetchone()[0] == n + 1
    assert stock.levels(db, "UNKNOWN") == stock.Levels("UNKNOWN", 0, 0, 0, 0)


def test_lot_balances_are_first_expiring_first(store):
    balances = stock.lot_balances(store.db, "D001")
    assert [(lot, q) for lot, _exp, q in balances] == [("L-early", 20), ("L-late", 30)]


def test_grant_allotment_beyond_sellable_is_refused_and_changes_nothing(store):
    db = store.db
    sellable = stock.levels(db, "B001").sellable
    before = dump(db)
    with pytest.raises(DomainError) as err:
        stock.grant_allotment(db, sku="B001", qty=sellable + 1, actor="m01", now=NOW)
    assert err.value.code == "stock.not_enough"
    assert err.value.params == {"sku": "B001", "wanted": sellable + 1, "available": sellable}
    assert dump(db) == before
    for bad in (0, -3):
        with pytest.raises(DomainError) as err:
            stock.grant_allotment(db, sku="B001", qty=bad, actor="m01", now=NOW)
        assert err.value.code == "stock.bad_qty"
    assert dump(db) == before
    # exactly the sellable units can be granted, and then the counter has none left to sell
    stock.grant_allotment(db, sku="B001", qty=sellable, actor="m01", now=NOW)
    assert stock.levels(db, "B001").sellable == 0
    last = outbox.events(db, limit=10_000)[-1]
    assert last["type"] == "allotment.granted" and last["payload"] == {"sku": "B001", "qty": sellable}


def test_count_records_the_difference_and_keeps_a_sale_made_during_the_count(store):
    db = store.db
    shown = stock.levels(db, "D001").on_hand  # 50 when the count starts
    with write_tx(db):  # a sale at the counter while the shelf is being counted
        stock.take_fefo(db, sku="D001", qty=3, kind="sale", actor="c01", at=NOW)
    counted = shown - 1  # one unit was missing on the shelf before the sale
    move_id = stock.count(db, sku="D001", counted=counted, based_on=shown, actor="m01", now=NOW)
    assert move_id is not None
    row = db.execute("SELECT qty, kind, reason FROM stock_moves WHERE move_id = ?",
                     [move_id]).fetchone()
    assert row == (-1, "count", "count")
    assert stock.levels(db, "D001").on_hand == shown - 3 - 1  # the sale is not overwritten
    rec = audit.for_entity(db, "sku:D001")[-1]
    assert rec["action"] == "stock.counted"
    assert rec["detail"] == {"counted": counted, "based_on": shown, "diff": -1}


def test_count_matching_records_nothing_and_negative_count_is_refused(store):
    db = store.db
    shown = stock.levels(db, "D001").on_hand
    before = dump(db)
    assert stock.count(db, sku="D001", counted=shown, based_on=shown, actor="m01", now=NOW) is None
    with pytest.raises(DomainError) as err:
        stock.count(db, sku="D001", counted=-1, based_on=shown, actor="m01", now=NOW)
    assert err.value.code == "stock.bad_qty"
    assert dump(db) == before


def test_negative_stock_is_recorded_visibly_never_clipped(store, make_order):
    db = store.db
    on_hand = stock.levels(db, "M001").on_hand  # 50
    with write_tx(db):
        taken = stock.take_fefo(db, sku="M001", qty=on_hand + 7, kind="sale", actor="c01", at=NOW)
    assert taken == [("L-early", 20), ("L-late", 30), (None, 7)]
    assert stock.levels(db, "M001").on_hand == -7
    neg = db.execute("SELECT lot, qty, reason FROM stock_moves WHERE sku = 'M001' AND reason ="
                     " 'negative'").fetchall()
    assert neg == [(None, -7, "negative")]
    # and the hand-over of an order whose goods are no longer counted keeps going negative
    order, _ = make_order(lines=[("M001", 2)])
    pickup.hand_over(store, order.order_no, "c01", now=NOW)
    assert stock.levels(db, "M001").on_hand == -9
    assert stock.lot_balances(db, "M001") == []
    # every on-hand move went to HQ as an event, the negative one included
    sent = [e["payload"] for e in outbox.events(db, limit=10_000) if e["type"] == "stock.moved"
            and e["payload"]["sku"] == "M001" and e["payload"]["reason"] == "negative"]
    assert [p["qty"] for p in sent] == [-7, -2]


@pytest.mark.parametrize("reason", stock.ADJUST_REASONS)
def test_adjust_with_each_valid_reason(store, reason):
    db = store.db
    before = stock.levels(db, "B001").on_hand
    move_id = stock.adjust(db, sku="B001", qty=-1, reason=reason, actor="m01", lot="L-early", now=NOW)
    assert stock.levels(db, "B001").on_hand == before - 1
    ev = outbox.events(db, limit=10_000)[-1]
    assert ev["type"] == "stock.moved" and ev["payload"]["move_id"] == move_id
    assert ev["payload"]["reason"] == reason
    assert audit.for_entity(db, "sku:B001")[-1]["detail"]["reason"] == reason


@pytest.mark.parametrize("qty, reason, code", [
    (-1, "stolen", "stock.bad_reason"), (2, "", "stock.bad_reason"), (-1, "Damaged", "stock.bad_reason"),
    (0, "damaged", "stock.bad_qty"),
])
def test_adjust_validates_reason_and_qty(store, qty, reason, code):
    before = dump(store.db)
    with pytest.raises(DomainError) as err:
        stock.adjust(store.db, sku="B001", qty=qty, reason=reason, actor="m01", now=NOW)
    assert err.value.code == code
    assert dump(store.db) == before


def test_receive_adds_a_lot_and_refuses_non_positive(store):
    db = store.db
    stock.receive(db, sku="B001", lot="L-new", qty=5, expiry="2026-06-02", actor="m01",
                  ref="TR-1", now=NOW)
    assert stock.lot_balances(db, "B001")[0][:2] == ("L-new", "2026-06-02")
    before = dump(db)
    for bad in (0, -5):
        with pytest.raises(DomainError) as err:
            stock.receive(db, sku="B001", lot="L-x", qty=bad, actor="m01", now=NOW)
        assert err.value.code == "stock.bad_qty"
    assert dump(db) == before


def test_cancel_and_return_release_the_reservation_back_to_sellable(store, make_order):
    from edge.domain import orders

    db = store.db
    start = stock.levels(db, "B001")
    a, _ = make_order(lines=[("B001", 3)])
    b, _ = make_order(lines=[("B001", 2)], window_start=NOW - timedelta(hours=9),
                      window_end=NOW - timedelta(hours=1))
    assert stock.levels(db, "B001").reserved == start.reserved + 5
    orders.cancel_order(db, a.order_no, "customer", actor="m01", now=NOW)
    orders.mark_overdue(db, now=NOW)
    orders.return_to_stock(db, b.order_no, actor="m01", now=NOW)
    end = stock.levels(db, "B001")
    assert end.reserved == start.reserved and end.on_hand == start.on_hand
    # the units came out of HQ's allotment and are now the store's to sell
    assert end.sellable == start.sellable + 5
