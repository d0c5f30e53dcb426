"""A real store on disk for tests: building one, feeding it orders, and checking its books.

Used by ``tests/conftest.py`` (fixtures), by the edge domain tests, and as the program the
multi-process tests start (``python -m tests.support.edge_store ...``): a real OS process
with its own SQLite connection, as a second terminal or a crashing one would be.
"""

from __future__ import annotations

import json
import shutil
import sys
from collections import Counter
from datetime import datetime, timedelta, timezone
from pathlib import Path

from edge.clock import parse_iso
from edge.db import write_tx
from edge.domain import clerks, orders, stock
from edge.store import Store, init_store
from sync.pickup_code import make_pickup_code

ROOT = Path(__file__).resolve().parents[2]

# A fixed "now" for domain tests, so windows and verdicts never depend on the wall clock.
NOW = datetime(2026, 6, 1, 10, 0, tzinfo=timezone.utc)

STORE_ID = "S001"
STORE_NAMES = ("静安寺店", "Jing'an Temple")
OTHER_STORE = ("S002", "徐汇滨江店", "Xuhui Riverside")
CLERK = ("c01", "王芳", "clerk", "1111")
MANAGER = ("m01", "张经理", "manager", "9999")
# sku, name_zh, name_en, zone
PRODUCTS = [
    ("B001", "法式牛角包", "Butter croissant", "ambient"),
    ("D001", "鲜牛奶 950ml", "Fresh milk 950ml", "chilled"),
    ("M001", "澳洲和牛西冷", "Australian wagyu sirloin", "frozen"),
]
SKUS = [p[0] for p in PRODUCTS]
# sku, lot, expiry, qty: two lots per SKU; the one received first expires LAST (FEFO ≠ FIFO)
LOTS = [
    ("B001", "L-late", "2026-06-10", 30), ("B001", "L-early", "2026-06-03", 20),
    ("D001", "L-late", "2026-06-20", 30), ("D001", "L-early", "2026-06-05", 20),
    ("M001", "L-late", "2027-06-01", 30), ("M001", "L-early", "2027-01-01", 20),
]
ALLOTMENT = 30  # per SKU, granted to HQ; online orders reserve out of it


def build_store(data_dir: Path, now: datetime = NOW) -> Store:
    """A fresh, stocked store S001 with clerk c01 (1111), manager m01 (9999), neighbour S002."""
    store = init_store(data_dir, STORE_ID, *STORE_NAMES)
    db = store.db
    with write_tx(db):
        db.execute("INSERT INTO stores VALUES (?,?,?)", list(OTHER_STORE))
        for sku, zh, en, zone in PRODUCTS:
            db.execute("INSERT INTO products (sku, name_zh, name_en, zone, price_cents)"
                       " VALUES (?,?,?,?,?)", [sku, zh, en, zone, 1000])
    for clerk_id, name, role, pin in (CLERK, MANAGER):
        clerks.add_clerk(db, clerk_id, name, pin, role=role, now=now - timedelta(days=30))
    for i, (sku, lot, expiry, qty) in enumerate(LOTS):
        stock.receive(db, sku=sku, lot=lot, qty=qty, expiry=expiry, actor="m01",
                      now=now - timedelta(days=3) + timedelta(hours=i))
    for sku in SKUS:
        stock.grant_allotment(db, sku=sku, qty=ALLOTMENT, actor="m01", now=now - timedelta(days=2))
    return store


