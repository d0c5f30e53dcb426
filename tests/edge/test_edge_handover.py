"""Handing an order over: one transaction, stock FEFO, partial pickups, manager overrides."""

from __future__ import annotations

from datetime import timedelta

import pytest

from edge.clock import iso
from edge.domain import audit, clerks, orders, outbox, pickup, stock
from edge.domain.errors import DomainError
from edge.domain.pickup import NotTaken, Override
from tests.support.edge_store import (NOW, assert_outbox_gapless, assert_reserved_consistent, dump,
                                      handed_over_events)


def _moves(db, order_no: str, kind: str | None = None) -> list[dict]:
    sql = "SELECT sku, lot, account, qty, kind, reason FROM stock_moves WHERE ref = ?"
    params = [order_no]
    if kind:
        sql += " AND kind = ?"
        params.append(kind)
    return list(db.query(sql + " ORDER BY rowid", params))


def _event(db, order_no: str) -> dict:
    found = [e for e in outbox.events(db, limit=10_000)
             if e["type"] == "order.handed_over" and e["payload"]["order_no"] == order_no]
    assert len(found) == 1
    return found[0]


def test_hand_over_records_status_clerk_time_verify_ms_audit_and_event(store, make_order):
    order, _code = make_order()
    before_seq = max(e["seq"] for e in outbox.events(store.db, limit=10_000))
    result = pickup.hand_over(store, order.order_no, "c01",
                              scanned_at=NOW - timedelta(milliseconds=2500), now=NOW)
    assert result.status == "picked_up"
    assert result.picked_up_by == "c01"
    assert result.picked_up_at == iso(NOW)
    assert result.verify_ms == 2500
    assert result.version == order.version + 1

    trail = audit.for_entity(store.db, f"order:{order.order_no}")
    last = trail[-1]
    assert last["action"] == "order.picked_up" and last["actor"] == "c01"
    assert last["at"] == iso(NOW)
    assert last["detail"]["from"] == "ready" and last["detail"]["verify_ms"] == 2500

    event = _event(store.db, order.order_no)
    assert event["seq"] > before_seq
    assert event["entity"] == f"order:{order.order_no}"
    assert event["base_version"] == order.version
    assert event["payload"] == {
        "order_no": order.order_no, "clerk_id": "c01", "at": iso(NOW), "verify_ms": 2500,
        "status": "picked_up", "lines_not_taken": [], "override": None}
    assert_outbox_gapless(store.db)
    assert_reserved_consistent(store.db)


@pytest.mark.parametrize("ms", [8165, 1, 0, 59_999])
def test_verify_ms_is_exact(store, make_order, ms):
    """(Found a bug: float seconds * 1000 truncated 8.165 s to 8164 ms.)"""
    order, _ = make_order()
    result = pickup.hand_over(store, order.order_no, "c01",
                              scanned_at=NOW - timedelta(milliseconds=ms), now=NOW)
    assert result.verify_ms == ms


def test_hand_over_without_scan_time_keeps_no_verify_ms(store, make_order):
    order, _ = make_order()
    result = pickup.hand_over(store, order.order_no, "c01", now=NOW)
    assert result.verify_ms is None
    assert _event(store.db, order.order_no)["payload"]["verify_ms"] is None


def test_hand_over_is_one_transaction(store, make_order, monkeypatch):
    """If the last step (the outbox event) fails, nothing of the hand-over remains."""
    order, _ = make_order()
    before = dump(store)
    real_append = outbox.append

    def failing_append(db, **kw):
        if kw["type"] == "order.handed_over":
            raise OSError("disk full")
        return real_append(db, **kw)

    monkeypatch.setattr(outbox, "append", failing_append)
    with pytest.raises(OSError):
        pickup.hand_over(store, order.order_no, "c01", now=NOW)
    assert dump(store) == before
    monkeypatch.undo()
    assert pickup.hand_over(store, order.order_no, "c01", now=NOW).status == "picked_up"
    assert_outbox_gapless(store.db)


