"""The HQ HTTP endpoint: sync for stores, order intake for channels (FastAPI, OpenAPI at
/openapi.json). Thin: authenticate, validate, call the domain modules, map errors.

Errors are JSON ``{"error": code, "message": ...}`` (a 500 too): 401 no/unknown/expired
credentials, 404 not yours or not there, 405 wrong method (with ``Allow``), 408 body not
received in time, 409 business conflict (``seq_gap`` carries ``expected_seq``), 413 body over
the endpoint's limit (push 4 MB), 415 push not sent as JSON, 422 malformed request or a
value HQ cannot store (nothing changed), 503 database unavailable or every connection busy
(``busy``, with Retry-After: retry).
"""

from __future__ import annotations

from contextlib import asynccontextmanager
from typing import Any, AsyncIterator

from fastapi import Depends, FastAPI, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware

from .. import protocol as p
from . import batch, bodyguard, changes, courier, ingest, ops, orders, registry
from .fast_order import FastOrder
from .clock import Clock, utcnow
from .contact import ContactLog
from .db import DEFAULT_POOL_WAIT_S, Database, PoolExhausted, TransientDBError, open_database
from .errors import HQError
from .feed_wait import FeedWatch, until_disconnect
from .notify import Deliverer
from .schema import STEPS, migrate
from .sweeper import Sweeper

_bearer = HTTPBearer(auto_error=False, description="store token or channel key")
_ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"model": p.ErrorBody} for code in (400, 401, 404, 408, 413, 503)
}


def _json(model: Any, status: int = 200) -> Response:
    return Response(content=model.model_dump_json(by_alias=True), status_code=status,
                    media_type="application/json")


def _error(status: int, code: str, message: str = "", **extra: Any) -> JSONResponse:
    return JSONResponse({"error": code, "message": message, **extra}, status_code=status)


def create_app(db_url: str, *, webhook_url: str | None = None, clock: Clock | None = None,
               sweep_interval: float | None = 30.0, notify_retry_base: float = 1.0,
               notify_poll: float = 0.2, body_timeout: float = bodyguard.DEFAULT_TIMEOUT_S,
               db_pool: int | None = None, db_pool_wait: float = DEFAULT_POOL_WAIT_S,
               metrics_token: str | None = None,
               silent_after_minutes: float = ops.DEFAULT_SILENT_AFTER_MIN,
               courier_url: str | None = None, courier_poll: float = 0.5) -> FastAPI:
    """Build the HQ app on a database URL (``sqlite:///path`` or ``postgresql://...``).

    ``clock`` is business time (order placing, 30-minute release); ``sweep_interval`` None
    turns the background sweeper off; with ``webhook_url`` customer notifications are
    delivered by a background thread. A request body must arrive within ``body_timeout``
    seconds (408 otherwise) and stay under its endpoint's limit (413, see ``bodyguard``).
    ``db_pool`` connections at most (default: see ``db.default_pool_size``); a request that
    waits ``db_pool_wait`` seconds for one is answered 503 ``busy``.

    ``/healthz`` and ``/metrics`` (operator token ``metrics_token``): see ``ops``. With
    ``courier_url`` platform-mode delivery orders are sent to that courier platform
    (``courier.Dispatcher``)."""
    clock = clock or utcnow
    db = open_database(db_url, pool_size=db_pool, pool_wait=db_pool_wait)
    migrate(db)
    contacts = ContactLog(db)
    workers: list[Any] = [contacts]
    feed_watch = FeedWatch(db)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if webhook_url:
            workers.append(Deliverer(db, webhook_url, retry_base=notify_retry_base, poll_interval=notify_poll))
        if sweep_interval:
            workers.append(Sweeper(db, clock, sweep_interval))
        if courier_url:
            workers.append(courier.Dispatcher(db, courier_url, clock, poll_interval=courier_poll))
        for worker in workers:
            worker.start()
        await feed_watch.start()
        try:
            yield
        finally:
            await feed_watch.stop()
            for worker in workers:
                worker.stop()
            db.close()

    # HQ exports Prometheus metrics (ops), not OpenTelemetry: FastAPI's native telemetry off
    # spares every request its look-up of the global OpenTelemetry providers
    app = FastAPI(title="store-edge HQ", version=f"{p.PROTOCOL_VERSION}", lifespan=lifespan,
                  description=(p.__doc__ or "").strip(),
                  telemetry={"tracing": False, "metrics": False, "logs": False})
    app.state.db = db
    app.state.clock = clock
    app.state.feed_watch = feed_watch
    app.add_middleware(bodyguard.BodyGuard, timeout=body_timeout)
    _install_error_handlers(app)
    ops.install(app, db, contacts, schema_latest=len(STEPS), metrics_token=metrics_token,
                silent_after_minutes=silent_after_minutes)
    _add_sync_routes(app, db, clock, feed_watch, contacts)
    _add_order_routes(app, db, clock)
    _publish_models(app, (p.PushRequest,))
    return app


