"""Backtest of the prep suggestions against "same hour last week", on made-up history.

Run: ``python -m bench prep`` (or ``python -m bench.bench_prep [WEEKS] [EVAL_DAYS] [SEED]``,
default 8 weeks, the last 14 days walked, seed 11).

``bench/prep_history.py`` makes the weeks up with a model the suggestion does not share
(negative-binomial counts, weather-like days, holidays, trends, a product launched and one
withdrawn, live streams at random hours that ramp, fade, and a third of which flop). Its
orders and counter sales go into a real store database. Then, hour by hour over the last
days (shop hours, 08:00-21:00 starts), the store is told what HQ would have said of a
stream running at that moment (``sync.hq.stream.stream_rate`` over the stream's orders so
far, applied as the store applies ``stream.rate``), and ``edge.domain.prep.suggest`` — the
function the board's prep panel calls — gives its figure for the next 3 hours per SKU. Each
hour's figure is compared with what that hour then asked, beside the naive baseline: the
same SKU, same hour, one week earlier.

Reported per horizon (the hour starting now, +1 h, +2 h) and for the hours a stream sold in:
MAE per SKU-hour and WAPE (sum of errors / units asked), suggestion and baseline, and their
ratio. Target: the suggestion's MAE and WAPE below the baseline's (ratio < 1.00) in every
row; a miss exits 1.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

os.environ.setdefault("TZ", "Asia/Shanghai")
time.tzset()

from bench.prep_history import CLOSE_HOUR, OPEN_HOUR, SKUS, History, generate, order_no  # noqa: E402
from edge.clock import iso  # noqa: E402
from edge.db import write_tx  # noqa: E402
from edge.domain import prep  # noqa: E402
from edge.store import Store, init_store  # noqa: E402
from sync.hq.stream import LOOKBACK, stream_rate  # noqa: E402

STORE_ID = "S001"
CHANNEL = "bench-live"
HOURS = 3


def _utc(local: datetime) -> datetime:
    return local.astimezone(timezone.utc)  # naive local → aware UTC (TZ above)


def write_history(store: Store, h: History) -> None:
    """The made-up orders and sales into the store's tables (a bench fixture: history is
    what a store already recorded, so it goes in as rows, not as today's actions)."""
    db = store.db
    with write_tx(db):
        db.conn.executemany("INSERT OR REPLACE INTO products (sku, name_zh, name_en, zone, price_cents,"
                       " shelf_life_days) VALUES (?,?,?,?,?,?)",
                       [(sku, zh, en, zone, 1000, life) for sku, zh, en, zone, life, _, _ in SKUS])
        orders, lines = [], []
        for at, channel, order_lines, mto in h.orders:
            no, stamp = order_no(), iso(_utc(at))
            orders.append((no, STORE_ID, channel, "王**", "王", "1234", "picked_up", "paid", stamp,
                           stamp, int(mto), stamp, stamp))
            lines.extend((no, i + 1, sku, sku, sku, qty, "chilled") for i, (sku, qty) in enumerate(order_lines))
        db.conn.executemany("INSERT INTO orders (order_no, store_id, channel, customer_masked,"
                       " customer_initial, phone_last4, status, payment_status, window_start,"
                       " window_end, made_to_order, created_at, updated_at)"
                       " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)", orders)
        db.conn.executemany("INSERT INTO order_lines (order_no, line_no, sku, name_zh, name_en, qty, zone)"
                       " VALUES (?,?,?,?,?,?,?)", lines)
        sales, sale_lines = [], []
        for at, sold in h.sales:
            sid = order_no()
            sales.append((sid, "c01", iso(_utc(at)), 0))
            sale_lines.extend((sid, i + 1, sku, qty, 0) for i, (sku, qty) in enumerate(sold))
        db.conn.executemany("INSERT INTO sales (sale_id, clerk_id, at, total_cents) VALUES (?,?,?,?)", sales)
        db.conn.executemany("INSERT INTO sale_lines (sale_id, line_no, sku, qty, unit_price_cents)"
                       " VALUES (?,?,?,?,?)", sale_lines)


