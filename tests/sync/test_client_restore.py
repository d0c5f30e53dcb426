"""A store restored from a backup, against a real HQ on loopback: backup → more orders and
hand-overs → restore → a hand-over before the first sync → sync. Nothing is lost at HQ, no
event of the store is taken for another one, and the store has every order again."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone

from conftest_client import PRODUCTS, build_store, edge, hq, pack_all  # noqa: F401

from edge.backup import take_backup
from edge.domain import orders, outbox, pickup, sync_state
from edge.restore import plan_restore, restore
from edge.store import Store
from sync.client import SyncClient
from sync.hq import service


def _hq_events(hq_server) -> dict[str, str]:
    with hq_server.db.tx(snapshot=True) as tx:
        return dict(tx.all("SELECT event_id, outcome FROM events WHERE store_id = ?", ("S001",)))


def _place(channel, sku: str) -> str:
    now = datetime.now(timezone.utc)
    r = channel.place("S001", [(sku, 1)], paid=True, request_id=str(uuid.uuid4()),
                      window_start=(now - timedelta(hours=1)).isoformat(),
                      window_end=(now + timedelta(hours=6)).isoformat())
    assert r.status_code == 201, r.text
    return r.json()["order_no"]


def test_restore_then_sync_loses_nothing(tmp_path, hq_server):
    """On SQLite and PostgreSQL HQs (``hq_server``)."""
    for sku, zh, en, zone, price in PRODUCTS:
        hq_server.add_product(sku, zh, en, zone, price)
    token = hq_server.add_store("S001").token
    channel = hq_server.add_channel()
    edge = build_store(tmp_path / "store")
    client = SyncClient(edge, hq_server.url, token, timeout=10)
    assert client.sync_once().ok
    early, handed_early = _place(channel, "B001"), _place(channel, "D001")
    assert client.sync_once().ok
    backup = take_backup(edge.data_dir)

    # after the backup: a new order, and a hand-over HQ hears of
    late = _place(channel, "M001")
    assert client.sync_once().ok
    pack_all(edge, handed_early)
    pickup.hand_over(edge, handed_early, "c01")
    assert client.sync_once().ok
    hq_before = _hq_events(hq_server)
    client.close()
    edge.close()

    restore(edge.data_dir, plan_restore(edge.data_dir, backup.db_path))
    store = Store.open(edge.data_dir)
    try:
        assert orders.get_order(store.db, late) is None  # the copy predates it
        assert orders.get_order(store.db, handed_early).status != "picked_up"
        # the clerk hands an order over before the store has synced: its events take numbers
        # HQ already holds from before the restore
        pack_all(store, early)
        pickup.hand_over(store, early, "c01")
        written_after = [e["event_id"] for e in outbox.events(store.db)
                         if e["seq"] > int(sync_state.get(store.db, sync_state.RESTORED))]
        assert written_after

        again = SyncClient(store, hq_server.url, token, timeout=10)
        try:
            report = again.sync_once()
            assert report.ok and report.pending == 0 and report.resync_reason == "restored"
            assert again.sync_once().ok  # and it stays in step
        finally:
            again.close()

        hq_after = _hq_events(hq_server)
        assert set(hq_before) <= set(hq_after)  # nothing lost at HQ
        assert all(hq_after[e] == "applied" for e in written_after)  # none taken for another
        assert "rejected" not in set(hq_after.values())
        assert service.get_order(hq_server.db, early)["status"] == "picked_up"
        assert service.get_order(hq_server.db, handed_early)["status"] == "picked_up"
        for order_no in (early, handed_early, late):  # the store has every order again
            assert orders.get_order(store.db, order_no) is not None
        # HQ's word on the hand-over made after the backup: not to be handed over twice
        assert orders.get_order(store.db, handed_early).status == "picked_up"
        assert sync_state.get(store.db, sync_state.RESTORED) is None
        seqs = [e["seq"] for e in outbox.events(store.db)]
        assert seqs == sorted(set(seqs))
    finally:
        store.close()


def test_the_sync_agent_takes_the_daily_backup(hq, edge, tmp_path):
    """`store-edge sync` (what runs when the counter UI is closed) backs the store up at start."""
    import os
    import signal
    import subprocess
    import sys
    import time

    from edge.backup import list_backups
    from tests.support.edge_store import ROOT

    (edge.data_dir / "store-edge.toml").write_text(
        f'[hq]\nurl = "{hq.url}"\ntoken = "{hq.add_store()}"\ninterval_s = 60\n', encoding="utf-8")
    agent = subprocess.Popen([sys.executable, "-m", "edge.cli", "sync", "--data-dir", str(edge.data_dir)],
                             env={**os.environ, "PYTHONPATH": str(ROOT)},
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while not list_backups(edge.data_dir / "backups"):
            assert agent.poll() is None and time.monotonic() < deadline
            time.sleep(0.05)
    finally:
        agent.send_signal(signal.SIGINT)
        assert agent.wait(timeout=30) == 0
    (path, _at, reason), = list_backups(edge.data_dir / "backups")
    assert reason == "daily" and path.with_suffix(".key").is_file()
