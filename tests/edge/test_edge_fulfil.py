"""Picking and packing on a real store file: the wave pick list, scans, short picks and the
manager's decision, packing into slots with labels, and the order's board status."""

from __future__ import annotations

from datetime import timedelta

import pytest

from edge.db import write_tx
from edge.domain import audit, board, catalog, orders, outbox, packing, picking, pickup, print_jobs, stock
from edge.domain.errors import DomainError
from edge.domain.fulfil_i18n import error_message
from tests.support.edge_store import NOW, PRODUCTS, order_data

BARCODES = {"B001": "6901234567892", "D001": "6901234567908", "M001": "6901234567915"}
SHELVES = {"B001": "R2-01", "D001": "C1-02", "M001": "D1-01"}


@pytest.fixture
def shop(store):
    """The test store with barcodes and shelves on its products (as HQ's catalog sends them)."""
    for sku, zh, en, zone in PRODUCTS:
        catalog.upsert_item(store.db, {"sku": sku, "name_zh": zh, "name_en": en, "zone": zone,
                                       "price_cents": 1000, "barcode": BARCODES[sku],
                                       "shelf": SHELVES[sku], "version": 1}, now=NOW)
    return store


def receive(store, order_no: str, lines, *, hours_to_end: int = 5):
    data = order_data(order_no, lines=lines, window_end=NOW + timedelta(hours=hours_to_end))
    return orders.receive_order(store.db, store.pickup_key, data, now=NOW - timedelta(hours=2))


def events(store, kind: str) -> list[dict]:
    return [e["payload"] for e in outbox.events(store.db) if e["type"] == kind]


def on_board(store, order_no: str) -> str:
    """The order's status on the task board (new, picking, packed, ready)."""
    return board.board_row(store.db, order_no, now=NOW).status


def dump(store) -> dict:
    tables = ("orders", "order_lines", "bags", "stock_moves", "outbox", "audit", "print_jobs")
    return {t: store.db.execute(f"SELECT * FROM {t}").fetchall() for t in tables}


def test_wave_pick_list_sums_by_sku_per_zone_in_shelf_order_with_first_expiring_lot(shop):
    receive(shop, "W1", [("M001", 1), ("B001", 2), ("D001", 1)])
    receive(shop, "W2", [("B001", 3)])
    pick_list = picking.pick_list(shop.db, ["W1", "W2", "W1"])
    assert pick_list.order_nos == ["W1", "W2"]
    assert [(l.zone, l.sku, l.shelf, l.qty) for l in pick_list.lines] == [
        ("ambient", "B001", "R2-01", 5), ("chilled", "D001", "C1-02", 1),
        ("frozen", "M001", "D1-01", 1)]
    # FEFO: the lot received first expires last, so the suggestion is the other one
    assert {l.sku: l.lot for l in pick_list.lines} == {"B001": "L-early", "D001": "L-early",
                                                       "M001": "L-early"}
    assert pick_list.line("B001").orders == ("W1", "W2")
    assert pick_list.zones() == ["ambient", "chilled", "frozen"]


def test_products_without_a_shelf_come_last_in_their_zone(store):
    receive(store, "W1", [("B001", 1)])
    catalog.upsert_item(store.db, {"sku": "X9", "name_zh": "无货架", "name_en": "No shelf",
                                   "zone": "ambient", "price_cents": 1, "version": 1}, now=NOW)
    catalog.upsert_item(store.db, {"sku": "A1", "name_zh": "有货架", "name_en": "Shelved",
                                   "zone": "ambient", "price_cents": 1, "shelf": "R9-09",
                                   "version": 1}, now=NOW)
    with write_tx(store.db):
        for sku in ("X9", "A1"):
            stock.receive(store.db, sku=sku, lot="L", qty=5, actor="m01", now=NOW)
    data = order_data("W2", lines=[("B001", 1)])
    data["lines"] += [{"line_no": 2, "sku": "X9", "name_zh": "无货架", "name_en": "No shelf",
                       "qty": 1, "zone": "ambient"},
                      {"line_no": 3, "sku": "A1", "name_zh": "有货架", "name_en": "Shelved",
                       "qty": 1, "zone": "ambient"}]
    orders.receive_order(store.db, store.pickup_key, data, now=NOW, reserve=False)
    assert [l.sku for l in picking.pick_list(store.db, ["W2"]).lines] == ["A1", "B001", "X9"]


