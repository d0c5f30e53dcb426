"""Stock transfers from the regional warehouse: announced by HQ, received by the store.

HQ does not book the goods into the store's ledger; receiving books one ``transfer_in`` move
per line (ref = transfer id), each into its own lot with its expiry, so first-expiring lots
are picked first. A transfer is received once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlite_utils import Database

from edge.clock import iso, utcnow
from edge.db import write_tx
from edge.domain import audit, clerks, stock
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
            db.execute("INSERT INTO transfer_lines (transfer_id, line_no, sku, lot, expiry, qty)"
                       " VALUES (?,?,?,?,?,?)",
                       [transfer_id, no, line["sku"], line["lot"], line.get("expiry"), line["qty"]])
        audit.record(db, actor="hq", action="transfer.announced", entity=f"transfer:{transfer_id}",
                     at=now, detail={"lines": len(lines)})
    return True


def get(db: Database, transfer_id: str) -> Transfer | None:
    row = db.execute("SELECT transfer_id, status, announced_at, received_at, received_by"
                     " FROM transfers WHERE transfer_id = ?", [transfer_id]).fetchone()
    if row is None:
        return None
    lines = [TransferLine(*r) for r in db.execute(
        "SELECT line_no, sku, lot, expiry, qty FROM transfer_lines WHERE transfer_id = ?"
        " ORDER BY line_no", [transfer_id])]
    return Transfer(*row, lines=lines)


def pending(db: Database) -> list[Transfer]:
    """Transfers announced and not yet received (what the stock screen offers to receive)."""
    ids = [r[0] for r in db.execute(
        "SELECT transfer_id FROM transfers WHERE status = 'announced' ORDER BY announced_at")]
    return [t for t in (get(db, i) for i in ids) if t is not None]


def receive_transfer(store: Store, transfer_id: str, actor: str, *,
                     now: datetime | None = None) -> Transfer:
    """The goods are here: book every line into stock (one transaction) and tell HQ."""
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
        for line in transfer.lines:
            stock.receive(db, sku=line.sku, lot=line.lot, qty=line.qty, expiry=line.expiry,
                          actor=actor, ref=transfer_id, now=now, kind="transfer_in")
        db.execute("UPDATE transfers SET status = 'received', received_at = ?, received_by = ?"
                   " WHERE transfer_id = ?", [iso(now), actor, transfer_id])
        audit.record(db, actor=actor, action="transfer.received", entity=f"transfer:{transfer_id}",
                     at=now, detail={"lines": len(transfer.lines)})
    result = get(db, transfer_id)
    assert result is not None
    return result
