"""The store <-> HQ wire protocol, version 1: the single definition both sides import.

Imports nothing of ``edge`` (and nothing of ``sync.hq``): the store client and HQ share it.

Authentication
--------------
* Store requests carry ``Authorization: Bearer <store token>``. HQ keeps only the sha256 of
  the token; the token names the store, so no store id appears in sync URLs. A store can
  only ever read or write its own rows; another store's order, task, bag or event id is
  answered like an unknown one (rejected outcome / 404). A store token expires (``401
  token_expired``; ``store-edge hq rotate-token`` issues a new one, the old one stops
  working at once) and can be revoked (``hq revoke-store``).
* Every request body is read before authentication and refused as it arrives over the
  endpoint's limit (413), or when it stalls (408).
* Shops and live-stream rooms place orders with ``Authorization: Bearer <channel key>``
  (``store-edge hq add-channel NAME`` prints it once; HQ keeps the sha256). A channel key
  cannot use the sync endpoints and a store token cannot place orders (401).

Push  ``POST /v1/sync/push``  body :class:`PushRequest` -> :class:`PushResponse`
-----------------------------------------------------------------------------------
* Events carry a per-store gapless ``seq`` (1, 2, 3 ... assigned in the store's writing
  transaction) and a globally unique ``event_id`` (uuid). HQ applies each seq at most once,
  in seq order, the whole batch in ONE database transaction.
* seq <= HQ's last seq for the store -> ``duplicate`` (the stored outcome is repeated in
  ``original_outcome``/``reason``). Nothing changes. If a *different* event arrives under a
  seq HQ already holds (or twice in one batch) it is answered ``rejected``
  (``seq_reused_by_other_event`` / ``seq_repeated_in_batch_by_other_event``), never stored.
* A new seq whose event_id HQ already holds with the same content -> ``duplicate`` (the seq
  advances, nothing is applied twice); with other content -> ``rejected``
  ``event_id_reused_with_different_content``.
* first new seq > last + 1, or a hole inside the batch -> HTTP 409 :class:`SeqGap` with
  ``expected_seq``; nothing applied. This is also how a store learns HQ was restored from an
  older backup: it re-pushes from ``expected_seq`` (the store keeps acknowledged events).
* A business rejection (unknown order, bad payload, unknown event type, schema too new,
  event_id reused with different content, ...) is recorded as ``rejected`` with a reason and
  the seq still advances: a rejected event is parked at HQ, never retried by the store.
  Unknown event types are rejected outcomes (not 422) so an older HQ never blocks a newer
  store's queue.
* An envelope that does not parse (malformed JSON, wrong types, missing fields, more than
  :data:`MAX_PUSH_EVENTS` events -> 422; more than :data:`MAX_PUSH_BYTES` -> 413) changes
  nothing. Only transient trouble (database unavailable) is a 5xx: retry the same batch.
* The reply acknowledges through ``acked_through``: the store may mark every event with
  seq <= acked_through as acknowledged. An empty batch just asks HQ for its position.
  ``results`` has one entry per event sent, in seq order (outcome applied | duplicate |
  rejected; ``reason`` may be set on applied too, e.g. ``partial:1_of_3`` for a revoke).

Pull  ``GET /v1/sync/pull?cursor=N&limit=500&epoch=E&wait=25`` -> :class:`PullResponse`
---------------------------------------------------------------------------------------
* Changes for this store with cursor > N, ascending, at most ``limit``. HQ assigns the
  per-store change cursor inside the writing transaction under the store's row lock, so
  cursors are gapless and become visible in order: a pull never skips a change that
  commits late. The store applies a page and stores ``next_cursor`` in ONE transaction;
  ``has_more`` says to pull again at once.
* Always HTTP 200. When ``resync`` is true there are no changes; the store must fetch
  ``GET /v1/sync/snapshot`` and replace its HQ-owned state. HQ answers resync when the
  ``epoch`` sent differs from HQ's (HQ restored from a backup and ``hq bump-epoch`` run), when
  the cursor is ahead of HQ's last change for the store (HQ lost changes), or when the cursor
  is older than what HQ still keeps (pruned). Omit ``epoch`` only on the very first pull.
* Long-poll: ``&wait=S`` (0 < S <= :data:`MAX_PULL_WAIT_S` seconds). When there is no change
  after the cursor, HQ holds the request and answers the moment a change for this store
  commits (in any HQ process), or empty after S seconds (also at once when HQ shuts down).
  An answer with changes or ``resync`` is never held. Without ``wait`` (or 0) HQ answers at
  once, as it always did. A client allows S seconds more than its usual timeout.

Snapshot  ``GET /v1/sync/snapshot`` -> :class:`Snapshot`
--------------------------------------------------------
The store's full HQ-owned state as ``items`` with the same ``type``/``payload`` shapes as pull
changes (apply them with the same code; every item is an idempotent upsert), plus the
``cursor`` and ``epoch`` it corresponds to and ``acked_seq`` (HQ's last applied seq for the
store: re-push everything after it). Orders finished more than
:data:`SNAPSHOT_RECENT_DAYS` ago are not listed; an open or recent order the store holds and
the snapshot lacks is one HQ lost: the store sends it back (``order.restored``).

Event types store -> HQ (payload models in EVENT_PAYLOADS; extra fields are ignored)
-------------------------------------------------------------------------------------
Every event about an order carries ``order_uid`` (HQ's id of the order, from
``order.allocated``) beside ``order_no``: HQ applies it only to that order (rule
``same_order``); another order under the same number is refused ``order_mismatch`` with a
conflict. ``order_uid`` may be null for orders HQ sent before uids existed.

``order.handed_over``     {order_no, clerk_id, at, verify_ms?, lines_not_taken: [{line_no, qty,
                          reason: missing|refused}], override: {manager_id, reason}|null}
                          Always stands, even against an HQ cancellation made meanwhile
                          (HQ records a ``handover_after_cancel`` conflict for a refund decision).
``order.status_changed``  {order_no, from?, to: preparing|ready|overdue|returned, at?}
                          forward only; a backwards report is rejected ``status_not_forward``.
``stock.moved``           {move_id, sku, lot?, qty (signed), kind: sale|pick|receipt|adjustment|
                          count|waste|transfer_in|missing|delivery_return, ref?, counted_base?}
                          -- a ledger entry; for a count, qty is the counted quantity and HQ
                          books qty - counted_base.
                          Negative levels are kept and raise an exception task.
``allotment.granted``     {sku, qty >= 1, pool: on_hand|presale} units the store sets aside online
``allotment.revoked``     {sku, qty >= 1, pool} takes back only units HQ has not locked or sold
                          (outcome applied, reason ``partial:<taken>_of_<asked>`` when short;
                          HQ then sends ``allotment.updated`` with the truth)
``sale.completed``        {sale_id, lines: [{sku, qty, unit_price_cents}], total_cents, clerk_id,
                          with_pickup_order_no|null} (stock moves travel as ``stock.moved``)
``temperature.reading``   {reading_id, probe_id, celsius, at} insert-only, de-duplicated by id
``alarm.raised``          {alarm_id, probe_id, at, celsius?, limit_celsius?}
``alarm.acknowledged``    {alarm_id, by, at, note?}
``task.updated``          {task_id, status?, fields: {...}} fields last-write-wins in HQ receipt
                          order; status only forward (open -> in_progress -> done|cancelled)
``audit.override``        {manager_id, reason, action, ref?, at?}
``event.parked``          {type, reason} the stand-in for an event HQ refused with a 4xx: HQ
                          records it ``rejected`` (``parked_at_store``) and the seq advances;
                          the store keeps the original, a manager may re-send a fixed copy

Values: no text may hold NUL or a lone surrogate, no integer may exceed 64 bits, no number
may be NaN or infinite (``value_problem``). The store refuses to build such an event; HQ
answers one ``rejected`` with a reason naming the field (``invalid_payload:lot:nul``,
``invalid_event:entity:...``), and an event whose ``seq``/``event_id`` cannot be read
refuses the request (422 naming ``events[i]``).
``report.day_end``        :class:`DayEndReport` the store's figures for one local day (pickups
                          due / handed over, verify times, add-ons, sales per payment method,
                          overdue, returned, excursions, stock differences). Sent again after
                          a correction: HQ keeps the latest per (store, day). A report naming
                          another store is rejected ``store_mismatch``.
``bag.packed``            {order_no, zone, slot, at?} progress on the order's prep task
``order.short_picked``    {order_no, lines: [{line_no, sku, qty >= 1}], by, at?} units not on
                          the shelf at pick time (booked out as ``stock.moved`` kind missing);
                          HQ records them and raises a ``short_pick`` conflict for operators
``order.short_decided``   {order_no, decision: ready_without|wait|resolved, by, lines, at?} the
                          store manager's decision: ready_without -> the lines are missing, the
                          order is handed over as a partial pickup and HQ refunds them; wait ->
                          re-picked later; resolved -> the re-pick found the units after all
``order.reminder_requested`` {order_no, clerk_id, at?} the store asks HQ to remind the customer
                          (an overdue pickup): HQ queues a ``reminder`` notification; an order
                          HQ holds as closed is rejected ``order_closed:<status>``
``presale.received``      {transfer_id, lines: [{sku, presale, arrived}], released: [{order_no,
                          order_uid?}], waiting: [...]} a transfer carrying pre-sold goods was
                          received: ``arrived`` of its ``presale`` units came (fewer: a short
                          delivery); ``released`` pre-sale orders went to the task board in
                          order of purchase, ``waiting`` ones (the latest purchases) still wait
                          for goods. HQ takes the units that did not come out of its pre-sale
                          pool (``granted -= presale - arrived``), tells the customers
                          (``presale_arrived`` / ``presale_delayed``) and records a
                          ``presale_short`` conflict for operators when orders still wait.
``order.restored``        {order_no, order_uid, channel, customer_masked, phone_last4, lines,
                          window_start, window_end, payment_status, fulfilment, code_hash?,
                          made_to_order, presale, status, hq_version, picked_up_at?} an order
                          the store holds and HQ's snapshot does not list (HQ restored from a
                          backup): HQ recreates it as it was, with the store's code hash (hex)
                          and never a code in clear; the allotment is booked as locked (open,
                          unpaid) or sold. Known already: applied, reason ``already_known``;
                          another order under that number: rejected ``order_mismatch``.
``order.out_for_delivery`` {order_no, zone, courier_name, courier_mode: platform|store,
                          clerk_id, at?} one parcel (the order's bag of that zone) left with a
                          courier; HQ tracks parcels apart and queues the customer's
                          ``out_for_delivery`` ("the courier has collected your order"). Stands
                          against a cancellation like a hand-over (conflict for a refund).
``order.delivered``       {order_no, clerk_id, at?} the store's clerk delivered (customer's
                          delivery code checked at the store); ``order.delivery_failed``
                          {order_no, clerk_id, reason: not_home|refused|address} the goods came
                          back; ``order.delivery_decided`` {order_no, decision: return|retry,
                          manager_id} the manager's call: back to stock, or ready again.

Change types HQ -> store (payload models in CHANGE_PAYLOADS)
------------------------------------------------------------
``order.allocated``       full order, an upsert by order_no (newer ``version`` wins): {order_no,
                          order_uid,
                          store_id, channel, customer_masked, phone_last4, lines: [{line_no, sku,
                          name_zh, name_en, qty, zone, unit_price_cents}], window_start,
                          window_end (ISO UTC), payment_status: pending|paid|refunded,
                          fulfilment: pickup|delivery, pickup_code (clear: hash it on arrival),
                          made_to_order, presale, status (HQ's view), version}. Re-sent when
                          paid. Bags: one per zone present in lines.
``order.cancelled``       {order_no, reason, version, regrant} (customer | hq | payment_timeout ...);
                          if the store already handed the order over, the hand-over stands.
                          ``regrant``: HQ handed the units back to the store (granted -= qty,
                          not back into its free allotment: they may be gone offline); a store
                          that still has them grants them again (``allotment.granted``), and
                          only then does HQ sell them online again.
``order.window_extended`` {order_no, window_end, version}
``catalog.item``          {sku, name_zh, name_en, zone, price_cents, barcode?, shelf_life_days?,
                          version, shelf?} (shelf: the pick-walk place; absent keeps the store's)
``stock.transfer``        {transfer_id, lines: [{sku, lot, expiry?, qty, presale}]} goods on the
                          way; the store books a ``stock.moved`` transfer_in (ref = transfer_id)
                          on receipt. ``presale`` (<= qty): units of the line HQ sells ahead
                          (its pre-sale pool grows by them when it announces the transfer;
                          the store holds them apart for pre-sale orders when they arrive)
``allotment.requested``   {sku, qty, pool} HQ asks the store to grant more; the store decides
``allotment.updated``     {sku, pool, granted, locked, sold, as_of_seq} HQ's allotment after a
                          grant/revoke, as of the store's events through ``as_of_seq``: the
                          store holds apart :func:`allotment_to_hold` of it
``task.updated``          {task_id, kind: prepare|exception|store, status, order_no?, title,
                          due_at?, fields, version} (prep task ``prep-<order_no>`` per order)
``conflict.noted``        {conflict_id, kind: handover_after_cancel|handover_unpaid|refund_due|
                          negative_stock|presale_short|presale_revoke_short, order_no?, sku?,
                          detail} for the manager's attention
``stream.rate``           {channel, stream_id, started_at, as_of, window_min, orders,
                          orders_per_min, units_per_order: {sku: units}} a live stream selling
                          for this store now (from the orders HQ accepted in the last minutes);
                          the store raises its prep suggestions with it while it is fresh
``order.courier_assigned`` {order_no, courier_name?, note} the courier platform's rider for
                          a delivery order (None + note: the platform gave it up)
Delivery orders (fulfilment ``delivery``) carry ``delivery``: {address, promised_at,
courier_mode, delivery_code} in ``order.allocated``; the window runs from placing to
``promised_at``. The address is masked (``mask_address``) unless the store's own clerk
carries the order.

Versions
--------
Every order / task / catalog payload carries ``version``; a receiver applies an upsert only
if it is newer than what it holds. Device clocks (``store_clock``, ``at`` fields) are kept as
information only and never decide a conflict: HQ decides by the order it receives things.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Annotated, Any, Literal

import math
import re

from pydantic import (AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, ValidationError,
                      model_validator)

from . import pickup_code as _pickup

PROTOCOL_VERSION = 1
EVENT_SCHEMA_VERSION = 1  # highest event payload schema this HQ understands
MAX_PUSH_EVENTS = 1000
MAX_PUSH_BYTES = 4 * 1024 * 1024
DEFAULT_PULL_LIMIT = 500
MAX_PULL_LIMIT = 1000
MAX_PULL_WAIT_S = 55  # a long-poll answers before a reverse proxy's usual 60 s read timeout
MAX_SEQ = 2**53 - 1  # exact in every JSON implementation (IEEE double)
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1  # what a BIGINT column holds
MAX_QTY = 10**9  # one movement, grant or line: far beyond any store, far below INT64 sums
MAX_CENTS = 10**12  # ten billion yuan: a price or a total no store reaches
MAX_TEXT_CHARS = MAX_PUSH_BYTES // 4  # one string value: a quarter of what one push may carry
MAX_PAYLOAD_DEPTH = 16
UNPAID_RELEASE_AFTER = timedelta(minutes=30)
SNAPSHOT_RECENT_DAYS = 7  # finished orders younger than this still travel in a snapshot

PUSH_PATH = "/v1/sync/push"
PULL_PATH = "/v1/sync/pull"
SNAPSHOT_PATH = "/v1/sync/snapshot"
ORDERS_PATH = "/v1/orders"
HEALTH_PATH = "/v1/health"
WHOAMI_PATH = "/v1/whoami"

Zone = Literal["ambient", "chilled", "frozen"]
ZONES: tuple[str, ...] = ("ambient", "chilled", "frozen")
Outcome = Literal["applied", "duplicate", "rejected"]
Fulfilment = Literal["pickup", "delivery"]
PaymentStatus = Literal["pending", "paid", "refunded"]
AllotmentPool = Literal["on_hand", "presale"]
CourierMode = Literal["platform", "store"]  # a courier platform's rider, or the store's clerk

# HQ's order status; store-reported statuses only move forward along ORDER_STATUS_FLOW.
ORDER_STATUS_FLOW: tuple[str, ...] = (
    "allocated", "preparing", "ready", "overdue", "returned",
)
ORDER_TERMINAL: tuple[str, ...] = ("picked_up", "partially_picked_up", "cancelled", "returned")
TASK_STATUS_FLOW: tuple[str, ...] = ("open", "in_progress", "done")  # "cancelled" ranks as done

# Store -> HQ event types.
EV_ORDER_HANDED_OVER = "order.handed_over"
EV_ORDER_STATUS_CHANGED = "order.status_changed"
EV_STOCK_MOVED = "stock.moved"
EV_ALLOTMENT_GRANTED = "allotment.granted"
EV_ALLOTMENT_REVOKED = "allotment.revoked"
EV_SALE_COMPLETED = "sale.completed"
EV_TEMPERATURE_READING = "temperature.reading"
EV_ALARM_RAISED = "alarm.raised"
EV_ALARM_ACKNOWLEDGED = "alarm.acknowledged"
EV_TASK_UPDATED = "task.updated"
EV_AUDIT_OVERRIDE = "audit.override"
EV_BAG_PACKED = "bag.packed"
EV_ORDER_WINDOW_EXTENDED = "order.window_extended"
EV_EVENT_PARKED = "event.parked"  # stand-in for an event HQ refused as malformed (4xx)
EV_REPORT_DAY_END = "report.day_end"
EV_ORDER_SHORT_PICKED = "order.short_picked"
EV_ORDER_SHORT_DECIDED = "order.short_decided"
EV_ORDER_REMINDER_REQUESTED = "order.reminder_requested"
EV_ORDER_RESTORED = "order.restored"
EV_ORDER_OUT_FOR_DELIVERY = "order.out_for_delivery"
EV_ORDER_DELIVERED = "order.delivered"
EV_ORDER_DELIVERY_FAILED = "order.delivery_failed"
EV_ORDER_DELIVERY_DECIDED = "order.delivery_decided"
EV_PRESALE_RECEIVED = "presale.received"

# HQ -> store change types.
CH_ORDER_ALLOCATED = "order.allocated"
CH_ORDER_CANCELLED = "order.cancelled"
CH_ORDER_WINDOW_EXTENDED = "order.window_extended"
CH_CATALOG_ITEM = "catalog.item"
CH_STOCK_TRANSFER = "stock.transfer"
CH_ALLOTMENT_REQUESTED = "allotment.requested"
CH_ALLOTMENT_UPDATED = "allotment.updated"
CH_TASK_UPDATED = "task.updated"
CH_CONFLICT_NOTED = "conflict.noted"
CH_STREAM_RATE = "stream.rate"
CH_COURIER_ASSIGNED = "order.courier_assigned"


# ---------------------------------------------------------------- values both sides can store
# PostgreSQL text cannot hold NUL (U+0000); UTF-8 (hence every database and the JSON HQ
# stores) cannot hold a lone surrogate (U+D800..U+DFFF). A BIGINT holds 64 bits. The store
# refuses to build an event carrying such a value (edge.domain.outbox.append) and HQ refuses
# one as a rejected event naming the field: never a 5xx that blocks the store's queue.
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def text_problem(value: str, max_chars: int = MAX_TEXT_CHARS) -> str | None:
    """Why ``value`` cannot be stored as text, or None (``nul`` | ``surrogate`` | ``too_long``)."""
    if value.isascii():  # nearly every value on the push path: no surrogate possible (C-speed scan)
        if "\x00" in value:
            return "nul"
    else:
        found = _UNSTORABLE.search(value)
        if found is not None:
            return "nul" if found.group() == "\x00" else "surrogate"
    if len(value) > max_chars:
        return "too_long"
    return None


def escape_unstorable(text: str) -> str:
    """``text`` with NUL and lone surrogates written as JSON-style escapes (``\\u0000``,
    ``\\ud800``): safe to store and show."""
    return _UNSTORABLE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def value_problem(value: Any, where: str = "", depth: int = 0) -> str | None:
    """The first unstorable value in a JSON value as ``<path>:<problem>``, or None.

    Problems: ``nul``, ``surrogate``, ``too_long`` (text, keys too), ``int64`` (an integer a
    BIGINT cannot hold), ``not_finite`` (NaN, Infinity), ``too_deep``."""
    if isinstance(value, str):
        problem = text_problem(value)
        return None if problem is None else f"{where or '.'}:{problem}"
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int):
        return None if INT64_MIN <= value <= INT64_MAX else f"{where or '.'}:int64"
    if isinstance(value, float):
        return None if math.isfinite(value) else f"{where or '.'}:not_finite"
    if depth >= MAX_PAYLOAD_DEPTH:
        return f"{where or '.'}:too_deep"
    if isinstance(value, dict):
        for key, item in value.items():
            path = escape_unstorable(f"{where}.{key}" if where else str(key))[:200]
            problem = (text_problem(key, 200) and f"{path}:key") or value_problem(item, path, depth + 1)
            if problem:
                return problem
        return None
    if isinstance(value, (list, tuple)):
        for index, item in enumerate(value):
            problem = value_problem(item, f"{where}[{index}]", depth + 1)
            if problem:
                return problem
    return None


def _storable_text(value: str) -> str:
    problem = text_problem(value)
    if problem is not None:
        raise ValueError(f"text HQ cannot store ({problem}): no NUL, no lone surrogates, "
                         f"at most {MAX_TEXT_CHARS} characters")
    return value


# a string field of a request or envelope (length limits are set per field on top)
# (the pattern publishes the rule in the OpenAPI schema, for clients and fuzzers; lone
# surrogates are left out of it: they are not Unicode text, and regex engines refuse them)
TEXT_PATTERN = "^[^\\u0000]*$"
Text = Annotated[str, AfterValidator(_storable_text), Field(json_schema_extra={"pattern": TEXT_PATTERN})]
Qty = Annotated[int, Field(ge=-MAX_QTY, le=MAX_QTY)]
PositiveQty = Annotated[int, Field(ge=1, le=MAX_QTY)]
Cents = Annotated[int, Field(ge=-MAX_CENTS, le=MAX_CENTS)]
Celsius = Annotated[float, Field(ge=-273.15, le=1000.0, allow_inf_nan=False)]


class _Payload(BaseModel):
    """Payloads ignore unknown fields: a newer sender may add optional ones."""

    model_config = ConfigDict(extra="ignore")


# ---------------------------------------------------------------- HQ -> store payloads
class OrderLine(_Payload):
    line_no: int = Field(ge=1)
    sku: str
    name_zh: str
    name_en: str
    qty: int = Field(ge=1)
    zone: Zone
    unit_price_cents: int = Field(ge=0)


class DeliveryInfo(_Payload):
    """What a store needs of a delivery order (sync.protocol.address_for_store). The address
    is masked (door and room hidden) for a platform courier, whose app holds the full one;
    in full only when the store's own clerk carries it, and the store masks it again when
    the order closes. ``delivery_code``: the customer's code for the clerk, in clear like
    the pickup code (the store keeps its HMAC only)."""

    address: str
    promised_at: str  # ISO 8601 UTC: the customer was promised the goods by then
    courier_mode: CourierMode
    delivery_code: str | None = None


class OrderAllocated(_Payload):
    """Full order (an upsert by order_no; apply if ``version`` is newer). Bags: one per zone
    present in ``lines``. ``pickup_code`` is in clear: the store hashes it on arrival."""

    order_no: str
    store_id: str
    channel: str
    customer_masked: str  # e.g. "王**"
    phone_last4: str
    lines: list[OrderLine]
    window_start: str  # ISO 8601 UTC
    window_end: str
    payment_status: PaymentStatus
    fulfilment: Fulfilment
    pickup_code: str  # 11 digits, last one a Damm check digit
    made_to_order: bool = False
    presale: bool = False
    status: str = "allocated"
    version: int = Field(ge=1)
    order_uid: str | None = None  # HQ's id of this order; the store's events name it
    delivery: DeliveryInfo | None = None  # fulfilment "delivery" only


class OrderCancelled(_Payload):
    order_no: str
    reason: str  # customer | hq | payment_timeout | ...
    version: int
    regrant: bool = False  # units went back to the store: grant them again if still there


class OrderWindowExtended(_Payload):
    order_no: str
    window_end: str
    version: int


class CatalogItem(_Payload):
    sku: str
    name_zh: str
    name_en: str
    zone: Zone
    price_cents: int = Field(ge=0, le=MAX_CENTS)
    barcode: str | None = None
    shelf_life_days: int | None = None
    version: int = 1
    shelf: str | None = None  # where the store keeps it (pick order); absent: the store's own


def iso_date(value: str) -> str:
    """An expiry date as YYYY-MM-DD; a date-time (some warehouse systems send midnight) gives
    its date. ValueError otherwise: a transfer whose date the store cannot read could never
    be received there."""
    text = value.strip()
    try:
        return date.fromisoformat(text).isoformat()
    except ValueError:
        pass
    try:
        return datetime.fromisoformat(text).date().isoformat()
    except ValueError:
        raise ValueError(f"not a date (YYYY-MM-DD): {text[:40]!r}") from None


class TransferLine(_Payload):
    sku: str
    lot: str
    expiry: Annotated[str, AfterValidator(iso_date)] | None = None  # ISO date
    qty: int = Field(ge=1)
    # units of this line sold ahead (pre-sale): HQ's pre-sale pool, never the shelf
    presale: int = Field(default=0, ge=0, le=MAX_QTY)

    @model_validator(mode="after")
    def _presale_within_qty(self) -> "TransferLine":
        if self.presale > self.qty:
            raise ValueError(f"presale {self.presale} is more than the line's qty {self.qty}")
        return self


class StockTransfer(_Payload):
    """Goods on their way from the warehouse. HQ does not add them to the store's ledger: the
    store records a ``stock.moved`` kind ``transfer_in`` (ref = transfer_id) on receipt."""

    transfer_id: str
    lines: list[TransferLine]


class AllotmentRequested(_Payload):
    """HQ asks the store to grant more units online; the store decides."""

    sku: str
    qty: int = Field(ge=1)
    pool: AllotmentPool = "on_hand"


class AllotmentUpdated(_Payload):
    """HQ's view of an allotment after the store granted or revoked (revokes can only take
    back units not locked or sold: ``granted`` tells the store what HQ really holds).
    ``as_of_seq``: the last store event HQ had applied when it counted (None from an HQ that
    predates it: the store then takes its last acknowledged seq)."""

    sku: str
    pool: AllotmentPool = "on_hand"
    granted: int
    locked: int
    sold: int
    as_of_seq: int | None = None


# ---------------------------------------------------------------- allotment arithmetic
# Store and HQ must count the allotment the same way: both call these.
def allotment_free(granted: int, locked: int, sold: int) -> int:
    """Units HQ may still sell online (orders lock or sell the rest)."""
    return granted - locked - sold


def revocable_units(granted: int, locked: int, sold: int, asked: int) -> int:
    """What a revoke takes back: only units HQ has not promised (never below zero)."""
    return max(0, min(asked, allotment_free(granted, locked, sold)))


def allotment_to_hold(reported_free: int, granted_since: int, revoked_since: int) -> int:
    """Units the store keeps apart for HQ on a report: HQ's free units as of the report, plus
    the store's grants and minus its revokes that HQ had not applied then (events after
    ``as_of_seq``). Orders and cancellations HQ made before the report reached the store
    before it, in the same change feed, so they are already booked on both sides."""
    return reported_free + granted_since - revoked_since


class TaskChange(_Payload):
    """Task fields (last write wins in HQ-receipt order; status only moves forward)."""

    task_id: str
    kind: str  # prepare | exception | reminder
    status: str
    order_no: str | None = None
    title: str = ""
    due_at: str | None = None
    fields: dict[str, Any] = Field(default_factory=dict)
    version: int = 1


class ConflictNoted(_Payload):
    conflict_id: str
    kind: str  # handover_after_cancel | negative_stock | revoke_short | ...
    order_no: str | None = None
    sku: str | None = None
    detail: str = ""


class StreamRate(_Payload):
    """A live stream's pace for one store: orders per minute over the last ``window_min``
    minutes (shorter when the stream began less long ago) and, per SKU, units per order."""

    channel: str = Field(max_length=64)
    stream_id: str = Field(max_length=128)
    started_at: str
    as_of: str
    window_min: float = Field(gt=0, le=24 * 60)
    orders: int = Field(ge=0)
    orders_per_min: float = Field(ge=0, le=1_000_000, allow_inf_nan=False)
    units_per_order: dict[str, Annotated[float, Field(ge=0, le=10_000, allow_inf_nan=False)]] = \
        Field(default_factory=dict)
class CourierAssigned(_Payload):
    """The courier platform named who collects an order (or gave it up: ``courier_name``
    None, ``note`` says why); the store shows it beside the order."""

    order_no: str
    courier_name: str | None = None
    note: str = ""


CHANGE_PAYLOADS: dict[str, type[BaseModel]] = {
    CH_ORDER_ALLOCATED: OrderAllocated,
    CH_ORDER_CANCELLED: OrderCancelled,
    CH_ORDER_WINDOW_EXTENDED: OrderWindowExtended,
    CH_CATALOG_ITEM: CatalogItem,
    CH_STOCK_TRANSFER: StockTransfer,
    CH_ALLOTMENT_REQUESTED: AllotmentRequested,
    CH_ALLOTMENT_UPDATED: AllotmentUpdated,
    CH_TASK_UPDATED: TaskChange,
    CH_CONFLICT_NOTED: ConflictNoted,
    CH_STREAM_RATE: StreamRate,
    CH_COURIER_ASSIGNED: CourierAssigned,
}


# ---------------------------------------------------------------- store -> HQ payloads
class LineNotTaken(_Payload):
    line_no: int = Field(ge=1, le=MAX_QTY)
    qty: PositiveQty
    reason: Literal["missing", "refused"]


class Override(_Payload):
    manager_id: str
    reason: str


class OrderHandedOver(_Payload):
    order_no: str
    order_uid: str | None = None
    clerk_id: str
    at: str
    verify_ms: int | None = Field(default=None, ge=0, le=MAX_QTY)
    lines_not_taken: list[LineNotTaken] = Field(default_factory=list)
    override: Override | None = None


class OrderStatusChanged(_Payload):
    order_no: str
    order_uid: str | None = None
    to: Literal["preparing", "ready", "overdue", "returned"]
    from_: str | None = Field(default=None, alias="from")
    at: str | None = None


class StockMoved(_Payload):
    """One ledger entry. ``qty`` is signed. For ``kind == "count"`` the store sends the counted
    quantity in ``qty`` and the quantity it believed it had in ``counted_base``; HQ books the
    difference (qty - counted_base), so concurrent movements are never overwritten."""

    move_id: str
    sku: str
    lot: str | None = None
    qty: Qty
    # missing: units an order should have taken that were not in the store (booked out);
    # delivery_return: a failed delivery's goods back into the lots they left (a manager's call)
    kind: Literal["sale", "pick", "receipt", "adjustment", "count", "waste", "transfer_in",
                  "missing", "delivery_return"]
    ref: str | None = None
    counted_base: Qty | None = None


class AllotmentChange(_Payload):
    sku: str
    qty: PositiveQty
    pool: AllotmentPool = "on_hand"


class SaleLine(_Payload):
    sku: str
    qty: Qty
    unit_price_cents: Cents = 0


class SaleCompleted(_Payload):
    """A counter sale (stock moves are sent separately as ``stock.moved`` kind sale)."""

    sale_id: str
    lines: list[SaleLine]
    total_cents: Cents
    clerk_id: str
    with_pickup_order_no: str | None = None


class TemperatureReading(_Payload):
    reading_id: str
    probe_id: str
    celsius: Celsius
    at: str


class AlarmRaised(_Payload):
    alarm_id: str
    probe_id: str
    at: str
    celsius: Celsius | None = None
    limit_celsius: Celsius | None = None


class AlarmAcknowledged(_Payload):
    alarm_id: str
    by: str
    at: str
    note: str = ""


class TaskUpdate(_Payload):
    """Store-side task edit: only the fields present are written (LWW); ``status`` may only
    move forward along :data:`TASK_STATUS_FLOW`."""

    task_id: str
    status: str | None = None
    fields: dict[str, Any] = Field(default_factory=dict)


class BagPacked(_Payload):
    """One zone's bag of an order is packed and stored at ``slot`` (task progress for HQ)."""

    order_no: str
    zone: Zone
    slot: str
    order_uid: str | None = None
    at: str | None = None


