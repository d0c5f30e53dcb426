"""Long-poll pull (``wait``): held while the store has nothing new, answered when a change for
that store commits -- in this HQ process, another process on the same SQLite file, or another
``hq serve`` on the same PostgreSQL -- empty at the timeout, released at shutdown.

No timing thresholds: a held pull that answers *with the change* long before its ``wait``
ran out can only have been woken by the change."""

from __future__ import annotations

import asyncio
import signal
import threading
import time
from concurrent.futures import Future
from typing import Any

import httpx
import pytest

from sync.hq import registry, service
from sync.hq.app import create_app
from sync.hq.db import open_database
from sync.protocol import TransferLine
from tests.support.hq_procs import HQProcess

LONG = 40  # seconds: a pull still held when the test ends would fail the test's deadline


def _grant(hq_server, store, sku: str = "A1", units: int = 5) -> None:
    store.send("allotment.granted", {"sku": sku, "qty": units})


def _head(hq_server, store) -> tuple[int, str]:
    """The store's feed read to its end: (cursor, epoch)."""
    body = store.pull(0).json()
    while body["has_more"]:
        body = store.pull(body["next_cursor"], body["epoch"]).json()
    return body["next_cursor"], body["epoch"]


def _long_pull(url: str, token: str, cursor: int, epoch: str, wait: float = LONG) -> Future:
    """Start a held pull in a thread; the future gets (status, body)."""
    done: Future = Future()

    def run() -> None:
        try:
            with httpx.Client(base_url=url, timeout=wait + 30) as http:
                r = http.get("/v1/sync/pull", params={"cursor": cursor, "epoch": epoch, "wait": wait},
                             headers={"Authorization": f"Bearer {token}"})
            done.set_result((r.status_code, r.json()))
        except Exception as exc:  # noqa: BLE001 - handed to the test
            done.set_exception(exc)

    threading.Thread(target=run, daemon=True).start()
    return done


def _parked(hq_server, *store_ids: str) -> bool:
    waiting = hq_server.app.state.feed_watch.waiters.waiting()
    return all(s in waiting for s in store_ids)


def test_held_pull_answers_with_the_order_for_its_store_only(hq_server, wait_until):
    hq_server.add_product("A1")
    one, two = hq_server.add_store("S1"), hq_server.add_store("S2")
    channel = hq_server.add_channel("shop")
    _grant(hq_server, one), _grant(hq_server, two)
    (c1, epoch), (c2, _) = _head(hq_server, one), _head(hq_server, two)
    held_one = _long_pull(hq_server.url, one.token, c1, epoch)
    held_two = _long_pull(hq_server.url, two.token, c2, epoch)
    assert wait_until(lambda: _parked(hq_server, "S1", "S2"))

    other = channel.place("S2", [("A1", 1)]).json()["order_no"]
    status, body = held_two.result(timeout=LONG - 5)  # woken long before its wait ran out
    assert status == 200 and other in [c["payload"].get("order_no") for c in body["changes"]]
    assert not held_one.done() and _parked(hq_server, "S1")  # S2's order is not S1's news

    mine = channel.place("S1", [("A1", 2)]).json()["order_no"]
    status, body = held_one.result(timeout=LONG - 5)
    assert status == 200 and body["next_cursor"] > c1
    assert [c["payload"]["order_no"] for c in body["changes"] if c["type"] == "order.allocated"] == [mine]


def test_held_pull_times_out_empty(hq_server):
    store = hq_server.add_store("S1")
    cursor, epoch = _head(hq_server, store)
    status, body = _long_pull(hq_server.url, store.token, cursor, epoch, wait=0.3).result(timeout=30)
    assert status == 200 and body["changes"] == [] and body["next_cursor"] == cursor
    assert not body["has_more"] and not body["resync"]


def test_pending_changes_and_resync_are_never_held(hq_server):
    store = hq_server.add_store("S1")
    service.transfer_stock(hq_server.db, "S1", [TransferLine(sku="A1", lot="L", qty=1)], hq_server.clock(),
                           transfer_id="T1")
    status, body = _long_pull(hq_server.url, store.token, 0, "", wait=LONG).result(timeout=LONG - 5)
    assert status == 422  # an empty epoch is malformed, answered at once
    first = store.client.get("/v1/sync/pull", params={"wait": LONG}, headers=store.headers).json()
    assert first["changes"] and not first["resync"]
    again = store.client.get("/v1/sync/pull", params={"cursor": 99, "epoch": first["epoch"], "wait": LONG},
                             headers=store.headers).json()
    assert again["resync"] and again["reason"] == "cursor_ahead"


