"""The task board: every open order to prepare, one row each, by when it must be ready.

One SQL statement reads the rows, each order's board status included (the SQL form of
fulfilment's ``picking.board_status``); filtering, search and the counts per status then
run over those rows in memory, so a key typed on the board never goes back to the
database. ``board_row`` re-reads one order after an action.

An order must be ready when its pickup window opens: "late" is how far past that an order
not yet ready is running. Made-to-order items (cakes) need starting hours ahead: such an
order carries a reminder from ``reminder_hours`` before its window until it is packed.

A delivery order must be with its customer by the promised time (its window's end): it sorts
by that, counts down to it, and is flagged *at risk* while there is still time, when what is
left is less than this store usually needs for the rest (``delivery_eta``). A delivery order
is never an overdue pickup; one whose delivery failed stays on the board for the manager.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlite_utils import Database

from edge.clock import iso, parse_iso
from edge.domain import delivery_eta, picking
from edge.domain.orders import CHANNELS, ZONES, get_order, own_store_id

# new, picking, packed, ready; and waiting: a pre-sale order whose goods have not arrived
# (edge.domain.presale). Nothing to prepare yet: counted, shown only when asked for.
WAITING = "waiting"
BOARD_STATUSES = (*picking.BOARD_STATUSES, WAITING)
WINDOWS = ("today", "next2h", "overdue")
OPEN_STATUSES = ("allocated", "preparing", "ready", "overdue", "delivery_failed")
DEFAULT_REMINDER_HOURS = 4.0
NEXT_HOURS = timedelta(hours=2)


@dataclass(slots=True)
class BoardRow:
    """One open order as the board shows it (times are aware UTC datetimes)."""

    order_no: str
    channel: str
    customer_masked: str
    customer_initial: str
    phone_last4: str
    order_status: str  # the order's own status (allocated, preparing, ready, overdue)
    status: str  # the board's: new, picking, packed, ready
    window_start: datetime
    window_end: datetime
    made_to_order: bool
    lines: int
    zones: tuple[str, ...]
    reminder: bool  # made to order and its start is near: begin now
    fulfilment: str = "pickup"
    needed: timedelta | None = None  # delivery: what the rest usually takes here

    @property
    def is_delivery(self) -> bool:
        return self.fulfilment == "delivery"

    @property
    def due(self) -> datetime:
        """When it must be done: a pickup's window opens, a delivery's promised time."""
        return self.window_end if self.is_delivery else self.window_start

    def late_by(self, now: datetime) -> timedelta:
        """How far past its due time an order not yet done is running; negative: time left.
        A ready pickup is never late (zero); a delivery is late until it is out."""
        if self.status == "ready" and not self.is_delivery:
            return timedelta(0)
        return now - self.due

    def at_risk(self, now: datetime) -> bool:
        """A delivery not late yet with less time left than the rest usually takes."""
        return (self.is_delivery and self.needed is not None and now <= self.window_end
                and self.window_end - now < self.needed)

    def is_overdue(self, now: datetime) -> bool:
        if self.is_delivery:
            return False  # late, not an overdue pickup: it stays on the board until it is out
        return self.order_status == "overdue" or self.window_end < now


# ``picking.board_status`` as SQL, so 5,000 orders cost one statement instead of 5,000
# Order objects (tests check the two agree, order by order, through every fulfilment step).
# A line a manager gave up on (every unit missing) needs neither picking nor a bag.
_GIVEN_UP = "(l.qty_not_taken = l.qty AND l.not_taken_reason = 'missing')"
_UNPICKED = f"NOT {_GIVEN_UP} AND l.qty_picked + l.qty_not_taken < l.qty"
_UNPACKED = (f"NOT {_GIVEN_UP} AND NOT EXISTS (SELECT 1 FROM bags b WHERE b.order_no = l.order_no"
             " AND b.zone = l.zone AND b.packed_at IS NOT NULL)")
_ROWS_SQL = f"""
SELECT order_no, channel, customer_masked, customer_initial, phone_last4, status,
       CASE WHEN presale_state = 'waiting' THEN 'waiting'
            WHEN status = 'ready' OR (unpicked = 0 AND unpacked = 0) THEN 'ready'
            WHEN unpicked = 0 AND COALESCE(short_state, 'without') = 'without' THEN 'packed'
            WHEN status != 'allocated' OR most_picked > 0 THEN 'picking'
            ELSE 'new' END,
       window_start, window_end, made_to_order, n_lines, zones, fulfilment