def test_unknown_or_closed_orders_are_refused(shop, make_order):
    with pytest.raises(DomainError) as err:
        picking.pick_list(shop.db, ["NOPE"])
    assert err.value.code == "order.unknown"
    ready, _code = make_order("RDY")
    with pytest.raises(DomainError) as err:
        picking.pick_list(shop.db, ["RDY"])
    assert err.value.code == "pick.not_pickable"


def test_scans_pick_one_unit_each_earliest_window_first_and_start_preparing(shop):
    receive(shop, "LATE", [("B001", 1)], hours_to_end=8)
    receive(shop, "SOON", [("B001", 1), ("D001", 1)], hours_to_end=2)
    wave = ["LATE", "SOON"]
    picked = picking.pick_scan(shop.db, wave, BARCODES["B001"], actor="c01", now=NOW)
    assert (picked.sku, picked.qty, picked.orders) == ("B001", 1, ("SOON",))
    soon, late = orders.get_order(shop.db, "SOON"), orders.get_order(shop.db, "LATE")
    assert soon.status == "preparing" and late.status == "allocated"
    assert on_board(shop, "SOON") == "picking" and on_board(shop, "LATE") == "new"
    change = events(shop, "order.status_changed")[-1]
    assert (change["order_no"], change["from"], change["to"]) == ("SOON", "allocated", "preparing")
    picking.pick_scan(shop.db, wave, "b001", actor="c01", now=NOW)  # a typed SKU works too
    assert orders.get_order(shop.db, "LATE").lines[0].qty_picked == 1


def test_a_wrong_product_says_so_and_picks_nothing(shop):
    receive(shop, "W1", [("B001", 1)])
    before = dump(shop)
    for code, key in ((BARCODES["M001"], "pick.not_on_list"), ("6900000000000", "pick.unknown_product"),
                      ("\x1b[A", "pick.bad_scan"), ("", "pick.bad_scan")):
        with pytest.raises(DomainError) as err:
            picking.pick_scan(shop.db, ["W1"], code, actor="c01", now=NOW)
        assert err.value.code == key
    assert error_message(DomainError("pick.not_on_list", name_zh="和牛", name_en="Wagyu"),
                         "en") == "Wrong product: Wagyu is not on the pick list. Nothing picked"
    picking.pick_scan(shop.db, ["W1"], BARCODES["B001"], actor="c01", now=NOW)
    middle = dump(shop)
    with pytest.raises(DomainError) as err:
        picking.pick_scan(shop.db, ["W1"], BARCODES["B001"], actor="c01", now=NOW)
    assert err.value.code == "pick.already_picked"
    assert dump(shop) == middle != before


def test_progress_goes_to_the_prep_task_and_hq(shop):
    receive(shop, "W1", [("B001", 2), ("D001", 1)])
    from edge.domain import tasks

    tasks.apply_from_hq(shop.db, {"task_id": "prep-W1", "kind": "prepare", "status": "open",
                                  "order_no": "W1", "title": "Prepare W1", "version": 1}, now=NOW)
    picking.pick_units(shop.db, ["W1"], "B001", actor="c01", now=NOW)
    task = tasks.get_task(shop.db, "prep-W1")
    assert task.status == "in_progress"
    assert task.fields == {"picked": 2, "to_pick": 3}
    assert events(shop, "task.updated")[-1]["status"] == "in_progress"


def test_short_pick_books_missing_units_tells_hq_and_waits_for_a_manager(shop):
    receive(shop, "SOON", [("D001", 2)], hours_to_end=2)
    receive(shop, "LATE", [("D001", 1), ("B001", 1)], hours_to_end=8)
    wave = ["SOON", "LATE"]
    on_hand = stock.levels(shop.db, "D001").on_hand
    waiting = picking.short_pick(shop.db, wave, "D001", 1, actor="c01", now=NOW)
    assert waiting == ["LATE"]  # the latest window carries the shortage
    assert stock.levels(shop.db, "D001").on_hand == on_hand - 1
    moves = shop.db.execute("SELECT qty, kind, ref FROM stock_moves WHERE sku = 'D001'"
                            " AND kind = 'missing'").fetchall()
    assert moves == [(-1, "missing", "LATE")]
    assert events(shop, "order.short_picked") == [
        {"order_no": "LATE", "lines": [{"line_no": 1, "sku": "D001", "qty": 1}], "by": "c01",
         "at": events(shop, "order.short_picked")[0]["at"]}]
    late = orders.get_order(shop.db, "LATE")
    assert late.short_state == "pending" and late.status == "preparing"
    assert picking.awaiting_decision(shop.db) == ["LATE"]
    # the rest can still be picked, but LATE's chilled bag cannot be packed
    picking.pick_units(shop.db, wave, "D001", actor="c01", now=NOW)
    picking.pick_units(shop.db, wave, "B001", actor="c01", now=NOW)
    assert on_board(shop, "LATE") == "picking"
    with pytest.raises(DomainError) as err:
        packing.pack(shop, "LATE", "chilled", "F-01", actor="c01", now=NOW)
    assert err.value.code == "pack.not_picked"
    with pytest.raises(DomainError) as err:
        picking.short_pick(shop.db, wave, "D001", 1, actor="c01", now=NOW)
    assert err.value.code == "pick.short_too_many"


