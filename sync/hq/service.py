"""HQ back office (domain functions, not HTTP): orders, catalog, transfers, allotments.

The one import point for operators, the CLI, tests and the HTTP app. Order functions live
in ``orders``; this module adds what goes to every store or to one store's shelves.
"""

from __future__ import annotations

import json
import uuid
from datetime import datetime
from typing import Any

from ..protocol import (
    CH_ALLOTMENT_REQUESTED,
    CH_CATALOG_ITEM,
    CH_STOCK_TRANSFER,
    CatalogItem,
    TransferLine,
)
from . import presale, stock
from .changes import emit, prune as prune_changes, pull, snapshot  # noqa: F401  (re-exported)
from .clock import iso
from .codec import dumps
from .db import Database, Tx
from .errors import not_found
from .orders import (  # noqa: F401  (re-exported)
    cancel_order,
    extend_window,
    get_order,
    pay_order,
    place_order,
    release_unpaid_orders,
    send_reminders,
)
from .registry import add_channel, add_store, bump_epoch  # noqa: F401  (re-exported)


__all__ = [
    "add_channel", "add_store", "allotment", "bump_epoch", "cancel_order", "extend_window", "get_order",
    "open_conflicts", "pay_order", "place_order", "prune_changes", "pull", "release_unpaid_orders",
    "request_allotment", "send_reminders", "snapshot", "stock_level", "store_tasks", "transfer_stock",
    "upsert_catalog_item",
]


def _store_ids(tx: Tx) -> list[str]:
    return [r[0] for r in tx.all("SELECT store_id FROM stores ORDER BY store_id")]


def upsert_catalog_item(db: Database, item: CatalogItem, now: datetime) -> int:
    """Create or change a product (price, names...) and send it to every store.
    Returns the new version."""

    def work(tx: Tx) -> int:
        version = tx.scalar("SELECT version FROM catalog WHERE sku = ?", (item.sku,), 0) + 1
        tx.run("INSERT INTO catalog (sku, name_zh, name_en, zone, price_cents, barcode, shelf_life_days, version) "
               "VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (sku) DO UPDATE SET name_zh = excluded.name_zh, "
               "name_en = excluded.name_en, zone = excluded.zone, price_cents = excluded.price_cents, "
               "barcode = excluded.barcode, shelf_life_days = excluded.shelf_life_days, version = excluded.version",
               (item.sku, item.name_zh, item.name_en, item.zone, item.price_cents, item.barcode,
                item.shelf_life_days, version))
        if item.shelf:
            tx.run("INSERT INTO catalog_shelves (sku, shelf) VALUES (?, ?) ON CONFLICT (sku) "
                   "DO UPDATE SET shelf = excluded.shelf", (item.sku, item.shelf))
        shelf = item.shelf or tx.scalar("SELECT shelf FROM catalog_shelves WHERE sku = ?", (item.sku,))
        payload = item.model_copy(update={"version": version, "shelf": shelf}).model_dump()
        for store_id in _store_ids(tx):
            emit(tx, store_id, CH_CATALOG_ITEM, payload, now)
        return version

    return db.run_tx(work)


def transfer_stock(db: Database, store_id: str, lines: list[TransferLine], now: datetime, *,
                   transfer_id: str | None = None) -> str:
    """Announce goods sent from the warehouse; the store books them on receipt.

    A line's ``presale`` units grow HQ's pre-sale pool for the store at once (the goods are
    HQ's own, on their way: no shelf can sell them before they arrive, so HQ need not wait
    for the store to grant them); the store holds them apart when they arrive."""
    transfer_id = transfer_id or f"T-{uuid.uuid4().hex[:12]}"
    payload_lines = [line.model_dump() for line in lines]

    def work(tx: Tx) -> str:
        if tx.one("SELECT 1 FROM stores WHERE store_id = ?", (store_id,)) is None:
            raise not_found("store", store_id)
        tx.run("INSERT INTO transfers (transfer_id, store_id, lines, created_at) VALUES (?, ?, ?, ?)",
               (transfer_id, store_id, dumps(payload_lines), iso(now)))
        emit(tx, store_id, CH_STOCK_TRANSFER, {"transfer_id": transfer_id, "lines": payload_lines}, now)
        presale.grant_from_transfer(tx, store_id, lines, now)
        return transfer_id

    return db.run_tx(work)


def request_allotment(db: Database, store_id: str, sku: str, qty: int, now: datetime, *,
                      pool: str = "on_hand") -> None:
    """Ask a store to grant more units online (HQ never grants itself units)."""
    db.run_tx(lambda tx: emit(tx, store_id, CH_ALLOTMENT_REQUESTED,
                              {"sku": sku, "qty": qty, "pool": pool}, now))


def allotment(db: Database, store_id: str, sku: str, pool: str = "on_hand") -> dict[str, Any]:
    with db.tx(snapshot=True) as tx:
        return stock.allotment(tx, store_id, sku, pool)


def stock_level(db: Database, store_id: str, sku: str) -> int:
    with db.tx(snapshot=True) as tx:
        return stock.stock_level(tx, store_id, sku)


def open_conflicts(db: Database, store_id: str | None = None) -> list[dict[str, Any]]:
    keys = ("conflict_id", "store_id", "kind", "order_no", "sku", "detail", "status", "created_at")
    with db.tx(snapshot=True) as tx:
        where, params = ("AND store_id = ?", (store_id,)) if store_id else ("", ())
        rows = tx.all(f"SELECT {', '.join(keys)} FROM conflicts WHERE status = 'open' {where} "
                      "ORDER BY created_at, conflict_id", params)
    return [dict(zip(keys, r)) for r in rows]


def store_tasks(db: Database, store_id: str, kind: str | None = None) -> list[dict[str, Any]]:
    from .tasks import load_task

    with db.tx(snapshot=True) as tx:
        where, params = ("AND kind = ?", (store_id, kind)) if kind else ("", (store_id,))
        ids = [r[0] for r in tx.all(f"SELECT task_id FROM tasks WHERE store_id = ? {where} ORDER BY task_id",
                                    params)]
        return [load_task(tx, store_id, task_id) for task_id in ids]


def day_reports(db: Database, store_id: str, day: str | None = None) -> list[dict[str, Any]]:
    """A store's day-end reports as it sent them (latest per day), newest day first."""
    with db.tx(snapshot=True) as tx:
        where, params = ("AND day = ?", (store_id, day)) if day else ("", (store_id,))
        rows = tx.all(f"SELECT payload, event_seq, received_at FROM day_reports WHERE store_id = ? "
                      f"{where} ORDER BY day DESC", params)
    return [{**json.loads(r[0]), "event_seq": r[1], "received_at": r[2]} for r in rows]
