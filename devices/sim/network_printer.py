"""A network receipt printer on a loopback port: stores what it receives, answers DLE EOT.

Lets tests and the demo use ``tcp://127.0.0.1:PORT`` with real status replies, and switch it
to paper-out or cover-open.
"""
from __future__ import annotations

import socket
import threading

from devices.worker import BackgroundWorker


def status_byte(offline: bool = False, paper_out: bool = False, cover_open: bool = False,
                n: int = 1) -> int:
    """The reply a printer gives to DLE EOT n (decoded by connections.parse_dle_eot)."""
    b = 0x12
    if n == 1 and (offline or paper_out or cover_open):
        b |= 0x08
    if n == 2:
        b |= (0x04 if cover_open else 0) | (0x20 if paper_out else 0)
    if n == 4 and paper_out:
        b |= 0x60
    return b


class SimNetworkPrinter(BackgroundWorker):
    thread_name = "sim-net-printer"

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        """Answers ESC/POS ``DLE EOT n`` and TSPL ``ESC ! ?`` status queries."""
        super().__init__()
        self.paper_out = False
        self.cover_open = False
        self.received = bytearray()
        self.queries: list[str] = []  # "escpos" / "tspl": which status queries it was asked
        self._lock = threading.Lock()
        self._srv = socket.create_server((host, port))
        self._srv.settimeout(0.2)
        self.host, self.port = self._srv.getsockname()[:2]

    @property
    def url(self) -> str:
        return f"tcp://{self.host}:{self.port}"

    def data(self) -> bytes:
        with self._lock:
            return bytes(self.received)

    def run(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._srv.accept()
            except (socket.timeout, OSError):
                continue
            with conn:
                self._serve(conn)

    def _serve(self, conn: socket.socket) -> None:
        conn.settimeout(0.2)
        pending = b""
        while not self._stop.is_set():
            try:
                chunk = conn.recv(65536)
            except socket.timeout:
                continue
            except OSError:
                chunk = b""
            if not chunk:  # connection closed: bytes held back as a possible query were data
                with self._lock:
                    self.received += pending
                return
            data = pending + chunk
            job = bytearray()
            i = 0
            while i < len(data):
                if data[i] == 0x10 and data[i + 1 : i + 2] == b"\x04":
                    if i + 2 >= len(data):
                        break  # query split across reads: wait for its last byte
                    n = data[i + 2]
                    self.queries.append("escpos")
                    conn.sendall(bytes([status_byte(False, self.paper_out, self.cover_open, n)]))
                    i += 3
                    continue
                if data[i] == 0x1B and data[i + 1 : i + 3] == b"!?":
                    tspl = (0x01 if self.cover_open else 0) | (0x04 if self.paper_out else 0)
                    self.queries.append("tspl")
                    conn.sendall(bytes([tspl]))
                    i += 3
                    continue
                if data[i] in (0x10, 0x1B) and len(data) - i < 3:
                    break  # maybe the start of a query split across reads
                job.append(data[i])
                i += 1
            pending = data[i:]
            with self._lock:
                self.received += job

    def stop(self, timeout: float = 5.0) -> None:
        super().stop(timeout)
        self._srv.close()
