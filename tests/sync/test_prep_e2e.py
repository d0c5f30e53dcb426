"""Prep suggestions with real parts: a live stream sells at a real HQ (loopback, SQLite and
PostgreSQL), HQ's ``stream.rate`` reaches the store by pull and raises its suggestion, and
a manager's accepted suggestion becomes a prep task that reaches HQ as the store's own."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from edge.domain import clerks, prep, stock
from edge.store import init_store
from sync.client import SyncClient
from sync.hq import service
from sync.hq.stream import GAP, publish_rates, stream_rate
from sync.protocol import CatalogItem

STORE_ID = "S001"


def test_stream_rate_arithmetic():
    t0 = datetime(2026, 12, 1, 12, 0, tzinfo=timezone.utc)
    old = [(t0 - timedelta(minutes=40), [("A", 1)])]  # an earlier stream, 40 min before
    run = [(t0 + timedelta(minutes=m), [("A", 2), ("B", 1)] if m % 2 else [("A", 1)])
           for m in range(0, 20)]
    rate = stream_rate("douyin", old + run, t0 + timedelta(minutes=19, seconds=30))
    assert rate["started_at"].startswith("2026-12-01T12:00:00")  # after the 40-minute pause
    assert rate["orders"] == 10 and rate["orders_per_min"] == 1.0  # the last 10 minutes
    assert rate["units_per_order"] == {"A": 1.5, "B": 0.5}
    young = stream_rate("douyin", run[:3], t0 + timedelta(minutes=2))  # 2 minutes old
    assert young["window_min"] == 2 and young["orders_per_min"] == 1.5
    assert stream_rate("douyin", run, t0 + timedelta(minutes=19) + GAP + timedelta(seconds=1)) is None


def test_stream_rate_reaches_store_and_suggestion_accepted_into_tasks(make_hq_server, tmp_path):
    hq = make_hq_server()
    service.upsert_catalog_item(hq.db, CatalogItem(sku="CAKE1", name_zh="草莓蛋糕", name_en="Strawberry cake",
                                                   zone="chilled", price_cents=8800, shelf_life_days=2),
                                hq.clock())
    agent = hq.add_store(STORE_ID)
    store = init_store(tmp_path / "store", STORE_ID, "静安寺店", "Jing'an Temple")
    clerks.add_clerk(store.db, "m01", "张经理", "9999", role="manager")
    client = SyncClient(store, hq.url, agent.token, timeout=10)
    try:
        assert client.sync_once().ok
        stock.receive(store.db, sku="CAKE1", lot="L1", qty=40, actor="m01")
        stock.grant_allotment(store.db, sku="CAKE1", qty=40, actor="m01")
        assert client.sync_once().ok
        channel = hq.add_channel("douyin-live")
        start = hq.clock()
        for minute in range(8):  # a stream: three orders a minute, one cake each
            for _ in range(3):
                r = channel.place(STORE_ID, [("CAKE1", 1)], paid=True,
                                  window_start=(start + timedelta(hours=2)).isoformat(),
                                  window_end=(start + timedelta(hours=8)).isoformat())
                assert r.status_code == 201, r.text
            hq.clock.advance(minutes=1)
        assert publish_rates(hq.db, hq.clock()) == 1
        assert publish_rates(hq.db, hq.clock()) == 0  # another HQ process's sweeper: sent already
        assert client.sync_once().ok
        row = store.db.execute("SELECT channel, orders, orders_per_min, units_per_order FROM stream_rates"
                               ).fetchone()
        assert row == ("douyin-live", 24, 3.0, '{"CAKE1": 1.0}')

        now = hq.clock()
        [s] = prep.suggest(store.db, now=now, hours=3)
        assert s.hours[0].stream_rate == 3.0 and s.hours[0].stream_share == 1.0
        assert s.prep > 0 and s.on_hand == 40 - 24  # the stream's 24 cakes are promised
        [task] = prep.accept(store.db, ["CAKE1"], actor="m01", now=now)
        assert [t.task_id for t in prep.open_tasks(store.db)] == [task.task_id]
        assert client.sync_once().ok
        with hq.db.tx(snapshot=True) as tx:
            held = tx.one("SELECT store_id, kind, status, fields FROM tasks WHERE task_id = ?",
                          (task.task_id,))
        assert held[:3] == (STORE_ID, "store", "open")
        assert f'"qty":{s.prep}' in held[3].replace(" ", "") and "CAKE1" in held[3]
        # HQ's copy (version 1) comes back in a snapshot: still the same prep task at the store
        client._resync("test", now)
        assert [(t.task_id, t.qty) for t in prep.open_tasks(store.db)] == [(task.task_id, s.prep)]
        prep.finish(store.db, task.task_id, actor="m01", now=now)
        assert client.sync_once().ok
        with hq.db.tx(snapshot=True) as tx:
            assert tx.scalar("SELECT status FROM tasks WHERE task_id = ?", (task.task_id,)) == "done"
        # the stream stops: HQ stops publishing, and the store's copy goes stale
        hq.clock.advance(minutes=16)
        assert publish_rates(hq.db, hq.clock()) == 0
        assert prep.running_stream(store.db, hq.clock()) is None
    finally:
        client.close()
        store.close()
