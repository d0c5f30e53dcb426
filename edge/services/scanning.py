"""Scanners in the background (serial, camera) and where a scan belongs.

Serial scanners and cameras run in their own threads and hand each code to ``deliver`` —
the app passes a function that hops onto its own thread (``app.call_from_thread``). The
keyboard-wedge scanner is not a thread: its keys arrive through the terminal, and the app
feeds them to the WedgeDetector from ``devices.factory.wedge_detector`` (see edge/ui/scan_routing.py).

Wherever a scan comes from, ``route`` says where it goes: a pickup code or its QR (or
anything unrecognised, which the counter then explains) to the counter; a bag label's QR to
the counter's order lookup; a product barcode (EAN-8/13) to a sale.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from devices import factory
from devices.camera import CameraReader, DecoderUnavailable, SourceError
from devices.messages import msg
from devices.scanners import ScannerError
from devices.status import DeviceStatus
from edge.domain.print_docs import parse_bag_qr
from edge.i18n import t

log = logging.getLogger(__name__)

_EAN = re.compile(r"^\d{8}$|^\d{13}$")
TARGETS = ("counter", "bag", "product")


@dataclass(frozen=True)
class ScanEvent:
    """One code from any scanner. ``source``: wedge | serial:<url> | camera:<source>."""

    text: str
    source: str
    target: str  # counter | bag | product


def route(text: str) -> str:
    """Where a scanned text belongs (never raises: garbage goes to the counter to be explained)."""
    text = text.strip()
    if parse_bag_qr(text) is not None:
        return "bag"
    if _EAN.match(text):
        return "product"
    return "counter"


def scan_event(text: str, source: str) -> ScanEvent:
    return ScanEvent(text.strip(), source, route(text))


class WarningLimiter:
    """At most one warning per ``interval_s`` per source; the ones held back are counted and
    told with the next. Line noise on a serial port gives hundreds of bad lines a minute: one
    bell and one toast each would drown the counter."""

    def __init__(self, interval_s: float = 30.0, clock: Callable[[], float] = time.monotonic) -> None:
        self.interval_s = interval_s
        self.clock = clock
        self._last: dict[str, float] = {}
        self._held: dict[str, int] = {}

    def admit(self, source: str) -> int | None:
        """None: hold this one back; else how many were held back since the last one shown."""
        now = self.clock()
        last = self._last.get(source)
        if last is not None and now - last < self.interval_s:
            self._held[source] = self._held.get(source, 0) + 1
            return None
        self._last[source] = now
        return self._held.pop(source, 0)


class ScannerService:
    """Serial scanners and cameras from config, delivering ScanEvents (and problems) by callback."""

    def __init__(self, scanners: list[Any], deliver: Callable[[ScanEvent], None], *,
                 on_problem: Callable[[str], None] | None = None, lang: str = "zh-CN",
                 loop_sources: bool = True, cameras_on_demand: bool = False,
                 limiter: WarningLimiter | None = None) -> None:
        self.config = list(scanners)
        self.loop_sources = loop_sources  # False: a video/folder plays once (the demo camera)
        # True (the demo): cameras start only when asked (play_cameras), so a newcomer's first
        # screen is not replaced by a code the demo camera "sees" on its own
        self.cameras_on_demand = cameras_on_demand
        self.deliver = deliver
        self.on_problem = on_problem
        self.lang = lang
        self.limiter = limiter or WarningLimiter()
        self.workers: list[Any] = []
        self._cameras: dict[int, CameraReader] = {}  # by id() of the camera's config entry
        self.states: dict[str, DeviceStatus] = {}
        self._lock = threading.Lock()

    def start(self) -> "ScannerService":
        for cfg in self.config:
            if not (cfg.kind == "camera" and self.cameras_on_demand):
                self._start_one(cfg)
        return self

    def play_cameras(self) -> int:
        """Start each camera that is not running (a folder that played once starts over);
        returns how many started."""
        started = 0
        for cfg in self.config:
            current = self._cameras.get(id(cfg))
            if cfg.kind == "camera" and (current is None or current.finished.is_set()):
                if current is not None:
                    self.workers.remove(current)
                started += self._start_one(cfg)
        return started

    def _start_one(self, cfg: Any) -> int:
        try:
            worker = self._worker(cfg)
        except (DecoderUnavailable, SourceError, ValueError, OSError) as exc:
            name = f"camera:{getattr(cfg, 'source', '?')}"
            self._status(DeviceStatus(name, "error", "unavailable", str(exc)))
            return 0
        if worker is None:
            return 0
        self.workers.append(worker)
        if isinstance(worker, CameraReader):
            self._cameras[id(cfg)] = worker
        worker.start()
        return 1

    def _worker(self, cfg: Any) -> Any:
        if cfg.kind == "serial":
            source = f"serial:{cfg.url}"
            return factory.serial_scanner(cfg, lambda text: self._scan(text, source),
                                          self._bad_scan, self._status)
        if cfg.kind == "camera":
            source = f"camera:{cfg.source}"
            return factory.camera_reader(cfg, lambda text: self._scan(text, source), self._status,
                                         loop=self.loop_sources)
        return None  # wedge: handled by the app's key events

    def stop(self) -> None:
        for worker in self.workers:
            worker.stop()
        self.workers.clear()

    def _scan(self, text: str, source: str) -> None:
        self.deliver(scan_event(text, source))

    def _bad_scan(self, err: ScannerError) -> None:
        if self.on_problem is None:
            return
        held = self.limiter.admit(err.device)
        if held is None:
            return
        reason = msg(f"scanner.{err.reason}", self.lang)
        self.on_problem(t("dev.scan.bad_more", self.lang, reason=reason, n=held) if held
                        else t("dev.scan.bad", self.lang, reason=reason))

    def _status(self, st: DeviceStatus) -> None:
        with self._lock:
            self.states[st.device] = st

    def notices(self, lang: str) -> list[str]:
        """Scanners that are offline or broken, for the status bar."""
        with self._lock:
            states = list(self.states.values())
        return [t("dev.device.offline", lang, device=s.device, reason=s.reason or s.state)
                for s in states if s.state in ("offline", "error")]

    def cameras(self) -> list[Any]:
        """CameraStatus of each camera (fps, last decode) for a small preview line."""
        return [w.status() for w in self.workers if isinstance(w, CameraReader)]