def test_only_a_manager_decides_and_ready_without_ends_in_a_partial_pickup(shop):
    receive(shop, "W1", [("D001", 2), ("B001", 1)])
    picking.pick_units(shop.db, ["W1"], "D001", 1, actor="c01", now=NOW)
    picking.short_pick(shop.db, ["W1"], "D001", 1, actor="c01", now=NOW)
    picking.pick_units(shop.db, ["W1"], "B001", actor="c01", now=NOW)
    before = dump(shop)
    with pytest.raises(DomainError) as err:
        picking.decide_short(shop.db, "W1", "ready_without", manager="c01", now=NOW)
    assert err.value.code == "auth.not_manager"
    assert dump(shop) == before
    packing.pack(shop, "W1", "ambient", "A-03", actor="c01", now=NOW)
    order = picking.decide_short(shop.db, "W1", "ready_without", manager="m01", now=NOW)
    assert order.status == "preparing" and order.short_state == "without"
    assert on_board(shop, "W1") == "packed"
    assert events(shop, "order.short_decided")[-1]["decision"] == "ready_without"
    assert any(a["action"] == "pick.short_ready_without" and a["actor"] == "m01"
               for a in audit.for_entity(shop.db, "order:W1"))
    order = packing.pack(shop, "W1", "chilled", "F-02", actor="c01", now=NOW).order
    assert order.status == "ready" and on_board(shop, "W1") == "ready"
    on_hand = stock.levels(shop.db, "D001").on_hand
    handed = pickup.hand_over(shop, "W1", "c01", now=NOW)
    assert handed.status == "partially_picked_up"
    # the missing unit was booked at pick time: the hand-over takes only the picked one
    assert stock.levels(shop.db, "D001").on_hand == on_hand - 1
    assert events(shop, "order.handed_over")[-1]["lines_not_taken"] == [
        {"line_no": 1, "qty": 1, "reason": "missing"}]


def test_a_bag_of_only_given_up_lines_is_not_needed(shop):
    receive(shop, "W1", [("B001", 1), ("M001", 1)])
    picking.pick_units(shop.db, ["W1"], "B001", actor="c01", now=NOW)
    picking.short_pick(shop.db, ["W1"], "M001", 1, actor="c01", now=NOW)
    packing.pack(shop, "W1", "ambient", "A-01", actor="c01", now=NOW)
    order = picking.decide_short(shop.db, "W1", "ready_without", manager="m01", now=NOW)
    assert order.status == "ready"  # the frozen bag would be empty
    with pytest.raises(DomainError) as err:
        packing.pack(shop, "W1", "frozen", "Z-01", actor="c01", now=NOW)
    assert err.value.code == "bag.order_closed"


def test_wait_keeps_the_order_preparing_and_a_re_pick_resolves_it(shop):
    receive(shop, "W1", [("D001", 2)])
    picking.short_pick(shop.db, ["W1"], "D001", 2, actor="c01", now=NOW)
    with pytest.raises(DomainError) as err:
        picking.decide_short(shop.db, "W1", "ready_without", manager="m01", now=NOW)
    assert err.value.code == "pick.nothing_left"
    with pytest.raises(DomainError) as err:  # pending: not re-pickable before a decision
        picking.pick_units(shop.db, ["W1"], "D001", actor="c01", now=NOW)
    assert err.value.code == "pick.already_picked"
    order = picking.decide_short(shop.db, "W1", "wait", manager="m01", now=NOW)
    assert order.status == "preparing" and order.short_state == "wait"
    stock.receive(shop.db, sku="D001", lot="L-new", qty=5, expiry="2026-06-30", actor="m01", now=NOW)
    picking.pick_units(shop.db, ["W1"], "D001", actor="c01", now=NOW)
    order = orders.get_order(shop.db, "W1")
    assert order.short_state is None and order.lines[0].qty_short == 0
    assert events(shop, "order.short_decided")[-1]["decision"] == "resolved"
    assert packing.pack(shop, "W1", "chilled", "F-01", actor="c01", now=NOW).order.status == "ready"


