"""The demo store's devices: a config written at seed time and the simulators the demo starts.

At seed time (``write_demo_devices``): a ``store-edge.toml`` with a ``[devices]`` table in the
format ``devices.config`` parses (file printers in the data dir, a probe board with three
fridges, a serial scanner, a wedge scanner and a camera on an image folder of demo QR codes),
and that image folder. At run time in demo mode (``DemoSimulators``): every serial device in
the config is replaced by its simulator on a pseudo-terminal, so the app drives its real
drivers; one fridge's door is "left open" now and then, so the alarm can be seen.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from devices.sim import SimProbe, SimSerialScanner, write_code_folder
from devices.worker import BackgroundWorker
from edge.private_files import write_private_text

log = logging.getLogger(__name__)

CAMERA_DIR = "camera"
RECEIPT_FILE = "printer.bin"
LABEL_FILE = "labels.bin"
# probe id, fridge name, zone, set point (°C), grace (s)
FRIDGES = [("F1", "奶柜 Dairy", "chilled", 3.0, 300), ("F2", "熟食柜 Deli", "chilled", 2.5, 60),
           ("Z1", "冷冻柜 Freezer", "frozen", -20.0, 300)]
DRIFTER = "F2"
STORE_ADDRESS = "上海市静安区南京西路 1601 号 / 1601 West Nanjing Rd, Shanghai"


def demo_devices_toml(data_dir: Path) -> str:
    """The ``[devices]`` section (and store address) of the demo's config file."""
    probes = ", ".join(
        f'{{ probe_id = "{pid}", fridge = "{name}", zone = "{zone}", grace_s = {grace} }}'
        for pid, name, zone, _, grace in FRIDGES)
    return f"""# store-edge demo configuration, written by `store-edge demo`.
# In demo mode each serial device below is replaced by a simulator on a pseudo-terminal;
# printers write ESC/POS bytes to files here (decode: python -m devices.printers.escpos_decode FILE;
# touch {RECEIPT_FILE}.paper_out to see a paper-out, remove it to print what waited).
store_address = "{STORE_ADDRESS}"

[[devices.scanners]]
kind = "wedge"

[[devices.scanners]]
kind = "serial"
url = "/dev/ttyUSB1"

[[devices.scanners]]
kind = "camera"
source = "{data_dir / CAMERA_DIR}"
fps = 4.0

[devices.printers.receipt]
url = "file://{data_dir / RECEIPT_FILE}"
paper_mm = 80

[devices.printers.label]
url = "file://{data_dir / LABEL_FILE}"
paper_mm = 80

[[devices.probes]]
url = "/dev/ttyUSB0"
silent_after_s = 60
probes = [{probes}]
"""


def write_demo_devices(data_dir: str | Path, qr_codes: list[str]) -> None:
    """Write the config (unless the store already has one) and the camera's image folder."""
    data_dir = Path(data_dir).resolve()
    config = data_dir / "store-edge.toml"
    if not config.exists():
        write_private_text(config, demo_devices_toml(data_dir))  # will hold the HQ token
    folder = data_dir / CAMERA_DIR
    if not folder.exists() and qr_codes:
        write_code_folder(folder, qr_codes[:4], frames_per_code=4, gap_frames=8)


class _DoorLeftOpen(BackgroundWorker):
    """A minute after start, then every ten minutes, the drifting fridge's door is left open:
    it warms past its limit for longer than its grace (an alarm to acknowledge), then recovers."""

    thread_name = "demo-door"

    def __init__(self, sim: SimProbe, probe_id: str, setpoint: float, first_s: float = 60.0,
                 period_s: float = 600.0, open_s: float = 150.0) -> None:
        super().__init__()
        self.sim, self.probe_id, self.setpoint = sim, probe_id, setpoint
        self.first_s, self.period_s, self.open_s = first_s, period_s, open_s

    def run(self) -> None:
        wait = self.first_s
        while not self._stop.wait(wait):
            self.sim.drift_to(self.probe_id, 7.5, per_reading=0.6)
            if self._stop.wait(self.open_s):
                return
            self.sim.drift_to(self.probe_id, self.setpoint, per_reading=0.6)
            wait = self.period_s - self.open_s


class DemoSimulators:
    """Start a simulator for every serial device of a parsed DevicesConfig and point it there."""

    def __init__(self, interval_s: float = 5.0) -> None:
        self.interval_s = interval_s
        self.probes: list[SimProbe] = []
        self.scanners: list[SimSerialScanner] = []
        self.workers: list[BackgroundWorker] = []

    def attach(self, cfg: Any) -> Any:
        """Replace serial urls in ``cfg`` (a devices.config.DevicesConfig) by simulator ports."""
        setpoints = {pid: sp for pid, _, _, sp, _ in FRIDGES}
        for port in cfg.probes:
            ids = {p.probe_id: setpoints.get(p.probe_id, _default_setpoint(p)) for p in port.probes}
            sim = SimProbe(ids, interval_s=self.interval_s)
            sim.start()
            self.probes.append(sim)
            port.url = sim.port
            port.protocol = "ascii"  # the demo board speaks ASCII even if Modbus is configured
            if DRIFTER in ids:
                door = _DoorLeftOpen(sim, DRIFTER, ids[DRIFTER])
                door.start()
                self.workers.append(door)
        for scanner in cfg.scanners:
            if getattr(scanner, "kind", "") == "serial":
                sim_scanner = SimSerialScanner().start()
                self.scanners.append(sim_scanner)
                scanner.url = sim_scanner.port
        return cfg

    def serial_scan(self, code: str) -> bool:
        """Type a code on the first simulated serial scanner (demo key binding)."""
        if not self.scanners:
            return False
        self.scanners[0].scan(code)
        return True

    def stop(self) -> None:
        for worker in self.workers:
            worker.stop()
        for sim in self.probes:
            sim.stop()
        for scanner in self.scanners:
            scanner.stop()


def _default_setpoint(probe: Any) -> float:
    return 3.0 if probe.zone == "chilled" else -20.0
