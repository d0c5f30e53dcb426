"""Stores the terminal knows by name: this one and its neighbours (for "other store" verdicts)."""

from __future__ import annotations

from sqlite_utils import Database


def names(db: Database, store_id: str) -> tuple[str, str]:
    """(name_zh, name_en) of a store; its id twice when the store is not known here."""
    row = db.execute("SELECT name_zh, name_en FROM stores WHERE store_id = ?", [store_id]).fetchone()
    return (row[0], row[1]) if row else (store_id, store_id)
