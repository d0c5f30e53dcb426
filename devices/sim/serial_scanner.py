"""A serial barcode scanner on a pty: ``scan("...")`` sends a code as the real one would."""
from __future__ import annotations

from devices.sim.pty import PtyPair


class SimSerialScanner:
    """Usage::

        with SimSerialScanner() as sim, SerialScanner(sim.port, on_scan=print):
            sim.scan("PK:123456")
    """

    def __init__(self, terminator: bytes = b"\r") -> None:
        self.terminator = terminator
        self._pty: PtyPair | None = None

    @property
    def port(self) -> str:
        if self._pty is None:
            raise RuntimeError("simulator not started")
        return self._pty.port

    def start(self) -> "SimSerialScanner":
        if self._pty is None:
            self._pty = PtyPair()
        return self

    def stop(self) -> None:
        if self._pty is not None:
            self._pty.close()
            self._pty = None

    def scan(self, code: str) -> None:
        self.send_raw(code.encode("utf-8") + self.terminator)

    def send_raw(self, data: bytes) -> None:
        """Anything at all: garbage, half codes, a wrong-baud mess."""
        if self._pty is None:
            raise RuntimeError("simulator not started")
        self._pty.write(data)

    def unplug(self) -> None:
        self.stop()

    def __enter__(self) -> "SimSerialScanner":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
