"""The probe reader: one daemon thread per serial port, ASCII lines or Modbus RTU polls.

It turns the port into three kinds of calls: ``on_reading(Reading)``, ``on_error(ProbeLineError)``
for every malformed line or failed poll (also counted in ``errors`` and logged), and
``on_status(DeviceStatus)`` when the port goes offline/online or a probe falls silent
(no reading for ``silent_after_s``) or comes back. Limits and alarms are the app's business:
the reader only reports facts.
"""
from __future__ import annotations

import collections
import dataclasses
import logging
import time
from typing import Callable, Iterable, Literal

from devices.probes.ascii_protocol import parse_line
from devices.probes.modbus import ModbusPort, ModbusProbe, SerialErrors
from devices.probes.readings import ProbeLineError, Reading
from devices.serial_lines import SerialLineWorker, port_error_reason
from devices.status import DeviceStatus, StatusCallback, safe_call

log = logging.getLogger(__name__)


class ProbeReader(SerialLineWorker):
    thread_name = "probe-reader"

    def __init__(
        self,
        url: str,
        protocol: Literal["ascii", "modbus"] = "ascii",
        probe_ids: Iterable[str | ModbusProbe] = (),
        on_reading: Callable[[Reading], None] | None = None,
        on_error: Callable[[ProbeLineError], None] | None = None,
        on_status: StatusCallback | None = None,
        baud: int = 9600,
        silent_after_s: float = 120.0,
        poll_s: float = 5.0,
        reconnect_s: float = 2.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if protocol not in ("ascii", "modbus"):
            raise ValueError(f"protocol must be 'ascii' or 'modbus', not {protocol!r}")
        super().__init__(url, baud, b"\n", on_status, reconnect_s, max_line=256, any_eol=True)
        self.protocol = protocol
        items = list(probe_ids)
        self.modbus_probes = [p for p in items if isinstance(p, ModbusProbe)]
        if protocol == "modbus" and (not self.modbus_probes or len(self.modbus_probes) != len(items)):
            raise ValueError("modbus probes need ModbusProbe(probe_id, slave, ...) entries")
        self.probe_ids = [p.probe_id if isinstance(p, ModbusProbe) else p for p in items]
        self.on_reading = on_reading
        self.on_error = on_error
        self.silent_after_s = silent_after_s
        self.poll_s = poll_s
        self.clock = clock
        self.readings = 0
        self.errors: collections.Counter[str] = collections.Counter()
        self.last_seen: dict[str, float] = {}
        self.silent: set[str] = set()
        self._last_seq: dict[str, tuple[int, str]] = {}  # probe id -> (seq, reading_id)
        self._started_at = clock()

    # ---------------------------------------------------------------- results
    def _reading(self, r: Reading) -> None:
        if self.probe_ids and r.probe_id not in self.probe_ids:
            self._error(ProbeLineError("unknown_probe", b"", r.probe_id,
                                       f"configured: {', '.join(self.probe_ids)}"))
            return
        r = self._same_as_last(r)
        self.readings += 1
        self.last_seen[r.probe_id] = self.clock()
        if r.probe_id in self.silent:
            self.silent.discard(r.probe_id)
            safe_call(self.on_status, DeviceStatus(r.probe_id, "online", "probe_back"))
        safe_call(self.on_reading, r)

    def _same_as_last(self, r: Reading) -> Reading:
        """A line repeated by the probe (same seq as its last one) is the same reading: it keeps
        the first one's ``reading_id``, so the store, which keeps each id once, keeps it once.
        A seq that moves on, or back (the probe restarted), is a new reading."""
        if r.seq is None:
            return r
        last = self._last_seq.get(r.probe_id)
        if last is not None and last[0] == r.seq:
            return dataclasses.replace(r, reading_id=last[1])
        self._last_seq[r.probe_id] = (r.seq, r.reading_id)
        return r

    def _error(self, e: ProbeLineError) -> None:
        if self.errors[e.reason] == 0:
            log.warning("%s: %s %r %s (further ones counted only)", self.url, e.reason, e.raw, e.detail)
        else:
            log.debug("%s: %s %r", self.url, e.reason, e.raw)
        self.errors[e.reason] += 1
        safe_call(self.on_error, e)

    def handle_line(self, line: bytes) -> None:
        r = parse_line(line)
        if isinstance(r, Reading):
            self._reading(r)
        else:
            self._error(r)

    def handle_overflow(self, chunk: bytes) -> None:
        self._error(ProbeLineError("too_long", chunk[:96]))

    def tick(self) -> None:
        """Watchdog: a configured probe with no reading for ``silent_after_s`` is reported once."""
        now = self.clock()
        for pid in self.probe_ids:
            last = self.last_seen.get(pid, self._started_at)
            if pid not in self.silent and now - last > self.silent_after_s:
                self.silent.add(pid)
                safe_call(self.on_status, DeviceStatus(pid, "silent", "probe_silent",
                                                       f"no reading for {now - last:.0f} s"))

    # ---------------------------------------------------------------- modbus
    def run(self) -> None:
        self._started_at = self.clock()
        if self.protocol == "ascii":
            super().run()
            return
        port: ModbusPort | None = None
        while not self._stop.is_set():
            if port is None:
                port = ModbusPort(self.url, self.modbus_probes, self.baud)
            try:
                for p in self.modbus_probes:
                    if self._stop.is_set():
                        break
                    r = port.poll(p)
                    self._set_status("online")
                    if isinstance(r, Reading):
                        self._reading(r)
                    else:
                        self._error(r)
            except SerialErrors as e:
                self._set_status("offline", port_error_reason(e), str(e))
                port.close()
                port = None
            self.tick()
            self._stop.wait(self.poll_s if port is not None else self.reconnect_s)
        if port is not None:
            port.close()
        self._set_status("stopped")
