"""HQ tables, in SQL both SQLite and PostgreSQL accept (BIGINT, TEXT, DOUBLE PRECISION).

Adding a schema change (read this first)
----------------------------------------
Append ONE step to ``STEPS`` at the end: ``("what it is for", (sql, sql, python_fn, ...))``.
Never edit or reorder a step that has landed on main: databases out there have applied it.
Each step runs once, in its own transaction with its ``schema_version`` row, under a lock
(``migrator.py``), on SQLite and PostgreSQL alike, so write portable SQL (BIGINT, TEXT,
DOUBLE PRECISION; ``ALTER TABLE ... ADD COLUMN`` with a DEFAULT when NOT NULL). A Python
callable ``fn(tx)`` may backfill rows. If main gained a step while you worked, renumber yours
to follow it (rebase). ``tests/sync/test_hq_schema_migrate.py`` migrates the first schema
with data to today's on both engines: extend its data when your step reshapes a table.

Quantities are ledgers (``stock_moves``) with a derived per-SKU level kept beside them;
``stores.change_seq`` is the per-store change cursor, bumped under the store's row lock in
the transaction that writes the change (that is what keeps pulls gapless on PostgreSQL).
"""

from __future__ import annotations

import secrets
from datetime import datetime, timezone

from .db import Database, Tx
from .migrator import Step, migrate_steps
from .rekey import rekey_by_store

