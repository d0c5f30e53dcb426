"""Device status as plain data, so the UI can show "why" in a status bar without knowing drivers."""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Callable, Literal

State = Literal["connecting", "online", "offline", "error", "silent", "stopped"]


@dataclass(frozen=True)
class DeviceStatus:
    """What a driver reports when its state changes.

    ``device`` names the device (a port url, a probe id), ``reason`` is a stable code the UI can
    translate (``devices.messages``), ``detail`` is technical text for the log.
    """

    device: str
    state: State
    reason: str = ""
    detail: str = ""
    at: float = field(default_factory=time.time)


StatusCallback = Callable[[DeviceStatus], None]




def safe_call(cb: Callable[..., object] | None, *args: object) -> None:
    """Call a user callback; its exception is logged, never allowed to kill a driver thread."""
    if cb is None:
        return
    try:
        cb(*args)
    except Exception:
        import logging

        logging.getLogger("devices").exception("device callback %r failed", cb)
