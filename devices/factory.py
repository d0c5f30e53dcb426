"""Build drivers from a parsed :class:`~devices.config.DevicesConfig`, so the app wires devices in
a few lines and every driver gets the same settings ``devices check`` verified."""
from __future__ import annotations

from typing import Callable

from devices.camera import CameraReader, make_decoder, open_source
from devices.config import (
    CameraScannerConfig, DevicesConfig, PrinterConfig, SerialScannerConfig, WedgeScannerConfig,
)
from devices.printers import (
    BagLabel, PrinterConnection, Receipt, open_printer, render_bag_label, render_bag_label_tspl,
    render_receipt,
)
from devices.probes import ModbusProbe, ProbeLineError, ProbeReader, Reading
from devices.scanners import ScannerError, SerialScanner, WedgeDetector
from devices.status import StatusCallback


def wedge_detector(c: WedgeScannerConfig) -> WedgeDetector:
    return WedgeDetector(c.max_gap_ms, c.min_length, c.terminators, c.prefix, c.suffix)


def serial_scanner(c: SerialScannerConfig, on_scan: Callable[[str], None],
                   on_error: Callable[[ScannerError], None] | None = None,
                   on_status: StatusCallback | None = None) -> SerialScanner:
    term = c.terminator.encode("utf-8").decode("unicode_escape").encode("latin-1")  # "\\r" in TOML
    return SerialScanner(c.url, c.baud, term, on_scan, on_error, on_status)


def camera_reader(c: CameraScannerConfig, on_scan: Callable[[str], None],
                  on_status: StatusCallback | None = None) -> CameraReader:
    """Raises ``SourceError`` / ``DecoderUnavailable`` with a message that says what to fix."""
    return CameraReader(open_source(c.source, fps=c.fps), make_decoder(c.decoder), on_scan=on_scan,
                        holdoff_s=c.holdoff_s, on_status=on_status)


def probe_readers(cfg: DevicesConfig, on_reading: Callable[[Reading], None],
                  on_error: Callable[[ProbeLineError], None] | None = None,
                  on_status: StatusCallback | None = None) -> list[ProbeReader]:
    """One reader per configured port (not started)."""
    readers = []
    for port in cfg.probes:
        ids: list = ([ModbusProbe(p.probe_id, p.slave or 1, p.register) for p in port.probes]
                     if port.protocol == "modbus" else [p.probe_id for p in port.probes])
        readers.append(ProbeReader(port.url, port.protocol, ids, on_reading, on_error, on_status,
                                   baud=port.baud, silent_after_s=port.silent_after_s, poll_s=port.poll_s))
    return readers


def printer(c: PrinterConfig) -> PrinterConnection:
    return open_printer(c.url, c.protocol)


def receipt_renderer(c: PrinterConfig) -> Callable[[Receipt], bytes]:
    return lambda r: render_receipt(r, c.paper_mm, c.chinese_font)


def label_renderer(c: PrinterConfig) -> Callable[[BagLabel], bytes]:
    if c.protocol == "tspl":
        return lambda b: render_bag_label_tspl(b, c.label_width_mm, c.label_height_mm)
    return lambda b: render_bag_label(b, c.paper_mm, c.chinese_font)
