"""All device services of one terminal, started from the config's ``[devices]`` table.

The app makes one ``DeviceHub`` and gives it two callbacks, both called from background
threads (the app wraps them with ``call_from_thread``):

* ``on_scan(ScanEvent)`` — a code from a serial scanner or camera;
* ``on_change()`` — printer status, print queue, readings or alarms changed: refresh notices.

A config error never stops the app: devices stay off and ``config_error`` says why (status bar).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from devices.config import DeviceConfigError, DevicesConfig, parse_devices_config
from edge import config as config_mod
from edge.domain.print_docs import PrintSettings, settings_from_config
from edge.services.printing import PrintService
from edge.services.probes import ProbeService
from devices import factory
from edge.services.scanning import ScanEvent, ScannerService

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class HubNotice:
    """One line for the status bar. ``source`` lets the app replace it; level: warning|error."""

    source: str
    text: str
    level: str = "warning"


class DeviceHub:
    def __init__(self, cfg: config_mod.Config, *, demo: bool = False, lang: str = "zh-CN",
                 on_scan: Callable[[ScanEvent], None] | None = None,
                 on_change: Callable[[], None] | None = None,
                 on_problem: Callable[[str], None] | None = None) -> None:
        assert cfg.data_dir is not None
        self.data_dir = Path(cfg.data_dir)
        self.cfg = _with_demo_devices(cfg) if demo else cfg
        self.demo = demo
        self.lang = lang
        self.on_scan = on_scan or (lambda event: None)
        self.on_change = on_change
        self.on_problem = on_problem
        self.config_error: DeviceConfigError | None = None
        self.devices: DevicesConfig = self._parse()
        self.simulators: Any = None
        self.printing: PrintService | None = None
        self.probes: ProbeService | None = None
        self.scanners: ScannerService | None = None

    def _parse(self) -> DevicesConfig:
        try:
            return parse_devices_config(self.cfg.devices or {})
        except DeviceConfigError as exc:
            self.config_error = exc
            log.error("device config: %s", exc)
            return DevicesConfig()

    @property
    def print_settings(self) -> PrintSettings:
        return settings_from_config(self.cfg, self.lang)

    def wedge(self):
        """The app-level WedgeDetector, or None when no wedge scanner is configured."""
        return factory.wedge_detector(self.devices.scanners)

    def start(self) -> "DeviceHub":
        if self.demo:
            from edge.demo_devices import DemoSimulators

            self.simulators = DemoSimulators()
            self.simulators.attach(self.devices)
        if self.devices.printers:
            self.printing = PrintService(self.data_dir, self.devices.printers,
                                         on_change=self.on_change).start()
        if self.devices.probes:
            self.probes = ProbeService(self.data_dir, self.devices.probes,
                                       on_change=self.on_change).start()
        if any(s.kind != "wedge" for s in self.devices.scanners):
            self.scanners = ScannerService(self.devices.scanners, self.on_scan,
                                           on_problem=self.on_problem, lang=self.lang,
                                           loop_sources=not self.demo,
                                           cameras_on_demand=self.demo).start()
        return self

    def play_cameras(self) -> int:
        """Start the cameras that wait to be asked (the demo's); how many started."""
        return self.scanners.play_cameras() if self.scanners is not None else 0

    def stop(self) -> None:
        for service in (self.scanners, self.probes, self.printing, self.simulators):
            if service is not None:
                try:
                    service.stop()
                except Exception:
                    log.exception("stopping %r failed", service)

    def wake_printer(self) -> None:
        if self.printing is not None:
            self.printing.wake()

    def notices(self, lang: str) -> list[HubNotice]:
        """Device problems for the status bar (alarms have their own banner)."""
        out = []
        if self.config_error is not None:
            out.append(HubNotice("devices:config", self.config_error.message(lang), "error"))
        if self.printing is not None:
            out += [HubNotice(f"printer:{i}", text) for i, text in enumerate(self.printing.notices(lang))]
        if self.probes is not None:
            out += [HubNotice(f"probe-port:{i}", text) for i, text in enumerate(self.probes.notices(lang))]
        if self.scanners is not None:
            out += [HubNotice(f"scanner:{i}", text) for i, text in enumerate(self.scanners.notices(lang))]
        return out


def _with_demo_devices(cfg: config_mod.Config) -> config_mod.Config:
    """The demo seeds its config after the CLI read it: re-read it from the data dir."""
    if cfg.devices:
        return cfg
    try:
        fresh = config_mod.load(cfg.data_dir)
    except config_mod.ConfigError:
        return cfg
    fresh.data_dir = cfg.data_dir
    return fresh