# 1: the schema HQ first shipped (commit 9218439), exactly
_V1_FIRST: tuple[str, ...] = (
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
    "CREATE INDEX IF NOT EXISTS events_event_id ON events (event_id)",
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
        reminded BIGINT NOT NULL DEFAULT 0)""",
    "CREATE INDEX IF NOT EXISTS orders_payment ON orders (payment_status, placed_at)",
    "CREATE INDEX IF NOT EXISTS orders_store ON orders (store_id, status)",
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
    """CREATE TABLE IF NOT EXISTS notifications (
        notification_id TEXT PRIMARY KEY, store_id TEXT NOT NULL, order_no TEXT,
        kind TEXT NOT NULL, payload TEXT NOT NULL, status TEXT NOT NULL,
        attempts BIGINT NOT NULL DEFAULT 0, next_attempt_at DOUBLE PRECISION NOT NULL,
        last_error TEXT, created_at TEXT NOT NULL, delivered_at TEXT)""",
    "CREATE INDEX IF NOT EXISTS notifications_due ON notifications (status, next_attempt_at)",
)


def _v1_epoch(tx: Tx) -> None:
    tx.run("INSERT INTO meta (key, value) VALUES ('epoch', ?) ON CONFLICT (key) DO NOTHING", (new_epoch(),))


def _v2_order_notifications(tx: Tx) -> None:
    """Notifications written before ``ord`` existed keep the order they were written in."""
    rows = tx.all("SELECT notification_id FROM notifications ORDER BY created_at, notification_id")
    tx.many("UPDATE notifications SET ord = ? WHERE notification_id = ?",
            [(i, row[0]) for i, row in enumerate(rows, 1)])


def _v5_order_series(tx: Tx) -> None:
    tx.run("INSERT INTO meta (key, value) VALUES ('order_series', ?) ON CONFLICT (key) DO NOTHING",
           (new_order_series(None),))


STEPS: tuple[Step, ...] = (
    ("first HQ schema", (*_V1_FIRST, _v1_epoch)),
    ("notifications go out per order in the order they were written; order lookups by code "
     "and window", (
        "ALTER TABLE notifications ADD COLUMN ord BIGINT NOT NULL DEFAULT 0",
        _v2_order_notifications,
        "DROP INDEX IF EXISTS notifications_due",
        "CREATE INDEX IF NOT EXISTS notifications_pending ON notifications (status, next_attempt_at)",
        "CREATE INDEX IF NOT EXISTS notifications_order ON notifications (order_no, ord)",
        "CREATE INDEX IF NOT EXISTS orders_code ON orders (store_id, pickup_code)",
        "CREATE INDEX IF NOT EXISTS orders_window ON orders (status, window_end)")),
    ("day-end reports from stores", (
        """CREATE TABLE IF NOT EXISTS day_reports (
        store_id TEXT NOT NULL, day TEXT NOT NULL, payload TEXT NOT NULL,
        event_seq BIGINT NOT NULL, received_at TEXT NOT NULL,
        PRIMARY KEY (store_id, day))""",)),
    ("pick and pack: the chain's shelf plan, short picks and their decisions", (
        """CREATE TABLE IF NOT EXISTS catalog_shelves (
        sku TEXT PRIMARY KEY, shelf TEXT NOT NULL)""",
        """CREATE TABLE IF NOT EXISTS order_shorts (
        order_no TEXT NOT NULL, line_no BIGINT NOT NULL, store_id TEXT NOT NULL,
        sku TEXT, qty BIGINT NOT NULL, status TEXT NOT NULL, decided_by TEXT,
        updated_at TEXT NOT NULL, PRIMARY KEY (order_no, line_no))""")),
    ("order identity across restores: HQ's own order id, code hash of a given-back order, "
     "order-number series", (
        "ALTER TABLE orders ADD COLUMN order_uid TEXT",
        "ALTER TABLE orders ADD COLUMN code_hash TEXT",
        _v5_order_series)),
    ("store tokens expire and can be revoked", (
        "ALTER TABLE stores ADD COLUMN token_expires_at TEXT",
        "ALTER TABLE stores ADD COLUMN revoked_at TEXT")),
    ("event ids are scoped per store", (
        "CREATE INDEX IF NOT EXISTS events_store_event_id ON events (store_id, event_id)",
        "DROP INDEX IF EXISTS events_event_id")),
    ("versioned schema: the pre-versioning fingerprint is retired",
     ("DELETE FROM meta WHERE key = 'schema'",)),
    ("stream.rate: a store's live-stream orders of the last minutes (stream.publish_rates)",
     ("CREATE INDEX IF NOT EXISTS orders_placed ON orders (channel, placed_at)",)),
    ("delivery from the store: the full address (HQ and the courier platform only), courier "
     "mode, the customer's delivery code; one parcel per zone bag; the courier platform's jobs "
     "(sync/hq/delivery.py, courier.py)", (
        "ALTER TABLE orders ADD COLUMN delivery_address TEXT",
        "ALTER TABLE orders ADD COLUMN courier_mode TEXT",
        "ALTER TABLE orders ADD COLUMN delivery_code TEXT",
        """CREATE TABLE IF NOT EXISTS parcels (
        order_no TEXT NOT NULL, zone TEXT NOT NULL, store_id TEXT NOT NULL,
        status TEXT NOT NULL, courier_name TEXT, out_at TEXT, delivered_at TEXT,
        PRIMARY KEY (order_no, zone))""",
        """CREATE TABLE IF NOT EXISTS courier_jobs (
        order_no TEXT PRIMARY KEY, store_id TEXT NOT NULL, status TEXT NOT NULL,
        courier_name TEXT, attempts BIGINT NOT NULL DEFAULT 0, last_error TEXT,
        next_try_at DOUBLE PRECISION NOT NULL DEFAULT 0,
        created_at TEXT NOT NULL, updated_at TEXT NOT NULL)""",
        "CREATE INDEX IF NOT EXISTS courier_jobs_due ON courier_jobs (status, next_try_at)")),
    ("when each store last talked to HQ (contact.py; /metrics)", (
        """CREATE TABLE store_contact (
        store_id TEXT PRIMARY KEY, last_contact DOUBLE PRECISION NOT NULL)""",)),
    ("every table keyed by store_id first (Citus / partitioning by store; rekey.py)", (rekey_by_store,)),
)


def migrate(db: Database, target: int | None = None) -> int:
    """Bring HQ's database to this code's schema (or to step ``target``); returns the
    version. Safe on every start and from several processes at once; refuses a database
    newer than this code (``migrator.SchemaTooNew``)."""
    return migrate_steps(db, STEPS, target)


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
