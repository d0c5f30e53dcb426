"""Line-oriented serial reading with reconnect, shared by the serial scanner and ASCII probes.

Uses ``serial.serial_for_url`` so a device path, a pseudo-terminal (simulators, tests) or
``loop://`` all work. An unplugged device is reported as status and retried; it never raises
into the app.
"""
from __future__ import annotations

import logging
from abc import abstractmethod

import serial

from devices.status import DeviceStatus, StatusCallback, safe_call
from devices.worker import BackgroundWorker

log = logging.getLogger(__name__)


class LineSplitter:
    """Split a byte stream into lines on ``terminator``; over-long garbage becomes an overflow.

    A trailing ``\\n`` after ``\\r`` (or the reverse) is tolerated, since devices differ.
    """

    def __init__(self, terminator: bytes = b"\r", max_len: int = 512, any_eol: bool = False) -> None:
        """``any_eol``: a CR or an LF ends a line, whichever the device sends (CRLF included)."""
        if not terminator:
            raise ValueError("terminator must not be empty")
        self.terminator = terminator
        self.any_eol = any_eol
        self.max_len = max_len
        self._buf = bytearray()
        self._discarding = False  # inside an over-long line: drop up to its terminator

    def feed(self, data: bytes) -> tuple[list[bytes], list[bytes]]:
        """Return (complete lines, overflowed chunks). Lines exclude the terminator; the tail of
        an over-long line is dropped with it, never passed on as a line of its own."""
        self._buf += data
        lines: list[bytes] = []
        overflow: list[bytes] = []
        while True:
            i, n = self._find()
            if i < 0:
                break
            line = bytes(self._buf[:i]).strip(b"\r\n")
            del self._buf[: i + n]
            if self._discarding:
                self._discarding = False
            elif len(line) > self.max_len:
                overflow.append(line)
            elif line:
                lines.append(line)
        if len(self._buf) > self.max_len:
            if not self._discarding:
                overflow.append(bytes(self._buf))
            self._buf.clear()
            self._discarding = True
        return lines, overflow

    def _find(self) -> tuple[int, int]:
        if not self.any_eol:
            return self._buf.find(self.terminator), len(self.terminator)
        hits = [i for i in (self._buf.find(b"\r"), self._buf.find(b"\n")) if i >= 0]
        return (min(hits), 1) if hits else (-1, 0)

    def pending(self) -> bytes:
        return bytes(self._buf)

    def reset(self) -> None:
        self._buf.clear()
        self._discarding = False


def port_error_reason(e: Exception) -> str:
    """Stable reason code for a failed open: permission_denied | port_busy | port_unavailable."""
    text = str(e)
    if "ermission" in text:
        return "permission_denied"
    if "exclusively lock" in text or "busy" in text.lower():
        return "port_busy"
    return "port_unavailable"


class SerialLineWorker(BackgroundWorker):
    """Open a serial url, read lines, call :meth:`handle_line`; reconnect when it drops."""

    thread_name = "serial-lines"
    read_timeout_s = 0.2

    def __init__(
        self,
        url: str,
        baud: int = 9600,
        terminator: bytes = b"\r",
        on_status: StatusCallback | None = None,
        reconnect_s: float = 1.0,
        max_line: int = 512,
        any_eol: bool = False,
    ) -> None:
        super().__init__()
        self.url = url
        self.baud = baud
        self.on_status = on_status
        self.reconnect_s = reconnect_s
        self.splitter = LineSplitter(terminator, max_line, any_eol)
        self._port: serial.SerialBase | None = None
        self.status = DeviceStatus(url, "connecting")

    # -- hooks for subclasses
    @abstractmethod
    def handle_line(self, line: bytes) -> None:
        """One complete line from the port."""

    def handle_overflow(self, chunk: bytes) -> None:
        log.warning("%s: dropped %d bytes without terminator", self.url, len(chunk))

    def tick(self) -> None:
        """Called after every read timeout; for watchdogs (silent probes)."""

    # -- status
    def _set_status(self, state: str, reason: str = "", detail: str = "") -> None:
        if self.status.state == state and self.status.reason == reason:
            return
        self.status = DeviceStatus(self.url, state, reason, detail)  # type: ignore[arg-type]
        safe_call(self.on_status, self.status)

    def _open(self) -> serial.SerialBase | None:
        try:
            # exclusive: a second reader (another store-edge, a stray terminal) would steal lines
            port = serial.serial_for_url(self.url, baudrate=self.baud, timeout=self.read_timeout_s,
                                         exclusive=True)
        except (serial.SerialException, OSError, ValueError) as e:
            reason = port_error_reason(e)
            self._set_status("offline", reason, str(e))
            return None
        self._set_status("online")
        return port

    def run(self) -> None:
        while not self._stop.is_set():
            port = self._open()
            if port is None:
                self.tick()
                self._stop.wait(self.reconnect_s)
                continue
            self._port = port
            self.splitter.reset()
            try:
                self._read_loop(port)
            except (serial.SerialException, OSError, TypeError, AttributeError) as e:
                # TypeError/AttributeError: pyserial internals after close() from another thread
                if not self._stop.is_set():
                    self._set_status("offline", "disconnected", str(e))
            finally:
                self._port = None
                try:
                    port.close()
                except Exception:
                    pass
            if not self._stop.is_set():
                self._stop.wait(self.reconnect_s)
        self._set_status("stopped")

    def _read_loop(self, port: serial.SerialBase) -> None:
        while not self._stop.is_set():
            data = port.read(max(1, port.in_waiting))
            if data:
                lines, overflow = self.splitter.feed(data)
                for line in lines:
                    self.handle_line(line)
                for chunk in overflow:
                    self.handle_overflow(chunk)
            self.tick()

    def _on_stop(self) -> None:
        port = self._port
        if port is not None:
            try:
                port.cancel_read()
            except Exception:
                pass
