"""``POST /v1/orders`` answered without the framework's per-request machinery.

A live stream places tens of thousands of orders a minute through this one route, and
profiling HQ under the order burst (``bench/bench_burst.py``) showed FastAPI's routing
(a linear scan of every route) and dependency solving costing more event-loop CPU than
the rest of the request. This pure ASGI layer, innermost of the app's middleware (after
the body guard's limits, inside the metrics), takes the plain case itself: JSON body, a
channel key found lately (``registry.ChannelKeys.known``, no I/O), a body that validates
(pydantic's own JSON parser, one pass). It then runs the very route function the framework
would (``place``) and maps its errors with the app's own exception handlers.

Anything else -- no or unknown key, another content type, a body that does not validate --
goes on to FastAPI untouched (the body replayed), so every refusal keeps the framework's
exact answer, and the OpenAPI document still comes from the declared route.
"""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Awaitable, Callable

from anyio import WouldBlock, to_thread
from fastapi.security.utils import get_authorization_scheme_param
from pydantic import BaseModel, ValidationError
from starlette.requests import Request
from starlette.responses import Response

from .db import THREADPOOL_SIZE

Receive = Callable[[], Awaitable[dict]]
Send = Callable[[dict], Awaitable[None]]


def _headers(scope: dict) -> tuple[str | None, bytes | None]:
    """The first Authorization (latin-1, as Starlette decodes it) and Content-Type."""
    auth = ctype = None
    for name, value in scope["headers"]:
        if name == b"authorization" and auth is None:
            auth = value.decode("latin-1")
        elif name == b"content-type" and ctype is None:
            ctype = value
    return auth, ctype


class FastOrder:
    """See the module docstring. ``known(key)`` gives a cached channel or None;
    ``place(body, channel)`` is the route function (sync, run in the thread pool);
    ``handlers`` the app's exception handlers; ``route()`` the declared route (metrics label)."""

    def __init__(self, app: Any, *, path: str, model: type[BaseModel],
                 known: Callable[[str], tuple[str, str] | None],
                 place: Callable[[Any, tuple[str, str]], Response],
                 handlers: dict[Any, Callable[..., Any]], route: Callable[[], Any]) -> None:
        self.app, self.path, self.model, self.known = app, path, model, known
        self.place, self.handlers, self.route = place, handlers, route
        self._threads = ThreadPoolExecutor(THREADPOOL_SIZE, thread_name_prefix="hq-order")

    async def __call__(self, scope: dict, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST" or scope["path"] != self.path:
            await self.app(scope, receive, send)
            return
        auth, ctype = _headers(scope)
        scheme, key = get_authorization_scheme_param(auth)
        channel = self.known(key) if auth and key and scheme.lower() == "bearer" else None
        if channel is None or ctype is None or ctype.split(b";")[0].strip().lower() != b"application/json":
            await self.app(scope, receive, send)
            return
        message = await receive()  # the body guard has the whole body in memory: one message
        if message["type"] != "http.request" or message.get("more_body", False):
            await self.app(scope, _replay(message, receive), send)
            return
        try:
            body = self.model.model_validate_json(message.get("body", b""))
        except ValidationError:  # the framework words the 422
            await self.app(scope, _replay(message, receive), send)
            return
        scope["route"] = self.route()  # what the metrics label the request with
        try:
            response = await self._in_thread(body, channel)
        except Exception as exc:  # noqa: BLE001 - mapped as ExceptionMiddleware would
            handler = self._handler(exc)
            if handler is None:
                raise  # -> ServerErrorMiddleware: the app's 500 JSON
            response = await handler(Request(scope, receive), exc)
        await response(scope, receive, send)

    async def _in_thread(self, body: Any, channel: tuple[str, str]) -> Response:
        """``place`` in a thread, holding a token of the framework's thread limiter: the
        threads that may hold a database connection stay within the pool, while the hop
        itself costs a plain executor's (anyio's cancel scopes cost the event loop more)."""
        limiter = to_thread.current_default_thread_limiter()
        try:
            limiter.acquire_nowait()  # a free token costs no trip through the event loop
        except WouldBlock:
            await limiter.acquire()
        try:
            return await asyncio.get_running_loop().run_in_executor(self._threads, self.place, body, channel)
        finally:
            limiter.release()

    def _handler(self, exc: Exception) -> Callable[..., Any] | None:
        for kind in type(exc).__mro__:
            if kind is Exception:
                return None
            if kind in self.handlers:
                return self.handlers[kind]
        return None


def _replay(first: dict, receive: Receive) -> Receive:
    """``receive`` giving ``first`` again, then the rest as it comes."""
    given = False

    async def again() -> dict:
        nonlocal given
        if not given:
            given = True
            return first
        return await receive()

    return again