def test_pack_checks_the_slot_and_queues_the_label_in_the_same_transaction(shop):
    receive(shop, "W1", [("B001", 1), ("D001", 1)])
    picking.pick_units(shop.db, ["W1"], "B001", actor="c01", now=NOW)
    picking.pick_units(shop.db, ["W1"], "D001", actor="c01", now=NOW)
    before = dump(shop)
    for slot, key in (("F-01", "pack.slot_wrong_zone"), ("X-99", "pack.unknown_slot"),
                      ("", "pack.unknown_slot")):
        with pytest.raises(DomainError) as err:
            packing.pack(shop, "W1", "ambient", slot, actor="c01", now=NOW)
        assert err.value.code == key
    assert dump(shop) == before
    assert error_message(DomainError("pack.slot_wrong_zone", slot="F-01", slot_zone="chilled",
                                     zone="ambient"), "zh-CN") == "存放位 F-01 是冷藏位，不能放常温袋"
    first = packing.pack(shop, "W1", "ambient", "a-01", actor="c01", now=NOW)
    assert first.order.status == "preparing" and on_board(shop, "W1") == "packed"
    [job] = print_jobs.jobs_for(shop.db, "W1")
    assert job.id == first.job_ids[0] and job.kind == "bag_label" and job.payload["slot"] == "A-01"
    with pytest.raises(DomainError) as err:
        packing.pack(shop, "W1", "ambient", "A-02", actor="c01", now=NOW)
    assert err.value.code == "pack.already_packed"
    last = packing.pack(shop, "W1", "chilled", "F-01", actor="c01", label=False, now=NOW)
    assert last.order.status == "ready" and last.job_ids == []
    assert events(shop, "order.status_changed")[-1]["to"] == "ready"
    assert [e["slot"] for e in events(shop, "bag.packed")] == ["A-01", "F-01"]
    jobs = packing.queue_wave_labels(shop, ["W1"], actor="c01", now=NOW)
    assert len(jobs) == 2 and {j.payload["zone"] for j in print_jobs.jobs_for(shop.db, "W1")} == {
        "ambient", "chilled"}


def test_mark_ready_refuses_while_bags_are_open(shop):
    receive(shop, "W1", [("B001", 1)])
    with pytest.raises(DomainError) as err:
        packing.mark_ready(shop.db, "W1", actor="c01", now=NOW)
    assert err.value.code == "pack.bags_left"
    picking.pick_units(shop.db, ["W1"], "B001", actor="c01", now=NOW)
    assert packing.pack(shop, "W1", "ambient", "A-01", actor="c01", label=False,
                        now=NOW).order.status == "ready"
    assert packing.mark_ready(shop.db, "W1", actor="c01", now=NOW).status == "ready"


def test_slots_are_there_for_every_store_and_found_by_label(store):
    assert [s.slot for s in packing.slots(store.db, "frozen")] == [f"Z-{i:02d}" for i in range(1, 7)]
    assert packing.find_slot(store.db, " f-03 ").slot == "F-03"
    assert packing.find_slot(store.db, "F-03' OR 1=1 --") is None


def test_an_order_cancelled_by_hq_mid_wave_leaves_it_and_the_rest_goes_on(shop):
    receive(shop, "W1", [("B001", 1)])
    receive(shop, "W2", [("B001", 2), ("D001", 1)])
    picking.pick_scan(shop.db, ["W1", "W2"], BARCODES["B001"], actor="c01", now=NOW)
    orders.cancel_order(shop.db, "W2", "customer", actor="hq", now=NOW)
    pick_list = picking.pick_list(shop.db, ["W1", "W2"])
    assert pick_list.order_nos == ["W1"] and pick_list.skipped == {"W2": "cancelled"}
    assert [(l.sku, l.qty, l.picked) for l in pick_list.lines] == [("B001", 1, 1)]
    assert error_message(DomainError("pick.not_pickable", order_no="W2", status="cancelled"),
                         "zh-CN") == "订单 W2 不能拣货（已取消）"
    with pytest.raises(DomainError) as err:
        picking.pick_list(shop.db, ["W2"])
    assert err.value.code == "pick.not_pickable"
    assert [b.state for b in packing.wave_bags(shop.db, ["W1", "W2"])] == [
        "to_pack", "closed", "closed"]
