"""The background worker (status for the UI, HQ down and back), the ``store-edge sync``
command, and the demo seeded through an embedded HQ with a live stream.

``wait_until`` is the HQ tests' fixture: a generous deadline for liveness, never a timing
assertion."""

from __future__ import annotations

from collections import Counter

from dataclasses import replace

from conftest_client import channel, edge, hq, pack_all  # noqa: F401

from edge import config as config_mod
from edge.config import Config
from edge.clock import utcnow
from edge.domain import orders, pickup
from edge.ui.sync_status import SyncStatus as UISyncStatus
from sync import demo as hq_demo
from sync.client import SyncClient
from sync.hq import service
from sync.worker import SyncStatus, backoff_delay, start_sync_worker


class FakeApp:
    """What the worker needs of the Textual app: ``update_sync_status`` and a timer (here a
    thread standing in for the app's event loop)."""

    lang = "en"

    def __init__(self) -> None:
        self.sync_status = UISyncStatus()
        self.timers: list = []

    def set_interval(self, seconds: float, callback) -> None:
        import threading

        def tick() -> None:
            while not self.stopped.wait(seconds):
                callback()

        self.stopped = threading.Event()
        self.timers.append(threading.Thread(target=tick, daemon=True))
        self.timers[-1].start()

    def update_sync_status(self, **changes) -> None:
        self.sync_status = replace(self.sync_status, **changes)


def test_worker_reports_status_and_drains_backlog_after_hq_returns(hq, edge, channel, wait_until):
    app = FakeApp()
    cfg = Config(data_dir=edge.data_dir, hq_url=hq.url, hq_token=hq.add_store(), sync_interval_s=0.05)
    worker = start_sync_worker(app, cfg)
    try:
        assert wait_until(lambda: app.sync_status.online and app.sync_status.pending == 0)
        view = channel.place([("B001", 1)])
        assert wait_until(lambda: orders.get_order(edge.db, view["order_no"]) is not None)
        assert wait_until(lambda: app.sync_status.online and app.sync_status.pending == 0)
        assert app.sync_status.last_ok is not None

        hq.stop()
        pack_all(edge, view["order_no"])  # the counter works on while HQ is down
        pickup.hand_over(edge, view["order_no"], "c01")
        assert wait_until(lambda: app.sync_status.online is False and app.sync_status.pending > 0)
        assert app.sync_status.message == "HQ unreachable: no connection"

        hq.start()
        worker.wake()
        assert wait_until(lambda: app.sync_status.online and app.sync_status.pending == 0, timeout=60)
        assert service.get_order(hq.db, view["order_no"])["status"] == "picked_up"
    finally:
        worker.stop()
        app.stopped.set()
    assert not worker.is_alive()


def test_no_hq_configured_is_a_status_not_an_error(edge):
    seen: list[SyncStatus] = []
    assert start_sync_worker(seen.append, Config(data_dir=edge.data_dir), lang="en") is None
    [status] = seen
    assert status.online is False and status.pending > 0 and "No HQ configured" in status.message
    UISyncStatus(**status.changes())  # the UI's status takes these fields as they are


def test_backoff_grows_and_is_capped():
    assert backoff_delay(5, 0) == 5
    assert 5 < backoff_delay(5, 1) < backoff_delay(5, 4) * 2
    assert backoff_delay(5, 40) <= 300 * 1.25


def test_sync_command_once(hq, edge, channel, capsys):
    from edge.cli import main

    token = hq.add_store()
    argv = ["sync", "--once", "--data-dir", str(edge.data_dir), "--hq", hq.url, "--token", token,
            "--lang", "en"]
    assert main(argv) == 0  # HQ learns the allotment
    view = channel.place([("D001", 1)])
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert "Sent" in out and "received" in out and "Last successful sync" in out
    assert orders.get_order(edge.db, view["order_no"]) is not None
    hq.stop()
    assert main(argv) == 1
    assert "HQ unreachable" in capsys.readouterr().out
    assert main(["sync", "--once", "--data-dir", str(edge.data_dir)]) == 2  # no HQ configured
    capsys.readouterr()
    assert main(["sync", "--status", "--data-dir", str(edge.data_dir), "--lang", "en"]) == 0
    assert "events waiting" in capsys.readouterr().out


