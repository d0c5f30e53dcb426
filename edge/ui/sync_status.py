"""What the status bar shows about sync and devices, written by background workers.

A sync worker replaces ``app.sync_status`` through ``app.update_sync_status(...)`` (from a
thread: ``app.call_from_thread(app.update_sync_status, online=True, ...)``); device workers
add and remove ``Notice``s. The status bar only reads these, so a dead HQ or printer is a
line of status, never a frozen counter.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sync.worker import SyncStatus  # noqa: F401  (the one status type; UI code imports it here)


@dataclass(frozen=True)
class Notice:
    """An alarm or device status for the status bar; ``key`` is an i18n key (or plain text).

    ``source`` names who owns it ("printer", "probe:F1", …) so its owner can replace or
    withdraw it; the most severe, then the oldest, notice is shown.
    """

    key: str
    params: dict = field(default_factory=dict)
    level: str = "warning"  # info | warning | error
    source: str = ""


LEVEL_ORDER = {"error": 0, "warning": 1, "info": 2}
