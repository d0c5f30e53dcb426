"""Which pickup a counter sale is the add-on of.

A sale counts as the add-on of a pickup only while that customer is plausibly still at the
counter: the same clerk, within ADDON_WINDOW of the hand-over, no other customer scanned since,
and only the first sale after it. The add-on rate is a day-end figure, so a tag that outlived
its customer would inflate it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

ADDON_WINDOW = timedelta(minutes=10)


@dataclass(frozen=True)
class _Pickup:
    order_no: str
    clerk_id: str
    at: datetime


class AddonTracker:
    """The last hand-over at this terminal, until something shows its customer has gone."""

    def __init__(self) -> None:
        self._last: _Pickup | None = None

    def handed_over(self, order_no: str, clerk_id: str, at: datetime) -> None:
        self._last = _Pickup(order_no, clerk_id, at)

    def current(self, clerk_id: str | None, now: datetime) -> str | None:
        """The order a sale opened now would be the add-on of, or None."""
        last = self._last
        if last is None or clerk_id != last.clerk_id or now - last.at >= ADDON_WINDOW:
            return None
        return last.order_no

    def other_order_seen(self, order_no: str) -> None:
        """The clerk scanned another order: the next customer is at the counter."""
        if self._last is not None and self._last.order_no != order_no:
            self._last = None

    def forget(self) -> None:
        """A sale used the tag, or the clerk changed."""
        self._last = None
