"""The one device builder: drivers from a parsed :class:`~devices.config.DevicesConfig`.

The app's services (edge/services/) and ``devices check`` build every driver here, so a
setting means the same thing wherever it is read (the serial terminator, a printer's
protocol, its status query).
"""
from __future__ import annotations

from typing import Any, Callable

from devices.camera import CameraReader, make_decoder, open_source
from devices.config import (
    CameraScannerConfig, PrinterConfig, ProbePortConfig, SerialScannerConfig, terminator_bytes,
)
from devices.printers import (
    BagLabel, PrinterConnection, Receipt, Report, open_printer, render_bag_label,
    render_bag_label_tspl, render_receipt, render_report,
)
from devices.probes import ModbusProbe, ProbeLineError, ProbeReader, Reading
from devices.scanners import ScannerError, SerialScanner, WedgeDetector
from devices.status import StatusCallback


def wedge_detector(scanners: list[Any]) -> WedgeDetector | None:
    """The keyboard-wedge detector of the first ``kind = "wedge"`` entry, or None."""
    for c in scanners:
        if getattr(c, "kind", "") == "wedge":
            return WedgeDetector(c.max_gap_ms, c.min_length, c.terminators, c.prefix, c.suffix)
    return None


def serial_scanner(c: SerialScannerConfig, on_scan: Callable[[str], None],
                   on_error: Callable[[ScannerError], None] | None = None,
                   on_status: StatusCallback | None = None) -> SerialScanner:
    return SerialScanner(c.url, c.baud, terminator_bytes(c.terminator), on_scan, on_error,
                         on_status, min_length=c.min_length)


def camera_reader(c: CameraScannerConfig, on_scan: Callable[[str], None],
                  on_status: StatusCallback | None = None, loop: bool = True) -> CameraReader:
    """Raises ``SourceError`` / ``DecoderUnavailable`` with a message that says what to fix.
    ``loop=False``: a video or image folder plays once (the demo camera)."""
    return CameraReader(open_source(c.source, fps=c.fps, loop=loop), make_decoder(c.decoder),
                        on_scan=on_scan, holdoff_s=c.holdoff_s, on_status=on_status)


def probe_reader(port: ProbePortConfig, on_reading: Callable[[Reading], None],
                 on_error: Callable[[ProbeLineError], None] | None = None,
                 on_status: StatusCallback | None = None) -> ProbeReader:
    """The reader of one probe port (not started)."""
    ids: list = ([ModbusProbe(p.probe_id, p.slave or 1, p.register) for p in port.probes]
                 if port.protocol == "modbus" else [p.probe_id for p in port.probes])
    return ProbeReader(port.url, port.protocol, ids, on_reading, on_error, on_status,
                       baud=port.baud, silent_after_s=port.silent_after_s, poll_s=port.poll_s)


def printer(c: PrinterConfig) -> PrinterConnection:
    """The connection, polled for status in the printer's own protocol (ESC/POS or TSPL)."""
    return open_printer(c.url, c.protocol)


def render_receipt_for(c: PrinterConfig, receipt: Receipt) -> bytes:
    return render_receipt(receipt, c.paper_mm, c.chinese_font)


def render_report_for(c: PrinterConfig, report: Report) -> bytes:
    """A report (day end) prints on receipt paper, like a receipt."""
    return render_report(report, c.paper_mm, c.chinese_font)


def render_label_for(c: PrinterConfig, label: BagLabel) -> bytes:
    if c.protocol == "tspl":
        return render_bag_label_tspl(label, c.label_width_mm, c.label_height_mm)
    return render_bag_label(label, c.paper_mm, c.chinese_font)