def _install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(HQError)
    async def hq_error(request: Request, exc: HQError) -> JSONResponse:
        return _error(exc.status, exc.code, exc.message)

    @app.exception_handler(TransientDBError)
    async def db_down(request: Request, exc: TransientDBError) -> JSONResponse:
        return _error(503, "unavailable", "database unavailable, retry later")

    @app.exception_handler(PoolExhausted)
    async def overloaded(request: Request, exc: PoolExhausted) -> JSONResponse:
        response = _error(503, "busy", "HQ is busy (every database connection in use), retry shortly")
        response.headers["Retry-After"] = "1"
        return response

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException) -> JSONResponse:
        code = {400: "bad_request", 404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "error")
        response = _error(exc.status_code, code, str(exc.detail))
        response.headers.update(exc.headers or {})  # e.g. Allow on a 405
        return response

    @app.exception_handler(Exception)
    async def crashed(request: Request, exc: Exception) -> JSONResponse:
        # a bug, not the client's fault: still JSON, never the exception's text
        return _error(500, "internal_error", "HQ failed on this request; it is logged")

    async def not_storable(request: Request, exc: Exception) -> JSONResponse:
        return _error(422, "not_storable", "a value HQ cannot store (text with NUL or lone surrogates, "
                      "a number beyond 64 bits)")

    for kind in _data_error_types():
        app.add_exception_handler(kind, not_storable)

    @app.exception_handler(UnicodeEncodeError)
    async def bad_text(request: Request, exc: UnicodeEncodeError) -> JSONResponse:
        return _error(422, "invalid_text", "text must be valid Unicode (no lone surrogates)")

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        # never echo the input back (it may be megabytes, or bytes that are not UTF-8)
        errors = jsonable_encoder([{k: v for k, v in e.items() if k != "input"} for e in exc.errors()],
                                  custom_encoder={BaseException: str, bytes: lambda b: b.decode("utf-8", "replace")})
        first = errors[0] if errors else {}
        where = ".".join(str(part) for part in first.get("loc", ()))
        return _error(422, "invalid_request", f"{where}: {first.get('msg', 'invalid')}", detail=errors)


def _data_error_types() -> list[type[Exception]]:
    """Exceptions by which a database refuses a value (mapped to 422, never a 500)."""
    import sqlite3

    kinds: list[type[Exception]] = [OverflowError, sqlite3.DataError, sqlite3.IntegrityError]
    try:
        import psycopg
    except ImportError:  # an HQ on SQLite only
        return kinds
    return kinds + [psycopg.DataError, psycopg.IntegrityError]


def _json_body(model: type[BaseModel]) -> dict[str, Any]:
    """OpenAPI request body for a route that parses its body itself (see _publish_models)."""
    return {"requestBody": {"required": True, "content": {"application/json": {
        "schema": {"$ref": f"#/components/schemas/{model.__name__}"}}}}}


