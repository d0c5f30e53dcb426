"""HQ's ``/metrics`` in Prometheus text format (the official ``prometheus_client``).

Two kinds of values:
- **per process** -- requests and latency by endpoint (the route template, never the raw
  path, so order numbers do not explode the series) and status code, counted by an ASGI
  middleware. With several HQ processes, set ``PROMETHEUS_MULTIPROC_DIR`` (an empty
  directory, wiped before each start) in the environment of every process: each writes its
  counts there and any process's ``/metrics`` reports the sum (prometheus_client's
  multiprocess mode).
- **from the database, read at scrape time** (``DatabaseCollector``) -- stores, per-store
  last contact, push lag and last push, stores silent longer than ``--silent-after``
  minutes, the notification outbox depth, open conflicts, the schema version. Read from the
  database at every scrape, they are right whichever process answers.
"""

from __future__ import annotations

import os
import tempfile
import time
from typing import Any, Iterator

from prometheus_client import (CONTENT_TYPE_LATEST, PROCESS_COLLECTOR, PLATFORM_COLLECTOR, CollectorRegistry,
                               Counter, Histogram, generate_latest)
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from starlette.routing import Match

from .clock import parse_iso
from .contact import ContactLog
from .db import Database
from .migrator import current_version

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)
UNMATCHED = "<unmatched>"  # a path no route serves: one series, whatever was asked


def multiprocess_dir() -> str | None:
    return os.environ.get("PROMETHEUS_MULTIPROC_DIR") or os.environ.get("prometheus_multiproc_dir")


def share_request_metrics() -> str:
    """Before ``hq serve --workers N`` spawns its workers: give them one fresh multiprocess
    directory unless the operator set ``PROMETHEUS_MULTIPROC_DIR`` (then that one is used)."""
    if not multiprocess_dir():
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="store-edge-hq-metrics-")
    return multiprocess_dir() or ""


class RequestMetrics:
    """Per-process request counters and latency histograms (this app's own objects, so
    several apps in one test process never share counts)."""

    def __init__(self) -> None:
        multi = multiprocess_dir() is not None
        # in multiprocess mode values go to files and a fresh registry reads them per scrape
        self.registry = None if multi else CollectorRegistry(auto_describe=True)
        self.requests = Counter("hq_http_requests", "HTTP requests HQ answered, by route template, method "
                                "and status code", ["endpoint", "method", "status"], registry=self.registry)
        self.latency = Histogram("hq_http_request_duration_seconds", "Time HQ took to answer, by route "
                                 "template and method", ["endpoint", "method"], buckets=LATENCY_BUCKETS,
                                 registry=self.registry)
        self._children: dict[tuple[str, str, int], tuple[Any, Any]] = {}

    def observe(self, endpoint: str, method: str, status: int, seconds: float) -> None:
        key = (endpoint, method, status)
        children = self._children.get(key)
        if children is None:  # labels() once per series: it takes a lock and builds a key
            children = (self.requests.labels(endpoint, method, str(status)), self.latency.labels(endpoint, method))
            self._children[key] = children
        children[0].inc()
        children[1].observe(seconds)


class RequestMetricsMiddleware:
    """Pure ASGI (no BaseHTTPMiddleware task per request): times each request and labels it
    with the route template FastAPI matched (or matches here for answers given before
    routing, e.g. a 413 from the body guard)."""

    def __init__(self, app: Any, metrics: RequestMetrics, routes: Any) -> None:
        self.app = app
        self.metrics = metrics
        self.routes = routes

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = 500

        async def send_status(message: dict) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_status)
        finally:
            self.metrics.observe(self._endpoint(scope), scope["method"], status, time.perf_counter() - start)

    def _endpoint(self, scope: dict) -> str:
        route = scope.get("route")
        if route is None:
            route = next((r for r in self.routes() if r.matches(scope)[0] == Match.FULL), None)
        return getattr(route, "path", UNMATCHED)


