"""Open-loop load on HQ from simulated stores and a channel, in a client process of its own.

Requests are due at a fixed rate whatever HQ answers (open loop), so a slow HQ shows up as
latency, not as fewer requests. Latency counts from when a request was due, so a client
that falls behind is counted too, not hidden (no coordinated omission). Mix: 45% a store
pushes 1-5 events, 45% a store pulls its changes, 10% the channel places an order for a
random store. A store has at most one request in flight, like the real sync client.

The requests go over plain keep-alive HTTP/1.1 connections (``Connections``) rather than
httpx: on a 2-core machine the load clients share the cores with HQ, and httpx spent about as
much CPU per request as HQ itself, so the bench would have measured its own client.
"""

from __future__ import annotations

import asyncio
import random
import socket
import time
import uuid
from dataclasses import dataclass
from multiprocessing.connection import Connection
from urllib.parse import urlencode, urlsplit

import orjson

from bench.bench_hq_ingest import make_event

SKU = "A1"
ORDER_SHARE, PUSH_SHARE = 0.10, 0.45
OK = {200, 201}
TIMEOUT_S = 30.0  # a request unanswered this long counts as failed


@dataclass
class Store:
    store_id: str
    token: str
    seq: int = 0
    cursor: int = 0
    epoch: str | None = None
    busy: bool = False

    @property
    def auth(self) -> bytes:
        return f"Authorization: Bearer {self.token}\r\n".encode()


@dataclass
class Tally:
    """One step's outcome in this client: latencies in ms by kind, failures, lateness."""

    latencies: dict[str, list[float]]
    failures: int = 0
    starved: int = 0  # due but every store busy
    why: str = ""  # the last failure: kind and HTTP status (or the connection error)

    def record(self, kind: str, due: float, outcome: int | str) -> None:
        self.latencies[kind].append((time.perf_counter() - due) * 1000)
        if outcome not in OK:
            self.failures += 1
            self.why = f"{kind} {outcome}"


class HTTPError(Exception):
    """The connection broke or the answer was not HTTP/1.1 as HQ sends it."""


