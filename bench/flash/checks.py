"""After the flash sale quiesced: read both sides' databases and count what must be zero.

Everything here is read-only SQL over the HQ file and each store file (no HTTP, no domain
calls), so the checks cannot be fooled by the code they check.
"""

from __future__ import annotations

import json
import sqlite3
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from . import presale

# a bag packed (order ready) before the store pulled HQ's cancellation: HQ's "cancelled" stands
# and the late report is refused by rule (status only moves forward); the pull then cancels it
RACE_REJECTION = "status_not_forward:cancelled->"
TERMINAL = ("picked_up", "partially_picked_up", "cancelled", "returned",
            "out_for_delivery", "delivered", "delivery_failed")  # delivery: the goods left


def open_ro(path: Path) -> sqlite3.Connection:
    return sqlite3.connect(f"file:{path}?mode=ro", uri=True)


class _PostgresReader:
    """HQ on PostgreSQL read through the same ``execute(sql with ?, params)`` calls."""

    def __init__(self, url: str) -> None:
        import psycopg

        self.conn = psycopg.connect(url, autocommit=True)
        self.conn.read_only = True

    def execute(self, sql: str, params: tuple = ()):
        cur = self.conn.cursor()
        cur.execute(sql.replace("?", "%s"), params)
        return cur

    def close(self) -> None:
        self.conn.close()


def open_hq(where: Path | str):
    """HQ's database read-only: a SQLite file, or a ``postgresql://`` URL."""
    if str(where).startswith(("postgresql://", "postgres://")):
        return _PostgresReader(str(where))
    return open_ro(Path(where))


@dataclass
class Findings:
    """Counts per check (all but the informational ones must be 0)."""

    oversold_units: int = 0
    lost_after_sold: int = 0  # found gone after HQ had sold them (short, refunded): see lost_after_sold
    negative_on_hand: int = 0
    orders_not_held: int = 0
    hq_allotment_negative: int = 0
    events_missing_at_hq: int = 0
    events_extra_at_hq: int = 0
    events_duplicated: int = 0
    rejected_unexpected: int = 0
    orders_missing_at_store: int = 0
    orders_unknown_at_hq: int = 0
    cursor_behind: int = 0
    changes_skipped: int = 0
    tasks_differ: int = 0
    status_differs: int = 0
    stock_differs: int = 0
    moves_differ: int = 0
    allotment_differs: int = 0
    # informational
    events_total: int = 0
    rejected_by_rule: int = 0
    counter_units: int = 0
    online_units: int = 0
    picked_units: int = 0
    shrunk_units: int = 0
    open_orders: int = 0
    handed_over: int = 0
    delivered_out: int = 0  # delivery orders whose parcels all left with a courier
    delivery_returned: int = 0  # failed deliveries the manager put back into stock
    notes: list[str] = field(default_factory=list)

    def note(self, text: str) -> None:
        if len(self.notes) < 12:
            self.notes.append(text)


def _sums(conn: sqlite3.Connection, sql: str, params: tuple = ()) -> dict:
    return {k: v for k, v in conn.execute(sql, params).fetchall()}


# ---------------------------------------------------------------- no oversell
SHRINK_KINDS = ("count", "adjustment", "waste", "missing")


def lost_after_sold(hq: sqlite3.Connection, store_id: str) -> dict[str, int]:
    """Per SKU, units a count or waste found gone that HQ had already sold online when the
    store's revoke arrived (HQ applied it in part: ``partial:<taken>_of_<asked>``).

    No system can keep those: the goods left the shelf before anyone knew, and the orders
    that hold them are short at hand-over (the customer is refunded). They are counted in a
    row of their own, not as oversold; any unit HQ sold *after* it applied a revoke still is.
    """
    lost: dict[str, int] = {}
    for payload, reason in hq.execute(
            "SELECT payload, reason FROM events WHERE store_id = ? AND type = 'allotment.revoked'"
            " AND substr(reason, 1, 8) = 'partial:'", (store_id,)):
        taken, asked = (int(n) for n in reason.removeprefix("partial:").split("_of_"))
        sku = json.loads(payload)["sku"]
        lost[sku] = lost.get(sku, 0) + asked - taken
    return lost


