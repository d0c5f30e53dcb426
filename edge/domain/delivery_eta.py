"""When a delivery order will be late: the store's usual times, from its own history.

A delivery order is flagged *at risk* before it is late: when the time left until the
promised time is less than what the rest usually takes here. The usual times are medians
over this store's most recent delivery orders (:data:`RECENT`, within :data:`LOOKBACK`):

* pick + pack: from placing (the window's start) to the last parcel packed;
* courier wait: from the last parcel packed to the last parcel handed to a courier;
* ride: from the last parcel out to delivered (only the store's own clerk reports it; a
  platform's rides use the default).

With fewer than :data:`MIN_SAMPLES` orders behind a figure its default is used
(:data:`DEFAULTS`). An order already packed needs only courier wait + ride; one already out
needs nothing from the store.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from statistics import median

from sqlite_utils import Database

from edge.clock import iso, parse_iso

RECENT = 50
LOOKBACK = timedelta(days=14)
MIN_SAMPLES = 5
DEFAULTS = {"prep": 10.0, "handoff": 5.0, "ride": 15.0}  # minutes


@dataclass(frozen=True)
class UsualTimes:
    """Minutes each step usually takes at this store, and how many orders say so."""

    prep: float
    handoff: float
    ride: float
    samples: int  # orders behind the pick + pack figure (0: defaults)

    @property
    def from_history(self) -> bool:
        return self.samples >= MIN_SAMPLES

    def needed(self, packed: bool) -> timedelta:
        """What is still to come for an order not yet out: (pick + pack) + wait + ride."""
        return timedelta(minutes=(0 if packed else self.prep) + self.handoff + self.ride)


def _minutes(start: str | None, end: str | None) -> float | None:
    if not start or not end:
        return None
    value = (parse_iso(end) - parse_iso(start)).total_seconds() / 60
    return value if value >= 0 else None


def _usual(values: list[float], default: float) -> float:
    return round(median(values), 1) if len(values) >= MIN_SAMPLES else default


def usual_times(db: Database, now: datetime) -> UsualTimes:
    """The store's usual delivery times as of ``now`` (one read of at most RECENT orders)."""
    rows = db.execute(
        "SELECT o.window_start, MAX(b.packed_at), MAX(b.out_at), o.delivered_at FROM orders o"
        " JOIN bags b ON b.order_no = o.order_no WHERE o.fulfilment = 'delivery'"
        " AND o.status IN ('out_for_delivery', 'delivered', 'delivery_failed', 'returned')"
        " AND o.window_start >= ? GROUP BY o.order_no HAVING MAX(b.out_at) IS NOT NULL"
        " ORDER BY o.window_start DESC LIMIT ?", [iso(now - LOOKBACK), RECENT]).fetchall()
    prep = [m for r in rows if (m := _minutes(r[0], r[1])) is not None]
    handoff = [m for r in rows if (m := _minutes(r[1], r[2])) is not None]
    ride = [m for r in rows if (m := _minutes(r[2], r[3])) is not None]
    return UsualTimes(_usual(prep, DEFAULTS["prep"]), _usual(handoff, DEFAULTS["handoff"]),
                      _usual(ride, DEFAULTS["ride"]), len(prep))


def at_risk(promised_at: datetime, packed: bool, usual: UsualTimes, now: datetime) -> bool:
    """Late already, or less time left than the rest usually takes."""
    return promised_at - now < usual.needed(packed)