def test_demo_seeded_through_hq_and_the_stream_arrives(tmp_path, wait_until):
    data_dir = tmp_path / "demo"
    store = hq_demo.seed_with_hq(data_dir, n_orders=40)
    codes = hq_demo.demo_codes(store)
    assert all(c["status"] != "unknown" for c in codes)
    # the seeded orders, and the pre-sale orders waiting for TR-DEMO-01 (placed at HQ)
    assert Counter(c["scenario"] == "presale" for c in codes) == {False: 40, True: hq_demo.DEMO_PRESALE}
    assert {"picked_up", "ready"} <= {c["status"] for c in codes}
    assert store.db.execute("SELECT COUNT(*) FROM outbox WHERE acked_at IS NULL").fetchone()[0] == 0
    cfg = config_mod.load(data_dir)
    assert cfg.hq_url and cfg.hq_token and cfg.devices  # [hq] added beside the devices config

    with hq_demo.running_demo_hq(data_dir, rate=20) as hq:
        assert hq is not None and cfg.hq_url == hq.url
        worker = start_sync_worker(lambda status: None, cfg)  # as the demo's terminal app does

        def streamed() -> list[dict]:
            return [c for c in hq_demo.demo_codes(store)
                    if c["scenario"] == "stream" and c["status"] != "unknown"]

        try:
            assert wait_until(lambda: len(streamed()) >= 2)  # brought in by the held pull
            # a share of the stream is delivered from the store: on the task board by promised
            # time, and the demo's courier platform names a rider for the platform's ones
            from edge.domain import board

            assert wait_until(lambda: any(r.is_delivery for r in board.board_rows(store.db, now=utcnow())))
            assert wait_until(lambda: store.db.execute(
                "SELECT COUNT(*) FROM orders WHERE courier_expected IS NOT NULL").fetchone()[0] > 0)
        finally:
            worker.stop()
    store.close()


def test_worker_drives_the_real_status_bar(hq, edge, channel):
    """start_sync_worker(app, cfg) with the terminal app itself: status shown on its timer."""
    import asyncio

    from edge.ui.app import StoreEdgeApp

    cfg = Config(data_dir=edge.data_dir, hq_url=hq.url, hq_token=hq.add_store(), sync_interval_s=0.05)

    async def body() -> None:
        app = StoreEdgeApp(edge.data_dir, lang="en", clerk_id="c01")
        async with app.run_test(size=(100, 30)) as pilot:
            worker = start_sync_worker(app, cfg)
            try:
                for _ in range(1500):  # a generous deadline, not a timing assertion
                    if app.sync_status.online and app.sync_status.pending == 0:
                        break
                    await pilot.pause(0.02)
                assert app.sync_status.online and app.sync_status.pending == 0
                assert app.sync_status.last_ok is not None
            finally:
                worker.stop()

    asyncio.run(body())


def test_a_hand_over_is_sent_without_waiting_for_the_interval(hq, edge, channel, wait_until):
    seen: list[SyncStatus] = []
    cfg = Config(data_dir=edge.data_dir, hq_url=hq.url, hq_token=hq.add_store(),
                 sync_interval_s=3600)  # an hour: only the new event can trigger the sync
    client = SyncClient(edge, hq.url, cfg.hq_token)
    assert client.sync_once().ok
    view = channel.place([("B001", 1)])
    assert client.sync_once().ok
    client.close()
    worker = start_sync_worker(seen.append, cfg, lang="en")
    try:
        assert wait_until(lambda: len(seen) >= 1)
        pack_all(edge, view["order_no"])
        pickup.hand_over(edge, view["order_no"], "c01")
        assert wait_until(lambda: service.get_order(hq.db, view["order_no"])["status"] == "picked_up")
    finally:
        worker.stop()
