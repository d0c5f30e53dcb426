"""Day end: the store's figures for one local day, read from the day's own records.

"The day" is the store's local calendar day, midnight to midnight in the configured time zone
(``timezone`` in store-edge.toml, default Asia/Shanghai), converted to UTC for the queries,
since every stored time is UTC. Each figure is a plain SQL question to the records:

* pickups due: this store's orders whose pickup window ENDS in the day, not cancelled;
  handed over of those: picked up (fully or partly) before the day ended. Verification rate
  = handed over / due.
* hand-overs: every order handed over in the day (whatever its window), of them partial;
  scan-to-hand-over time (``orders.verify_ms``) over those with a scan time: the mean
  (rounded to the millisecond) and the 90th percentile by nearest rank (the smallest time
  that at least 90 % of hand-overs did not exceed).
* add-on sales: counter sales of the day that name a pickup order (count, value); add-on rate
  = the day's hand-overs that have such a sale / the day's hand-overs.
* overdue / returned: orders whose status became overdue / returned in the day (audit trail).
* sales by payment method: counter sales of the day, per method (count, value).
* temperature excursions: alarms and short excursions overlapping the day, with who
  acknowledged them and when.
* stock differences: on-hand ledger moves of the day that are neither sales, picks nor goods
  received (adjustments, counts, missing at pick-up, waste ...), per kind and reason.

Reading is manager-only (``clerks.require_manager``), like sending the figures to HQ.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlite_utils import Database

from edge.clock import iso, utcnow
from edge.db import write_tx
from edge.domain import audit, clerks, outbox, temperatures
from edge.domain.orders import HANDED_OVER
from edge.store import Store

EVENT_TYPE = "report.day_end"
# on-hand moves that are the business running, not a stock difference
FLOW_KINDS = ("sale", "pick", "receipt", "transfer_in")


@dataclass(frozen=True)
class PaymentTotal:
    method: str
    sales: int
    cents: int


@dataclass(frozen=True)
class Excursion:
    probe_id: str
    fridge: str
    kind: str  # out_of_range | silent
    started_at: str
    cleared_at: str | None
    peak_c: float | None
    limit_c: float | None
    raised: bool  # lasted past the fridge's grace: an alarm someone had to acknowledge
    acknowledged_by: str | None
    acknowledged_at: str | None
    acknowledged_by_name: str | None = None  # the person, for people reading the record


@dataclass(frozen=True)
class StockDifference:
    kind: str
    reason: str | None
    actions: int  # adjustments, counts ... (one taking units from two lots counts once)
    units: int  # signed net change of on-hand


@dataclass(frozen=True)
class DayEnd:
    store_id: str
    day: str  # ISO date, local to the store
    timezone: str
    start: str  # ISO UTC, inclusive
    end: str  # ISO UTC, exclusive
    generated_at: str
    pickups_due: int
    due_handed_over: int
    handovers: int
    partial_handovers: int
    timed_handovers: int
    verify_ms_mean: int | None
    verify_ms_p90: int | None
    addon_pickups: int
    addon_sales: int
    addon_cents: int
    sales: int
    sales_cents: int
    payments: list[PaymentTotal] = field(default_factory=list)
    overdue_orders: list[str] = field(default_factory=list)
    returned_orders: list[str] = field(default_factory=list)
    excursions: list[Excursion] = field(default_factory=list)
    stock_differences: list[StockDifference] = field(default_factory=list)

    @property
    def verification_rate(self) -> float | None:
        """Handed over / due, None on a day nothing was due."""
        return self.due_handed_over / self.pickups_due if self.pickups_due else None

    @property
    def addon_rate(self) -> float | None:
        return self.addon_pickups / self.handovers if self.handovers else None

    def as_dict(self) -> dict:
        """Plain JSON-ready data (CLI --format json, the HQ event), rates included."""
        return {**asdict(self), "verification_rate": self.verification_rate,
                "addon_rate": self.addon_rate}


def day_bounds(day: date, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """[start, end) of a local calendar day (23 or 25 hours long on a DST change)."""
    start = datetime.combine(day, time(0), tzinfo=tz)
    end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=tz)
    return start, end


def local_today(tz: ZoneInfo, now: datetime | None = None) -> date:
    return (now or utcnow()).astimezone(tz).date()


def nearest_rank(values: list[int], pct: float) -> int | None:
    """The ``pct`` percentile by nearest rank: the ceil(pct/100 * n)-th smallest value."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(1, math.ceil(pct / 100 * len(ordered))) - 1]


