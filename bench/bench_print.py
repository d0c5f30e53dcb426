"""Scan to printed receipt: what printing adds to the counter, and how soon the paper follows.

Run: ``python -m bench.bench_print [N]`` (default 300 hand-overs per path).

A demo store is seeded in a temp dir; its ready orders are split between two paths, run
interleaved so both see the same database size and machine load:

* baseline — scan → verdict (``pickup.check``) → bare ``pickup.hand_over``;
* print    — scan → verdict → ``handover_and_print`` (hand-over + receipt job, one
  transaction) → the PrintWorker thread renders ESC/POS and writes it to a file printer
  (fsync) → the job is marked printed.

Reported: the time the counter waits (until the hand-over is committed) for both paths, and
for the print path the time until the receipt is on "paper". The counter's wait is the
figure that must stay close to the baseline (design property 2); the paper follows it.
"""
from __future__ import annotations

import os
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

if __package__ in (None, ""):  # python bench/bench_print.py
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from edge import demo  # noqa: E402
from edge.domain import pickup, print_jobs  # noqa: E402
from edge.domain.print_docs import PrintSettings  # noqa: E402
from edge.services.printing import PrinterSetup, PrintService  # noqa: E402

CLERK = "c01"


def pct(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def ready_codes(store, n: int) -> list[str]:
    return [c["code"] for c in demo.demo_codes(store)
            if c["scenario"] == "ready" and c["status"] == "ready"][:n]


def bare(store, code: str) -> float:
    t0 = time.perf_counter()
    verdict = pickup.check(store, code)
    assert verdict.can_hand_over, verdict.kind
    pickup.hand_over(store, verdict.order.order_no, CLERK)
    return time.perf_counter() - t0


class Printed:
    """Wakes the bench when the print worker reports a change (job printed)."""

    def __init__(self) -> None:
        self.event = threading.Event()

    def __call__(self) -> None:
        self.event.set()


def printed_path(store, code: str, service: PrintService, printed: Printed) -> tuple[float, float]:
    settings = PrintSettings(lang="zh-CN")
    printed.event.clear()
    t0 = time.perf_counter()
    verdict = pickup.check(store, code)
    assert verdict.can_hand_over, verdict.kind
    _, job_id = print_jobs.handover_and_print(store, verdict.order.order_no, CLERK,
                                              settings=settings)
    counter_s = time.perf_counter() - t0
    service.wake()
    while print_jobs.get_job(store.db, job_id).status != "printed":
        if not printed.event.wait(10):
            raise SystemExit(f"job {job_id} not printed within 10 s: {print_jobs.get_job(store.db, job_id)}")
        printed.event.clear()
    return counter_s, time.perf_counter() - t0


def main(argv: list[str]) -> int:
    n = int(argv[0]) if argv else 300
    with tempfile.TemporaryDirectory() as tmp:
        print(f"seeding a demo store with {n * 2} ready orders…", file=sys.stderr)
        store = demo.seed(Path(tmp) / "store", n_orders=int(n * 2 / 0.33) + 40)
        codes = ready_codes(store, 2 * n)
        n = len(codes) // 2
        printed = Printed()
        service = PrintService(store.data_dir,
                               {"receipt": PrinterSetup(f"file://{tmp}/printer.bin", 80)},
                               on_change=printed, poll_s=1.0).start()
        base, counter, paper = [], [], []
        try:
            for i in range(n):  # interleaved: same DB size and load for both paths
                base.append(bare(store, codes[2 * i]))
                c, p = printed_path(store, codes[2 * i + 1], service, printed)
                counter.append(c)
                paper.append(p)
        finally:
            service.stop()
        size = os.path.getsize(f"{tmp}/printer.bin")
    rows = [("scan→hand-over (baseline, no printing)", base),
            ("scan→hand-over+queue (what the counter waits)", counter),
            ("scan→receipt printed to file printer", paper)]
    b50, b99 = pct(base, 50), pct(base, 99)
    print(f"\n{n} hand-overs per path; {size / n / 1024:.1f} KiB of ESC/POS per receipt\n")
    print(f"{'path':48} {'p50 ms':>8} {'p99 ms':>8} {'mean ms':>8} {'p50 ×':>7} {'p99 ×':>7}")
    for name, values in rows:
        p50, p99 = pct(values, 50), pct(values, 99)
        print(f"{name:48} {p50 * 1000:8.2f} {p99 * 1000:8.2f} {statistics.mean(values) * 1000:8.2f}"
              f" {p50 / b50:7.2f} {p99 / b99:7.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