def check_oversell(f: Findings, hq: sqlite3.Connection, st: sqlite3.Connection, store_id: str) -> None:
    """received - shrinkage >= counter sales + units HQ accepted online (less units not taken
    at hand-over), per SKU; on-hand never < 0. Shrinkage: counts that found less, waste,
    units missing at pick (a count that found more gives back)."""
    received = _sums(st, "SELECT sku, SUM(qty) FROM stock_moves WHERE account = 'on_hand'"
                         " AND kind IN ('receipt', 'transfer_in') GROUP BY sku")
    sold = _sums(st, "SELECT sku, -SUM(qty) FROM stock_moves WHERE account = 'on_hand'"
                     " AND kind = 'sale' GROUP BY sku")
    picked = _sums(st, "SELECT sku, -SUM(qty) FROM stock_moves WHERE account = 'on_hand'"
                       " AND kind = 'pick' GROUP BY sku")
    online = _sums(hq, "SELECT l.sku, SUM(l.qty) FROM order_lines l JOIN orders o USING (order_no)"
                       " WHERE o.store_id = ? AND o.status != 'cancelled' GROUP BY l.sku", (store_id,))
    not_taken = _sums(st, "SELECT l.sku, SUM(l.qty_not_taken) FROM order_lines l JOIN orders o"
                          " USING (order_no) WHERE o.status != 'cancelled' GROUP BY l.sku")
    # a failed delivery the manager sent back to stock: sold online, then on the shelf again
    came_back = _sums(st, "SELECT sku, SUM(qty) FROM stock_moves WHERE account = 'on_hand'"
                          " AND kind = 'delivery_return' GROUP BY sku")
    marks = ", ".join("?" * len(SHRINK_KINDS))
    shrunk = _sums(st, "SELECT sku, -SUM(qty) FROM stock_moves WHERE account = 'on_hand'"
                       f" AND kind IN ({marks}) GROUP BY sku", SHRINK_KINDS)
    on_hand = _sums(st, "SELECT sku, SUM(qty) FROM stock_moves WHERE account = 'on_hand' GROUP BY sku")
    lost = lost_after_sold(hq, store_id)
    # pre-sold units whose goods did not come (a short delivery) wait: no shelf covers them
    for sku, qty in presale.waiting_units(st).items():
        online[sku] = online.get(sku, 0) - qty
    for sku in set(received) | set(sold) | set(online) | set(shrunk):
        over = (sold.get(sku, 0) + online.get(sku, 0) - not_taken.get(sku, 0) + shrunk.get(sku, 0)
                - received.get(sku, 0) - came_back.get(sku, 0))
        excused = min(max(over, 0), lost.get(sku, 0))
        f.lost_after_sold += excused
        if over - excused > 0:
            f.oversold_units += over - excused
            f.note(f"{store_id} {sku}: oversold {over - excused}")
        if on_hand.get(sku, 0) < 0 and -on_hand[sku] > lost.get(sku, 0):
            f.negative_on_hand += 1
            f.note(f"{store_id} {sku}: on hand {on_hand[sku]}")
    picked_past_lots = {r[0] for r in st.execute(
        "SELECT DISTINCT sku FROM stock_moves WHERE reason = 'negative'")}
    f.negative_on_hand += len(picked_past_lots - set(lost))
    f.counter_units += sum(sold.values())
    f.online_units += sum(online.values())
    f.picked_units += sum(picked.values())
    f.shrunk_units += sum(shrunk.values())


def check_orders_held(f: Findings, hq: sqlite3.Connection, st: sqlite3.Connection, store_id: str) -> None:
    """Each order HQ accepted is at the store, reserved while open, released once closed."""
    hq_orders = dict(hq.execute("SELECT order_no, status FROM orders WHERE store_id = ?", (store_id,)))
    here = dict(st.execute("SELECT order_no, status FROM orders"))
    delivered_here = {r[0] for r in st.execute("SELECT order_no FROM orders WHERE fulfilment = 'delivery'")}
    wanted = _sums(st, "SELECT order_no, SUM(qty) FROM order_lines GROUP BY order_no")
    waiting = {r[0] for r in st.execute("SELECT order_no FROM orders WHERE presale_state = 'waiting'")}
    reserved = _sums(st, "SELECT ref, SUM(qty) FROM stock_moves WHERE account = 'reserved' GROUP BY ref")
    for order_no, hq_status in hq_orders.items():
        status = here.get(order_no)
        if status is None:
            f.orders_missing_at_store += 1
            f.orders_not_held += 1
            f.note(f"{store_id} {order_no}: accepted at HQ, missing at the store")
            continue
        held = reserved.get(order_no, 0)
        if held != (0 if status in TERMINAL or order_no in waiting else wanted.get(order_no, 0)):
            f.orders_not_held += 1
            f.note(f"{store_id} {order_no}: {status} holds {held}")
        if status != hq_status:
            f.status_differs += 1
            f.note(f"{store_id} {order_no}: store {status}, HQ {hq_status}")
        f.open_orders += status not in TERMINAL
        f.handed_over += status in ("picked_up", "partially_picked_up")
        f.delivered_out += status in ("out_for_delivery", "delivered")
        f.delivery_returned += status == "returned" and order_no in delivered_here
    f.orders_unknown_at_hq += len(set(here) - set(hq_orders))


