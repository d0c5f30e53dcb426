"""What probes produce: readings with ids, and line errors as values (never exceptions)."""
from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


@dataclass(frozen=True)
class Reading:
    """One temperature reading. ``reading_id`` is unique (uuid4) so a reading stored, synced and
    re-sent is recognised as the same fact; ``seq`` is the probe's own counter when it has one."""

    probe_id: str
    celsius: float
    seq: int | None = None
    at: datetime = field(default_factory=utcnow)
    source: str = "ascii"
    reading_id: str = field(default_factory=lambda: uuid.uuid4().hex)


@dataclass(frozen=True)
class ProbeLineError:
    """A line or poll that gave no reading. ``reason`` codes: not_ascii, bad_format,
    bad_checksum, bad_number, out_of_range, unknown_probe, too_long, no_response, bad_response."""

    reason: str
    raw: bytes = b""
    probe_id: str | None = None
    detail: str = ""
    at: datetime = field(default_factory=utcnow)