class StoreTemplates:
    """Stores built once (PIN hashing is slow on purpose, seeding takes a while) and handed
    out as fresh copies: each copy is a closed store directory copied file by file."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.built: dict[str, Path] = {}

    def copy(self, name: str, build, dest: Path) -> Store:
        """A fresh open copy of the store ``build(path)`` makes (built on first use)."""
        if name not in self.built:
            path = self.root / name
            build(path).close()
            self.built[name] = path
        shutil.copytree(self.built[name], dest)
        return Store.open(dest)


def order_data(order_no: str, *, code: str | None = None, store_id: str = STORE_ID,
               lines: list[tuple[str, int]] | None = None, phone_last4: str = "1234",
               customer: str = "王**", window_start: datetime | None = None,
               window_end: datetime | None = None, now: datetime = NOW, **extra) -> dict:
    """The HQ ``order.allocated`` shape for receive_order; ``lines`` are (sku, qty)."""
    by_sku = {p[0]: p for p in PRODUCTS}
    lines = lines or [("B001", 2), ("D001", 1)]
    return {
        "order_no": order_no, "store_id": store_id, "channel": "live",
        "customer_masked": customer, "phone_last4": phone_last4,
        "window_start": (window_start or now - timedelta(hours=1)).isoformat(),
        "window_end": (window_end or now + timedelta(hours=5)).isoformat(),
        "pickup_code": code if code is not None else make_pickup_code(),
        "lines": [{"line_no": i, "sku": sku, "name_zh": by_sku[sku][1], "name_en": by_sku[sku][2],
                   "qty": qty, "zone": by_sku[sku][3], "unit_price_cents": 1000}
                  for i, (sku, qty) in enumerate(lines, start=1)],
        **extra,
    }


def make_ready(store: Store, order_no: str, now: datetime = NOW) -> orders.Order:
    """Prepare and pack every bag of an order, so it is ready for pickup."""
    orders.start_preparing(store.db, order_no, actor="c01", now=now - timedelta(minutes=30))
    for bag in orders.get_order(store.db, order_no).bags:
        orders.pack_bag(store.db, order_no, bag.zone, f"{bag.zone[:1].upper()}-1{bag.bag_no:02d}",
                        actor="c01", now=now - timedelta(minutes=20))
    order = orders.get_order(store.db, order_no)
    assert order.status == "ready", order.status
    return order


def add_ready_orders(store: Store, n: int, *, prefix: str = "R", now: datetime = NOW,
                     lines: list[tuple[str, int]] | None = None) -> list[str]:
    """``n`` ready orders received and packed in one transaction (fast: one fsync)."""
    numbers = [f"{prefix}{i:05d}" for i in range(1, n + 1)]
    with write_tx(store.db):
        for order_no in numbers:
            orders.receive_order(store.db, store.pickup_key,
                                 order_data(order_no, now=now, lines=lines),
                                 now=now - timedelta(hours=3))
            make_ready(store, order_no, now=now)
    return numbers


# --- reading the books ----------------------------------------------------------------------

def dump(store_or_db) -> dict[str, list[tuple]]:
    """Every row of every table, sorted: compare two dumps to prove nothing changed."""
    db = getattr(store_or_db, "db", store_or_db)
    tables = [r[0] for r in db.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")]
    result = {}
    for table in sorted(tables):
        rows = db.execute(f"SELECT * FROM [{table}]").fetchall()
        result[table] = sorted(rows, key=repr)
    result["_user_version"] = [db.execute("PRAGMA user_version").fetchone()]
    return result


def outbox_seqs(db) -> list[int]:
    return [r[0] for r in db.execute("SELECT seq FROM outbox ORDER BY seq")]


def assert_outbox_gapless(db) -> None:
    seqs = outbox_seqs(db)
    assert seqs == list(range(1, len(seqs) + 1)), f"outbox seq has gaps: {seqs}"


def reserved_by_sku(db) -> dict[str, int]:
    rows = db.execute("SELECT sku, SUM(qty) FROM stock_moves WHERE account = 'reserved'"
                      " GROUP BY sku").fetchall()
    return {sku: qty for sku, qty in rows if qty}


def open_line_qty_by_sku(db, store_id: str = STORE_ID) -> dict[str, int]:
    """Units the open orders of this store still hold (what ``reserved`` must equal)."""
    terminal = tuple(orders.TERMINAL)
    rows = db.execute(
        "SELECT l.sku, SUM(l.qty) FROM order_lines l JOIN orders o USING (order_no)"
        f" WHERE o.store_id = ? AND o.status NOT IN ({','.join('?' * len(terminal))})"
        " GROUP BY l.sku", [store_id, *terminal]).fetchall()
    return {sku: qty for sku, qty in rows if qty}


def assert_reserved_consistent(db, store_id: str = STORE_ID) -> None:
    assert reserved_by_sku(db) == open_line_qty_by_sku(db, store_id)


def handed_over_events(db) -> Counter:
    return Counter(r[0] for r in db.execute(
        "SELECT json_extract(payload, '$.order_no') FROM outbox WHERE type = 'order.handed_over'"))


def status_trail(db, order_no: str) -> list[tuple[str, str]]:
    """(from, to) of each status change in the audit trail, oldest first."""
    trail = []
    for action, detail in db.execute(
            "SELECT action, detail FROM audit WHERE entity = ? ORDER BY id", [f"order:{order_no}"]):
        status = action.removeprefix("order.")
        if status in orders.STATUSES:
            trail.append((json.loads(detail)["from"], status))
    return trail


def received_status(db, order_no: str) -> str:
    row = db.execute("SELECT detail FROM audit WHERE entity = ? AND action = 'order.received'",
                     [f"order:{order_no}"]).fetchone()
    return json.loads(row[0])["status"]


# --- programs for the multi-process tests -------------------------------------------------------

def open_race_worker(paths: list[str], barrier, results) -> None:
    """Open (create, migrate) each fresh database file at the same moment as another process."""
    from edge.db import connect, schema_version

    for path in paths:
        barrier.wait()
        try:
            db = connect(path)
            results.put((path, schema_version(db), db.execute("PRAGMA journal_mode").fetchone()[0]))
            db.close()
        except Exception as exc:  # noqa: BLE001 - the parent asserts there is none
            results.put((path, "error", repr(exc)))


def race_worker(data_dir: str, order_nos: list[str], clerk_id: str, now_iso: str,
                barrier, results) -> None:
    """One terminal: for each order, wait for the other terminal, then both hand over at once."""
    from edge.domain import pickup
    from edge.domain.errors import DomainError

    store = Store.open(data_dir)
    now = parse_iso(now_iso)
    for order_no in order_nos:
        barrier.wait()
        try:
            pickup.hand_over(store, order_no, clerk_id, now=now)
            results.put((order_no, clerk_id, "won"))
        except DomainError as exc:
            results.put((order_no, clerk_id, exc.code))
    store.close()


def handover_loop(data_dir: str, now_iso: str, order_nos: list[str]) -> None:
    """Hand over each order, printing its number once hand_over has returned (the ack)."""
    from edge.domain import pickup

    store = Store.open(data_dir)
    now = parse_iso(now_iso)
    print("started", flush=True)
    for order_no in order_nos:
        pickup.hand_over(store, order_no, "c01", scanned_at=now - timedelta(seconds=2), now=now)
        print(order_no, flush=True)


def worker_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "tests.support.edge_store", *args]


if __name__ == "__main__":
    if sys.argv[1] == "handover-loop":
        handover_loop(sys.argv[2], sys.argv[3], sys.argv[4:])
    else:
        raise SystemExit(f"unknown program {sys.argv[1]}")
