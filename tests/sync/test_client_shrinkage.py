"""Shrinkage takes units back from HQ first (issue 8 #4), end to end: a real store, its sync
client, and a real HQ on a loopback port over SQLite and PostgreSQL (``hq_server``)."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone

import pytest

from edge.domain import clerks, outbox, stock
from edge.store import Store, init_store
from sync.client import SyncClient
from sync.hq import service

SKU = "K001"
MANAGER = "m01"


@pytest.fixture
def shop(tmp_path, hq_server):
    """A store with 10 units of K001 on hand, all 10 granted to HQ, synced once."""
    hq_server.add_product(SKU, "鲜牛奶", "Fresh milk", "chilled", 1290)
    token = hq_server.add_store("S001").token
    store = init_store(tmp_path / "store", "S001", "静安寺店", "Jing'an Temple")
    earlier = datetime.now(timezone.utc) - timedelta(days=1)
    store.db.execute("INSERT INTO products (sku, name_zh, name_en, zone, price_cents)"
                     " VALUES (?, '鲜牛奶', 'Fresh milk', 'chilled', 1290)", [SKU])
    store.db.conn.commit()
    clerks.add_clerk(store.db, MANAGER, "张经理", "9999", role="manager", now=earlier)
    stock.receive(store.db, sku=SKU, lot="L1", qty=10, expiry="2099-01-01", actor=MANAGER, now=earlier)
    stock.grant_allotment(store.db, sku=SKU, qty=10, actor=MANAGER, now=earlier)
    client = SyncClient(store, hq_server.url, token, timeout=10)
    assert client.sync_once().ok
    assert service.allotment(hq_server.db, "S001", SKU)["granted"] == 10
    yield store, client
    client.close()
    store.close()


def _place_one_unit_orders(hq_server, n: int) -> list[int]:
    channel = hq_server.add_channel(f"live-{uuid.uuid4().hex[:8]}")
    return [channel.place("S001", [(SKU, 1)], paid=True).status_code for _ in range(n)]


def _in_step(store: Store, hq_server) -> None:
    """Store and HQ agree on what HQ may still sell, and on the stock level."""
    at_hq = service.allotment(hq_server.db, "S001", SKU)
    lv = stock.levels(store.db, SKU)
    assert lv.allotment == at_hq["granted"] - at_hq["locked"] - at_hq["sold"]
    assert service.stock_level(hq_server.db, "S001", SKU) == lv.on_hand


def test_a_count_that_finds_less_stops_hq_selling_the_missing_units(shop, hq_server):
    store, client = shop
    stock.count(store.db, sku=SKU, counted=7, based_on=10, actor=MANAGER)
    lv = stock.levels(store.db, SKU)
    assert (lv.on_hand, lv.allotment, lv.sellable) == (7, 7, 0)
    revoked = [e["payload"] for e in outbox.events(store.db, limit=1000)
               if e["type"] == "allotment.revoked"]
    assert [(p["sku"], p["qty"]) for p in revoked] == [(SKU, 3)]

    assert client.sync_once().ok
    assert service.allotment(hq_server.db, "S001", SKU)["granted"] == 7
    codes = _place_one_unit_orders(hq_server, 10)
    assert codes.count(201) == 7 and codes.count(409) == 3

    report = client.sync_once()
    assert report.ok and report.pending == 0, report
    lv = stock.levels(store.db, SKU)
    assert (lv.on_hand, lv.allotment, lv.reserved, lv.sellable) == (7, 0, 7, 0)
    _in_step(store, hq_server)
    rejected = store.db.execute("SELECT type, reason FROM sync_rejected").fetchall()
    assert not rejected, rejected


def test_orders_hq_took_before_the_count_arrived_are_kept_and_the_rest_stops(shop, hq_server):
    """HQ sold 5 units the store had not heard of when it counted 10 → 7: HQ gives back 3
    of its 5 free units, so 7 in all are ever sold online."""
    store, client = shop
    assert _place_one_unit_orders(hq_server, 5).count(201) == 5
    stock.count(store.db, sku=SKU, counted=7, based_on=10, actor=MANAGER)  # before it synced
    assert client.sync_once().ok
    at_hq = service.allotment(hq_server.db, "S001", SKU)
    assert (at_hq["granted"], at_hq["locked"] + at_hq["sold"]) == (7, 5)
    assert _place_one_unit_orders(hq_server, 5).count(201) == 2
    assert client.sync_once().ok
    lv = stock.levels(store.db, SKU)
    assert (lv.on_hand, lv.allotment, lv.reserved, lv.sellable) == (7, 0, 7, 0)
    _in_step(store, hq_server)


def test_a_manager_revokes_a_grant_and_hq_sells_only_what_is_left(shop, hq_server):
    store, client = shop
    stock.revoke_allotment(store.db, sku=SKU, qty=4, actor=MANAGER)
    assert stock.levels(store.db, SKU).sellable == 4  # the counter may sell them again
    assert client.sync_once().ok
    assert service.allotment(hq_server.db, "S001", SKU)["granted"] == 6
    assert _place_one_unit_orders(hq_server, 8).count(201) == 6
    assert client.sync_once().ok
    _in_step(store, hq_server)


def test_a_revoke_hq_can_only_partly_honour_leaves_both_sides_agreeing(shop, hq_server):
    """HQ sold 9 of the 10 before the store counted 7: HQ gives back the 1 it still had free,
    its report corrects the store, nothing more is sold, and the 2 orders the shelf cannot
    cover are flagged at the store (the short pick's business)."""
    store, client = shop
    assert _place_one_unit_orders(hq_server, 9).count(201) == 9
    stock.count(store.db, sku=SKU, counted=7, based_on=10, actor=MANAGER)
    assert client.sync_once().ok
    at_hq = service.allotment(hq_server.db, "S001", SKU)
    assert (at_hq["granted"], at_hq["locked"] + at_hq["sold"]) == (9, 9)
    assert client.sync_once().ok
    assert _place_one_unit_orders(hq_server, 3).count(201) == 0
    assert client.sync_once().ok
    lv = stock.levels(store.db, SKU)
    assert (lv.on_hand, lv.allotment, lv.reserved) == (7, 0, 9)
    assert next(s for s in stock.overview(store.db) if s.sku == SKU).over_promised
    _in_step(store, hq_server)
