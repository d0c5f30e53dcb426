"""A loopback HTTP proxy that loses, duplicates, delays and reorders traffic, for real.

Put it between the store's sync client and a real HQ server to prove that no fault of the
network loses or duplicates an event. It understands just enough HTTP/1.1 (Content-Length
bodies, keep-alive) to act per request:

- ``drop_request``: the connection closes before the request reaches HQ;
- ``drop_response``: HQ handles the request, the client never hears back (the nasty one);
- ``duplicate``: HQ receives the request twice; the client sees the second answer;
- ``replay``: an earlier request is sent to HQ again later, out of order;
- ``delay``: up to this many seconds before forwarding;
- ``cut()`` / ``heal()``: refuse everything, as a pulled cable does.

Probabilities come from a seeded RNG so a failing run can be repeated.
"""

from __future__ import annotations

import asyncio
import random
import socket
import threading
from dataclasses import dataclass

import httpx

_HOP_HEADERS = {"connection", "keep-alive", "transfer-encoding", "content-length", "host"}


@dataclass
class Faults:
    drop_request: float = 0.0
    drop_response: float = 0.0
    duplicate: float = 0.0
    replay: float = 0.0
    delay: float = 0.0


@dataclass
class ProxyStats:
    requests: int = 0
    dropped_requests: int = 0
    dropped_responses: int = 0
    duplicated: int = 0
    replayed: int = 0
    refused: int = 0


@dataclass
class _Request:
    method: str
    target: str
    headers: list[tuple[str, str]]
    body: bytes


class FaultProxy:
    """Run with ``with FaultProxy(upstream_url, seed=1) as proxy: ... proxy.url ...``."""

    def __init__(self, upstream: str, *, faults: Faults | None = None, seed: int = 0) -> None:
        self.upstream = upstream.rstrip("/")
        self.faults = faults or Faults()
        self.stats = ProxyStats()
        self._rng = random.Random(seed)
        self._cut = False
        self._seen: list[_Request] = []
        self._loop: asyncio.AbstractEventLoop | None = None
        self._server: asyncio.AbstractServer | None = None
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        self.port = sock.getsockname()[1]
        sock.close()
        self.url = f"http://127.0.0.1:{self.port}"

    # -- control -------------------------------------------------------------------------
    def cut(self) -> None:
        self._cut = True

    def heal(self) -> None:
        self._cut = False

    def set_faults(self, faults: Faults) -> None:
        self.faults = faults

    def __enter__(self) -> "FaultProxy":
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="fault-proxy", daemon=True)
        self._thread.start()
        self._ready.wait(10)

    def stop(self) -> None:
        if self._loop and self._server:
            done = asyncio.run_coroutine_threadsafe(self._shutdown(), self._loop)
            done.result(10)
            self._loop.call_soon_threadsafe(self._loop.stop)
        if self._thread:
            self._thread.join(10)

    async def _shutdown(self) -> None:
        """Close the listener, cancel open connections and the upstream client: no task left."""
        assert self._server is not None
        self._server.close()
        # a connection cancelled while it waits for a request is the point, not an error
        self._loop.set_exception_handler(_quiet_about_cancelled)
        current = asyncio.current_task()
        tasks = [t for t in asyncio.all_tasks() if t is not current]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await self._client.aclose()

    # -- the proxy -----------------------------------------------------------------------
    def _run(self) -> None:
        self._loop = asyncio.new_event_loop()
        asyncio.set_event_loop(self._loop)
        self._client = httpx.AsyncClient(timeout=30)
        self._server = self._loop.run_until_complete(
            asyncio.start_server(self._handle, "127.0.0.1", self.port))
        self._ready.set()
        self._loop.run_forever()
        self._loop.close()

    def _roll(self, p: float) -> bool:
        return p > 0 and self._rng.random() < p

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                request = await _read_request(reader)
                if request is None:
                    break
                if not await self._serve(request, writer):
                    break
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            writer.close()

    async def _serve(self, request: _Request, writer: asyncio.StreamWriter) -> bool:
        """Forward one request, applying faults; False closes the client connection."""
        self.stats.requests += 1
        f = self.faults
        if self._cut:
            self.stats.refused += 1
            return False
        if self._roll(f.drop_request):
            self.stats.dropped_requests += 1
            return False
        if f.delay:
            await asyncio.sleep(self._rng.random() * f.delay)
        if self._seen and self._roll(f.replay):
            self.stats.replayed += 1
            await self._forward(self._rng.choice(self._seen))
        self._seen = (self._seen + [request])[-50:]
        response = await self._forward(request)
        if response is not None and self._roll(f.duplicate):
            self.stats.duplicated += 1
            response = await self._forward(request) or response
        if response is None or self._roll(f.drop_response):
            self.stats.dropped_responses += 1
            return False
        writer.write(_encode_response(response))
        await writer.drain()
        return True

    async def _forward(self, request: _Request) -> httpx.Response | None:
        headers = [(k, v) for k, v in request.headers if k.lower() not in _HOP_HEADERS]
        try:
            return await self._client.request(request.method, self.upstream + request.target,
                                              headers=headers, content=request.body)
        except httpx.HTTPError:
            return None


def _quiet_about_cancelled(loop: asyncio.AbstractEventLoop, context: dict) -> None:
    if not isinstance(context.get("exception"), asyncio.CancelledError):
        loop.default_exception_handler(context)


async def _read_request(reader: asyncio.StreamReader) -> _Request | None:
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except asyncio.IncompleteReadError:
        return None
    lines = head.decode("latin-1").split("\r\n")
    method, target, _version = lines[0].split(" ", 2)
    headers = [tuple(part.strip() for part in line.split(":", 1)) for line in lines[1:] if ":" in line]
    length = next((int(v) for k, v in headers if k.lower() == "content-length"), 0)
    body = await reader.readexactly(length) if length else b""
    return _Request(method, target, headers, body)  # type: ignore[arg-type]


def _encode_response(response: httpx.Response) -> bytes:
    body = response.content
    head = [f"HTTP/1.1 {response.status_code} {response.reason_phrase}"]
    head += [f"{k}: {v}" for k, v in response.headers.items()
             if k.lower() not in _HOP_HEADERS and k.lower() != "content-encoding"]
    head += [f"content-length: {len(body)}", "connection: keep-alive"]
    return ("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + body
