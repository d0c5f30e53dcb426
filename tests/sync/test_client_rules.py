"""The store-side conflict rules (edge.domain.hq_rules), one named test each, exercised
through ``hq_apply.apply_changes`` on a real store database."""

from __future__ import annotations

import json

from conftest_client import GRANTED, allocated, change, edge, pack_all  # noqa: F401

from edge.domain import conflicts, hq_apply, hq_rules, orders, pickup, stock, tasks
from sync import protocol
from sync.protocol import make_pickup_code

EPOCH = "e1"


def apply(store, *changes):
    return hq_apply.apply_changes(store, list(changes), next_cursor=changes[-1]["cursor"], epoch=EPOCH)


def test_rule_newer_version_wins(edge):
    item = {"sku": "B001", "name_zh": "牛角包", "name_en": "Croissant", "zone": "ambient",
            "price_cents": 1500, "version": 3}
    apply(edge, change(1, "catalog.item", item))
    apply(edge, change(2, "catalog.item", {**item, "price_cents": 999, "version": 2}))
    price = edge.db.execute("SELECT price_cents, version FROM products WHERE sku = 'B001'").fetchone()
    assert price == (1500, 3)
    assert hq_rules.newer_version_wins(2, None) and not hq_rules.newer_version_wins(2, 2)


def test_rule_handover_beats_cancellation(edge):
    apply(edge, change(1, "order.allocated", allocated("O1", make_pickup_code())))
    pack_all(edge, "O1")
    pickup.hand_over(edge, "O1", "c01")
    before = stock.levels(edge.db, "B001")

    result = apply(edge, change(2, "order.cancelled", {"order_no": "O1", "reason": "customer",
                                                         "version": 2}))
    order = orders.get_order(edge.db, "O1")
    assert order.status == "picked_up" and result.conflicts == 1
    assert stock.levels(edge.db, "B001") == before  # the goods are gone; nothing is undone
    [noted] = conflicts.open_conflicts(edge.db)
    assert noted.conflict_id == "handover_after_cancel:O1" and noted.source == "store"
    # HQ notes the same conflict later: one row, HQ's words
    apply(edge, change(3, "conflict.noted", {"conflict_id": "handover_after_cancel:O1",
                                             "kind": "handover_after_cancel", "order_no": "O1",
                                             "detail": "decide refund"}))
    [noted] = conflicts.open_conflicts(edge.db)
    assert noted.source == "hq" and noted.detail == "decide refund"


def test_rule_hq_never_sets_store_progress(edge):
    apply(edge, change(1, "order.allocated", allocated("O1", make_pickup_code())))
    pack_all(edge, "O1")
    assert orders.get_order(edge.db, "O1").status == "ready"
    # HQ's next version (payment arrived, and HQ's copy still says "allocated")
    apply(edge, change(2, "order.allocated", allocated("O1", "x", version=2, payment="paid")))
    assert orders.get_order(edge.db, "O1").status == "ready"
    # a new order HQ believes is "ready" starts unpacked here
    apply(edge, change(3, "order.allocated", allocated("O2", make_pickup_code(), status="ready")))
    assert orders.get_order(edge.db, "O2").status == "allocated"


def test_rule_task_status_forward_only(edge):
    task = {"task_id": "prep-O1", "kind": "prepare", "status": "open", "title": "Prepare O1",
            "fields": {"shelf": "A"}, "version": 1}
    apply(edge, change(1, "task.updated", task))
    tasks.update_task(edge.db, "prep-O1", actor="c01", status="done", fields={"note": "packed"})
    # HQ's newer version still says in_progress: the status stays done, the store's unsent
    # note stays on top, HQ's fields are taken
    apply(edge, change(2, "task.updated", {**task, "status": "in_progress", "version": 2,
                                           "fields": {"shelf": "B"}}))
    held = tasks.get_task(edge.db, "prep-O1")
    assert held.status == "done" and held.fields == {"shelf": "B", "note": "packed"}
    assert hq_rules.task_status_forward_only("done", "open") == "done"
    assert hq_rules.task_status_forward_only("open", "cancelled") == "cancelled"


