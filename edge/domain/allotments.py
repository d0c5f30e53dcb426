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
from edge.domain import audit, hq_rules, stock, sync_state
from sync import protocol as p

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


def _not_yet_at_hq(db: Database, sku: str, as_of_seq: int) -> tuple[int, int]:
    """(granted, revoked) units of this store's events after ``as_of_seq``: HQ had not
    applied them when it counted."""
    rows = dict(db.execute(
        "SELECT type, COALESCE(SUM(json_extract(payload, '$.qty')), 0) FROM outbox"
        " WHERE seq > ? AND entity = ? AND type IN ('allotment.granted', 'allotment.revoked')"
        " AND COALESCE(json_extract(payload, '$.pool'), 'on_hand') = 'on_hand' GROUP BY type",
        [as_of_seq, f"sku:{sku}"]).fetchall())
    return rows.get("allotment.granted", 0), rows.get("allotment.revoked", 0)


def reconcile(db: Database, report: dict, *, now: datetime | None = None) -> int:
    """``allotment.updated``: keep HQ's numbers and hold apart exactly what HQ may still sell,
    counted as HQ counts it (``sync.protocol.allotment_to_hold``, HQ's free units as of the
    report plus what this store granted or revoked since). Returns the correction booked."""
    now = now or utcnow()
    sku, pool = report["sku"], report.get("pool", ON_HAND)
    with write_tx(db):
        db.execute("INSERT OR REPLACE INTO hq_allotments (sku, pool, granted, locked, sold,"
                   " updated_at) VALUES (?,?,?,?,?,?)",
                   [sku, pool, report["granted"], report["locked"], report["sold"], iso(now)])
        if pool != ON_HAND:
            return 0
        as_of = report.get("as_of_seq")
        if as_of is None:  # an HQ that does not say: what it last acknowledged
            as_of = int(sync_state.get(db, sync_state.HQ_ACKED) or 0)
        free = p.allotment_free(report["granted"], report["locked"], report["sold"])
        target = p.allotment_to_hold(free, *_not_yet_at_hq(db, sku, as_of))
        diff = target - stock.levels(db, sku).allotment
        if diff:
            stock._move(db, sku=sku, account="allotment", qty=diff, kind="reconcile", actor="hq",
                        at=now)
            audit.record(db, actor="hq", action="allotment.reconciled", entity=f"sku:{sku}",
                         at=now, detail={**report, "target": target, "correction": diff})
    return diff