def check_allotment(f: Findings, hq: sqlite3.Connection, st: sqlite3.Connection, store_id: str) -> None:
    """HQ never promised more than granted; the store keeps exactly HQ's free units apart."""
    rows = hq.execute("SELECT sku, granted - locked - sold FROM allotments WHERE store_id = ?"
                      " AND pool = 'on_hand'", (store_id,)).fetchall()
    here = _sums(st, "SELECT sku, SUM(qty) FROM stock_moves WHERE account = 'allotment' GROUP BY sku")
    for sku, free in rows:
        f.hq_allotment_negative += free < 0
        if here.get(sku, 0) != free:
            f.allotment_differs += 1
            f.note(f"{store_id} {sku}: allotment store {here.get(sku, 0)}, HQ free {free}")


# ---------------------------------------------------------------- nothing lost, nothing twice
def check_events(f: Findings, hq: sqlite3.Connection, st: sqlite3.Connection, store_id: str) -> None:
    """Every committed outbox event is at HQ exactly once, under its own seq."""
    mine = dict(st.execute("SELECT seq, event_id FROM outbox"))
    theirs = {seq: (eid, outcome, kind) for seq, eid, outcome, kind in hq.execute(
        "SELECT seq, event_id, outcome, type FROM events WHERE store_id = ?", (store_id,))}
    f.events_total += len(mine)
    for seq, event_id in mine.items():
        got = theirs.get(seq)
        if got is None or got[0] != event_id:
            f.events_missing_at_hq += 1
            f.note(f"{store_id} seq {seq}: not at HQ")
    f.events_extra_at_hq += len(set(theirs) - set(mine))
    f.events_duplicated += sum(1 for eid, outcome, _ in theirs.values() if outcome == "duplicate")
    for kind, reason in hq.execute("SELECT type, reason FROM events WHERE store_id = ?"
                                   " AND outcome = 'rejected'", (store_id,)).fetchall():
        if (reason or "").startswith(RACE_REJECTION):
            f.rejected_by_rule += 1
        else:
            f.rejected_unexpected += 1
            f.note(f"{store_id} rejected {kind}: {reason}")


def check_changes(f: Findings, hq: sqlite3.Connection, st: sqlite3.Connection, store_id: str) -> None:
    """Every HQ change reached the store once: cursor at HQ's head, tasks alike, none skipped."""
    head = hq.execute("SELECT change_seq FROM stores WHERE store_id = ?", (store_id,)).fetchone()[0]
    row = st.execute("SELECT value FROM sync_state WHERE key = 'cursor'").fetchone()
    if int(row[0] if row else 0) != head:
        f.cursor_behind += 1
        f.note(f"{store_id}: cursor {row and row[0]} of {head}")
    f.changes_skipped += st.execute("SELECT COUNT(*) FROM sync_skipped").fetchone()[0]
    hq_tasks = {r[0] for r in hq.execute("SELECT task_id FROM tasks WHERE store_id = ?", (store_id,))}
    here = {r[0] for r in st.execute("SELECT task_id FROM tasks")}
    f.tasks_differ += len(hq_tasks ^ here)


def check_stock(f: Findings, hq: sqlite3.Connection, st: sqlite3.Connection, store_id: str) -> None:
    """HQ's level per SKU (sum of stock.moved) equals the store's on-hand ledger."""
    theirs = _sums(hq, "SELECT sku, qty FROM stock_levels WHERE store_id = ?", (store_id,))
    mine = _sums(st, "SELECT sku, SUM(qty) FROM stock_moves WHERE account = 'on_hand' GROUP BY sku")
    for sku in set(theirs) | set(mine):
        if theirs.get(sku, 0) != mine.get(sku, 0):
            f.stock_differs += 1
            f.note(f"{store_id} {sku}: on hand store {mine.get(sku, 0)}, HQ {theirs.get(sku, 0)}")
    n_hq = hq.execute("SELECT COUNT(*) FROM stock_moves WHERE store_id = ?", (store_id,)).fetchone()[0]
    n_st = st.execute("SELECT COUNT(*) FROM stock_moves WHERE account = 'on_hand'").fetchone()[0]
    f.moves_differ += abs(n_hq - n_st)


CHECKS = (check_oversell, check_orders_held, check_allotment, check_events, check_changes, check_stock)


def check_all(hq_path: Path | str, stores: dict[str, Path]) -> Findings:
    """Run every check for every store (``stores``: store id -> store.db path); HQ is a
    SQLite file or a PostgreSQL URL."""
    f = Findings()
    hq = open_hq(hq_path)
    try:
        for store_id, path in stores.items():
            st = open_ro(path)
            try:
                for check in CHECKS:
                    check(f, hq, st, store_id)
            finally:
                st.close()
        ids = hq.execute("SELECT COUNT(*) - COUNT(DISTINCT event_id) FROM events").fetchone()[0]
        f.events_duplicated += ids
    finally:
        hq.close()
    return f
