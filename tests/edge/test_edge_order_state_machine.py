"""The order state machine under any sequence of actions, on a real SQLite file (hypothesis).

Every domain action may be tried on any order at any time, valid or not. Refused ones must
raise DomainError and change nothing; after every step the invariants below must hold.
"""

from __future__ import annotations

import atexit
import itertools
import shutil
import tempfile
from datetime import timedelta
from pathlib import Path

from hypothesis import HealthCheck, event, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from edge.domain import orders, pickup
from edge.domain.errors import DomainError
from edge.domain.orders import HANDED_OVER, STATUSES, TERMINAL, TRANSITIONS, ZONES
from edge.domain.pickup import NotTaken, Override
from tests.support.edge_store import (NOW, SKUS, StoreTemplates, assert_outbox_gapless,
                                      assert_reserved_consistent, build_store, dump, order_data,
                                      received_status, status_trail)

# one stocked store built on first use; each example starts from a copy
_TEMPLATES = StoreTemplates(Path(tempfile.mkdtemp(prefix="store-edge-sm-")))
atexit.register(shutil.rmtree, _TEMPLATES.root, True)


order_index = st.integers(min_value=0, max_value=10_000)
lines_strategy = st.lists(st.tuples(st.sampled_from(SKUS), st.integers(1, 3)), min_size=1,
                          max_size=3, unique_by=lambda x: x[0])


class OrderMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.dir = Path(tempfile.mkdtemp(prefix="store-edge-sm-"))
        self.store = _TEMPLATES.copy("store", build_store, self.dir / "store")
        self.clock = NOW
        self.order_nos: list[str] = []
        self.numbers = itertools.count(1)
        self.closed: dict[str, tuple] = {}  # terminal orders as first seen

    def teardown(self) -> None:
        self.store.close()
        shutil.rmtree(self.dir, ignore_errors=True)

    # --- helpers ---------------------------------------------------------------------------------
    def _pick(self, i: int) -> str:
        return self.order_nos[i % len(self.order_nos)]

    def _attempt(self, action, *args, **kwargs):
        """Run an action; if the domain refuses it, nothing at all may have changed."""
        before = dump(self.store)
        try:
            result = action(*args, **kwargs)
        except DomainError as exc:
            event(f"{action.__name__}: refused {exc.code}")
            assert dump(self.store) == before, f"refused {action.__name__} changed the database"
            return None
        event(f"{action.__name__}: done")
        return result

    def _tick(self, minutes: int = 1) -> None:
        self.clock += timedelta(minutes=minutes)

    # --- rules -----------------------------------------------------------------------------------
    @initialize(lines=lines_strategy)
    def first_order(self, lines):
        self.receive(lines, 0, 4, pack=True)

    @rule(lines=lines_strategy, start_h=st.integers(-3, 3), length_h=st.integers(1, 6),
          pack=st.booleans())
    def receive(self, lines, start_h, length_h, pack=False):
        order_no = f"H{next(self.numbers):04d}"
        start = self.clock + timedelta(hours=start_h)
        data = order_data(order_no, lines=lines, window_start=start,
                          window_end=start + timedelta(hours=length_h))
        orders.receive_order(self.store.db, self.store.pickup_key, data, now=self.clock)
        self.order_nos.append(order_no)
        # receiving the same order again changes nothing
        before = dump(self.store)
        orders.receive_order(self.store.db, self.store.pickup_key, data, now=self.clock)
        assert dump(self.store) == before
        if pack:
            self.pack_everything(len(self.order_nos) - 1)

    @precondition(lambda self: self.order_nos)
    @rule(i=order_index)
    def pack_everything(self, i):
        """Prepare and pack every bag (each step may be refused, e.g. for a closed order)."""
        order_no = self._pick(i)
        self._tick()
        self._attempt(orders.start_preparing, self.store.db, order_no, actor="c01", now=self.clock)
        for zone in ZONES:
            self._attempt(orders.pack_bag, self.store.db, order_no, zone, f"{zone}-1",
                          actor="c01", now=self.clock)

    @precondition(lambda self: any(orders.get_order(self.store.db, o).status in ("ready", "overdue")
                                   for o in self.order_nos))
    @rule(i=order_index, partial=st.sampled_from([None, "missing", "refused"]),
          qty=st.integers(1, 3), override=st.booleans(), scan_ms=st.integers(0, 9000))
    def hand_over_a_waiting_order(self, i, partial, qty, override, scan_ms):
        waiting = [o for o in self.order_nos
                   if orders.get_order(self.store.db, o).status in ("ready", "overdue")]
        self.hand_over(self.order_nos.index(waiting[i % len(waiting)]), partial, qty, override,
                       scan_ms)

    @precondition(lambda self: self.order_nos)
    @rule(i=order_index)
    def start_preparing(self, i):
        self._tick()
        self._attempt(orders.start_preparing, self.store.db, self._pick(i), actor="c01",
                      now=self.clock)

    @precondition(lambda self: self.order_nos)
    @rule(i=order_index, zone=st.sampled_from(ZONES), slot=st.sampled_from(["A-1", "", "F-2"]))
    def pack_bag(self, i, zone, slot):
        self._tick()
        self._attempt(orders.pack_bag, self.store.db, self._pick(i), zone, slot, actor="c01",
                      now=self.clock)

    @precondition(lambda self: self.order_nos)
    @rule(i=order_index, partial=st.sampled_from([None, "missing", "refused"]),
          qty=st.integers(1, 3), override=st.booleans(), scan_ms=st.integers(0, 9000))
    def hand_over(self, i, partial, qty, override, scan_ms):
        self._tick()
        not_taken = [NotTaken(1, qty, partial)] if partial else []
        result = self._attempt(
            pickup.hand_over, self.store, self._pick(i), "c01", not_taken=not_taken,
            override=Override("m01", "9999", "customer came late") if override else None,
            scanned_at=self.clock - timedelta(milliseconds=scan_ms), now=self.clock)
        if result is not None:
            assert result.status in HANDED_OVER
            assert result.verify_ms == scan_ms
            assert (result.status == "partially_picked_up") == bool(partial)

    @precondition(lambda self: self.order_nos)
    @rule(i=order_index, actor=st.sampled_from(["hq", "m01"]))
    def cancel(self, i, actor):
        self._tick()
        self._attempt(orders.cancel_order, self.store.db, self._pick(i), "changed mind",
                      actor=actor, now=self.clock)

    @rule(minutes=st.integers(1, 600))
    def time_passes_and_overdue_sweep(self, minutes):
        self._tick(minutes)
        swept = orders.mark_overdue(self.store.db, now=self.clock)
        for order_no in swept:
            assert orders.get_order(self.store.db, order_no).status == "overdue"

    @precondition(lambda self: self.order_nos)
    @rule(i=order_index, hours=st.integers(-2, 8))
    def extend_window(self, i, hours):
        self._tick()
        self._attempt(orders.extend_window, self.store.db, self._pick(i),
                      self.clock + timedelta(hours=hours), actor="m01", now=self.clock)

    @precondition(lambda self: self.order_nos)
    @rule(i=order_index)
    def return_to_stock(self, i):
        self._tick()
        self._attempt(orders.return_to_stock, self.store.db, self._pick(i), actor="m01",
                      now=self.clock)

    @precondition(lambda self: self.order_nos)
    @rule(i=order_index)
    def reallocate(self, i):
        self._tick()
        self._attempt(orders.reallocate, self.store.db, self._pick(i), "S002", now=self.clock)

    @rule()
    def act_on_an_unknown_order(self):
        before = dump(self.store)
        db, now = self.store.db, self.clock
        for action in (lambda: orders.start_preparing(db, "NOPE", actor="c01", now=now),
                       lambda: orders.pack_bag(db, "NOPE", "ambient", "A-1", actor="c01", now=now),
                       lambda: orders.cancel_order(db, "NOPE", "x", actor="hq", now=now),
                       lambda: orders.extend_window(db, "NOPE", now + timedelta(hours=1),
                                                    actor="m01", now=now),
                       lambda: orders.return_to_stock(db, "NOPE", actor="m01", now=now),
                       lambda: orders.reallocate(db, "NOPE", "S002", now=now),
                       lambda: pickup.hand_over(self.store, "NOPE", "c01", now=now)):
            try:
                action()
            except DomainError as exc:
                assert exc.code == "order.unknown"
            else:
                raise AssertionError("an action on an unknown order was accepted")
        assert dump(self.store) == before

    # --- invariants ------------------------------------------------------------------------------
    @invariant()
    def statuses_are_known_and_reached_only_through_transitions(self):
        db = self.store.db
        for order_no in self.order_nos:
            order = orders.get_order(db, order_no)
            assert order.status in STATUSES
            status = received_status(db, order_no)
            for old, new in status_trail(db, order_no):
                assert old == status, f"{order_no}: audit says from {old}, was {status}"
                assert new in TRANSITIONS[old], f"{order_no}: {old} -> {new} not allowed"
                status = new
            # every status change has its audit record: the trail ends where the order is
            assert status == order.status, f"{order_no}: audit ends at {status}, row says {order.status}"

    @invariant()
    def handed_over_orders_have_clerk_and_time(self):
        for order_no in self.order_nos:
            order = orders.get_order(self.store.db, order_no)
            if order.status in HANDED_OVER:
                assert order.picked_up_by == "c01" and order.picked_up_at
                assert order.verify_ms is not None
            else:
                assert order.picked_up_by is None and order.picked_up_at is None

    @invariant()
    def terminal_states_never_change(self):
        for order_no in self.order_nos:
            order = orders.get_order(self.store.db, order_no)
            state = (order.status, order.picked_up_at, order.picked_up_by, order.verify_ms,
                     order.cancel_reason, [(l.qty_not_taken, l.not_taken_reason) for l in order.lines])
            if order_no in self.closed:
                assert state == self.closed[order_no], f"terminal order {order_no} changed"
            elif order.status in TERMINAL:
                self.closed[order_no] = state

    @invariant()
    def reserved_stock_equals_open_order_lines(self):
        assert_reserved_consistent(self.store.db)

    @invariant()
    def outbox_is_gapless(self):
        assert_outbox_gapless(self.store.db)


OrderMachine.TestCase.settings = settings(
    max_examples=30, stateful_step_count=25, deadline=None, derandomize=True, database=None,
    suppress_health_check=[HealthCheck.too_slow])
test_order_state_machine = OrderMachine.TestCase
