"""The one door HQ's changes come in by: apply a pulled page (or a snapshot) and move the
cursor, in ONE write transaction (DESIGN properties 3 and 6).

Every change goes through a domain function; every decision about a conflict is a rule in
``hq_rules``. A change at or below the stored cursor was applied already and is passed over,
so re-applying a page changes nothing. A change the store cannot apply (unknown type from a
newer HQ, a payload that does not validate, a refused domain action) is recorded in
``sync_skipped`` and the cursor still moves: one bad change never blocks the store. Each
change runs under a savepoint, so a refused one leaves no half-written rows.

What ``sync_skipped`` keeps is redacted first: an ``order.allocated`` payload carries the
pickup code in clear, and the store never writes a code in clear anywhere (its HMAC, the
form ``orders.code_hash`` holds, is kept instead, so a person can still match the row).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime

from pydantic import BaseModel

from edge.clock import iso, utcnow
from edge.db import write_tx
from edge.domain import (allotments, audit, catalog, codes, conflicts, delivery, hq_orders, orders, outbox,
                         prep, sync_state, tasks, transfers)
from edge.domain import sync_i18n  # noqa: F401  (registers sync.* messages)
from edge.domain.errors import DomainError
from edge.store import Store
from sync import protocol as p

Handler = Callable[[Store, BaseModel, datetime], str]
APPLIED, UNCHANGED, CONFLICT = "applied", "unchanged", "conflict"


@dataclass
class ApplyResult:
    """What one page or snapshot did (for the sync report and the status bar)."""

    cursor: int = 0
    epoch: str | None = None
    applied: int = 0
    unchanged: int = 0
    already_applied: int = 0
    conflicts: int = 0
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (change_id, reason)
    repush_from: int | None = None  # snapshot only: first seq HQ no longer has
    given_back: int = 0  # snapshot only: orders HQ had lost, sent back to it

    def count(self, outcome: str) -> None:
        if outcome == CONFLICT:
            self.conflicts += 1
            self.applied += 1
        elif outcome == APPLIED:
            self.applied += 1
        else:
            self.unchanged += 1


# ---------------------------------------------------------------- handlers, one per type
def _order_allocated(store: Store, m: p.OrderAllocated, now: datetime) -> str:
    return hq_orders.upsert_order(store, m.model_dump(), now=now)


def _order_cancelled(store: Store, m: p.OrderCancelled, now: datetime) -> str:
    return hq_orders.cancel_from_hq(store, m.order_no, m.reason, m.version, regrant=m.regrant,
                                    now=now)


def _window_extended(store: Store, m: p.OrderWindowExtended, now: datetime) -> str:
    return hq_orders.extend_from_hq(store, m.order_no, m.window_end, m.version, now=now)


def _catalog_item(store: Store, m: p.CatalogItem, now: datetime) -> str:
    return APPLIED if catalog.upsert_item(store.db, m.model_dump(), now=now) else UNCHANGED


def _stock_transfer(store: Store, m: p.StockTransfer, now: datetime) -> str:
    lines = [line.model_dump() for line in m.lines]
    return APPLIED if transfers.announce(store.db, m.transfer_id, lines, now=now) else UNCHANGED


def _allotment_requested(store: Store, m: p.AllotmentRequested, now: datetime) -> str:
    allotments.grant_for_request(store.db, m.sku, m.qty, m.pool, now=now)
    return APPLIED


def _allotment_updated(store: Store, m: p.AllotmentUpdated, now: datetime) -> str:
    return APPLIED if allotments.reconcile(store.db, m.model_dump(), now=now) else UNCHANGED


def _task_updated(store: Store, m: p.TaskChange, now: datetime) -> str:
    return APPLIED if tasks.apply_from_hq(store.db, m.model_dump(), now=now) else UNCHANGED


def _conflict_noted(store: Store, m: p.ConflictNoted, now: datetime) -> str:
    new = conflicts.note(store.db, conflict_id=m.conflict_id, kind=m.kind, source="hq",
                         detail=m.detail, order_no=m.order_no, sku=m.sku, now=now)
    return CONFLICT if new else APPLIED


def _stream_rate(store: Store, m: p.StreamRate, now: datetime) -> str:
    return APPLIED if prep.record_stream(store.db, m.model_dump(), now=now) else UNCHANGED
def _courier_assigned(store: Store, m: p.CourierAssigned, now: datetime) -> str:
    return APPLIED if delivery.courier_expected(store.db, m.order_no, m.courier_name, m.note,
                                                now=now) else UNCHANGED


HANDLERS: dict[str, Handler] = {
    p.CH_ORDER_ALLOCATED: _order_allocated,
    p.CH_ORDER_CANCELLED: _order_cancelled,
    p.CH_ORDER_WINDOW_EXTENDED: _window_extended,
    p.CH_CATALOG_ITEM: _catalog_item,
    p.CH_STOCK_TRANSFER: _stock_transfer,
    p.CH_ALLOTMENT_REQUESTED: _allotment_requested,
    p.CH_ALLOTMENT_UPDATED: _allotment_updated,
    p.CH_TASK_UPDATED: _task_updated,
    p.CH_CONFLICT_NOTED: _conflict_noted,
    p.CH_STREAM_RATE: _stream_rate,
    p.CH_COURIER_ASSIGNED: _courier_assigned,
}
assert set(HANDLERS) == set(p.CHANGE_PAYLOADS), "every protocol change type needs a handler"


# ---------------------------------------------------------------- one change
@contextmanager
def _savepoint(store: Store) -> Iterator[None]:
    """Undo one change's writes if it is refused, keeping the rest of the page."""
    store.db.execute("SAVEPOINT hq_change")
    try:
        yield
    except BaseException:
        store.db.execute("ROLLBACK TO hq_change")
        store.db.execute("RELEASE hq_change")
        raise
    store.db.execute("RELEASE hq_change")


