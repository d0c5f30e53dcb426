"""Shrinkage gives HQ's allotment up first; managers revoke and grant; near-expiry and markdown;
negative stock flagged; what a person may book in."""

from __future__ import annotations

from datetime import date

import pytest

from edge.db import write_tx
from edge.domain import audit, expiry, outbox, stock, transfers
from edge.domain.errors import DomainError
from tests.support.edge_store import ALLOTMENT, NOW, dump


def _revokes(db) -> list[tuple[str, int, str]]:
    return [(e["payload"]["sku"], e["payload"]["qty"], e["payload"]["reason"])
            for e in outbox.events(db, limit=10_000) if e["type"] == "allotment.revoked"]


def _sell_all_sellable(db, sku: str) -> None:
    with write_tx(db):
        stock.take_fefo(db, sku=sku, qty=stock.levels(db, sku).sellable, kind="sale", actor="c01", at=NOW)


def test_waste_within_the_counters_units_leaves_the_allotment_alone(store):
    db = store.db
    stock.adjust(db, sku="B001", qty=-5, reason="damaged", actor="m01", now=NOW)
    lv = stock.levels(db, "B001")
    assert (lv.on_hand, lv.allotment) == (45, ALLOTMENT)
    assert _revokes(db) == []


def test_waste_beyond_the_counters_units_revokes_the_shortfall_in_the_same_transaction(store):
    db = store.db
    stock.adjust(db, sku="B001", qty=-25, reason="damaged", actor="m01", now=NOW)  # 50 → 25, 30 granted
    lv = stock.levels(db, "B001")
    assert (lv.on_hand, lv.allotment, lv.sellable) == (25, 25, 0)
    assert _revokes(db) == [("B001", 5, "adjustment")]
    moves = db.execute("SELECT qty, kind, reason FROM stock_moves WHERE account = 'allotment'"
                       " AND kind = 'revoke'").fetchall()
    assert moves == [(-5, "revoke", "adjustment")]
    rec = [r for r in audit.for_entity(db, "sku:B001") if r["action"] == "allotment.revoked"]
    assert rec[-1]["actor"] == "m01" and rec[-1]["detail"]["qty"] == 5
    # first-expiring lot first: L-early (20) is gone, L-late keeps 25
    assert [(lot, q) for lot, _e, q in stock.lot_balances(db, "B001")] == [("L-late", 25)]


def test_a_short_count_with_orders_reserved_takes_only_hqs_free_units(store, make_order):
    db = store.db
    make_order(lines=[("B001", 4)])  # allotment 26, reserved 4
    stock.count(db, sku="B001", counted=20, based_on=50, actor="m01", now=NOW)
    lv = stock.levels(db, "B001")
    assert (lv.on_hand, lv.allotment, lv.reserved, lv.sellable) == (20, 16, 4, 0)
    assert _revokes(db) == [("B001", 10, "count")]
    # the count travels to HQ as one count event (counted and its base), not per lot
    counts = [e["payload"] for e in outbox.events(db, limit=10_000)
              if e["type"] == "stock.moved" and e["payload"]["kind"] == "count"]
    assert [(c["qty"], c["counted_base"]) for c in counts] == [(20, 50)]


def test_revoking_is_capped_at_what_is_granted_and_orders_left_short_are_flagged(store, make_order):
    db = store.db
    make_order(lines=[("B001", 4)])
    stock.count(db, sku="B001", counted=1, based_on=50, actor="m01", now=NOW)
    lv = stock.levels(db, "B001")
    assert (lv.on_hand, lv.allotment, lv.reserved) == (1, 0, 4)
    assert _revokes(db) == [("B001", 26, "count")]
    row = next(s for s in stock.overview(db) if s.sku == "B001")
    assert row.over_promised and not row.negative


def test_missing_at_pick_while_the_order_still_holds_its_units_revokes(store, make_order):
    db = store.db
    _sell_all_sellable(db, "B001")  # the counter sold every unit it could: 30 on hand, 30 online
    order, _ = make_order(lines=[("B001", 2)], ready=False)  # allotment 28, reserved 2
    with write_tx(db):
        taken = stock.shrink(db, sku="B001", qty=2, kind="missing", actor="c01", at=NOW,
                             ref=order.order_no)
    assert taken == [("L-late", 2)]
    lv = stock.levels(db, "B001")
    assert (lv.on_hand, lv.allotment, lv.reserved, lv.sellable) == (28, 26, 2, 0)
    assert _revokes(db) == [("B001", 2, "missing")]


def test_a_clerk_cannot_count_adjust_grant_or_revoke_and_nothing_changes(store):
    db = store.db
    before = dump(db)
    for call in (lambda: stock.adjust(db, sku="B001", qty=-1, reason="damaged", actor="c01"),
                 lambda: stock.count(db, sku="B001", counted=1, based_on=50, actor="c01"),
                 lambda: stock.grant_allotment(db, sku="B001", qty=1, actor="c01"),
                 lambda: stock.revoke_allotment(db, sku="B001", qty=1, actor="c01"),
                 lambda: stock.revoke_allotment(db, sku="B001", qty=1, actor="nobody")):
        with pytest.raises(DomainError) as err:
            call()
        assert err.value.code == "auth.not_manager"
    assert dump(db) == before


