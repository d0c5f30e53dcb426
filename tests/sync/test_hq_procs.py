"""Several HQ processes on one database: ``hq serve --workers N`` (a killed worker is
replaced, SIGTERM stops all), two ``hq serve`` on one PostgreSQL keeping a store's pulls
gapless, background jobs that never act twice, and a bounded connection pool (503, no hang)."""

from __future__ import annotations

import logging
import os
import signal
import threading
from concurrent.futures import ThreadPoolExecutor
import uuid
from pathlib import Path
from typing import Callable, Iterator

import httpx
import pytest

from sync.hq import registry, service
from sync.hq.cli import main
from sync.hq.clock import utcnow
from sync.hq.db import open_database
from sync.hq.notify import Deliverer
from sync.hq.schema import migrate
from sync.hq.serve import ServePlan, connection_budget, shown_url, worker_app
from sync.protocol import CatalogItem
from tests.support.hq_procs import HQProcess, alive
from tests.support.tcp_proxy import TcpProxy

from conftest import free_socket, new_event  # noqa: E402


@pytest.fixture
def hq_procs(tmp_path: Path) -> Iterator[Callable[..., HQProcess]]:
    started: list[HQProcess] = []

    def start(db_url: str, *args: str) -> HQProcess:
        proc = HQProcess(db_url, *args, log=tmp_path / f"hq{len(started)}.log")
        started.append(proc)
        return proc.wait_healthy()

    yield start
    for proc in started:
        proc.stop()


def _seed(db_url: str) -> tuple[str, str]:
    """Store S1, channel 'live', product A1; returns (store token, channel key)."""
    db = open_database(db_url, pool_size=1)
    migrate(db)
    service.upsert_catalog_item(db, CatalogItem(sku="A1", name_zh="鲜牛奶", name_en="Fresh milk", zone="chilled",
                                                price_cents=1290), utcnow())
    token = registry.add_store(db, "S1", utcnow())
    key = registry.add_channel(db, "live", utcnow(), kind="live_stream")
    db.close()
    return token, key


def _order(i: int) -> dict:
    return {"request_id": str(uuid.uuid4()), "store_id": "S1", "customer_name": "李雷",
            "customer_phone": "13900000000", "lines": [{"sku": "A1", "qty": 1}]}


def test_workers_over_sqlite_are_refused_clearly(tmp_path, capsys):
    assert main(["hq", "serve", "--db", f"sqlite:///{tmp_path}/hq.db", "--workers", "2"]) == 2
    err = capsys.readouterr().err
    assert "PostgreSQL" in err and "多个 HQ 进程" in err and "single writer" in err
    assert not (tmp_path / "hq.db").exists()  # refused before anything was created


def test_bad_sizes_are_refused_and_passwords_never_printed(tmp_path, capsys):
    db = f"sqlite:///{tmp_path}/hq.db"
    assert main(["hq", "serve", "--db", db, "--workers", "0"]) == 2
    assert main(["hq", "serve", "--db", db, "--db-pool", "0"]) == 2
    err = capsys.readouterr().err
    assert "--workers 至少为 1" in err and "--db-pool must be at least 1" in err
    assert shown_url("postgresql://hq:s3cret@db.example:5432/hq") == "postgresql://hq:***@db.example:5432/hq"


@pytest.mark.postgres
def test_more_connections_than_postgresql_accepts_is_warned(hq_pg_url):
    assert connection_budget(ServePlan(hq_pg_url, "127.0.0.1", 0, workers=2, db_pool=5)) is None
    warning = connection_budget(ServePlan(hq_pg_url, "127.0.0.1", 0, workers=4, db_pool=500))
    assert "4 process(es) x (500 pooled + 1 LISTEN)" in warning and "max_connections" in warning


@pytest.mark.postgres
def test_workers_serve_and_a_killed_worker_is_replaced(hq_pg_url, hq_procs, wait_until):
    token, _ = _seed(hq_pg_url)
    hq = hq_procs(hq_pg_url, "--workers", "2", "--db-pool", "4")
    assert wait_until(lambda: len(hq.workers()) == 2, timeout=180)
    first = hq.workers()
    os.kill(first[0], signal.SIGKILL)
    # the other worker keeps accepting on the shared socket meanwhile
    assert all(hq.healthy() for _ in range(10))
    assert wait_until(lambda: len(hq.workers()) == 2 and first[0] not in hq.workers(), timeout=180)
    auth = {"Authorization": f"Bearer {token}", "Connection": "close"}
    for seq in (1, 2, 3):  # each on a new connection: any worker may take it
        r = httpx.post(hq.url + "/v1/sync/push", headers=auth, timeout=30,
                       json={"events": [new_event(seq, "allotment.granted", {"sku": "A1", "qty": 1})]})
        assert r.status_code == 200 and r.json()["acked_through"] == seq
    workers = hq.workers()
    assert hq.stop() == 0
    assert not any(alive(pid) for pid in workers)


