"""Which SKUs the prep panel calls made-to-order: those most of whose order lines were in
made-to-order orders, once there are enough of them. A live stream's first orders are few,
and the demo's panel called daily nuts and rice 'made to order' for its first minutes
because two of their three orders also held a cake."""

from __future__ import annotations

from datetime import timedelta

from edge.db import write_tx
from edge.domain import orders, prep
from tests.support.edge_store import NOW, order_data


def test_a_few_orders_beside_a_cake_do_not_make_a_sku_made_to_order(store):
    at = NOW - timedelta(weeks=1) + timedelta(minutes=10)  # same weekday and hour last week
    with write_tx(store.db):
        for n in range(12):  # the "cake": a made-to-order line every time
            lines = [("B001", 1)] + ([("M001", 1)] if n < 3 else [])
            orders.receive_order(store.db, store.pickup_key, order_data(
                f"MTO{n:03d}", lines=lines, now=at, made_to_order=True), now=at)
    by_sku = {s.sku: s for s in prep.suggest(store.db, now=NOW)}
    assert by_sku["B001"].made_to_order
    assert not by_sku["M001"].made_to_order  # 3 lines, all beside the cake: too few to say