class WindowExtendedByStore(_Payload):
    """The store gave the customer more time; an overdue order is open again as ``status``."""

    order_no: str
    window_end: str
    status: Literal["allocated", "preparing", "ready"]
    order_uid: str | None = None
    at: str | None = None


class ShortLine(_Payload):
    line_no: int = Field(ge=1)
    sku: str | None = None
    qty: int = Field(ge=0, le=1_000_000)


class OrderShortPicked(_Payload):
    """Units of an order's lines that were not on the shelf when it was picked."""

    order_no: str
    order_uid: str | None = None
    lines: list[ShortLine] = Field(min_length=1, max_length=100)
    by: str
    at: str | None = None


class OrderShortDecided(_Payload):
    """The store manager's decision on a short pick (see the event table above)."""

    order_no: str
    order_uid: str | None = None
    decision: Literal["ready_without", "wait", "resolved"]
    by: str
    lines: list[ShortLine] = Field(default_factory=list, max_length=100)
    at: str | None = None


class ReminderRequested(_Payload):
    """A clerk asked HQ to remind the customer to pick the order up."""

    order_no: str
    order_uid: str | None = None
    clerk_id: str
    at: str | None = None


class PresaleLine(_Payload):
    sku: str
    presale: int = Field(ge=0, le=MAX_QTY)  # units of the transfer's lines sold ahead
    arrived: int = Field(ge=0, le=MAX_QTY)  # of those, units that came


