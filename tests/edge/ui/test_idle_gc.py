"""Full garbage collections happen while nobody types (edge.ui.idle_gc)."""

from __future__ import annotations

import gc

from edge.ui import idle_gc


class _App:
    def __init__(self) -> None:
        self.now = 100.0
        self.last_input = 100.0
        self.timers: list = []

    def idle_clock(self) -> float:
        return self.now

    def set_interval(self, seconds: float, callback) -> None:
        self.timers.append((seconds, callback))


def test_collects_in_full_only_when_no_key_came_for_a_while():
    before = gc.get_threshold()
    try:
        app = _App()
        idle_gc.install(app)
        assert gc.get_threshold() == idle_gc.THRESHOLDS and gc.get_freeze_count() > 0
        [(seconds, tick)] = app.timers
        assert seconds == idle_gc.CHECK_S
        gc.collect(1)  # something reached the old generation
        assert gc.get_count()[2] > 0
        assert not idle_gc.collect_if_idle(app)  # a key just now: not in the middle of it
        app.now += idle_gc.IDLE_S
        assert idle_gc.collect_if_idle(app)
        assert gc.get_count()[2] == 0
        assert not idle_gc.collect_if_idle(app)  # nothing new: nothing to do
    finally:
        gc.set_threshold(*before)
        gc.unfreeze()
