"""Calling the UI back from a service thread."""

from __future__ import annotations

import logging
from collections.abc import Callable

log = logging.getLogger(__name__)


def notify(callback: Callable[[], None] | None, what: str) -> None:
    """Tell the UI something changed; a failing UI callback never stops printing or probes."""
    if callback is None:
        return
    try:
        callback()
    except Exception:
        log.exception("%s change callback failed", what)
