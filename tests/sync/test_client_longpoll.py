"""The background worker follows HQ by long-poll: an order placed at HQ lands in the store's
own SQLite database without any polling interval, a store with nothing to send makes no push
request, and a hand-over still goes out at once while the long-poll is held.

``interval`` is an hour in these tests: only the long-poll (orders) and the outbox watch
(hand-overs) can move anything. ``wait_until`` is a generous deadline, not a timing check."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import httpx
from conftest_client import channel, edge, hq, pack_all  # noqa: F401

from edge.domain import orders, pickup
from sync import protocol as p
from sync.client import SyncClient
from sync.hq import service
from sync.worker import SyncWorker


class CountingTransport(httpx.HTTPTransport):
    """A real HTTP transport that counts requests by path (both worker threads share it)."""

    def __init__(self) -> None:
        super().__init__()
        self.sent: Counter[str] = Counter()
        self._lock = threading.Lock()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        with self._lock:
            self.sent[request.url.path] += 1
        return super().handle_request(request)


def _held(hq, store_id: str = "S001") -> bool:
    return store_id in hq.app.state.feed_watch.waiters.waiting()


def test_order_arrives_by_long_poll_and_an_idle_store_pushes_nothing(hq, edge, channel, wait_until):
    sent = CountingTransport()
    worker = SyncWorker(edge.data_dir, hq.url, hq.add_store(), interval=3600, transport=sent, lang="en")
    worker.start()
    try:
        assert wait_until(lambda: worker.follower is not None and _held(hq))
        view = channel.place([("B001", 1)])
        assert wait_until(lambda: orders.get_order(edge.db, view["order_no"]) is not None)
        assert wait_until(lambda: _held(hq) and worker.last_report.ok and worker.last_report.pending == 0)

        pushes = sent.sent[p.PUSH_PATH]
        worker.wake()  # even woken, a store with nothing to send does not ask HQ
        time.sleep(0.5)
        assert sent.sent[p.PUSH_PATH] == pushes

        pack_all(edge, view["order_no"])
        pickup.hand_over(edge, view["order_no"], "c01")  # the pull is held meanwhile
        assert wait_until(lambda: service.get_order(hq.db, view["order_no"])["status"] == "picked_up")
        assert sent.sent[p.PUSH_PATH] > pushes
    finally:
        worker.stop()
    assert not worker.is_alive()


def test_hq_without_long_poll_is_asked_every_interval_not_in_a_loop(hq, edge, channel, wait_until):
    """An older HQ ignores ``wait`` and answers at once: the follower then pulls each interval."""
    sent = CountingTransport()
    token = hq.add_store()
    worker = SyncWorker(edge.data_dir, hq.url, token, interval=0.2, transport=sent, long_poll=0)
    worker.start()
    try:
        assert wait_until(lambda: worker.follower is not None)
        view = channel.place([("B001", 1)])
        assert wait_until(lambda: orders.get_order(edge.db, view["order_no"]) is not None)
        before = sent.sent[p.PULL_PATH]
        time.sleep(1.0)
        assert 1 <= sent.sent[p.PULL_PATH] - before <= 10  # ~5 at 0.2 s, not hundreds
    finally:
        worker.stop()


def test_client_pull_with_wait_returns_the_order_into_the_store(hq, edge, channel, wait_until):
    token, got, ready = hq.add_store(), [], threading.Event()

    def follow() -> None:  # the client opens its Store in the thread that uses it
        client = SyncClient(edge.data_dir, hq.url, token)
        try:
            ready.set() if client.sync_once().ok else None
            got.append(client.pull(wait=30))
        finally:
            client.close()

    follower = threading.Thread(target=follow)
    follower.start()
    assert wait_until(lambda: ready.is_set() and _held(hq))
    view = channel.place([("B001", 1)])
    follower.join(timeout=40)
    assert got and got[0].pulled >= 1
    assert orders.get_order(edge.db, view["order_no"]) is not None


def test_sync_agent_receives_orders_as_placed_and_stops_on_ctrl_c(hq, edge, channel, wait_until):
    """``store-edge sync`` (the service when the counter UI is closed) runs the same worker."""
    token = hq.add_store()
    root = Path(__file__).resolve().parents[2]
    agent = subprocess.Popen([sys.executable, "-m", "edge.cli", "sync", "--data-dir", str(edge.data_dir),
                              "--hq", hq.url, "--token", token, "--interval", "3600", "--lang", "en"],
                             cwd=root, env={**os.environ, "PYTHONPATH": str(root)},
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert wait_until(lambda: _held(hq) or agent.poll() is not None) and agent.poll() is None
        view = channel.place([("B001", 1)])
        assert wait_until(lambda: orders.get_order(edge.db, view["order_no"]) is not None)
    finally:
        agent.send_signal(signal.SIGINT)
        _, err = agent.communicate(timeout=60)
    assert agent.returncode == 0, err
    assert "Sync stopped" in err
