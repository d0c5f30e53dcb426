"""The demo's live stream sells fresh items the store holds as a store would, so HQ's first
stream.rate makes the prep panel ask for more at once (not after ~40 minutes of selling)."""

from __future__ import annotations

from datetime import timedelta

from edge.clock import iso, utcnow
from edge.domain import clerks, prep, stock
from edge.store import init_store
from sync import demo as sync_demo
from sync.hq.demo_data import DEMO_CATALOG


def test_stream_fresh_items_need_prep_at_the_streams_first_rate(tmp_path):
    store = init_store(tmp_path / "s", "S001", "静安寺店", "Jing'an Temple")
    try:
        clerks.add_clerk(store.db, "m01", "张经理", "9999", role="manager")
        for item in DEMO_CATALOG:  # as HQ's catalog brings them
            store.db.execute("INSERT INTO products (sku, name_zh, name_en, zone, price_cents,"
                             " shelf_life_days) VALUES (?,?,?,?,?,?)",
                             [item.sku, item.name_zh, item.name_en, item.zone, item.price_cents,
                              item.shelf_life_days])
        sync_demo._stock_stream_catalog(store)
        now = utcnow()
        # the first rate HQ sends: half a minute of the demo's stream (1-3 items of 12, ~1.25 each)
        per_order = round(2 / len(DEMO_CATALOG) * 1.25, 3)
        prep.record_stream(store.db, {
            "channel": sync_demo.DEMO_CHANNEL, "stream_id": "demo@start",
            "started_at": iso(now - timedelta(seconds=30)), "as_of": iso(now), "window_min": 1.0,
            "orders": 6, "orders_per_min": sync_demo.STREAM_RATE * 60 / 2,
            "units_per_order": {item.sku: per_order for item in DEMO_CATALOG}}, now=now)
        by_sku = {s.sku: s for s in prep.suggest(store.db, now=now)}
        fresh = [i.sku for i in DEMO_CATALOG if prep.is_fresh(i.zone, i.shelf_life_days)]
        assert fresh
        for sku in fresh:
            assert by_sku[sku].prep > 0, by_sku[sku]
            assert stock.levels(store.db, sku).allotment > 0  # HQ still sells them
        for item in DEMO_CATALOG:
            if item.sku not in fresh:
                assert by_sku[item.sku].prep == 0  # dry and frozen goods: stocked by the week
    finally:
        store.close()
