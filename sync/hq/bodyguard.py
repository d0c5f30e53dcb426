"""Request bodies are read -- and refused -- before anything else happens.

An ASGI middleware in front of the whole app: it reads each request body itself, chunk by
chunk as it arrives, counting bytes against the limit of the endpoint (a push may carry 4 MB,
an order 64 KB, anything else 16 KB). Over the limit it answers 413 at once and stops reading
-- with or without a Content-Length, before any token is looked up -- so a 200 MB chunked
upload without credentials costs HQ at most one limit of memory. A body that stops arriving
(shorter than its Content-Length, a client that stalls) is answered 408 once ``timeout``
seconds have passed since the request began, instead of holding a worker for ever. The
endpoint then gets the body from memory as usual.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any, Awaitable, Callable

from .. import protocol as p

Receive = Callable[[], Awaitable[dict]]
Send = Callable[[dict], Awaitable[None]]

DEFAULT_LIMIT = 16 * 1024
ORDER_LIMIT = 64 * 1024
DEFAULT_TIMEOUT_S = 60.0  # a 4 MB push over a slow shop line (~70 KB/s) still fits


def body_limit(method: str, path: str) -> int:
    """The most bytes a request to ``path`` may carry."""
    if method == "POST" and path == p.PUSH_PATH:
        return p.MAX_PUSH_BYTES
    if method == "POST" and path.startswith(p.ORDERS_PATH):
        return ORDER_LIMIT
    return DEFAULT_LIMIT


async def _answer(send: Send, status: int, code: str, message: str) -> None:
    body = json.dumps({"error": code, "message": message}).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
                            (b"connection", b"close")]})
    await send({"type": "http.response.body", "body": body})


class BodyGuard:
    """See the module docstring. ``limit_for(method, path)`` gives each endpoint's limit."""

    def __init__(self, app: Any, *, timeout: float = DEFAULT_TIMEOUT_S,
                 limit_for: Callable[[str, str], int] = body_limit) -> None:
        self.app, self.timeout, self.limit_for = app, timeout, limit_for

    async def __call__(self, scope: dict, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit_for(scope["method"], scope["path"])
        length = dict(scope.get("headers") or []).get(b"content-length")
        if length is not None and (not length.isdigit() or int(length) > limit):
            await _answer(send, 413, "too_large", f"request body over {limit} bytes")
            return
        body = await self._read(receive, send, limit)
        if body is None:
            return
        delivered = False

        async def replay() -> dict:
            nonlocal delivered
            if not delivered:
                delivered = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()  # after the body: wait for the disconnect, as ASGI does

        await self.app(scope, replay, send)

    async def _read(self, receive: Receive, send: Send, limit: int) -> bytes | None:
        """The whole body, or None once the request has been answered (413/408) or dropped."""
        chunks: list[bytes] = []
        size = 0
        try:
            # one timer for the whole body (wait_for would wrap every receive in a task of its own)
            async with asyncio.timeout(self.timeout):
                while True:
                    message = await receive()
                    if message["type"] == "http.disconnect":
                        return None
                    chunk = message.get("body", b"")
                    size += len(chunk)
                    if size > limit:
                        break
                    chunks.append(chunk)
                    if not message.get("more_body", False):
                        return b"".join(chunks)
        except TimeoutError:
            await _answer(send, 408, "body_timeout", f"request body not received within {self.timeout:g} s")
            return None
        await _answer(send, 413, "too_large", f"request body over {limit} bytes")
        return None
