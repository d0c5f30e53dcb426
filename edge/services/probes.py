"""Temperature probes in the background: devices' ProbeReader per port, feeding the domain.

Readers (one thread per serial port) only put what they hear on a queue; one writer thread
owns the database connection and turns it into domain calls (record_reading, count_line_error,
report_silent) and, every ``evaluate_s``, raises what is due by the clock. One writer keeps
the store's write lock short and ordered however many ports there are.
"""

from __future__ import annotations

import logging
import queue
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from devices import factory
from devices.probes import ProbeReader, Reading
from devices.status import DeviceStatus
from devices.worker import BackgroundWorker
from edge.clock import utcnow
from edge.domain import temperatures
from edge.domain.temperatures import Fridge
from edge.i18n import t
from edge.services.callbacks import notify
from edge.store import Store

log = logging.getLogger(__name__)


def fridges_from_config(ports: list[Any]) -> list[Fridge]:
    """Fridges from devices.config ProbePortConfig entries (limits already defaulted)."""
    result = []
    for port in ports:
        for p in port.probes:
            max_c = p.max_c if p.max_c is not None else temperatures.DEFAULT_MAX_C[p.zone]
            result.append(Fridge(p.probe_id, p.fridge, p.zone, float(max_c), None,
                                 int(p.grace_s), int(port.silent_after_s)))
    return result


def reader_for(port: Any, sink: Callable[[str, object], None]) -> ProbeReader:
    """The port's reader (devices.factory builds it), its callbacks feeding ``sink(kind, item)``."""
    return factory.probe_reader(port, on_reading=lambda r: sink("reading", r),
                                on_error=lambda e: sink("error", (port.url, e)),
                                on_status=lambda s: sink("status", s))


@dataclass
class PortState:
    url: str
    state: str = "connecting"
    reason: str = ""


class ProbeWriter(BackgroundWorker):
    """The one thread that writes probe facts into the store."""

    thread_name = "probe-writer"

    def __init__(self, data_dir: Path, fridges: list[Fridge], *, evaluate_s: float = 5.0,
                 clock: Callable[[], datetime] = utcnow,
                 on_change: Callable[[], None] | None = None) -> None:
        super().__init__()
        self.data_dir = Path(data_dir)
        self.fridges = fridges
        self.evaluate_s = evaluate_s
        self.clock = clock
        self.on_change = on_change
        self.inbox: queue.Queue[tuple[str, object]] = queue.Queue()
        self.started_at: datetime | None = None
        self.ports: dict[str, PortState] = {}
        self.handled = 0

    def put(self, kind: str, item: object) -> None:
        self.inbox.put((kind, item))

    def run(self) -> None:
        store = Store.open(self.data_dir)
        try:
            temperatures.configure_fridges(store, self.fridges, now=self.clock())
            self.started_at = self.clock()
            self._loop(store)
        finally:
            store.close()

    def _loop(self, store: Store) -> None:
        next_eval = 0.0
        while not self._stop.is_set():
            try:
                kind, item = self.inbox.get(timeout=0.2)
            except queue.Empty:
                kind, item = "", None
            if kind:
                self._handle(store, kind, item)
            if time.monotonic() >= next_eval:
                next_eval = time.monotonic() + self.evaluate_s
                self._safely(lambda: temperatures.evaluate(
                    store, now=self.clock(), watching_since=self.started_at), notify=True)

    def _handle(self, store: Store, kind: str, item: object) -> None:
        self.handled += 1
        if kind == "reading":
            r: Reading = item  # type: ignore[assignment]
            self._safely(lambda: temperatures.record_reading(
                store, r.reading_id, r.probe_id, r.celsius, r.at, seq=r.seq, now=self.clock()),
                notify=True)
        elif kind == "error":
            url, e = item  # type: ignore[misc]
            self._safely(lambda: temperatures.count_line_error(
                store, url, e.reason, e.raw, now=self.clock()))
        elif kind == "status":
            self._status(store, item)  # type: ignore[arg-type]

    def _status(self, store: Store, st: DeviceStatus) -> None:
        if st.state == "silent":
            self._safely(lambda: temperatures.report_silent(
                store, st.device, reason=st.reason or "probe_silent", now=self.clock()), notify=True)
            return
        if st.device in self.ports:  # a port (url); probe ids come only as silent/back
            self.ports[st.device] = PortState(st.device, st.state, st.reason)
            self._notify()

    def _safely(self, action: Callable[[], object], notify: bool = False) -> None:
        try:
            result = action()
        except Exception:  # a bad reading or a locked database must not stop the cold chain
            log.exception("probe writer step failed")
            return
        if notify and result:
            self._notify()

    def _notify(self) -> None:
        notify(self.on_change, "probe")


class ProbeService:
    """Readers for every configured probe port, and the writer they feed."""

    def __init__(self, data_dir: str | Path, ports: list[Any], *,
                 on_change: Callable[[], None] | None = None, evaluate_s: float = 5.0,
                 clock: Callable[[], datetime] = utcnow) -> None:
        self.ports = list(ports)
        self.writer = ProbeWriter(Path(data_dir), fridges_from_config(self.ports),
                                  evaluate_s=evaluate_s, clock=clock, on_change=on_change)
        self.readers: list[ProbeReader] = []

    def start(self) -> "ProbeService":
        self.writer.start()
        for port in self.ports:
            reader = reader_for(port, self.writer.put)
            self.writer.ports[port.url] = PortState(port.url)
            self.readers.append(reader)
            reader.start()
        return self

    def stop(self) -> None:
        for reader in self.readers:
            reader.stop()
        self.readers.clear()
        self.writer.stop()

    def notices(self, lang: str) -> list[str]:
        """Ports that are offline, for the status bar (alarms have their own banner)."""
        return [t("dev.device.offline", lang, device=p.url, reason=p.reason or p.state)
                for p in self.writer.ports.values() if p.state == "offline"]

