"""``hq_apply``: a page and the cursor in one transaction, re-applying changes nothing, a bad
change is recorded and passed over, transfers received into FEFO lots, snapshots."""

from __future__ import annotations

import pytest
from conftest_client import allocated, change, edge, table_dump  # noqa: F401

from edge.domain import hq_apply, orders, stock, sync_state, transfers
from edge.domain.errors import DomainError
from sync.protocol import make_pickup_code

TABLES = ("orders", "order_lines", "bags", "stock_moves", "outbox", "tasks", "conflicts",
          "products", "transfers", "transfer_lines", "hq_allotments", "sync_skipped", "sync_state")


def page(first: int = 1) -> list[dict]:
    c = first
    return [
        change(c, "catalog.item", {"sku": "N001", "name_zh": "坚果", "name_en": "Nuts",
                                   "zone": "ambient", "price_cents": 12900, "version": 1}),
        change(c + 1, "order.allocated", allocated("O1", make_pickup_code(), lines=[("B001", 2)])),
        change(c + 2, "task.updated", {"task_id": "prep-O1", "kind": "prepare", "status": "open",
                                       "order_no": "O1", "version": 1}),
        change(c + 3, "stock.transfer", {"transfer_id": "T1", "lines": [
            {"sku": "D001", "lot": "L-late", "expiry": "2099-12-01", "qty": 10},
            {"sku": "D001", "lot": "L-soon", "expiry": "2000-01-02", "qty": 5}]}),
        change(c + 4, "allotment.requested", {"sku": "M001", "qty": 3}),
        change(c + 5, "order.cancelled", {"order_no": "O1", "reason": "customer", "version": 2}),
        change(c + 6, "conflict.noted", {"conflict_id": "negative_stock:x", "kind": "negative_stock",
                                         "sku": "B001", "detail": "B001 at -1"}),
    ]


def test_reapplying_a_page_changes_nothing(edge):
    changes = page()
    first = hq_apply.apply_changes(edge, changes, next_cursor=7, epoch="e1")
    assert first.applied == 7 and not first.skipped
    before = table_dump(edge, *TABLES)
    again = hq_apply.apply_changes(edge, changes, next_cursor=7, epoch="e1")
    assert again.already_applied == 7 and again.applied == 0
    assert table_dump(edge, *TABLES) == before


def test_a_page_overlapping_the_cursor_applies_only_the_new_part(edge):
    changes = page()
    hq_apply.apply_changes(edge, changes[:3], next_cursor=3, epoch="e1")
    result = hq_apply.apply_changes(edge, changes, next_cursor=7, epoch="e1")
    assert result.already_applied == 3 and result.applied == 4
    assert sync_state.position(edge.db) == sync_state.Position(7, "e1")


def test_a_bad_change_is_recorded_and_leaves_no_trace(edge):
    bad_zone = allocated("O9", make_pickup_code())
    bad_zone["lines"].append({**bad_zone["lines"][0], "line_no": 2, "zone": "tropical"})
    changes = [change(1, "order.allocated", bad_zone),
               change(2, "order.teleported", {"order_no": "O9"}),
               change(3, "task.updated", {"task_id": 7}),
               change(4, "order.allocated", allocated("O2", make_pickup_code()))]
    result = hq_apply.apply_changes(edge, changes, next_cursor=4, epoch="e1")
    assert len(result.skipped) == 3 and result.applied == 1
    assert orders.get_order(edge.db, "O9") is None  # savepoint: no half-written order
    assert edge.db.execute("SELECT COUNT(*) FROM order_lines WHERE order_no = 'O9'").fetchone()[0] == 0
    assert orders.get_order(edge.db, "O2") is not None
    assert edge.db.execute("SELECT COUNT(*) FROM sync_skipped").fetchone()[0] == 3
    assert sync_state.position(edge.db).cursor == 4


def test_another_epoch_is_refused_without_changes(edge):
    hq_apply.apply_changes(edge, page()[:1], next_cursor=1, epoch="e1")
    before = table_dump(edge, *TABLES)
    with pytest.raises(DomainError) as err:
        hq_apply.apply_changes(edge, page(2), next_cursor=8, epoch="e2")
    assert err.value.code == "sync.epoch_mismatch"
    assert table_dump(edge, *TABLES) == before