def test_rule_grant_capped_by_sellable(edge):
    sellable = stock.levels(edge.db, "B001").sellable
    apply(edge, change(1, "allotment.requested", {"sku": "B001", "qty": sellable + 100}))
    after = stock.levels(edge.db, "B001")
    assert after.sellable == 0 and after.allotment == GRANTED + sellable
    granted = [e for e in edge.db.execute("SELECT type, payload FROM outbox").fetchall()
               if e[0] == "allotment.granted"]
    assert f'"qty":{sellable}' in granted[-1][1]
    apply(edge, change(2, "allotment.requested", {"sku": "B001", "qty": 5}))
    assert stock.levels(edge.db, "B001").allotment == GRANTED + sellable  # nothing spare


def test_rule_allotment_to_hold(edge):
    # HQ counted after the store's first grants, before its latest one: that one is held too
    counted_after = edge.db.execute("SELECT MAX(seq) FROM outbox").fetchone()[0]
    stock.grant_allotment(edge.db, sku="B001", qty=5, actor="m01")
    apply(edge, change(1, "allotment.updated", {"sku": "B001", "granted": GRANTED, "locked": 0,
                                                "sold": 0, "as_of_seq": counted_after}))
    assert stock.levels(edge.db, "B001").allotment == GRANTED + 5
    # HQ has applied everything and sold 3 units: held apart what it may still sell
    latest = edge.db.execute("SELECT MAX(seq) FROM outbox").fetchone()[0]
    apply(edge, change(2, "allotment.updated", {"sku": "B001", "granted": GRANTED + 5,
                                                "locked": 0, "sold": 3, "as_of_seq": latest}))
    assert stock.levels(edge.db, "B001").allotment == GRANTED + 5 - 3
    assert protocol.allotment_to_hold(9, granted_since=2, revoked_since=1) == 10
    assert protocol.revocable_units(granted=10, locked=4, sold=3, asked=5) == 3


def test_rule_cancel_returns_to_allotment(edge):
    apply(edge, change(1, "order.allocated", allocated("O1", make_pickup_code(), lines=[("B001", 4)])))
    before = stock.levels(edge.db, "B001")
    assert before.reserved == 4 and before.allotment == GRANTED - 4
    apply(edge, change(2, "order.cancelled", {"order_no": "O1", "reason": "payment_timeout",
                                              "version": 2, "regrant": True}))
    after = stock.levels(edge.db, "B001")
    assert orders.get_order(edge.db, "O1").status == "cancelled"
    assert after.reserved == 0 and after.allotment == GRANTED
    assert after.sellable == before.sellable  # the counter gained nothing HQ may sell again
    # HQ took the units out of its allotment with the order: the store grants them again
    granted = edge.db.execute("SELECT payload FROM outbox WHERE type = 'allotment.granted'"
                              " AND json_extract(payload, '$.ref') = 'O1'").fetchall()
    assert [json.loads(p) for (p,) in granted] == [{"sku": "B001", "qty": 4, "ref": "O1"}]


def test_rule_store_channel():
    assert hq_rules.store_channel("live_stream") == "live"
    assert hq_rules.store_channel("mini_program") == "mini"
    assert hq_rules.store_channel("ops") == "mini"


def test_rule_same_order_another_order_under_a_held_number_is_not_taken_in(edge):
    first = {**allocated("O1", make_pickup_code(), lines=[("B001", 2)]), "order_uid": "a" * 32}
    apply(edge, change(1, "order.allocated", first))
    other = {**allocated("O1", make_pickup_code(), lines=[("D001", 1)], version=2), "order_uid": "b" * 32}
    apply(edge, change(2, "order.allocated", other))
    order = orders.get_order(edge.db, "O1")
    assert [(line.sku, line.qty) for line in order.lines] == [("B001", 2)] and order.hq_uid == "a" * 32
    [conflict] = conflicts.open_conflicts(edge.db)
    assert conflict.kind == "order_number_reused" and conflict.order_no == "O1"
    assert hq_rules.same_order("a", None) and not hq_rules.same_order("a", "b")
