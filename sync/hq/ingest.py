"""Push: apply a store's batch of outbox events at most once, in seq order, in one transaction.

See the protocol docstring for the rules; this module is their implementation:
duplicate seqs repeat the stored outcome, a gap answers ``SeqGap`` with nothing applied,
rejections are recorded and still advance ``stores.last_seq``.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime

from ..protocol import Event, EventResult, PushResponse, SeqGap
from .apply import apply_event
from .batch import RefusedEvent
from .changes import get_epoch
from .clock import iso
from .codec import dumps
from .db import Database, Tx
from .errors import not_found

_CHUNK = 500  # ids per IN (...) lookup


@dataclass(frozen=True)
class _Prepared:
    event: Event | RefusedEvent
    payload_text: str
    digest: str


def _prepare(event: Event | RefusedEvent) -> _Prepared:
    """Canonical text and content digest (same event content -> same digest). A refused
    event is kept whole as ASCII-escaped JSON (storable whatever it holds) and answered
    ``rejected``."""
    if isinstance(event, RefusedEvent):
        text = json.dumps(event.raw, ensure_ascii=True, sort_keys=True, separators=(",", ":"), default=str)
        return _Prepared(event, text, hashlib.sha256(b"refused\x1f" + text.encode()).hexdigest())
    payload_text = dumps(event.payload)
    head = f"{event.type}\x1f{event.entity}\x1f{event.base_version}\x1f{event.schema_version}\x1f"
    digest = hashlib.sha256((head + payload_text).encode()).hexdigest()
    return _Prepared(event, payload_text, digest)


def _row(store_id: str, item: _Prepared, outcome: str, reason: str | None, received: str) -> tuple:
    """The ``events`` row (a refused event is stored under type ``invalid``)."""
    ev = item.event
    if isinstance(ev, RefusedEvent):
        return (store_id, ev.seq, ev.event_id, "invalid", "", None, item.payload_text, 1, None,
                item.digest, outcome, reason, received)
    return (store_id, ev.seq, ev.event_id, ev.type, ev.entity, ev.base_version, item.payload_text,
            ev.schema_version, ev.store_clock, item.digest, outcome, reason, received)


def _dedupe_batch(events: list[Event]) -> tuple[list[_Prepared], list[EventResult]]:
    """Sort by seq and keep the first event per seq; a different event repeating a seq in
    the same batch is answered ``rejected`` (and never stored)."""
    by_seq: dict[int, _Prepared] = {}
    clashes: list[EventResult] = []
    for event in events:
        prepared = _prepare(event)
        seen = by_seq.setdefault(event.seq, prepared)
        if seen is not prepared and (seen.digest != prepared.digest or seen.event.event_id != event.event_id):
            clashes.append(EventResult(seq=event.seq, event_id=event.event_id, outcome="rejected",
                                       reason=f"seq_repeated_in_batch_by_other_event:{seen.event.event_id}"))
    return [by_seq[s] for s in sorted(by_seq)], clashes


def _has_gap(new: list[_Prepared], last_seq: int) -> bool:
    return any(item.event.seq != last_seq + 1 + i for i, item in enumerate(new))


def _known_ids(tx: Tx, store_id: str, ids: list[str]) -> dict[str, tuple[str, str, str | None]]:
    """event_id -> (digest, outcome, reason) for ids HQ already holds FROM THIS STORE: event
    ids are scoped per store, so no store learns whether an id exists at another."""
    found: dict[str, tuple[str, str, str | None]] = {}
    for start in range(0, len(ids), _CHUNK):
        chunk = ids[start:start + _CHUNK]
        marks = ", ".join("?" * len(chunk))
        for event_id, digest, outcome, reason in tx.all(
                "SELECT event_id, digest, outcome, reason FROM events "
                f"WHERE store_id = ? AND event_id IN ({marks})", [store_id, *chunk]):
            found.setdefault(event_id, (digest, outcome, reason))
    return found


def _replayed(tx: Tx, store_id: str, old: list[_Prepared]) -> list[EventResult]:
    """Results for seqs HQ already applied: the stored outcome again, nothing changed."""
    if not old:
        return []
    stored = {
        row[0]: row[1:] for row in tx.all(
            "SELECT seq, event_id, digest, outcome, reason FROM events "
            "WHERE store_id = ? AND seq >= ? AND seq <= ?",
            (store_id, old[0].event.seq, old[-1].event.seq))
    }
    results = []
    for item in old:
        ev = item.event
        row = stored.get(ev.seq)
        if row is not None and (row[0] != ev.event_id or row[1] != item.digest):
            results.append(EventResult(seq=ev.seq, event_id=ev.event_id, outcome="rejected",
                                       reason=f"seq_reused_by_other_event:{row[0]}"))
        else:
            results.append(EventResult(seq=ev.seq, event_id=ev.event_id, outcome="duplicate",
                                       original_outcome=row[2] if row else None,
                                       reason=row[3] if row else None))
    return results


def _apply_guarded(tx: Tx, store_id: str, event: Event, now: datetime) -> tuple[str, str | None]:
    """Apply one event inside a savepoint: a value the database refuses after all rolls back
    this event only, which is then rejected (the batch and the store's queue go on)."""
    tx.run("SAVEPOINT hq_event")
    try:
        outcome = apply_event(tx, store_id, event, now)
        tx.flush()
    except Exception as exc:
        if not tx.is_data_error(exc):
            raise
        tx.discard_deferred()
        tx.run("ROLLBACK TO SAVEPOINT hq_event")
        outcome = ("rejected", f"not_storable:{type(exc).__name__}")
    tx.run("RELEASE SAVEPOINT hq_event")
    return outcome


def _apply_new(tx: Tx, store_id: str, new: list[_Prepared], now: datetime, *,
               guarded: bool = False) -> list[dict]:
    """Apply new events in seq order; results as plain dicts (validated once, in bulk, by
    ``PushResponse``: per-event model objects cost more than the SQL on this hot path).
    ``guarded``: one savepoint per event (the retry after the database refused a value)."""
    known = _known_ids(tx, store_id, [item.event.event_id for item in new])
    rows, results = [], []
    received = iso(now)
    for item in new:
        ev = item.event
        prior = known.get(ev.event_id)
        if prior is not None and prior[0] != item.digest:
            outcome, reason = "rejected", "event_id_reused_with_different_content"
        elif prior is not None:
            outcome, reason = "duplicate", f"same_event_id_already:{prior[1]}"
        elif isinstance(ev, RefusedEvent):
            outcome, reason = "rejected", ev.reason
            known[ev.event_id] = (item.digest, outcome, reason)
        else:
            outcome, reason = (_apply_guarded if guarded else apply_event)(tx, store_id, ev, now)
            known[ev.event_id] = (item.digest, outcome, reason)
        rows.append(_row(store_id, item, outcome, reason, received))
        results.append({"seq": ev.seq, "event_id": ev.event_id, "outcome": outcome, "reason": reason,
                        "original_outcome": prior[1] if outcome == "duplicate" and prior else None})
    tx.many("INSERT INTO events (store_id, seq, event_id, type, entity, base_version, payload, "
            "schema_version, store_clock, digest, outcome, reason, received_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
    return results


def push(db: Database, store_id: str, events: list[Event | RefusedEvent], now: datetime) -> PushResponse | SeqGap:
    """Apply one pushed batch (one transaction) and acknowledge through the last seq.

    Should the database refuse a value after all (a check this code does not make yet),
    the batch is applied again with one savepoint per event, and that event is rejected:
    bad data from a store is never a 5xx that the store would retry for ever."""
    batch, clashes = _dedupe_batch(events)

    def work(tx: Tx, guarded: bool = False) -> PushResponse | SeqGap:
        last_seq = tx.scalar("UPDATE stores SET last_seq = last_seq WHERE store_id = ? RETURNING last_seq",
                             (store_id,))
        if last_seq is None:
            raise not_found("store", store_id)
        epoch = get_epoch(tx)
        old = [item for item in batch if item.event.seq <= last_seq]
        new = [item for item in batch if item.event.seq > last_seq]
        if _has_gap(new, last_seq):
            return SeqGap(expected_seq=last_seq + 1, epoch=epoch)
        results = _replayed(tx, store_id, old) + _apply_new(tx, store_id, new, now, guarded=guarded) + clashes
        acked = new[-1].event.seq if new else last_seq
        if new:
            tx.run("UPDATE stores SET last_seq = ? WHERE store_id = ?", (acked, store_id))
        return PushResponse.model_validate({"acked_through": acked, "epoch": epoch, "results": results})

    try:
        return db.run_tx(work)
    except Exception as exc:
        if not db.is_data_error(exc):
            raise
    return db.run_tx(lambda tx: work(tx, guarded=True))
