"""The allotment as HQ sees it: HQ's requests for more units online, and its reports of what
it holds (granted / locked / sold), reconciled into the store's ``allotment`` account.

Units HQ may still sell are kept out of the counter's sellable stock at all times, also
between syncs: the store mirrors HQ's bookings (orders in, cancellations back) and corrects
any remaining difference when HQ reports its numbers.
"""

from __future__ import annotations

from datetime import datetime

from sqlite_utils import Database

from edge.clock import iso, utcnow
from edge.db import write_tx
from edge.domain import audit, hq_rules, stock

ON_HAND = "on_hand"


def grant_for_request(db: Database, sku: str, qty: int, pool: str, *,
                      now: datetime | None = None) -> int:
    """``allotment.requested``: grant what the counter can spare; returns the units granted."""
    now = now or utcnow()
    with write_tx(db):
        if pool != ON_HAND:
            audit.record(db, actor="hq", action="allotment.request_ignored", entity=f"sku:{sku}",
                         at=now, detail={"qty": qty, "pool": pool})
            return 0
        grant = hq_rules.grant_capped_by_sellable(qty, stock.levels(db, sku).sellable)
        if grant:
            stock.grant(db, sku=sku, qty=grant, actor="hq-request", at=now)
        audit.record(db, actor="hq", action="allotment.requested", entity=f"sku:{sku}", at=now,
                     detail={"asked": qty, "granted": grant})
    return grant


def _store_granted(db: Database, sku: str) -> int:
    """The store's own grants (minus revokes) to HQ for a SKU."""
    return db.execute("SELECT COALESCE(SUM(qty), 0) FROM stock_moves WHERE sku = ?"
                      " AND account = 'allotment' AND kind IN ('grant', 'revoke')", [sku]).fetchone()[0]


def reconcile(db: Database, report: dict, *, now: datetime | None = None) -> int:
    """``allotment.updated``: keep HQ's numbers and align the allotment account with what HQ
    may still sell (rule ``allotment_target``). Returns the correction booked (0 if none)."""
    now = now or utcnow()
    sku, pool = report["sku"], report.get("pool", ON_HAND)
    with write_tx(db):
        db.execute("INSERT OR REPLACE INTO hq_allotments (sku, pool, granted, locked, sold,"
                   " updated_at) VALUES (?,?,?,?,?,?)",
                   [sku, pool, report["granted"], report["locked"], report["sold"], iso(now)])
        if pool != ON_HAND:
            return 0
        target = hq_rules.allotment_target(_store_granted(db, sku), report["granted"],
                                           report["locked"], report["sold"])
        diff = target - stock.levels(db, sku).allotment
        if diff:
            stock._move(db, sku=sku, account="allotment", qty=diff, kind="reconcile", actor="hq",
                        at=now)
            audit.record(db, actor="hq", action="allotment.reconciled", entity=f"sku:{sku}",
                         at=now, detail={**report, "target": target, "correction": diff})
    return diff
