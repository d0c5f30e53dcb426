"""The stock ledger: every change is a signed move; quantities are sums, never overwritten.

Accounts per SKU:
- ``on_hand``: units physically in the store, per lot (first-expiring lot picked first).
- ``allotment``: part of on_hand granted to HQ to sell online. The counter cannot sell it.
- ``reserved``: part of on_hand promised to orders allocated to this store, until hand-over.
- ``presale``: future batches sold ahead; kept apart from on_hand.

Sellable at the counter = on_hand − allotment − reserved. Because moves are facts, moves from
the store and from HQ merge without loss, and a count is recorded as the difference against
the quantity it was based on.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlite_utils import Database

from edge.clock import iso, utcnow
from edge.db import write_tx
from edge.domain import audit, outbox
from edge.domain.errors import DomainError

ADJUST_REASONS = ("damaged", "expired", "found", "lost", "count", "other")


@dataclass(frozen=True)
class Levels:
    sku: str
    on_hand: int
    allotment: int
    reserved: int
    presale: int

    @property
    def sellable(self) -> int:
        """Units the counter may sell without touching what is promised online."""
        return self.on_hand - self.allotment - self.reserved


def levels(db: Database, sku: str) -> Levels:
    sums = dict(db.execute(
        "SELECT account, COALESCE(SUM(qty), 0) FROM stock_moves WHERE sku = ? GROUP BY account",
        [sku],
    ).fetchall())
    return Levels(sku, sums.get("on_hand", 0), sums.get("allotment", 0),
                  sums.get("reserved", 0), sums.get("presale", 0))


def lot_balances(db: Database, sku: str) -> list[tuple[str, str | None, int]]:
    """(lot, expiry, on-hand qty) of lots with stock, first-expiring first."""
    return db.execute(
        """SELECT m.lot, l.expiry, SUM(m.qty) AS q FROM stock_moves m
           LEFT JOIN lots l ON l.sku = m.sku AND l.lot = m.lot
           WHERE m.sku = ? AND m.account = 'on_hand'
           GROUP BY m.lot HAVING q > 0
           ORDER BY l.expiry IS NULL, l.expiry, m.lot""",
        [sku],
    ).fetchall()


def _move(db: Database, *, sku: str, account: str, qty: int, kind: str, actor: str,
          at: datetime, lot: str | None = None, ref: str | None = None,
          reason: str | None = None, emit: bool = True) -> str:
    """Append one signed move (inside write_tx); on-hand moves are also sent to HQ."""
    move_id = str(uuid.uuid4())
    db.execute(
        "INSERT INTO stock_moves (move_id, sku, lot, account, qty, kind, ref, reason, actor, at)"
        " VALUES (?,?,?,?,?,?,?,?,?,?)",
        [move_id, sku, lot, account, qty, kind, ref, reason, actor, iso(at)],
    )
    if emit and account == "on_hand":
        outbox.append(db, type="stock.moved", entity=f"sku:{sku}", at=at, payload={
            "move_id": move_id, "sku": sku, "lot": lot, "qty": qty, "kind": kind,
            "ref": ref, "reason": reason})
    return move_id


def take_fefo(db: Database, *, sku: str, qty: int, kind: str, actor: str, at: datetime,
              ref: str | None = None) -> list[tuple[str | None, int]]:
    """Remove ``qty`` from on-hand, first-expiring lot first (inside write_tx).

    If the lots do not cover it, the remainder is booked without a lot: stock goes negative
    visibly (the goods left the store) rather than being silently clipped.
    """
    taken: list[tuple[str | None, int]] = []
    remaining = qty
    for lot, _expiry, balance in lot_balances(db, sku):
        if remaining <= 0:
            break
        part = min(balance, remaining)
        _move(db, sku=sku, lot=lot, account="on_hand", qty=-part, kind=kind, actor=actor, at=at, ref=ref)
        taken.append((lot, part))
        remaining -= part
    if remaining > 0:
        _move(db, sku=sku, lot=None, account="on_hand", qty=-remaining, kind=kind, actor=actor,
              at=at, ref=ref, reason="negative")
        taken.append((None, remaining))
    return taken


def shrink(db: Database, *, sku: str, qty: int, kind: str, actor: str, at: datetime,
           ref: str | None = None) -> list[tuple[str | None, int]]:
    """Units that left the store without a sale (a count that finds less, waste, missing at
    pick), inside write_tx. The one path every shrinkage takes, so the online allotment can be
    reduced first (issue 8 #4) in one place."""
    return take_fefo(db, sku=sku, qty=qty, kind=kind, actor=actor, at=at, ref=ref)


def receive(db: Database, *, sku: str, lot: str, qty: int, actor: str, expiry: str | None = None,
            ref: str | None = None, now: datetime | None = None, kind: str = "receipt") -> str:
    """Goods arrive (transfer from the regional warehouse, delivery): on-hand +qty in a lot.

    ``kind`` is ``transfer_in`` for an HQ transfer: HQ recognises a received transfer by it.
    """
    if qty <= 0:
        raise DomainError("stock.bad_qty", qty=qty)
    now = now or utcnow()
    with write_tx(db):
        db.execute("INSERT OR IGNORE INTO lots (sku, lot, expiry, received_at) VALUES (?,?,?,?)",
                   [sku, lot, expiry, iso(now)])
        move_id = _move(db, sku=sku, lot=lot, account="on_hand", qty=qty, kind=kind,
                        actor=actor, at=now, ref=ref)
        audit.record(db, actor=actor, action="stock.received", entity=f"sku:{sku}", at=now,
                     detail={"lot": lot, "qty": qty, "expiry": expiry, "ref": ref})
    return move_id


def adjust(db: Database, *, sku: str, qty: int, reason: str, actor: str, lot: str | None = None,
           now: datetime | None = None) -> str:
    """A signed correction with a reason (damaged, expired, found…)."""
    if qty == 0:
        raise DomainError("stock.bad_qty", qty=qty)
    if reason not in ADJUST_REASONS:
        raise DomainError("stock.bad_reason", reason=reason)
    now = now or utcnow()
    with write_tx(db):
        move_id = _move(db, sku=sku, lot=lot, account="on_hand", qty=qty, kind="adjustment",
                        actor=actor, at=now, reason=reason)
        audit.record(db, actor=actor, action="stock.adjusted", entity=f"sku:{sku}", at=now,
                     detail={"lot": lot, "qty": qty, "reason": reason})
    return move_id


def count(db: Database, *, sku: str, counted: int, based_on: int, actor: str,
          lot: str | None = None, now: datetime | None = None) -> str | None:
    """Record a stock count as the difference against the on-hand it was based on.

    ``based_on`` is what the screen showed when counting began; moves recorded meanwhile
    (a sale during the count) are kept, not overwritten.
    """
    if counted < 0:
        raise DomainError("stock.bad_qty", qty=counted)
    diff = counted - based_on
    if diff == 0:
        return None
    now = now or utcnow()
    with write_tx(db):
        move_id = _move(db, sku=sku, lot=lot, account="on_hand", qty=diff, kind="count",
                        actor=actor, at=now, reason="count", emit=False)
        # HQ books counted − counted_base itself, so it is told both, not the difference
        outbox.append(db, type="stock.moved", entity=f"sku:{sku}", at=now, payload={
            "move_id": move_id, "sku": sku, "lot": lot, "qty": counted, "kind": "count",
            "counted_base": based_on, "ref": None, "reason": "count"})
        audit.record(db, actor=actor, action="stock.counted", entity=f"sku:{sku}", at=now,
                     detail={"counted": counted, "based_on": based_on, "diff": diff})
    return move_id


def grant_allotment(db: Database, *, sku: str, qty: int, actor: str,
                    now: datetime | None = None) -> None:
    """Grant HQ ``qty`` more units of on-hand to sell online (only from sellable units)."""
    if qty <= 0:
        raise DomainError("stock.bad_qty", qty=qty)
    now = now or utcnow()
    with write_tx(db):
        if levels(db, sku).sellable < qty:
            raise DomainError("stock.not_enough", sku=sku, wanted=qty, available=levels(db, sku).sellable)
        _move(db, sku=sku, account="allotment", qty=qty, kind="grant", actor=actor, at=now)
        outbox.append(db, type="allotment.granted", entity=f"sku:{sku}", at=now,
                      payload={"sku": sku, "qty": qty})
        audit.record(db, actor=actor, action="allotment.granted", entity=f"sku:{sku}", at=now,
                     detail={"qty": qty})
