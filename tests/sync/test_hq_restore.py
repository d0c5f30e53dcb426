"""HQ restored from a backup, following the README runbook end to end, on SQLite and on
PostgreSQL: ``hq backup`` while HQ runs; more orders placed, handed over (some synced, some
still waiting at the store); HQ dies; ``hq restore`` (which bumps the epoch); HQ starts and
takes new orders before any store has resynced; the stores sync by themselves.

Then: no order number was given out twice, every store's hand-over is on the order it was
about (same HQ uid), no customer's order is lost (every order placed is at HQ and at its
store, in the same status), and both sides agree on events, stock and the allotment."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from conftest import ChannelAgent  # noqa: E402
from conftest_client import PRODUCTS, build_store, pack_all

from edge.domain import orders, pickup, stock
from sync.client import SyncClient
from sync.hq import registry, service
from sync.hq.cli import main as hq_cli

STORES = ("S001", "S002")


def _window() -> dict:
    now = datetime.now(timezone.utc)
    return {"window_start": (now - timedelta(hours=1)).isoformat(),
            "window_end": (now + timedelta(hours=6)).isoformat()}


class Chain:
    """Two stores, a live-stream channel and whichever HQ server is up."""

    def __init__(self, make_hq_server, tmp_path) -> None:
        self.make_hq_server = make_hq_server
        self.hq = make_hq_server()
        for sku, zh, en, zone, price in PRODUCTS:
            self.hq.add_product(sku, zh, en, zone, price)
        now = self.hq.clock()
        self.tokens = {s: registry.add_store(self.hq.db, s, now) for s in STORES}
        self.key = registry.add_channel(self.hq.db, "live", now)
        self.stores = {s: build_store(tmp_path / s, s) for s in STORES}
        self.placed: dict[str, str] = {}  # order_no -> store_id, every order HQ ever accepted
        self.handed: set[str] = set()
        self.sync_all()  # the stores' allotments reach HQ

    @property
    def channel(self) -> ChannelAgent:
        return ChannelAgent("live", self.key, self.hq.client)

    def place(self, store_id: str, sku: str, *, paid: bool = True) -> str:
        r = self.channel.place(store_id, [(sku, 1)], paid=paid, **_window())
        assert r.status_code == 201, r.text
        order_no = r.json()["order_no"]
        assert order_no not in self.placed, f"order number {order_no} given out twice"
        self.placed[order_no] = store_id
        return order_no

    def hand_over(self, order_no: str) -> None:
        store = self.stores[self.placed[order_no]]
        pack_all(store, order_no)
        pickup.hand_over(store, order_no, "c01")
        self.handed.add(order_no)

    def sync_all(self) -> None:
        """Each store's sync, as its worker runs it, until a round moves nothing."""
        for store_id, store in self.stores.items():
            client = SyncClient(store, self.hq.url, self.tokens[store_id], timeout=10)
            try:
                for _ in range(10):
                    report = client.sync_once()
                    assert report.ok, report.problem_params
                    if report.pending == 0 and report.pushed == 0 and report.pulled == 0:
                        break
                else:
                    pytest.fail(f"{store_id} did not settle")
            finally:
                client.close()

    def restart_from(self, backup_file) -> None:
        self.hq.stop()
        assert hq_cli(["hq", "restore", "--db", self.hq.db_url, str(backup_file)]) == 0
        self.hq = self.make_hq_server()

    def close(self) -> None:
        for store in self.stores.values():
            store.close()


@pytest.fixture
def chain(make_hq_server, tmp_path):
    c = Chain(make_hq_server, tmp_path)
    yield c
    c.close()


