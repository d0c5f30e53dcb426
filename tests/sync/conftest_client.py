"""Fixtures for the store sync client tests: a real HQ (uvicorn, SQLite file) on a loopback
port that can be stopped and started again on the same port, and a stocked store.

Imported by ``test_client_*.py`` (``from conftest_client import ...``); kept apart from the
HQ engineer's ``conftest.py``. The HQ runs over SQLite only here: the HQ contract tests
cover PostgreSQL.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path

import httpx
import pytest

from edge.db import write_tx
from edge.domain import clerks, stock
from edge.store import Store, init_store
from sync.client import SyncClient
from sync.embedded import EmbeddedHQ
from sync.hq import registry, service
from sync.protocol import CatalogItem

STORE_ID = "S001"
# sku, name_zh, name_en, zone, price
PRODUCTS = [
    ("B001", "法式牛角包", "Butter croissant", "ambient", 1200),
    ("D001", "鲜牛奶 950ml", "Fresh milk 950ml", "chilled", 1590),
    ("M001", "澳洲和牛西冷", "Australian wagyu sirloin", "frozen", 25800),
]
ON_HAND, GRANTED = 50, 20  # per SKU


class LiveHQ(EmbeddedHQ):
    """The embedded HQ with the helpers these tests use; ``stop()``/``start()`` keep the port."""

    def now(self) -> datetime:
        return datetime.now(timezone.utc)

    def add_store(self, store_id: str = STORE_ID) -> str:
        return registry.add_store(self.db, store_id, self.now())

    def add_products(self) -> None:
        for sku, zh, en, zone, price in PRODUCTS:
            service.upsert_catalog_item(self.db, CatalogItem(sku=sku, name_zh=zh, name_en=en,
                                                             zone=zone, price_cents=price), self.now())

    def channel(self, name: str = "douyin-live") -> "Channel":
        return Channel(self.url, registry.add_channel(self.db, name, self.now()))


class Channel:
    """A live-stream shop placing orders at HQ over HTTP."""

    def __init__(self, url: str, key: str) -> None:
        self.http = httpx.Client(base_url=url, timeout=10, headers={"Authorization": f"Bearer {key}"})

    def place(self, lines: list[tuple[str, int]], *, paid: bool = True, store_id: str = STORE_ID,
              **kw) -> dict:
        now = datetime.now(timezone.utc)
        body = {"request_id": str(uuid.uuid4()), "store_id": store_id, "customer_name": "王小明",
                "customer_phone": "13800138000", "paid": paid,
                "window_start": (now - timedelta(hours=1)).isoformat(),
                "window_end": (now + timedelta(hours=6)).isoformat(),
                "lines": [{"sku": s, "qty": q} for s, q in lines], **kw}
        r = self.http.post("/v1/orders", json=body)
        assert r.status_code == 201, r.text
        return r.json()

    def pay(self, order_no: str) -> httpx.Response:
        return self.http.post(f"/v1/orders/{order_no}/pay")

    def cancel(self, order_no: str, reason: str = "customer") -> httpx.Response:
        return self.http.post(f"/v1/orders/{order_no}/cancel", json={"reason": reason})

    def close(self) -> None:
        self.http.close()


def build_store(data_dir: Path, store_id: str = STORE_ID) -> Store:
    """A store with clerk c01 (PIN 1111), manager m01 (PIN 9999), stock and an allotment
    granted to HQ."""
    store = init_store(data_dir, store_id, "静安寺店", "Jing'an Temple")
    now = datetime.now(timezone.utc) - timedelta(days=1)
    with write_tx(store.db):
        for sku, zh, en, zone, price in PRODUCTS:
            store.db.execute("INSERT INTO products (sku, name_zh, name_en, zone, price_cents)"
                             " VALUES (?,?,?,?,?)", [sku, zh, en, zone, price])
    clerks.add_clerk(store.db, "c01", "王芳", "1111", role="clerk", now=now)
    clerks.add_clerk(store.db, "m01", "张经理", "9999", role="manager", now=now)
    for sku, *_ in PRODUCTS:
        stock.receive(store.db, sku=sku, lot="L1", qty=ON_HAND, expiry="2099-01-01", actor="m01",
                      now=now)
        stock.grant_allotment(store.db, sku=sku, qty=GRANTED, actor="m01", now=now)
    return store


@pytest.fixture
def hq(tmp_path: Path) -> Iterator[LiveHQ]:
    server = LiveHQ(tmp_path / "hq.db").start()
    server.add_products()
    yield server
    server.stop()


@pytest.fixture
def edge(tmp_path: Path) -> Iterator[Store]:
    store = build_store(tmp_path / "store")
    yield store
    store.close()


@pytest.fixture
def client(hq: LiveHQ, edge: Store) -> Iterator[SyncClient]:
    c = SyncClient(edge, hq.url, hq.add_store(), timeout=5)
    yield c
    c.close()


@pytest.fixture
def channel(hq: LiveHQ) -> Iterator[Channel]:
    ch = hq.channel()
    yield ch
    ch.close()


# ---------------------------------------------------------------- HQ changes, hand-made
def change(cursor: int, kind: str, payload: dict) -> dict:
    """One pulled change as the client hands it to ``hq_apply.apply_changes``."""
    return {"cursor": cursor, "change_id": f"c-{cursor}-{uuid.uuid4().hex[:6]}", "type": kind,
            "payload": payload}


def allocated(order_no: str, code: str, *, lines: list[tuple[str, int]] | None = None,
              version: int = 1, status: str = "allocated", payment: str = "paid") -> dict:
    """An ``order.allocated`` payload for the store's products."""
    by_sku = {p[0]: p for p in PRODUCTS}
    now = datetime.now(timezone.utc)
    return {"order_no": order_no, "store_id": STORE_ID, "channel": "live_stream",
            "customer_masked": "王**", "phone_last4": "8000",
            "lines": [{"line_no": i, "sku": sku, "name_zh": by_sku[sku][1], "name_en": by_sku[sku][2],
                       "qty": qty, "zone": by_sku[sku][3], "unit_price_cents": by_sku[sku][4]}
                      for i, (sku, qty) in enumerate(lines or [("B001", 2)], start=1)],
            "window_start": (now - timedelta(hours=1)).isoformat(),
            "window_end": (now + timedelta(hours=5)).isoformat(),
            "payment_status": payment, "fulfilment": "pickup", "pickup_code": code,
            "status": status, "version": version}


