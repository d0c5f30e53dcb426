"""The board's ⚠ on a delivery: the store's usual times come from its own history (medians of
its recent delivery orders), defaults until five are on record; and the address a store
keeps is masked to the street."""

from __future__ import annotations

from datetime import timedelta

from edge.domain import board, delivery, delivery_eta, orders
from sync.protocol import address_for_store, mask_address
from tests.support.edge_store import NOW, order_data

CODE = "12345678902"


def _delivered_order(store, n: int, placed, prep_min: int, wait_min: int, ride_min: int) -> None:
    """One delivery order of the store's history, through the domain at chosen times."""
    order_no = f"D{n:03d}"
    data = order_data(order_no, lines=[("B001", 1)], window_start=placed,
                      window_end=placed + timedelta(minutes=60), fulfilment="delivery",
                      delivery={"address": "上海市静安区南京西路1266弄3号楼1201室",
                                "courier_mode": "store", "promised_at": "", "delivery_code": None})
    orders.receive_order(store.db, store.pickup_key, data, now=placed)
    orders.pack_bag(store.db, order_no, "ambient", "A-01", actor="c01",
                    now=placed + timedelta(minutes=prep_min))
    delivery.hand_off(store, order_no, clerk_id="c01",
                      now=placed + timedelta(minutes=prep_min + wait_min))
    store.db.execute("UPDATE orders SET status = 'delivered', delivered_at = ? WHERE order_no = ?",
                     [(placed + timedelta(minutes=prep_min + wait_min + ride_min)).isoformat(), order_no])


def test_usual_times_are_defaults_then_the_stores_own_medians(store):
    assert delivery_eta.usual_times(store.db, NOW) == delivery_eta.UsualTimes(10.0, 5.0, 15.0, 0)
    history = [(12, 3, 20), (18, 4, 22), (20, 6, 25), (25, 2, 30), (30, 8, 35)]
    for n, (prep, wait, ride) in enumerate(history):
        _delivered_order(store, n, NOW - timedelta(hours=5 - n), prep, wait, ride)
    usual = delivery_eta.usual_times(store.db, NOW)
    assert (usual.prep, usual.handoff, usual.ride, usual.samples) == (20.0, 4.0, 25.0, 5)
    assert usual.from_history
    # an open order needs 20 + 4 + 25 = 49 minutes: 45 left is at risk, 50 is not
    assert delivery_eta.at_risk(NOW + timedelta(minutes=45), False, usual, NOW)
    assert not delivery_eta.at_risk(NOW + timedelta(minutes=50), False, usual, NOW)
    assert not delivery_eta.at_risk(NOW + timedelta(minutes=30), True, usual, NOW)  # packed: 29
    assert delivery_eta.usual_times(store.db, NOW + timedelta(days=15)).samples == 0  # too old


def test_a_delivery_row_counts_down_to_its_promised_time(store):
    data = order_data("D900", lines=[("D001", 1)], window_start=NOW - timedelta(minutes=40),
                      window_end=NOW + timedelta(minutes=20), fulfilment="delivery",
                      delivery={"address": "南京西路1号", "courier_mode": "platform",
                                "promised_at": "", "delivery_code": None})
    orders.receive_order(store.db, store.pickup_key, data, now=NOW - timedelta(minutes=40))
    row = next(r for r in board.board_rows(store.db, now=NOW) if r.order_no == "D900")
    assert row.is_delivery and row.due == row.window_end
    assert row.at_risk(NOW)  # 20 minutes left, 30 usually needed
    assert not row.is_overdue(NOW + timedelta(hours=2))


def test_the_store_keeps_only_the_street_unless_its_clerk_carries_it():
    full = "上海市静安区南京西路1266弄3号楼1201室"
    assert mask_address(full) == "上海市静安区南京西路1266弄*号楼****室"
    assert address_for_store(full, "platform") == mask_address(full)
    assert address_for_store(full, "store") == full
    assert mask_address("88 Yuyuan Road, Bldg 3 Rm 1201") == "88 Yuyuan Road, **** * ** ****"
    assert mask_address("静安寺旁小区5栋1201") == "静安寺旁小区*栋****"  # no street word: first 6 kept
