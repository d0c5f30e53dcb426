"""One named test per conflict rule in sync/hq/rules.py (pure decisions).

The same rules are exercised end to end through a real server in test_hq_orders.py."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from sync.hq import rules
from sync.protocol import StockMoved, TaskUpdate

T0 = datetime(2026, 5, 1, 8, 0, tzinfo=timezone.utc)


def test_rule_stock_is_a_ledger_movement_is_signed_delta():
    assert rules.stock_delta(StockMoved(move_id="m", sku="A", qty=-3, kind="sale")) == -3
    assert rules.stock_delta(StockMoved(move_id="m", sku="A", qty=12, kind="receipt")) == 12


def test_rule_count_books_difference_against_counted_base():
    move = StockMoved(move_id="m", sku="A", qty=7, kind="count", counted_base=10)
    assert rules.stock_delta(move) == -3
    with pytest.raises(ValueError):
        rules.stock_delta(StockMoved(move_id="m", sku="A", qty=7, kind="count"))


def test_rule_negative_stock_raises_exception_once_per_crossing():
    assert rules.negative_stock_raises_exception(2, -1)
    assert rules.negative_stock_raises_exception(0, -5)
    assert not rules.negative_stock_raises_exception(-1, -4)
    assert not rules.negative_stock_raises_exception(5, 0)


def test_rule_presale_pool_kept_apart():
    assert rules.allotment_pool(True) == "presale"
    assert rules.allotment_pool(False) == "on_hand"


def test_rule_unpaid_released_after_30_minutes():
    assert not rules.unpaid_lock_expired(T0, T0 + timedelta(minutes=29, seconds=59))
    assert rules.unpaid_lock_expired(T0, T0 + timedelta(minutes=30))


def test_rule_revoke_takes_only_free_units():
    assert rules.revocable_units(granted=10, locked=4, sold=3, asked=5) == 3
    assert rules.revocable_units(granted=10, locked=0, sold=0, asked=5) == 5
    assert rules.revocable_units(granted=2, locked=2, sold=1, asked=5) == 0


def test_rule_handover_beats_cancellation():
    d = rules.handover_beats_cancellation("cancelled")
    assert d.apply and d.conflict == "handover_after_cancel"
    assert rules.handover_beats_cancellation("ready") == rules.HandoverDecision(apply=True)
    again = rules.handover_beats_cancellation("picked_up")
    assert not again.apply and again.reject_reason == "already_picked_up"


def test_rule_cancelled_units_back_to_store():
    # on-hand units may have left the store offline: HQ re-sells them only after a new grant
    assert rules.cancelled_units_back_to_store("on_hand") is True
    assert rules.cancelled_units_back_to_store("presale") is False


def test_rule_order_status_only_forward():
    assert rules.order_status_may_advance("allocated", "ready")
    assert not rules.order_status_may_advance("ready", "preparing")
    assert not rules.order_status_may_advance("cancelled", "ready")
    assert not rules.order_status_may_advance("picked_up", "overdue")


def test_rule_window_extension_reopens_only_overdue_orders():
    assert rules.window_extension_reopens("overdue", "ready")
    assert rules.window_extension_reopens("overdue", "preparing")
    assert rules.window_extension_reopens("ready", "ready")
    assert not rules.window_extension_reopens("ready", "allocated")
    assert not rules.window_extension_reopens("picked_up", "ready")
    assert not rules.window_extension_reopens("returned", "ready")
    assert not rules.window_extension_reopens("cancelled", "cancelled")


def test_rule_task_fields_last_write_wins_status_only_forward():
    task = {"task_id": "t", "status": "done", "fields": {"shelf": "F1", "note": "a"}}
    merged = rules.merge_task(task, TaskUpdate(task_id="t", status="in_progress", fields={"shelf": "F2"}))
    assert merged["status"] == "done"
    assert merged["fields"] == {"shelf": "F2", "note": "a"}
    opened = {"task_id": "t", "status": "open", "fields": {}}
    assert rules.merge_task(opened, TaskUpdate(task_id="t", status="in_progress"))["status"] == "in_progress"


def test_rule_temperature_readings_insert_only():
    sql = rules.TEMPERATURE_READING_INSERT
    assert sql.startswith("INSERT") and sql.endswith("ON CONFLICT (store_id, reading_id) DO NOTHING")
    assert "UPDATE" not in sql  # a later copy never overwrites the first