FROM (SELECT o.*,
        (SELECT COUNT(*) FROM order_lines l WHERE l.order_no = o.order_no AND {_UNPICKED}) unpicked,
        (SELECT COUNT(*) FROM order_lines l WHERE l.order_no = o.order_no AND {_UNPACKED}) unpacked,
        (SELECT MAX(l.qty_picked) FROM order_lines l WHERE l.order_no = o.order_no) most_picked,
        (SELECT COUNT(*) FROM order_lines l WHERE l.order_no = o.order_no) n_lines,
        (SELECT group_concat(b.zone) FROM bags b WHERE b.order_no = o.order_no) zones
      FROM orders o
      WHERE o.status IN ({",".join(f"'{s}'" for s in OPEN_STATUSES)}) AND o.store_id = ?
            {{extra}})
ORDER BY CASE WHEN fulfilment = 'delivery' THEN window_end ELSE window_start END, order_no
"""


def _row(raw: tuple, now: datetime, reminder_hours: float,
         usual: delivery_eta.UsualTimes | None = None) -> BoardRow:
    (order_no, channel, masked, initial, last4, order_status, status, start, end, mto,
     n_lines, zones, fulfilment) = raw
    window_start = parse_iso(start)
    reminder = _reminder(bool(mto), status, window_start, now, reminder_hours)
    zone_list = tuple(sorted(zones.split(","), key=_zone_rank)) if zones else ()
    needed = (usual.needed(packed=status in ("packed", "ready"))
              if usual is not None and fulfilment == "delivery" else None)
    return BoardRow(order_no, channel, masked, initial, last4, order_status, status, window_start,
                    parse_iso(end), bool(mto), n_lines, zone_list, reminder, fulfilment, needed)


def _reminder(made_to_order: bool, status: str, window_start: datetime, now: datetime,
              hours: float) -> bool:
    return made_to_order and status in ("new", "picking") and (
        now >= window_start - timedelta(hours=hours))


def retime(rows: list[BoardRow], now: datetime, reminder_hours: float) -> list[BoardRow]:
    """The rows as of ``now`` without reading them again: time moves the made-to-order
    reminders (lateness and overdue are worked out from ``now`` when shown)."""
    for row in rows:
        if row.made_to_order:
            row.reminder = _reminder(True, row.status, row.window_start, now, reminder_hours)
    return rows


def _zone_rank(zone: str) -> int:
    return ZONES.index(zone) if zone in ZONES else len(ZONES)


def board_rows(db: Database, *, now: datetime,
               reminder_hours: float = DEFAULT_REMINDER_HOURS) -> list[BoardRow]:
    """Every open order of this store, by when it is due (then order number)."""
    raw = db.execute(_ROWS_SQL.format(extra=""), [own_store_id(db)]).fetchall()
    usual = delivery_eta.usual_times(db, now) if any(r[-1] == "delivery" for r in raw) else None
    return [_row(r, now, reminder_hours, usual) for r in raw]


def board_row(db: Database, order_no: str, *, now: datetime,
              reminder_hours: float = DEFAULT_REMINDER_HOURS) -> BoardRow | None:
    """One order's row after an action on it (fulfilment's own ``board_status`` decides its
    status), or None once it has left the board (handed over, returned, another store's)."""
    order = get_order(db, order_no)
    if order is None or order.status not in OPEN_STATUSES or order.store_id != own_store_id(db):
        return None
    status = WAITING if order.presale_state == WAITING else picking.board_status(order)
    zones = ",".join(bag.zone for bag in order.bags)
    initial = db.execute("SELECT customer_initial FROM orders WHERE order_no = ?",
                         [order_no]).fetchone()[0]
    return _row((order.order_no, order.channel, order.customer_masked, initial,
                 order.phone_last4, order.status, status, iso(order.window_start),
                 iso(order.window_end), order.made_to_order, len(order.lines), zones,
                 order.fulfilment),
                now, reminder_hours,
                delivery_eta.usual_times(db, now) if order.fulfilment == "delivery" else None)


@dataclass(frozen=True)
class BoardFilter:
    """What the manager narrowed the board to; None/empty means "all"."""

    status: str | None = None  # one of BOARD_STATUSES
    zone: str | None = None  # one of ZONES: orders with a bag in that zone
    channel: str | None = None  # one of CHANNELS
    window: str | None = None  # today | next2h | overdue
    search: str = ""  # order number, phone last 4, or the name's first character

    def __post_init__(self) -> None:
        for value, allowed in ((self.status, BOARD_STATUSES), (self.zone, ZONES),
                               (self.channel, CHANNELS), (self.window, WINDOWS)):
            if value is not None and value not in allowed:
                raise ValueError(f"{value!r} is not one of {allowed}")


_INITIAL_AND_PHONE = re.compile(r"^(\D)\s*(\d{4})$")


def search_matcher(text: str):
    """A predicate for one search text: an order number (any part of it, any case), the
    phone's last 4 digits, the surname (first character; names are masked), or both, as the
    counter takes them (王1234)."""
    q = text.strip()
    if not q:
        return lambda row: True
    both = _INITIAL_AND_PHONE.match(q)
    if both:
        initial, last4 = both.groups()
        return lambda row: row.customer_initial == initial and row.phone_last4 == last4
    if q.isdigit() and len(q) == 4:
        return lambda row: row.phone_last4 == q or q in row.order_no
    if q.isascii():
        upper = q.upper()
        return lambda row: upper in row.order_no.upper()
    return lambda row: row.customer_initial == q[:1]


def _window_matcher(window: str | None, now: datetime):
    if window is None:
        return lambda row: True
    if window == "overdue":
        return lambda row: row.is_overdue(now)
    if window == "next2h":
        horizon = now + NEXT_HOURS
        return lambda row: row.window_start <= horizon and not row.is_overdue(now)
    local = now.astimezone()
    end_of_day = local.replace(hour=0, minute=0, second=0, microsecond=0) + timedelta(days=1)
    return lambda row: row.window_start < end_of_day and not row.is_overdue(now)


@dataclass(frozen=True)
class BoardView:
    """What the board shows under a filter: its rows, and the count per status the other
    filters leave (the header's tabs: choosing a status does not change them)."""

    rows: list[BoardRow]
    counts: dict[str, int]


def matcher(f: BoardFilter, now: datetime) -> Callable[[BoardRow], tuple[bool, bool]]:
    """For one row: (passes every filter but the status one, passes them all)."""
    window = _window_matcher(f.window, now)
    search = search_matcher(f.search)

    # packed and past its window: nothing left to prepare, it waits for its customer in the
    # overdue pickups (ctrl+o); the board shows it only when asked (overdue window, a search)
    asked = f.window is not None or bool(f.search.strip())

    def check(row: BoardRow) -> tuple[bool, bool]:
        others = ((f.zone is None or f.zone in row.zones)
                  and (f.channel is None or row.channel == f.channel)
                  and window(row) and search(row)
                  and (asked or not (row.status == "ready" and row.is_overdue(now))))
        if row.status == WAITING:  # a pre-sale waiting for goods: its tab, or a search
            return others, others and (f.status == WAITING or (f.status is None
                                                               and bool(f.search.strip())))
        return others, others and (f.status is None or row.status == f.status)

    return check


def view(rows: list[BoardRow], f: BoardFilter, now: datetime) -> BoardView:
    """Filter and count in one pass over the rows (run on every key typed on the board)."""
    check = matcher(f, now)
    counts = dict.fromkeys(BOARD_STATUSES, 0)
    shown = []
    for row in rows:
        others, every = check(row)
        if others:
            counts[row.status] += 1
            if every:
                shown.append(row)
    return BoardView(shown, counts)


def reminders_due(rows: list[BoardRow]) -> list[BoardRow]:
    """Made-to-order rows to start now (shown above the table)."""
    return [row for row in rows if row.reminder]


def data_version(db: Database) -> int:
    """Cheap "did anything change" for a polling board: SQLite's data_version moves whenever
    another connection (the sync worker, the counter, another terminal) commits. Poll it on a
    connection that does not write itself."""
    return db.execute("PRAGMA data_version").fetchone()[0]
