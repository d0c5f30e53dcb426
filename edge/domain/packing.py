"""Packing picked orders: one bag per temperature zone, each put in a storage slot of its
zone, its label queued on the persisted print queue; the last bag makes the order ready.

Storage slots are the store's own places for packed bags (shelf, fridge and freezer
compartments). Every store starts with a default set (migration 6: A-01…A-12 ambient,
F-01…F-08 chilled, Z-01…Z-06 frozen); a slot's label carries its name, so scanning the label
types the name. A bag goes only into a slot of its zone: a chilled bag on an ambient shelf
is a cold-chain break.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from sqlite_utils import Database

from edge.clock import utcnow
from edge.db import write_tx
from edge.domain import fulfil_i18n  # noqa: F401  (registers pack.* messages)
from edge.domain import orders, print_jobs
from edge.domain.errors import DomainError
from edge.domain.orders import Order
from edge.domain.print_docs import PrintSettings
from edge.store import Store


OPEN = ("allocated", "preparing", "ready", "overdue")  # orders whose bags still matter


@dataclass(frozen=True)
class Slot:
    slot: str
    zone: str


@dataclass
class Packed:
    """What packing one bag did: the order after it, the label job (None: no label)."""

    order: Order
    job_ids: list[int] = field(default_factory=list)


def slots(db: Database, zone: str | None = None) -> list[Slot]:
    """The store's storage slots (of one zone), in the order they stand."""
    where, params = ("WHERE zone = ?", [zone]) if zone else ("", [])
    return [Slot(*r) for r in db.execute(
        f"SELECT slot, zone FROM storage_slots {where} ORDER BY sort, slot", params)]


def slot_use(db: Database) -> dict[str, int]:
    """Bags kept in each slot now (orders packed and not yet collected): choosing a slot."""
    return dict(db.execute(
        "SELECT b.slot, COUNT(*) FROM bags b JOIN orders o ON o.order_no = b.order_no"
        " WHERE b.packed_at IS NOT NULL AND o.status IN ('allocated', 'preparing', 'ready',"
        " 'overdue') GROUP BY b.slot").fetchall())


def find_slot(db: Database, text: str) -> Slot | None:
    """The slot a scanned label or typed name names (case-insensitive), or None."""
    text = (text or "").strip()
    if not text or len(text) > 32:
        return None
    row = db.execute("SELECT slot, zone FROM storage_slots WHERE slot = ? COLLATE NOCASE",
                     [text]).fetchone()
    return Slot(*row) if row else None


@dataclass(frozen=True)
class BagState:
    """One bag of a wave as the pack screen lists it."""

    order_no: str
    customer: str
    zone: str
    state: str  # packed | to_pack | not_picked | not_needed | closed
    order_status: str
    slot: str | None
    unpicked: int


def wave_bags(db: Database, order_nos: Iterable[str]) -> list[BagState]:
    """Every bag of the wave's orders, in order and zone order, with what it waits for."""
    result = []
    for order_no in dict.fromkeys(order_nos):
        order = orders.require_order(db, order_no)
        open_bags = bags_to_pack(order)
        for bag in order.bags:
            left = units_to_pick(order, bag.zone)
            if order.status not in OPEN:
                state = "closed"  # cancelled by HQ meanwhile, handed over...
            elif bag.packed:
                state = "packed"
            elif bag not in open_bags:
                state = "not_needed"
            else:
                state = "not_picked" if left else "to_pack"
            result.append(BagState(order_no, order.customer_masked, bag.zone, state, order.status,
                                   bag.slot, left))
    return result


def bags_to_pack(order: Order) -> list[orders.Bag]:
    """The order's bags still to pack (a bag of only given-up lines needs no packing)."""
    needed = {line.zone for line in order.lines if not line.given_up}
    return [bag for bag in order.bags if not bag.packed and bag.zone in needed]


