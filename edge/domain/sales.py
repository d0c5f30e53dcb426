"""Counter sales: selling what the store may sell, never the units promised online.

A sale takes units only from sellable stock (on-hand minus HQ's allotment minus units
reserved for orders), first-expiring lot first. A sale made while a pickup customer is at the
counter names that order: the share of pickups with such an add-on sale is a key figure.
"""

from __future__ import annotations

import uuid
from collections import Counter
from dataclasses import dataclass
from datetime import datetime

from edge.clock import iso, utcnow
from edge.db import write_tx
from edge.domain import audit, clerks, outbox, stock
from edge.domain.errors import DomainError
from edge.store import Store

# how a counter sale was paid; day end totals sales per method
PAYMENT_METHODS = ("wechat", "alipay", "cash", "card")


@dataclass(frozen=True)
class SaleLine:
    sku: str
    qty: int


@dataclass(frozen=True)
class Sale:
    sale_id: str
    total_cents: int
    lines: list[dict]


def sell(store: Store, lines: list[SaleLine], clerk_id: str, *, payment_method: str = "wechat",
         with_pickup_order_no: str | None = None, now: datetime | None = None) -> Sale:
    """Record a counter sale in one transaction: sale rows, FEFO stock moves, audit, events.

    ``payment_method`` defaults to WeChat Pay, how most customers of these stores pay."""
    db = store.db
    now = now or utcnow()
    if not lines:
        raise DomainError("sale.empty")
    if payment_method not in PAYMENT_METHODS:
        raise DomainError("sale.bad_payment", method=payment_method)
    if clerks.get_clerk(db, clerk_id) is None:
        raise DomainError("auth.unknown_clerk", clerk_id=clerk_id)
    wanted = Counter()
    for line in lines:
        if line.qty <= 0:
            raise DomainError("stock.bad_qty", qty=line.qty)
        wanted[line.sku] += line.qty
    sale_id = str(uuid.uuid4())
    with write_tx(db):
        prices = {}
        for sku, qty in wanted.items():
            row = db.execute("SELECT price_cents FROM products WHERE sku = ?", [sku]).fetchone()
            if row is None:
                raise DomainError("sale.unknown_sku", sku=sku)
            prices[sku] = row[0]
            available = stock.levels(db, sku).sellable
            if available < qty:
                raise DomainError("stock.not_enough", sku=sku, wanted=qty, available=available)
        sold = [{"line_no": i, "sku": line.sku, "qty": line.qty,
                 "unit_price_cents": prices[line.sku]} for i, line in enumerate(lines, start=1)]
        total = sum(line["qty"] * line["unit_price_cents"] for line in sold)
        db.execute("INSERT INTO sales (sale_id, clerk_id, at, total_cents, with_pickup_order_no,"
                   " payment_method) VALUES (?,?,?,?,?,?)",
                   [sale_id, clerk_id, iso(now), total, with_pickup_order_no, payment_method])
        for line in sold:
            db.execute("INSERT INTO sale_lines (sale_id, line_no, sku, qty, unit_price_cents)"
                       " VALUES (?,?,?,?,?)",
                       [sale_id, line["line_no"], line["sku"], line["qty"], line["unit_price_cents"]])
            stock.take_fefo(db, sku=line["sku"], qty=line["qty"], kind="sale", actor=clerk_id,
                            at=now, ref=sale_id)
        audit.record(db, actor=clerk_id, action="sale.completed", entity=f"sale:{sale_id}", at=now,
                     detail={"total_cents": total, "with_pickup_order_no": with_pickup_order_no,
                             "payment_method": payment_method})
        outbox.append(db, type="sale.completed", entity=f"sale:{sale_id}", at=now, payload={
            "sale_id": sale_id, "clerk_id": clerk_id, "total_cents": total,
            "with_pickup_order_no": with_pickup_order_no, "payment_method": payment_method,
            "lines": [{k: line[k] for k in ("sku", "qty", "unit_price_cents")} for line in sold]})
    return Sale(sale_id, total, sold)
