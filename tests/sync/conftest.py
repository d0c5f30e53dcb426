"""Fixtures for HQ tests: a real uvicorn HQ on a loopback port over SQLite or PostgreSQL.

* ``hq_db_url``      -- parametrized ``sqlite`` / ``postgresql`` (fresh file / fresh schema)
* ``hq_pg_url``      -- a fresh PostgreSQL schema only (via tests/conftest.py ``postgres``:
                        skips locally if PG is down, FAILS when CI=true)
* ``hq_clock``       -- :class:`FakeClock`, business time for HQ (``advance(minutes=31)``)
* ``make_hq_server`` -- factory: ``make_hq_server(webhook_url=..., sweep_interval=...)``
* ``hq_server``      -- one running :class:`HQServer` (``.url``, ``.db``, ``.clock``,
                        ``.add_store(id) -> StoreAgent``, ``.add_channel(name) -> ChannelAgent``)
* ``webhook_receiver`` -- a loopback HTTP receiver (``.url``, ``.received``, ``.fail_first``)
* ``wait_until``     -- poll a condition with a generous deadline
"""

from __future__ import annotations

import json
import os
import secrets
import socket
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable, Iterator

import httpx
import pytest
import uvicorn

from sync.hq import registry, service
from sync.hq.app import create_app
from sync.hq.cli import listen_socket
from sync.protocol import CatalogItem

PG_BASE_URL = os.environ.get("STORE_EDGE_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")


# ---------------------------------------------------------------- clock
class FakeClock:
    """Business time that only moves when a test says so."""

    def __init__(self, start: datetime | None = None) -> None:
        self.now = start or datetime.now(timezone.utc).replace(microsecond=0)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now


@pytest.fixture
def hq_clock() -> FakeClock:
    return FakeClock()


# ---------------------------------------------------------------- databases
@pytest.fixture
def hq_pg_url(postgres) -> Iterator[str]:
    """A fresh schema per test (search_path in the URL), dropped afterwards. Reachability
    policy from tests/conftest.py ``postgres``: skip locally, FAIL under CI=true."""
    schema = f"hq_test_{secrets.token_hex(5)}"
    postgres.execute(f"CREATE SCHEMA {schema}")
    sep = "&" if "?" in PG_BASE_URL else "?"
    yield f"{PG_BASE_URL}{sep}options=-csearch_path%3D{schema}"
    postgres.execute(f"DROP SCHEMA {schema} CASCADE")


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def hq_db_url(request: pytest.FixtureRequest, tmp_path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path}/hq.db"
    return request.getfixturevalue("hq_pg_url")


# ---------------------------------------------------------------- agents
def new_event(seq: int, kind: str, payload: dict[str, Any], *, entity: str = "",
              event_id: str | None = None) -> dict[str, Any]:
    return {"event_id": event_id or str(uuid.uuid4()), "seq": seq, "type": kind, "entity": entity,
            "base_version": None, "payload": payload, "schema": 1,
            "store_clock": datetime.now(timezone.utc).isoformat()}


@dataclass
class StoreAgent:
    """A minimal store speaking the protocol (what the real sync client will do)."""

    store_id: str
    token: str
    client: httpx.Client
    next_seq: int = 1
    log: list[dict[str, Any]] = field(default_factory=list)

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    def event(self, kind: str, payload: dict[str, Any], **kw: Any) -> dict[str, Any]:
        """A new outbox event with the next seq (kept in ``log``)."""
        ev = new_event(self.next_seq, kind, payload, **kw)
        self.next_seq += 1
        self.log.append(ev)
        return ev

    def push(self, events: list[dict[str, Any]]) -> httpx.Response:
        return self.client.post("/v1/sync/push", json={"events": events}, headers=self.headers)

    def send(self, kind: str, payload: dict[str, Any]) -> dict[str, Any]:
        """Push one new event; return its result (asserting HTTP 200)."""
        r = self.push([self.event(kind, payload)])
        assert r.status_code == 200, r.text
        return r.json()["results"][0]

    def pull(self, cursor: int = 0, epoch: str | None = None, limit: int = 500) -> httpx.Response:
        params: dict[str, Any] = {"cursor": cursor, "limit": limit}
        if epoch is not None:
            params["epoch"] = epoch
        return self.client.get("/v1/sync/pull", params=params, headers=self.headers)

    def pull_all(self, cursor: int = 0, epoch: str | None = None) -> list[dict[str, Any]]:
        changes: list[dict[str, Any]] = []
        while True:
            body = self.pull(cursor, epoch).json()
            assert not body["resync"], body
            changes += body["changes"]
            cursor, epoch = body["next_cursor"], body["epoch"]
            if not body["has_more"]:
                return changes

    def snapshot(self) -> httpx.Response:
        return self.client.get("/v1/sync/snapshot", headers=self.headers)