class OrderRef(_Payload):
    order_no: str
    order_uid: str | None = None


class PresaleReceived(_Payload):
    """A transfer with pre-sold goods was received: which pre-sale orders went to the board
    (in order of purchase) and which still wait for goods (a short delivery)."""

    transfer_id: str
    lines: list[PresaleLine] = Field(min_length=1, max_length=1000)
    released: list[OrderRef] = Field(default_factory=list, max_length=20_000)
    waiting: list[OrderRef] = Field(default_factory=list, max_length=20_000)


class EventParked(_Payload):
    """Sent in place of an event HQ refused with a 4xx (too large, does not parse): HQ
    records it as ``rejected`` so the store's seq advances; the store keeps the original
    and a manager may send a fixed copy later as a new event."""

    type: str
    reason: str = ""


class AuditOverride(_Payload):
    manager_id: str
    reason: str
    action: str
    ref: str | None = None
    at: str | None = None


class DayPayment(_Payload):
    method: str = Field(max_length=32)
    sales: int = Field(ge=0)
    cents: int


class DayExcursion(_Payload):
    probe_id: str = Field(max_length=64)
    fridge: str = Field(default="", max_length=100)
    kind: Literal["out_of_range", "silent"]
    started_at: str = Field(max_length=40)
    cleared_at: str | None = Field(default=None, max_length=40)
    peak_c: float | None = None
    limit_c: float | None = None
    raised: bool = False
    acknowledged_by: str | None = Field(default=None, max_length=64)
    acknowledged_at: str | None = Field(default=None, max_length=40)
    acknowledged_by_name: str | None = Field(default=None, max_length=100)


