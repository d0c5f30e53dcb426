"""kill -9 of the syncing process at random moments (before, during, after requests, while a
page is being applied), while the counter keeps working in another process: after a final
clean sync every store event is at HQ exactly once and every HQ order in the store once."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

from conftest_client import PRODUCTS, channel, edge, hq, pack_all  # noqa: F401

from edge.domain import pickup, stock
from sync.client import SyncClient
from sync.hq import service

ROOT = Path(__file__).resolve().parents[2]
SYNC_LOOP = """
import sys
from sync.client import SyncClient
client = SyncClient(sys.argv[1], sys.argv[2], sys.argv[3], timeout=5, pull_limit=3, push_batch=4)
print("ready", flush=True)
while True:
    client.sync_once()
"""


def _start_syncer(data_dir: Path, url: str, token: str) -> subprocess.Popen:
    proc = subprocess.Popen([sys.executable, "-c", SYNC_LOOP, str(data_dir), url, token],
                            cwd=ROOT, stdout=subprocess.PIPE, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert proc.stdout.readline().strip() == b"ready"
    return proc


def test_sync_killed_at_random_points_loses_and_duplicates_nothing(hq, edge, channel):
    rng = random.Random(7)
    token = hq.add_store()
    first = SyncClient(edge, hq.url, token)
    assert first.sync_once().ok  # HQ learns the allotment
    first.close()
    for _ in range(8):
        syncer = _start_syncer(edge.data_dir, hq.url, token)
        for _ in range(3):
            channel.place([(rng.choice(PRODUCTS)[0], 1)])
        time.sleep(rng.uniform(0.02, 0.4))  # let it get somewhere, then pull the plug
        syncer.send_signal(signal.SIGKILL)
        syncer.wait()
        for (order_no,) in edge.db.execute("SELECT order_no FROM orders WHERE status = 'allocated'"
                                           ).fetchall():
            pack_all(edge, order_no)
            pickup.hand_over(edge, order_no, "c01")

    final = SyncClient(edge, hq.url, token)
    for _ in range(5):
        report = final.sync_once()
        assert report.ok
        if report.pending == 0 and report.pulled == 0:
            break
    final.close()
    with hq.db.tx(snapshot=True) as tx:
        hq_events = tx.all("SELECT seq, event_id FROM events WHERE store_id = 'S001' ORDER BY seq")
        hq_orders = dict(tx.all("SELECT order_no, status FROM orders WHERE store_id = 'S001'"))
    assert hq_events == edge.db.execute("SELECT seq, event_id FROM outbox ORDER BY seq").fetchall()
    assert dict(edge.db.execute("SELECT order_no, status FROM orders").fetchall()) == hq_orders
    assert len(hq_orders) == 24 and "picked_up" in hq_orders.values()
    for sku, *_ in PRODUCTS:
        assert service.stock_level(hq.db, "S001", sku) == stock.levels(edge.db, sku).on_hand
