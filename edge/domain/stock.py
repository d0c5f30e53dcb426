"""The stock ledger: every change is a signed move; quantities are sums, never overwritten.

Accounts per SKU:
- ``on_hand``: units physically in the store, per lot (first-expiring lot picked first).
- ``allotment``: part of on_hand granted to HQ to sell online. The counter cannot sell it.
- ``reserved``: part of on_hand promised to orders allocated to this store, until hand-over.
- ``presale``: part of on_hand that arrived for pre-sale (goods HQ sold ahead, see
  ``edge.domain.presale``) and is not yet given to a pre-sale order: the shelf never sells it.

Sellable at the counter = on_hand − allotment − reserved − presale. Because moves are facts, moves from
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
from edge.domain import audit, clerks, outbox
from edge.domain import stock_i18n  # noqa: F401  (registers stock messages)
from edge.domain.errors import DomainError
from sync.protocol import iso_date

ADJUST_REASONS = ("damaged", "expired", "found", "lost", "count", "other")
MAX_LOT_LEN = 40


@dataclass(frozen=True)
class Levels:
    sku: str
    on_hand: int
    allotment: int
    reserved: int
    presale: int

    @property
    def sellable(self) -> int:
        """Units the counter may sell without touching what is promised online or pre-sold."""
        return self.on_hand - self.allotment - self.reserved - self.presale


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


Taken = list[tuple[str | None, int, str]]  # (lot, qty, move_id) per lot touched


def take_fefo(db: Database, *, sku: str, qty: int, kind: str, actor: str, at: datetime,
              ref: str | None = None, reason: str | None = None) -> list[tuple[str | None, int]]:
    """Remove ``qty`` from on-hand, first-expiring lot first (inside write_tx); (lot, qty) taken.

    If the lots do not cover it, the remainder is booked without a lot: stock goes negative
    visibly (the goods left the store) rather than being silently clipped.
    """
    return [(lot, part) for lot, part, _id in
            _take_fefo(db, sku=sku, qty=qty, kind=kind, actor=actor, at=at, ref=ref, reason=reason)]


def _take_fefo(db: Database, *, sku: str, qty: int, kind: str, actor: str, at: datetime,
               ref: str | None = None, reason: str | None = None, emit: bool = True) -> Taken:
    taken: list[tuple[str | None, int, str]] = []
    remaining = qty
    for lot, _expiry, balance in lot_balances(db, sku):
        if remaining <= 0:
            break
        part = min(balance, remaining)
        move_id = _move(db, sku=sku, lot=lot, account="on_hand", qty=-part, kind=kind, actor=actor,
                        at=at, ref=ref, reason=reason, emit=emit)
        taken.append((lot, part, move_id))
        remaining -= part
    if remaining > 0:
        move_id = _move(db, sku=sku, lot=None, account="on_hand", qty=-remaining, kind=kind,
                        actor=actor, at=at, ref=ref, reason="negative", emit=emit)
        taken.append((None, remaining, move_id))
    return taken


def shrink(db: Database, *, sku: str, qty: int, kind: str, actor: str, at: datetime,
           ref: str | None = None, reason: str | None = None,
           lot: str | None = None) -> list[tuple[str | None, int]]:
    """Units that left the store without a sale (a count that finds less, waste, missing at
    pick), inside write_tx. The one path every shrinkage takes.

    On-hand goes down first-expiring lot first (or from ``lot`` when the person named it).
    When what is left no longer covers HQ's allotment and the orders' reservations, the
    allotment gives way first (issue 8 #4): the shortfall, capped at what is granted, is
    revoked in the same transaction and HQ is told (``allotment.revoked``), so HQ stops
    selling units that are no longer here. Reservations are orders already placed; they
    are the short pick's business, not taken back here. Returns (lot, qty) taken.
    """
    return [(lot_, part) for lot_, part, _id in
            _shrink(db, sku=sku, qty=qty, kind=kind, actor=actor, at=at, ref=ref, reason=reason,
                    lot=lot)]


def _shrink(db: Database, *, sku: str, qty: int, kind: str, actor: str, at: datetime,
            ref: str | None = None, reason: str | None = None, lot: str | None = None,
            emit: bool = True) -> Taken:
    if qty <= 0:
        raise DomainError("stock.bad_qty", qty=qty)
    if lot is None:
        taken = _take_fefo(db, sku=sku, qty=qty, kind=kind, actor=actor, at=at, ref=ref,
                           reason=reason, emit=emit)
    else:
        move_id = _move(db, sku=sku, lot=lot, account="on_hand", qty=-qty, kind=kind, actor=actor,
                        at=at, ref=ref, reason=reason, emit=emit)
        taken = [(lot, qty, move_id)]
    _revoke_shortfall(db, sku, actor=actor, at=at, cause=kind, ref=ref)
    return taken


def shortfall_to_revoke(lv: Levels) -> int:
    """Units of the allotment no longer backed by stock: what a shrinkage takes back from HQ."""
    return max(0, min(lv.allotment, -lv.sellable))


def _revoke_shortfall(db: Database, sku: str, *, actor: str, at: datetime, cause: str,
                      ref: str | None) -> int:
    revoke = shortfall_to_revoke(levels(db, sku))
    if revoke:
        _revoke(db, sku=sku, qty=revoke, actor=actor, at=at, cause=cause, ref=ref)
    return revoke


def _revoke(db: Database, *, sku: str, qty: int, actor: str, at: datetime, cause: str,
            ref: str | None = None) -> None:
    """Take ``qty`` back from HQ's allotment (inside write_tx): booked, told to HQ, audited."""
    _move(db, sku=sku, account="allotment", qty=-qty, kind="revoke", actor=actor, at=at, ref=ref,
          reason=cause)
    outbox.append(db, type="allotment.revoked", entity=f"sku:{sku}", at=at,
                  payload={"sku": sku, "qty": qty, "pool": "on_hand", "reason": cause})
    audit.record(db, actor=actor, action="allotment.revoked", entity=f"sku:{sku}", at=at,
                 detail={"qty": qty, "cause": cause, "ref": ref})


def receive(db: Database, *, sku: str, lot: str, qty: int, actor: str, expiry: str | None = None,
            ref: str | None = None, now: datetime | None = None, kind: str = "receipt") -> str:
    """Goods arrive (transfer from the regional warehouse, delivery): on-hand +qty in a lot.

    ``kind`` is ``transfer_in`` for an HQ transfer: HQ recognises a received transfer by it.
    """
    if qty <= 0:
        raise DomainError("stock.bad_qty", qty=qty)
    check_lot(lot)
    expiry = check_expiry(expiry)
    now = now or utcnow()
    with write_tx(db):
        db.execute("INSERT OR IGNORE INTO lots (sku, lot, expiry, received_at) VALUES (?,?,?,?)",
                   [sku, lot, expiry, iso(now)])
        move_id = _move(db, sku=sku, lot=lot, account="on_hand", qty=qty, kind=kind,
                        actor=actor, at=now, ref=ref)
        audit.record(db, actor=actor, action="stock.received", entity=f"sku:{sku}", at=now,
                     detail={"lot": lot, "qty": qty, "expiry": expiry, "ref": ref})
    return move_id


def receive_goods(db: Database, *, sku: str, lot: str, qty: int, actor: str,
                  expiry: str | None = None, now: datetime | None = None) -> str:
    """A clerk books a delivery that came without an HQ transfer (``store-edge stock
    receive --sku``): the product must be one the store knows, the clerk a real one."""
    with write_tx(db):
        if clerks.get_clerk(db, actor) is None:
            raise DomainError("auth.unknown_clerk", clerk_id=actor)
        require_product(db, sku)
        return receive(db, sku=sku, lot=lot, qty=qty, actor=actor, expiry=expiry, now=now)


def require_product(db: Database, sku: str) -> str:
    """The SKU as the catalog spells it; DomainError('stock.unknown_sku') when unknown."""
    row = db.execute("SELECT sku FROM products WHERE sku = ? COLLATE NOCASE", [sku.strip()]).fetchone()
    if row is None:
        raise DomainError("stock.unknown_sku", sku=sku)
    return row[0]


def check_lot(lot: str) -> str:
    """A lot code as typed or scanned at receipt: 1–40 printable characters, no spaces at
    the ends (HQ gets it verbatim; a control character must never reach it)."""
    if not lot or len(lot) > MAX_LOT_LEN or not lot.isprintable() or lot != lot.strip():
        raise DomainError("stock.bad_lot", lot=lot.encode("unicode_escape").decode()[:60])
    return lot


def check_expiry(expiry: str | None) -> str | None:
    """An expiry date as YYYY-MM-DD (None: the product does not expire)."""
    if expiry is None:
        return None
    try:  # the contract's rule, which HQ's transfers pass too
        return iso_date(expiry)
    except ValueError:
        raise DomainError("stock.bad_expiry", expiry=expiry[:40]) from None


def adjust(db: Database, *, sku: str, qty: int, reason: str, actor: str, lot: str | None = None,
           now: datetime | None = None) -> str:
    """A signed correction with a reason (damaged, expired, found…), by a manager.

    Units taken out are shrinkage: first-expiring lot first unless ``lot`` is named, and the
    online allotment gives way first. Returns the (first) move's id.
    """
    if qty == 0:
        raise DomainError("stock.bad_qty", qty=qty)
    if reason not in ADJUST_REASONS:
        raise DomainError("stock.bad_reason", reason=reason)
    now = now or utcnow()
    with write_tx(db):
        clerks.require_manager(db, actor)
        if qty > 0:
            move_id = _move(db, sku=sku, lot=lot, account="on_hand", qty=qty, kind="adjustment",
                            actor=actor, at=now, reason=reason)
        else:
            move_id = _shrink(db, sku=sku, qty=-qty, kind="adjustment", actor=actor, at=now,
                             reason=reason, lot=lot)[0][2]
        audit.record(db, actor=actor, action="stock.adjusted", entity=f"sku:{sku}", at=now,
                     detail={"lot": lot, "qty": qty, "reason": reason})
    return move_id


def count(db: Database, *, sku: str, counted: int, based_on: int, actor: str,
          lot: str | None = None, now: datetime | None = None) -> str | None:
    """Record a stock count (by a manager) as the difference against the on-hand it was based on.

    ``based_on`` is what the screen showed when counting began; moves recorded meanwhile
    (a sale during the count) are kept, not overwritten. A count that finds less is
    shrinkage (``shrink``): the online allotment gives way first.
    """
    if counted < 0 or based_on < 0:
        raise DomainError("stock.bad_qty", qty=min(counted, based_on))
    diff = counted - based_on
    if diff == 0:
        return None
    now = now or utcnow()
    with write_tx(db):
        clerks.require_manager(db, actor)
        if diff > 0:
            move_id = _move(db, sku=sku, lot=lot, account="on_hand", qty=diff, kind="count",
                            actor=actor, at=now, reason="count", emit=False)
        else:
            move_id = _shrink(db, sku=sku, qty=-diff, kind="count", actor=actor, at=now,
                             reason="count", lot=lot, emit=False)[0][2]
        # HQ books counted − counted_base itself, so it is told both, not the difference
        outbox.append(db, type="stock.moved", entity=f"sku:{sku}", at=now, payload={
            "move_id": move_id, "sku": sku, "lot": lot, "qty": counted, "kind": "count",
            "counted_base": based_on, "ref": None, "reason": "count"})
        audit.record(db, actor=actor, action="stock.counted", entity=f"sku:{sku}", at=now,
                     detail={"counted": counted, "based_on": based_on, "diff": diff})
    return move_id


def grant_allotment(db: Database, *, sku: str, qty: int, actor: str,
                    now: datetime | None = None) -> None:
    """A manager grants HQ ``qty`` more units of on-hand to sell online (only sellable units)."""
    now = now or utcnow()
    with write_tx(db):
        clerks.require_manager(db, actor)
        grant(db, sku=sku, qty=qty, actor=actor, at=now)


def grant(db: Database, *, sku: str, qty: int, actor: str, at: datetime) -> None:
    """Grant HQ ``qty`` units (inside write_tx): a manager's grant, or an answer to HQ's
    request (``allotments.grant_for_request``, no person involved)."""
    if qty <= 0:
        raise DomainError("stock.bad_qty", qty=qty)
    sellable = levels(db, sku).sellable
    if sellable < qty:
        raise DomainError("stock.not_enough", sku=sku, wanted=qty, available=sellable)
    _move(db, sku=sku, account="allotment", qty=qty, kind="grant", actor=actor, at=at)
    outbox.append(db, type="allotment.granted", entity=f"sku:{sku}", at=at,
                  payload={"sku": sku, "qty": qty})
    audit.record(db, actor=actor, action="allotment.granted", entity=f"sku:{sku}", at=at,
                 detail={"qty": qty})


def revoke_allotment(db: Database, *, sku: str, qty: int, actor: str,
                     now: datetime | None = None) -> None:
    """A manager takes ``qty`` granted units back from HQ: only units not already locked or
    sold as far as the store knows (orders received moved theirs to ``reserved``). HQ takes
    back what it has not promised meanwhile and reports the truth (``allotment.updated``)."""
    if qty <= 0:
        raise DomainError("stock.bad_qty", qty=qty)
    now = now or utcnow()
    with write_tx(db):
        clerks.require_manager(db, actor)
        held = levels(db, sku).allotment
        if qty > held:
            raise DomainError("stock.revoke_too_many", sku=sku, wanted=qty, granted=max(held, 0))
        _revoke(db, sku=sku, qty=qty, actor=actor, at=now, cause="manager")


# ---------------------------------------------------------------- what the stock screen shows
@dataclass(frozen=True)
class LotStock:
    lot: str | None  # None: units booked out beyond every lot (negative)
    expiry: str | None
    on_hand: int


@dataclass(frozen=True)
class SkuStock:
    """One SKU as the back room reads it: its accounts and its lots, first-expiring first."""

    sku: str
    name_zh: str
    name_en: str
    zone: str | None
    levels: Levels
    lots: tuple[LotStock, ...]

    @property
    def negative(self) -> bool:
        """More left the store than the books held: a count is due."""
        return self.levels.on_hand < 0

    @property
    def over_promised(self) -> bool:
        """Online allotment and orders want more than is on hand."""
        return self.levels.sellable < 0


def overview(db: Database) -> list[SkuStock]:
    """Every SKU the store sells or holds, with levels and lots, from one pass over the ledger
    (the big table is read once, whatever its size; lots and products are small)."""
    sums: dict[str, dict[str, int]] = {}
    lot_qty: dict[str, dict[str | None, int]] = {}
    for sku, account, lot, qty in db.execute(
            "SELECT sku, account, lot, SUM(qty) FROM stock_moves GROUP BY sku, account, lot"):
        acc = sums.setdefault(sku, {})
        acc[account] = acc.get(account, 0) + qty
        if account == "on_hand" and qty:
            lot_qty.setdefault(sku, {})[lot] = qty
    expiries = {(sku, lot): exp for sku, lot, exp in db.execute("SELECT sku, lot, expiry FROM lots")}
    names = {row[0]: row[1:] for row in db.execute(
        "SELECT sku, name_zh, name_en, zone FROM products")}
    result = []
    for sku in sorted(names.keys() | sums.keys()):
        acc = sums.get(sku, {})
        zh, en, zone = names.get(sku, (sku, sku, None))
        lots = sorted((LotStock(lot, expiries.get((sku, lot)), qty)
                       for lot, qty in lot_qty.get(sku, {}).items()),
                      key=lambda x: (x.expiry is None, x.expiry or "", x.lot or ""))
        result.append(SkuStock(sku, zh, en, zone,
                               Levels(sku, acc.get("on_hand", 0), acc.get("allotment", 0),
                                      acc.get("reserved", 0), acc.get("presale", 0)),
                               tuple(lots)))
    return result


def ledger_version(db: Database) -> tuple[int, int, int]:
    """Changes whenever a move is booked or a transfer announced or received (cheap: three
    index look-ups), so a screen re-reads the whole ledger only when it changed."""
    return db.execute(
        "SELECT (SELECT COALESCE(MAX(rowid), 0) FROM stock_moves),"
        " (SELECT COALESCE(MAX(rowid), 0) FROM transfers),"
        " (SELECT COUNT(*) FROM transfers WHERE status = 'announced')").fetchone()
