"""The conflict rules, all in one place. Each is a small named function with a named test
(tests/sync/test_hq_rules.py); the handlers in ``apply.py`` and ``service.py`` only call them.

1. ``stock_delta`` / ``count_difference`` -- stock is a ledger: stores send movements, never
   totals; a count books the difference against the quantity it was based on.
2. ``negative_stock_raises_exception`` -- negative stock is recorded as is (never clipped)
   and raises an exception task when a level crosses below zero.
3. HQ sells online only from the store's allotment: the conditional UPDATE in
   ``orders.lock_allotment`` (granted - locked - sold >= qty, re-checked under the row lock;
   test_hq_orders.test_concurrent_orders_never_oversell_the_allotment).
4. ``allotment_pool`` -- pre-sale units are a pool apart from stock on hand.
5. placed: locked; paid: deducted, locked -> sold (``orders._deduct``,
   test_hq_orders.test_payment_deducts_and_cancel_gives_back); ``unpaid_lock_expired``:
   unpaid after 30 minutes, released.
6. ``revocable_units`` -- a store can take back only units HQ has not locked or sold.
7. ``handover_beats_cancellation`` -- a physical hand-over stands against an HQ cancellation
   made meanwhile; HQ records a conflict for a refund decision.
   ``cancelled_units_back_to_store`` -- so a cancellation never frees units online that the
   store may have handed over offline: they go back to the store, which grants them again.
8. A device clock never decides: HQ orders events by receipt and stamps its own time
   (``orders.record_handover`` keeps HQ's ``now``, not the event's ``at``;
   test_client_clock_skew).
9. ``merge_task`` -- task fields: last write wins in HQ-receipt order; status only forward.
10. ``order_status_may_advance`` -- store-reported order status only moves forward.
13. ``restored_order_allotment`` -- an order a store gives back after a restore takes its
    units from the allotment again.
12. ``same_order`` -- a store's event about an order names HQ's ``order_uid``: an order
    number alone could be another order (an HQ restored from a backup), never applied to it.
14. ``parcel_may_leave`` -- a delivery parcel handed to a courier stands like a hand-over
    (against a cancellation: a conflict); a parcel already out or delivered is not handed
    out twice; ``LEFT_STORE`` orders cannot be cancelled.
11. ``TEMPERATURE_READING_INSERT`` -- temperature readings are insert-only facts,
    de-duplicated by id: the first copy stands, later copies change nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from .. import protocol as _contract
from ..protocol import (
    ORDER_STATUS_FLOW,
    TASK_STATUS_FLOW,
    UNPAID_RELEASE_AFTER,
    StockMoved,
    TaskUpdate,
)

PICKED_UP = ("picked_up", "partially_picked_up")


class Note(str):
    """Returned by an event handler: applied, with a remark for the store (not a rejection)."""


# 1 ------------------------------------------------------------------ stock ledger
def count_difference(counted: int, counted_base: int) -> int:
    """A count says "I see ``counted`` where I thought ``counted_base``": book the gap only,
    so movements HQ got meanwhile from elsewhere are not overwritten."""
    return counted - counted_base


def stock_delta(move: StockMoved) -> int:
    """The signed ledger entry for one movement."""
    if move.kind == "count":
        if move.counted_base is None:
            raise ValueError("count_without_counted_base")
        return count_difference(move.qty, move.counted_base)
    return move.qty


# 2 ------------------------------------------------------------------ negative stock
def negative_stock_raises_exception(before: int, after: int) -> bool:
    """Raise an exception task when the level crosses below zero (not on every further
    movement while it stays negative: one task per incident)."""
    return after < 0 <= before


# 3, 4, 5 ------------------------------------------------------------ allotment
def allotment_pool(presale: bool) -> str:
    """Pre-sale (future batches) and on-hand units never mix."""
    return "presale" if presale else "on_hand"


def unpaid_lock_expired(placed_at: datetime, now: datetime) -> bool:
    """Unpaid 30 minutes after placing (HQ's clock): release the units."""
    return now - placed_at >= UNPAID_RELEASE_AFTER


def release_cutoff(now: datetime) -> datetime:
    return now - UNPAID_RELEASE_AFTER


# 6 ------------------------------------------------------------------ revocation
revocable_units = _contract.revocable_units  # the store counts it the same way (protocol)


# 7 ------------------------------------------------------------------ order state
@dataclass(frozen=True)
class HandoverDecision:
    apply: bool
    conflict: str | None = None
    reject_reason: str | None = None


def handover_beats_cancellation(hq_status: str) -> HandoverDecision:
    """The goods are gone: a hand-over always stands. If HQ cancelled meanwhile, record a
    ``handover_after_cancel`` conflict for a refund decision; a second hand-over of an
    already picked-up order is rejected (the first one stands)."""
    if hq_status in PICKED_UP:
        return HandoverDecision(apply=False, reject_reason="already_picked_up")
    if hq_status == "cancelled":
        return HandoverDecision(apply=True, conflict="handover_after_cancel")
    return HandoverDecision(apply=True)


# delivery: the goods left the store (out, delivered) or came back waiting for a manager
LEFT_STORE = ("out_for_delivery", "delivered", "delivery_failed")


def parcel_may_leave(hq_status: str, parcel_status: str | None) -> HandoverDecision:
    """A parcel out with a courier stands whatever HQ decided meanwhile (the goods are
    gone): after a cancellation it is applied with a ``handover_after_cancel`` conflict. A
    parcel HQ already holds as out (or delivered) is not handed out twice."""
    if parcel_status in ("out", "delivered") or hq_status in PICKED_UP or hq_status == "delivered":
        return HandoverDecision(apply=False, reject_reason="already_collected")
    if hq_status == "returned":
        return HandoverDecision(apply=False, reject_reason="order_closed:returned")
    if hq_status == "cancelled":
        return HandoverDecision(apply=True, conflict="handover_after_cancel")
    return HandoverDecision(apply=True)


def cancelled_units_back_to_store(pool: str) -> bool:
    """A cancelled order's on-hand units are on the store's shelf (or already handed over while
    the store was cut off): HQ takes them out of ``granted`` with the order and sells them
    online again only when the store grants them again. Pre-sale units are not on any shelf
    yet: they go straight back to HQ's pre-sale pool."""
    return pool == "on_hand"


def order_status_may_advance(current: str, new: str) -> bool:
    """Store-reported order status only moves forward along the flow; terminal states
    (picked up, cancelled, returned) are never left by a status report."""
    if current not in ORDER_STATUS_FLOW or new not in ORDER_STATUS_FLOW:
        return False
    if current == "returned":
        return False
    return ORDER_STATUS_FLOW.index(new) > ORDER_STATUS_FLOW.index(current)


def same_order(held_uid: str | None, named_uid: str | None) -> bool:
    """The order HQ holds under a number is the one the store's event is about. Orders
    placed before uids existed (or events from a store that predates them) match by number."""
    return held_uid is None or named_uid is None or held_uid == named_uid


def restored_order_allotment(status: str, payment_status: str) -> str | None:
    """Which allotment column an order a store gives back takes its units from: none when
    cancelled (its units went back with the cancellation), ``sold`` once paid or handed
    over, else ``locked`` (as if just placed). Booked whatever HQ sold meanwhile: the goods
    are promised to that customer; a shortfall shows as a negative free allotment."""
    if status == "cancelled":
        return None
    if payment_status == "paid" or status in PICKED_UP:
        return "sold"
    return "locked"


def window_extension_reopens(current: str, new: str) -> bool:
    """A store's window extension may take an overdue order back to ready or preparing (the
    only way an order status moves backwards); on an open order it leaves the status as is;
    a terminal order is never reopened."""
    if current == "overdue":
        return new in ("ready", "preparing")
    return current == new and current in ORDER_STATUS_FLOW and current != "returned"


# 9 ------------------------------------------------------------------ tasks
def _task_rank(status: str) -> int:
    if status == "cancelled":
        return len(TASK_STATUS_FLOW) - 1
    return TASK_STATUS_FLOW.index(status) if status in TASK_STATUS_FLOW else -1


def merge_task(current: dict[str, Any], update: TaskUpdate) -> dict[str, Any]:
    """Fields: the later-received write wins field by field. Status: only forward (a late
    "in_progress" never reopens a "done" task)."""
    merged = dict(current)
    merged["fields"] = {**current.get("fields", {}), **update.fields}
    if update.status is not None and _task_rank(update.status) > _task_rank(current.get("status", "open")):
        merged["status"] = update.status
    return merged


# 11 ------------------------------------------------------------------ temperatures
TEMPERATURE_READING_INSERT = (
    "INSERT INTO temperature_readings (store_id, reading_id, probe_id, celsius, at) "
    "VALUES (?, ?, ?, ?, ?) ON CONFLICT (store_id, reading_id) DO NOTHING"
)