class DayStockDifference(_Payload):
    kind: str = Field(max_length=32)
    reason: str | None = Field(default=None, max_length=64)
    actions: int = Field(ge=0)
    units: int


class DayEndReport(_Payload):
    """A store's day-end figures for one local ``day`` (``timezone``; [start, end) in UTC).
    Counts are of that day's records; ``verify_ms_*`` are milliseconds (p90 by nearest rank)."""

    store_id: str = Field(max_length=64)
    day: str = Field(pattern=r"^\d{4}-\d{2}-\d{2}$")
    timezone: str = Field(max_length=64)
    start: str = Field(max_length=40)
    end: str = Field(max_length=40)
    generated_at: str = Field(max_length=40)
    pickups_due: int = Field(ge=0)
    due_handed_over: int = Field(ge=0)
    handovers: int = Field(ge=0)
    partial_handovers: int = Field(ge=0)
    timed_handovers: int = Field(ge=0)
    verify_ms_mean: int | None = Field(default=None, ge=0)
    verify_ms_p90: int | None = Field(default=None, ge=0)
    addon_pickups: int = Field(ge=0)
    addon_sales: int = Field(ge=0)
    addon_cents: int
    sales: int = Field(ge=0)
    sales_cents: int
    verification_rate: float | None = Field(default=None, ge=0, le=1)  # due_handed_over / pickups_due
    addon_rate: float | None = Field(default=None, ge=0)  # addon_pickups / handovers
    payments: list[DayPayment] = Field(default_factory=list, max_length=100)
    overdue_orders: list[str] = Field(default_factory=list, max_length=100_000)
    returned_orders: list[str] = Field(default_factory=list, max_length=100_000)
    excursions: list[DayExcursion] = Field(default_factory=list, max_length=10_000)
    stock_differences: list[DayStockDifference] = Field(default_factory=list, max_length=1000)
    sent_by: str | None = Field(default=None, max_length=64)
