"""A handle on one store's data directory: its database connection, identity and secrets.

Domain functions take a ``Store``. Open one per thread (``Store.open``): SQLite connections
are not shared between threads.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from sqlite_utils import Database

from edge.db import DB_FILENAME, connect

PICKUP_KEY_FILENAME = "pickup.key"


@dataclass
class Store:
    """The store this terminal serves. ``pickup_key`` never enters the database."""

    data_dir: Path
    db: Database
    store_id: str
    pickup_key: bytes

    @classmethod
    def open(cls, data_dir: str | Path) -> "Store":
        data_dir = Path(data_dir)
        if not (data_dir / DB_FILENAME).is_file():
            # connect() would create an empty database here, and then `demo --seed-only`
            # (what the error message suggests) would take the directory for a store
            raise StoreNotInitialised(data_dir)
        db = connect(data_dir / DB_FILENAME)
        row = db.execute("SELECT value FROM meta WHERE key = 'store_id'").fetchone()
        if row is None:
            raise StoreNotInitialised(data_dir)
        return cls(data_dir, db, row[0], _read_key(data_dir))

    def close(self) -> None:
        self.db.close()


class StoreNotInitialised(Exception):
    def __init__(self, data_dir: Path) -> None:
        super().__init__(str(data_dir))
        self.data_dir = data_dir


def init_store(data_dir: str | Path, store_id: str, name_zh: str, name_en: str) -> Store:
    """Create the data directory, database and pickup key of a new store (idempotent)."""
    data_dir = Path(data_dir)
    data_dir.mkdir(parents=True, exist_ok=True)
    key_path = data_dir / PICKUP_KEY_FILENAME
    if not key_path.exists():
        fd = os.open(key_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(secrets.token_bytes(32))
    db = connect(data_dir / DB_FILENAME)
    from edge.db import write_tx

    with write_tx(db):
        db.execute("INSERT OR IGNORE INTO meta (key, value) VALUES ('store_id', ?)", [store_id])
        db.execute(
            "INSERT OR REPLACE INTO stores (store_id, name_zh, name_en) VALUES (?, ?, ?)",
            [store_id, name_zh, name_en],
        )
    db.close()
    return Store.open(data_dir)


def _read_key(data_dir: Path) -> bytes:
    return (data_dir / PICKUP_KEY_FILENAME).read_bytes()
