"""Day end on a store with a year behind it: the figures of one day must not cost more as the
history grows (every query is a range over an indexed time column).

Run: ``python -m bench.bench_day_end [DAYS]`` (default 365 days of history).

Two stores are built in a temp dir with the same busy day (300 orders due, 250 hand-overs,
120 counter sales, stock adjustments, an excursion): *baseline* has only that day, *history*
has the same day with DAYS days of the same traffic before it (orders, audit trail, stock
ledger, sales). The history is written with plain INSERTs in bulk (a bench needs volume, not
the domain's one-transaction-per-action path). Each store computes the day's report 30 times
(``day_end.day_end``, as ctrl+e and ``store-edge report day-end`` do).

Target: history p99 < 500 ms, and history p50 < 5 x baseline p50 (the cost follows the day,
not the years before it). A miss exits non-zero.
"""
from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
import uuid
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

if __package__ in (None, ""):  # python bench/bench_day_end.py
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from edge.clock import iso  # noqa: E402
from edge.db import write_tx  # noqa: E402
from edge.domain import clerks, day_end  # noqa: E402
from edge.store import init_store  # noqa: E402

TZ = ZoneInfo("Asia/Shanghai")
DAY = date(2026, 6, 1)
RUNS = 30
TARGET_P99_MS = 500.0
TARGET_RATIO = 5.0
ORDERS, HANDOVERS, SALES = 300, 250, 120


def _day_rows(day: date) -> dict[str, list[tuple]]:
    """One busy day's records, as rows of the tables day end reads."""
    start, _ = day_end.day_bounds(day, TZ)
    start = start.astimezone(timezone.utc)
    rows: dict[str, list[tuple]] = {"orders": [], "audit": [], "stock_moves": [], "sales": []}
    for i in range(ORDERS):
        order_no = f"{day:%Y%m%d}-{i:04d}"
        made = start + timedelta(minutes=2 * i)
        due = made + timedelta(hours=6)
        handed = made + timedelta(hours=2) if i < HANDOVERS else None
        status = "picked_up" if handed else ("overdue" if i % 2 else "ready")
        rows["orders"].append((
            order_no, "S001", "live", "pickup", "王**", "王", "1234", status, "paid", iso(made),
            iso(due), 0, 1000, 1, iso(made), iso(handed or made), iso(handed) if handed else None,
            "c01" if handed else None, 1000 + 37 * (i % 50) if handed else None))
        for action in ("order.received", "order.preparing", "order.ready", "bag.packed"):
            rows["audit"].append((iso(made), "c01", action, f"order:{order_no}", "{}"))
        if handed:
            rows["audit"].append((iso(handed), "c01", "order.picked_up", f"order:{order_no}", "{}"))
            rows["stock_moves"].append((str(uuid.uuid4()), "B001", "L1", "on_hand", -1, "pick",
                                        order_no, None, "c01", iso(handed)))
        elif i % 2:
            rows["audit"].append((iso(due), "system", "order.overdue", f"order:{order_no}", "{}"))
    for i in range(SALES):
        at = start + timedelta(minutes=5 * i)
        sale_id = str(uuid.uuid4())
        addon = f"{day:%Y%m%d}-{i:04d}" if i % 3 == 0 else None
        rows["sales"].append((sale_id, "c01", iso(at), 1200, addon,
                              ("wechat", "alipay", "cash", "card")[i % 4]))
        rows["stock_moves"].append((str(uuid.uuid4()), "B001", "L1", "on_hand", -1, "sale",
                                    sale_id, None, "c01", iso(at)))
    for i, reason in enumerate(("damaged", "expired", "found")):
        rows["stock_moves"].append((str(uuid.uuid4()), "B001", "L1", "on_hand", 1 if i == 2 else -2,
                                    "adjustment", None, reason, "m01",
                                    iso(start + timedelta(hours=10 + i))))
    return rows


_INSERT = {
    "orders": "INSERT INTO orders (order_no, store_id, channel, fulfilment, customer_masked,"
              " customer_initial, phone_last4, status, payment_status, window_start, window_end,"
              " made_to_order, total_cents, version, created_at, updated_at, picked_up_at,"
              " picked_up_by, verify_ms) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
    "audit": "INSERT INTO audit (at, actor, action, entity, detail) VALUES (?,?,?,?,?)",
    "stock_moves": "INSERT INTO stock_moves (move_id, sku, lot, account, qty, kind, ref, reason,"
                   " actor, at) VALUES (?,?,?,?,?,?,?,?,?,?)",
    "sales": "INSERT INTO sales (sale_id, clerk_id, at, total_cents, with_pickup_order_no,"
             " payment_method) VALUES (?,?,?,?,?,?)",
}


def build(path: Path, days_before: int):
    store = init_store(path, "S001", "静安寺店", "Jing'an Temple")
    clerks.add_clerk(store.db, "m01", "张经理", "9999", role="manager")
    for back in range(days_before, -1, -1):
        rows = _day_rows(DAY - timedelta(days=back))
        with write_tx(store.db):
            for table, values in rows.items():
                store.db.conn.executemany(_INSERT[table], values)
    store.db.execute("ANALYZE")
    return store


def measure(store, runs: int) -> list[float]:
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        report = day_end.day_end(store, DAY, TZ, actor="m01")
        times.append((time.perf_counter() - t0) * 1000)
    assert report.pickups_due == ORDERS and report.handovers == HANDOVERS, report
    assert report.sales == SALES, report
    return times


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, -(-len(ordered) * p // 100) - 1))]


def main(argv: list[str]) -> int:
    days = int(argv[0]) if argv else 365
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        baseline = build(Path(tmp) / "baseline", 0)
        history = build(Path(tmp) / "history", days)
        built_s = time.perf_counter() - t0
        rows = {t: history.db.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0] for t in _INSERT}
        base_ms, hist_ms = [], []
        for _ in range(2):  # interleaved halves: both see the same machine load
            base_ms += measure(baseline, RUNS // 2)
            hist_ms += measure(history, RUNS // 2)
        baseline.close()
        history.close()
    print(f"history: {days} days, " + ", ".join(f"{t} {n:,}" for t, n in rows.items())
          + f" (built in {built_s:.0f} s)")
    print(f"{'store':<22}{'p50 ms':>10}{'p99 ms':>10}{'mean ms':>10}")
    for name, values in (("baseline (1 day)", base_ms), (f"history ({days} days)", hist_ms)):
        print(f"{name:<22}{pct(values, 50):>10.1f}{pct(values, 99):>10.1f}"
              f"{statistics.fmean(values):>10.1f}")
    ratio = pct(hist_ms, 50) / pct(base_ms, 50)
    ok_p99 = pct(hist_ms, 99) < TARGET_P99_MS
    ok_ratio = ratio < TARGET_RATIO
    print(f"history p99 < {TARGET_P99_MS:.0f} ms: {'ok' if ok_p99 else 'FAIL'}; "
          f"history / baseline p50 = {ratio:.2f} (< {TARGET_RATIO:.0f}): {'ok' if ok_ratio else 'FAIL'}")
    return 0 if ok_p99 and ok_ratio else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
