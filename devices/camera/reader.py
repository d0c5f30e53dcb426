"""The camera worker: frames in, one ``on_scan`` per code shown, fps and last decode for a status line.

A code held in front of the camera is seen in many consecutive frames; it counts once. It counts
again only after it has been out of sight for ``holdoff_s`` (so showing the same code again on
purpose works, and a flickering read does not double-scan).
"""
from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Callable

from devices.camera.decoder import Decoded, Decoder
from devices.camera.sources import FrameSource
from devices.status import DeviceStatus, StatusCallback, safe_call
from devices.worker import BackgroundWorker


@dataclass(frozen=True)
class CameraStatus:
    """For a small preview/status line: ``fps`` is measured over recent frames."""

    source: str
    state: str
    fps: float
    frames: int
    scans: int
    last_text: str | None
    last_symbology: str | None
    last_at: float | None


class HoldOff:
    """Pure logic for "same code in consecutive frames counts once"; clock given by the caller."""

    def __init__(self, holdoff_s: float = 1.5) -> None:
        self.holdoff_s = holdoff_s
        self._last_seen: dict[str, float] = {}

    def accept(self, codes: list[Decoded], now: float) -> list[Decoded]:
        new = []
        for d in codes:
            seen = self._last_seen.get(d.text)
            if seen is None or now - seen > self.holdoff_s:
                new.append(d)
            self._last_seen[d.text] = now
        if len(self._last_seen) > 256:  # forget codes long gone
            self._last_seen = {k: v for k, v in self._last_seen.items() if now - v <= self.holdoff_s}
        return new


class CameraReader(BackgroundWorker):
    """Read frames from ``source`` in a daemon thread, decode, call ``on_scan(text)`` (or Decoded).

    With ``source=None`` nothing is started: the caller pushes frames through :meth:`process`
    (a preview widget that owns the camera, tests, the bench)."""

    thread_name = "camera-reader"

    def __init__(
        self,
        source: FrameSource | None,
        decoder: Decoder,
        on_scan: Callable[[str], None] | None = None,
        holdoff_s: float = 1.5,
        on_decoded: Callable[[Decoded], None] | None = None,
        on_status: StatusCallback | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__()
        self.source = source
        self.decoder = decoder
        self.on_scan = on_scan
        self.on_decoded = on_decoded
        self.on_status = on_status
        self.clock = clock
        self.holdoff = HoldOff(holdoff_s)
        self._decode = getattr(decoder, "decode_live", decoder.decode)
        self.frames = 0
        self.scans = 0
        self._fps = 0.0
        self._last_frame_t: float | None = None
        self._last: Decoded | None = None
        self._last_at: float | None = None
        self._state = "connecting"
        self._lock = threading.Lock()
        #: set when the source ran out (non-looping file); tests wait on it
        self.finished = threading.Event()

    def process(self, frame) -> list[Decoded]:
        """Decode one frame and emit new scans; the same path live frames take."""
        now = self.clock()
        found = self._decode(frame)
        new = self.holdoff.accept(found, now)
        with self._lock:
            self.frames += 1
            t = time.monotonic()
            if self._last_frame_t is not None and t > self._last_frame_t:
                inst = 1.0 / (t - self._last_frame_t)
                self._fps = inst if self._fps == 0 else 0.9 * self._fps + 0.1 * inst
            self._last_frame_t = t
            if found:
                self._last, self._last_at = found[0], now
        for d in new:
            self.scans += 1
            safe_call(self.on_decoded, d)
            safe_call(self.on_scan, d.text)
        return new

    @property
    def source_name(self) -> str:
        return self.source.name if self.source is not None else "push"

    def start(self) -> "CameraReader":
        if self.source is None:
            raise RuntimeError("CameraReader without a source: push frames with process()")
        super().start()
        return self

    def run(self) -> None:
        assert self.source is not None
        self._set_state("online")
        misses = 0
        while not self._stop.is_set():
            try:
                frame = self.source.read()
            except Exception as e:  # a camera driver error must become status, not a dead thread
                self._set_state("error", str(e))
                self._stop.wait(1.0)
                continue
            if frame is None:
                if getattr(self.source, "ended", False):
                    self._set_state("stopped", "source ended")
                    break
                misses += 1
                if misses >= 30:
                    self._set_state("offline", "no frames from camera")
                self._stop.wait(0.05)
                continue
            misses = 0
            self._set_state("online")  # after a hiccup or a driver error alike
            self.process(frame)
        self.finished.set()

    def _set_state(self, state: str, detail: str = "") -> None:
        if state == self._state:
            return
        self._state = state
        safe_call(self.on_status, DeviceStatus(self.source_name, state, "", detail))  # type: ignore[arg-type]

    def _on_stop(self) -> None:
        close = getattr(self.source, "close", None)
        if close is not None:
            try:
                close()
            except Exception:
                pass

    def status(self) -> CameraStatus:
        with self._lock:
            last = self._last
            return CameraStatus(self.source_name, self._state, round(self._fps, 1), self.frames,
                                self.scans, last.text if last else None,
                                last.symbology if last else None, self._last_at)
