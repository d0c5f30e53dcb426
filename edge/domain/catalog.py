"""The product catalogue, owned by HQ: items arrive as ``catalog.item`` upserts by version."""

from __future__ import annotations

from datetime import datetime

from sqlite_utils import Database

from edge.clock import utcnow
from edge.db import write_tx
from edge.domain import audit, hq_rules

_FIELDS = ("name_zh", "name_en", "zone", "price_cents", "barcode", "shelf_life_days")


def upsert_item(db: Database, item: dict, *, actor: str = "hq", now: datetime | None = None) -> bool:
    """Insert or update one product if HQ's version is newer; True when something changed."""
    now = now or utcnow()
    with write_tx(db):
        row = db.execute("SELECT version FROM products WHERE sku = ?", [item["sku"]]).fetchone()
        if not hq_rules.newer_version_wins(item["version"], row[0] if row else None):
            return False
        values = [item.get(f) for f in _FIELDS]
        db.execute(
            "INSERT INTO products (sku, name_zh, name_en, zone, price_cents, barcode,"
            " shelf_life_days, version) VALUES (?,?,?,?,?,?,?,?) ON CONFLICT(sku) DO UPDATE SET"
            " name_zh = excluded.name_zh, name_en = excluded.name_en, zone = excluded.zone,"
            " price_cents = excluded.price_cents, barcode = excluded.barcode,"
            " shelf_life_days = excluded.shelf_life_days, version = excluded.version",
            [item["sku"], *values, item["version"]])
        if item.get("shelf"):  # HQ knows the store's shelf: take it; else keep the store's own
            db.execute("UPDATE products SET shelf = ? WHERE sku = ?", [item["shelf"], item["sku"]])
        audit.record(db, actor=actor, action="catalog.updated", entity=f"sku:{item['sku']}",
                     at=now, detail={"version": item["version"], "price_cents": item["price_cents"]})
    return True


def find_product(db: Database, text: str) -> dict | None:
    """The product a scanned barcode or a typed SKU names (SKU case-insensitive)."""
    text = text.strip()
    if not text:
        return None
    row = db.execute(
        "SELECT sku, name_zh, name_en, zone, price_cents FROM products"
        " WHERE barcode = ? OR sku = ? COLLATE NOCASE LIMIT 1", [text, text]).fetchone()
    if row is None:
        return None
    return dict(zip(("sku", "name_zh", "name_en", "zone", "price_cents"), row))
