"""Counter sales: only sellable units, FEFO, one transaction with audit and events."""

from __future__ import annotations

import pytest

from edge.domain import sales, stock
from edge.domain.errors import DomainError
from edge.domain.outbox import events
from tests.support.edge_store import assert_outbox_gapless, dump


def _sku(store) -> str:
    return store.db.execute("SELECT sku FROM products ORDER BY sku LIMIT 1").fetchone()[0]


def test_sale_takes_sellable_units_fefo_and_emits_events(store):
    sku = _sku(store)
    before = stock.levels(store.db, sku)
    first_lot, _expiry, first_qty = stock.lot_balances(store.db, sku)[0]  # first to expire
    sale = sales.sell(store, [sales.SaleLine(sku, 2)], "c01", with_pickup_order_no="T000001")
    after = stock.levels(store.db, sku)
    assert after.on_hand == before.on_hand - 2
    assert after.allotment == before.allotment and after.reserved == before.reserved
    balances = {lot: qty for lot, _e, qty in stock.lot_balances(store.db, sku)}
    assert balances[first_lot] == first_qty - 2
    types = [e["type"] for e in events(store.db)]
    assert "sale.completed" in types and "stock.moved" in types
    completed = [e for e in events(store.db) if e["type"] == "sale.completed"][0]["payload"]
    assert completed["sale_id"] == sale.sale_id and completed["with_pickup_order_no"] == "T000001"
    assert completed["total_cents"] == sale.total_cents > 0
    assert_outbox_gapless(store.db)


def test_counter_cannot_sell_units_promised_online(store):
    sku = _sku(store)
    sellable = stock.levels(store.db, sku).sellable
    before = dump(store)
    with pytest.raises(DomainError) as exc:
        sales.sell(store, [sales.SaleLine(sku, sellable + 1)], "c01")
    assert exc.value.code == "stock.not_enough"
    assert dump(store) == before


@pytest.mark.parametrize("lines,code", [
    ([], "sale.empty"),
    ([sales.SaleLine("NOPE", 1)], "sale.unknown_sku"),
    ([sales.SaleLine("__SKU__", 0)], "stock.bad_qty"),
])
def test_bad_sales_change_nothing(store, lines, code):
    sku = _sku(store)
    lines = [sales.SaleLine(sku if line.sku == "__SKU__" else line.sku, line.qty) for line in lines]
    before = dump(store)
    with pytest.raises(DomainError) as exc:
        sales.sell(store, lines, "c01")
    assert exc.value.code == code
    assert dump(store) == before
