"""A Modbus RTU slave simulator on a pty: several temperature probes (slave ids) on one bus.

Answers function 3/4 (read holding/input registers) with the temperature ×10 as a signed
16-bit value in every requested register; anything else gets a Modbus exception reply, and
frames with a bad CRC are ignored, as on a real bus. Enough for minimalmodbus and for tests.
"""
from __future__ import annotations

import struct
import threading

from devices.sim.pty import PtyPair
from devices.worker import BackgroundWorker


def crc16(data: bytes) -> bytes:
    """Modbus CRC-16 (poly 0xA001, init 0xFFFF), little-endian on the wire."""
    crc = 0xFFFF
    for b in data:
        crc ^= b
        for _ in range(8):
            crc = (crc >> 1) ^ 0xA001 if crc & 1 else crc >> 1
    return struct.pack("<H", crc)


class SimModbusSlave(BackgroundWorker):
    thread_name = "sim-modbus"

    def __init__(self, slaves: dict[int, float] | None = None) -> None:
        super().__init__()
        self.temps = dict(slaves or {1: 3.5, 2: -19.0})
        self.silent: set[int] = set()
        self.requests = 0
        self._lock = threading.Lock()
        self._pty = PtyPair()

    @property
    def port(self) -> str:
        return self._pty.port

    def set_temperature(self, slave: int, celsius: float) -> None:
        with self._lock:
            self.temps[slave] = celsius

    def go_silent(self, slave: int, silent: bool = True) -> None:
        with self._lock:
            (self.silent.add if silent else self.silent.discard)(slave)

    def answer(self, frame: bytes) -> bytes | None:
        """The reply to one request frame, or None (not for us, bad CRC, silent)."""
        if len(frame) < 4 or crc16(frame[:-2]) != frame[-2:]:
            return None
        slave, fn = frame[0], frame[1]
        with self._lock:
            if slave not in self.temps or slave in self.silent:
                return None
            temp = self.temps[slave]
        if fn in (3, 4) and len(frame) == 8:
            _addr, count = struct.unpack(">HH", frame[2:6])
            if not 1 <= count <= 125:
                body = bytes([slave, fn | 0x80, 3])
            else:
                value = struct.pack(">h", int(round(temp * 10)))
                body = bytes([slave, fn, 2 * count]) + value * count
        else:
            body = bytes([slave, fn | 0x80, 1])  # illegal function
        return body + crc16(body)

    def run(self) -> None:
        buf = b""
        while not self._stop.is_set():
            chunk = self._pty.read(timeout=0.05)
            if chunk:
                buf += chunk
                continue
            if buf:  # a silent gap ends an RTU frame
                self.requests += 1
                reply = self.answer(buf)
                buf = b""
                if reply:
                    try:
                        self._pty.write(reply)
                    except OSError:
                        return

    def stop(self, timeout: float = 5.0) -> None:
        super().stop(timeout)
        self._pty.close()
