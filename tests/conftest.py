"""Shared fixtures: real stores on disk, the demo store, and PostgreSQL when it is there.

- ``store``: a fresh store in tmp_path (S001) with clerk c01 (PIN 1111), manager m01
  (PIN 9999), neighbour store S002, and stock of a few products (see ``PRODUCTS``/``LOTS``).
- ``demo_store``: ``edge.demo.seed(tmp_path / 'd', n_orders=120)``.
- ``postgres``: a psycopg connection to postgresql://postgres@127.0.0.1:5432/test; skips
  with the reason when PostgreSQL is not reachable, FAILS instead when ``CI=true``.
- ``make_order``: a factory that receives an order through the domain, with its code.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from edge.db import write_tx
from edge.domain import clerks, orders, stock
from edge.store import Store, init_store
from sync.pickup_code import make_pickup_code

POSTGRES_DSN = os.environ.get("STORE_EDGE_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")

# A fixed "now" for domain tests, so windows and verdicts never depend on the wall clock.
NOW = datetime(2026, 6, 1, 10, 0, tzinfo=timezone.utc)

STORE_ID = "S001"
OTHER_STORE = ("S002", "徐汇滨江店", "Xuhui Riverside")
CLERK = ("c01", "王芳", "clerk", "1111")
MANAGER = ("m01", "张经理", "manager", "9999")
# sku, name_zh, name_en, zone
PRODUCTS = [
    ("B001", "法式牛角包", "Butter croissant", "ambient"),
    ("D001", "鲜牛奶 950ml", "Fresh milk 950ml", "chilled"),
    ("M001", "澳洲和牛西冷", "Australian wagyu sirloin", "frozen"),
]
# sku, lot, expiry, qty: two lots per SKU, the later-received one expiring first (FEFO test)
LOTS = [
    ("B001", "L-late", "2026-06-10", 30), ("B001", "L-early", "2026-06-03", 20),
    ("D001", "L-late", "2026-06-20", 30), ("D001", "L-early", "2026-06-05", 20),
    ("M001", "L-late", "2027-06-01", 30), ("M001", "L-early", "2027-01-01", 20),
]
ALLOTMENT = 30  # per SKU, granted to HQ: online orders reserve out of it


def build_store(data_dir: Path, now: datetime = NOW) -> Store:
    """A fresh, stocked store with one clerk and one manager (used by fixtures and workers)."""
    store = init_store(data_dir, STORE_ID, "静安寺店", "Jing'an Temple")
    db = store.db
    with write_tx(db):
        db.execute("INSERT INTO stores VALUES (?,?,?)", list(OTHER_STORE))
        for sku, zh, en, zone in PRODUCTS:
            db.execute("INSERT INTO products (sku, name_zh, name_en, zone, price_cents)"
                       " VALUES (?,?,?,?,?)", [sku, zh, en, zone, 1000])
    for clerk_id, name, role, pin in (CLERK, MANAGER):
        clerks.add_clerk(db, clerk_id, name, pin, role=role, now=now - timedelta(days=30))
    for sku, lot, expiry, qty in LOTS:
        stock.receive(db, sku=sku, lot=lot, qty=qty, expiry=expiry, actor="m01",
                      now=now - timedelta(days=2))
    for sku, *_ in PRODUCTS:
        stock.grant_allotment(db, sku=sku, qty=ALLOTMENT, actor="m01", now=now - timedelta(days=2))
    return store


def order_data(order_no: str, *, code: str | None = None, store_id: str = STORE_ID,
               lines: list[tuple[str, int]] | None = None, phone_last4: str = "1234",
               customer: str = "王**", window_start: datetime | None = None,
               window_end: datetime | None = None, **extra) -> dict:
    """The HQ ``order.allocated`` shape for receive_order; lines are (sku, qty)."""
    by_sku = {p[0]: p for p in PRODUCTS}
    lines = lines or [("B001", 2), ("D001", 1)]
    return {
        "order_no": order_no, "store_id": store_id, "channel": "live",
        "customer_masked": customer, "phone_last4": phone_last4,
        "window_start": (window_start or NOW - timedelta(hours=1)).isoformat(),
        "window_end": (window_end or NOW + timedelta(hours=5)).isoformat(),
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
    assert order.status == "ready"
    return order


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    s = build_store(tmp_path / "store")
    yield s
    s.close()


@pytest.fixture
def make_order(store: Store) -> Callable[..., tuple[orders.Order, str]]:
    """``make_order(order_no, ready=True, **order_data kwargs) -> (order, code)``."""
    counter = iter(range(1, 10_000))

    def make(order_no: str | None = None, *, ready: bool = True, **kwargs):
        order_no = order_no or f"T{next(counter):06d}"
        data = order_data(order_no, **kwargs)
        orders.receive_order(store.db, store.pickup_key, data, now=NOW - timedelta(hours=3))
        order = make_ready(store, order_no) if ready else orders.get_order(store.db, order_no)
        return order, data["pickup_code"]

    return make


@pytest.fixture
def demo_store(tmp_path: Path) -> Iterator[Store]:
    from edge import demo

    s = demo.seed(tmp_path / "d", n_orders=120)
    yield s
    s.close()


def _connect_postgres():
    import psycopg

    return psycopg.connect(POSTGRES_DSN, connect_timeout=3, autocommit=True)


@pytest.fixture
def postgres():
    """A live PostgreSQL connection; skip locally if PG is down, fail under CI=true."""
    try:
        conn = _connect_postgres()
    except Exception as exc:  # noqa: BLE001 - any failure to connect means "not available"
        reason = f"PostgreSQL not reachable at {POSTGRES_DSN}: {exc.__class__.__name__}: {exc}"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(reason + " (CI=true: PostgreSQL is mandatory)")
        pytest.skip(reason)
    try:
        yield conn
    finally:
        conn.close()
