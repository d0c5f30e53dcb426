"""Versioned schema migrations, tracked in SQLite's ``user_version``.

Append new migrations to MIGRATIONS; never edit one that has shipped. Each runs in its own
transaction together with the bump of user_version, so a crash leaves either the old or the
new schema.
"""

from __future__ import annotations

_V1_COUNTER = """
    CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);

    CREATE TABLE stores (
        store_id TEXT PRIMARY KEY,
        name_zh TEXT NOT NULL,
        name_en TEXT NOT NULL
    );

    CREATE TABLE clerks (
        clerk_id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        role TEXT NOT NULL CHECK (role IN ('clerk', 'manager')),
        pin_hash TEXT NOT NULL,
        active INTEGER NOT NULL DEFAULT 1,
        failed_pins INTEGER NOT NULL DEFAULT 0,
        created_at TEXT NOT NULL
    );

    CREATE TABLE products (
        sku TEXT PRIMARY KEY,
        name_zh TEXT NOT NULL,
        name_en TEXT NOT NULL,
        zone TEXT NOT NULL CHECK (zone IN ('ambient', 'chilled', 'frozen')),
        price_cents INTEGER NOT NULL,
        barcode TEXT,
        shelf_life_days INTEGER
    );
    CREATE UNIQUE INDEX products_barcode ON products(barcode) WHERE barcode IS NOT NULL;

    CREATE TABLE orders (
        order_no TEXT PRIMARY KEY,
        store_id TEXT NOT NULL,
        channel TEXT NOT NULL CHECK (channel IN ('live', 'mini', 'counter')),
        fulfilment TEXT NOT NULL DEFAULT 'pickup' CHECK (fulfilment IN ('pickup', 'delivery')),
        customer_masked TEXT NOT NULL,
        customer_initial TEXT NOT NULL,
        phone_last4 TEXT NOT NULL,
        status TEXT NOT NULL,
        payment_status TEXT NOT NULL,
        window_start TEXT NOT NULL,
        window_end TEXT NOT NULL,
        code_hash BLOB,
        made_to_order INTEGER NOT NULL DEFAULT 0,
        total_cents INTEGER NOT NULL DEFAULT 0,
        version INTEGER NOT NULL DEFAULT 1,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        picked_up_at TEXT,
        picked_up_by TEXT,
        verify_ms INTEGER,
        cancel_reason TEXT
    );
    CREATE UNIQUE INDEX orders_code_hash ON orders(code_hash) WHERE code_hash IS NOT NULL;
    CREATE INDEX orders_phone ON orders(phone_last4);
    CREATE INDEX orders_status_window ON orders(status, window_start);
    CREATE INDEX orders_picked_up_at ON orders(picked_up_at) WHERE picked_up_at IS NOT NULL;

    CREATE TABLE order_lines (
        order_no TEXT NOT NULL REFERENCES orders(order_no),
        line_no INTEGER NOT NULL,
        sku TEXT NOT NULL,
        name_zh TEXT NOT NULL,
        name_en TEXT NOT NULL,
        qty INTEGER NOT NULL CHECK (qty > 0),
        zone TEXT NOT NULL CHECK (zone IN ('ambient', 'chilled', 'frozen')),
        unit_price_cents INTEGER NOT NULL DEFAULT 0,
        qty_not_taken INTEGER NOT NULL DEFAULT 0,
        not_taken_reason TEXT,
        PRIMARY KEY (order_no, line_no)
    );

    CREATE TABLE bags (
        order_no TEXT NOT NULL REFERENCES orders(order_no),
        zone TEXT NOT NULL CHECK (zone IN ('ambient', 'chilled', 'frozen')),
        bag_no INTEGER NOT NULL,
        slot TEXT,
        packed_at TEXT,
        packed_by TEXT,
        PRIMARY KEY (order_no, zone)
    );

    CREATE TABLE lots (
        sku TEXT NOT NULL,
        lot TEXT NOT NULL,
        expiry TEXT,
        received_at TEXT NOT NULL,
        PRIMARY KEY (sku, lot)
    );

    CREATE TABLE stock_moves (
        move_id TEXT PRIMARY KEY,
        sku TEXT NOT NULL,
        lot TEXT,
        account TEXT NOT NULL CHECK (account IN ('on_hand', 'allotment', 'reserved', 'presale')),
        qty INTEGER NOT NULL,
        kind TEXT NOT NULL,
        ref TEXT,
        reason TEXT,
        actor TEXT NOT NULL,
        at TEXT NOT NULL
    );
    CREATE INDEX stock_moves_balance ON stock_moves(sku, account, lot);

    CREATE TABLE audit (
        id INTEGER PRIMARY KEY,
        at TEXT NOT NULL,
        actor TEXT NOT NULL,
        action TEXT NOT NULL,
        entity TEXT NOT NULL,
        detail TEXT NOT NULL DEFAULT '{}'
    );
    CREATE INDEX audit_entity ON audit(entity);

    CREATE TABLE outbox (
        seq INTEGER PRIMARY KEY,
        event_id TEXT NOT NULL UNIQUE,
        type TEXT NOT NULL,
        entity TEXT NOT NULL,
        base_version INTEGER,
        payload TEXT NOT NULL,
        schema INTEGER NOT NULL,
        store_clock TEXT NOT NULL,
        acked_at TEXT
    );
    """

# 2: sync with HQ (sync client state, products/transfers/tasks/conflicts from HQ).
# Owned by the sync work; edit only this string until it ships.
_V2_SYNC = """
    CREATE TABLE sync_state (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    """

# 3: devices (print queue, temperature readings, probe alarms).
# Owned by the devices work; edit only this string until it ships.
_V3_DEVICES = """
    CREATE TABLE print_jobs (id INTEGER PRIMARY KEY);
    """

MIGRATIONS: list[str] = [_V1_COUNTER, _V2_SYNC, _V3_DEVICES]