class DatabaseCollector(Collector):
    """Values that live in the database, read at scrape time (registered only on the
    per-scrape registry, which does not auto-describe: never read at registration)."""

    def __init__(self, db: Database, contacts: ContactLog | None, silent_after_minutes: float,
                 schema_latest: int) -> None:
        self.db = db
        self.contacts = contacts
        self.silent_after_s = silent_after_minutes * 60
        self.silent_after_minutes = silent_after_minutes
        self.schema_latest = schema_latest

    def collect(self) -> Iterator[Metric]:
        up = GaugeMetricFamily("hq_database_up", "1 when HQ could read its database for this scrape")
        try:
            if self.contacts is not None:
                self.contacts.flush()  # this process's latest notes first
            families = self._read()
        except Exception:  # noqa: BLE001 - a scrape must still answer (request counts, up=0)
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        yield from families

    def _read(self) -> list[Metric]:
        now = time.time()
        version = current_version(self.db) or 0
        with self.db.tx(snapshot=True) as tx:
            stores = tx.all("SELECT s.store_id, s.created_at, s.revoked_at, c.last_contact, e.received_at, "
                            "e.store_clock FROM stores s "
                            "LEFT JOIN store_contact c ON c.store_id = s.store_id "
                            "LEFT JOIN events e ON e.store_id = s.store_id AND e.seq = s.last_seq "
                            "ORDER BY s.store_id")
            outbox = tx.all("SELECT status, COUNT(*) FROM notifications WHERE status <> 'delivered' "
                            "GROUP BY status")
            conflicts = tx.all("SELECT kind, COUNT(*) FROM conflicts WHERE status = 'open' GROUP BY kind")
        return [*self._store_families(stores, now), *self._queue_families(outbox, conflicts),
                _gauge("hq_schema_version", "Schema version of HQ's database", version),
                _gauge("hq_schema_version_expected", "Schema version this HQ code migrates to",
                       self.schema_latest)]

    def _store_families(self, rows: list[tuple], now: float) -> list[Metric]:
        contact = GaugeMetricFamily("hq_store_last_contact_timestamp_seconds",
                                    "When the store last made an authenticated request (Unix time)",
                                    labels=["store_id"])
        pushed = GaugeMetricFamily("hq_store_last_push_timestamp_seconds",
                                   "When HQ received the store's newest event (Unix time)", labels=["store_id"])
        lag = GaugeMetricFamily("hq_store_push_lag_seconds",
                                "How long the store's newest event waited at the store before it reached "
                                "HQ (received at HQ minus the store's clock when written)", labels=["store_id"])
        silent = 0
        active = 0
        for store_id, created_at, revoked_at, last_contact, received_at, store_clock in rows:
            if last_contact is not None:
                contact.add_metric([store_id], float(last_contact))
            if received_at:
                received = parse_iso(received_at).timestamp()
                pushed.add_metric([store_id], received)
                if store_clock:
                    try:
                        lag.add_metric([store_id], max(0.0, received - parse_iso(store_clock).timestamp()))
                    except ValueError:
                        pass  # a store clock HQ cannot read: no lag rather than a wrong one
            if revoked_at:
                continue  # cut off on purpose: its silence is expected
            active += 1
            seen = float(last_contact) if last_contact is not None else parse_iso(created_at).timestamp()
            if now - seen > self.silent_after_s:
                silent += 1
        silent_family = GaugeMetricFamily(
            "hq_stores_silent", "Stores (not revoked) with no request for longer than --silent-after minutes",
            labels=["after_minutes"])
        silent_family.add_metric([f"{self.silent_after_minutes:g}"], silent)
        return [_gauge("hq_stores", "Stores registered and not revoked", active), silent_family,
                contact, pushed, lag]

    @staticmethod
    def _queue_families(outbox: list[tuple], conflicts: list[tuple]) -> list[Metric]:
        depth = GaugeMetricFamily("hq_notification_outbox_depth",
                                  "Customer notifications not delivered yet, by status", labels=["status"])
        by_status = {"pending": 0, **{status: count for status, count in outbox}}
        for status, count in sorted(by_status.items()):
            depth.add_metric([status], count)
        open_ = GaugeMetricFamily("hq_conflicts_open", "Conflict records waiting for an operator, by kind",
                                  labels=["kind"])
        for kind, count in sorted(conflicts):
            open_.add_metric([kind], count)
        total = _gauge("hq_conflicts_open_total", "Conflict records waiting for an operator",
                       sum(count for _, count in conflicts))
        return [depth, open_, total]


def _gauge(name: str, documentation: str, value: float) -> GaugeMetricFamily:
    return GaugeMetricFamily(name, documentation, value=value)


def exposition(requests: RequestMetrics, database: DatabaseCollector) -> tuple[bytes, str]:
    """The text a scrape gets (body, content type)."""
    registry = CollectorRegistry(auto_describe=False)
    if requests.registry is None:
        from prometheus_client import multiprocess

        multiprocess.MultiProcessCollector(registry)
    else:
        for source in (requests.registry, PROCESS_COLLECTOR, PLATFORM_COLLECTOR):  # + this process's CPU, memory
            registry.register(source)
    registry.register(database)
    return generate_latest(registry), CONTENT_TYPE_LATEST

