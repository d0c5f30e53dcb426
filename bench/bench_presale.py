"""Pre-sale at the store: a live stream pre-sells thousands of orders before the goods come.

Measures, in CPU-seconds on real store files, in one run:
- N pre-sale orders arriving from HQ (each waits; the release pass must not re-read every
  waiting order per arrival) against N ordinary orders arriving (the baseline);
- the same per order at N/4 and N: no growth with the queue (a quadratic pass showed 42x);
- receiving the transfer that releases them, against N ordinary orders arriving.
Exits 1 when a ratio misses its target.

    .venv/bin/python -m bench.bench_presale [--orders 2000]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from edge.domain import hq_orders, presale, transfers  # noqa: E402
from tests.support.edge_store import build_store, order_data  # noqa: E402

ARRIVAL_TARGET = 1.5  # pre-sale arrival CPU / ordinary arrival CPU
GROWTH_TARGET = 1.5  # per-order CPU at N / per-order CPU at N/4
RELEASE_TARGET = 1.0  # receipt releasing N orders / N ordinary orders arriving


def arrive(work: Path, name: str, n: int, *, presold: bool) -> tuple[float, object]:
    """CPU-seconds for ``n`` orders of 2 units arriving at a fresh store; the store."""
    store = build_store(work / name)
    transfers.announce(store.db, "T1", [{"sku": "B001", "lot": "P", "qty": 2 * n,
                                         "presale": 2 * n if presold else 0}])
    start = time.process_time()
    for i in range(n):
        hq_orders.upsert_order(store, {**order_data(f"{name}-{i:06d}", lines=[("B001", 2)]),
                                       "presale": presold, "payment_status": "paid",
                                       "fulfilment": "pickup", "version": 1})
    return time.process_time() - start, store


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=2000)
    n = parser.parse_args(argv).orders
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        plain_s, plain = arrive(work, "plain", n, presold=False)
        small_s, small = arrive(work, "small", n // 4, presold=True)
        pre_s, store = arrive(work, "presale", n, presold=True)
        start = time.process_time()
        transfers.receive_transfer(store, "T1", "c01", received={1: n})  # half of them come
        release_s = time.process_time() - start
        released = n - len(presale.waiting_orders(store.db))
        for s in (plain, small, store):
            s.close()
    growth = (pre_s / n) / (small_s / (n // 4))
    rows = [
        ("pre-sale orders arriving (wait, off the board)", f"{pre_s:.2f} CPU-s",
         "ordinary orders arriving", f"{plain_s:.2f} CPU-s", pre_s / plain_s, ARRIVAL_TARGET),
        (f"per pre-sale order at {n} waiting", f"{1000 * pre_s / n:.2f} ms",
         f"at {n // 4} waiting", f"{1000 * small_s / (n // 4):.2f} ms", growth, GROWTH_TARGET),
        (f"receipt releasing {released} of them in purchase order", f"{release_s:.2f} CPU-s",
         "ordinary orders arriving", f"{plain_s:.2f} CPU-s", release_s / plain_s, RELEASE_TARGET),
    ]
    print(f"Pre-sale at the store: {n} orders of 2 units, real SQLite files, CPU time")
    print(f"{'measure':<50}{'value':>13}  {'baseline':<26}{'value':>13}{'ratio':>7}{'target':>8}  verdict")
    failed = 0
    for name, value, base, base_value, ratio, target in rows:
        ok = ratio <= target
        failed += not ok
        print(f"{name:<50}{value:>13}  {base:<26}{base_value:>13}{ratio:>7.2f}{'<=' + str(target):>8}  "
              f"{'PASS' if ok else 'FAIL'}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