def _publish_models(app: FastAPI, models: tuple[type[BaseModel], ...]) -> None:
    """Add schemas of self-parsed request bodies to the OpenAPI components."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            document = generate()
            schemas = document.setdefault("components", {}).setdefault("schemas", {})
            for model in models:
                schema = model.model_json_schema(by_alias=True, ref_template="#/components/schemas/{model}")
                schemas.update(schema.pop("$defs", {}))
                schemas[model.__name__] = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def _store_auth(db: Database, clock: Clock, contacts: ContactLog):
    def store_id(creds: HTTPAuthorizationCredentials | None = Depends(_bearer)) -> str:
        found = registry.store_token(db, creds.credentials) if creds else None
        if found is None:
            raise HQError("unauthorized", "a valid store token is required", 401)
        if registry.token_expired(found[1], clock()):
            raise HQError("token_expired", f"this store token expired at {found[1]}: ask HQ for a new one "
                          "(store-edge hq rotate-token STORE)", 401)
        contacts.seen(found[0])
        return found[0]

    return store_id


def _channel_auth(keys: registry.ChannelKeys):
    async def channel(creds: HTTPAuthorizationCredentials | None = Depends(_bearer)) -> tuple[str, str]:
        found = None
        if creds:  # a key seen lately costs no query and no thread
            found = keys.known(creds.credentials) or await run_in_threadpool(keys.lookup, creds.credentials)
        if found is None:
            raise HQError("unauthorized", "a valid channel key is required", 401)
        return found

    return channel


def _add_sync_routes(app: FastAPI, db: Database, clock: Clock, feed_watch: FeedWatch,
                     contacts: ContactLog) -> None:
    store_auth = _store_auth(db, clock, contacts)

    @app.get(p.HEALTH_PATH, tags=["ops"])
    def health() -> dict[str, Any]:
        with db.tx(snapshot=True) as tx:
            return {"status": "ok", "protocol": p.PROTOCOL_VERSION, "epoch": changes.get_epoch(tx)}

    @app.get(p.WHOAMI_PATH, response_model=p.WhoAmI, tags=["sync"], responses=_ERRORS)
    def whoami(store_id: str = Depends(store_auth)) -> Response:
        """The store this token belongs to: a new store checks its token before it starts."""
        return _json(p.WhoAmI(store_id=store_id, name=registry.store_name(db, store_id),
                              protocol=p.PROTOCOL_VERSION))

    @app.post(p.PUSH_PATH, response_model=p.PushResponse, tags=["sync"],
              responses={**_ERRORS, 409: {"model": p.SeqGap}, 415: {"model": p.ErrorBody},
                         422: {"model": p.ErrorBody}},
              openapi_extra=_json_body(p.PushRequest))
    async def push(request: Request, store_id: str = Depends(store_auth)) -> Response:
        """Apply a batch of outbox events (see protocol docstring for the seq rules)."""
        media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if media_type != "application/json":
            raise HQError("unsupported_media_type", "a push is JSON: send Content-Type: application/json", 415)
        raw = await request.body()  # already read and size-checked by bodyguard.BodyGuard
        events = batch.read_push(raw)  # pydantic's own JSON parser first: fast ingest
        result = await run_in_threadpool(ingest.push, db, store_id, events, clock())
        return _json(result, 409 if isinstance(result, p.SeqGap) else 200)

    @app.get(p.PULL_PATH, response_model=p.PullResponse, tags=["sync"],
             responses={**_ERRORS, 422: {"model": p.ErrorBody}})
    async def pull(request: Request, cursor: int = Query(0, ge=0, le=p.MAX_SEQ),
                   limit: int = Query(p.DEFAULT_PULL_LIMIT, ge=1, le=p.MAX_PULL_LIMIT),
                   epoch: str | None = Query(None, min_length=1, max_length=64),
                   wait: float = Query(0, ge=0, le=p.MAX_PULL_WAIT_S, description=(
                       "long-poll: with no change after the cursor, answer when one commits or "
                       "after this many seconds (empty)")),
                   store_id: str = Depends(store_auth)) -> Response:
        """Changes for this store after ``cursor``, or ``resync: true``; with ``wait`` HQ
        holds an empty answer until a change for this store commits."""
        def read() -> p.PullResponse:
            return changes.pull(db, store_id, cursor, limit, epoch)

        if not wait:
            return _json(await run_in_threadpool(read))
        return _json(await feed_watch.waiters.long_pull(read, store_id, cursor, wait,
                                                        until_disconnect(request.receive)))

    @app.get(p.SNAPSHOT_PATH, response_model=p.Snapshot, tags=["sync"], responses=_ERRORS)
    def snapshot(store_id: str = Depends(store_auth)) -> Response:
        """The store's full HQ-owned state with the cursor and epoch it corresponds to."""
        return _json(changes.snapshot(db, store_id, clock()))