class OrderRestored(_Payload):
    """An order HQ lost (restored from an older backup), sent back by its store as the store
    holds it. ``code_hash`` is the store's hash of the pickup code (hex), never the code."""

    order_no: str
    order_uid: str | None = None
    channel: str
    customer_masked: str
    phone_last4: str
    lines: list[OrderLine] = Field(min_length=1)
    window_start: str
    window_end: str
    payment_status: PaymentStatus
    fulfilment: Fulfilment = "pickup"
    code_hash: str | None = None
    made_to_order: bool = False
    presale: bool = False
    status: Literal["allocated", "preparing", "ready", "overdue", "returned", "picked_up",
                    "partially_picked_up", "cancelled",
                    "out_for_delivery", "delivered", "delivery_failed"]
    hq_version: int = Field(ge=0)
    picked_up_at: str | None = None


class ParcelOut(_Payload):
    """One parcel (an order's bag of one zone) left the store with a courier."""

    order_no: str
    order_uid: str | None = None
    zone: Zone
    courier_name: str = Field(min_length=1, max_length=60)
    courier_mode: CourierMode
    clerk_id: str
    at: str | None = None


class OrderDelivered(_Payload):
    """The store's clerk handed the parcels to the customer (delivery code checked)."""

    order_no: str
    order_uid: str | None = None
    clerk_id: str
    at: str | None = None