def units_to_pick(order: Order, zone: str) -> int:
    """Units of ``zone`` not picked yet (nor let go by the manager): the bag waits for them."""
    return sum(line.qty - line.qty_picked - line.qty_not_taken for line in order.lines
               if line.zone == zone)


def pack(store: Store, order_no: str, zone: str, slot_text: str, *, actor: str,
         label: bool = True, settings: PrintSettings | None = None,
         now: datetime | None = None) -> Packed:
    """Pack the bag of ``zone`` into a slot and queue its label, in one transaction.

    Refused (nothing changed) when the slot is unknown or of another zone, when units of the
    bag are not picked yet, or when the bag is already packed."""
    now = now or utcnow()
    db = store.db
    with write_tx(db):
        order = orders.require_order(db, order_no)
        if order.status not in ("allocated", "preparing", "overdue"):
            raise DomainError("bag.order_closed", order_no=order_no, status=order.status)
        if order.presale_state == "waiting":
            raise DomainError("bag.presale_waiting", order_no=order_no)
        bag = next((b for b in order.bags if b.zone == zone), None)
        if bag is None:
            raise DomainError("bag.unknown", order_no=order_no, zone=zone)
        if bag.packed:
            raise DomainError("pack.already_packed", order_no=order_no, zone=zone, slot=bag.slot)
        if bag not in bags_to_pack(order):
            raise DomainError("pack.nothing_in_bag", order_no=order_no, zone=zone)
        waiting = units_to_pick(order, zone)
        if waiting:
            raise DomainError("pack.not_picked", order_no=order_no, zone=zone, count=waiting)
        slot = find_slot(db, slot_text)
        if slot is None:
            raise DomainError("pack.unknown_slot", slot=(slot_text or "").strip()[:32])
        if slot.zone != zone:
            raise DomainError("pack.slot_wrong_zone", slot=slot.slot, slot_zone=slot.zone,
                              zone=zone)
        if label:
            order, job_id = print_jobs.pack_bag_and_label(store, order_no, zone, slot.slot,
                                                          actor=actor, settings=settings, now=now)
            return Packed(order, [job_id])
        return Packed(orders.pack_bag(db, order_no, zone, slot.slot, actor=actor, now=now))


def queue_wave_labels(store: Store, order_nos: Iterable[str], *, actor: str,
                      settings: PrintSettings | None = None,
                      now: datetime | None = None) -> list[int]:
    """Queue the labels of every packed bag of the wave's orders (one transaction)."""
    now = now or utcnow()
    wave = list(dict.fromkeys(order_nos))
    jobs: list[int] = []
    with write_tx(store.db):
        for order_no in wave:
            order = orders.require_order(store.db, order_no)
            zones = [bag.zone for bag in order.bags if bag.packed]
            if not zones:
                raise DomainError("pack.no_packed_bags", order_no=order_no)
            jobs += print_jobs.queue_bag_labels(store, order_no, actor=actor, settings=settings,
                                                zones=zones, now=now)
    return jobs


def mark_ready(db: Database, order_no: str, *, actor: str, now: datetime | None = None) -> Order:
    """Ready for pickup: every needed bag is packed (packing the last bag does this by itself;
    this is for an order whose last open line a manager let go after the packing)."""
    now = now or utcnow()
    with write_tx(db):
        order = orders.require_order(db, order_no)
        if order.status == "ready":
            return order
        if order.status not in ("allocated", "preparing"):
            raise DomainError("bag.order_closed", order_no=order_no, status=order.status)
        if order.short_state in ("pending", "wait"):
            raise DomainError("pack.short_open", order_no=order_no)
        left = bags_to_pack(order)
        if left:
            raise DomainError("pack.bags_left", order_no=order_no,
                              zones=",".join(bag.zone for bag in left))
        orders._set_status(db, order, "ready", actor=actor, at=now)
        orders._status_event(db, order, "ready", now)
    return orders.require_order(db, order_no)
