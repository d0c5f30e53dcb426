"""End to end: an order placed at a real HQ reaches the store, is packed and handed over at the
counter with an add-on sale, is counted in the day end, and the report reaches HQ."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from conftest_client import channel, client, edge, hq, pack_all  # noqa: F401  (fixtures)

from edge.domain import day_end, pickup, sales
from sync.hq import service
from tests.support.day_end_script import TZ


def test_a_pickup_handed_over_today_is_in_the_day_end_hq_receives(hq, edge, client, channel):
    now = datetime.now(timezone.utc)
    assert client.sync_once().ok
    view = channel.place([("B001", 1), ("D001", 1)], window_start=(now - timedelta(hours=1)).isoformat(),
                         window_end=(now + timedelta(hours=1)).isoformat())
    assert client.sync_once().ok
    pack_all(edge, view["order_no"])
    scanned = datetime.now(timezone.utc)
    handed = pickup.hand_over(edge, view["order_no"], "c01", scanned_at=scanned - timedelta(seconds=3),
                              now=scanned)
    sales.sell(edge, [sales.SaleLine("B001", 2)], "c01", payment_method="alipay",
               with_pickup_order_no=handed.order_no, now=scanned + timedelta(seconds=30))

    today = day_end.local_today(TZ, scanned)
    report = day_end.day_end(edge, today, TZ, actor="m01")
    due_today = (now + timedelta(hours=1)).astimezone(TZ).date() == today
    assert (report.pickups_due, report.due_handed_over) == ((1, 1) if due_today else (0, 0))
    assert (report.handovers, report.verify_ms_mean, report.verify_ms_p90) == (1, 3000, 3000)
    assert (report.addon_pickups, report.addon_sales, report.addon_cents) == (1, 1, 2 * 1200)
    assert [(p.method, p.sales, p.cents) for p in report.payments] == [("alipay", 1, 2400)]

    day_end.send_day_end(edge, report, actor="m01")
    result = client.sync_once()
    assert result.ok and result.pending == 0 and result.rejected == 0, result
    [kept] = service.day_reports(hq.db, "S001", today.isoformat())
    assert (kept["handovers"], kept["addon_cents"], kept["sent_by"]) == (1, 2400, "m01")
