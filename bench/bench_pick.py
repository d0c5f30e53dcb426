"""A wave pick list for 500 orders, and one scan picked in it, on a store with 5,000 open orders.

Run: ``python -m bench.bench_pick [REPEATS]`` (default 60 waves).

A store is built in a temp dir with the demo's catalogue (shelves, two lots per product) and
5,000 allocated orders. Each repeat draws a different wave of 500 of them and times:

* baseline — the raw SQL aggregate alone (lines summed by zone and SKU for the wave): the
  least any pick list can cost;
* pick list — ``picking.pick_list``: checks every order of the wave, aggregates, sorts in
  shelf order and suggests the first-expiring lot of each SKU;
* scan — ``picking.pick_scan`` of one product barcode in that wave (one write transaction:
  the unit booked on the earliest window's line, the order started, the audit record).

Target: pick list p99 < 200 ms (issue 7). A miss exits 1.
"""
from __future__ import annotations

import json
import os
import random
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

if __package__ in (None, ""):  # python bench/bench_pick.py
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from edge.clock import iso, utcnow  # noqa: E402
from edge.db import write_tx  # noqa: E402
from edge.demo import _ean13  # noqa: E402
from edge.demo_data import PRODUCTS, shelves  # noqa: E402
from edge.domain import clerks, orders, picking, stock  # noqa: E402
from edge.store import init_store  # noqa: E402

OPEN_ORDERS = 5000
WAVE = 500
TARGET_P99_MS = 200.0


def pct(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def build(path: Path, rng: random.Random):
    """A store with the demo catalogue, stock in two lots, and OPEN_ORDERS allocated orders."""
    store = init_store(path, "S001", "静安寺店", "Jing'an Temple")
    now = utcnow()
    shelf = shelves([(p[0], p[3]) for p in PRODUCTS])
    clerks.add_clerk(store.db, "c01", "王芳", "1111")
    with write_tx(store.db):
        for sku, zh, en, zone, price, life in PRODUCTS:
            store.db.execute(
                "INSERT INTO products (sku, name_zh, name_en, zone, price_cents, barcode,"
                " shelf_life_days, shelf) VALUES (?,?,?,?,?,?,?,?)",
                [sku, zh, en, zone, price, _ean13(sku), life, shelf[sku]])
            for k, days in enumerate((max(1, life // 3), life)):
                stock.receive(store.db, sku=sku, lot=f"LOT-{k}", qty=100_000, actor="bench",
                              expiry=(now + timedelta(days=days)).date().isoformat(), now=now)
        for i in range(OPEN_ORDERS):
            picks = rng.sample(PRODUCTS, rng.choice((1, 2, 2, 3, 4)))
            start = now + timedelta(minutes=rng.randint(-120, 600))
            orders.receive_order(store.db, store.pickup_key, {
                "order_no": f"B{i:06d}", "store_id": "S001", "channel": "live",
                "customer_masked": "王**", "phone_last4": f"{i % 10000:04d}",
                "window_start": iso(start), "window_end": iso(start + timedelta(hours=6)),
                "lines": [{"line_no": n + 1, "sku": p[0], "name_zh": p[1], "name_en": p[2],
                           "qty": rng.choice((1, 1, 2, 3)), "zone": p[3]}
                          for n, p in enumerate(picks)]}, now=now, reserve=False)
    return store


def baseline(db, wave: list[str]) -> list[tuple]:
    return db.execute(picking._AGGREGATE, [json.dumps(wave)]).fetchall()


def main(argv: list[str]) -> int:
    repeats = int(argv[0]) if argv else 60
    rng = random.Random(7)
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        store = build(Path(tmp) / "store", rng)
        print(f"store: {OPEN_ORDERS} open orders built in {time.perf_counter() - t0:.1f} s; "
              f"{repeats} waves of {WAVE}", flush=True)
        numbers = [f"B{i:06d}" for i in range(OPEN_ORDERS)]
        base, full, scans = [], [], []
        for _ in range(repeats):
            wave = rng.sample(numbers, WAVE)
            # interleaved, so both see the same cache and machine load
            t = time.perf_counter()
            rows = baseline(store.db, wave)
            base.append(time.perf_counter() - t)
            t = time.perf_counter()
            pick_list = picking.pick_list(store.db, wave)
            full.append(time.perf_counter() - t)
            assert len(pick_list.lines) == len(rows)
            line = rng.choice([ln for ln in pick_list.lines if ln.remaining > 0])
            code = store.db.execute("SELECT barcode FROM products WHERE sku = ?",
                                    [line.sku]).fetchone()[0]
            t = time.perf_counter()
            picking.pick_scan(store.db, wave, code, actor="c01")
            scans.append(time.perf_counter() - t)
        store.close()
    ms = lambda xs, p: pct(xs, p) * 1000  # noqa: E731
    print(f"{'':22}{'p50 ms':>9}{'p99 ms':>9}{'mean ms':>9}{'x base':>8}{'target':>10}")
    b50 = ms(base, 50)
    rows = [("baseline (SQL only)", base, None), ("pick list, 500 orders", full, TARGET_P99_MS),
            ("scan in the wave", scans, None)]
    failed = False
    for name, xs, target in rows:
        miss = target is not None and ms(xs, 99) >= target
        failed |= miss
        verdict = "-" if target is None else (f"<{target:.0f} " + ("FAIL" if miss else "ok"))
        print(f"{name:22}{ms(xs, 50):9.2f}{ms(xs, 99):9.2f}{statistics.mean(xs) * 1000:9.2f}"
              f"{ms(xs, 50) / b50:8.1f}{verdict:>10}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