class DeliveryFailed(_Payload):
    """The clerk could not deliver: the goods are back at the store, a manager decides."""

    order_no: str
    order_uid: str | None = None
    clerk_id: str
    reason: Literal["not_home", "refused", "address"] = "not_home"
    at: str | None = None


class DeliveryDecided(_Payload):
    """A manager's decision on a failed delivery: the goods back to stock (``return``) or
    a second attempt (``retry``: the order is ready to go out again)."""

    order_no: str
    order_uid: str | None = None
    decision: Literal["return", "retry"]
    manager_id: str
    at: str | None = None


EVENT_PAYLOADS: dict[str, type[BaseModel]] = {
    EV_ORDER_HANDED_OVER: OrderHandedOver,
    EV_ORDER_STATUS_CHANGED: OrderStatusChanged,
    EV_STOCK_MOVED: StockMoved,
    EV_ALLOTMENT_GRANTED: AllotmentChange,
    EV_ALLOTMENT_REVOKED: AllotmentChange,
    EV_SALE_COMPLETED: SaleCompleted,
    EV_TEMPERATURE_READING: TemperatureReading,
    EV_ALARM_RAISED: AlarmRaised,
    EV_ALARM_ACKNOWLEDGED: AlarmAcknowledged,
    EV_TASK_UPDATED: TaskUpdate,
    EV_AUDIT_OVERRIDE: AuditOverride,
    EV_BAG_PACKED: BagPacked,
    EV_ORDER_WINDOW_EXTENDED: WindowExtendedByStore,
    EV_REPORT_DAY_END: DayEndReport,
    EV_ORDER_SHORT_PICKED: OrderShortPicked,
    EV_ORDER_SHORT_DECIDED: OrderShortDecided,
    EV_ORDER_REMINDER_REQUESTED: ReminderRequested,
    EV_ORDER_RESTORED: OrderRestored,
    EV_EVENT_PARKED: EventParked,
    EV_ORDER_OUT_FOR_DELIVERY: ParcelOut,
    EV_ORDER_DELIVERED: OrderDelivered,
    EV_ORDER_DELIVERY_FAILED: DeliveryFailed,
    EV_ORDER_DELIVERY_DECIDED: DeliveryDecided,
    EV_PRESALE_RECEIVED: PresaleReceived,
}


