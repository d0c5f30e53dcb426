"""Serial (RS-232 / USB-CDC) barcode scanners: one code per terminated line.

Garbage on the line (noise, a wrong baud rate, non-UTF-8 bytes) becomes an ``on_error`` call
with a :class:`ScannerError`, never a crash and never a half code sent to the app. A line
counts as a code only when it looks like one: printable text of at least ``min_length``
characters (random bytes split by stray CR/LF bytes give 'K', 'n', '35').

The terminator defaults to any of CR, LF or CRLF (``terminator=b""``): scanners ship set to
either, and a newcomer should not have to find out which.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from devices.serial_lines import SerialLineWorker
from devices.status import StatusCallback, safe_call


@dataclass(frozen=True)
class ScannerError:
    """A line the scanner sent that is not a usable code.
    ``reason``: not_utf8 | control_chars | too_long | too_short."""

    reason: str
    raw: bytes
    device: str


class SerialScanner(SerialLineWorker):
    """Read codes from ``url`` (device path, pty path or any pyserial URL) in a daemon thread."""

    thread_name = "serial-scanner"

    def __init__(
        self,
        url: str,
        baud: int = 9600,
        terminator: bytes = b"",
        on_scan: Callable[[str], None] | None = None,
        on_error: Callable[[ScannerError], None] | None = None,
        on_status: StatusCallback | None = None,
        reconnect_s: float = 1.0,
        max_length: int = 512,
        min_length: int = 4,
    ) -> None:
        super().__init__(url, baud, terminator or b"\r", on_status, reconnect_s, max_length,
                         any_eol=not terminator)
        self.min_length = min_length
        self.on_scan = on_scan
        self.on_error = on_error
        self.scans = 0
        self.errors = 0

    def handle_line(self, line: bytes) -> None:
        try:
            text = line.decode("utf-8")
        except UnicodeDecodeError:
            self._error("not_utf8", line)
            return
        text = text.strip()
        if not text:
            return
        if not text.isprintable():
            self._error("control_chars", line)
            return
        if len(text) < self.min_length:
            self._error("too_short", line)
            return
        self.scans += 1
        safe_call(self.on_scan, text)

    def handle_overflow(self, chunk: bytes) -> None:
        self._error("too_long", chunk)

    def _error(self, reason: str, raw: bytes) -> None:
        self.errors += 1
        safe_call(self.on_error, ScannerError(reason, raw[:200], self.url))
