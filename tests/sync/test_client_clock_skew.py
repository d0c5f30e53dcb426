"""A store PC whose clock is a day off: device clocks never decide anything. HQ orders what
it receives by arrival (the store's seq), so outcomes are the same as with a right clock."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from conftest_client import channel, client, edge, hq, pack_all  # noqa: F401  (fixtures)

from edge.domain import orders, pickup, sales, stock
from sync.hq import service


@pytest.mark.parametrize("skew_hours", [-24, 24])
def test_store_clock_a_day_off_decides_nothing(hq, edge, client, channel, skew_hours):
    real = datetime.now(timezone.utc)
    wide = {"window_start": (real - timedelta(days=3)).isoformat(),
            "window_end": (real + timedelta(days=3)).isoformat()}
    assert client.sync_once().ok
    handed = channel.place([("B001", 1)], **wide)
    kept = channel.place([("D001", 2)], **wide)
    assert client.sync_once().ok
    store_now = real + timedelta(hours=skew_hours)
    for view in (handed, kept):
        pack_all(edge, view["order_no"])
    # offline: the clerk hands over by the store's (wrong) clock, sells, counts
    pickup.hand_over(edge, handed["order_no"], "c01", now=store_now)
    sales.sell(edge, [sales.SaleLine("M001", 1)], "c01", now=store_now)
    stock.count(edge.db, sku="B001", counted=stock.levels(edge.db, "B001").on_hand - 1,
                based_on=stock.levels(edge.db, "B001").on_hand, actor="m01", now=store_now)
    # meanwhile HQ cancels the order the store already handed over
    assert channel.cancel(handed["order_no"]).status_code == 200

    report = client.sync_once()
    assert report.ok and report.pending == 0, report
    assert client.sync_once().ok
    # the hand-over stands whatever the store clock said; HQ notes it for a refund decision
    assert service.get_order(hq.db, handed["order_no"])["status"] == "picked_up"
    with hq.db.tx(snapshot=True) as tx:  # HQ stamps the hand-over with its own clock (rule 8)
        handed_at = tx.scalar("SELECT handed_over_at FROM orders WHERE order_no = ?",
                              (handed["order_no"],))
    assert real.replace(microsecond=0) <= datetime.fromisoformat(str(handed_at)) <= datetime.now(timezone.utc)
    assert orders.get_order(edge.db, handed["order_no"]).status == "picked_up"
    assert any(c["kind"] == "handover_after_cancel" for c in service.open_conflicts(hq.db, "S001"))
    assert orders.get_order(edge.db, kept["order_no"]).status == "ready"
    # nothing was refused for its timestamp (only the packed order's "ready", which came
    # after HQ's cancel by arrival: status only moves forward); stock agrees on both sides
    rejected = edge.db.execute("SELECT type, reason FROM sync_rejected").fetchall()
    assert rejected == [("order.status_changed", "status_not_forward:cancelled->ready")]
    for sku in ("B001", "D001", "M001"):
        assert service.stock_level(hq.db, "S001", sku) == stock.levels(edge.db, sku).on_hand, sku
