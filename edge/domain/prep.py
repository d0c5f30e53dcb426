"""Suggested prep quantities for the next hours, and prep tasks a manager accepts from them.

Why: made-to-order and fresh items take time to make or put out; a store that knows what
the next hours bring prepares it before the orders arrive. The demand history is the
store's own (online order lines by the hour they arrived, counter sales), the running live
stream's pace is HQ's (``stream.rate``, kept in ``stream_rates`` and used only while fresh),
and the arithmetic is ``prep_model``'s. The board's prep panel, ``store-edge prep`` and the
backtest (``python -m bench prep``) all call :func:`suggest`.

A suggestion accepted becomes a prep task: a store task (``<store_id>:prep-…``) through the
tasks mechanism, audited and synced to HQ. Marking it done books the units made into stock.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from sqlite_utils import Database

from edge.clock import iso, parse_iso, utcnow
from edge.db import write_tx
from edge.domain import audit, clerks, stock, tasks
from edge.domain import prep_i18n  # noqa: F401  (registers prep.* words)
from edge.domain.errors import DomainError
from edge.domain.orders import own_store_id
from edge.domain.prep_model import PROFILE_DAYS, WEEKS, Demand, Forecaster, HourPart, Stream, units

DEFAULT_HOURS = 3
MAX_HOURS = 12
FRESH_SHELF_DAYS = 3  # a product keeping this many days or fewer counts as fresh
OPEN = ("open", "in_progress")
MTO_MIN_LINES = 10  # order lines before a SKU's share of made-to-order orders says anything


def is_fresh(zone: str, shelf_life_days: int | None) -> bool:
    """Chilled, or keeps a few days at most: made for the day, not stocked by the week."""
    return zone == "chilled" or (shelf_life_days is not None and shelf_life_days <= FRESH_SHELF_DAYS)


@dataclass
class Suggestion:
    """One SKU's figure for the next hours and how it was reached."""

    sku: str
    name_zh: str
    name_en: str
    made_to_order: bool
    fresh: bool
    hours: list[HourPart]
    on_hand: int  # on hand and not promised to an order already placed
    preparing: int  # in prep tasks not done yet

    @property
    def demand(self) -> int:
        return units(self.hours)

    @property
    def prep(self) -> int:
        return max(0, self.demand - max(self.on_hand, 0) - self.preparing)

    def name(self, lang: str) -> str:
        return self.name_zh if lang == "zh-CN" else self.name_en


@dataclass(frozen=True)
class PrepTask:
    task_id: str
    sku: str
    qty: int
    name_zh: str
    name_en: str
    for_from: str
    for_until: str
    status: str


# ---------------------------------------------------------------- what the store knows
def load_demand(db: Database, now: datetime, *, weeks: int = WEEKS) -> Demand:
    """Units per SKU and local hour since ``weeks`` weeks (and the profile's days) before
    ``now``, up to ``now``: order lines by when the order arrived (cancelled ones too: they
    were asked for) and counter sales."""
    since = iso(now - max(timedelta(weeks=weeks), timedelta(days=PROFILE_DAYS)) - timedelta(days=1))
    until = iso(now)
    rows = db.execute(
        "SELECT l.sku, substr(o.created_at, 1, 13), o.channel = 'live', SUM(l.qty) "
        "FROM orders o JOIN order_lines l ON l.order_no = o.order_no "
        "WHERE o.created_at >= ? AND o.created_at < ? AND o.store_id = ? GROUP BY 1, 2, 3 "
        "UNION ALL SELECT sl.sku, substr(s.at, 1, 13), 0, SUM(sl.qty) FROM sales s "
        "JOIN sale_lines sl ON sl.sale_id = s.sale_id WHERE s.at >= ? AND s.at < ? GROUP BY 1, 2",
        [since, until, own_store_id(db), since, until]).fetchall()
    demand = Demand()
    for sku, hour, live, qty in rows:
        utc_hour = datetime.fromisoformat(hour + ":00:00").replace(tzinfo=timezone.utc)
        demand.add(sku, utc_hour.astimezone().replace(tzinfo=None), float(qty), bool(live))
    return demand