@pytest.mark.postgres
def test_two_processes_keep_pulls_gapless_and_notify_once(hq_pg_url, hq_procs, webhook_receiver, wait_until):
    """Pushes and channel orders for one store go to two HQ processes at once; a puller
    asking either process in turn sees every cursor once, in order; both processes deliver
    customer notifications, none twice."""
    token, key = _seed(hq_pg_url)
    options = ("--db-pool", "6", "--webhook", webhook_receiver.url)
    servers = [hq_procs(hq_pg_url, *options).url, hq_procs(hq_pg_url, *options).url]
    store = {"Authorization": f"Bearer {token}"}
    channel = {"Authorization": f"Bearer {key}"}
    with httpx.Client(timeout=30) as c:
        r = c.post(servers[0] + "/v1/sync/push", headers=store,
                   json={"events": [new_event(1, "allotment.granted", {"sku": "A1", "qty": 1000})]})
        assert r.status_code == 200, r.text
    done = threading.Event()
    seen: list[int] = []

    def with_client(fn: Callable[..., None], *args: int) -> Callable[[], None]:
        def run() -> None:
            with httpx.Client(timeout=30) as c:
                fn(c, *args)
        return run

    def pusher(c: httpx.Client) -> None:  # allotment grants: each emits allotment.updated
        for seq in range(2, 32):
            r = c.post(servers[seq % 2] + "/v1/sync/push", headers=store,
                       json={"events": [new_event(seq, "allotment.granted", {"sku": "A1", "qty": 1})]})
            assert r.status_code == 200 and r.json()["acked_through"] == seq, r.text

    def orders(c: httpx.Client, first: int) -> None:  # each emits order.allocated
        for i in range(first, first + 30):
            r = c.post(servers[i % 2] + "/v1/orders", headers=channel, json=_order(i))
            assert r.status_code == 201, r.text

    def puller(c: httpx.Client) -> None:
        cursor, epoch, turn = 0, None, 0
        while True:
            finished = done.is_set()
            params = {"cursor": cursor, "limit": 5, **({"epoch": epoch} if epoch else {})}
            body = c.get(servers[turn % 2] + "/v1/sync/pull", headers=store, params=params).json()
            turn += 1
            assert not body["resync"], body
            for change in body["changes"]:
                assert change["cursor"] == cursor + 1, f"gap after cursor {cursor}: {change['cursor']}"
                seen.append(change["cursor"])
                cursor = change["cursor"]
            epoch = body["epoch"]
            if finished and not body["has_more"] and not body["changes"]:
                return

    with ThreadPoolExecutor(4) as pool:
        pulled = pool.submit(with_client(puller))
        writes = [pool.submit(with_client(pusher))] + [pool.submit(with_client(orders, k * 100)) for k in range(2)]
        try:
            for write in writes:
                write.result()  # a writer's failed assertion fails the test here
        finally:
            done.set()  # the puller drains what was written, then stops
        pulled.result(timeout=120)
    db = open_database(hq_pg_url, pool_size=1)
    with db.tx(snapshot=True) as tx:
        head = tx.scalar("SELECT change_seq FROM stores WHERE store_id = 'S1'")
        kinds = dict(tx.all("SELECT type, COUNT(*) FROM changes WHERE store_id = 'S1' GROUP BY type"))
    assert seen == list(range(1, head + 1))
    assert kinds["order.allocated"] == 60 and kinds["allotment.updated"] == 31

    def statuses() -> dict[str, int]:
        with db.tx(snapshot=True) as tx:
            return dict(tx.all("SELECT status, COUNT(*) FROM notifications GROUP BY status"))

    assert wait_until(lambda: statuses() == {"delivered": 60}, timeout=180)
    db.close()
    ids = [n["notification_id"] for n in webhook_receiver.received]
    assert len(ids) == 60 and len(set(ids)) == 60  # two deliverers on one table: none sent twice


