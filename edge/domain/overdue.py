"""Overdue pickups: the orders whose window ended, and reminding their customers.

Extending a window and returning the goods are ``orders.extend_window`` and
``orders.return_to_stock``; this module lists the orders and sends the reminder: a store
event (``order.reminder_requested``) that HQ turns into a notification to the customer,
who is known to HQ only (the store keeps a masked name and the phone's last 4 digits).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlite_utils import Database

from edge.clock import iso, parse_iso, utcnow
from edge.db import write_tx
from edge.domain import audit, clerks, outbox
from edge.domain import board_i18n  # noqa: F401  (registers overdue.* messages)
from edge.domain.errors import DomainError
from edge.domain.orders import TERMINAL, order_ref, own_store_id, require_order

REMIND_ACTION = "order.reminder_sent"
EV_REMINDER = "order.reminder_requested"  # sync.protocol.EV_ORDER_REMINDER_REQUESTED (edge does not import sync)
REMIND_AGAIN_AFTER = timedelta(minutes=30)  # a double key press must not text a customer twice


@dataclass(frozen=True)
class OverdueOrder:
    order_no: str
    customer_masked: str
    phone_last4: str
    window_end: datetime
    bags: int
    bags_packed: int
    reminders: int
    last_reminded: datetime | None


def overdue_orders(db: Database) -> list[OverdueOrder]:
    """This store's overdue orders, longest overdue first, with their reminders so far."""
    rows = db.execute(
        "SELECT o.order_no, o.customer_masked, o.phone_last4, o.window_end,"
        " (SELECT COUNT(*) FROM bags b WHERE b.order_no = o.order_no),"
        " (SELECT COUNT(*) FROM bags b WHERE b.order_no = o.order_no AND b.packed_at IS NOT NULL),"
        " (SELECT COUNT(*) FROM audit a WHERE a.entity = 'order:' || o.order_no AND a.action = ?),"
        " (SELECT MAX(a.at) FROM audit a WHERE a.entity = 'order:' || o.order_no AND a.action = ?)"
        " FROM orders o WHERE o.status = 'overdue' AND o.store_id = ?"
        " ORDER BY o.window_end, o.order_no",
        [REMIND_ACTION, REMIND_ACTION, own_store_id(db)]).fetchall()
    return [OverdueOrder(no, name, last4, parse_iso(end), bags, packed, n,
                         parse_iso(last) if last else None)
            for no, name, last4, end, bags, packed, n, last in rows]


def last_reminder(db: Database, order_no: str) -> datetime | None:
    row = db.execute("SELECT MAX(at) FROM audit WHERE entity = ? AND action = ?",
                     [f"order:{order_no}", REMIND_ACTION]).fetchone()
    return parse_iso(row[0]) if row and row[0] else None


def send_reminder(db: Database, order_no: str, *, actor: str, now: datetime | None = None) -> datetime:
    """Ask HQ to remind the customer to pick the order up (audited; one per half hour)."""
    now = now or utcnow()
    with write_tx(db):
        if clerks.get_clerk(db, actor) is None:
            raise DomainError("auth.unknown_clerk", clerk_id=actor)
        order = require_order(db, order_no)
        if order.status in TERMINAL or order.store_id != own_store_id(db):
            raise DomainError("overdue.not_open", order_no=order_no, status=order.status)
        last = last_reminder(db, order_no)
        if last is not None and now - last < REMIND_AGAIN_AFTER:
            raise DomainError("overdue.reminded_recently", order_no=order_no,
                              at=last.astimezone().strftime("%H:%M"))
        audit.record(db, actor=actor, action=REMIND_ACTION, entity=f"order:{order_no}", at=now,
                     detail={"status": order.status, "window_end": iso(order.window_end)})
        outbox.append(db, type=EV_REMINDER, entity=f"order:{order_no}", at=now,
                      payload={**order_ref(order), "clerk_id": actor,
                               "at": iso(now)})
    return now