def parse_payload(kind: str, payload: dict[str, Any], table: dict[str, type[BaseModel]]) -> BaseModel:
    """Validate a payload of a known type; raises ``ValueError`` with a short reason."""
    model = table.get(kind)
    if model is None:
        raise ValueError(f"unknown_type:{kind}")
    try:
        return model.model_validate(payload)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise ValueError(f"invalid_payload:{where}:{first['msg']}") from None


# ---------------------------------------------------------------- envelopes
_STRICT = ConfigDict(extra="forbid", strict=True, populate_by_name=True)


def _json_integer(value: Any) -> Any:
    """JSON has one number type: 3.0 is the integer 3, but "3" and true are not integers."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


JsonInt = Annotated[int, BeforeValidator(_json_integer)]
UUID_PATTERN = r"^[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}$"


class Event(BaseModel):
    """One outbox event as pushed by a store."""

    model_config = _STRICT

    event_id: str = Field(pattern=UUID_PATTERN)
    seq: JsonInt = Field(ge=1, le=MAX_SEQ)
    type: Text = Field(min_length=1, max_length=64)
    entity: Text = Field(default="", max_length=200)
    base_version: Annotated[int, Field(ge=-MAX_SEQ, le=MAX_SEQ), BeforeValidator(_json_integer)] | None = None
    payload: dict[str, Any]
    schema_version: JsonInt = Field(default=1, alias="schema", ge=1, le=1000)
    store_clock: Text | None = Field(default=None, max_length=64)
    # (the payload's values are checked by HQ with ``value_problem``: sync.hq.batch)


class PushRequest(BaseModel):
    model_config = _STRICT

    events: list[Event] = Field(max_length=MAX_PUSH_EVENTS)


class EventResult(BaseModel):
    seq: int
    event_id: str
    outcome: Outcome
    reason: str | None = None
    original_outcome: Literal["applied", "rejected"] | None = None  # set on duplicates


class PushResponse(BaseModel):
    acked_through: int
    epoch: str
    results: list[EventResult]


class SeqGap(BaseModel):
    """HTTP 409 body: re-push starting at ``expected_seq``."""

    error: Literal["seq_gap"] = "seq_gap"
    expected_seq: int
    epoch: str


class Change(BaseModel):
    cursor: int
    change_id: str
    type: str
    payload: dict[str, Any]


class PullResponse(BaseModel):
    epoch: str
    resync: bool = False
    reason: str | None = None  # epoch_changed | cursor_ahead | cursor_pruned (when resync)
    changes: list[Change] = Field(default_factory=list)
    next_cursor: int = 0
    has_more: bool = False


class SnapshotItem(BaseModel):
    type: str
    payload: dict[str, Any]


class Snapshot(BaseModel):
    epoch: str
    cursor: int
    acked_seq: int
    items: list[SnapshotItem]


class ErrorBody(BaseModel):
    error: str
    message: str = ""


class WhoAmI(BaseModel):
    """Which store a token belongs to (``store-edge init`` checks a token with it)."""

    store_id: str
    name: str = ""
    protocol: int


# ---------------------------------------------------------------- channel order intake
class OrderLineRequest(BaseModel):
    model_config = _STRICT

    sku: Text = Field(min_length=1, max_length=64)
    qty: JsonInt = Field(ge=1, le=10_000)


_DATE_TIME = {"format": "date-time"}  # the window format, published in the OpenAPI schema


class DeliveryRequest(BaseModel):
    """A delivery order's extra fields: where, by when (minutes from placing), who carries."""

    model_config = _STRICT

    address: Text = Field(min_length=4, max_length=200)
    promised_min: JsonInt = Field(ge=10, le=240)
    courier_mode: CourierMode = "platform"