def pack_all(store: Store, order_no: str) -> None:
    from edge.domain import orders

    for bag in orders.get_order(store.db, order_no).bags:
        orders.pack_bag(store.db, order_no, bag.zone, f"{bag.zone[0].upper()}-101", actor="c01")


def table_dump(store: Store, *tables: str) -> dict[str, list[tuple]]:
    """Whole tables, for "changed nothing" assertions."""
    return {t: store.db.execute(f"SELECT * FROM {t} ORDER BY 1, 2").fetchall() for t in tables}


# ---------------------------------------------------------------- a misbehaving HQ
class BadHQ:
    """A loopback HTTP server answering every request with one canned (status, body), after
    an optional delay: the shapes of trouble a real HQ or a proxy in between can produce."""

    def __init__(self) -> None:
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        self.status, self.body, self.delay = 200, b"", 0.0
        self.requests: list[str] = []
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                self.rfile.read(length)
                owner.requests.append(f"{self.command} {self.path}")
                time.sleep(owner.delay)
                try:
                    self.send_response(owner.status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(owner.body)))
                    self.end_headers()
                    self.wfile.write(owner.body)
                except OSError:
                    pass  # the client gave up (timeout test)

            do_GET = do_POST = _answer

            def log_message(self, *args) -> None:
                pass

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._httpd.server_address[1]}"
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05},
                                        daemon=True)
        self._thread.start()

    def answer(self, status: int, body: bytes | str, delay: float = 0.0) -> None:
        self.status, self.delay = status, delay
        self.body = body.encode() if isinstance(body, str) else body

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()


@pytest.fixture
def bad_hq() -> Iterator[BadHQ]:
    server = BadHQ()
    yield server
    server.stop()
