"""Typing into the running app from code, the way a keyboard-wedge scanner types.

A USB scanner sends its characters a few milliseconds apart and ends with Enter, without
waiting for the screen. ``scanner_burst`` posts exactly that: one Key event per character,
each stamped with its own time, all queued at once (Pilot.press would wait for idle between
keys, which no scanner does). Used by the UI tests, the bench and scanner simulators.
"""

from __future__ import annotations

import asyncio
from typing import Any

from textual import events
from textual._time import get_time
from textual.app import App
from textual.keys import _character_to_key
from textual.signal import Signal

SCANNER_KEY_INTERVAL_S = 0.002


def key_event(char: str, at: float) -> events.Key:
    """The Key event a terminal produces for one character (or "enter")."""
    if char == "\r":
        event = events.Key("enter", "\r")
    else:
        key = char if char.isalnum() else _character_to_key(char)
        event = events.Key(key, char)
    event.time = at
    return event


def scanner_burst(app: App[Any], text: str, *, enter: bool = True,
                  interval_s: float = SCANNER_KEY_INTERVAL_S) -> None:
    """Queue ``text`` (and Enter) as key events to the app, without waiting between them."""
    start = get_time()
    chars = list(text) + (["\r"] if enter else [])
    for i, char in enumerate(chars):
        event = key_event(char, start + i * interval_s)
        event.set_sender(app)
        app.post_message(event)


def expect(app: App[Any], signal: Signal[Any]) -> asyncio.Future:
    """A future for the next publication of a signal (e.g. CounterScreen.verdict_shown).

    Subscribes at once, so call it *before* typing; then ``await asyncio.wait_for(fut, t)``.
    """
    future: asyncio.Future = asyncio.get_running_loop().create_future()

    def got(value: Any) -> None:
        if not future.done():
            future.set_result(value)
        signal.unsubscribe(app)

    signal.subscribe(app, got, immediate=True)
    return future