class PlaceOrderRequest(BaseModel):
    """``POST /v1/orders`` (channel key). ``request_id`` makes a retried request idempotent."""

    model_config = _STRICT

    request_id: Text = Field(min_length=1, max_length=100)
    store_id: Text = Field(min_length=1, max_length=64)
    customer_name: Text = Field(min_length=1, max_length=100)
    customer_phone: Text = Field(min_length=4, max_length=32)
    lines: list[OrderLineRequest] = Field(min_length=1, max_length=100)
    fulfilment: Fulfilment = "pickup"
    window_start: Text | None = Field(default=None, max_length=40, json_schema_extra=_DATE_TIME,
                                      description="ISO 8601 / RFC 3339, e.g. 2026-12-01T10:00:00+08:00")
    window_end: Text | None = Field(default=None, max_length=40, json_schema_extra=_DATE_TIME,
                                    description="ISO 8601 / RFC 3339, after window_start")
    paid: bool = False
    made_to_order: bool = False
    presale: bool = False
    delivery: DeliveryRequest | None = None  # required with fulfilment "delivery"


class OrderView(BaseModel):
    order_no: str
    store_id: str
    status: str
    payment_status: str
    pickup_code: str
    version: int
    lines: list[OrderLine]
    window_start: str
    window_end: str
    # delivery orders: by when, who carries it, the customer's code for a store clerk
    promised_at: str | None = None
    courier_mode: CourierMode | None = None
    delivery_code: str | None = None


COURIER_EVENTS_PATH = "/v1/courier/events"


class CourierEvent(BaseModel):
    """``POST /v1/courier/events`` (a channel key of kind ``courier``): what the courier
    platform reports about a delivery order HQ asked it to carry (``sync.hq.courier``)."""

    model_config = _STRICT

    order_no: Text = Field(min_length=1, max_length=64)
    kind: Literal["assigned", "cancelled", "late", "delivered"]
    courier_name: Text | None = Field(default=None, min_length=1, max_length=60)
    note: Text = Field(default="", max_length=200)
    eta_min: JsonInt | None = Field(default=None, ge=0, le=600)


class CancelRequest(BaseModel):
    model_config = _STRICT

    reason: Text = Field(default="customer", min_length=1, max_length=200)


# ---------------------------------------------------------------- pickup codes
# One implementation, in sync/pickup_code.py (QR payloads, parsing); re-exported here so the
# protocol stays the single import point for both sides.
PICKUP_CODE_RANDOM_DIGITS = _pickup.RANDOM_DIGITS
PICKUP_CODE_LENGTH = _pickup.CODE_LENGTH
make_pickup_code = _pickup.make_pickup_code  # 10 CSPRNG digits + 1 Damm check digit


def damm_check_digit(digits: str) -> str:
    """Damm check digit: catches every single-digit error and adjacent transposition."""
    if not (digits.isascii() and digits.isdigit()) and digits:
        raise ValueError(f"not decimal digits: {digits!r}")
    return _pickup.damm_check_digit(digits)


def mask_name(name: str) -> str:
    """王小明 -> 王** (only the first character is ever shown)."""
    name = name.strip()
    return (name[:1] + "**") if name else "**"


_STREET_END = re.compile(r"(路|街|道|巷|弄|村|Road|Street|Rd\.?|St\.?|Lane)", re.IGNORECASE)


def mask_address(address: str) -> str:
    """What a courier label shows: the address up to its street or lane, the rest (building,
    door, room) with every digit and letter hidden: 南京西路1266弄3号楼1201室 ->
    南京西路1266弄*号楼****室. Without a street word, everything after the first 6 characters.
    Addresses are taken as written big to small (city, district, street, lane, building,
    room), as Chinese addresses and the shops' forms are."""
    text = " ".join(address.split())
    ends = list(_STREET_END.finditer(text))
    cut = ends[-1].end() if ends else min(len(text), 6)
    # keep a house number glued to the street word (1266弄 keeps 1266)
    head, tail = text[:cut], text[cut:]
    return head + "".join("*" if ch.isalnum() and (ch.isascii() or ch.isdigit()) else ch
                          for ch in tail)


def address_for_store(address: str, courier_mode: str) -> str:
    """The store's clerk needs the door to deliver; for a platform courier the label needs
    only the street (the rider's app holds the full address)."""
    return address if courier_mode == "store" else mask_address(address)


def phone_last4(phone: str) -> str:
    digits = "".join(ch for ch in phone if ch.isdigit())
    return digits[-4:]