def test_restore_runbook_loses_no_order_and_repeats_no_number(chain, tmp_path, capsys):
    early = [chain.place(s, "B001") for s in STORES for _ in range(3)]
    unpaid = chain.place("S002", "M001", paid=False)
    chain.sync_all()
    chain.hand_over(early[0])
    chain.sync_all()

    backup_file = tmp_path / "hq-backup"
    assert hq_cli(["hq", "backup", "--db", chain.hq.db_url, str(backup_file)]) == 0

    # after the backup: orders HQ will lose, handed over and synced, or still waiting
    lost = [chain.place(s, sku) for s in STORES for sku in ("D001", "M001", "B001", "D001")]
    assert chain.channel.pay(unpaid).status_code == 200  # the store sees version 2, paid
    chain.sync_all()
    for order_no in (*lost[::2], early[1], early[4]):
        chain.hand_over(order_no)
    chain.sync_all()
    assert service.get_order(chain.hq.db, lost[0])["status"] == "picked_up"
    for order_no in lost[1::4]:  # handed over while HQ is already down: pushed after the restore
        chain.hand_over(order_no)

    chain.restart_from(backup_file)
    assert "new order numbers in series" in capsys.readouterr().out
    with pytest.raises(Exception, match="unknown_order"):  # HQ lost it
        service.get_order(chain.hq.db, lost[0])
    # customers keep ordering before any store has resynced: never a number seen before
    fresh = [chain.place(s, "B001") for s in STORES for _ in range(2)]
    # HQ lost that payment; the customer cancels: HQ's cancellation must still count
    assert chain.channel.cancel(unpaid).status_code == 200
    chain.sync_all()

    with chain.hq.db.tx(snapshot=True) as tx:
        at_hq = {r[0]: r[1:] for r in tx.all("SELECT order_no, store_id, status, order_uid FROM orders")}
    for order_no, store_id in chain.placed.items():  # no customer's order lost
        held = orders.get_order(chain.stores[store_id].db, order_no)
        assert held is not None, f"{order_no} missing at {store_id}"
        assert order_no in at_hq, f"{order_no} lost at HQ"
        hq_store, hq_status, hq_uid = at_hq[order_no]
        expected = ("picked_up" if order_no in chain.handed else
                    "cancelled" if order_no == unpaid else "allocated")
        assert (hq_store, hq_status, held.status) == (store_id, expected, expected), order_no
        assert hq_uid == held.hq_uid and hq_uid, order_no  # the hand-over is on that very order
    for order_no in fresh:  # the new customers' orders reached their store and are theirs
        store = chain.stores[chain.placed[order_no]]
        assert orders.get_order(store.db, order_no).status == "allocated"
    for store_id, store in chain.stores.items():
        _assert_same_on_both_sides(chain.hq, store_id, store)

    assert hq_cli(["hq", "stores", "--db", chain.hq.db_url]) == 0
    listing = capsys.readouterr().out
    for store_id in STORES:  # what the operator checks: each store gave back what HQ lost
        given = sum(1 for o in lost if chain.placed[o] == store_id)
        assert f"orders given back {given}" in next(line for line in listing.splitlines()
                                                    if line.startswith(store_id))


def _assert_same_on_both_sides(hq, store_id: str, store) -> None:
    """Every store event at HQ exactly once; stock and the allotment equal on both sides."""
    with hq.db.tx(snapshot=True) as tx:
        at_hq = tx.all("SELECT seq, event_id, outcome, reason FROM events WHERE store_id = ? ORDER BY seq",
                       (store_id,))
    mine = store.db.execute("SELECT seq, event_id FROM outbox ORDER BY seq").fetchall()
    assert [(s, e) for s, e, *_ in at_hq] == [tuple(r) for r in mine]
    assert {o for _, _, o, _ in at_hq} <= {"applied", "rejected"}
    for sku, *_ in PRODUCTS:
        levels = stock.levels(store.db, sku)
        assert service.stock_level(hq.db, store_id, sku) == levels.on_hand, sku
        a = service.allotment(hq.db, store_id, sku)
        assert a["granted"] - a["locked"] - a["sold"] == levels.allotment, (store_id, sku, a, levels)
