"""Overdue pickups at the store: marked by the sweeper as windows end (no key pressed),
reminders (audited, sent to HQ, not twice in a row), extension, and the manager's return."""

from __future__ import annotations

import json
import threading
import time
from datetime import timedelta

import pytest

from edge.domain import orders, overdue, stock
from edge.domain.errors import DomainError
from edge.services.overdue import OverdueSweeper
from tests.support.edge_store import NOW, assert_reserved_consistent, dump


def _wait(predicate, timeout: float = 20.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.01)
    return predicate()


def _events(db, kind: str) -> list[dict]:
    return [json.loads(p) for (p,) in db.execute(
        "SELECT payload FROM outbox WHERE type = ? ORDER BY seq", [kind])]


def test_the_sweeper_marks_orders_overdue_when_their_window_ends(store, make_order):
    ready, _ = make_order("O-READY", window_end=NOW + timedelta(minutes=10))
    waiting, _ = make_order("O-WAIT", ready=False, window_end=NOW + timedelta(minutes=20))
    later, _ = make_order("O-LATER", window_end=NOW + timedelta(hours=5))
    clock = [NOW]
    marked: list[list[str]] = []
    changed = threading.Event()

    def on_change(order_nos: list[str]) -> None:
        marked.append(order_nos)
        changed.set()

    sweeper = OverdueSweeper(store.data_dir, interval_s=0.01, clock=lambda: clock[0],
                             on_change=on_change).start()
    try:
        assert _wait(lambda: sweeper.sweeps >= 2)
        assert marked == []  # nothing has ended yet
        clock[0] = NOW + timedelta(minutes=30)  # time passes; nobody touches a key
        assert changed.wait(20)
    finally:
        sweeper.stop()
    assert sorted(marked[0]) == ["O-READY", "O-WAIT"]
    assert orders.get_order(store.db, "O-READY").status == "overdue"
    assert orders.get_order(store.db, "O-WAIT").status == "overdue"
    assert orders.get_order(store.db, "O-LATER").status == "ready"
    told = {(e["order_no"], e["to"]) for e in _events(store.db, "order.status_changed")}
    assert {("O-READY", "overdue"), ("O-WAIT", "overdue")} <= told
    audit = store.db.execute("SELECT actor FROM audit WHERE entity = 'order:O-READY'"
                             " AND action = 'order.overdue'").fetchall()
    assert audit == [("system",)]


def test_a_reminder_is_audited_sent_to_hq_and_not_repeated_at_once(store, make_order):
    order, _ = make_order("O-1", window_end=NOW - timedelta(minutes=5))
    orders.mark_overdue(store.db, now=NOW)
    overdue.send_reminder(store.db, "O-1", actor="c01", now=NOW)
    assert _events(store.db, "order.reminder_requested") == [
        {"order_no": "O-1", "clerk_id": "c01", "at": "2026-06-01T10:00:00.000+00:00"}]
    before = dump(store)
    with pytest.raises(DomainError) as again:
        overdue.send_reminder(store.db, "O-1", actor="c01", now=NOW + timedelta(minutes=5))
    assert again.value.code == "overdue.reminded_recently"
    assert dump(store) == before  # refused: nothing written
    overdue.send_reminder(store.db, "O-1", actor="m01", now=NOW + timedelta(hours=1))
    [listed] = overdue.overdue_orders(store.db)
    assert listed.order_no == "O-1" and listed.reminders == 2
    assert listed.last_reminded == NOW + timedelta(hours=1)
    assert listed.phone_last4 == "1234" and listed.customer_masked == "王**"
    assert (listed.bags, listed.bags_packed) == (2, 2)


@pytest.mark.parametrize("order_no, actor, code", [
    ("NOPE", "c01", "order.unknown"),
    ("O-1", "nobody", "auth.unknown_clerk"),
])
def test_a_bad_reminder_changes_nothing(store, make_order, order_no, actor, code):
    make_order("O-1")
    before = dump(store)
    with pytest.raises(DomainError) as refused:
        overdue.send_reminder(store.db, order_no, actor=actor, now=NOW)
    assert refused.value.code == code
    assert dump(store) == before


def test_no_reminder_for_a_closed_order(store, make_order):
    from edge.domain import pickup

    make_order("O-1")
    pickup.hand_over(store, "O-1", "c01", now=NOW)
    with pytest.raises(DomainError) as refused:
        overdue.send_reminder(store.db, "O-1", actor="c01", now=NOW)
    assert refused.value.code == "overdue.not_open"


def test_extending_reopens_the_order(store, make_order):
    make_order("O-1", window_end=NOW - timedelta(minutes=5))
    orders.mark_overdue(store.db, now=NOW)
    order = orders.extend_window(store.db, "O-1", NOW + timedelta(days=1), actor="c01", now=NOW)
    assert order.status == "ready" and order.window_end == NOW + timedelta(days=1)
    assert overdue.overdue_orders(store.db) == []


def test_only_a_manager_returns_an_overdue_order_and_its_stock_comes_back(store, make_order):
    make_order("O-1", lines=[("B001", 3)], window_end=NOW - timedelta(minutes=5))
    orders.mark_overdue(store.db, now=NOW)
    make_order("O-2")  # ready, not overdue: its customer may still come
    before = stock.levels(store.db, "B001")
    snapshot = dump(store)
    with pytest.raises(DomainError) as refused:
        orders.return_to_stock(store.db, "O-1", actor="c01", now=NOW)
    assert refused.value.code == "auth.not_manager"
    assert dump(store) == snapshot

    before_o2 = dump(store)
    with pytest.raises(DomainError) as not_yet:
        orders.return_to_stock(store.db, "O-2", actor="m01", now=NOW)
    assert not_yet.value.code == "overdue.not_overdue"
    assert dump(store) == before_o2

    order = orders.return_to_stock(store.db, "O-1", actor="m01", now=NOW)
    assert order.status == "returned"
    after = stock.levels(store.db, "B001")
    assert after.reserved == before.reserved - 3
    assert after.sellable == before.sellable + 3
    assert_reserved_consistent(store.db)
    assert ("O-1", "returned") in {(e["order_no"], e["to"])
                                   for e in _events(store.db, "order.status_changed")}
