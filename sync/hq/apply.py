"""One handler per store event type: validate the payload, apply it through the rules.

A handler returns ``None`` (applied), a ``rules.Note`` (applied with a remark) or a short
rejection reason (recorded as ``rejected``; the seq still advances). Handlers decide to
reject BEFORE writing anything, so a rejection never leaves half an event behind.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Callable

from pydantic import BaseModel

from .. import protocol as p
from . import delivery, orders, presale, rules, stock, tasks
from .clock import iso
from .codec import dumps
from .db import Tx

Handler = Callable[[Tx, str, Any, int, datetime], "str | None"]


def _handover(tx: Tx, store_id: str, h: p.OrderHandedOver, seq: int, now: datetime) -> str | None:
    reason = orders.record_handover(tx, store_id, h, now)
    if reason is None and h.override is not None:
        _audit(tx, store_id, seq, "handover_override", h.override.manager_id, h.override.reason, h.order_no, h.at)
    return reason


def _status(tx: Tx, store_id: str, s: p.OrderStatusChanged, seq: int, now: datetime) -> str | None:
    return orders.record_status(tx, store_id, s, now)


def _moved(tx: Tx, store_id: str, m: p.StockMoved, seq: int, now: datetime) -> str | None:
    return stock.record_move(tx, store_id, m, seq, now)


def _granted(tx: Tx, store_id: str, a: p.AllotmentChange, seq: int, now: datetime) -> str | None:
    return stock.grant_allotment(tx, store_id, a, seq, now)


def _revoked(tx: Tx, store_id: str, a: p.AllotmentChange, seq: int, now: datetime) -> str | None:
    return stock.revoke_allotment(tx, store_id, a, seq, now)


def _sale(tx: Tx, store_id: str, s: p.SaleCompleted, seq: int, now: datetime) -> str | rules.Note | None:
    """A counter sale stands (the money was taken); a link to an order that is not this
    store's own is dropped and noted, never followed."""
    note = None
    if s.with_pickup_order_no is not None and orders.store_order(tx, store_id, s.with_pickup_order_no) is None:
        note = rules.Note(f"unknown_order_link:{s.with_pickup_order_no}")
        s = s.model_copy(update={"with_pickup_order_no": None})
    inserted = tx.run(
        "INSERT INTO sales (store_id, sale_id, total_cents, clerk_id, with_pickup_order_no, lines) "
        "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (store_id, sale_id) DO NOTHING",
        (store_id, s.sale_id, s.total_cents, s.clerk_id, s.with_pickup_order_no,
         dumps([line.model_dump() for line in s.lines])))
    return note if inserted == 1 else "duplicate_sale_id"


def temperature_reading(tx: Tx, store_id: str, r: p.TemperatureReading, seq: int, now: datetime) -> str | None:
    """Insert-only, de-duplicated by reading id (a repeat is applied as a no-op). Readings
    affect nothing else, so they are queued and written with one executemany per batch."""
    tx.defer(rules.TEMPERATURE_READING_INSERT, (store_id, r.reading_id, r.probe_id, r.celsius, r.at))
    return None


def _alarm_raised(tx: Tx, store_id: str, a: p.AlarmRaised, seq: int, now: datetime) -> str | None:
    tx.run("INSERT INTO alarms (store_id, alarm_id, probe_id, raised_at, celsius, limit_celsius) "
           "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (store_id, alarm_id) DO NOTHING",
           (store_id, a.alarm_id, a.probe_id, a.at, a.celsius, a.limit_celsius))
    return None


def _alarm_acked(tx: Tx, store_id: str, a: p.AlarmAcknowledged, seq: int, now: datetime) -> str | None:
    if tx.one("SELECT 1 FROM alarms WHERE store_id = ? AND alarm_id = ?", (store_id, a.alarm_id)) is None:
        return "unknown_alarm"
    tx.run("UPDATE alarms SET acknowledged_by = ?, acknowledged_at = ? WHERE store_id = ? AND alarm_id = ? "
           "AND acknowledged_by IS NULL", (a.by, a.at, store_id, a.alarm_id))
    return None


def _task(tx: Tx, store_id: str, t: p.TaskUpdate, seq: int, now: datetime) -> str | None:
    return tasks.apply_store_update(tx, store_id, t, now)


def _audit(tx: Tx, store_id: str, seq: int, action: str, manager_id: str, reason: str,
           ref: str | None, at: str | None) -> None:
    tx.run("INSERT INTO audit (store_id, event_seq, action, manager_id, reason, ref, at) "
           "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (store_id, event_seq) DO NOTHING",
           (store_id, seq, action, manager_id, reason, ref, at))


def _override(tx: Tx, store_id: str, o: p.AuditOverride, seq: int, now: datetime) -> str | None:
    _audit(tx, store_id, seq, o.action, o.manager_id, o.reason, o.ref, o.at)
    return None


def _window_extended(tx: Tx, store_id: str, e: p.WindowExtendedByStore, seq: int,
                     now: datetime) -> str | None:
    return orders.record_window_extended(tx, store_id, e, now)


def _reminder(tx: Tx, store_id: str, r: p.ReminderRequested, seq: int, now: datetime) -> str | None:
    return orders.record_reminder(tx, store_id, r, now)


