"""The per-store change feed HQ -> store: append (in the writer's transaction), pull, snapshot.

The cursor is ``stores.change_seq``, bumped with ``UPDATE ... RETURNING`` in the transaction
that writes the change. The UPDATE holds the store's row lock until commit, so a second
writer for the same store waits, cursors are gapless and commit in cursor order: a puller
that sees cursor N has already seen every cursor below N (no sequence-visibility gap).
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

from ..protocol import (
    CH_ALLOTMENT_UPDATED,
    CH_CATALOG_ITEM,
    CH_ORDER_ALLOCATED,
    CH_STOCK_TRANSFER,
    CH_TASK_UPDATED,
    Change,
    SNAPSHOT_RECENT_DAYS,
    PullResponse,
    Snapshot,
    SnapshotItem,
)
from .clock import iso
from .codec import dumps, loads
from .db import Database, Tx
from .errors import not_found



def get_epoch(tx: Tx) -> str:
    return tx.scalar("SELECT value FROM meta WHERE key = 'epoch'")


def emit(tx: Tx, store_id: str, kind: str, payload: dict[str, Any], now: datetime) -> int:
    """Append one change for a store; returns its cursor. The store's long-poll wakes when
    the transaction commits (``Tx.woken``)."""
    return emit_many(tx, store_id, [(kind, payload)], now)


def emit_many(tx: Tx, store_id: str, items: list[tuple[str, dict[str, Any]]], now: datetime) -> int:
    """Append several changes for a store in order, with one cursor update (placing an
    order sends the order and its prep task); returns the last cursor."""
    last = tx.scalar(
        "UPDATE stores SET change_seq = change_seq + ? WHERE store_id = ? RETURNING change_seq",
        (len(items), store_id),
    )
    if last is None:
        raise not_found("store", store_id)
    first = last - len(items) + 1
    tx.many(
        "INSERT INTO changes (store_id, cursor, change_id, type, payload, created_at) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        [(store_id, first + i, str(uuid.uuid4()), kind, dumps(payload), iso(now))
         for i, (kind, payload) in enumerate(items)],
    )
    tx.woken.add(store_id)
    return last


def pull(db: Database, store_id: str, cursor: int, limit: int, epoch: str | None) -> PullResponse:
    """One page of changes after ``cursor``, or a resync answer (see protocol docstring)."""

    def read(tx: Tx) -> PullResponse:
        hq_epoch = get_epoch(tx)
        row = tx.one("SELECT change_seq, pruned_through FROM stores WHERE store_id = ?", (store_id,))
        if row is None:
            raise not_found("store", store_id)
        head, pruned = row
        reason = resync_reason(epoch, hq_epoch, cursor, head, pruned)
        if reason:
            return PullResponse(epoch=hq_epoch, resync=True, reason=reason, next_cursor=cursor)
        rows = tx.all(
            "SELECT cursor, change_id, type, payload FROM changes "
            "WHERE store_id = ? AND cursor > ? AND cursor <= ? ORDER BY cursor LIMIT ?",
            (store_id, cursor, head, limit),
        )
        changes = [Change(cursor=r[0], change_id=r[1], type=r[2], payload=loads(r[3])) for r in rows]
        next_cursor = changes[-1].cursor if changes else cursor
        return PullResponse(epoch=hq_epoch, changes=changes, next_cursor=next_cursor,
                            has_more=next_cursor < head)

    return db.run_tx(read, snapshot=True)


def resync_reason(store_epoch: str | None, hq_epoch: str, cursor: int, head: int,
                  pruned_through: int) -> str | None:
    """Why the store must reload a snapshot, or None to page normally."""
    if store_epoch is not None and store_epoch != hq_epoch:
        return "epoch_changed"
    if store_epoch is None and cursor > 0:
        return "epoch_changed"  # a store with a cursor must say which epoch it belongs to
    if cursor > head:
        return "cursor_ahead"
    if cursor < pruned_through:
        return "cursor_pruned"
    return None


def prune(db: Database, store_id: str, through_cursor: int) -> int:
    """Drop changes up to a cursor; stores behind it will be told to resync."""
    with db.tx() as tx:
        tx.run("UPDATE stores SET pruned_through = ? WHERE store_id = ? AND pruned_through < ?",
               (through_cursor, store_id, through_cursor))
        return tx.run("DELETE FROM changes WHERE store_id = ? AND cursor <= ?", (store_id, through_cursor))


def snapshot(db: Database, store_id: str, now: datetime) -> Snapshot:
    """The store's whole HQ-owned state, consistent with the cursor it reports."""

    def read(tx: Tx) -> Snapshot:
        row = tx.one("SELECT change_seq, last_seq FROM stores WHERE store_id = ?", (store_id,))
        if row is None:
            raise not_found("store", store_id)
        cursor, acked = row
        items = (
            catalog_items(tx)
            + _order_items(tx, store_id, now)
            + _task_items(tx, store_id)
            + _allotment_items(tx, store_id, acked)
            + _transfer_items(tx, store_id)
        )
        return Snapshot(epoch=get_epoch(tx), cursor=cursor, acked_seq=acked, items=items)

    return db.run_tx(read, snapshot=True)


