"""The one place the store app reads the wall clock, so tests and the demo can move time."""

from __future__ import annotations

from datetime import datetime, timezone


def utcnow() -> datetime:
    """Current time, timezone-aware UTC."""
    return datetime.now(timezone.utc)


def iso(dt: datetime) -> str:
    """Stored form of a timestamp: ISO 8601 UTC with milliseconds, sortable as text."""
    return dt.astimezone(timezone.utc).isoformat(timespec="milliseconds")


def parse_iso(text: str) -> datetime:
    """Inverse of iso(); naive input is taken as UTC."""
    dt = datetime.fromisoformat(text)
    return dt if dt.tzinfo else dt.replace(tzinfo=timezone.utc)
