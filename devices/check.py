"""``devices check``: does each configured device answer, and if not, what to do about it.

Each check returns a :class:`CheckResult` with a plain verdict and hints in the clerk's or
technician's language (permissions on /dev/tty*, /dev/usb/lp*, the video group...).
"""
from __future__ import annotations

import glob
import grp
import os
import time
from dataclasses import asdict, dataclass, field

from devices.config import (
    CameraScannerConfig, DevicesConfig, PrinterConfig, ProbePortConfig, SerialScannerConfig,
    WedgeScannerConfig,
)
from devices.messages import msg
from devices.serial_lines import port_error_reason


@dataclass
class CheckResult:
    kind: str           # scanner | camera | printer | probe-port | decoder | port
    name: str           # e.g. "printers.receipt", "probes[0]"
    target: str         # url / path / index
    ok: bool | None     # None: nothing to check
    detail: str = ""
    hints: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return asdict(self)


def _group_of(path: str) -> str:
    try:
        return grp.getgrgid(os.stat(path).st_gid).gr_name
    except (OSError, KeyError):
        return "dialout"


def device_node_problem(path: str, lang: str, group_hint: str = "hint.dialout") -> list[str]:
    """Hints when a /dev node is missing or not accessible to this user; [] when fine."""
    if not path.startswith("/dev/") or "?" in path:
        return []
    if not os.path.exists(path):
        pattern = ("/dev/video*" if path.startswith("/dev/video") else
                   "/dev/usb/lp*" if path.startswith("/dev/usb/") else "/dev/ttyUSB* /dev/ttyACM*")
        return [msg("hint.missing_port", lang, path=path, pattern=pattern)]
    if not os.access(path, os.R_OK | os.W_OK):
        group = _group_of(path)
        if group_hint == "hint.dialout":
            return [msg("hint.dialout", lang, group=group)]
        return [msg(group_hint, lang)]
    return []


def check_serial_port(name: str, kind: str, url: str, baud: int, lang: str) -> tuple[CheckResult, object]:
    import serial

    hints = device_node_problem(url, lang)
    try:
        port = serial.serial_for_url(url, baudrate=baud, timeout=0.2, exclusive=True)
    except (serial.SerialException, OSError, ValueError) as e:
        reason = port_error_reason(e)
        return CheckResult(kind, name, url, False, str(e), hints or [msg(f"port.{reason}", lang)]), None
    return CheckResult(kind, name, url, True, msg("state.online", lang)), port


def check_probe_port(name: str, cfg: ProbePortConfig, lang: str, timeout_s: float) -> CheckResult:
    res, port = check_serial_port(name, "probe-port", cfg.url, cfg.baud, lang)
    if port is None:
        return res
    ids = [p.probe_id for p in cfg.probes]
    seen: dict[str, float] = {}
    bad = 0
    try:
        if cfg.protocol == "modbus":
            port.close()  # type: ignore[attr-defined]
            from devices.probes.modbus import ModbusPort, ModbusProbe

            mp = ModbusPort(cfg.url, [], cfg.baud)
            try:
                for p in cfg.probes:
                    r = mp.poll(ModbusProbe(p.probe_id, p.slave or 1, p.register))
                    if hasattr(r, "celsius"):
                        seen[p.probe_id] = r.celsius  # type: ignore[union-attr]
                    else:
                        bad += 1
            finally:
                mp.close()
        else:
            from devices.probes.ascii_protocol import parse_line
            from devices.serial_lines import LineSplitter

            split = LineSplitter(b"\n", 256, any_eol=True)
            deadline = time.monotonic() + timeout_s
            while time.monotonic() < deadline and not set(ids) <= set(seen):
                lines, _ = split.feed(port.read(256))  # type: ignore[attr-defined]
                for line in lines:
                    r = parse_line(line)
                    if hasattr(r, "celsius"):
                        seen[r.probe_id] = r.celsius  # type: ignore[union-attr]
                    else:
                        bad += 1
            port.close()  # type: ignore[attr-defined]
    except Exception as e:  # a check must report, never crash
        return CheckResult("probe-port", name, cfg.url, False, str(e), [msg("port.disconnected", lang)])
    missing = [i for i in ids if i not in seen]
    detail = ", ".join(f"{k}={v:g}°C" for k, v in seen.items())
    if bad:
        detail += f" ({bad} bad lines)"
    if missing:
        hint = msg("hint.no_answer", lang, seconds=f"{timeout_s:g}")
        return CheckResult("probe-port", name, cfg.url, False,
                           (detail + "; " if detail else "") + "silent: " + ", ".join(missing), [hint])
    return CheckResult("probe-port", name, cfg.url, True, detail)