class Tally:
    def __init__(self) -> None:
        self.n = 0
        self.asked = 0.0
        self.err = 0.0
        self.base = 0.0

    def add(self, actual: float, figure: float, baseline: float) -> None:
        self.n += 1
        self.asked += actual
        self.err += abs(figure - actual)
        self.base += abs(baseline - actual)

    def row(self, name: str) -> tuple[str, list[float]]:
        n, asked = max(self.n, 1), max(self.asked, 1e-9)
        return name, [self.n, self.asked, self.err / n, self.base / n, self.err / asked,
                      self.base / asked, self.err / max(self.base, 1e-9)]


def walk(store: Store, h: History, eval_days: int) -> tuple[dict[str, Tally], float, int]:
    """Every shop hour of the last ``eval_days``: the suggestion vs the week-before baseline."""
    units = h.units()
    live = [(_utc(at), lines) for at, lines in h.live_orders()]
    stream_hours = {at.replace(minute=0, second=0, microsecond=0) for at, _ in h.live_orders()}
    skus = [s[0] for s in SKUS]
    tallies = {name: Tally() for name in ("+0 h", "+1 h", "+2 h", "stream +0 h", "stream +1 h")}
    cpu = time.process_time()
    calls = 0
    first = h.start + timedelta(days=h.days - eval_days)
    for d in range(eval_days):
        day = first + timedelta(days=d)
        for hour in range(OPEN_HOUR, CLOSE_HOUR):
            t_local = datetime.combine(day, datetime.min.time()) + timedelta(hours=hour)
            now = _utc(t_local)
            so_far = [o for o in live if now - LOOKBACK < o[0] <= now]  # what HQ reads
            payload = stream_rate(CHANNEL, so_far, now)
            if payload is not None:
                prep.record_stream(store.db, payload, now=now)
            suggestions = {s.sku: s for s in prep.suggest(store.db, now=now, hours=HOURS,
                                                          with_stock=False)}
            calls += 1
            for ahead in range(HOURS):
                target = t_local + timedelta(hours=ahead)
                if target.hour >= CLOSE_HOUR:
                    continue
                for sku in skus:
                    s = suggestions.get(sku)
                    figure = s.hours[ahead].total if s else 0.0
                    actual = units.get((sku, target), 0)
                    baseline = units.get((sku, target - timedelta(weeks=1)), 0)
                    tallies[f"+{ahead} h"].add(actual, figure, baseline)
                    if ahead < 2 and target in stream_hours:
                        tallies[f"stream +{ahead} h"].add(actual, figure, baseline)
    return tallies, time.process_time() - cpu, calls


def main(argv: list[str]) -> int:
    weeks = int(argv[0]) if argv else 8
    eval_days = int(argv[1]) if len(argv) > 1 else 14
    seed = int(argv[2]) if len(argv) > 2 else 11
    start = date(2026, 9, 7)  # a Monday
    h = generate(start, weeks * 7, seed=seed)
    flops = sum(s.flop for s in h.streams)
    print(f"history: {weeks} weeks, {len(h.sales)} counter sales, {len(h.orders)} orders, "
          f"{len(h.streams)} streams ({flops} flops), holidays {', '.join(map(str, h.holidays))}")
    with tempfile.TemporaryDirectory() as tmp:
        store = init_store(Path(tmp) / "store", STORE_ID, "回测店", "Backtest store")
        try:
            write_history(store, h)
            tallies, cpu, calls = walk(store, h, eval_days)
        finally:
            store.close()
    print(f"walked {calls} hours of the last {eval_days} days; suggest() {cpu / calls * 1000:.0f} ms "
          f"CPU per call\n")
    print(f"{'SKU-hours':12} {'n':>6} {'asked':>7} {'MAE sugg':>9} {'MAE base':>9} "
          f"{'WAPE sugg':>10} {'WAPE base':>10} {'ratio':>6}")
    ok = True
    for name, tally in tallies.items():
        label, v = tally.row(name)
        print(f"{label:12} {v[0]:6.0f} {v[1]:7.0f} {v[2]:9.3f} {v[3]:9.3f} {v[4]:10.1%} "
              f"{v[5]:10.1%} {v[6]:6.2f}")
        ok &= v[6] < 1.0
    print(f"\ntarget: ratio < 1.00 in every row (suggestion beats same hour last week): "
          f"{'met' if ok else 'MISSED'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
