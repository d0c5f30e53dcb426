"""Stock transfers from the regional warehouse: announced by HQ, received by the store.

HQ does not book the goods into the store's ledger; receiving books one ``transfer_in`` move
per line (ref = transfer id), each into its own lot with its expiry, so first-expiring lots
are picked first. A transfer is received once, with what really came per line (a short
delivery books fewer units; the pre-sold ones are served first, see ``presale``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlite_utils import Database

from edge.clock import iso, utcnow
from edge.db import write_tx
from edge.domain import audit, clerks, presale, stock
from edge.domain import sync_i18n  # noqa: F401  (registers sync.* messages)
from edge.domain.errors import DomainError
from edge.store import Store


@dataclass(frozen=True)
class TransferLine:
    line_no: int
    sku: str
    lot: str
    expiry: str | None
    qty: int
    presale: int = 0  # units HQ sold ahead (pre-sale)
    received_qty: int | None = None  # what came, once received

    @property
    def short(self) -> int:
        """Units announced that did not come."""
        return 0 if self.received_qty is None else self.qty - self.received_qty


@dataclass(frozen=True)
class Transfer:
    transfer_id: str
    status: str
    announced_at: str
    received_at: str | None
    received_by: str | None
    lines: list[TransferLine]


def announce(db: Database, transfer_id: str, lines: list[dict], *, now: datetime | None = None) -> bool:
    """Record a transfer HQ announced (``stock.transfer``); True if it was new."""
    now = now or utcnow()
    with write_tx(db):
        cur = db.execute("INSERT OR IGNORE INTO transfers (transfer_id, status, announced_at)"
                         " VALUES (?, 'announced', ?)", [transfer_id, iso(now)])
        if cur.rowcount != 1:
            return False
        for no, line in enumerate(lines, start=1):
            db.execute("INSERT INTO transfer_lines (transfer_id, line_no, sku, lot, expiry, qty,"
                       " presale) VALUES (?,?,?,?,?,?,?)",
                       [transfer_id, no, line["sku"], line["lot"], line.get("expiry"), line["qty"],
                        line.get("presale", 0)])
        audit.record(db, actor="hq", action="transfer.announced", entity=f"transfer:{transfer_id}",
                     at=now, detail={"lines": len(lines)})
    return True


def get(db: Database, transfer_id: str) -> Transfer | None:
    row = db.execute("SELECT transfer_id, status, announced_at, received_at, received_by"
                     " FROM transfers WHERE transfer_id = ?", [transfer_id]).fetchone()
    if row is None:
        return None
    lines = [TransferLine(*r) for r in db.execute(
        "SELECT line_no, sku, lot, expiry, qty, presale, received_qty FROM transfer_lines"
        " WHERE transfer_id = ?"
        " ORDER BY line_no", [transfer_id])]
    return Transfer(*row, lines=lines)


def pending(db: Database) -> list[Transfer]:
    """Transfers announced and not yet received (what the stock screen offers to receive)."""
    ids = [r[0] for r in db.execute(
        "SELECT transfer_id FROM transfers WHERE status = 'announced' ORDER BY announced_at")]
    return [t for t in (get(db, i) for i in ids) if t is not None]


def check_received(transfer: Transfer, received: dict[int, int]) -> dict[int, int]:
    """What came per line number (a line not named came whole): 0..announced each."""
    known = {line.line_no: line for line in transfer.lines}
    for no, qty in received.items():
        if no not in known:
            raise DomainError("stock.transfer_no_line", transfer_id=transfer.transfer_id, line=no)
        if not 0 <= qty <= known[no].qty:
            raise DomainError("stock.transfer_bad_received", sku=known[no].sku, qty=qty,
                              announced=known[no].qty)
    return {no: received.get(no, line.qty) for no, line in known.items()}


def receive_transfer(store: Store, transfer_id: str, actor: str, *,
                     received: dict[int, int] | None = None,
                     now: datetime | None = None) -> Transfer:
    """The goods are here: book every line into stock (one transaction) and tell HQ.

    ``received``: units that came per line number, when fewer than announced (a short
    delivery); lines not named came whole. Pre-sold units that came go to the waiting
    pre-sale orders (``presale.on_transfer_received``)."""
    db = store.db
    now = now or utcnow()
    with write_tx(db):
        if clerks.get_clerk(db, actor) is None:
            raise DomainError("auth.unknown_clerk", clerk_id=actor)
        transfer = get(db, transfer_id)
        if transfer is None:
            raise DomainError("sync.transfer_unknown", transfer_id=transfer_id)
        if transfer.status == "received":
            raise DomainError("sync.transfer_received", transfer_id=transfer_id,
                              at=transfer.received_at)
        came = check_received(transfer, received or {})
        for line in transfer.lines:
            if came[line.line_no]:
                stock.receive(db, sku=line.sku, lot=line.lot, qty=came[line.line_no],
                              expiry=line.expiry, actor=actor, ref=transfer_id, now=now,
                              kind="transfer_in")
            db.execute("UPDATE transfer_lines SET received_qty = ? WHERE transfer_id = ? AND"
                       " line_no = ?", [came[line.line_no], transfer_id, line.line_no])
        presale.on_transfer_received(
            db, transfer_id, [(ln.sku, ln.presale, came[ln.line_no]) for ln in transfer.lines],
            actor=actor, at=now)
        db.execute("UPDATE transfers SET status = 'received', received_at = ?, received_by = ?"
                   " WHERE transfer_id = ?", [iso(now), actor, transfer_id])
        audit.record(db, actor=actor, action="transfer.received", entity=f"transfer:{transfer_id}",
                     at=now, detail={"lines": len(transfer.lines),
                                     "short": {ln.sku: ln.qty - came[ln.line_no]
                                               for ln in transfer.lines if came[ln.line_no] < ln.qty}})
    result = get(db, transfer_id)
    assert result is not None
    return result
