"""The counter's scan field: one Input a USB scanner or a person types into."""

from __future__ import annotations

from datetime import datetime

from textual import events
from textual.message import Message
from textual.widgets import Input

from edge.clock import utcnow


class ScanField(Input):
    """An Input that hands over each entry with the time its first key arrived.

    A keyboard-wedge scanner is just a fast typist ending with Enter, so Input's own key
    handling serves both. Enter is taken here, in key order, not through Input's "enter"
    binding: that binding runs only when the key has bubbled up to the app, by which time the
    next scan's characters (queued straight to this widget) may already be in the field.
    """

    class Scanned(Message):
        """An entry was submitted: its text and when typing (or the scan) started."""

        def __init__(self, value: str, started_at: datetime) -> None:
            super().__init__()
            self.value = value
            self.started_at = started_at

    started_at: datetime | None = None

    async def _on_key(self, event: events.Key) -> None:
        if event.key == "enter":
            event.stop()
            event.prevent_default()
            await self.action_submit()
            return
        if self.started_at is None and event.is_printable:
            self.started_at = utcnow()
        await super()._on_key(event)

    def _on_paste(self, event: events.Paste) -> None:
        if self.started_at is None:
            self.started_at = utcnow()
        super()._on_paste(event)

    async def action_submit(self) -> None:
        value, started = self.value, self.started_at or utcnow()
        self.reset()
        self.post_message(self.Scanned(value, started))

    def reset(self) -> None:
        """Empty and ready for the next customer."""
        self.value = ""
        self.started_at = None
