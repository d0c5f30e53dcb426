"""The store-side conflict rules for what HQ sends, all in one place (DESIGN property 5).

Each rule is a small pure function with a named test in ``tests/sync/test_client_rules.py``;
``edge.domain.hq_apply`` and the modules it calls only ask these functions what to do.

1. ``newer_version_wins`` -- an HQ upsert (order, catalog item, task) applies only when its
   ``version`` is newer than the one held. Versions decide, device clocks never do.
2. ``handover_beats_cancellation`` -- an HQ cancellation of an order already handed over at
   the counter does not undo the hand-over (the goods are gone); a conflict is noted.
3. ``hq_never_sets_store_progress`` -- preparing / ready / overdue are the store's facts:
   HQ's copy of them never moves a local order; only HQ's terminal states travel.
4. ``task_status_forward_only`` -- a task's status never moves backwards (open <
   in_progress < done; cancelled ranks as done), whoever wrote last.
5. ``grant_capped_by_sellable`` -- HQ asks for units online; the store grants at most what
   the counter could still sell, never units already promised.
6. What HQ may still sell of a SKU, which the store holds apart, is counted as HQ counts
   it: ``sync.protocol.allotment_to_hold`` (the contract), called by ``allotments.reconcile``.
7. ``cancel_returns_to_allotment`` -- an HQ cancellation gives the order's units back to
   HQ's allotment, so the counter never sells units HQ will sell again. HQ took them out of
   ``granted`` with the order (they might have been handed over offline): the store grants
   them again in the same transaction, and only then can HQ sell them online again.
9. ``same_order`` -- HQ's ``order_uid`` tells two orders under one number apart: a store
   never lets another order take the place of one it holds (an HQ restored from a backup).
8. ``store_channel`` -- HQ's channel kinds (live_stream, mini_program, ...) map onto the
   store's three (live, mini, counter).
"""

from __future__ import annotations

from dataclasses import dataclass

# a delivery parcel with a courier (or back, waiting for the manager) stands like a hand-over
HANDED_OVER = ("picked_up", "partially_picked_up", "out_for_delivery", "delivered",
               "delivery_failed")
TERMINAL = ("picked_up", "partially_picked_up", "cancelled", "returned", "delivered")
TASK_FLOW = ("open", "in_progress", "done")


# 1 ------------------------------------------------------------------ versions
def newer_version_wins(incoming: int, held: int | None) -> bool:
    """Apply an HQ upsert only if it is newer than what the store holds."""
    return held is None or incoming > held


# 2 ------------------------------------------------------------------ cancellation
@dataclass(frozen=True)
class CancelDecision:
    action: str  # cancel | keep_handover | nothing
    conflict: str | None = None


def handover_beats_cancellation(local_status: str) -> CancelDecision:
    """What an HQ cancellation does to the local order."""
    if local_status in HANDED_OVER:
        return CancelDecision("keep_handover", conflict="handover_after_cancel")
    if local_status in TERMINAL:
        return CancelDecision("nothing")
    return CancelDecision("cancel")


# 3 ------------------------------------------------------------------ order progress
def hq_never_sets_store_progress(hq_status: str) -> str:
    """The status a newly arriving order starts in at the store."""
    return hq_status if hq_status in TERMINAL else "allocated"


# 4 ------------------------------------------------------------------ tasks
def task_rank(status: str) -> int:
    if status == "cancelled":
        return len(TASK_FLOW) - 1
    return TASK_FLOW.index(status) if status in TASK_FLOW else -1


def task_status_forward_only(held: str | None, incoming: str) -> str:
    """The task status to keep when ``incoming`` meets ``held``."""
    if held is None or task_rank(incoming) > task_rank(held):
        return incoming
    return held


# 5, 6, 7 -------------------------------------------------------------- allotment
def grant_capped_by_sellable(requested: int, sellable: int) -> int:
    """Units to grant for an HQ request (0 when the counter has nothing spare)."""
    return max(0, min(requested, sellable))


def cancel_returns_to_allotment(order_qty_by_sku: dict[str, int]) -> dict[str, int]:
    """Allotment moves that mirror HQ's give-back on cancellation (+qty per SKU)."""
    return {sku: qty for sku, qty in order_qty_by_sku.items() if qty > 0}


# 9 ------------------------------------------------------------------ order identity
def same_order(held_uid: str | None, incoming_uid: str | None) -> bool:
    """The order HQ sends is the one held under that number (unknown uids match)."""
    return held_uid is None or incoming_uid is None or held_uid == incoming_uid


# 8 ------------------------------------------------------------------ channels
_CHANNELS = {"live_stream": "live", "live": "live", "mini_program": "mini", "mini": "mini",
             "counter": "counter"}


def store_channel(hq_channel: str) -> str:
    """HQ's channel kind as the store names it; anything else HQ sells online is 'mini'."""
    return _CHANNELS.get(hq_channel, "mini")
