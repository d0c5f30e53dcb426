"""Driving the counter like a clerk: scanner bursts, human typing, reading the screen."""

from __future__ import annotations

import asyncio
from datetime import datetime
from pathlib import Path

from textual.pilot import Pilot
from textual.widgets import Static

from edge.domain.pickup import Verdict
from edge.store import Store
from edge.ui.app import StoreEdgeApp
from tests.support.keys import expect, scanner_burst
from edge.ui.screens.counter import CounterScreen

HANG_GUARD_S = 15.0  # only catches a hang; no test depends on speed


def counter(pilot: Pilot) -> CounterScreen:
    """The counter screen, also while a modal is open over it."""
    return next(s for s in pilot.app.screen_stack if isinstance(s, CounterScreen))


async def scan(pilot: Pilot, text: str) -> Verdict:
    """A USB scanner: all keys queued at once, Enter last; returns the verdict shown."""
    shown = expect(pilot.app, counter(pilot).verdict_shown)
    scanner_burst(pilot.app, text)
    verdict = await asyncio.wait_for(shown, HANG_GUARD_S)
    await pilot.pause()
    return verdict


async def type_slowly(pilot: Pilot, text: str) -> Verdict:
    """A person: one key at a time (pilot.press waits for the screen), small pauses, Enter."""
    shown = expect(pilot.app, counter(pilot).verdict_shown)
    for char in text:
        await pilot.press(char)
        await pilot.pause(0.01)
    await pilot.press("enter")
    verdict = await asyncio.wait_for(shown, HANG_GUARD_S)
    await pilot.pause()
    return verdict


async def press_and_wait(pilot: Pilot, key: str, signal) -> object:
    fut = expect(pilot.app, signal)
    await pilot.press(key)
    value = await asyncio.wait_for(fut, HANG_GUARD_S)
    await pilot.pause()
    return value


async def until(pilot: Pilot, predicate, timeout: float = HANG_GUARD_S) -> None:
    """Let the app run until ``predicate()`` holds (timers fire, the screen redraws); fail
    after ``timeout`` seconds, a hang guard rather than a timing assertion."""
    deadline = asyncio.get_running_loop().time() + timeout
    while not predicate():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"condition not met within {timeout} s")
        await pilot.pause(0.05)


async def settle(pilot: Pilot) -> None:
    """Let workers (store thread calls) finish and the screen redraw."""
    for _ in range(3):
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()


def banner(pilot: Pilot) -> str:
    return str(pilot.app.screen.query_one("#verdict", Static).content)


def screen_text(pilot: Pilot) -> str:
    """What a person would see on the terminal right now, as plain text."""
    strips = pilot.app.screen._compositor.render_strips()
    return "\n".join(strip.text for strip in strips)


def make_app(data_dir: Path, **kwargs) -> StoreEdgeApp:
    kwargs.setdefault("demo", True)
    return StoreEdgeApp(data_dir, **kwargs)


def open_store(data_dir: Path) -> Store:
    return Store.open(data_dir)


class _SnapshotClock(datetime):
    """The status bar's clock at a fixed 18:30 on the test day, for screen snapshots."""

    @classmethod
    def now(cls, tz=None):  # noqa: ANN001, ANN206 - datetime's own signature
        return datetime(2026, 6, 1, 18, 30, 0, tzinfo=tz)


def freeze_status_clock(monkeypatch) -> None:
    """A snapshot changes only when the screen does, not with the time of the run."""
    from edge.ui.widgets import status_bar

    monkeypatch.setattr(status_bar, "datetime", _SnapshotClock)