@pytest.mark.postgres
def test_a_worker_waits_for_postgresql_instead_of_dying(hq_pg_url, caplog, wait_until):
    port = free_socket()
    address = port.getsockname()
    port.close()  # nothing listens there yet: connections are refused, as while PG restarts
    url = hq_pg_url.replace("127.0.0.1:5432", f"127.0.0.1:{address[1]}")
    assert url != hq_pg_url
    built: list = []
    worker = threading.Thread(target=lambda: built.append(worker_app(url, sweep_interval=None)), daemon=True)
    journal = logging.getLogger("uvicorn.error")
    journal.addHandler(caplog.handler)  # on the logger itself: whatever its propagate flag is
    try:
        with caplog.at_level(logging.WARNING, logger="uvicorn.error"):
            worker.start()
            assert wait_until(lambda: "database unavailable" in caplog.text, timeout=60)
    finally:
        journal.removeHandler(caplog.handler)
    assert worker.is_alive() and not built
    proxy = TcpProxy(("127.0.0.1", 5432), port=address[1])  # PostgreSQL is back
    try:
        worker.join(120)
        assert built and built[0].state.db.dialect == "postgresql"
        built[0].state.db.close()
    finally:
        proxy.close()


def test_a_claimed_notification_is_no_other_deliverers(hq_server, webhook_receiver):
    hq_server.add_product("A1")
    store = hq_server.add_store("S1")
    channel = hq_server.add_channel("shop")
    store.send("allotment.granted", {"sku": "A1", "qty": 5})
    first = channel.place("S1", [("A1", 1)]).json()["order_no"]
    channel.cancel(first)  # its second notification waits for the first
    channel.place("S1", [("A1", 1)])
    mine, theirs = (Deliverer(hq_server.db, webhook_receiver.url) for _ in range(2))
    claimed = mine.claim_due(10)
    assert [(row[2], row[3]) for row in claimed][0] == (first, "allocated") and len(claimed) == 2
    assert theirs.claim_due(10) == []
    assert mine.deliver_due() == 0  # nothing else due: the two claimed are still in hand
    for row in claimed:
        mine._send(*row)
    assert [n["kind"] for n in webhook_receiver.received] == ["allocated", "allocated"]
    assert [(r[2], r[3]) for r in theirs.claim_due(10)] == [(first, "cancelled")]


def test_concurrent_sweeps_act_once(hq_server):
    """Four sweepers at once (as four HQ processes would run them): each ready order's
    customer is reminded once, each unpaid order released once."""
    hq_server.add_product("A1")
    store = hq_server.add_store("S1")
    channel = hq_server.add_channel("shop")
    store.send("allotment.granted", {"sku": "A1", "qty": 20})
    for _ in range(12):
        order_no = channel.place("S1", [("A1", 1)], paid=True).json()["order_no"]
        store.send("order.status_changed", {"order_no": order_no, "to": "ready"})
    unpaid = {channel.place("S1", [("A1", 1)]).json()["order_no"] for _ in range(8)}
    hq_server.clock.advance(minutes=31)
    start = threading.Barrier(4)

    def sweep() -> tuple[int, list[str]]:
        start.wait()
        return service.send_reminders(hq_server.db, hq_server.clock()), \
            service.release_unpaid_orders(hq_server.db, hq_server.clock())

    with ThreadPoolExecutor(4) as pool:
        rounds = list(pool.map(lambda _: sweep(), range(4)))
    released = [o for _, orders in rounds for o in orders]
    with hq_server.db.tx(snapshot=True) as tx:
        kinds = dict(tx.all("SELECT kind, COUNT(*) FROM notifications GROUP BY kind"))
        cancels = tx.scalar("SELECT COUNT(*) FROM changes WHERE type = 'order.cancelled'")
    assert sum(sent for sent, _ in rounds) == 12 and kinds["reminder"] == 12
    assert sorted(released) == sorted(unpaid) and kinds["cancelled"] == 8 and cancels == 8


def test_an_exhausted_pool_answers_503_busy_not_a_hang(make_hq_server):
    server = make_hq_server(db_pool=1, db_pool_wait=0.2)
    store = server.add_store("S1")
    with server.db.tx(snapshot=True):  # the only connection, held
        r = store.pull()
    assert r.status_code == 503 and r.headers["Retry-After"] == "1"
    assert r.json()["error"] == "busy" and "retry" in r.json()["message"]
    assert store.pull().status_code == 200  # given back: served again