def _bag_packed(tx: Tx, store_id: str, b: p.BagPacked, seq: int, now: datetime) -> str | None:
    """Progress on the order's preparation task: which bag is packed and where it is kept."""
    _, refused = orders.order_about(tx, store_id, b.order_no, b.order_uid, now)
    if refused:
        return refused
    update = p.TaskUpdate(task_id=f"prep-{b.order_no}",
                          fields={f"bag_{b.zone}": b.slot})
    return tasks.apply_store_update(tx, store_id, update, now)


def _day_end(tx: Tx, store_id: str, r: p.DayEndReport, seq: int, now: datetime) -> str | None:
    """Keep the store's latest report per day (a later seq replaces an earlier one)."""
    if r.store_id != store_id:
        return "store_mismatch"
    tx.run("INSERT INTO day_reports (store_id, day, payload, event_seq, received_at) "
           "VALUES (?, ?, ?, ?, ?) ON CONFLICT (store_id, day) DO UPDATE SET "
           "payload = excluded.payload, event_seq = excluded.event_seq, "
           "received_at = excluded.received_at WHERE day_reports.event_seq < excluded.event_seq",
           (store_id, r.day, dumps(r.model_dump()), seq, iso(now)))
    return None


def _short_picked(tx: Tx, store_id: str, s: p.OrderShortPicked, seq: int, now: datetime) -> str | None:
    return orders.record_short(tx, store_id, s, seq, now)


def _short_decided(tx: Tx, store_id: str, d: p.OrderShortDecided, seq: int, now: datetime) -> str | None:
    reason = orders.record_short_decision(tx, store_id, d, now)
    if reason is None and d.decision != "resolved":
        _audit(tx, store_id, seq, f"short_pick_{d.decision}", d.by, d.decision, d.order_no, d.at)
    return reason
def _restored(tx: Tx, store_id: str, r: p.OrderRestored, seq: int, now: datetime) -> str | None:
    return orders.restore_order(tx, store_id, r, seq, now)


def _presale_received(tx: Tx, store_id: str, r: p.PresaleReceived, seq: int,
                      now: datetime) -> str | None:
    return presale.record_received(tx, store_id, r, seq, now)


def _parked(tx: Tx, store_id: str, e: p.EventParked, seq: int, now: datetime) -> str | None:
    """The store kept an event HQ refused with a 4xx: recorded as rejected, seq advances."""
    return f"parked_at_store:{e.type}"[:300]


def _delivery_decided(tx: Tx, store_id: str, d: p.DeliveryDecided, seq: int, now: datetime) -> str | None:
    reason = delivery.record_decided(tx, store_id, d, now)
    if reason is None:
        _audit(tx, store_id, seq, f"delivery_{d.decision}", d.manager_id, d.decision, d.order_no, d.at)
    return reason


HANDLERS: dict[str, Handler] = {
    p.EV_ORDER_HANDED_OVER: _handover,
    p.EV_ORDER_STATUS_CHANGED: _status,
    p.EV_STOCK_MOVED: _moved,
    p.EV_ALLOTMENT_GRANTED: _granted,
    p.EV_ALLOTMENT_REVOKED: _revoked,
    p.EV_SALE_COMPLETED: _sale,
    p.EV_TEMPERATURE_READING: temperature_reading,
    p.EV_ALARM_RAISED: _alarm_raised,
    p.EV_ALARM_ACKNOWLEDGED: _alarm_acked,
    p.EV_TASK_UPDATED: _task,
    p.EV_AUDIT_OVERRIDE: _override,
    p.EV_BAG_PACKED: _bag_packed,
    p.EV_ORDER_WINDOW_EXTENDED: _window_extended,
    p.EV_REPORT_DAY_END: _day_end,
    p.EV_ORDER_SHORT_PICKED: _short_picked,
    p.EV_ORDER_SHORT_DECIDED: _short_decided,
    p.EV_ORDER_REMINDER_REQUESTED: _reminder,
    p.EV_ORDER_RESTORED: _restored,
    p.EV_EVENT_PARKED: _parked,
    p.EV_ORDER_OUT_FOR_DELIVERY: lambda tx, store_id, e, seq, now: delivery.record_parcel_out(tx, store_id, e, now),
    p.EV_ORDER_DELIVERED: lambda tx, store_id, e, seq, now: delivery.record_delivered(tx, store_id, e, now),
    p.EV_ORDER_DELIVERY_FAILED: lambda tx, store_id, e, seq, now: delivery.record_failed(tx, store_id, e, now),
    p.EV_ORDER_DELIVERY_DECIDED: _delivery_decided,
    p.EV_PRESALE_RECEIVED: _presale_received,
}
assert set(HANDLERS) == set(p.EVENT_PAYLOADS), "every protocol event type needs a handler"


def apply_event(tx: Tx, store_id: str, event: p.Event, now: datetime) -> tuple[str, str | None]:
    """Validate and apply one new event; returns (outcome, reason)."""
    if event.schema_version > p.EVENT_SCHEMA_VERSION:
        return "rejected", f"unsupported_schema:{event.schema_version}"
    try:
        payload: BaseModel = p.parse_payload(event.type, event.payload, p.EVENT_PAYLOADS)
    except ValueError as exc:
        return "rejected", str(exc)[:300]
    reason = HANDLERS[event.type](tx, store_id, payload, event.seq, now)
    if reason is None or isinstance(reason, rules.Note):
        return "applied", reason
    return "rejected", reason
