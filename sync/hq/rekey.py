"""Schema step: every HQ table keyed by ``store_id`` first, so HQ distributes by store on
Citus (or partitions by it) without a rewrite. See README "HQ at chain scale".

PostgreSQL swaps the constraints in place; SQLite cannot alter a primary key, so the table
is rebuilt from its own stored definition (every column it has at this point, whatever
steps added them), copied, and its indexes re-created.
"""

from __future__ import annotations

import re
from typing import Sequence

from .db import Tx

# table -> its new primary key (store_id first)
STORE_KEYS: dict[str, tuple[str, ...]] = {
    "orders": ("store_id", "order_no"),
    "order_lines": ("store_id", "order_no", "line_no"),
    "tasks": ("store_id", "task_id"),
    "conflicts": ("store_id", "conflict_id"),
    "transfers": ("store_id", "transfer_id"),
    "notifications": ("store_id", "notification_id"),
    "order_shorts": ("store_id", "order_no", "line_no"),
    "parcels": ("store_id", "order_no", "zone"),
    "courier_jobs": ("store_id", "order_no"),
}
# single-column UNIQUE constraints that become unique per store: (table, column)
PER_STORE_UNIQUE: tuple[tuple[str, str], ...] = (("orders", "request_key"),)
# unique by randomness, not by constraint (Citus allows unique keys only with store_id)
DROP_UNIQUE: tuple[tuple[str, str], ...] = (("stores", "token_hash"),)


def rekey_by_store(tx: Tx) -> None:
    """The step itself: order lines learn their store, then every table is re-keyed."""
    tx.run("ALTER TABLE order_lines ADD COLUMN store_id TEXT NOT NULL DEFAULT ''")
    tx.run("UPDATE order_lines SET store_id = COALESCE((SELECT o.store_id FROM orders o "
           "WHERE o.order_no = order_lines.order_no), '')")
    tables = set(STORE_KEYS) | {t for t, _ in PER_STORE_UNIQUE + DROP_UNIQUE}
    for table in sorted(tables):
        key = STORE_KEYS.get(table)
        unique = [c for t, c in PER_STORE_UNIQUE if t == table]
        dropped = [c for t, c in DROP_UNIQUE if t == table]
        if tx.dialect == "sqlite":
            _rebuild_sqlite(tx, table, key, unique, dropped)
        else:
            _alter_postgres(tx, table, key, unique, dropped)
    # lookups by id alone that remain (a channel names only the order number, background
    # jobs and some order paths go by id; legacy store tokens carry no store id): plain
    # indexes, allowed on distributed tables, so a single PostgreSQL or SQLite loses nothing
    for table, key in STORE_KEYS.items():
        tx.run(f"CREATE INDEX IF NOT EXISTS {table}_by_id ON {table} ({', '.join(key[1:])})")
    tx.run("CREATE INDEX IF NOT EXISTS stores_token ON stores (token_hash)")


def _rebuild_sqlite(tx: Tx, table: str, key: Sequence[str] | None, unique: list[str], dropped: list[str]) -> None:
    sql = tx.scalar("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?", (table,))
    indexes = [r[0] for r in tx.all("SELECT sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ? "
                                    "AND sql IS NOT NULL", (table,))]
    body = sql[sql.index("(") + 1:sql.rindex(")")]
    for column in unique + dropped:
        body = re.sub(rf"(\b{column}\b[^,]*?)\s+UNIQUE\b", r"\1", body)
    if key:
        body = re.sub(r",\s*PRIMARY KEY\s*\([^)]*\)", "", body)
        body = re.sub(r"\s+PRIMARY KEY\b", "", body)
        body += f", PRIMARY KEY ({', '.join(key)})"
    body += "".join(f", UNIQUE (store_id, {column})" for column in unique)
    cols = ", ".join(r[1] for r in tx.all(f"PRAGMA table_info({table})"))
    tx.run(f"CREATE TABLE {table}__by_store ({body})")
    tx.run(f"INSERT INTO {table}__by_store ({cols}) SELECT {cols} FROM {table}")
    tx.run(f"DROP TABLE {table}")
    tx.run(f"ALTER TABLE {table}__by_store RENAME TO {table}")
    for index in indexes:
        tx.run(index)


def _alter_postgres(tx: Tx, table: str, key: Sequence[str] | None, unique: list[str], dropped: list[str]) -> None:
    if key:
        pk = tx.scalar("SELECT conname FROM pg_constraint WHERE conrelid = to_regclass(?) AND contype = 'p'",
                       (table,))
        tx.run(f"ALTER TABLE {table} DROP CONSTRAINT {pk}, ADD PRIMARY KEY ({', '.join(key)})")
    for column in unique + dropped:
        name = tx.scalar("SELECT c.conname FROM pg_constraint c JOIN pg_attribute a ON a.attrelid = c.conrelid "
                         "AND a.attnum = c.conkey[1] WHERE c.conrelid = to_regclass(?) AND c.contype = 'u' "
                         "AND array_length(c.conkey, 1) = 1 AND a.attname = ?", (table, column))
        tx.run(f"ALTER TABLE {table} DROP CONSTRAINT {name}")
    for column in unique:
        tx.run(f"ALTER TABLE {table} ADD UNIQUE (store_id, {column})")
