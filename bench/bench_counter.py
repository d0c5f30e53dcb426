"""Scan-to-verdict latency at the counter on a store with 100,000 orders.

Three paths over the same random pickup codes, measured in the same run:
  (a) baseline: the bare indexed SQLite lookup (orders by code_hash, plus lines and bags),
      with the HMAC of each code computed beforehand;
  (b) the domain call pickup.check(store, code) (parse, check digit, HMAC, lookup, verdict);
  (c) the full UI path with Textual's pilot: the code's keys and Enter posted as a scanner
      burst → the counter's verdict widget drawn with the new order (CounterScreen's
      verdict_shown signal fires from the frame that draws it).
A real scanner also spends ~1–3 ms per character on the wire; (c) starts at the first key
event and so measures what the terminal adds.

    .venv/bin/python -m bench.bench_counter [--orders 100000] [--codes 1000] [--ui-codes 200]

The store is built once with edge.demo.seed into bench/out/counter-<orders>/ and reused.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import shutil
import statistics
import sys
import time
from pathlib import Path

from edge import demo
from edge.domain import codes as code_mod
from edge.domain import pickup
from edge.store import Store

OUT = Path(__file__).parent / "out"
DOMAIN_P99_TARGET_MS = 2.0
UI_P99_TARGET_MS = 50.0


def build_store(n_orders: int) -> tuple[Path, float | None]:
    """The cached bench store, seeding it first if needed; (path, seconds spent seeding)."""
    path = OUT / f"counter-{n_orders}"
    done = path / ".complete"
    if done.exists():
        return path, None
    shutil.rmtree(path, ignore_errors=True)
    path.parent.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    last = [started]

    def progress(done_n: int, total: int) -> None:
        now = time.perf_counter()
        if done_n % 10_000 == 0 or done_n == total:
            print(f"  seeded {done_n:>7}/{total}  {now - started:6.1f} s"
                  f"  (+{now - last[0]:.1f} s)", file=sys.stderr, flush=True)
            last[0] = now

    demo.seed(path, n_orders=n_orders, progress=progress).close()
    seconds = time.perf_counter() - started
    done.write_text(json.dumps({"orders": n_orders, "seed_s": round(seconds, 1)}))
    return path, seconds


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def lookup_bare(db, digest: bytes) -> None:
    """The baseline: what any verdict needs at least, as three indexed queries."""
    row = db.execute("SELECT order_no, store_id, channel, fulfilment, customer_masked,"
                     " phone_last4, status, payment_status, window_start, window_end"
                     " FROM orders WHERE code_hash = ?", [digest]).fetchone()
    db.execute("SELECT line_no, sku, name_zh, name_en, qty, zone FROM order_lines"
               " WHERE order_no = ? ORDER BY line_no", [row[0]]).fetchall()
    db.execute("SELECT zone, bag_no, slot, packed_at FROM bags WHERE order_no = ?"
               " ORDER BY bag_no", [row[0]]).fetchall()


def bench_store_paths(store: Store, sample: list[dict]) -> tuple[list[float], list[float]]:
    """(baseline ms, domain ms) per code, interleaved so both see the same cache state."""
    digests = [code_mod.code_hash(store.pickup_key, c["code"]) for c in sample]
    base, dom = [], []
    for i, (c, digest) in enumerate(zip(sample, digests)):
        for which in ((0, 1) if i % 2 else (1, 0)):
            t0 = time.perf_counter()
            if which == 0:
                lookup_bare(store.db, digest)
                base.append((time.perf_counter() - t0) * 1000)
            else:
                verdict = pickup.check(store, c["code"])
                dom.append((time.perf_counter() - t0) * 1000)
                assert verdict.kind != "unknown", c
    return base, dom


async def bench_ui(path: Path, sample: list[dict], warmup: int = 20) -> list[float]:
    from edge.ui.app import StoreEdgeApp
    from tests.support.keys import expect, scanner_burst

    app = StoreEdgeApp(path, demo=True)
    times = []
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        counter = app.screen
        for i, c in enumerate(sample[:warmup] + sample):
            shown = expect(app, counter.verdict_shown)
            t0 = time.perf_counter()
            scanner_burst(app, c["code"])
            verdict = await asyncio.wait_for(shown, 30)
            elapsed = (time.perf_counter() - t0) * 1000
            assert verdict.order is None or verdict.order.order_no == c["order_no"], (c, verdict)
            if i >= warmup:
                times.append(elapsed)
            await pilot.pause()  # the next customer comes after the screen settles
    return times


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=100_000)
    parser.add_argument("--codes", type=int, default=1000)
    parser.add_argument("--ui-codes", type=int, default=200)
    args = parser.parse_args(argv)

    path, seed_s = build_store(args.orders)
    print(f"store: {path} ({args.orders} orders) "
          + (f"seeded in {seed_s:.1f} s" if seed_s is not None else
             f"reused (seeded in {json.loads((path / '.complete').read_text())['seed_s']} s)"))
    store = Store.open(path)
    all_codes = json.loads((path / demo.CODES_FILENAME).read_text())
    rng = random.Random(42)
    sample = rng.sample(all_codes, min(args.codes, len(all_codes)))
    ui_sample = rng.sample(all_codes, min(args.ui_codes, len(all_codes)))

    bench_store_paths(store, sample[:100])  # warm the statement cache
    base, dom = bench_store_paths(store, sample)
    results = {"(a) bare SQLite lookup (baseline)": base, "(b) domain pickup.check": dom}
    store.close()
    results["(c) UI: scanner keys -> card drawn"] = asyncio.run(bench_ui(path, ui_sample))

    base = results["(a) bare SQLite lookup (baseline)"]
    base50, base99 = pct(base, 0.5), pct(base, 0.99)
    print(f"\n{'path':38} {'n':>5} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8} {'p50 ×base':>10} {'p99 ×base':>10}")
    for name, times in results.items():
        p50, p99 = pct(times, 0.5), pct(times, 0.99)
        print(f"{name:38} {len(times):>5} {p50:8.3f} {p99:8.3f} {max(times):8.3f}"
              f" {p50 / base50:10.1f} {p99 / base99:10.1f}")
    dom99 = pct(results["(b) domain pickup.check"], 0.99)
    ui99 = pct(results["(c) UI: scanner keys -> card drawn"], 0.99)
    load = os.getloadavg()[0]
    met = dom99 < DOMAIN_P99_TARGET_MS and ui99 < UI_P99_TARGET_MS
    print(f"\ntargets: domain p99 {dom99:.2f} ms < {DOMAIN_P99_TARGET_MS} ms: "
          f"{'PASS' if dom99 < DOMAIN_P99_TARGET_MS else 'FAIL'};  UI p99 {ui99:.1f} ms < "
          f"{UI_P99_TARGET_MS} ms: {'PASS' if ui99 < UI_P99_TARGET_MS else 'FAIL'}"
          f"   (mean UI {statistics.mean(results['(c) UI: scanner keys -> card drawn']):.1f} ms;"
          f" load average {load:.1f} on {os.cpu_count()} cores)")
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