def test_transfer_received_once_into_fefo_lots(edge):
    hq_apply.apply_changes(edge, page(), next_cursor=7, epoch="e1")
    assert [t.transfer_id for t in transfers.pending(edge.db)] == ["T1"]
    on_hand = stock.levels(edge.db, "D001").on_hand
    transfers.receive_transfer(edge, "T1", "m01")
    assert stock.levels(edge.db, "D001").on_hand == on_hand + 15
    lots = stock.lot_balances(edge.db, "D001")
    assert lots[0][0] == "L-soon"  # first-expiring lot is picked first
    kinds = edge.db.execute("SELECT DISTINCT kind, ref FROM stock_moves WHERE ref = 'T1'").fetchall()
    assert kinds == [("transfer_in", "T1")]
    with pytest.raises(DomainError) as err:
        transfers.receive_transfer(edge, "T1", "m01")
    assert err.value.code == "sync.transfer_received"
    assert transfers.pending(edge.db) == []


def test_snapshot_replaces_hq_state_and_keeps_unacked_events(edge):
    hq_apply.apply_changes(edge, page(), next_cursor=7, epoch="e1")
    edge.db.execute("UPDATE outbox SET acked_at = '2026-01-01' WHERE seq <= 5")
    events_before = edge.db.execute("SELECT seq, event_id FROM outbox ORDER BY seq").fetchall()
    snap = {"epoch": "e2", "cursor": 40, "acked_seq": 3, "items": [
        {"type": "order.allocated", "payload": allocated("O5", make_pickup_code())},
        {"type": "task.updated", "payload": {"task_id": "prep-O5", "kind": "prepare",
                                             "status": "open", "version": 1}},
    ]}
    result = hq_apply.apply_snapshot(edge, snap)
    assert result.repush_from == 4
    assert sync_state.position(edge.db) == sync_state.Position(40, "e2")
    events_after = edge.db.execute("SELECT seq, event_id FROM outbox ORDER BY seq").fetchall()
    assert events_after[:-1] == events_before
    # O1 (cancelled today) is missing from the snapshot: HQ lost it, the store gives it back
    [(kind, entity, payload)] = edge.db.execute(
        "SELECT type, entity, payload FROM outbox WHERE seq = ?", [events_after[-1][0]]).fetchall()
    assert (kind, entity) == ("order.restored", "order:O1") and '"status":"cancelled"' in payload
    assert result.given_back == 1
    unacked = [r[0] for r in edge.db.execute("SELECT seq FROM outbox WHERE acked_at IS NULL")]
    assert unacked == [s for s, _ in events_after if s > 3]
    assert orders.get_order(edge.db, "O5").status == "allocated"
    assert edge.db.execute("SELECT status FROM tasks WHERE task_id = 'prep-O1'").fetchone()[0] == "done"
    # applying the same snapshot again changes nothing
    before = table_dump(edge, *TABLES)
    hq_apply.apply_snapshot(edge, snap)
    assert table_dump(edge, *TABLES) == before


def test_hq_window_extension_brings_an_overdue_order_back(edge):
    from datetime import timedelta

    from conftest_client import pack_all

    hq_apply.apply_changes(edge, [change(1, "order.allocated", allocated("O1", make_pickup_code()))],
                           next_cursor=1, epoch="e1")
    pack_all(edge, "O1")
    order = orders.get_order(edge.db, "O1")
    orders.mark_overdue(edge.db, now=order.window_end + timedelta(minutes=1))
    assert orders.get_order(edge.db, "O1").status == "overdue"
    new_end = order.window_end + timedelta(days=1)
    change_ = change(2, "order.window_extended", {"order_no": "O1", "window_end": new_end.isoformat(),
                                                  "version": 3})
    hq_apply.apply_changes(edge, [change_], next_cursor=2, epoch="e1")
    order = orders.get_order(edge.db, "O1")
    assert order.status == "ready" and order.window_end == new_end