def _refusal(exc: Exception) -> str:
    if isinstance(exc, DomainError):
        return f"{exc.code}:{json.dumps(exc.params, ensure_ascii=False, default=str)}"[:300]
    return f"{type(exc).__name__}:{exc}"[:300]


SECRET_FIELDS = frozenset({"pickup_code"})


def _secrets(value: object) -> set[str]:
    """Every secret field's value in a payload, however deep."""
    found: set[str] = set()
    if isinstance(value, dict):
        for k, v in value.items():
            if k in SECRET_FIELDS and isinstance(v, str) and v:
                found.add(v)
            else:
                found |= _secrets(v)
    elif isinstance(value, list):
        for v in value:
            found |= _secrets(v)
    return found


def redact(text: str, secrets: set[str], key: bytes) -> str:
    """``text`` with each secret replaced by ``hmac:<hex>`` of it (what orders.code_hash holds)."""
    for secret in sorted(secrets, key=len, reverse=True):
        text = text.replace(secret, "hmac:" + codes.code_hash(key, secret).hex())
    return text


def _skip(store: Store, change: dict, reason: str, now: datetime, result: ApplyResult) -> None:
    change_id = str(change.get("change_id") or f"cursor:{change.get('cursor')}")
    secrets = _secrets(change.get("payload"))
    payload = json.dumps(change.get("payload"), ensure_ascii=False, default=str)
    reason = redact(reason, secrets, store.pickup_key)
    store.db.execute(
        "INSERT OR IGNORE INTO sync_skipped (change_id, cursor, type, reason, payload, at)"
        " VALUES (?,?,?,?,?,?)",
        [change_id, change.get("cursor"), str(change.get("type")), reason,
         redact(payload, secrets, store.pickup_key), iso(now)])
    result.skipped.append((change_id, reason))


def _apply_one(store: Store, change: dict, now: datetime, result: ApplyResult) -> None:
    kind = change.get("type")
    payload = change.get("payload")
    if not isinstance(kind, str) or not isinstance(payload, dict):
        _skip(store, change, "malformed_change", now, result)
        return
    try:
        model = p.parse_payload(kind, payload, p.CHANGE_PAYLOADS)
    except ValueError as exc:
        _skip(store, change, str(exc)[:300], now, result)
        return
    try:
        with _savepoint(store):
            result.count(HANDLERS[kind](store, model, now))
    except (DomainError, sqlite3.IntegrityError, ValueError, KeyError) as exc:
        _skip(store, change, _refusal(exc), now, result)


# ---------------------------------------------------------------- pages and snapshots
def apply_changes(store: Store, changes: list[dict], *, next_cursor: int, epoch: str,
                  now: datetime | None = None) -> ApplyResult:
    """Apply one pulled page and store ``next_cursor``/``epoch``, all in one transaction.

    Changes at or below the stored cursor were applied before and are passed over. An epoch
    other than the stored one means HQ was restored: the caller must resync (snapshot)."""
    now = now or utcnow()
    with write_tx(store.db):
        held = sync_state.position(store.db)
        if held.epoch is not None and held.epoch != epoch:
            raise DomainError("sync.epoch_mismatch", held=held.epoch, got=epoch)
        result = ApplyResult(epoch=epoch)
        for change in changes:
            if int(change.get("cursor") or 0) <= held.cursor:
                result.already_applied += 1
                continue
            _apply_one(store, change, now, result)
        result.cursor = max(held.cursor, next_cursor)
        sync_state.move_to(store.db, result.cursor, epoch)
    return result