def record_stream(db: Database, payload: dict, *, now: datetime | None = None) -> bool:
    """HQ's ``stream.rate``: keep the latest per channel (an older one changes nothing)."""
    now = now or utcnow()
    with write_tx(db):
        held = db.execute("SELECT as_of FROM stream_rates WHERE channel = ?",
                          [payload["channel"]]).fetchone()
        if held and parse_iso(held[0]) >= parse_iso(payload["as_of"]):
            return False
        db.execute(
            "INSERT OR REPLACE INTO stream_rates (channel, stream_id, started_at, as_of, window_min,"
            " orders, orders_per_min, units_per_order, received_at) VALUES (?,?,?,?,?,?,?,?,?)",
            [payload["channel"], payload["stream_id"], payload["started_at"], payload["as_of"],
             payload["window_min"], payload["orders"], payload["orders_per_min"],
             json.dumps(payload["units_per_order"]), iso(now)])
        audit.record(db, actor="hq", action="stream.rate", entity=f"stream:{payload['stream_id']}",
                     at=now, detail={"orders_per_min": payload["orders_per_min"]})
    return True


def running_stream(db: Database, now: datetime) -> Stream | None:
    """The live streams selling for this store now (fresh ``stream.rate``), as one: their
    paces added, units per order weighted by pace. None when none is fresh."""
    streams = [Stream(ch, sid, parse_iso(start), parse_iso(at), rate, json.loads(upo))
               for ch, sid, start, at, rate, upo in db.execute(
                   "SELECT channel, stream_id, started_at, as_of, orders_per_min, units_per_order"
                   " FROM stream_rates ORDER BY channel")]
    fresh = [s for s in streams if s.fresh(now) and s.as_of <= now + timedelta(minutes=1)]
    if not fresh:
        return None
    if len(fresh) == 1:
        return fresh[0]
    total = sum(s.orders_per_min for s in fresh)
    share: dict[str, float] = {}
    for s in fresh:
        for sku, per in s.units_per_order.items():
            share[sku] = share.get(sku, 0.0) + per * s.orders_per_min / (total or 1)
    return Stream("+".join(s.channel for s in fresh), "+".join(s.stream_id for s in fresh),
                  min(s.started_at for s in fresh), min(s.as_of for s in fresh), total, share)


def _products(db: Database) -> dict[str, tuple[str, str, str, int | None]]:
    return {r[0]: r[1:] for r in db.execute(
        "SELECT sku, name_zh, name_en, zone, shelf_life_days FROM products")}


def _made_to_order(db: Database, since: datetime) -> set[str]:
    """SKUs most of whose recent order lines were in made-to-order orders (cakes), among at
    least ``MTO_MIN_LINES`` lines: the flag is the order's, so a few orders that also held a
    cake (a stream's first minutes) would call nuts made-to-order."""
    return {r[0] for r in db.execute(
        "SELECT l.sku FROM orders o JOIN order_lines l ON l.order_no = o.order_no "
        "WHERE o.created_at >= ? GROUP BY l.sku HAVING AVG(o.made_to_order) >= 0.5 "
        "AND COUNT(*) >= ?", [iso(since), MTO_MIN_LINES])}


def preparing(db: Database) -> dict[str, int]:
    """Units per SKU in prep tasks not done yet."""
    out: dict[str, int] = {}
    for task in open_tasks(db):
        out[task.sku] = out.get(task.sku, 0) + task.qty
    return out


# ---------------------------------------------------------------- the suggestion
def check_hours(hours: int) -> int:
    if not 1 <= hours <= MAX_HOURS:
        raise DomainError("prep.bad_hours", hours=hours, most=MAX_HOURS)
    return hours


def forecaster(db: Database, now: datetime) -> Forecaster:
    return Forecaster(load_demand(db, now), now, running_stream(db, now))


def suggest(db: Database, *, now: datetime | None = None, hours: int = DEFAULT_HOURS,
            with_stock: bool = True) -> list[Suggestion]:
    """Every SKU the next ``hours`` will ask for: made-to-order first, then fresh, then the
    rest, most to prepare first. ``with_stock`` False leaves on-hand and open prep tasks out
    (the backtest measures the demand figure alone)."""
    now = now or utcnow()
    check_hours(hours)
    fc = forecaster(db, now)
    products = _products(db)
    mto = _made_to_order(db, now - timedelta(weeks=WEEKS))
    busy = preparing(db) if with_stock else {}
    out = []
    for sku in sorted(fc.skus()):
        parts = fc.hours(sku, hours)
        zh, en, zone, life = products.get(sku, (sku, sku, "ambient", None))
        on_hand = 0
        if with_stock:
            lv = stock.levels(db, sku)
            on_hand = lv.on_hand - lv.reserved
        s = Suggestion(sku, zh, en, sku in mto, is_fresh(zone, life), parts, on_hand,
                       busy.get(sku, 0))
        if s.demand > 0 or s.preparing:
            out.append(s)
    out.sort(key=lambda s: (not s.made_to_order, not s.fresh, -s.prep, -s.demand, s.sku))
    return out


