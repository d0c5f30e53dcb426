"""A live stream's pace per store, sent to the store as ``stream.rate`` changes.

Why: a store prepares before the orders arrive, and while a stream sells for it the store's
own history says little about the next hour. HQ sees every order a stream places, so it
tells each store how fast its stream is selling right now (orders per minute over the last
minutes) and what it sells (units of each SKU per order). The sweeper publishes it every
round for every store a stream sold for recently; a stream quiet for ``GAP`` has ended and is
no longer published, so the store's copy goes stale and stops raising its suggestions.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from ..protocol import CH_STREAM_RATE
from .changes import emit
from .clock import iso, parse_iso
from .db import Database, Tx
from .orders import lock_store

WINDOW = timedelta(minutes=10)  # the rate is over this many last minutes
GAP = timedelta(minutes=15)  # no order for this long: the stream has ended
LOOKBACK = timedelta(hours=6)  # how far back a running stream's start is looked for
LIVE_KIND = "live_stream"
EVERY = timedelta(seconds=20)  # at most one stream.rate per store and stream this often

# (placed_at, [(sku, qty), ...]) of one order
PlacedOrder = tuple[datetime, list[tuple[str, int]]]


def stream_rate(channel: str, orders: Iterable[PlacedOrder], now: datetime) -> dict[str, Any] | None:
    """The ``stream.rate`` payload for one stream from its orders (any order, at or before
    ``now``), or None when it has ended (nothing for ``GAP``). Its start is the first order
    after the last pause longer than ``GAP``; the rate is over the last ``WINDOW``, or since
    the start when that is shorter (at least one minute)."""
    placed = sorted((at, lines) for at, lines in orders if at <= now)
    if not placed or now - placed[-1][0] > GAP:
        return None
    start = len(placed) - 1
    while start > 0 and placed[start][0] - placed[start - 1][0] <= GAP:
        start -= 1
    started = placed[start][0]
    window = max(min(WINDOW, now - started), timedelta(minutes=1))
    recent = [lines for at, lines in placed[start:] if at >= now - window]
    units: dict[str, int] = defaultdict(int)
    for lines in recent:
        for sku, qty in lines:
            units[sku] += qty
    minutes = window.total_seconds() / 60
    n = len(recent)
    return {"channel": channel, "stream_id": f"{channel}@{iso(started)}", "started_at": iso(started),
            "as_of": iso(now), "window_min": round(minutes, 2), "orders": n,
            "orders_per_min": round(n / minutes, 3),
            "units_per_order": {sku: round(q / n, 3) for sku, q in sorted(units.items())} if n else {}}


def _live_orders(tx: Tx, now: datetime) -> dict[tuple[str, str], list[PlacedOrder]]:
    """Live-stream orders of the last ``LOOKBACK`` per (store, channel), with their lines, for
    the (store, channel) pairs that sold within ``GAP``."""
    active = tx.all("SELECT DISTINCT store_id, channel_name FROM orders WHERE channel = ? AND "
                    "placed_at > ? AND placed_at <= ?", (LIVE_KIND, iso(now - GAP), iso(now)))
    found: dict[tuple[str, str], list[PlacedOrder]] = {}
    for store_id, channel_name in active:
        rows = tx.all("SELECT o.order_no, o.placed_at, l.sku, l.qty FROM orders o "
                      "JOIN order_lines l ON l.store_id = o.store_id AND l.order_no = o.order_no WHERE o.store_id = ? AND "
                      "o.channel_name = ? AND o.channel = ? AND o.placed_at > ? AND o.placed_at <= ? "
                      "ORDER BY o.placed_at", (store_id, channel_name, LIVE_KIND,
                                               iso(now - LOOKBACK), iso(now)))
        by_order: dict[str, PlacedOrder] = {}
        for order_no, placed_at, sku, qty in rows:
            by_order.setdefault(order_no, (parse_iso(placed_at), []))[1].append((sku, qty))
        found[(store_id, channel_name)] = list(by_order.values())
    return found


def _due(tx: Tx, store_id: str, channel: str, now: datetime) -> bool:
    """Whether this stream's rate is due for this store, marking it sent if so. Under the
    store's row lock, so sweepers in several HQ processes send it once per ``EVERY``."""
    lock_store(tx, store_id)
    key = f"stream_rate_at:{store_id}:{channel}"
    last = tx.scalar("SELECT value FROM meta WHERE key = ?", (key,))
    if last is not None and now - parse_iso(last) < EVERY and parse_iso(last) <= now:
        return False
    tx.run("INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE "
           "SET value = excluded.value", (key, iso(now)))
    return True


def publish_rates(db: Database, now: datetime) -> int:
    """One ``stream.rate`` change per store a live stream sells for now (stores in one order,
    so two sweepers never wait on each other crosswise); how many were sent."""

    def work(tx: Tx) -> int:
        sent = 0
        for (store_id, channel), placed in sorted(_live_orders(tx, now).items()):
            payload = stream_rate(channel, placed, now)
            if payload is not None and _due(tx, store_id, channel, now):
                emit(tx, store_id, CH_STREAM_RATE, payload, now)
                sent += 1
        return sent

    return db.run_tx(work)