def test_stock_reserved_released_and_on_hand_taken_first_expiring_first(store, make_order):
    db = store.db
    order, _ = make_order(lines=[("B001", 2), ("D001", 1)])
    b_before, d_before = stock.levels(db, "B001"), stock.levels(db, "D001")
    pickup.hand_over(store, order.order_no, "c01", now=NOW)
    b_after, d_after = stock.levels(db, "B001"), stock.levels(db, "D001")
    assert (b_after.on_hand, b_after.reserved) == (b_before.on_hand - 2, b_before.reserved - 2)
    assert (d_after.on_hand, d_after.reserved) == (d_before.on_hand - 1, d_before.reserved - 1)
    assert b_after.sellable == b_before.sellable and b_after.allotment == b_before.allotment
    picks = _moves(db, order.order_no, "pick")
    # L-early (expiring 06-03) was received after L-late (06-10): FEFO, not FIFO
    assert [(m["sku"], m["lot"], m["qty"]) for m in picks] == [("B001", "L-early", -2),
                                                                ("D001", "L-early", -1)]
    assert_reserved_consistent(db)


def test_fefo_spills_into_the_next_lot(store, make_order):
    order, _ = make_order(lines=[("M001", 25)])
    pickup.hand_over(store, order.order_no, "c01", now=NOW)
    picks = _moves(store.db, order.order_no, "pick")
    assert [(m["lot"], m["qty"]) for m in picks] == [("L-early", -20), ("L-late", -5)]
    assert [lot for lot, _exp, _q in stock.lot_balances(store.db, "M001")] == ["L-late"]


def test_handing_over_twice_is_refused_and_changes_nothing(store, make_order):
    order, _ = make_order()
    pickup.hand_over(store, order.order_no, "c01", now=NOW)
    before = dump(store)
    with pytest.raises(DomainError) as err:
        pickup.hand_over(store, order.order_no, "m01", now=NOW + timedelta(minutes=1))
    assert err.value.code == "verdict.picked_up"
    assert dump(store) == before
    assert handed_over_events(store.db)[order.order_no] == 1


def test_partial_pickup_refused_back_to_sellable_missing_booked_out(store, make_order):
    db = store.db
    order, _ = make_order(lines=[("B001", 2), ("D001", 3), ("M001", 1)])
    before = {sku: stock.levels(db, sku) for sku in ("B001", "D001", "M001")}
    result = pickup.hand_over(store, order.order_no, "c01", now=NOW, not_taken=[
        NotTaken(line_no=1, qty=2, reason="refused"),
        NotTaken(line_no=2, qty=1, reason="missing")])
    assert result.status == "partially_picked_up"
    assert result.picked_up_by == "c01"
    lines = {line.line_no: line for line in result.lines}
    assert (lines[1].qty_not_taken, lines[1].not_taken_reason) == (2, "refused")
    assert (lines[2].qty_not_taken, lines[2].not_taken_reason) == (1, "missing")
    assert (lines[3].qty_not_taken, lines[3].not_taken_reason) == (0, None)

    after = {sku: stock.levels(db, sku) for sku in ("B001", "D001", "M001")}
    # refused: the goods stay in the store and become sellable again
    assert after["B001"].on_hand == before["B001"].on_hand
    assert after["B001"].sellable == before["B001"].sellable + 2
    # missing: never there, booked out of on-hand, not sellable
    assert after["D001"].on_hand == before["D001"].on_hand - 3
    assert after["D001"].sellable == before["D001"].sellable
    assert [(m["qty"]) for m in _moves(db, order.order_no, "missing")] == [-1]
    assert sum(m["qty"] for m in _moves(db, order.order_no, "pick") if m["sku"] == "D001") == -2
    assert after["M001"].on_hand == before["M001"].on_hand - 1
    for sku in after:
        assert after[sku].reserved == before[sku].reserved - {"B001": 2, "D001": 3, "M001": 1}[sku]

    payload = _event(db, order.order_no)["payload"]
    assert payload["status"] == "partially_picked_up"
    assert payload["lines_not_taken"] == [{"line_no": 1, "qty": 2, "reason": "refused"},
                                          {"line_no": 2, "qty": 1, "reason": "missing"}]
    assert_reserved_consistent(db)
    assert_outbox_gapless(db)
    # and it counts as handed over: a second scan says so
    assert pickup.judge(store, result, now=NOW).kind == "picked_up"


def test_nothing_left_is_refused_and_changes_nothing(store, make_order):
    order, _ = make_order(lines=[("B001", 2), ("D001", 1)])
    before = dump(store)
    with pytest.raises(DomainError) as err:
        pickup.hand_over(store, order.order_no, "c01", now=NOW, not_taken=[
            NotTaken(1, 2, "refused"), NotTaken(2, 1, "missing")])
    assert err.value.code == "handover.nothing_left"
    assert dump(store) == before


