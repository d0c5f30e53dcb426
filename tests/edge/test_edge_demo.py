"""The demo store is built through the domain, so its books must balance like a real day's."""

from __future__ import annotations

from collections import Counter

from edge import demo
from edge.db import DB_FILENAME
from edge.domain import orders, pickup
from edge.domain.orders import HANDED_OVER, TRANSITIONS
from tests.support.edge_store import (assert_outbox_gapless, assert_reserved_consistent,
                                      handed_over_events, received_status, status_trail)


def test_demo_has_orders_in_every_status_and_all_zones(demo_store):
    db = demo_store.db
    statuses = Counter(r[0] for r in db.execute("SELECT status FROM orders"))
    assert sum(statuses.values()) == 120
    assert {"allocated", "preparing", "ready", "picked_up", "cancelled", "overdue",
            "returned"} <= set(statuses)
    zones = {r[0] for r in db.execute("SELECT DISTINCT zone FROM order_lines")}
    assert zones == {"ambient", "chilled", "frozen"}
    assert db.execute("SELECT COUNT(*) FROM orders WHERE store_id != 'S001'").fetchone()[0] > 0
    multi_bag = db.execute("SELECT COUNT(*) FROM (SELECT order_no FROM bags GROUP BY order_no"
                           " HAVING COUNT(*) > 1)").fetchone()[0]
    assert multi_bag > 0


def test_demo_books_balance(demo_store):
    db = demo_store.db
    assert_outbox_gapless(db)
    assert_reserved_consistent(db)
    handed = {r[0] for r in db.execute(
        "SELECT order_no FROM orders WHERE status IN ('picked_up', 'partially_picked_up')")}
    events = handed_over_events(db)
    assert set(events) == handed and set(events.values()) == {1}
    for (order_no,) in db.execute("SELECT order_no FROM orders").fetchall():
        status = received_status(db, order_no)
        for old, new in status_trail(db, order_no):
            assert old == status and new in TRANSITIONS[old], order_no
            status = new
        order = orders.get_order(db, order_no)
        assert status == order.status
        if order.status in HANDED_OVER:
            assert order.picked_up_by and order.picked_up_at and order.verify_ms > 0


def test_demo_codes_give_the_verdict_of_their_scenario(demo_store):
    expected = {"ready": "ok", "picked_up": "picked_up", "cancelled": "cancelled",
                "returned": "returned", "overdue": "overdue", "before_window": "before_window",
                "preparing": "not_ready", "allocated": "not_ready", "other_store": "other_store"}
    codes = demo.demo_codes(demo_store)
    assert len(codes) == 120
    seen = set()
    for c in codes:
        if c["scenario"] in expected:
            assert pickup.check(demo_store, c["code"]).kind == expected[c["scenario"]], c
            seen.add(c["scenario"])
    assert seen == set(expected)


def test_demo_database_holds_no_code_in_clear(demo_store):
    """Only the demo's side file lists codes (for newcomers); the database never does."""
    raw = b"".join(p.read_bytes() for p in demo_store.data_dir.glob(DB_FILENAME + "*"))
    for c in demo.demo_codes(demo_store):
        assert c["code"].encode() not in raw


def test_demo_fresh_stock_leaves_the_prep_panel_something_to_suggest(tmp_path):
    """Fresh and made-to-order items hold what is left of a morning's bake, not a week's
    stock, so at a busy hour the panel (board, r) asks for more at once."""
    from datetime import datetime

    from edge.demo_data import PRODUCTS
    from edge.domain import prep, stock

    now = datetime(2026, 11, 24, 10, 0).astimezone()  # a Tuesday morning on this computer's clock
    store = demo.seed(tmp_path / "d", n_orders=60, now=now)
    try:
        demo.seed_history(store, 2, now=now)
        for sku, _zh, _en, zone, _price, life in PRODUCTS:
            lv = stock.levels(store.db, sku)
            left = lv.on_hand - lv.reserved
            if prep.is_fresh(zone, life):
                assert 0 <= left <= demo.shelf_left(sku) + 10, (sku, left)
            else:
                assert left >= 200, (sku, left)  # goods that keep: stocked by the week
        by_sku = {s.sku: s for s in prep.suggest(store.db, now=now)}
        for sku in ("B001", "B005"):  # croissants and floss puffs sell most at 9 and 10
            assert by_sku[sku].fresh and by_sku[sku].prep > 0, by_sku[sku]
        assert_reserved_consistent(store.db)
    finally:
        store.close()