def test_a_manager_revokes_a_grant_told_to_hq_and_audited(store, make_order):
    db = store.db
    make_order(lines=[("B001", 4)])  # 4 of the 30 are locked in an order: 26 can come back
    sellable = stock.levels(db, "B001").sellable
    before = dump(db)
    for qty, code in ((27, "stock.revoke_too_many"), (0, "stock.bad_qty"), (-2, "stock.bad_qty")):
        with pytest.raises(DomainError) as err:
            stock.revoke_allotment(db, sku="B001", qty=qty, actor="m01", now=NOW)
        assert err.value.code == code
    assert dump(db) == before
    stock.revoke_allotment(db, sku="B001", qty=26, actor="m01", now=NOW)
    lv = stock.levels(db, "B001")
    assert (lv.allotment, lv.sellable) == (0, sellable + 26)
    assert _revokes(db) == [("B001", 26, "manager")]
    assert audit.for_entity(db, "sku:B001")[-1]["action"] == "allotment.revoked"


def test_markdown_rule_by_zone_and_days_left():
    assert [expiry.markdown_percent("chilled", d) for d in (0, 1, 2, 9)] == [50, 30, 20, 20]
    for zone in ("ambient", "frozen", None):
        assert [expiry.markdown_percent(zone, d) for d in (0, 1, 2, 9)] == [30, 20, 10, 10]
    assert expiry.markdown_percent("chilled", -1) is None


def test_near_expiry_lists_lots_within_the_window_soonest_first(store):
    db = store.db
    today = date(2026, 6, 1)
    rows = expiry.near_expiry(db, within_days=3, today=today)
    assert [(r.sku, r.lot, r.days_left, r.markdown_percent) for r in rows] == [("B001", "L-early", 2, 10)]
    rows = expiry.near_expiry(db, within_days=4, today=today)
    assert [(r.sku, r.lot, r.days_left, r.markdown_percent) for r in rows] == [
        ("B001", "L-early", 2, 10), ("D001", "L-early", 4, 20)]
    # a week later one B001 lot is past its date: listed first, to be taken off the shelf
    rows = expiry.near_expiry(db, within_days=3, today=date(2026, 6, 8))
    assert [(r.sku, r.lot, r.days_left, r.expired) for r in rows] == [
        ("B001", "L-early", -5, True), ("D001", "L-early", -3, True), ("B001", "L-late", 2, False)]
    # a lot with nothing left is not listed
    stock.adjust(db, sku="B001", qty=-20, reason="expired", lot="L-early", actor="m01", now=NOW)
    assert [r.lot for r in expiry.near_expiry(db, within_days=3, today=today)] == []


def test_overview_flags_negative_stock(store):
    db = store.db
    with write_tx(db):
        stock.take_fefo(db, sku="M001", qty=53, kind="sale", actor="c01", at=NOW)
    rows = {s.sku: s for s in stock.overview(db)}
    assert rows["M001"].negative and rows["M001"].levels.on_hand == -3
    assert [(lot.lot, lot.on_hand) for lot in rows["M001"].lots] == [(None, -3)]
    assert not rows["B001"].negative
    assert [(lot.lot, lot.expiry, lot.on_hand) for lot in rows["B001"].lots] == [
        ("L-early", "2026-06-03", 20), ("L-late", "2026-06-10", 30)]


@pytest.mark.parametrize("kwargs, code", [
    ({"sku": "NOPE"}, "stock.unknown_sku"),
    ({"actor": "c99"}, "auth.unknown_clerk"),
    ({"lot": "L\x00X"}, "stock.bad_lot"),
    ({"lot": ""}, "stock.bad_lot"),
    ({"lot": " L1"}, "stock.bad_lot"),
    ({"lot": "L" * 41}, "stock.bad_lot"),
    ({"expiry": "2026-13-01"}, "stock.bad_expiry"),
    ({"expiry": "tomorrow"}, "stock.bad_expiry"),
    ({"qty": 0}, "stock.bad_qty"),
])
def test_receiving_goods_refuses_bad_input_and_changes_nothing(store, kwargs, code):
    before = dump(store.db)
    args = {"sku": "B001", "lot": "L-new", "qty": 5, "actor": "c01", "expiry": "2026-06-09", **kwargs}
    with pytest.raises(DomainError) as err:
        stock.receive_goods(store.db, **args)
    assert err.value.code == code
    assert dump(store.db) == before


def test_a_clerk_receives_goods_into_a_new_lot(store):
    stock.receive_goods(store.db, sku="B001", lot="L-new", qty=5, actor="c01", expiry="2026-06-02")
    assert stock.lot_balances(store.db, "B001")[0] == ("L-new", "2026-06-02", 5)
    stock.receive_goods(store.db, sku="D001", lot="L-dt", qty=1, actor="c01",
                        expiry="2026-06-02T00:00:00+08:00")  # a date-time: its date is kept
    assert stock.lot_balances(store.db, "D001")[0] == ("L-dt", "2026-06-02", 1)


def test_a_transfer_is_received_only_by_a_known_person(store):
    transfers.announce(store.db, "T-1", [{"sku": "B001", "lot": "T1", "qty": 4, "expiry": "2026-06-09"}])
    before = dump(store.db)
    with pytest.raises(DomainError) as err:
        transfers.receive_transfer(store, "T-1", "ghost")
    assert err.value.code == "auth.unknown_clerk"
    assert dump(store.db) == before
    transfers.receive_transfer(store, "T-1", "c01")
    assert stock.levels(store.db, "B001").on_hand == 54