@pytest.mark.parametrize("not_taken, code", [
    ([NotTaken(9, 1, "missing")], "handover.bad_line"),
    ([NotTaken(1, 1, "lost")], "handover.bad_reason"),
    ([NotTaken(1, 0, "missing")], "handover.bad_qty"),
    ([NotTaken(1, 3, "missing")], "handover.bad_qty"),
    ([NotTaken(1, -1, "refused")], "handover.bad_qty"),
    ([NotTaken(1, 1, "missing"), NotTaken(1, 1, "refused")], "handover.bad_line"),
])
def test_bad_not_taken_lines_are_refused_and_change_nothing(store, make_order, not_taken, code):
    order, _ = make_order(lines=[("B001", 2), ("D001", 1)])
    before = dump(store)
    with pytest.raises(DomainError) as err:
        pickup.hand_over(store, order.order_no, "c01", now=NOW, not_taken=not_taken)
    assert err.value.code == code
    assert dump(store) == before


def test_unknown_clerk_or_order_is_refused(store, make_order):
    order, _ = make_order()
    before = dump(store)
    with pytest.raises(DomainError) as err:
        pickup.hand_over(store, order.order_no, "nobody", now=NOW)
    assert err.value.code == "auth.unknown_clerk"
    with pytest.raises(DomainError) as err:
        pickup.hand_over(store, "NOPE", "c01", now=NOW)
    assert err.value.code == "order.unknown"
    assert dump(store) == before


@pytest.mark.parametrize("make_state, code", [
    ("cancelled", "verdict.cancelled"), ("not_ready", "verdict.not_ready"),
    ("unpaid", "verdict.unpaid"), ("other_store", "verdict.other_store"),
    ("returned", "verdict.returned"),
])
def test_final_verdicts_cannot_be_handed_over_even_with_override(store, make_order,
                                                                 make_state, code):
    kwargs = {"ready": make_state != "not_ready"}
    if make_state == "unpaid":
        kwargs["payment_status"] = "unpaid"
    if make_state == "returned":
        kwargs.update(window_start=NOW - timedelta(hours=9), window_end=NOW - timedelta(hours=2))
    order, _ = make_order(**kwargs)
    if make_state == "cancelled":
        orders.cancel_order(store.db, order.order_no, "x", actor="hq", now=NOW)
    elif make_state == "other_store":
        orders.reallocate(store.db, order.order_no, "S002", now=NOW)
    elif make_state == "returned":
        orders.mark_overdue(store.db, now=NOW - timedelta(hours=1))
        orders.return_to_stock(store.db, order.order_no, actor="m01", now=NOW)
    before_order = dump(store)["orders"]
    for override in (None, Override("m01", "9999", "customer insists")):
        with pytest.raises(DomainError) as err:
            pickup.hand_over(store, order.order_no, "c01", now=NOW, override=override)
        assert err.value.code == code
    after = dump(store)
    assert after["orders"] == before_order
    assert handed_over_events(store.db)[order.order_no] == 0


# --- overdue and early: manager override ---------------------------------------------------------

@pytest.fixture
def overdue(store, make_order):
    order, _ = make_order(window_start=NOW - timedelta(hours=8), window_end=NOW - timedelta(hours=1))
    orders.mark_overdue(store.db, now=NOW - timedelta(minutes=30))
    assert orders.get_order(store.db, order.order_no).status == "overdue"
    return order


def _failed_pins(store, clerk_id):
    return store.db.execute("SELECT failed_pins FROM clerks WHERE clerk_id = ?",
                            [clerk_id]).fetchone()[0]


def test_overdue_without_override_is_refused_and_changes_nothing(store, overdue):
    before = dump(store)
    with pytest.raises(DomainError) as err:
        pickup.hand_over(store, overdue.order_no, "c01", now=NOW)
    assert err.value.code == "override.required"
    assert err.value.params["verdict"] == "overdue"
    assert dump(store) == before


def test_override_with_a_clerks_pin_is_not_a_manager(store, overdue):
    before_orders = dump(store)["orders"]
    with pytest.raises(DomainError) as err:
        pickup.hand_over(store, overdue.order_no, "c01", now=NOW,
                         override=Override("c01", "1111", "customer was ill"))
    assert err.value.code == "auth.not_manager"
    assert dump(store)["orders"] == before_orders


def test_override_without_reason_is_refused(store, overdue):
    before = dump(store)
    for reason in ("", "   "):
        with pytest.raises(DomainError) as err:
            pickup.hand_over(store, overdue.order_no, "c01", now=NOW,
                             override=Override("m01", "9999", reason))
        assert err.value.code == "override.no_reason"
    assert dump(store) == before


