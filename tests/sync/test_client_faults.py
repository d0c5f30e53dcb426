"""Faults: HQ down (the counter works on, the backlog drains when HQ is back), and HQ replies
that do not parse or do not fit the protocol (a status message, nothing changed)."""

from __future__ import annotations

import json

import pytest
from conftest_client import bad_hq, channel, client, edge, hq, pack_all, table_dump  # noqa: F401

from edge.domain import orders, pickup, stock, sync_state
from sync.client import SyncClient
from sync.hq import service

STATE_TABLES = ("orders", "bags", "stock_moves", "outbox", "tasks", "conflicts", "products",
                "sync_skipped", "sync_rejected")


def test_hq_down_store_works_on_and_backlog_drains(hq, edge, client, channel):
    assert client.sync_once().ok
    views = [channel.place([("B001", 1)]) for _ in range(3)]
    assert client.sync_once().ok
    hq.stop()

    for view in views:  # the counter keeps handing over while HQ is down
        pack_all(edge, view["order_no"])
        assert pickup.check(edge, view["pickup_code"]).kind == "ok"
        pickup.hand_over(edge, view["order_no"], "c01")
    stock.adjust(edge.db, sku="D001", qty=-2, reason="damaged", actor="m01")
    down = client.sync_once()
    assert not down.ok and not down.online and down.problem == "sync.offline"
    assert down.pending > 0

    hq.start()
    back = client.sync_once()
    assert back.ok and back.pending == 0
    for view in views:
        assert service.get_order(hq.db, view["order_no"])["status"] == "picked_up"
    for sku in ("B001", "D001", "M001"):
        assert service.stock_level(hq.db, "S001", sku) == stock.levels(edge.db, sku).on_hand
    last_seq = edge.db.execute("SELECT MAX(seq) FROM outbox").fetchone()[0]
    with hq.db.tx(snapshot=True) as tx:
        assert tx.all("SELECT COUNT(*), MAX(seq) FROM events WHERE store_id = 'S001'") == [(last_seq, last_seq)]


PULL_OK = {"epoch": "e1", "changes": [], "next_cursor": 0, "has_more": False}
BAD_REPLIES = {
    "not_json": (200, "<html>proxy error</html>"),
    "wrong_shape": (200, json.dumps({"acked": "all"})),
    "wrong_types": (200, json.dumps({"acked_through": "many", "epoch": 1, "results": {}})),
    "server_error": (500, json.dumps({"error": "boom"})),
    "unavailable": (503, ""),
    "unauthorized": (401, json.dumps({"error": "unauthorized"})),
    "seq_gap_garbage": (409, json.dumps({"error": "seq_gap"})),
    "seq_gap_nonsense": (409, json.dumps({"error": "seq_gap", "expected_seq": 10**9, "epoch": "e"})),
}


@pytest.mark.parametrize("case", sorted(BAD_REPLIES))
def test_bad_hq_reply_is_a_status_and_changes_nothing(edge, bad_hq, case):
    status, body = BAD_REPLIES[case]
    bad_hq.answer(status, body)
    client = SyncClient(edge, bad_hq.url, "st_token", timeout=5)
    before = table_dump(edge, *STATE_TABLES), sync_state.position(edge.db)
    report = client.sync_once()
    assert not report.ok and report.problem in ("sync.bad_reply", "sync.offline", "sync.refused", "sync.token_refused")
    assert report.online == (status < 500)
    assert (table_dump(edge, *STATE_TABLES), sync_state.position(edge.db)) == before
    client.close()


PULL_BAD = {
    "cursor_backwards": {**PULL_OK, "next_cursor": 5, "changes": [
        {"cursor": 5, "change_id": "a", "type": "catalog.item", "payload": {}},
        {"cursor": 4, "change_id": "b", "type": "catalog.item", "payload": {}}]},
    "cursor_beyond_page": {**PULL_OK, "next_cursor": 2, "changes": [
        {"cursor": 3, "change_id": "a", "type": "catalog.item", "payload": {}}]},
    "no_progress": {**PULL_OK, "has_more": True},
    "change_not_a_dict": {**PULL_OK, "changes": ["order.allocated"], "next_cursor": 1},
}


@pytest.mark.parametrize("case", sorted(PULL_BAD))
def test_bad_pull_page_changes_nothing(edge, bad_hq, case):
    client = SyncClient(edge, bad_hq.url, "st_token", timeout=5)
    edge.db.execute("UPDATE outbox SET acked_at = 'x'")  # nothing to push: straight to pull
    bad_hq.answer(200, json.dumps(PULL_BAD[case]))
    before = table_dump(edge, *STATE_TABLES), sync_state.position(edge.db)
    with pytest.raises(Exception) as err:
        client.pull()
    assert getattr(err.value, "key", None) == "sync.bad_reply"
    assert (table_dump(edge, *STATE_TABLES), sync_state.position(edge.db)) == before
    client.close()


def test_hq_too_slow_is_offline_and_changes_nothing(edge, bad_hq):
    bad_hq.answer(200, json.dumps(PULL_OK), delay=1.0)
    client = SyncClient(edge, bad_hq.url, "st_token", timeout=0.2)
    before = table_dump(edge, *STATE_TABLES)
    report = client.sync_once()
    assert not report.ok and not report.online and report.problem_params == {"reason": "timeout"}
    assert table_dump(edge, *STATE_TABLES) == before
    client.close()


def test_a_mistyped_hq_address_says_so(edge):
    client = SyncClient(edge, "hq.example.com:8765", "st_token")
    report = client.sync_once()
    assert not report.ok and report.problem == "sync.bad_url"
    client.close()