def apply_snapshot(store: Store, snapshot: dict, *, now: datetime | None = None) -> ApplyResult:
    """Replace HQ-owned state from a snapshot (HQ restored, or the cursor too old).

    Items are the same upserts as pulled changes. Orders HQ no longer knows are kept (a
    customer may still come) and sent back to HQ (``order.restored``): the store is the
    backup of its own orders. Other open tasks HQ no longer lists are closed. The outbox is
    untouched except that events after HQ's ``acked_seq`` are marked unacknowledged again,
    so the next push re-sends what HQ lost."""
    now = now or utcnow()
    items = snapshot["items"]
    with write_tx(store.db):
        result = ApplyResult(epoch=snapshot["epoch"])
        for i, item in enumerate(items):
            _apply_one(store, {"change_id": f"snapshot:{snapshot['epoch']}:{i}", **item}, now, result)
        orders_listed = {i["payload"].get("order_no") for i in items
                         if i.get("type") == p.CH_ORDER_ALLOCATED}
        given_back = hq_orders.give_back_to_hq(store, orders_listed, now=now)
        result.given_back = len(given_back)
        listed = {i["payload"].get("task_id") for i in items if i.get("type") == p.CH_TASK_UPDATED}
        listed |= {f"prep-{o}" for o in given_back  # open ones: HQ gets them back too
                   if orders.require_order(store.db, o).status not in orders.TERMINAL}
        tasks.close_missing(store.db, {t for t in listed if t}, now=now)
        result.repush_from = _unack_after(store, int(snapshot["acked_seq"]))
        result.cursor = int(snapshot["cursor"])
        sync_state.move_to(store.db, result.cursor, snapshot["epoch"])
    return result


# ---------------------------------------------------------------- after a restore from backup
def rejoin_pending(store: Store) -> int | None:
    """The outbox's last seq in a restored copy, while the store has not rejoined HQ yet."""
    value = sync_state.get(store.db, sync_state.RESTORED)
    return int(value) if value is not None else None


def rejoin_after_restore(store: Store, snapshot: dict, *, now: datetime | None = None) -> ApplyResult:
    """The first sync after ``store-edge restore``, in one transaction: HQ acknowledged
    events the copy never had, so the events written since the restore are renumbered after
    HQ's ``acked_seq`` (else HQ would take them for the ones it holds under those numbers)
    and new ones follow; orders HQ says were handed over after the copy are marked so here
    (the copy still shows them waiting: a second hand-over must not happen); then the
    snapshot is applied like any resync (orders HQ lacks are given back, the outbox re-sent
    after ``acked_seq``)."""
    now = now or utcnow()
    with write_tx(store.db):
        restored_seq = rejoin_pending(store)
        acked = int(snapshot["acked_seq"])
        if restored_seq is not None and acked > restored_seq:
            _renumber_after(store, restored_seq, acked - restored_seq)
            sync_state.put(store.db, sync_state.OUTBOX_FLOOR, str(acked))
        _adopt_hq_handovers(store, snapshot["items"], now)
        result = apply_snapshot(store, snapshot, now=now)
        store.db.execute("DELETE FROM sync_state WHERE key = ?", [sync_state.RESTORED])
    return result


def _renumber_after(store: Store, after_seq: int, offset: int) -> None:
    db = store.db  # two steps: a shift in place would collide with itself on the key
    db.execute("UPDATE outbox SET seq = -seq WHERE seq > ?", [after_seq])
    db.execute("UPDATE outbox SET seq = -seq + ? WHERE seq < 0", [offset])


def _adopt_hq_handovers(store: Store, items: list[dict], now: datetime) -> None:
    for item in items:
        data = item.get("payload") or {}
        if item.get("type") != p.CH_ORDER_ALLOCATED or data.get("status") not in orders.HANDED_OVER:
            continue
        held = orders.get_order(store.db, data["order_no"])
        if held is None or held.status in orders.TERMINAL:
            continue
        store.db.execute("UPDATE orders SET status = ?, updated_at = ? WHERE order_no = ?",
                         [data["status"], iso(now), held.order_no])
        audit.record(store.db, actor="hq", action="order.handover_taken_back_from_hq",
                     entity=f"order:{held.order_no}", at=now,
                     detail={"status": data["status"], "was": held.status})


def _unack_after(store: Store, acked_seq: int) -> int | None:
    """Mark events HQ no longer has as unacknowledged; returns the first such seq."""
    store.db.execute("UPDATE outbox SET acked_at = NULL WHERE seq > ? AND acked_at IS NOT NULL",
                     [acked_seq])
    return store.db.execute("SELECT MIN(seq) FROM outbox WHERE seq > ?", [acked_seq]).fetchone()[0]


# ---------------------------------------------------------------- status for the UI
@dataclass(frozen=True)
class LocalStatus:
    pending: int
    conflicts: int
    last_ok: str | None
    last_error: str | None
    skipped: int
    rejected: int


def _count(store: Store, table: str) -> int:
    return store.db.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]


def local_status(store: Store) -> LocalStatus:
    """What the status bar shows from the store's side (reads only)."""
    db = store.db
    return LocalStatus(
        pending=outbox.pending_count(db),
        conflicts=conflicts.open_count(db),
        last_ok=sync_state.get(db, sync_state.LAST_OK),
        last_error=sync_state.get(db, sync_state.LAST_ERROR),
        skipped=_count(store, "sync_skipped"),
        rejected=_count(store, "sync_rejected"),
    )