def test_wrong_manager_pin_fails_is_counted_and_locks_after_five(store, overdue):
    before = dump(store)
    for attempt in range(1, clerks.MAX_FAILED_PINS + 1):
        with pytest.raises(DomainError) as err:
            pickup.hand_over(store, overdue.order_no, "c01", now=NOW,
                             override=Override("m01", "0000", "customer was ill"))
        if attempt < clerks.MAX_FAILED_PINS:
            assert err.value.code == "auth.failed"
            assert _failed_pins(store, "m01") == attempt
        else:  # the fifth wrong PIN starts a lock-out (for a while, not for good)
            assert err.value.code == "auth.locked"
    after = dump(store)
    # only the failed attempts were recorded; the order, stock and outbox are untouched
    for table in ("orders", "order_lines", "stock_moves", "outbox"):
        assert after[table] == before[table]
    failed = [a for a in audit.for_entity(store.db, "clerk:m01") if a["action"] == "auth.failed"]
    assert len(failed) == clerks.MAX_FAILED_PINS
    # now even the right PIN is refused
    with pytest.raises(DomainError) as err:
        pickup.hand_over(store, overdue.order_no, "c01", now=NOW,
                         override=Override("m01", "9999", "customer was ill"))
    assert err.value.code == "auth.locked"
    assert orders.get_order(store.db, overdue.order_no).status == "overdue"
    # an empty PIN is no try at all: said so, nothing counted
    with pytest.raises(DomainError) as err:
        pickup.hand_over(store, overdue.order_no, "c01", now=NOW,
                         override=Override("m01", "", "customer was ill"))
    assert err.value.code == "auth.pin_empty"


def test_override_with_manager_pin_and_reason_hands_over_and_is_audited(store, overdue):
    with pytest.raises(DomainError):  # one wrong try first: a right PIN then resets the count
        pickup.hand_over(store, overdue.order_no, "c01", now=NOW,
                         override=Override("m01", "1234", "customer was ill"))
    result = pickup.hand_over(store, overdue.order_no, "c01", now=NOW,
                              override=Override("m01", "9999", "  customer was ill "))
    assert result.status == "picked_up" and result.picked_up_by == "c01"
    assert _failed_pins(store, "m01") == 0
    trail = audit.for_entity(store.db, f"order:{overdue.order_no}")
    overrides = [a for a in trail if a["action"] == "override.hand_over"]
    assert len(overrides) == 1
    assert overrides[0]["actor"] == "m01"
    assert overrides[0]["detail"] == {"manager_id": "m01", "reason": "customer was ill",
                                      "verdict": "overdue", "clerk_id": "c01"}
    status_change = [a for a in trail if a["action"] == "order.picked_up"]
    assert len(status_change) == 1 and status_change[0]["detail"]["from"] == "overdue"
    payload = _event(store.db, overdue.order_no)["payload"]
    assert payload["override"] == {"manager_id": "m01", "reason": "customer was ill",
                                   "verdict": "overdue"}
    assert_outbox_gapless(store.db)
    assert_reserved_consistent(store.db)


def test_window_passed_before_the_sweep_also_needs_override(store, make_order):
    order, _ = make_order(window_start=NOW - timedelta(hours=8), window_end=NOW - timedelta(hours=1))
    assert orders.get_order(store.db, order.order_no).status == "ready"
    with pytest.raises(DomainError) as err:
        pickup.hand_over(store, order.order_no, "c01", now=NOW)
    assert err.value.code == "override.required"
    result = pickup.hand_over(store, order.order_no, "c01", now=NOW,
                              override=Override("m01", "9999", "late bus"))
    assert result.status == "picked_up"


def test_before_window_needs_override_too(store, make_order):
    order, _ = make_order(window_start=NOW + timedelta(hours=1), window_end=NOW + timedelta(hours=4))
    before = dump(store)
    with pytest.raises(DomainError) as err:
        pickup.hand_over(store, order.order_no, "c01", now=NOW)
    assert err.value.code == "override.required" and err.value.params["verdict"] == "before_window"
    assert dump(store) == before
    result = pickup.hand_over(store, order.order_no, "c01", now=NOW,
                              override=Override("m01", "9999", "leaving town"))
    assert result.status == "picked_up"


def test_partial_pickup_of_an_overdue_order_with_override(store, overdue):
    result = pickup.hand_over(store, overdue.order_no, "c01", now=NOW,
                              not_taken=[NotTaken(1, 1, "refused")],
                              override=Override("m01", "9999", "late"))
    assert result.status == "partially_picked_up"
    assert_reserved_consistent(store.db)
