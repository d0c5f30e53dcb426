"""Pseudo-terminal pairs: the simulator holds the master end, drivers open the slave path as a
serial port, exactly as they would open /dev/ttyUSB0."""
from __future__ import annotations

import os
import select
import termios
import tty


class PtyPair:
    """A raw pty. ``port`` is the path a driver opens; ``write``/``read`` act on the device side.

    The slave fd is kept open by us so the port survives the driver closing and reopening it;
    :meth:`close` (or :meth:`unplug`) removes it, which the driver sees as an unplugged device.
    """

    def __init__(self) -> None:
        self.master, self._slave = os.openpty()
        tty.setraw(self._slave, termios.TCSANOW)  # no echo, no CR->LF mangling before pyserial opens
        self.port = os.ttyname(self._slave)
        os.set_blocking(self.master, False)
        self.closed = False

    def write(self, data: bytes) -> None:
        if self.closed:
            raise OSError("pty closed (device unplugged)")
        view = memoryview(data)
        while view:
            try:
                n = os.write(self.master, view)
                view = view[n:]
            except BlockingIOError:
                select.select([], [self.master], [], 0.5)

    def read(self, timeout: float = 0.1, max_bytes: int = 4096) -> bytes:
        """Bytes the driver wrote (e.g. a Modbus request); b"" after ``timeout``."""
        if self.closed:
            return b""
        r, _, _ = select.select([self.master], [], [], timeout)
        if not r:
            return b""
        try:
            return os.read(self.master, max_bytes)
        except (BlockingIOError, OSError):
            return b""

    def close(self) -> None:
        if self.closed:
            return
        self.closed = True
        for fd in (self.master, self._slave):
            try:
                os.close(fd)
            except OSError:
                pass

    unplug = close
