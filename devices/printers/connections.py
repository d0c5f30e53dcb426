"""Printer transports: USB, network (TCP 9100), serial, and a file for the simulator.

``open_printer(url)`` returns a :class:`PrinterConnection` with ``send(bytes)`` and
``status()``. Failures are :class:`PrinterError` with a stable ``reason`` the print worker and
status bar use: a job that fails for a printer reason waits; it is never marked printed.

URLs::

    usb://0416:5011            (VID:PID, hex) -> the matching /dev/usb/lpN (Linux usblp driver)
    usb:///dev/usb/lp0         a usblp device node directly
    tcp://192.168.1.50:9100    raw network printing (port defaults to 9100)
    serial:///dev/ttyUSB0?baud=19200    (or any pyserial URL: serial://socket://host:port)
    file:///var/lib/store-edge/printer.bin   (simulator: appends bytes to the file)

Status on bidirectional transports (TCP, serial, usblp) uses the printer's real-time query:
DLE EOT 1/2/4 for ESC/POS, ``ESC ! ?`` for TSPL label printers (``open_printer(url, "tspl")``).
A printer that answers neither can be used with ``?status=none`` on the URL: it is then
"online" whenever the transport opens, and paper-out shows only on the printer itself.
The file printer is online unless its path is not writable; flag files next to it force a
state for tests and demos: ``<file>.paper_out``, ``<file>.offline``, ``<file>.cover_open``.
"""
from __future__ import annotations

import errno
import glob
import os
import select
import socket
import time
from abc import ABC, abstractmethod
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol
from urllib.parse import parse_qs, urlparse

REASONS = ("offline", "paper_out", "cover_open", "not_writable", "permission_denied",
           "not_found", "bad_url", "io_error", "bad_reply")


class PrinterError(Exception):
    """``reason`` is one of :data:`REASONS`; the message is technical detail for the log."""

    def __init__(self, reason: str, message: str = "") -> None:
        super().__init__(f"{reason}: {message}" if message else reason)
        self.reason = reason
        self.message = message


@dataclass(frozen=True)
class PrinterStatus:
    online: bool
    paper_out: bool = False
    cover_open: bool = False
    error_message: str = ""
    paper_near_end: bool = False
    reason: str = ""  # same codes as PrinterError.reason; "" when ready

    @property
    def ready(self) -> bool:
        return self.online and not self.paper_out and not self.cover_open


class PrinterConnection(Protocol):
    url: str

    def send(self, data: bytes) -> None: ...

    def status(self) -> PrinterStatus: ...

    def close(self) -> None: ...


# ---------------------------------------------------------------- DLE EOT

DLE_EOT = b"\x10\x04"


def parse_dle_eot(printer: int | None, offline: int | None, paper: int | None) -> PrinterStatus:
    """Decode the three real-time status bytes (n=1 printer, n=2 offline cause, n=4 paper)."""
    def valid(b: int | None) -> bool:
        return b is not None and (b & 0x93) == 0x12  # fixed bits: 1 and 4 set, 0 and 7 clear

    if not valid(printer):
        return PrinterStatus(False, error_message="no or invalid status reply", reason="offline")
    is_offline = bool(printer & 0x08)  # type: ignore[operator]
    cover = bool(valid(offline) and offline & 0x04)  # type: ignore[operator]
    paper_end = bool(valid(paper) and paper & 0x60) or bool(valid(offline) and offline & 0x20)  # type: ignore[operator]
    near_end = bool(valid(paper) and paper & 0x0C)  # type: ignore[operator]
    reason = "cover_open" if cover else "paper_out" if paper_end else "offline" if is_offline else ""
    # "online" = powered and answering; paper out or cover open is reported apart
    return PrinterStatus(not is_offline or cover or paper_end, paper_end, cover, "", near_end, reason)


# ---------------------------------------------------------------- transports

