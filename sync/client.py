"""The store's sync client: push the outbox to HQ, pull HQ's changes, report status.

It talks to ``edge`` through two doors only (DESIGN, "The shape"): the ``outbox`` table
(read unacknowledged rows in seq order, mark them acknowledged, un-acknowledge what HQ lost)
and ``edge.domain.hq_apply`` (apply a page or a snapshot, read the status). It never blocks
the counter: run it in its own thread with its own Store connection (``sync.worker``).

Anything wrong with HQ's answer -- no connection, a timeout, a 5xx, a body that is not JSON
or not the protocol's shape -- raises :class:`SyncProblem` before anything is written, so
the store is left exactly as it was and the next attempt starts from the same place.
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TypeVar

import httpx
import orjson
from pydantic import BaseModel, ValidationError

from edge.clock import iso, utcnow
from edge.db import write_tx
from edge.domain import hq_apply, stores, sync_parked, sync_state
from edge.domain.errors import DomainError
from edge.store import Store
from sync import protocol as p

M = TypeVar("M", bound=BaseModel)
PUSH_BATCH = p.MAX_PUSH_EVENTS
BATCH_BYTES = p.MAX_PUSH_BYTES // 2  # room for the envelope and JSON escaping
ENVELOPE_BYTES = 250
MAX_SEQ_GAPS = 3
MAX_RESYNCS = 2
# HQ refuses the request itself (malformed, too large, not JSON): narrowed down to the one
# event, which is parked (sync_parked) so the queue behind it goes on
PARK_STATUSES = frozenset({400, 413, 415, 422})


class SyncProblem(Exception):
    """One sync attempt failed; ``key``/``params`` are an i18n message (sync.*)."""

    def __init__(self, key: str, *, online: bool, **params: object) -> None:
        super().__init__(key, params)
        self.key, self.params, self.online = key, params, online


def _offline(reason: str) -> SyncProblem:
    return SyncProblem("sync.offline", online=False, reason=reason)


def _bad_reply(detail: str) -> SyncProblem:
    return SyncProblem("sync.bad_reply", online=True, detail=detail[:200])


@dataclass
class PushOutcome:
    pushed: int = 0
    rejected: int = 0
    parked: int = 0
    repushed_from: int | None = None


@dataclass
class PullOutcome:
    pulled: int = 0
    applied: int = 0
    conflicts: int = 0
    skipped: int = 0
    resync_reason: str | None = None


@dataclass
class SyncReport:
    """One ``sync_once``: what moved, and where the store stands afterwards."""

    ok: bool
    online: bool
    pushed: int = 0
    rejected: int = 0
    parked: int = 0
    pulled: int = 0
    applied: int = 0
    conflicts_new: int = 0
    skipped: int = 0
    resync_reason: str | None = None
    pending: int = 0
    conflicts: int = 0
    last_ok: str | None = None
    problem: str | None = None  # i18n key
    problem_params: dict = field(default_factory=dict)


StoreSource = Store | str | Path | Callable[[], Store]


def _send(http: httpx.Client, method: str, path: str, **kw: object) -> httpx.Response:
    """One request; no answer, a timeout or a 5xx raise SyncProblem (HQ is offline)."""
    try:
        resp = http.request(method, path, **kw)  # type: ignore[arg-type]
    except httpx.TimeoutException:
        raise _offline("timeout") from None
    except httpx.UnsupportedProtocol:  # a config typo, not the network
        raise SyncProblem("sync.bad_url", online=False, url=str(http.base_url)) from None
    except (httpx.TransportError, httpx.InvalidURL):
        raise _offline("unreachable") from None
    if resp.status_code >= 500:
        raise _offline("unavailable")
    return resp


def whoami(hq_url: str, token: str, *, timeout: float = 5.0,
           transport: httpx.BaseTransport | None = None) -> p.WhoAmI:
    """The store HQ says ``token`` belongs to (a real request, for ``store-edge init``);
    SyncProblem when HQ cannot be reached, refuses the token, or answers nonsense."""
    try:
        http = httpx.Client(base_url=hq_url.rstrip("/"), timeout=timeout, transport=transport,
                            headers={"Authorization": f"Bearer {token}"})
    except httpx.InvalidURL:
        raise SyncProblem("sync.bad_url", online=False, url=hq_url) from None
    with http:
        resp = _send(http, "GET", p.WHOAMI_PATH)
        if resp.status_code != 200:
            raise SyncClient._refused(resp)
        return SyncClient._parse(p.WhoAmI, resp)


class SyncClient:
    """Push/pull for one store. Open it in the thread that uses it (SQLite rule)."""

    def __init__(self, store: StoreSource, hq_url: str, token: str, *, timeout: float = 5.0,
                 transport: httpx.BaseTransport | None = None, push_batch: int = PUSH_BATCH,
                 pull_limit: int = p.DEFAULT_PULL_LIMIT) -> None:
        self._source = store
        self._store: Store | None = store if isinstance(store, Store) else None
        self._owns_store = self._store is None
        self.push_batch, self.pull_limit = push_batch, pull_limit
        self._hq_url, self._token, self.timeout = hq_url, token, timeout
        self.http = httpx.Client(base_url=hq_url.rstrip("/"), timeout=timeout, transport=transport,
                                 headers={"Authorization": f"Bearer {token}"})
        # pushes off this thread: a batch in flight and the next one sent ahead (see push)
        self._pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="sync-http")

    @property
    def store(self) -> Store:
        if self._store is None:
            src = self._source
            self._store = src() if callable(src) else Store.open(src)  # type: ignore[arg-type]
        return self._store

    def close(self) -> None:
        self._pool.shutdown(wait=True)
        self.http.close()
        if self._owns_store and self._store is not None:
            self._store.close()
            self._store = None

    # ------------------------------------------------------------ HTTP
    def _request(self, method: str, path: str, **kw: object) -> httpx.Response:
        return _send(self.http, method, path, **kw)

    @staticmethod
    def _refused(resp: httpx.Response) -> SyncProblem:
        try:
            detail = str(resp.json().get("error", ""))
        except (ValueError, AttributeError):
            detail = resp.text[:100]
        if resp.status_code == 401:  # expired, rotated or revoked: only HQ can issue a new token
            return SyncProblem("sync.token_refused", online=True, detail=detail)
        return SyncProblem("sync.refused", online=True, status=resp.status_code, detail=detail)

    @staticmethod
    def _parse(model: type[M], resp: httpx.Response) -> M:
        try:
            return model.model_validate_json(resp.content)  # pydantic's own JSON parser: fast
        except ValidationError as exc:  # not JSON at all is a ValidationError too
            raise _bad_reply(f"{model.__name__}: {str(exc).splitlines()[0]}") from None

    # ------------------------------------------------------------ push
    def _unacked(self, after_seq: int = 0) -> list[dict]:
        """The next batch in seq order: at most ``push_batch`` events and BATCH_BYTES of them."""
        rows = self.store.db.execute(
            "SELECT seq, event_id, type, entity, base_version, payload, schema, store_clock"
            " FROM outbox WHERE acked_at IS NULL AND seq > ? ORDER BY seq LIMIT ?",
            [after_seq, self.push_batch]).fetchall()
        batch, size = [], 0
        for r in rows:
            size += len(r[5].encode()) + ENVELOPE_BYTES
            if batch and size > BATCH_BYTES:
                break
            batch.append({"seq": r[0], "event_id": r[1], "type": r[2], "entity": r[3],
                          "base_version": r[4], "payload": r[5], "schema": r[6],
                          "store_clock": r[7]})
        for seq, stand_in in sync_parked.stand_ins(self.store.db, [e["seq"] for e in batch]).items():
            event = next(e for e in batch if e["seq"] == seq)
            event.update(type=p.EV_EVENT_PARKED, payload=json.dumps(stand_in, ensure_ascii=False),
                         base_version=None, schema=1)
        return batch

    @staticmethod
    def _encode(batch: list[dict]) -> bytes:
        """The push body, with each payload sent as the JSON text the outbox stored.

        Decoding and re-encoding every payload cost about a third of the push time of a
        large backlog; the outbox only ever holds JSON written by ``outbox.append``. The
        envelopes go through orjson (the standard encoder took a tenth of a push)."""
        parts = []
        for event in batch:
            envelope = {k: v for k, v in event.items() if k != "payload"}
            parts.append(orjson.dumps(envelope)[:-1] + b',"payload":' + event["payload"].encode() + b"}")
        return b'{"events":[' + b",".join(parts) + b"]}"

    def _post(self, batch: list[dict]) -> Future[httpx.Response]:
        """Send one batch from an HTTP thread; this thread goes on meanwhile. (Encoded
        here, so a batch sent ahead leaves well after the one before it.)"""
        return self._pool.submit(self._request, "POST", p.PUSH_PATH, content=self._encode(batch),
                                 headers={"content-type": "application/json"})

    @staticmethod
    def _settle(ahead: Future[httpx.Response] | None) -> None:
        """Wait for a batch sent ahead whose turn did not come. Its answer is not needed: HQ
        applies nothing after a seq it has not applied, and the outbox is read again."""
        if ahead is not None:
            with contextlib.suppress(SyncProblem):
                ahead.result()

    def _max_acked(self) -> int:
        return self.store.db.execute(
            "SELECT COALESCE(MAX(seq), 0) FROM outbox WHERE acked_at IS NOT NULL").fetchone()[0]

    def _max_seq(self) -> int:
        return self.store.db.execute("SELECT COALESCE(MAX(seq), 0) FROM outbox").fetchone()[0]

    def _unack_from(self, seq: int) -> None:
        """HQ lost events from ``seq`` on (restored from a backup): send them again."""
        with write_tx(self.store.db):
            self.store.db.execute("UPDATE outbox SET acked_at = NULL WHERE seq >= ?", [seq])

    def _mark_acked(self, reply: p.PushResponse, now: datetime) -> int:
        """Acknowledge through ``acked_through``; park HQ's rejections. Returns rejections."""
        rejected = [r for r in reply.results if r.outcome == "rejected"
                    or r.original_outcome == "rejected"]
        db = self.store.db
        with write_tx(db):
            db.execute("UPDATE outbox SET acked_at = ? WHERE seq <= ? AND acked_at IS NULL",
                       [iso(now), reply.acked_through])
            for r in rejected:
                db.execute("INSERT OR REPLACE INTO sync_rejected (seq, event_id, type, reason, at)"
                           " SELECT seq, event_id, type, ?, ? FROM outbox WHERE seq = ?",
                           [r.reason or "rejected", iso(now), r.seq])
            sync_state.put(db, sync_state.HQ_ACKED, str(reply.acked_through))
        return len(rejected)

    def _park(self, event: dict, resp: httpx.Response, now: datetime) -> None:
        """HQ refused this one event as malformed: park it (kept, shown as a conflict)."""
        refusal = self._refused(resp)
        if sync_parked.is_parked(self.store.db, event["seq"]):
            raise refusal  # HQ refuses even the stand-in: nothing the store can do
        sync_parked.park(self.store.db, event["seq"], f"HTTP {resp.status_code} {refusal.params['detail']}",
                         now=now)

    def _check_gap(self, gap: p.SeqGap, batch: list[dict]) -> None:
        first = batch[0]["seq"] if batch else self._max_acked() + 1
        if not 1 <= gap.expected_seq <= first:
            raise _bad_reply(f"seq_gap expected {gap.expected_seq}, first sent {first}")

    def push(self, *, now: datetime | None = None) -> PushOutcome:
        """Send unacknowledged events in seq order until none are left.

        The next batch goes out before HQ has answered this one (two requests in flight at
        most), so HQ never waits for the store: it reads one batch while it commits the
        other. HQ applies a store's events in seq order only, so a batch that overtakes the
        one before it is answered seq_gap with nothing applied, and is sent again in turn.
        A batch sent ahead is used only if HQ acknowledged all of the one before it;
        otherwise it is waited for and the outbox is read again."""
        outcome, gaps, narrowing = PushOutcome(), 0, False
        batch = self._unacked()
        in_flight, sent_ahead = self._post(batch), False
        while True:
            upcoming = self._unacked(after_seq=batch[-1]["seq"]) if batch else []
            ahead = self._post(upcoming) if upcoming and not narrowing else None
            resp = in_flight.result()
            if resp.status_code == 409 and sent_ahead:  # it overtook the batch before it
                self._settle(ahead)
                in_flight, sent_ahead = self._post(batch), False
                continue
            if resp.status_code == 409:
                self._settle(ahead)
                gap = self._parse(p.SeqGap, resp)
                gaps += 1
                if gaps > MAX_SEQ_GAPS:
                    raise _bad_reply("repeated seq_gap")
                self._check_gap(gap, batch)
                self._unack_from(gap.expected_seq)
                outcome.repushed_from = gap.expected_seq
                batch = self._unacked()
                in_flight, sent_ahead = self._post(batch), False
                continue
            if resp.status_code in PARK_STATUSES and batch:
                self._settle(ahead)
                narrowing = len(batch) > 1
                if narrowing:  # down to the event HQ refuses (nothing sent ahead meanwhile)
                    batch = batch[:len(batch) // 2]
                else:
                    self._park(batch[0], resp, now or utcnow())
                    outcome.parked += 1
                    batch = self._unacked(after_seq=batch[0]["seq"] - 1)
                in_flight, sent_ahead = self._post(batch), False
                continue
            if resp.status_code != 200:
                raise self._refused(resp)
            reply, narrowing = self._parse(p.PushResponse, resp), False
            sent_to = batch[-1]["seq"] if batch else self._max_acked()
            if batch and reply.acked_through > sent_to and reply.acked_through > self._max_seq():
                # (beyond sent_to is fine: another client of this store may have pushed more)
                raise _bad_reply(f"acked_through {reply.acked_through} beyond the outbox")
            outcome.rejected += self._mark_acked(reply, now or utcnow())
            if not batch:
                if reply.acked_through < sent_to and gaps < MAX_SEQ_GAPS:
                    gaps += 1  # HQ is behind what it acknowledged once: it lost events
                    self._unack_from(reply.acked_through + 1)
                    outcome.repushed_from = reply.acked_through + 1
                    batch = self._unacked()
                    in_flight, sent_ahead = self._post(batch), False
                    continue
                return outcome
            outcome.pushed += sum(1 for e in batch if e["seq"] <= reply.acked_through)
            if reply.acked_through < sent_to:
                raise _bad_reply(f"acked_through {reply.acked_through} short of {sent_to}")
            if reply.acked_through > sent_to:  # another client pushed further: read afresh
                self._settle(ahead)
                upcoming, ahead = self._unacked(), None
            batch = upcoming
            in_flight, sent_ahead = (ahead, True) if ahead is not None else (self._post(batch), False)

    # ------------------------------------------------------------ pull
    def _get(self, model: type[M], path: str, params: dict | None = None, *, wait: float = 0) -> M:
        """``wait``: seconds HQ may hold the answer (long-poll), on top of the usual timeout."""
        extra = {"timeout": self.timeout + wait} if wait else {}
        resp = self._request("GET", path, params=params, **extra)
        if resp.status_code != 200:
            raise self._refused(resp)
        return self._parse(model, resp)

    @staticmethod
    def _check_page(page: p.PullResponse, held: sync_state.Position) -> None:
        if held.epoch is not None and page.epoch != held.epoch:
            raise _bad_reply("epoch changed without resync")
        cursors = [c.cursor for c in page.changes]
        if page.next_cursor < held.cursor or cursors != sorted(set(cursors)):
            raise _bad_reply("cursors out of order")
        if cursors and (cursors[0] <= held.cursor or cursors[-1] > page.next_cursor):
            raise _bad_reply("change cursor outside the page")
        if page.has_more and page.next_cursor == held.cursor:
            raise _bad_reply("has_more without progress")

    def _rejoin(self, now: datetime | None) -> bool:
        """After ``store-edge restore``: take HQ's snapshot before pushing anything (the
        restored outbox is behind what HQ holds). True when it did."""
        if hq_apply.rejoin_pending(self.store) is None:
            return False
        snap = self._get(p.Snapshot, p.SNAPSHOT_PATH)
        try:
            hq_apply.rejoin_after_restore(self.store, snap.model_dump(), now=now or utcnow())
        except (KeyError, TypeError) as exc:
            raise _bad_reply(f"snapshot: {exc}") from None
        return True

    def _resync(self, reason: str | None, now: datetime) -> hq_apply.ApplyResult:
        snap = self._get(p.Snapshot, p.SNAPSHOT_PATH)
        try:
            return hq_apply.apply_snapshot(self.store, snap.model_dump(), now=now)
        except (KeyError, TypeError) as exc:
            raise _bad_reply(f"snapshot: {exc}") from None

    def pull(self, *, now: datetime | None = None, wait: float = 0) -> PullOutcome:
        """Apply pages of HQ changes until HQ has no more (or reload a snapshot).

        ``wait`` > 0 is a long-poll: when the store is up to date HQ holds the first request
        until a change for this store commits (or ``wait`` seconds pass, nothing pulled)."""
        outcome, resyncs = PullOutcome(), 0
        while True:
            held = sync_state.position(self.store.db)
            params: dict = {"cursor": held.cursor, "limit": self.pull_limit}
            if held.epoch is not None:
                params["epoch"] = held.epoch
            if wait:
                params["wait"] = wait
            page = self._get(p.PullResponse, p.PULL_PATH, params, wait=wait)
            wait = 0  # further pages (has_more, after a resync) are there already
            if page.resync:
                resyncs += 1
                if resyncs > MAX_RESYNCS:
                    raise _bad_reply("resync requested again after a snapshot")
                outcome.resync_reason = page.reason or "resync"
                self._count(outcome, self._resync(page.reason, now or utcnow()))
                continue
            self._check_page(page, held)
            try:
                result = hq_apply.apply_changes(
                    self.store, [c.model_dump() for c in page.changes],
                    next_cursor=page.next_cursor, epoch=page.epoch, now=now)
            except DomainError as exc:
                raise SyncProblem(exc.code, online=True, **exc.params) from None
            outcome.pulled += len(page.changes)
            self._count(outcome, result)
            if not page.has_more:
                return outcome

    @staticmethod
    def _count(outcome: PullOutcome, result: hq_apply.ApplyResult) -> None:
        outcome.applied += result.applied
        outcome.conflicts += result.conflicts
        outcome.skipped += len(result.skipped)

    # ------------------------------------------------------------ both
    def _push_for_sync(self, now: datetime | None) -> tuple[PushOutcome, SyncProblem | None]:
        """Push; a problem HQ answered (refused, a 5xx) does not stop the pull that follows:
        new orders keep arriving while the store's own queue is stuck. Only an HQ that does
        not answer at all (timeout, no connection) ends the attempt here."""
        try:
            return self.push(now=now), None
        except SyncProblem as problem:
            if problem.params.get("reason") in ("timeout", "unreachable") or problem.key == "sync.bad_url":
                raise
            if problem.key == "sync.offline":  # HQ answered 5xx to the push only
                problem = SyncProblem("sync.push_failed", online=True, **problem.params)
            return PushOutcome(), problem

    def has_unpushed(self) -> bool:
        """Events wait in the outbox (a store with none makes no push request)."""
        return self.store.db.execute("SELECT 1 FROM outbox WHERE acked_at IS NULL LIMIT 1").fetchone() is not None

    def sync_once(self, *, now: datetime | None = None, push: bool = True, pull: bool = True,
                  wait: float = 0) -> SyncReport:
        """Push, pull, and push again what the pull produced (grants, re-sends).

        The background worker runs the two sides apart: ``pull=False`` pushes only; ``push=False,
        wait=25`` is one long-poll round (see :meth:`pull`)."""
        try:
            if stores.demo_refuses(self.store.db, self._hq_url, self._token):
                # demo orders and events must never reach a real HQ
                raise SyncProblem("sync.demo_foreign_hq", online=False, url=self._hq_url)
            rejoined = self._rejoin(now)
            pushed, push_problem = self._push_for_sync(now) if push else (PushOutcome(), None)
            pulled = self.pull(now=now, wait=wait) if pull else PullOutcome()
            again = self.push(now=now) if push and pull and push_problem is None else PushOutcome()
        except sqlite3.OperationalError:  # the store's database stayed locked: try again later
            problem = SyncProblem("sync.local_busy", online=True)
            return self._report(False, True, problem=problem)
        except SyncProblem as problem:
            sync_state.mark_error(self.store.db, problem.key)
            return self._report(False, problem.online, problem=problem)
        if push_problem is not None:
            sync_state.mark_error(self.store.db, push_problem.key)
            report = self._report(False, True, problem=push_problem)
        else:
            sync_state.mark_ok(self.store.db, now or utcnow())
            report = self._report(True, True)
        report.pushed, report.rejected = pushed.pushed + again.pushed, pushed.rejected + again.rejected
        report.parked = pushed.parked + again.parked
        report.pulled, report.applied = pulled.pulled, pulled.applied
        report.conflicts_new, report.skipped = pulled.conflicts, pulled.skipped
        report.resync_reason = "restored" if rejoined else pulled.resync_reason
        return report

    def _report(self, ok: bool, online: bool, problem: SyncProblem | None = None) -> SyncReport:
        local = hq_apply.local_status(self.store)
        return SyncReport(ok=ok, online=online, pending=local.pending, conflicts=local.conflicts,
                          last_ok=local.last_ok, problem=problem.key if problem else None,
                          problem_params=dict(problem.params) if problem else {})