def day_end(store: Store, day: date, tz: ZoneInfo, *, actor: str,
            now: datetime | None = None) -> DayEnd:
    """The figures of ``day`` (manager only). Reads only; changes nothing."""
    db = store.db
    clerks.require_manager(db, actor)
    start_dt, end_dt = day_bounds(day, tz)
    start, end = iso(start_dt), iso(end_dt)
    own = store.store_id
    # a delivery order is never picked up at the counter: not a pickup due
    due, due_done = db.execute(
        "SELECT COUNT(*), COALESCE(SUM(status IN ('picked_up','partially_picked_up')"
        " AND picked_up_at < ?), 0) FROM orders WHERE store_id = ? AND window_end >= ?"
        " AND window_end < ? AND status != 'cancelled' AND fulfilment = 'pickup'",
        [end, own, start, end]).fetchone()
    handed = db.execute(
        "SELECT order_no, status, verify_ms FROM orders WHERE store_id = ? AND picked_up_at >= ?"
        " AND picked_up_at < ? AND status IN (?, ?)", [own, start, end, *sorted(HANDED_OVER)]
    ).fetchall()
    times = [r[2] for r in handed if r[2] is not None]
    addon_pickups = db.execute(
        "SELECT COUNT(DISTINCT o.order_no) FROM orders o JOIN sales s"
        " ON s.with_pickup_order_no = o.order_no WHERE o.store_id = ? AND o.picked_up_at >= ?"
        " AND o.picked_up_at < ?", [own, start, end]).fetchone()[0]
    addon_sales, addon_cents = db.execute(
        "SELECT COUNT(*), COALESCE(SUM(total_cents), 0) FROM sales WHERE at >= ? AND at < ?"
        " AND with_pickup_order_no IS NOT NULL", [start, end]).fetchone()
    payments = [PaymentTotal(*r) for r in db.execute(
        "SELECT payment_method, COUNT(*), SUM(total_cents) FROM sales WHERE at >= ? AND at < ?"
        " GROUP BY payment_method ORDER BY SUM(total_cents) DESC, payment_method", [start, end])]
    return DayEnd(
        store_id=own, day=day.isoformat(), timezone=tz.key, start=start, end=end,
        generated_at=iso(now or utcnow()), pickups_due=due, due_handed_over=due_done,
        handovers=len(handed), partial_handovers=sum(r[1] == "partially_picked_up" for r in handed),
        timed_handovers=len(times),
        verify_ms_mean=round(sum(times) / len(times)) if times else None,
        verify_ms_p90=nearest_rank(times, 90), addon_pickups=addon_pickups,
        addon_sales=addon_sales, addon_cents=addon_cents,
        sales=sum(p.sales for p in payments), sales_cents=sum(p.cents for p in payments),
        payments=payments, overdue_orders=_became(db, "overdue", start, end),
        returned_orders=_became(db, "returned", start, end),
        excursions=excursions(db, start_dt, end_dt),
        stock_differences=_stock_differences(db, start, end))


def _became(db: Database, status: str, start: str, end: str) -> list[str]:
    """Orders whose status became ``status`` in [start, end), from the audit trail."""
    return [r[0].removeprefix("order:") for r in db.execute(
        "SELECT DISTINCT entity FROM audit WHERE action = ? AND at >= ? AND at < ?"
        " ORDER BY entity", [f"order.{status}", start, end])]


def excursions(db: Database, start: datetime, end: datetime,
               probe_id: str | None = None) -> list[Excursion]:
    """Excursions and alarms overlapping [start, end), with their fridge's name and who
    acknowledged them (day end, the cold-chain screen)."""
    names = {f.probe_id: f.name for f in temperatures.list_fridges(db, active_only=False)}
    result = []
    for a in temperatures.alarms_between(db, start, end, probe_id):
        who = clerks.get_clerk(db, a.acknowledged_by) if a.acknowledged_by else None
        result.append(Excursion(a.probe_id, names.get(a.probe_id, a.probe_id), a.kind,
                                a.started_at, a.cleared_at, a.peak_c, a.limit_c,
                                a.raised_at is not None, a.acknowledged_by, a.acknowledged_at,
                                who.name if who else None))
    return result


def _stock_differences(db: Database, start: str, end: str) -> list[StockDifference]:
    marks = ",".join("?" * len(FLOW_KINDS))
    return [StockDifference(*r) for r in db.execute(
        "SELECT kind, reason, COUNT(DISTINCT actor || '|' || at || '|' || COALESCE(ref, '')),"
        " SUM(qty) FROM stock_moves WHERE account = 'on_hand'"
        f" AND at >= ? AND at < ? AND kind NOT IN ({marks}) GROUP BY kind, reason"
        " ORDER BY kind, reason", [start, end, *FLOW_KINDS])]


def send_day_end(store: Store, report: DayEnd, *, actor: str,
                 now: datetime | None = None) -> int:
    """Send the figures to HQ: one outbox event (``report.day_end``), audited. Sending a day
    again (figures corrected by late records) sends it again; HQ keeps the latest."""
    now = now or utcnow()
    clerks.require_manager(store.db, actor)
    with write_tx(store.db):
        seq = outbox.append(store.db, type=EVENT_TYPE, entity=f"day_end:{report.day}", at=now,
                            payload={**report.as_dict(), "sent_by": actor})
        audit.record(store.db, actor=actor, action="day_end.sent", entity=f"day_end:{report.day}",
                     at=now, detail={"seq": seq, "handovers": report.handovers,
                                     "sales_cents": report.sales_cents})
    return seq


def last_sent(db: Database, day: str) -> tuple[str, bool] | None:
    """(when, acknowledged by HQ) of the last day-end event sent for ``day``, or None."""
    row = db.execute("SELECT store_clock, acked_at IS NOT NULL FROM outbox WHERE type = ? AND"
                     " entity = ? ORDER BY seq DESC LIMIT 1", [EVENT_TYPE, f"day_end:{day}"]
                     ).fetchone()
    return (row[0], bool(row[1])) if row else None