class FilePrinter:
    """Simulator: every job is appended to a file (view it with ``escpos_decode``)."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.url = f"file://{self.path}"

    def _flag(self, name: str) -> bool:
        return Path(f"{self.path}.{name}").exists()

    def status(self) -> PrinterStatus:
        target = self.path if self.path.exists() else self.path.parent
        if not target.exists() or not os.access(target, os.W_OK):
            return PrinterStatus(False, error_message=f"{target} is not writable", reason="not_writable")
        if self._flag("offline"):
            return PrinterStatus(False, error_message="simulated offline", reason="offline")
        cover, paper = self._flag("cover_open"), self._flag("paper_out")
        reason = "cover_open" if cover else "paper_out" if paper else ""
        return PrinterStatus(True, paper, cover, "", False, reason)

    def send(self, data: bytes) -> None:
        st = self.status()
        if not st.ready:
            raise PrinterError(st.reason or "offline", st.error_message)
        try:
            with open(self.path, "ab") as f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
        except OSError as e:
            raise PrinterError("io_error", str(e)) from e

    def close(self) -> None:
        pass


class _QueryingPrinter(ABC):
    """A printer on a byte stream that answers status queries (TCP 9100, serial).

    Each status check and each job opens its own short connection (many printers take only
    one at a time); a job is sent only after the printer said it is ready, so a job refused
    for paper-out or a closed cover was never half printed."""

    url: str
    query: str

    @abstractmethod
    def _open(self):
        """A context-managed connection; raises PrinterError when the printer is unreachable."""

    @abstractmethod
    def _write(self, conn, data: bytes) -> None:
        """Send bytes and make sure they left."""

    @abstractmethod
    def _read1(self, conn) -> int | None:
        """One status byte, or None when the printer does not answer in time."""

    def status(self) -> PrinterStatus:
        try:
            with self._open() as conn:
                return _query_status(lambda b: self._write(conn, b), lambda: self._read1(conn),
                                     self.query)
        except PrinterError as e:
            return PrinterStatus(False, error_message=e.message, reason=e.reason)
        except OSError as e:  # pyserial's SerialException is an OSError too
            return PrinterStatus(False, error_message=str(e), reason="offline")

    def send(self, data: bytes) -> None:
        st = self.status()
        if not st.ready:
            raise PrinterError(st.reason or "offline", st.error_message)
        try:
            with self._open() as conn:
                self._write(conn, data)
        except OSError as e:
            raise PrinterError("offline", str(e)) from e

    def close(self) -> None:
        pass


class TcpPrinter(_QueryingPrinter):
    """Raw port 9100 printing."""

    def __init__(self, host: str, port: int = 9100, timeout: float = 3.0, query: str = "escpos") -> None:
        self.host, self.port, self.timeout, self.query = host, port, timeout, query
        self.url = f"tcp://{host}:{port}"

    def _open(self) -> socket.socket:
        try:
            return socket.create_connection((self.host, self.port), timeout=self.timeout)
        except OSError as e:
            raise PrinterError("offline", f"{self.url}: {e}") from e

    def _write(self, conn: socket.socket, data: bytes) -> None:
        conn.sendall(data)

    def _read1(self, conn: socket.socket) -> int | None:
        return _recv1(conn)


def _recv1(s: socket.socket) -> int | None:
    try:
        b = s.recv(1)
    except socket.timeout:
        return None
    return b[0] if b else None


TSPL_STATUS = b"\x1b!?"
STATUS_QUERIES = ("escpos", "tspl", "none")


# The replies the TSPL manual lists for ``ESC ! ?``: any mix of bit0 head open, bit1 paper
# jam, bit2 out of paper, bit3 out of ribbon; or alone bit4 paused, bit5 printing, bit7 other.
TSPL_REPLIES = frozenset(range(0x10)) | {0x10, 0x20, 0x80}


def parse_tspl_status(b: int | None) -> PrinterStatus:
    """TSPL ``ESC ! ?`` reply. A byte the manual does not list is not read as a state (an
    ESC/POS printer or a wrong baud rate answers noise): it is reported as ``bad_reply``."""
    if b is None:
        return PrinterStatus(False, error_message="no status reply", reason="offline")
    if b not in TSPL_REPLIES:
        return PrinterStatus(False, error_message=f"status reply 0x{b:02x} is not TSPL",
                             reason="bad_reply")
    if b & 0x01:
        return PrinterStatus(True, cover_open=True, reason="cover_open")
    if b & 0x0C:
        return PrinterStatus(True, paper_out=True, reason="paper_out",
                             error_message="out of ribbon" if b & 0x08 else "")
    if b & 0x92:
        return PrinterStatus(False, error_message=f"printer error 0x{b:02x}", reason="offline")
    return PrinterStatus(True)


def _query_status(write, read1, query: str = "escpos") -> PrinterStatus:
    if query == "none":
        return PrinterStatus(True, error_message="status not queried")
    if query == "tspl":
        write(TSPL_STATUS)
        return parse_tspl_status(read1())
    replies = []
    for n in (1, 2, 4):
        write(DLE_EOT + bytes([n]))
        replies.append(read1())
    return parse_dle_eot(*replies)


class SerialPrinter(_QueryingPrinter):
    def __init__(self, port: str, baud: int = 9600, timeout: float = 1.0, query: str = "escpos") -> None:
        self.port, self.baud, self.timeout, self.query = port, baud, timeout, query
        self.url = f"serial://{port}?baud={baud}"

    def _open(self):
        import serial

        try:
            return serial.serial_for_url(self.port, baudrate=self.baud, timeout=self.timeout,
                                         write_timeout=10)
        except (serial.SerialException, OSError) as e:
            reason = "permission_denied" if "ermission" in str(e) else "offline"
            raise PrinterError(reason, str(e)) from e

    def _write(self, conn, data: bytes) -> None:
        conn.write(data)
        conn.flush()

    def _read1(self, conn) -> int | None:
        return (conn.read(1) or [None])[0]


class UsbLpPrinter:
    """USB printers through the Linux usblp driver (``/dev/usb/lpN``): no libusb needed."""

    def __init__(self, device: str | None, url: str | None = None,
                 vid_pid: tuple[int, int] | None = None, query: str = "escpos") -> None:
        self._device = device
        self.query = query
        self.vid_pid = vid_pid
        self.url = url or f"usb://{device}"

    @property
    def device(self) -> str:
        """Resolved at each use: the lpN number changes when the printer is replugged."""
        if self.vid_pid:
            found = find_usblp(*self.vid_pid)
            if found:
                return found
            return "/dev/usb/lp?-%04x:%04x" % self.vid_pid
        return self._device or ""

    def _open(self) -> int:
        try:
            return os.open(self.device, os.O_RDWR | os.O_NONBLOCK)
        except FileNotFoundError as e:
            raise PrinterError("not_found", f"{self.device}: unplugged or switched off") from e
        except PermissionError as e:
            raise PrinterError("permission_denied", f"{self.device}: {e}") from e
        except OSError as e:
            raise PrinterError("offline", f"{self.device}: {e}") from e

    def status(self) -> PrinterStatus:
        try:
            fd = self._open()
        except PrinterError as e:
            return PrinterStatus(False, error_message=e.message, reason=e.reason)
        try:
            def read1() -> int | None:
                r, _, _ = select.select([fd], [], [], 0.5)
                if not r:
                    return None
                try:
                    b = os.read(fd, 1)
                except OSError:
                    return None
                return b[0] if b else None

            st = _query_status(lambda b: os.write(fd, b), read1, self.query)
            if not st.online and st.error_message in ("no or invalid status reply", "no status reply"):
                # many USB printers do not answer DLE EOT over usblp; the node exists, so try
                return PrinterStatus(True, error_message="status unknown (no reply)")
            return st
        except OSError as e:
            return PrinterStatus(False, error_message=str(e), reason="offline")
        finally:
            os.close(fd)

    def send(self, data: bytes) -> None:
        st = self.status()
        if not st.ready:
            raise PrinterError(st.reason or "offline", st.error_message)
        fd = self._open()
        try:
            view = memoryview(data)
            deadline = time.monotonic() + 30
            while view:
                try:
                    n = os.write(fd, view)
                    view = view[n:]
                except BlockingIOError:
                    if time.monotonic() > deadline:
                        raise PrinterError("offline", "printer stopped taking data")
                    select.select([], [fd], [], 1.0)
        except OSError as e:
            raise PrinterError("offline" if e.errno != errno.EACCES else "permission_denied", str(e)) from e
        finally:
            os.close(fd)

    def close(self) -> None:
        pass


def find_usblp(vid: int, pid: int) -> str | None:
    """The /dev/usb/lpN whose USB device has this VID:PID, from sysfs."""
    for node in sorted(glob.glob("/sys/class/usbmisc/lp*")):
        dev = os.path.realpath(os.path.join(node, "device"))
        for d in (dev, os.path.dirname(dev)):
            try:
                v = int(Path(d, "idVendor").read_text().strip(), 16)
                p = int(Path(d, "idProduct").read_text().strip(), 16)
            except (OSError, ValueError):
                continue
            if (v, p) == (vid, pid):
                return f"/dev/usb/{os.path.basename(node)}"
    return None


def open_printer(url: str, protocol: str = "escpos") -> PrinterConnection:
    """Connection for ``url`` (see module doc); ``protocol`` (escpos|tspl) picks the status query.
    Raises ``PrinterError("bad_url")`` when the URL cannot be used."""
    u = urlparse(url)
    query = parse_qs(u.query).get("status", [protocol])[0]
    if query not in STATUS_QUERIES:
        raise PrinterError("bad_url", f"{url}: status= must be one of {', '.join(STATUS_QUERIES)}")
    if u.scheme == "file":
        path = u.path or u.netloc
        if not path:
            raise PrinterError("bad_url", f"{url}: file:// needs a path, e.g. file:///tmp/printer.bin")
        return FilePrinter(path)
    if u.scheme == "tcp":
        if not u.hostname:
            raise PrinterError("bad_url", f"{url}: expected tcp://HOST:9100")
        try:
            port = u.port or 9100
        except ValueError as e:
            raise PrinterError("bad_url", f"{url}: {e}") from e
        return TcpPrinter(u.hostname, port, query=query)
    if u.scheme == "serial":
        # serial:///dev/ttyUSB0?baud=19200, or a pyserial URL: serial://socket://host:port
        rest, _, url_query = url[len("serial://"):].partition("?")
        if not rest or not (rest.startswith("/") or "://" in rest or rest.upper().startswith("COM")):
            raise PrinterError("bad_url", f"{url}: expected serial:///dev/ttyUSB0?baud=9600")
        q = parse_qs(url_query)
        try:
            baud = int(q.get("baud", ["9600"])[0])
        except ValueError:
            raise PrinterError("bad_url", f"{url}: baud must be a number") from None
        return SerialPrinter(rest, baud, query=query)
    if u.scheme == "usb":
        if u.path and not u.netloc:
            if not u.path.startswith("/dev/"):
                raise PrinterError("bad_url", f"{url}: expected usb://VID:PID or usb:///dev/usb/lp0")
            return UsbLpPrinter(u.path, url, query=query)
        try:
            vid_s, pid_s = u.netloc.split(":")
            vid, pid = int(vid_s, 16), int(pid_s, 16)
        except ValueError:
            raise PrinterError("bad_url", f"{url}: expected usb://VID:PID in hex, e.g. usb://0416:5011") from None
        # status() says "not_found" until the printer is plugged in
        return UsbLpPrinter(None, url, (vid, pid), query)
    raise PrinterError("bad_url", f"{url}: unknown scheme; use usb://, tcp://, serial:// or file://")