@pytest.mark.parametrize("wait", ["-1", "56", "soon"])
def test_wait_out_of_bounds_is_refused(hq_server, wait):
    store = hq_server.add_store("S1")
    r = store.client.get("/v1/sync/pull", params={"wait": wait}, headers=store.headers)
    assert r.status_code == 422 and r.json()["error"] == "invalid_request" and "wait" in r.json()["message"]


def test_wait_is_in_the_openapi_document(hq_server):
    params = hq_server.client.get("/openapi.json").json()["paths"]["/v1/sync/pull"]["get"]["parameters"]
    [wait] = [p for p in params if p["name"] == "wait"]
    assert wait["schema"]["maximum"] == 55 and "long-poll" in wait["description"]


def test_client_hanging_up_ends_its_wait(hq_server, wait_until):
    store = hq_server.add_store("S1")
    cursor, epoch = _head(hq_server, store)
    with httpx.Client(base_url=hq_server.url, timeout=0.5) as impatient:
        with pytest.raises(httpx.ReadTimeout):
            impatient.get("/v1/sync/pull", params={"cursor": cursor, "epoch": epoch, "wait": LONG},
                          headers=store.headers)
    assert wait_until(lambda: not _parked(hq_server, "S1"), timeout=LONG - 10)


def test_sigterm_releases_held_pulls(hq_db_url, hq_clock, tmp_path):
    """``hq serve`` stopped by SIGTERM (systemd, ctrl-c) answers held pulls at once and exits."""
    app = create_app(hq_db_url, clock=hq_clock, sweep_interval=None)
    token = registry.add_store(app.state.db, "S1", hq_clock())
    app.state.db.close()
    proc = HQProcess(hq_db_url, log=tmp_path / "hq.log").wait_healthy()
    url = proc.url
    try:
        with httpx.Client(base_url=url, timeout=30, headers={"Authorization": f"Bearer {token}"}) as http:
            body = http.get("/v1/sync/pull").json()
        held = _long_pull(url, token, body["next_cursor"], body["epoch"])
        time.sleep(1.0)  # parked by now (a pull answered before the signal proves nothing less)
        proc.proc.send_signal(signal.SIGTERM)
        status, got = held.result(timeout=LONG - 5)  # answered, before its 40 s ran out
        assert status == 200 and got["changes"] == [] and got["next_cursor"] == body["next_cursor"]
    finally:
        assert proc.stop(timeout=LONG - 5) in (0, -signal.SIGTERM)  # uvicorn re-raises the signal


def test_another_process_on_the_sqlite_file_wakes_the_pull(tmp_path, make_hq_server, hq_db_url, wait_until):
    if not hq_db_url.startswith("sqlite"):
        pytest.skip("SQLite's cross-process watch (PostgreSQL: the two-process test)")
    server = make_hq_server()
    store = server.add_store("S1")
    cursor, epoch = _head(server, store)
    held = _long_pull(server.url, store.token, cursor, epoch)
    assert wait_until(lambda: _parked(server, "S1"))
    elsewhere = open_database(hq_db_url)  # its own connections, no hook into the server's waiters
    try:
        service.transfer_stock(elsewhere, "S1", [TransferLine(sku="A1", lot="L", qty=1)], server.clock(),
                               transfer_id="T9")
    finally:
        elsewhere.close()
    status, body = held.result(timeout=LONG - 5)
    assert status == 200 and [c["payload"]["transfer_id"] for c in body["changes"]] == ["T9"]


@pytest.mark.postgres
def test_listener_connection_lost_reconnects_and_misses_nothing(hq_pg_url, hq_clock, postgres, wait_until):
    from tests.sync.conftest import HQServer

    server = HQServer(hq_pg_url, hq_clock, sweep_interval=None).start()
    try:
        store = server.add_store("S1")
        cursor, epoch = _head(server, store)
        listener = server.app.state.feed_watch
        assert wait_until(lambda: listener.listener is not None and listener.listener.connects == 1)
        held = _long_pull(server.url, store.token, cursor, epoch)
        assert wait_until(lambda: _parked(server, "S1"))
        killed = postgres.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                                  "WHERE application_name = %s", (listener.listener.name,)).fetchall()
        assert killed == [(True,)]
        service.transfer_stock(server.db, "S1", [TransferLine(sku="A1", lot="L", qty=1)], server.clock(),
                               transfer_id="T1")
        status, body = held.result(timeout=LONG - 5)
        assert status == 200 and [c["payload"]["transfer_id"] for c in body["changes"]] == ["T1"]
        assert wait_until(lambda: listener.listener.connects == 2)  # and it listens again
        again = _long_pull(server.url, store.token, body["next_cursor"], epoch)
        assert wait_until(lambda: _parked(server, "S1"))
        service.transfer_stock(server.db, "S1", [TransferLine(sku="A1", lot="L", qty=1)], server.clock(),
                               transfer_id="T2")
        assert [c["payload"]["transfer_id"] for c in again.result(timeout=LONG - 5)[1]["changes"]] == ["T2"]
    finally:
        server.stop()