def catalog_items(tx: Tx) -> list[SnapshotItem]:
    rows = tx.all("SELECT c.sku, c.name_zh, c.name_en, c.zone, c.price_cents, c.barcode, "
                  "c.shelf_life_days, c.version, s.shelf FROM catalog c "
                  "LEFT JOIN catalog_shelves s ON s.sku = c.sku ORDER BY c.sku")
    keys = ("sku", "name_zh", "name_en", "zone", "price_cents", "barcode", "shelf_life_days", "version",
            "shelf")
    return [SnapshotItem(type=CH_CATALOG_ITEM, payload=dict(zip(keys, r))) for r in rows]


def _order_items(tx: Tx, store_id: str, now: datetime) -> list[SnapshotItem]:
    from .orders import order_payload  # local: orders imports this module

    since = iso(now - timedelta(days=SNAPSHOT_RECENT_DAYS))
    rows = tx.all(
        "SELECT order_no FROM orders WHERE store_id = ? AND (status NOT IN "
        "('picked_up', 'partially_picked_up', 'cancelled', 'returned') OR placed_at >= ?) "
        "ORDER BY order_no", (store_id, since))
    return [SnapshotItem(type=CH_ORDER_ALLOCATED, payload=order_payload(tx, store_id, r[0])) for r in rows]


def _task_items(tx: Tx, store_id: str) -> list[SnapshotItem]:
    from .tasks import task_payload

    rows = tx.all("SELECT task_id FROM tasks WHERE store_id = ? AND status NOT IN ('done', 'cancelled') "
                  "ORDER BY task_id", (store_id,))
    return [SnapshotItem(type=CH_TASK_UPDATED, payload=task_payload(tx, store_id, r[0])) for r in rows]


def _allotment_items(tx: Tx, store_id: str, acked: int) -> list[SnapshotItem]:
    rows = tx.all("SELECT sku, pool, granted, locked, sold FROM allotments WHERE store_id = ? "
                  "ORDER BY sku, pool", (store_id,))
    keys = ("sku", "pool", "granted", "locked", "sold")
    return [SnapshotItem(type=CH_ALLOTMENT_UPDATED, payload={**dict(zip(keys, r)), "as_of_seq": acked})
            for r in rows]


def _transfer_items(tx: Tx, store_id: str) -> list[SnapshotItem]:
    rows = tx.all("SELECT transfer_id, lines FROM transfers WHERE store_id = ? AND transfer_id NOT IN "
                  "(SELECT ref FROM stock_moves WHERE store_id = ? AND kind = 'transfer_in' "
                  "AND ref IS NOT NULL) ORDER BY transfer_id", (store_id, store_id))
    return [SnapshotItem(type=CH_STOCK_TRANSFER, payload={"transfer_id": r[0], "lines": loads(r[1])})
            for r in rows]
