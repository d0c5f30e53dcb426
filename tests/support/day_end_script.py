"""A day of scripted store actions with known times, for the day-end tests.

The day is 2026-06-01 in Asia/Shanghai: [2026-05-31 16:00Z, 2026-06-01 16:00Z). Every action
runs through the domain functions a user's key or command runs, at a fixed time; the figures
they must give are worked out by hand in tests/edge/test_edge_day_end.py.

Orders (lines B001 x2 + D001 x1 unless said), times UTC on 2026-06-01 unless said:
  D01 due 14:00, handed over 02:00, scanned 8.000 s before      (+ add-on sales S1, S2)
  D02 due 14:00, handed over 03:00, scanned 2.500 s before
  D03 due 14:00, handed over 04:00, scanned 12.000 s before, D001 missing (partial)
  D04 due 14:00, handed over 05:00, scanned 4.000 s before
  D05 due 06:00, never collected: marked overdue by the 07:00 sweep
  D06 due 2026-05-31 15:00 (the day before, local), overdue by the 01:00 sweep, returned 08:00
  D07 due 2026-06-02 02:00 (the next day), handed over early 05:30, scanned 6.000 s before
      (+ add-on sale S3)
  D08 due 14:00, cancelled by HQ at 01:30
  D09 due 2026-05-31 12:00, handed over 2026-05-31 10:00 (the day before), 99.999 s
  D10 due 14:00, handed over 09:00 without a scan (order chosen by phone: no scan time)
Counter sales: S1 D01 02:01 wechat B001 x2; S2 D01 02:03 cash D001 x1; S3 D07 05:31 alipay
  B001 x1; S4 06:30 cash M001 x3 (no pickup); S0 2026-05-31 12:00 wechat B001 x1 (day before).
  Every product costs 10.00.
Fridge F1 (chilled, max 4 °C, grace 300 s): 3.0 at 03:00; 6.5 at 03:10 (excursion starts);
  8.2 at 03:12; 7.0 at 03:16 (alarm raised); 3.5 at 03:20 (cleared); acknowledged by m01 at
  03:30. 5.0 at 09:00, 3.9 at 09:02 (a short excursion, never an alarm). The day before:
  6.0 at 2026-05-31 08:00, 3.0 at 08:01.
Stock: adjust B001 -2 damaged 07:30; adjust D001 +1 found 07:40; count M001 one short 08:30;
  the missing D001 of D03 (04:00); the day before: adjust B001 -5 damaged.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from edge.db import write_tx
from edge.domain import orders, pickup, sales, stock, temperatures
from edge.domain.temperatures import Fridge
from edge.store import Store
from tests.support.edge_store import make_ready, order_data

DAY = date(2026, 6, 1)
TZ = ZoneInfo("Asia/Shanghai")
MANAGER, MANAGER_PIN, CLERK = "m01", "9999", "c01"


def at(hh: int, mm: int = 0, *, day: int = 1, month: int = 6) -> datetime:
    return datetime(2026, month, day, hh, mm, tzinfo=timezone.utc)


def _order(store: Store, order_no: str, window_end: datetime, received: datetime) -> None:
    data = order_data(order_no, window_start=window_end - timedelta(hours=40),
                      window_end=window_end, now=received)
    with write_tx(store.db):
        orders.receive_order(store.db, store.pickup_key, data, now=received)
        make_ready(store, order_no, now=received + timedelta(hours=1))


def _hand_over(store: Store, order_no: str, when: datetime, scan_ms: int | None,
               not_taken: list[pickup.NotTaken] | tuple = ()) -> None:
    scanned = when - timedelta(milliseconds=scan_ms) if scan_ms is not None else None
    pickup.hand_over(store, order_no, CLERK, scanned_at=scanned, not_taken=not_taken, now=when)


def script_day(store: Store) -> None:
    """Run the whole scripted day (and the bits of the days around it) on ``store``."""
    early = at(1, day=30, month=5)  # orders arrive well before the day
    due = at(14)
    for order_no in ("D01", "D02", "D03", "D04", "D08", "D10"):
        _order(store, order_no, due, early)
    _order(store, "D05", at(6), early)
    _order(store, "D06", at(15, day=31, month=5), early)
    _order(store, "D07", at(2, day=2), early)
    _order(store, "D09", at(12, day=31, month=5), early)

    # the day before
    _hand_over(store, "D09", at(10, day=31, month=5), 99_999)
    sales.sell(store, [sales.SaleLine("B001", 1)], CLERK, payment_method="wechat",
               now=at(12, day=31, month=5))
    stock.adjust(store.db, sku="B001", qty=-5, reason="damaged", actor=MANAGER,
                 now=at(9, day=31, month=5))
    temperatures.configure_fridges(store, [Fridge("F1", "熟食冷藏柜", "chilled", 4.0)],
                                   now=at(0, day=31, month=5))
    reading = iter(range(1, 100))

    def read(celsius: float, when: datetime) -> None:
        temperatures.record_reading(store, f"r{next(reading)}", "F1", celsius, when, now=when)

    read(6.0, at(8, day=31, month=5))
    read(3.0, at(8, 1, day=31, month=5))

    # the day
    orders.mark_overdue(store.db, now=at(1))  # D06
    orders.cancel_order(store.db, "D08", "customer", actor="hq", now=at(1, 30))
    _hand_over(store, "D01", at(2), 8_000)
    sales.sell(store, [sales.SaleLine("B001", 2)], CLERK, payment_method="wechat",
               with_pickup_order_no="D01", now=at(2, 1))
    sales.sell(store, [sales.SaleLine("D001", 1)], CLERK, payment_method="cash",
               with_pickup_order_no="D01", now=at(2, 3))
    read(3.0, at(3))
    _hand_over(store, "D02", at(3), 2_500)
    read(6.5, at(3, 10))
    read(8.2, at(3, 12))
    read(7.0, at(3, 16))
    read(3.5, at(3, 20))
    alarm = temperatures.alarms_between(store.db, at(3), at(4), "F1")[0]
    temperatures.acknowledge_alarm(store, alarm.id, MANAGER, MANAGER_PIN, "门关好了，货品检查过",
                                   now=at(3, 30))
    _hand_over(store, "D03", at(4), 12_000, [pickup.NotTaken(2, 1, "missing")])
    _hand_over(store, "D04", at(5), 4_000)
    _hand_over(store, "D07", at(5, 30), 6_000)
    sales.sell(store, [sales.SaleLine("B001", 1)], CLERK, payment_method="alipay",
               with_pickup_order_no="D07", now=at(5, 31))
    sales.sell(store, [sales.SaleLine("M001", 3)], CLERK, payment_method="cash", now=at(6, 30))
    orders.mark_overdue(store.db, now=at(7))  # D05
    stock.adjust(store.db, sku="B001", qty=-2, reason="damaged", actor=MANAGER, now=at(7, 30))
    stock.adjust(store.db, sku="D001", qty=1, reason="found", actor=MANAGER, now=at(7, 40))
    orders.return_to_stock(store.db, "D06", actor=MANAGER, now=at(8))
    on_hand = stock.levels(store.db, "M001").on_hand
    stock.count(store.db, sku="M001", counted=on_hand - 1, based_on=on_hand, actor=MANAGER,
                now=at(8, 30))
    _hand_over(store, "D10", at(9), None)
    read(5.0, at(9))
    read(3.9, at(9, 2))