@pytest.mark.postgres
def test_order_placed_through_one_hq_process_reaches_a_pull_held_by_another(hq_pg_url, hq_clock, tmp_path):
    app = create_app(hq_pg_url, clock=hq_clock, sweep_interval=None)  # schema and registrations
    db = app.state.db
    token = registry.add_store(db, "S1", hq_clock())
    key = registry.add_channel(db, "shop", hq_clock())
    service.upsert_catalog_item(db, _item("A1"), hq_clock())
    procs = [HQProcess(hq_pg_url, log=tmp_path / f"hq{i}.log").wait_healthy() for i in range(2)]
    try:
        first, second = (proc.url for proc in procs)
        auth = {"Authorization": f"Bearer {token}"}
        with httpx.Client(timeout=30) as http:
            assert http.post(f"{first}/v1/sync/push", headers=auth, json={"events": [_grant_event()]}).status_code == 200
            body = http.get(f"{first}/v1/sync/pull", headers=auth).json()
            while body["has_more"]:
                body = http.get(f"{first}/v1/sync/pull", headers=auth,
                                params={"cursor": body["next_cursor"], "epoch": body["epoch"]}).json()
        held = _long_pull(first, token, body["next_cursor"], body["epoch"])
        time.sleep(1.0)  # let process 1 park it (placed earlier, its first read finds the order anyway)
        assert not held.done()
        with httpx.Client(timeout=30) as http:
            placed = http.post(f"{second}/v1/orders", headers={"Authorization": f"Bearer {key}"},
                               json={"request_id": "r1", "store_id": "S1", "customer_name": "王小明",
                                     "customer_phone": "13800138000", "lines": [{"sku": "A1", "qty": 1}]})
        assert placed.status_code == 201, placed.text
        status, got = held.result(timeout=LONG - 5)
        assert status == 200
        assert [c["payload"]["order_no"] for c in got["changes"] if c["type"] == "order.allocated"] == [
            placed.json()["order_no"]]
    finally:
        for proc in procs:
            proc.stop()
        db.close()


def _item(sku: str) -> Any:
    from sync.protocol import CatalogItem

    return CatalogItem(sku=sku, name_zh="鲜牛奶", name_en="Fresh milk", zone="chilled", price_cents=1290)


def _grant_event() -> dict:
    from tests.sync.conftest import new_event

    return new_event(1, "allotment.granted", {"sku": "A1", "qty": 5})


def test_change_committed_between_the_empty_read_and_the_wait_is_not_missed():
    """The commit hook fires while the (empty) read is still returning: the waiter, registered
    before the read, keeps the wake and re-reads at once instead of waiting out its 40 s."""
    from sync.hq.feed_wait import FeedWaiters
    from sync.protocol import PullResponse

    async def body() -> tuple[PullResponse, int]:
        waiters = FeedWaiters()
        waiters.bind(asyncio.get_running_loop())
        reads = []

        def read() -> PullResponse:  # runs in the threadpool, like changes.pull
            reads.append(1)
            if len(reads) == 1:
                waiters.wake_threadsafe(["S1"])  # what Database.commit_hooks does on commit
                return PullResponse(epoch="e", next_cursor=4)
            return PullResponse(epoch="e", changes=[{"cursor": 5, "change_id": "c5", "type": "stock.transfer",
                                                      "payload": {}}], next_cursor=5)

        never = asyncio.get_running_loop().create_future()
        page = await asyncio.wait_for(waiters.long_pull(read, "S1", 4, LONG, never), timeout=LONG - 10)
        return page, len(reads)

    page, reads = asyncio.run(body())
    assert reads == 2 and [c.cursor for c in page.changes] == [5]