# ---------------------------------------------------------------- accepting it
def accept(db: Database, skus: list[str], *, actor: str, now: datetime | None = None,
           hours: int = DEFAULT_HOURS) -> list[tasks.Task]:
    """Turn the suggestions for ``skus`` into prep tasks (a manager's call), all or none.
    A SKU with nothing to prepare is refused, so the same suggestion is never taken twice."""
    now = now or utcnow()
    clerks.require_manager(db, actor)
    store_id = own_store_id(db)
    if not store_id:
        raise DomainError("prep.no_store")
    if not skus:
        raise DomainError("prep.nothing_chosen")
    with write_tx(db):
        by_sku = {s.sku: s for s in suggest(db, now=now, hours=hours)}
        made = []
        for sku in dict.fromkeys(skus):
            s = by_sku.get(sku)
            if s is None or s.prep <= 0:
                raise DomainError("prep.nothing_to_prep", sku=sku)
            until = s.hours[-1].start + timedelta(hours=1)
            fields = {"prep_sku": sku, "qty": s.prep, "name_zh": s.name_zh, "name_en": s.name_en,
                      "for_from": iso(now), "for_until": iso(until.astimezone()),
                      "demand": s.demand, "on_hand": s.on_hand, "preparing": s.preparing}
            made.append(tasks.create_own(db, f"{store_id}:prep-{uuid.uuid4().hex[:12]}",
                                         actor=actor, fields=fields, title=f"prep {sku} x{s.prep}",
                                         due_at=iso(now + timedelta(hours=1)), now=now))
    return made


def _prep_task(task: tasks.Task) -> PrepTask:
    f = task.fields
    return PrepTask(task.task_id, f["prep_sku"], int(f.get("qty", 0)), f.get("name_zh", f["prep_sku"]),
                    f.get("name_en", f["prep_sku"]), f.get("for_from", ""), f.get("for_until", ""),
                    task.status)


def open_tasks(db: Database) -> list[PrepTask]:
    """Prep tasks not done yet, oldest first (the board's prep line and the panel)."""
    rows = db.execute(
        "SELECT task_id FROM tasks WHERE status IN ('open', 'in_progress') AND kind = 'store'"
        " AND json_extract(fields, '$.prep_sku') IS NOT NULL ORDER BY updated_at, task_id")
    return [_prep_task(t) for (task_id,) in rows.fetchall()
            if (t := tasks.get_task(db, task_id)) is not None]


def finish(db: Database, task_id: str, *, actor: str, now: datetime | None = None) -> PrepTask:
    """The batch is made: the task is done and its units are booked into stock (lot
    ``PREP-<date>``, keeping the product's shelf life), so the next suggestion counts them."""
    now = now or utcnow()
    with write_tx(db):
        if clerks.get_clerk(db, actor) is None:
            raise DomainError("auth.unknown_clerk", clerk_id=actor)
        task = tasks.get_task(db, task_id)
        if task is None or "prep_sku" not in task.fields:
            raise DomainError("prep.unknown_task", task_id=task_id)
        if task.status not in OPEN:
            raise DomainError("prep.task_closed", task_id=task_id, state=task.status)
        prep_task = _prep_task(task)
        row = db.execute("SELECT shelf_life_days FROM products WHERE sku = ?",
                         [prep_task.sku]).fetchone()
        if row is not None and prep_task.qty > 0:
            local = now.astimezone()
            expiry = (local + timedelta(days=row[0])).date().isoformat() if row[0] else None
            stock.receive(db, sku=prep_task.sku, lot=f"PREP-{local:%Y%m%d}", qty=prep_task.qty,
                          actor=actor, expiry=expiry, ref=task_id, now=now)
        tasks.update_task(db, task_id, actor=actor, status="done", now=now)
    return _prep_task(tasks.get_task(db, task_id))  # type: ignore[arg-type]