class Connections:
    """Keep-alive HTTP/1.1 connections to one host, reused one request at a time."""

    def __init__(self, url: str) -> None:
        parts = urlsplit(url)
        self.host, self.port = parts.hostname or "127.0.0.1", parts.port or 80
        self._idle: list[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = []

    async def _open(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        reader, writer = await asyncio.open_connection(self.host, self.port)
        writer.get_extra_info("socket").setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return reader, writer

    async def request(self, method: str, path: str, auth: bytes, body: bytes | None = None) -> tuple[int, bytes]:
        head = f"{method} {path} HTTP/1.1\r\nHost: {self.host}\r\n".encode() + auth
        if body is not None:
            head += f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n".encode()
        data = head + b"\r\n" + (body or b"")
        if self._idle:
            try:
                return await self._exchange(self._idle.pop(), data)
            except HTTPError:
                pass  # HQ closed it while idle (keep-alive timeout): once more on a new one
        return await self._exchange(await self._open(), data)

    async def _exchange(self, conn: tuple[asyncio.StreamReader, asyncio.StreamWriter], data: bytes) -> tuple[int, bytes]:
        reader, writer = conn
        try:
            writer.write(data)
            status_line = await reader.readline()
            status, length = int(status_line.split(b" ", 2)[1]), 0
            while (line := await reader.readline()) not in (b"\r\n", b""):
                name, _, value = line.partition(b":")
                if name.lower() == b"content-length":
                    length = int(value)
            payload = await reader.readexactly(length)
        except (OSError, ValueError, IndexError, asyncio.IncompleteReadError) as exc:
            writer.close()
            raise HTTPError(str(exc) or type(exc).__name__) from exc
        self._idle.append(conn)
        return status, payload

    def close(self) -> None:
        for _, writer in self._idle:
            writer.close()
        self._idle = []


class Load:
    """The stores of one client process and what it sends."""

    def __init__(self, url: str, stores: list[Store], channel_key: str, seed: int) -> None:
        self.url = url
        self.stores = stores
        self.channel = f"Authorization: Bearer {channel_key}\r\n".encode()
        self.rng = random.Random(seed)
        self._next = 0

    def _free_store(self) -> Store | None:
        for _ in range(len(self.stores)):
            store = self.stores[self._next]
            self._next = (self._next + 1) % len(self.stores)
            if not store.busy:
                return store
        return None

    async def push(self, http: Connections, store: Store, n: int) -> int:
        events = [make_event(store.store_id, store.seq + i) for i in range(1, n + 1)]
        status, body = await http.request("POST", "/v1/sync/push", store.auth, orjson.dumps({"events": events}))
        if status == 200:
            store.seq = orjson.loads(body)["acked_through"]
        elif status == 409 and orjson.loads(body).get("expected_seq"):
            store.seq = orjson.loads(body)["expected_seq"] - 1
        return status

    async def pull(self, http: Connections, store: Store) -> int:
        query = urlencode({"cursor": store.cursor, **({"epoch": store.epoch} if store.epoch else {})})
        status, body = await http.request("GET", f"/v1/sync/pull?{query}", store.auth)
        if status == 200:
            answer = orjson.loads(body)
            store.cursor, store.epoch = answer["next_cursor"], answer["epoch"]
        return status

    async def order(self, http: Connections) -> int:
        store = self.rng.choice(self.stores)
        body = {"request_id": str(uuid.uuid4()), "store_id": store.store_id, "customer_name": "王小明",
                "customer_phone": "13800138000", "lines": [{"sku": SKU, "qty": 1}]}
        status, _ = await http.request("POST", "/v1/orders", self.channel, orjson.dumps(body))
        return status

    async def _one(self, http: Connections, tally: Tally, due: float) -> None:
        roll = self.rng.random()
        if roll < ORDER_SHARE:
            kind, store = "order", None
        else:
            store = self._free_store()
            if store is None:
                tally.starved += 1
                return
            kind = "push" if roll < ORDER_SHARE + PUSH_SHARE else "pull"
            store.busy = True
        try:
            if kind == "order":
                sent = self.order(http)
            elif kind == "push":
                sent = self.push(http, store, self.rng.randint(1, 5))
            else:
                sent = self.pull(http, store)
            outcome: int | str = await asyncio.wait_for(sent, TIMEOUT_S)
        except (HTTPError, asyncio.TimeoutError) as exc:
            outcome = type(exc).__name__
        finally:
            if store is not None:
                store.busy = False
        tally.record(kind, due, outcome)

    async def step(self, rate: float, seconds: float, warmup: float) -> Tally:
        """Offer ``rate`` requests/s for ``warmup + seconds``; tally the last ``seconds``."""
        tally = Tally({"push": [], "pull": [], "order": []})
        ignored = Tally({"push": [], "pull": [], "order": []})
        http = Connections(self.url)
        tasks: set[asyncio.Task] = set()
        start, launched = time.perf_counter(), 0
        total = round(rate * (warmup + seconds))
        while launched < total:
            due_count = min(int((time.perf_counter() - start) * rate) + 1, total) - launched
            for _ in range(due_count):
                due = start + launched / rate
                target = tally if due - start >= warmup else ignored
                task = asyncio.create_task(self._one(http, target, due))
                tasks.add(task)
                task.add_done_callback(tasks.discard)
                launched += 1
            await asyncio.sleep(max(0.0, start + launched / rate - time.perf_counter()))
        if tasks:
            await asyncio.wait(tasks)
        http.close()
        return tally

    async def setup(self) -> None:
        """Each store's first push: the allotment it grants HQ for channel orders."""
        http = Connections(self.url)
        for store in self.stores:  # one at a time: setup is not measured
            event = {**make_event(store.store_id, 1), "type": "allotment.granted",
                     "payload": {"sku": SKU, "qty": 10_000_000}}
            status, body = await http.request("POST", "/v1/sync/push", store.auth,
                                              orjson.dumps({"events": [event]}))
            if status != 200:
                raise RuntimeError(f"setup push refused: {status} {body[:200]!r}")
            store.seq = 1
        http.close()


def client_main(conn: Connection, url: str, stores: list[tuple[str, str]], channel_key: str, seed: int) -> None:
    """A client process: set up, then run each step the bench asks for and send back the tally."""
    load = Load(url, [Store(s, t) for s, t in stores], channel_key, seed)
    asyncio.run(load.setup())
    conn.send("ready")
    while True:
        ask = conn.recv()
        if ask is None:
            return
        rate, seconds, warmup = ask
        started = time.process_time()
        tally = asyncio.run(load.step(rate, seconds, warmup))
        conn.send((tally, time.process_time() - started))