def check_printer(name: str, cfg: PrinterConfig, lang: str) -> CheckResult:
    from devices import factory
    from devices.printers.connections import PrinterError

    try:
        conn = factory.printer(cfg)
        st = conn.status()
    except PrinterError as e:
        return CheckResult("printer", name, cfg.url, False, e.message, [msg(f"printer.{e.reason}", lang)])
    if st.ready:
        return CheckResult("printer", name, cfg.url, True, st.error_message or msg("state.online", lang))
    hints = [msg(f"printer.{st.reason or 'offline'}", lang)]
    dev = getattr(conn, "device", None) or getattr(conn, "port", None)
    if isinstance(dev, str):
        hints += device_node_problem(dev, lang, "hint.lp" if "/usb/lp" in dev else "hint.dialout")
    if st.reason in ("paper_out", "cover_open"):
        hints.append(msg("hint.printer_paper", lang))
    elif st.reason == "not_found":
        hints.append(msg("hint.usb_printer", lang))
    elif st.reason == "offline":
        hints.append(msg("hint.printer_power", lang))
    return CheckResult("printer", name, cfg.url, False, st.error_message, hints)


def check_camera(name: str, cfg: CameraScannerConfig, lang: str) -> CheckResult:
    from devices.camera.decoder import DecoderUnavailable, make_decoder
    from devices.camera.sources import SourceError, open_source

    target = str(cfg.source)
    try:
        make_decoder(cfg.decoder)
    except DecoderUnavailable as e:
        return CheckResult("camera", name, target, False, str(e), [msg("hint.libzbar", lang)])
    hints = []
    if isinstance(cfg.source, int) or str(cfg.source).isdigit():
        hints = device_node_problem(f"/dev/video{cfg.source}", lang, "hint.video")
    try:
        src = open_source(cfg.source, fps=None, loop=False)
    except SourceError as e:
        return CheckResult("camera", name, target, False, str(e), hints or [msg("hint.camera", lang)])
    try:  # a folder may start with a file it skips (too large, not an image): look further
        frame = None
        for _ in range(min(50, len(getattr(src, "files", [None])))):
            frame = src.read()
            if frame is not None or getattr(src, "ended", False):
                break
    except Exception as e:  # a check reports, never crashes
        return CheckResult("camera", name, target, False, str(e), hints or [msg("hint.camera", lang)])
    finally:
        src.close()
    if frame is None:
        return CheckResult("camera", name, target, False, "no frame", hints or [msg("hint.camera", lang)])
    h, w = frame.shape[:2]
    return CheckResult("camera", name, target, True, f"{w}x{h}, decoder {cfg.decoder}")


def check_config(cfg: DevicesConfig, lang: str, timeout_s: float = 3.0) -> list[CheckResult]:
    out: list[CheckResult] = []
    for i, s in enumerate(cfg.scanners):
        name = f"scanners[{i}]"
        if isinstance(s, WedgeScannerConfig):
            out.append(CheckResult("scanner", name, "keyboard", None, "wedge", [msg("hint.wedge", lang)]))
        elif isinstance(s, SerialScannerConfig):
            res, port = check_serial_port(name, "scanner", s.url, s.baud, lang)
            if port is not None:
                port.close()  # type: ignore[attr-defined]
            out.append(res)
        else:
            out.append(check_camera(name, s, lang))
    for key, p in cfg.printers.items():
        out.append(check_printer(f"printers.{key}", p, lang))
    for i, port_cfg in enumerate(cfg.probes):
        out.append(check_probe_port(f"probes[{i}]", port_cfg, lang, timeout_s))
    return out


def discover(lang: str) -> list[CheckResult]:
    """Without a config: what device nodes exist and whether this user may use them."""
    out = []
    for pattern, kind, hint in (("/dev/ttyUSB*", "port", "hint.dialout"), ("/dev/ttyACM*", "port", "hint.dialout"),
                                ("/dev/usb/lp*", "printer", "hint.lp"), ("/dev/video*", "camera", "hint.video")):
        for path in sorted(glob.glob(pattern)):
            hints = device_node_problem(path, lang, hint)
            out.append(CheckResult(kind, os.path.basename(path), path, not hints, "", hints))
    return out


def check_decoders(lang: str) -> list[CheckResult]:
    from devices.camera.decoder import available_backends

    out = []
    for name, problem in available_backends().items():
        hints = [msg("hint.libzbar", lang)] if problem and name == "pyzbar" else []
        out.append(CheckResult("decoder", name, name, not problem, problem, hints))
    return out
