"""Pre-sale release rules at the store (edge.domain.presale), on a real store file: whole
orders, strict order of purchase across products, and cancelled units going back to the
pre-sale pool, never to the shelf."""

from __future__ import annotations

from edge.domain import hq_orders, presale, stock, transfers
from tests.support.edge_store import order_data


def _presell(store, order_no: str, lines: list[tuple[str, int]]) -> None:
    hq_orders.upsert_order(store, {**order_data(order_no, lines=lines), "presale": True,
                                   "payment_status": "paid", "fulfilment": "pickup", "version": 1})


def _waiting(store) -> list[str]:
    return [o.order_no for o in presale.waiting_orders(store.db)]


def test_an_order_short_of_one_product_keeps_later_orders_of_its_products_waiting(store):
    transfers.announce(store.db, "T1", [{"sku": "B001", "lot": "P1", "qty": 3, "presale": 3},
                                        {"sku": "D001", "lot": "P2", "qty": 2, "presale": 2}])
    transfers.announce(store.db, "T2", [{"sku": "D001", "lot": "P3", "qty": 2, "presale": 2}])
    _presell(store, "A", [("B001", 2), ("D001", 1)])
    _presell(store, "B", [("B001", 1)])
    _presell(store, "C", [("D001", 1)])
    shelf = {sku: stock.levels(store.db, sku).sellable for sku in ("B001", "D001")}

    transfers.receive_transfer(store, "T1", "c01", received={2: 0})  # no D001 came
    assert _waiting(store) == ["A", "B", "C"]  # B may not jump A for the B001 A waits with
    assert stock.levels(store.db, "B001").presale == 3

    transfers.receive_transfer(store, "T2", "c01")
    assert _waiting(store) == []
    for sku in ("B001", "D001"):
        lv = stock.levels(store.db, sku)
        assert lv.sellable == shelf[sku]  # the shelf neither gave nor got a unit
    assert (stock.levels(store.db, "B001").presale, stock.levels(store.db, "D001").presale) == (0, 0)


def test_a_cancelled_released_order_gives_its_units_to_the_next_waiting_one(store):
    transfers.announce(store.db, "T1", [{"sku": "B001", "lot": "P1", "qty": 4, "presale": 4}])
    for no in ("A", "B", "C"):
        _presell(store, no, [("B001", 2)])
    transfers.receive_transfer(store, "T1", "c01")
    assert _waiting(store) == ["C"]
    sellable = stock.levels(store.db, "B001").sellable
    assert hq_orders.cancel_from_hq(store, "A", "customer", 2) == "applied"
    assert _waiting(store) == []  # A's units went to C, not to the shelf
    lv = stock.levels(store.db, "B001")
    assert (lv.sellable, lv.presale) == (sellable, 0)
    assert hq_orders.cancel_from_hq(store, "B", "customer", 2) == "applied"
    assert stock.levels(store.db, "B001").presale == 2  # held for HQ's pre-sale pool
    assert stock.levels(store.db, "B001").sellable == sellable
