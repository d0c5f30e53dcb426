"""A drifting temperature probe board on a pty, speaking the ASCII protocol.

Every ``interval_s`` each probe sends a reading that wanders around its set point. It can be
told to fail: ``go_silent()``, ``send_garbage()``, ``drift_to(probe, 9.0, per_reading=0.5)``
(a fridge door left open), ``unplug()``. Tests call ``emit()`` to send readings on demand,
with no thread and no timing.
"""
from __future__ import annotations

import random
import threading

from devices.probes.ascii_protocol import format_line
from devices.sim.pty import PtyPair
from devices.worker import BackgroundWorker


class SimProbe(BackgroundWorker):
    thread_name = "sim-probe"

    def __init__(self, probes: dict[str, float] | None = None, interval_s: float | None = 5.0,
                 noise_c: float = 0.15, seed: int | None = None, checksum: bool = True) -> None:
        super().__init__()
        self.setpoints = dict(probes or {"F1": 3.0, "Z1": -19.0})
        self.temps = dict(self.setpoints)
        self.targets: dict[str, tuple[float, float]] = {}
        self.interval_s = interval_s
        self.noise_c = noise_c
        self.checksum = checksum
        self.rng = random.Random(seed)
        self.seq = {p: 0 for p in self.setpoints}
        self.silent_probes: set[str] = set()
        self._lock = threading.Lock()
        self._pty: PtyPair | None = PtyPair()

    @property
    def port(self) -> str:
        if self._pty is None:
            raise RuntimeError("probe unplugged")
        return self._pty.port

    # ---------------------------------------------------------------- faults
    def go_silent(self, probe_id: str | None = None, silent: bool = True) -> None:
        """Stop (or resume) sending for one probe, or all with ``probe_id=None``."""
        ids = [probe_id] if probe_id else list(self.setpoints)
        with self._lock:
            for p in ids:
                (self.silent_probes.add if silent else self.silent_probes.discard)(p)

    def drift_to(self, probe_id: str, target_c: float, per_reading: float = 0.5) -> None:
        """Move the temperature towards ``target_c`` by ``per_reading`` °C per reading."""
        with self._lock:
            self.targets[probe_id] = (target_c, abs(per_reading))

    def set_temperature(self, probe_id: str, celsius: float) -> None:
        with self._lock:
            self.temps[probe_id] = celsius
            self.targets.pop(probe_id, None)

    def send_garbage(self, data: bytes | None = None) -> None:
        self.send_raw(data if data is not None else bytes(self.rng.randrange(256) for _ in range(20)) + b"\r\n")

    def send_raw(self, data: bytes) -> None:
        if self._pty is not None:
            self._pty.write(data)

    def unplug(self) -> None:
        if self._pty is not None:
            self._pty.close()
            self._pty = None

    # ---------------------------------------------------------------- readings
    def _next_temp(self, p: str) -> float:
        t = self.temps[p]
        if p in self.targets:
            target, step = self.targets[p]
            t = target if abs(target - t) <= step else t + (step if target > t else -step)
            self.temps[p] = t
        return round(t + self.rng.gauss(0, self.noise_c), 2) if self.noise_c else round(t, 2)

    def emit(self, probe_id: str | None = None) -> list[bytes]:
        """Send one reading for one probe (or every non-silent probe); returns the lines sent."""
        sent = []
        with self._lock:
            ids = [probe_id] if probe_id else [p for p in self.setpoints if p not in self.silent_probes]
            for p in ids:
                self.seq[p] = (self.seq[p] + 1) % 2**32
                line = format_line(p, self._next_temp(p), self.seq[p], self.checksum)
                sent.append(line)
        for line in sent:
            self.send_raw(line)
        return sent

    def run(self) -> None:
        if not self.interval_s:  # manual mode: readings only on emit()
            self._stop.wait()
            return
        while not self._stop.wait(self.interval_s):
            try:
                self.emit()
            except OSError:
                return

    def stop(self, timeout: float = 5.0) -> None:
        super().stop(timeout)
        self.unplug()
