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


def test_hq_killed_and_restarted_mid_sync_loses_and_duplicates_nothing(tmp_path: Path, wait_until):
    db_path = tmp_path / "hq.db"
    db_url = f"sqlite:///{db_path}"
    token = subprocess.run(_cli("hq", "add-store", "S001", "--db", db_url), check=True,
                           capture_output=True, text=True).stdout.strip().splitlines()[-1]
    store = build_store(tmp_path / "store")
    _sell_backlog(store)  # a busy offline morning
    committed = store.db.execute("SELECT COUNT(*) FROM outbox").fetchone()[0]
    acked = lambda: store.db.execute(  # noqa: E731
        "SELECT COUNT(*) FROM outbox WHERE acked_at IS NOT NULL").fetchone()[0]
    port = _free_port()
    hq = _start_hq(db_url, port)
    stop = threading.Event()
    kills, final, errors = 0, [], []

    def sync_loop() -> None:
        """The store's background sync: its own thread and connection, as in the app. A dead
        HQ is a report (offline), not an exception: anything raised is a bug and fails the test."""
        client = SyncClient(store.data_dir, f"http://127.0.0.1:{port}", token, timeout=5,
                            push_batch=50)
        try:
            while not stop.is_set():
                client.sync_once()
                stop.wait(0.01)  # pace the retries against a dead HQ, as the worker does
            final.append(client.sync_once())
        except Exception as exc:  # noqa: BLE001 - handed to the test thread, which fails
            errors.append(exc)
        finally:
            client.close()

    worker = threading.Thread(target=sync_loop, daemon=True)
    worker.start()
    try:
        # kill HQ each time another fifth of the backlog has been acknowledged, so every kill
        # lands while pushes are in flight, then restart it on the same port
        for fifth in (1, 2, 3, 4):
            assert wait_until(lambda: acked() >= committed * fifth // 5 or errors, timeout=120)
            assert not errors, errors
            assert acked() < committed, "the backlog drained before the kill: it tests nothing"
            os.kill(hq.pid, signal.SIGKILL)
            hq.wait()
            kills += 1
            hq = _start_hq(db_url, port)
        assert wait_until(lambda: acked() == committed or errors, timeout=120)
        stop.set()
        worker.join(30)
        assert not errors, errors
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
