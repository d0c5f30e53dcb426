"""HQ restored or re-epoched: the store reloads a snapshot, keeps every event HQ has not
acknowledged, and re-sends what HQ lost; the hand-over vs. cancellation conflict end to end."""

from __future__ import annotations

import shutil
import sqlite3

import pytest

from conftest_client import channel, client, edge, hq, pack_all  # noqa: F401

from edge.domain import conflicts, orders, pickup, stock, sync_state
from sync.hq import registry, service


def _hq_events(hq) -> list[tuple]:
    with hq.db.tx(snapshot=True) as tx:
        return tx.all("SELECT seq, event_id FROM events WHERE store_id = 'S001' ORDER BY seq")


def _store_events(edge) -> list[tuple]:
    return edge.db.execute("SELECT seq, event_id FROM outbox ORDER BY seq").fetchall()


def _assert_converged(hq, edge) -> None:
    """Every store event exactly once at HQ; stock and allotment equal on both sides."""
    assert _hq_events(hq) == _store_events(edge)
    for sku in ("B001", "D001", "M001"):
        levels = stock.levels(edge.db, sku)
        assert service.stock_level(hq.db, "S001", sku) == levels.on_hand
        a = service.allotment(hq.db, "S001", sku)
        assert a["granted"] - a["locked"] - a["sold"] == levels.allotment, sku


def test_resync_after_bump_epoch_keeps_unacked_events(hq, edge, client, channel):
    assert client.sync_once().ok
    view = channel.place([("B001", 2)])
    assert client.sync_once().ok
    pack_all(edge, view["order_no"])
    pickup.hand_over(edge, view["order_no"], "c01")
    waiting = edge.db.execute("SELECT seq, event_id FROM outbox WHERE acked_at IS NULL").fetchall()
    assert waiting
    old_epoch = sync_state.position(edge.db).epoch

    new_epoch = registry.bump_epoch(hq.db)
    pulled = client.pull()
    assert pulled.resync_reason == "epoch_changed"
    assert sync_state.position(edge.db).epoch == new_epoch != old_epoch
    assert edge.db.execute("SELECT seq, event_id FROM outbox WHERE acked_at IS NULL").fetchall() == waiting
    assert orders.get_order(edge.db, view["order_no"]).status == "picked_up"

    report = client.sync_once()
    assert report.ok and report.pending == 0
    assert service.get_order(hq.db, view["order_no"])["status"] == "picked_up"
    _assert_converged(hq, edge)


def _backup(hq, dest) -> None:
    src = sqlite3.connect(hq.db_path)
    dst = sqlite3.connect(dest)
    src.backup(dst)
    dst.close()
    src.close()


@pytest.mark.parametrize("bump", [True, False], ids=["bump_epoch", "no_bump"])
def test_hq_restored_from_older_backup_gets_lost_events_again(hq, edge, client, channel, tmp_path,
                                                               bump):
    assert client.sync_once().ok
    kept = channel.place([("B001", 1)])
    assert client.sync_once().ok
    _backup(hq, tmp_path / "hq-backup.db")

    lost = channel.place([("D001", 1)])  # HQ will forget this order
    assert client.sync_once().ok
    pack_all(edge, kept["order_no"])
    pickup.hand_over(edge, kept["order_no"], "c01")
    stock.adjust(edge.db, sku="M001", qty=-1, reason="damaged", actor="m01")
    assert client.sync_once().ok
    assert service.get_order(hq.db, kept["order_no"])["status"] == "picked_up"

    hq.stop()
    for suffix in ("", "-wal", "-shm"):
        hq.db_path.with_name(hq.db_path.name + suffix).unlink(missing_ok=True)
    shutil.copy(tmp_path / "hq-backup.db", hq.db_path)
    hq.start()
    if bump:  # what the operator should do; without it HQ still notices the store is ahead
        registry.bump_epoch(hq.db)
    assert service.get_order(hq.db, kept["order_no"])["status"] == "allocated"

    report = client.sync_once()
    assert report.ok and report.pending == 0
    assert report.resync_reason == ("epoch_changed" if bump else "cursor_ahead")
    assert service.get_order(hq.db, kept["order_no"])["status"] == "picked_up"
    assert orders.get_order(edge.db, lost["order_no"]).status == "allocated"  # kept for the customer
    back = service.get_order(hq.db, lost["order_no"])  # and given back to HQ, as it was
    assert (back["status"], back["payment_status"], back["pickup_code"]) == ("allocated", "paid", "")
    assert conflicts.open_conflicts(edge.db) == []
    assert _hq_events(hq) == _store_events(edge)
    for sku in ("B001", "D001", "M001"):  # the stock moves HQ lost came again
        assert service.stock_level(hq.db, "S001", sku) == stock.levels(edge.db, sku).on_hand
    assert client.sync_once().ok  # and a further sync is quiet
    assert client.sync_once().pushed == 0


def test_handover_beats_hq_cancellation_end_to_end(hq, edge, client, channel):
    assert client.sync_once().ok
    view = channel.place([("B001", 2), ("M001", 1)])
    assert client.sync_once().ok
    pack_all(edge, view["order_no"])
    pickup.hand_over(edge, view["order_no"], "c01")  # offline: not synced yet
    assert channel.cancel(view["order_no"]).status_code == 200  # HQ cancels meanwhile

    report = client.sync_once()
    assert report.ok
    assert orders.get_order(edge.db, view["order_no"]).status == "picked_up"
    assert service.get_order(hq.db, view["order_no"])["status"] == "picked_up"
    [hq_conflict] = [c for c in service.open_conflicts(hq.db, "S001")
                     if c["kind"] == "handover_after_cancel"]
    [local] = conflicts.open_conflicts(edge.db)
    assert local.conflict_id == hq_conflict["conflict_id"] and report.conflicts == 1
    conflicts.acknowledge(edge.db, local.conflict_id, actor="m01")
    assert client.sync_once().conflicts == 0
    _assert_converged(hq, edge)
