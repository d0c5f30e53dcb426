"""HQ tables, in SQL both SQLite and PostgreSQL accept (BIGINT, TEXT, DOUBLE PRECISION).

Quantities are ledgers (``stock_moves``) with a derived per-SKU level kept beside them;
``stores.change_seq`` is the per-store change cursor, bumped under the store's row lock in
the transaction that writes the change (that is what keeps pulls gapless on PostgreSQL).
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timezone

from .db import Database, Tx

STATEMENTS: tuple[str, ...] = (
    """CREATE TABLE IF NOT EXISTS meta (
        key TEXT PRIMARY KEY, value TEXT NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS stores (
        store_id TEXT PRIMARY KEY, name TEXT NOT NULL DEFAULT '',
        token_hash TEXT NOT NULL UNIQUE,
        last_seq BIGINT NOT NULL DEFAULT 0,
        change_seq BIGINT NOT NULL DEFAULT 0,
        pruned_through BIGINT NOT NULL DEFAULT 0,
        order_seq BIGINT NOT NULL DEFAULT 0,
        created_at TEXT NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS channels (
        name TEXT PRIMARY KEY, kind TEXT NOT NULL, key_hash TEXT NOT NULL UNIQUE,
        created_at TEXT NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS events (
        store_id TEXT NOT NULL, seq BIGINT NOT NULL, event_id TEXT NOT NULL,
        type TEXT NOT NULL, entity TEXT NOT NULL, base_version BIGINT,
        payload TEXT NOT NULL, schema_version BIGINT NOT NULL, store_clock TEXT,
        digest TEXT NOT NULL, outcome TEXT NOT NULL, reason TEXT,
        received_at TEXT NOT NULL, PRIMARY KEY (store_id, seq))""",
    # event ids are scoped per store (ingest._known_ids looks them up by store)
    "CREATE INDEX IF NOT EXISTS events_store_event_id ON events (store_id, event_id)",
    "DROP INDEX IF EXISTS events_event_id",
    """CREATE TABLE IF NOT EXISTS changes (
        store_id TEXT NOT NULL, cursor BIGINT NOT NULL, change_id TEXT NOT NULL,
        type TEXT NOT NULL, payload TEXT NOT NULL, created_at TEXT NOT NULL,
        PRIMARY KEY (store_id, cursor))""",
    """CREATE TABLE IF NOT EXISTS catalog (
        sku TEXT PRIMARY KEY, name_zh TEXT NOT NULL, name_en TEXT NOT NULL,
        zone TEXT NOT NULL, price_cents BIGINT NOT NULL, barcode TEXT,
        shelf_life_days BIGINT, version BIGINT NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS orders (
        order_no TEXT PRIMARY KEY, store_id TEXT NOT NULL, request_key TEXT UNIQUE,
        channel TEXT NOT NULL, channel_name TEXT NOT NULL,
        customer_name TEXT NOT NULL, phone TEXT NOT NULL,
        status TEXT NOT NULL, payment_status TEXT NOT NULL, fulfilment TEXT NOT NULL,
        window_start TEXT NOT NULL, window_end TEXT NOT NULL, pickup_code TEXT NOT NULL,
        made_to_order BIGINT NOT NULL, presale BIGINT NOT NULL, version BIGINT NOT NULL,
        placed_at TEXT NOT NULL, paid_at TEXT, handed_over_at TEXT, cancel_reason TEXT,
        reminded BIGINT NOT NULL DEFAULT 0, order_uid TEXT, code_hash TEXT)""",
    "CREATE INDEX IF NOT EXISTS orders_payment ON orders (payment_status, placed_at)",
    "CREATE INDEX IF NOT EXISTS orders_store ON orders (store_id, status)",
    "CREATE INDEX IF NOT EXISTS orders_code ON orders (store_id, pickup_code)",
    "CREATE INDEX IF NOT EXISTS orders_window ON orders (status, window_end)",
    """CREATE TABLE IF NOT EXISTS order_lines (
        order_no TEXT NOT NULL, line_no BIGINT NOT NULL, sku TEXT NOT NULL,
        name_zh TEXT NOT NULL, name_en TEXT NOT NULL, qty BIGINT NOT NULL,
        zone TEXT NOT NULL, unit_price_cents BIGINT NOT NULL,
        PRIMARY KEY (order_no, line_no))""",
    """CREATE TABLE IF NOT EXISTS allotments (
        store_id TEXT NOT NULL, sku TEXT NOT NULL, pool TEXT NOT NULL,
        granted BIGINT NOT NULL DEFAULT 0, locked BIGINT NOT NULL DEFAULT 0,
        sold BIGINT NOT NULL DEFAULT 0, PRIMARY KEY (store_id, sku, pool))""",
    """CREATE TABLE IF NOT EXISTS stock_moves (
        store_id TEXT NOT NULL, move_id TEXT NOT NULL, sku TEXT NOT NULL, lot TEXT,
        qty BIGINT NOT NULL, kind TEXT NOT NULL, ref TEXT, event_seq BIGINT NOT NULL,
        PRIMARY KEY (store_id, move_id))""",
    """CREATE TABLE IF NOT EXISTS stock_levels (
        store_id TEXT NOT NULL, sku TEXT NOT NULL, qty BIGINT NOT NULL,
        PRIMARY KEY (store_id, sku))""",
    """CREATE TABLE IF NOT EXISTS tasks (
        task_id TEXT PRIMARY KEY, store_id TEXT NOT NULL, kind TEXT NOT NULL,
        order_no TEXT, status TEXT NOT NULL, title TEXT NOT NULL, due_at TEXT,
        fields TEXT NOT NULL, version BIGINT NOT NULL, updated_at TEXT NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS conflicts (
        conflict_id TEXT PRIMARY KEY, store_id TEXT NOT NULL, kind TEXT NOT NULL,
        order_no TEXT, sku TEXT, detail TEXT NOT NULL, status TEXT NOT NULL,
        created_at TEXT NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS temperature_readings (
        store_id TEXT NOT NULL, reading_id TEXT NOT NULL, probe_id TEXT NOT NULL,
        celsius DOUBLE PRECISION NOT NULL, at TEXT NOT NULL,
        PRIMARY KEY (store_id, reading_id))""",
    """CREATE TABLE IF NOT EXISTS alarms (
        store_id TEXT NOT NULL, alarm_id TEXT NOT NULL, probe_id TEXT NOT NULL,
        raised_at TEXT NOT NULL, celsius DOUBLE PRECISION, limit_celsius DOUBLE PRECISION,
        acknowledged_by TEXT, acknowledged_at TEXT, PRIMARY KEY (store_id, alarm_id))""",
    """CREATE TABLE IF NOT EXISTS sales (
        store_id TEXT NOT NULL, sale_id TEXT NOT NULL, total_cents BIGINT NOT NULL,
        clerk_id TEXT NOT NULL, with_pickup_order_no TEXT, lines TEXT NOT NULL,
        PRIMARY KEY (store_id, sale_id))""",
    """CREATE TABLE IF NOT EXISTS transfers (
        transfer_id TEXT PRIMARY KEY, store_id TEXT NOT NULL, lines TEXT NOT NULL,
        created_at TEXT NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS audit (
        store_id TEXT NOT NULL, event_seq BIGINT NOT NULL, action TEXT NOT NULL,
        manager_id TEXT NOT NULL, reason TEXT NOT NULL, ref TEXT, at TEXT,
        PRIMARY KEY (store_id, event_seq))""",
    """CREATE TABLE IF NOT EXISTS day_reports (
        store_id TEXT NOT NULL, day TEXT NOT NULL, payload TEXT NOT NULL,
        event_seq BIGINT NOT NULL, received_at TEXT NOT NULL,
        PRIMARY KEY (store_id, day))""",
    """CREATE TABLE IF NOT EXISTS notifications (
        notification_id TEXT PRIMARY KEY, store_id TEXT NOT NULL, order_no TEXT,
        kind TEXT NOT NULL, payload TEXT NOT NULL, status TEXT NOT NULL,
        attempts BIGINT NOT NULL DEFAULT 0, next_attempt_at DOUBLE PRECISION NOT NULL,
        last_error TEXT, created_at TEXT NOT NULL, delivered_at TEXT, ord BIGINT NOT NULL)""",
    "CREATE INDEX IF NOT EXISTS notifications_pending ON notifications (status, next_attempt_at)",
    "CREATE INDEX IF NOT EXISTS notifications_order ON notifications (order_no, ord)",
    # the chain's shelf plan: where a product sits on a store's shelves (the pick walk)
    """CREATE TABLE IF NOT EXISTS catalog_shelves (
        sku TEXT PRIMARY KEY, shelf TEXT NOT NULL)""",
    # units a store found missing at pick time, and its manager's decision (refund on pickup)
    """CREATE TABLE IF NOT EXISTS order_shorts (
        order_no TEXT NOT NULL, line_no BIGINT NOT NULL, store_id TEXT NOT NULL,
        sku TEXT, qty BIGINT NOT NULL, status TEXT NOT NULL, decided_by TEXT,
        updated_at TEXT NOT NULL, PRIMARY KEY (order_no, line_no))""",
)


# columns added after a table first shipped: (table, column, SQL type)
ADDED_COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("orders", "order_uid", "TEXT"),  # HQ's own id of an order: events must name it
    ("orders", "code_hash", "TEXT"),  # an order a store gave back: its code hash, never the code
    ("stores", "token_expires_at", "TEXT"),  # NULL: the token never expires
    ("stores", "revoked_at", "TEXT"),  # hq revoke-store: cut off until a new token is issued
)


def _columns(tx: Tx, table: str) -> set[str]:
    if tx.dialect == "sqlite":
        return {row[1] for row in tx.all(f"PRAGMA table_info({table})")}
    return {row[0] for row in tx.all("SELECT column_name FROM information_schema.columns "
                                     "WHERE table_schema = current_schema() AND table_name = ?",
                                     (table,))}


def _fingerprint() -> str:
    return hashlib.sha256(repr((STATEMENTS, ADDED_COLUMNS)).encode()).hexdigest()[:16]


def _current(db: Database) -> bool:
    """The schema is already this version's: no DDL needed. An HQ process that starts beside
    running ones must not take table locks (on PostgreSQL, DDL in the middle of their
    transactions can deadlock and stop the starting process)."""
    try:
        with db.tx(snapshot=True) as tx:
            return tx.scalar("SELECT value FROM meta WHERE key = 'schema'") == _fingerprint()
    except Exception:  # noqa: BLE001 - no meta table yet (a new database)
        return False


def migrate(db: Database) -> None:
    """Create missing tables, columns, the epoch and the order-number series (idempotent;
    safe on every start; nothing to do when the schema is current)."""
    if _current(db):
        return
    db.executescript(STATEMENTS)
    with db.tx() as tx:
        tx.run("INSERT INTO meta (key, value) VALUES ('schema', ?) ON CONFLICT (key) DO UPDATE "
               "SET value = excluded.value", (_fingerprint(),))
        for table, column, kind in ADDED_COLUMNS:
            if column not in _columns(tx, table):
                tx.run(f"ALTER TABLE {table} ADD COLUMN {column} {kind}")
        tx.run(
            "INSERT INTO meta (key, value) VALUES ('epoch', ?) ON CONFLICT (key) DO NOTHING",
            (new_epoch(),),
        )
        tx.run("INSERT INTO meta (key, value) VALUES ('order_series', ?) ON CONFLICT (key) DO NOTHING",
               (new_order_series(None),))


def new_epoch() -> str:
    """Epochs are random so a restored-then-bumped HQ never reuses an epoch stores saw."""
    return secrets.token_hex(6)


_BASE36 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
_SERIES_ORIGIN = datetime(2025, 1, 1, tzinfo=timezone.utc)


def new_order_series(previous: str | None, now: datetime | None = None) -> str:
    """The part of every order number that changes when HQ is restored (``hq bump-epoch``).

    Milliseconds since 2025 in base 36: a series started later is always a larger number,
    so the series a restored HQ starts can never be one a lost HQ state already used (the
    backup holds an older series; the lost ones all began before this moment). Never below
    ``previous`` + 1, whatever the clock says."""
    moment = now or datetime.now(timezone.utc)
    value = int((moment - _SERIES_ORIGIN).total_seconds() * 1000)
    if previous:
        value = max(value, int(previous, 36) + 1)
    digits = ""
    while True:
        value, rest = divmod(value, 36)
        digits = _BASE36[rest] + digits
        if not value:
            return digits
