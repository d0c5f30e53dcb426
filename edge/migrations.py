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
    -- not unique: HQ keeps codes unique among a store's open orders, but may reuse the code
    -- of an order closed long ago; the lookup prefers open orders
    CREATE INDEX orders_code_hash ON orders(code_hash) WHERE code_hash IS NOT NULL;
    CREATE INDEX orders_phone ON orders(phone_last4);
    CREATE INDEX orders_status_window ON orders(status, window_start);
    CREATE INDEX orders_status_window_end ON orders(status, window_end);
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

    ALTER TABLE orders ADD COLUMN hq_version INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE products ADD COLUMN version INTEGER NOT NULL DEFAULT 0;
    CREATE INDEX outbox_unacked ON outbox(seq) WHERE acked_at IS NULL;

    CREATE TABLE transfers (
        transfer_id TEXT PRIMARY KEY,
        status TEXT NOT NULL CHECK (status IN ('announced', 'received')),
        announced_at TEXT NOT NULL,
        received_at TEXT,
        received_by TEXT
    );
    CREATE TABLE transfer_lines (
        transfer_id TEXT NOT NULL REFERENCES transfers(transfer_id),
        line_no INTEGER NOT NULL,
        sku TEXT NOT NULL,
        lot TEXT NOT NULL,
        expiry TEXT,
        qty INTEGER NOT NULL CHECK (qty > 0),
        PRIMARY KEY (transfer_id, line_no)
    );

    CREATE TABLE tasks (
        task_id TEXT PRIMARY KEY,
        kind TEXT NOT NULL,
        status TEXT NOT NULL,
        order_no TEXT,
        title TEXT NOT NULL DEFAULT '',
        due_at TEXT,
        fields TEXT NOT NULL DEFAULT '{}',
        version INTEGER NOT NULL DEFAULT 0,
        updated_at TEXT NOT NULL
    );
    CREATE INDEX tasks_board ON tasks(status, due_at);
    CREATE INDEX tasks_order ON tasks(order_no) WHERE order_no IS NOT NULL;

    CREATE TABLE conflicts (
        conflict_id TEXT PRIMARY KEY,
        kind TEXT NOT NULL,
        order_no TEXT,
        sku TEXT,
        detail TEXT NOT NULL DEFAULT '',
        source TEXT NOT NULL CHECK (source IN ('store', 'hq')),
        noted_at TEXT NOT NULL,
        acknowledged_at TEXT,
        acknowledged_by TEXT
    );
    CREATE INDEX conflicts_open ON conflicts(noted_at) WHERE acknowledged_at IS NULL;

    CREATE TABLE hq_allotments (
        sku TEXT NOT NULL,
        pool TEXT NOT NULL,
        granted INTEGER NOT NULL,
        locked INTEGER NOT NULL,
        sold INTEGER NOT NULL,
        updated_at TEXT NOT NULL,
        PRIMARY KEY (sku, pool)
    );

    CREATE TABLE sync_skipped (
        change_id TEXT PRIMARY KEY,
        cursor INTEGER,
        type TEXT NOT NULL,
        reason TEXT NOT NULL,
        payload TEXT NOT NULL,
        at TEXT NOT NULL
    );

    CREATE TABLE sync_rejected (
        seq INTEGER PRIMARY KEY,
        event_id TEXT NOT NULL,
        type TEXT NOT NULL,
        reason TEXT NOT NULL,
        at TEXT NOT NULL
    );
    """

# 3: devices (print queue, temperature readings, probe alarms).
# Owned by the devices work; edit only this string until it ships.
_V3_DEVICES = """
    CREATE TABLE print_jobs (
        id INTEGER PRIMARY KEY,
        kind TEXT NOT NULL CHECK (kind IN ('receipt', 'bag_label')),
        ref TEXT NOT NULL,
        printer TEXT NOT NULL DEFAULT 'receipt',
        payload TEXT NOT NULL,
        status TEXT NOT NULL DEFAULT 'queued'
            CHECK (status IN ('queued', 'printing', 'printed', 'failed_waiting', 'cancelled')),
        attempts INTEGER NOT NULL DEFAULT 0,
        last_error TEXT,
        copy_of INTEGER REFERENCES print_jobs(id),
        created_by TEXT NOT NULL,
        created_at TEXT NOT NULL,
        started_at TEXT,
        printed_at TEXT
    );
    CREATE INDEX print_jobs_waiting ON print_jobs(printer, status, id)
        WHERE status IN ('queued', 'printing', 'failed_waiting');
    CREATE INDEX print_jobs_ref ON print_jobs(ref);

    CREATE TABLE fridges (
        probe_id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        zone TEXT NOT NULL CHECK (zone IN ('chilled', 'frozen')),
        min_c REAL,
        max_c REAL NOT NULL,
        grace_s INTEGER NOT NULL,
        silent_s INTEGER NOT NULL,
        active INTEGER NOT NULL DEFAULT 1,
        updated_at TEXT NOT NULL
    );

    CREATE TABLE temperature_readings (
        reading_id TEXT PRIMARY KEY,
        probe_id TEXT NOT NULL,
        celsius REAL NOT NULL,
        seq INTEGER,
        at TEXT NOT NULL,
        received_at TEXT NOT NULL
    );
    CREATE INDEX temperature_readings_probe_at ON temperature_readings(probe_id, at);

    CREATE TABLE probe_alarms (
        id INTEGER PRIMARY KEY,
        uid TEXT NOT NULL UNIQUE,
        probe_id TEXT NOT NULL,
        kind TEXT NOT NULL CHECK (kind IN ('out_of_range', 'silent')),
        started_at TEXT NOT NULL,
        peak_c REAL,
        limit_c REAL,
        raised_at TEXT,
        cleared_at TEXT,
        acknowledged_by TEXT,
        acknowledged_at TEXT,
        note TEXT
    );
    CREATE INDEX probe_alarms_open ON probe_alarms(probe_id, kind) WHERE cleared_at IS NULL;
    CREATE INDEX probe_alarms_unacked ON probe_alarms(raised_at) WHERE acknowledged_at IS NULL;

    CREATE TABLE probe_line_errors (
        port TEXT NOT NULL,
        reason TEXT NOT NULL,
        count INTEGER NOT NULL DEFAULT 0,
        last_at TEXT NOT NULL,
        last_raw TEXT NOT NULL DEFAULT '',
        PRIMARY KEY (port, reason)
    );
    """

# 4: counter sales (with the pickup order they were sold alongside, for the add-on rate)
_V4_SALES = """
    CREATE TABLE sales (
        sale_id TEXT PRIMARY KEY,
        clerk_id TEXT NOT NULL,
        at TEXT NOT NULL,
        total_cents INTEGER NOT NULL,
        with_pickup_order_no TEXT
    );
    CREATE INDEX sales_at ON sales(at);
    CREATE INDEX sales_pickup ON sales(with_pickup_order_no) WHERE with_pickup_order_no IS NOT NULL;

    CREATE TABLE sale_lines (
        sale_id TEXT NOT NULL REFERENCES sales(sale_id),
        line_no INTEGER NOT NULL,
        sku TEXT NOT NULL,
        qty INTEGER NOT NULL CHECK (qty > 0),
        unit_price_cents INTEGER NOT NULL,
        PRIMARY KEY (sale_id, line_no)
    );
    """

# 5: day end. A counter sale records how it was paid (sales by payment method; sales made
# before this version say 'unrecorded'), and the print queue takes documents other than
# receipts and bag labels (the day-end report): the kind is checked by print_jobs.KINDS in
# code, so a new printed document needs no table rebuild. SQLite cannot drop a CHECK, hence
# the copy; copy_of names the new table so the old one can be dropped with foreign keys on.
_V5_DAY_END = """
    ALTER TABLE sales ADD COLUMN payment_method TEXT NOT NULL DEFAULT 'unrecorded';

    CREATE TABLE print_jobs_v5 (
        id INTEGER PRIMARY KEY,
        kind TEXT NOT NULL,
        ref TEXT NOT NULL,
        printer TEXT NOT NULL DEFAULT 'receipt',
        payload TEXT NOT NULL,
        status TEXT NOT NULL DEFAULT 'queued'
            CHECK (status IN ('queued', 'printing', 'printed', 'failed_waiting', 'cancelled')),
        attempts INTEGER NOT NULL DEFAULT 0,
        last_error TEXT,
        copy_of INTEGER REFERENCES print_jobs_v5(id),
        created_by TEXT NOT NULL,
        created_at TEXT NOT NULL,
        started_at TEXT,
        printed_at TEXT
    );
    INSERT INTO print_jobs_v5 SELECT id, kind, ref, printer, payload, status, attempts,
        last_error, copy_of, created_by, created_at, started_at, printed_at FROM print_jobs;
    DROP TABLE print_jobs;
    ALTER TABLE print_jobs_v5 RENAME TO print_jobs;
    CREATE INDEX print_jobs_waiting ON print_jobs(printer, status, id)
        WHERE status IN ('queued', 'printing', 'failed_waiting');
    CREATE INDEX print_jobs_ref ON print_jobs(ref);
    """


# 6: fulfilment (pick and pack): where each product sits on the shelves, how much of each
# line is picked or short, the manager's decision on a short pick, and the store's storage
# slots for packed bags (a default set every store starts with; the demo uses it too).
_V6_FULFIL = """
    ALTER TABLE products ADD COLUMN shelf TEXT;
    ALTER TABLE order_lines ADD COLUMN qty_picked INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE order_lines ADD COLUMN qty_short INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE orders ADD COLUMN short_state TEXT
        CHECK (short_state IS NULL OR short_state IN ('pending', 'wait', 'without'));

    CREATE TABLE storage_slots (
        slot TEXT PRIMARY KEY,
        zone TEXT NOT NULL CHECK (zone IN ('ambient', 'chilled', 'frozen')),
        sort INTEGER NOT NULL
    );
    WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 12)
    INSERT INTO storage_slots (slot, zone, sort)
        SELECT printf('A-%02d', i), 'ambient', i FROM n
        UNION ALL SELECT printf('F-%02d', i), 'chilled', 100 + i FROM n WHERE i <= 8
        UNION ALL SELECT printf('Z-%02d', i), 'frozen', 200 + i FROM n WHERE i <= 6;
    """

# 7: staff lock-outs that end by themselves (growing with repeats) instead of for good
_V7_STAFF = """
    ALTER TABLE clerks ADD COLUMN locked_until TEXT;
    ALTER TABLE clerks ADD COLUMN lockouts INTEGER NOT NULL DEFAULT 0;
    """

# 8: day end reads one day out of a store's whole history: each of its questions is a range
# over an indexed time column (bench/bench_day_end.py: 740x slower after a year without these)
_V8_DAY_END_INDEXES = """
    CREATE INDEX audit_action_at ON audit(action, at);
    CREATE INDEX stock_moves_on_hand_at ON stock_moves(at) WHERE account = 'on_hand';
    CREATE INDEX orders_window_end ON orders(window_end);
    """

# 9: HQ's own id of each order: the store's events about an order name it, so an HQ restored
# from a backup can never apply them to another order that got the same number
_V9_ORDER_UID = """
    ALTER TABLE orders ADD COLUMN hq_uid TEXT;
    """

# 10: events HQ refused as malformed (a 4xx for the event itself) are parked here, not
# lost: the outbox row stays as it was, HQ gets a stand-in under the same seq so the queue
# goes on, and a manager can send a fixed copy again (retried_as: the copy's seq).
_V10_SYNC_PARKED = """
    CREATE TABLE sync_parked (
        seq INTEGER PRIMARY KEY REFERENCES outbox(seq),
        event_id TEXT NOT NULL,
        type TEXT NOT NULL,
        reason TEXT NOT NULL,
        parked_at TEXT NOT NULL,
        retried_as INTEGER,
        retried_by TEXT
    );
    """

# 11: prep suggestions. The last pace HQ reported per live stream (``stream.rate``): used only
# while fresh. Orders by arrival time: the demand history by weekday and hour.
_V11_PREP = """
    CREATE TABLE stream_rates (
        channel TEXT PRIMARY KEY,
        stream_id TEXT NOT NULL,
        started_at TEXT NOT NULL,
        as_of TEXT NOT NULL,
        window_min REAL NOT NULL,
        orders INTEGER NOT NULL,
        orders_per_min REAL NOT NULL,
        units_per_order TEXT NOT NULL,
        received_at TEXT NOT NULL
    );
    CREATE INDEX orders_created_at ON orders(created_at);
    """

# 12: delivery from the store. An order carries where it goes (masked unless the store's own
# clerk carries it: then in full until it closes), by when, who carries it, and the HMAC of
# the customer's delivery code; each bag is a parcel with its own courier and times.
_V12_DELIVERY = """
    ALTER TABLE orders ADD COLUMN delivery_address TEXT;
    ALTER TABLE orders ADD COLUMN courier_mode TEXT
        CHECK (courier_mode IS NULL OR courier_mode IN ('platform', 'store'));
    ALTER TABLE orders ADD COLUMN delivery_code_hash BLOB;
    ALTER TABLE orders ADD COLUMN courier_expected TEXT;
    ALTER TABLE orders ADD COLUMN delivered_at TEXT;
    ALTER TABLE bags ADD COLUMN courier_name TEXT;
    ALTER TABLE bags ADD COLUMN out_at TEXT;
    ALTER TABLE bags ADD COLUMN out_by TEXT;
    CREATE INDEX orders_delivery ON orders(fulfilment, status) WHERE fulfilment = 'delivery';
    """

# 13: pre-sale (issue 11): an order sold ahead of its goods waits for them (presale_state
# 'waiting', off the task board) until a transfer brings them ('released'); a transfer line
# says how many of its units HQ pre-sold and how many arrived (a short delivery)
_V13_PRESALE = """
    ALTER TABLE orders ADD COLUMN presale_state TEXT
        CHECK (presale_state IS NULL OR presale_state IN ('waiting', 'released'));
    CREATE INDEX orders_presale_waiting ON orders(presale_state) WHERE presale_state = 'waiting';
    ALTER TABLE transfer_lines ADD COLUMN presale INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE transfer_lines ADD COLUMN received_qty INTEGER;
    """

MIGRATIONS: list[str] = [_V1_COUNTER, _V2_SYNC, _V3_DEVICES, _V4_SALES, _V5_DAY_END,
                          _V6_FULFIL, _V7_STAFF, _V8_DAY_END_INDEXES, _V9_ORDER_UID,
                          _V10_SYNC_PARKED, _V11_PREP, _V12_DELIVERY, _V13_PRESALE]
