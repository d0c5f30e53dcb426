"""Tell a keyboard-wedge scan from human typing.

A USB scanner in keyboard mode "types" its code: many characters a few milliseconds apart, then
Enter or Tab. A person types ~5-10 keys per second. So a burst of at least ``min_length``
characters, each within ``max_gap_ms`` of the previous one, closed by a terminator key, is a
scan; everything else is typing and is passed through unchanged, in order.

We work on the characters the UI received (``char``), not on key codes, so the keyboard layout
does not matter. Nothing is lost: every character fed comes back out, either inside a ``Scan``
(with any configured prefix/suffix stripped) or inside a ``Typed``. Characters are held back
only while they might still become a scan; the UI calls :meth:`WedgeDetector.flush` from a
timer (every ~50 ms) so a lone human keystroke is released promptly.

Known limit: a human key pressed within ``max_gap_ms`` just before a scan starts is taken as
part of the scan (it cannot be told apart by timing); prefix/suffix configuration avoids this.
"""
from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from typing import Iterable, Union

_IGNORED_KEYS = frozenset(
    {"shift", "ctrl", "control", "alt", "meta", "super", "capslock", "caps_lock", "numlock"}
)


@dataclass(frozen=True)
class Scan:
    """A complete scanned code (prefix/suffix removed, terminator not included)."""

    text: str


@dataclass(frozen=True)
class Typed:
    """Human typing to pass through: ``chars`` in order, then ``key`` (e.g. "enter") if set."""

    chars: str
    key: str | None = None


Event = Union[Scan, Typed]


def _is_text(char: str | None) -> bool:
    """Text the key produced (any script, unassigned code points included), not a control char."""
    return bool(char) and all(unicodedata.category(c) != "Cc" for c in char)  # type: ignore[union-attr]


class WedgeDetector:
    """Pure state machine: feed it key events with timestamps (seconds), get events back."""

    def __init__(
        self,
        max_gap_ms: float = 35,
        min_length: int = 4,
        terminators: Iterable[str] = ("enter", "tab"),
        prefix: str = "",
        suffix: str = "",
    ) -> None:
        if max_gap_ms <= 0:
            raise ValueError("max_gap_ms must be > 0")
        if min_length < 1:
            raise ValueError("min_length must be >= 1")
        self.max_gap = max_gap_ms / 1000.0
        self.min_length = min_length
        self.terminators = frozenset(k.lower() for k in terminators)
        self.prefix = prefix
        self.suffix = suffix
        self._buf: list[str] = []
        self._last_t: float | None = None

    @property
    def pending(self) -> str:
        """Characters held back while they might still be a scan."""
        return "".join(self._buf)

    def feed(self, key: str, char: str | None, t: float) -> list[Event]:
        """Feed one key event: ``key`` is the key name, ``char`` the printable text (or None)."""
        k = (key or "").lower()
        if char is None and k in _IGNORED_KEYS:
            return []
        out: list[Event] = []
        gap_ok = self._last_t is not None and (t - self._last_t) <= self.max_gap
        if k in self.terminators and not _is_text(char):
            if self._buf and gap_ok and self._is_scan():
                out.append(Scan(self._strip("".join(self._buf))))
                self._reset()
            else:
                out.append(Typed(self._take(), k))
            self._last_t = None
            return out
        if not _is_text(char):
            # navigation/editing keys: a scanner never sends them, so this is a person
            out.append(Typed(self._take(), k or None))
            self._last_t = None
            return out
        if self._buf and not gap_ok:
            out.extend(self._timeout_events())
        self._buf.append(char)  # type: ignore[arg-type]
        self._last_t = t
        return out

    def flush(self, t: float) -> list[Event]:
        """Release held characters once no key came for longer than the gap."""
        if self._buf and self._last_t is not None and t - self._last_t > self.max_gap:
            return self._timeout_events()
        return []

    def _timeout_events(self) -> list[Event]:
        # with no terminator configured, a fast burst closed by silence is the scan
        if not self.terminators and self._is_scan():
            ev: Event = Scan(self._strip("".join(self._buf)))
            self._reset()
            return [ev]
        return [Typed(self._take())]

    def _is_scan(self) -> bool:
        text = "".join(self._buf)
        if not (text.startswith(self.prefix) and text.endswith(self.suffix)):
            return False
        body_len = len(text) - len(self.prefix) - len(self.suffix)
        return body_len >= self.min_length

    def _strip(self, text: str) -> str:
        return text[len(self.prefix) : len(text) - len(self.suffix)]

    def _take(self) -> str:
        s = "".join(self._buf)
        self._reset()
        return s

    def _reset(self) -> None:
        self._buf = []
        self._last_t = None
