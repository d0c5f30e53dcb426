"""HQ killed (SIGKILL) and restarted mid-sync, as a real `store-edge hq serve` process: every
store event ends up at HQ exactly once, and the counter never noticed."""

from __future__ import annotations

import os
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
from conftest_client import build_store

from edge.db import write_tx
from edge.domain import sales, stock
from sync.client import SyncClient

BACKLOG = 1000  # sales per SKU, each two events (sale.completed + stock.moved)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "edge.cli", *args]


def _start_hq(db_url: str, port: int) -> subprocess.Popen:
    proc = subprocess.Popen(_cli("hq", "serve", "--db", db_url, "--port", str(port)),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/v1/health", timeout=1).status_code == 200:
                return proc
        except httpx.HTTPError:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError("hq serve did not start")


def test_hq_killed_and_restarted_mid_sync_loses_and_duplicates_nothing(tmp_path: Path):
    db_path = tmp_path / "hq.db"
    db_url = f"sqlite:///{db_path}"
    token = subprocess.run(_cli("hq", "add-store", "S001", "--db", db_url), check=True,
                           capture_output=True, text=True).stdout.strip().splitlines()[-1]
    store = build_store(tmp_path / "store")
    _sell_backlog(store)  # a busy offline morning
    committed = store.db.execute("SELECT COUNT(*) FROM outbox").fetchone()[0]
    port = _free_port()
    hq = _start_hq(db_url, port)
    stop = threading.Event()
    kills, final = 0, []

    def sync_loop() -> None:
        """The store's background sync: its own thread and connection, as in the app."""
        client = SyncClient(store.data_dir, f"http://127.0.0.1:{port}", token, timeout=5,
                            push_batch=50)
        while not stop.is_set():
            try:
                client.sync_once()
            except Exception:  # noqa: BLE001 - a dead HQ mid-request is the point of the test
                pass
            time.sleep(0.01)
        final.append(client.sync_once())
        client.close()

    worker = threading.Thread(target=sync_loop, daemon=True)
    worker.start()
    try:
        for delay in (0.3, 0.5, 0.2, 0.4):  # kill HQ while pushes are in flight, then restart
            time.sleep(delay)
            os.kill(hq.pid, signal.SIGKILL)
            hq.wait()
            kills += 1
            if kills == 1:  # the first kill must land mid-backlog, or this tests nothing
                with sqlite3.connect(db_path) as hq_db:
                    assert hq_db.execute("SELECT COUNT(*) FROM events").fetchone()[0] < committed
            hq = _start_hq(db_url, port)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            pending = store.db.execute("SELECT COUNT(*) FROM outbox WHERE acked_at IS NULL").fetchone()[0]
            if pending == 0:
                break
            time.sleep(0.2)
        stop.set()
        worker.join(30)
        assert final and final[0].ok
    finally:
        stop.set()
        worker.join(30)
        hq.kill()
        hq.wait()
    assert kills == 4
    store_events = store.db.execute("SELECT seq, event_id FROM outbox ORDER BY seq").fetchall()
    assert len(store_events) == committed
    with sqlite3.connect(db_path) as hq_db:
        at_hq = hq_db.execute("SELECT seq, event_id, outcome FROM events WHERE store_id = 'S001'"
                              " ORDER BY seq").fetchall()
        sales_at_hq = hq_db.execute("SELECT COUNT(*) FROM sales").fetchone()[0]
    assert [(s, e) for s, e, _ in at_hq] == store_events  # each exactly once, in order
    assert {outcome for *_, outcome in at_hq} == {"applied"}
    assert sales_at_hq == store.db.execute("SELECT COUNT(*) FROM sales").fetchone()[0]
    store.close()


def _sell_backlog(store) -> None:
    for sku in ("B001", "D001", "M001"):
        stock.receive(store.db, sku=sku, lot="BIG", qty=BACKLOG, expiry="2099-06-01", actor="m01")
    with write_tx(store.db):
        for _ in range(BACKLOG):
            for sku in ("B001", "D001", "M001"):
                sales.sell(store, [sales.SaleLine(sku, 1)], "c01")