@dataclass
class ChannelAgent:
    name: str
    key: str
    client: httpx.Client

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.key}"}

    def place(self, store_id: str, lines: list[tuple[str, int]], **kw: Any) -> httpx.Response:
        body = {"request_id": kw.pop("request_id", str(uuid.uuid4())), "store_id": store_id,
                "customer_name": kw.pop("customer_name", "王小明"),
                "customer_phone": kw.pop("customer_phone", "13800138000"),
                "lines": [{"sku": s, "qty": q} for s, q in lines], **kw}
        return self.client.post("/v1/orders", json=body, headers=self.headers)

    def pay(self, order_no: str) -> httpx.Response:
        return self.client.post(f"/v1/orders/{order_no}/pay", headers=self.headers)

    def cancel(self, order_no: str, reason: str = "customer") -> httpx.Response:
        return self.client.post(f"/v1/orders/{order_no}/cancel", json={"reason": reason}, headers=self.headers)


# ---------------------------------------------------------------- server
def free_socket() -> socket.socket:
    """A loopback listening socket on a free port (TCP_NODELAY, as ``hq serve`` uses)."""
    return listen_socket("127.0.0.1", 0)


class HQServer:
    """create_app(...) served by uvicorn in a thread on a free loopback port."""

    def __init__(self, db_url: str, clock: FakeClock, **app_kw: Any) -> None:
        self.db_url = db_url
        self.clock = clock
        self.app = create_app(db_url, clock=clock, **app_kw)
        self.db = self.app.state.db
        self._sock = free_socket()
        self.url = f"http://127.0.0.1:{self._sock.getsockname()[1]}"
        # log_config=None: uvicorn's default dictConfig would give the "uvicorn" logger its own
        # stderr handler and propagate=False for the rest of the session, so later tests reading
        # uvicorn.error through caplog (a root handler) would see nothing
        config = uvicorn.Config(self.app, log_level="warning", access_log=False, lifespan="on",
                                timeout_graceful_shutdown=2, log_config=None)
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, kwargs={"sockets": [self._sock]}, daemon=True)
        self.client = httpx.Client(base_url=self.url, timeout=30)

    def start(self) -> "HQServer":
        self._thread.start()
        deadline = time.monotonic() + 20
        while not self._server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError("HQ server did not start")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        self.client.close()
        self.app.state.feed_watch.release_threadsafe()  # held pulls answer now
        self._server.should_exit = True
        self._thread.join(timeout=20)
        self._sock.close()

    def add_store(self, store_id: str = "S001", name: str = "") -> StoreAgent:
        token = registry.add_store(self.db, store_id, self.clock(), name=name)
        return StoreAgent(store_id, token, self.client)

    def add_channel(self, name: str = "douyin-live", kind: str = "live_stream") -> ChannelAgent:
        return ChannelAgent(name, registry.add_channel(self.db, name, self.clock(), kind=kind), self.client)

    def add_product(self, sku: str, name_zh: str = "鲜牛奶", name_en: str = "Fresh milk",
                    zone: str = "chilled", price_cents: int = 1290) -> None:
        service.upsert_catalog_item(self.db, CatalogItem(sku=sku, name_zh=name_zh, name_en=name_en, zone=zone,
                                                         price_cents=price_cents), self.clock())


@pytest.fixture
def make_hq_server(hq_db_url: str, hq_clock: FakeClock) -> Iterator[Callable[..., HQServer]]:
    servers: list[HQServer] = []

    def make(**app_kw: Any) -> HQServer:
        app_kw.setdefault("sweep_interval", None)
        server = HQServer(hq_db_url, hq_clock, **app_kw).start()
        servers.append(server)
        return server

    yield make
    for server in servers:
        server.stop()


@pytest.fixture
def hq_server(make_hq_server: Callable[..., HQServer]) -> HQServer:
    return make_hq_server()


# ---------------------------------------------------------------- webhook receiver
class WebhookReceiver:
    """Loopback HTTP receiver: answers 503 to the first ``fail_first`` posts, then 200."""

    def __init__(self, fail_first: int = 0) -> None:
        self.fail_first = fail_first
        self.attempts = 0
        self.received: list[dict[str, Any]] = []
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server API
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                with receiver.lock:
                    receiver.attempts += 1
                    ok = receiver.attempts > receiver.fail_first
                    if ok:
                        receiver.received.append(body)
                self.send_response(200 if ok else 503)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._httpd.server_address[1]}/hook"
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05},
                                        daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()


@pytest.fixture
def webhook_receiver() -> Iterator[WebhookReceiver]:
    receiver = WebhookReceiver()
    yield receiver
    receiver.stop()


def _wait_until(predicate: Callable[[], bool], timeout: float = 20.0) -> bool:
    """Poll until true (a deadline for liveness, not a timing assertion)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.02)
    return predicate()


@pytest.fixture
def wait_until() -> Callable[..., bool]:
    """``wait_until(predicate, timeout=20)``: poll a condition with a generous deadline."""
    return _wait_until
