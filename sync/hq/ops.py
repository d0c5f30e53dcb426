"""Operator endpoints: ``/healthz`` for load balancers and orchestrators, ``/metrics`` for
Prometheus. Installed by ``app.create_app``; nothing here is for stores.

``/healthz`` answers 200 only when this process is up, the database answers a real query
within ``HEALTH_DB_TIMEOUT_S`` and its schema is the one this code migrates to; 503 with
the same JSON details otherwise (a hung database is a 503 after the timeout, not a hang).

``/metrics`` needs the operator's metrics token (``hq serve --metrics-token`` or
``STORE_EDGE_METRICS_TOKEN``) as ``Authorization: Bearer``: one bearer check keeps it on the
same port behind the same proxy (a separate bind would need its own listener per worker),
and no store token ever opens it. Without a configured token it is off (404).
"""

from __future__ import annotations

import asyncio
import hmac
import os
import time
from typing import Any

from fastapi import FastAPI, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, Response

from .contact import ContactLog
from .db import Database
from .metrics import DatabaseCollector, RequestMetrics, RequestMetricsMiddleware, exposition
from .migrator import current_version

HEALTHZ_PATH = "/healthz"
METRICS_PATH = "/metrics"
HEALTH_DB_TIMEOUT_S = 2.0
METRICS_TOKEN_ENV = "STORE_EDGE_METRICS_TOKEN"
DEFAULT_SILENT_AFTER_MIN = 15.0


def install(app: FastAPI, db: Database, contacts: ContactLog, *, schema_latest: int,
            metrics_token: str | None = None, silent_after_minutes: float = DEFAULT_SILENT_AFTER_MIN) -> None:
    """Add request metrics (middleware), ``/healthz`` and ``/metrics`` to the HQ app."""
    token = metrics_token or os.environ.get(METRICS_TOKEN_ENV) or None
    requests = RequestMetrics()
    collector = DatabaseCollector(db, contacts, silent_after_minutes, schema_latest)
    app.add_middleware(RequestMetricsMiddleware, metrics=requests, routes=lambda: app.routes)
    started = time.time()

    @app.get(HEALTHZ_PATH, tags=["ops"])
    async def healthz() -> JSONResponse:
        """200 when the process, the database and the schema are all fine; 503 otherwise."""
        report: dict[str, Any] = {"process": {"pid": os.getpid(), "uptime_s": round(time.time() - started, 1)}}
        try:
            report["database"], version = await asyncio.wait_for(
                run_in_threadpool(_probe, db), timeout=HEALTH_DB_TIMEOUT_S)
        except asyncio.TimeoutError:
            report["database"], version = {"ok": False, "error": f"no answer within {HEALTH_DB_TIMEOUT_S:g} s"}, None
        except Exception as exc:  # noqa: BLE001 - any failure to query is "down", said plainly
            report["database"], version = {"ok": False, "error": f"{type(exc).__name__}: {exc}"[:300]}, None
        report["database"]["dialect"] = db.dialect
        report["schema"] = {"version": version, "expected": schema_latest, "current": version == schema_latest}
        healthy = report["database"]["ok"] and report["schema"]["current"]
        report["status"] = "ok" if healthy else "unavailable"
        return JSONResponse(report, status_code=200 if healthy else 503)

    @app.get(METRICS_PATH, tags=["ops"], include_in_schema=False)
    def metrics(request: Request) -> Response:
        """Prometheus text format; operators only (metrics token)."""
        if token is None:
            return JSONResponse({"error": "not_found", "message": "metrics are off: start HQ with --metrics-token "
                                 f"or {METRICS_TOKEN_ENV}"}, status_code=404)
        scheme, _, given = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not hmac.compare_digest(given.encode(), token.encode()):
            return JSONResponse({"error": "unauthorized", "message": "the operator's metrics token is required"},
                                status_code=401, headers={"WWW-Authenticate": "Bearer"})
        body, content_type = exposition(requests, collector)
        return Response(body, media_type=content_type)


def _probe(db: Database) -> tuple[dict[str, Any], int | None]:
    """A real query (bounded by a statement timeout on PostgreSQL) and the schema version."""
    start = time.perf_counter()
    with db.tx(snapshot=True) as tx:
        if tx.dialect == "postgresql":
            tx.run(f"SET LOCAL statement_timeout = {int(HEALTH_DB_TIMEOUT_S * 1000)}")
        tx.scalar("SELECT value FROM meta WHERE key = 'epoch'")
    version = current_version(db)
    return {"ok": True, "latency_ms": round((time.perf_counter() - start) * 1000, 1)}, version