def _add_order_routes(app: FastAPI, db: Database, clock: Clock) -> None:
    keys = registry.ChannelKeys(db)
    channel_auth = _channel_auth(keys)
    business = {**_ERRORS, 409: {"model": p.ErrorBody}, 422: {"model": p.ErrorBody}}

    @app.post(p.ORDERS_PATH, response_model=p.OrderView, status_code=201, tags=["orders"], responses=business)
    def place_order(body: p.PlaceOrderRequest, channel: tuple[str, str] = Depends(channel_auth)) -> Response:
        """Place an order for pickup/delivery at the customer's chosen store (locks allotment)."""
        if channel[1] == "courier":
            raise HQError("unauthorized", "a courier platform's key places no orders", 401)
        view = orders.place_order(db, body, channel_name=channel[0], channel_kind=channel[1], now=clock())
        return _json(p.OrderView.model_validate(view), 201)

    route = next(r for r in app.router.routes if getattr(r, "endpoint", None) is place_order)
    # innermost middleware (add_middleware would put it outermost, before the body limits)
    app.user_middleware.append(Middleware(FastOrder, path=p.ORDERS_PATH, model=p.PlaceOrderRequest,
                                          known=keys.known, place=place_order,
                                          handlers=app.exception_handlers, route=lambda: route))

    @app.get(p.ORDERS_PATH + "/{order_no}", response_model=p.OrderView, tags=["orders"], responses=business)
    def get_order(order_no: str, channel: tuple[str, str] = Depends(channel_auth)) -> Response:
        return _json(p.OrderView.model_validate(orders.get_order(db, order_no, channel_name=channel[0])))

    @app.post(p.ORDERS_PATH + "/{order_no}/pay", response_model=p.OrderView, tags=["orders"], responses=business)
    def pay(order_no: str, channel: tuple[str, str] = Depends(channel_auth)) -> Response:
        """Payment arrived: locked units are deducted from the allotment."""
        return _json(p.OrderView.model_validate(orders.pay_order(db, order_no, clock(), channel_name=channel[0])))

    @app.post(p.ORDERS_PATH + "/{order_no}/cancel", response_model=p.OrderView, tags=["orders"],
              responses=business)
    def cancel(order_no: str, body: p.CancelRequest, channel: tuple[str, str] = Depends(channel_auth)) -> Response:
        """Cancel; units go back to the allotment. A hand-over already made still stands."""
        view = orders.cancel_order(db, order_no, body.reason, clock(), channel_name=channel[0])
        return _json(p.OrderView.model_validate(view))

    @app.post(p.COURIER_EVENTS_PATH, tags=["orders"], responses=business)
    def courier_event(body: p.CourierEvent, channel: tuple[str, str] = Depends(channel_auth)) -> Response:
        """The courier platform reports on a delivery job: rider assigned, cancelled, late,
        delivered (a channel key of kind ``courier``)."""
        if channel[1] != "courier":
            raise HQError("unauthorized", "a courier platform's key is required", 401)
        return JSONResponse(courier.apply_event(db, body, clock()))
