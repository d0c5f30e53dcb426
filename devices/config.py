"""Device configuration: plain dataclasses and a strict parser with bilingual errors.

A store PC's config is edited by hand, so a typo must say where it is and what was meant::

    probes[0].probes[1].zone: 'chiled' is not valid; choose one of: chilled, frozen
    printers.receipt.papr_mm: unknown setting 'papr_mm' - did you mean 'paper_mm'?

Example (TOML, under a ``[devices]`` table or at the top level)::

    [[devices.scanners]]
    kind = "wedge"                      # or "serial" (url, baud, terminator) / "camera"

    [devices.printers.receipt]
    url = "usb://0416:5011"
    paper_mm = 80
    chinese_font = true

    [[devices.probes]]
    url = "/dev/ttyUSB0"
    protocol = "ascii"                  # or "modbus" (each probe then needs slave = N)
    probes = [{probe_id = "F1", fridge = "奶柜", zone = "chilled"}]

Default limits: chilled ≤ 4 °C, frozen ≤ −18 °C.
"""
from __future__ import annotations

import dataclasses
import difflib
import json
import re
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Union

from devices.messages import msg

DEFAULT_MAX_C = {"chilled": 4.0, "frozen": -18.0}


class DeviceConfigError(ValueError):
    def __init__(self, key_path: str, message_en: str, message_zh: str) -> None:
        super().__init__(f"{key_path}: {message_en}" if key_path else message_en)
        self.key_path = key_path
        self.message_en = message_en
        self.message_zh = message_zh

    def message(self, lang: str = "zh-CN") -> str:
        text = self.message_en if lang.startswith("en") else self.message_zh
        return f"{self.key_path}: {text}" if self.key_path else text


def _err(path: str, code: str, /, **params: Any) -> DeviceConfigError:
    return DeviceConfigError(path, msg(code, "en", **params), msg(code, "zh-CN", **params))


# ---------------------------------------------------------------- value checks

_SERIAL_URL = re.compile(r"^(/dev/\S+|COM\d+|(loop|socket|rfc2217|spy|hwgrep|alt|cp2110)://\S*)$")


Why = tuple[str, str] | None  # (english, chinese) reason a value is refused


def check_serial_url(v: str) -> Why:
    if not _SERIAL_URL.match(v):
        return ("expected a device path like /dev/ttyUSB0 (or COM3, or a pyserial URL like socket://host:port)",
                "应为设备路径，如 /dev/ttyUSB0（或 COM3、socket://主机:端口）")
    return None


def check_printer_url(v: str) -> Why:
    from devices.printers.connections import PrinterError, open_printer

    try:
        open_printer(v)
    except PrinterError as e:
        return (e.message or e.reason,
                "应为 usb://VID:PID、tcp://主机:9100、serial:///dev/ttyUSB0?baud=9600 或 file:///路径")
    return None


def _positive(v: float) -> Why:
    return None if v > 0 else ("must be greater than 0", "必须大于 0")


def _baud(v: int) -> Why:
    ok = ", ".join(map(str, sorted(BAUDS)))
    return None if v in BAUDS else (f"not a standard baud rate ({ok})", f"不是标准波特率（{ok}）")


BAUDS = {1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200, 230400}


def _checked(check, **kw) -> Any:
    return field(metadata={"check": check}, **kw)


# ---------------------------------------------------------------- dataclasses

@dataclass
class WedgeScannerConfig:
    kind: Literal["wedge"] = "wedge"
    max_gap_ms: float = _checked(_positive, default=35.0)
    min_length: int = _checked(_positive, default=4)
    terminators: list[Literal["enter", "tab"]] = field(default_factory=lambda: ["enter", "tab"])
    prefix: str = ""
    suffix: str = ""


TERMINATOR_NAMES = {"any": b"", "cr": b"\r", "lf": b"\n", "crlf": b"\r\n", "tab": b"\t"}


def terminator_bytes(value: str) -> bytes:
    """The bytes that end a serial scan, read one way whatever the TOML quoting: a name (any,
    CR, LF, CRLF, TAB), the characters themselves ("\\r" in a basic string) or escapes
    ('\\r' in a literal string). ``b""`` means any of CR, LF or CRLF (the default)."""
    named = TERMINATOR_NAMES.get(value.strip().lower())
    if named is not None:
        return named
    if "\\" in value:
        try:
            value = value.encode("latin-1", "backslashreplace").decode("unicode_escape")
        except UnicodeDecodeError:
            return b"?"  # refused by check_terminator
    return value.encode("utf-8")


def check_terminator(v: str) -> Why:
    term = terminator_bytes(v)
    if term == b"?" or len(term) > 4 or term.strip(b"\r\n\t\x03\x04") != b"":
        return ("use any, CR, LF, CRLF or TAB (or the characters, e.g. \"\\r\\n\")",
                "请写 any、CR、LF、CRLF 或 TAB（或字符本身，如 \"\\r\\n\"）")
    return None


@dataclass
class SerialScannerConfig:
    url: str = _checked(check_serial_url)
    kind: Literal["serial"] = "serial"
    baud: int = _checked(_baud, default=9600)
    terminator: str = _checked(check_terminator, default="any")  # any: CR, LF or CRLF
    min_length: int = _checked(_positive, default=4)  # shorter lines are line noise, not codes


@dataclass
class CameraScannerConfig:
    kind: Literal["camera"] = "camera"
    source: Union[int, str] = 0  # camera index, video file or image folder
    decoder: Literal["auto", "pyzbar", "zxing"] = "auto"
    holdoff_s: float = _checked(_positive, default=1.5)
    fps: float = _checked(_positive, default=15.0)  # for video/folder sources


ScannerConfig = Union[WedgeScannerConfig, SerialScannerConfig, CameraScannerConfig]


@dataclass
class PrinterConfig:
    url: str = _checked(check_printer_url)
    paper_mm: Literal[58, 80] = 80
    chinese_font: bool = True
    protocol: Literal["escpos", "tspl"] = "escpos"
    label_width_mm: int = _checked(_positive, default=60)  # TSPL only
    label_height_mm: int = _checked(_positive, default=40)


@dataclass
class ProbeConfig:
    probe_id: str
    fridge: str
    zone: Literal["chilled", "frozen"]
    max_c: Union[float, None] = None  # default by zone: chilled 4, frozen -18
    grace_s: float = _checked(_positive, default=300.0)
    slave: Union[int, None] = None  # Modbus slave id (1-247)
    register: int = 0


@dataclass
class ProbePortConfig:
    url: str = _checked(check_serial_url)
    protocol: Literal["ascii", "modbus"] = "ascii"
    baud: int = _checked(_baud, default=9600)
    poll_s: float = _checked(_positive, default=5.0)
    silent_after_s: float = _checked(_positive, default=120.0)
    probes: list[ProbeConfig] = field(default_factory=list)


@dataclass
class DevicesConfig:
    scanners: list[ScannerConfig] = field(default_factory=list)
    printers: dict[Literal["receipt", "label"], PrinterConfig] = field(default_factory=dict)
    probes: list[ProbePortConfig] = field(default_factory=list)


_KIND = {"wedge": WedgeScannerConfig, "serial": SerialScannerConfig, "camera": CameraScannerConfig}

# ---------------------------------------------------------------- generic builder

_TYPE_NAMES = {str: ("text", "文本"), int: ("a whole number", "整数"), float: ("a number", "数字"),
               bool: ("true or false", "true 或 false"), list: ("a list", "列表"),
               dict: ("a table", "表")}


def _wrong_type(path: str, tp: type, got: Any) -> DeviceConfigError:
    en, zh = _TYPE_NAMES.get(tp, (tp.__name__, tp.__name__))
    return _err(path, "config.wrong_type", expected=zh, expected_en=en, got=got)


def _join(path: str, key: str | int) -> str:
    if isinstance(key, int):
        return f"{path}[{key}]"
    return f"{path}.{key}" if path else key


def _coerce(value: Any, tp: Any, path: str) -> Any:
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if tp is Any:
        return value
    if origin is Literal:
        if value not in args or type(value) is not type(args[0]):
            choices = ", ".join(str(a) for a in args)
            raise _err(path, "config.bad_choice", got=value, choices=choices)
        return value
    if origin is Union:
        if tp is ScannerConfig:
            if not isinstance(value, dict):
                raise _wrong_type(path, dict, value)
            kind = value.get("kind", "wedge")
            if kind not in _KIND:
                raise _err(_join(path, "kind"), "config.bad_choice", got=kind, choices=", ".join(_KIND))
            return _build(_KIND[kind], value, path)
        if value is None and type(None) in args:
            return None
        errors = []
        for a in args:
            if a is type(None):
                continue
            try:
                return _coerce(value, a, path)
            except DeviceConfigError as e:
                errors.append(e)
        raise errors[0]
    if origin is list:
        if not isinstance(value, list):
            raise _wrong_type(path, list, value)
        return [_coerce(v, args[0], _join(path, i)) for i, v in enumerate(value)]
    if origin is dict:
        if not isinstance(value, dict):
            raise _wrong_type(path, dict, value)
        out = {}
        key_tp = args[0]
        for k, v in value.items():
            if typing.get_origin(key_tp) is Literal and k not in typing.get_args(key_tp):
                raise _unknown_key(path, k, [str(a) for a in typing.get_args(key_tp)])
            out[k] = _coerce(v, args[1], _join(path, k))
        return out
    if dataclasses.is_dataclass(tp):
        return _build(tp, value, path)
    if tp is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise _wrong_type(path, float, value)
        return float(value)
    if tp is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise _wrong_type(path, int, value)
        return value
    if tp in (str, bool):
        if not isinstance(value, tp):
            raise _wrong_type(path, tp, value)
        return value
    raise TypeError(f"config type {tp!r} not handled")  # programming error, not user input


def suggest(key: str, known: list[str]) -> str | None:
    """The known key ``key`` was most likely meant to be (difflib, preferring the same first word:
    ``paper_width`` → ``paper_mm`` rather than ``label_width_mm``)."""
    close = difflib.get_close_matches(key, known, n=3, cutoff=0.5)
    same_head = [c for c in close if c.split("_")[0] == key.split("_")[0]]
    return (same_head or close or [None])[0]


def _unknown_key(path: str, key: Any, known: list[str]) -> DeviceConfigError:
    s = suggest(str(key), known)
    close = [s] if s else []
    hint_en = msg("config.did_you_mean", "en", suggestion=close[0]) if close else \
        f" (known: {', '.join(known)})"
    hint_zh = msg("config.did_you_mean", "zh-CN", suggestion=close[0]) if close else \
        f"（可用：{', '.join(known)}）"
    return DeviceConfigError(_join(path, str(key)), msg("config.unknown_key", "en", key=key, hint=hint_en),
                             msg("config.unknown_key", "zh-CN", key=key, hint=hint_zh))


def _bad_value(path: str, v: Any, why: tuple[str, str]) -> DeviceConfigError:
    return DeviceConfigError(path, msg("config.bad_value", "en", got=v, why=why[0]),
                             msg("config.bad_value", "zh-CN", got=v, why_zh=why[1]))


def _build(cls: type, data: Any, path: str) -> Any:
    if not isinstance(data, dict):
        raise _wrong_type(path, dict, data)
    hints = typing.get_type_hints(cls)
    fields = {f.name: f for f in dataclasses.fields(cls)}
    for k in data:
        if k not in fields:
            raise _unknown_key(path, k, list(fields))
    kwargs = {}
    for name, f in fields.items():
        p = _join(path, name)
        if name not in data:
            if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:  # type: ignore[misc]
                raise _err(p, "config.missing_key", key=name)
            continue
        v = _coerce(data[name], hints[name], p)
        check = f.metadata.get("check")
        why = check(v) if check is not None and v is not None else None
        if why:
            raise _bad_value(p, v, why)
        kwargs[name] = v
    return cls(**kwargs)


# ---------------------------------------------------------------- entry points

def parse_devices_config(d: dict) -> DevicesConfig:
    """Validate and build the device config; raises :class:`DeviceConfigError` on the first problem."""
    cfg: DevicesConfig = _build(DevicesConfig, d if d is not None else {}, "")
    seen: set[str] = set()
    for i, port in enumerate(cfg.probes):
        for j, p in enumerate(port.probes):
            path = f"probes[{i}].probes[{j}]"
            if p.probe_id in seen:
                raise _err(f"{path}.probe_id", "config.duplicate", got=p.probe_id)
            seen.add(p.probe_id)
            if p.max_c is None:
                p.max_c = DEFAULT_MAX_C[p.zone]
            if port.protocol == "modbus":
                if p.slave is None:
                    raise _err(f"{path}.slave", "config.missing_key", key="slave")
                if not 1 <= p.slave <= 247:
                    raise _bad_value(f"{path}.slave", p.slave,
                                     ("Modbus slave ids are 1-247", "Modbus 从站地址应为 1-247"))
    for key, pr in cfg.printers.items():
        if pr.protocol == "tspl" and key == "receipt":
            raise _err(f"printers.{key}.protocol", "config.bad_choice", got="tspl", choices="escpos")
    return cfg


# top-level keys of the store's own config file (store-edge.toml), which holds the device
# config under [devices]: a file with any of them and no [devices] configures no device
STORE_CONFIG_KEYS = frozenset({"data_dir", "language", "store_name", "store_address", "timezone", "hq",
                               "stock", "board", "staff", "backup", "sync"})


def load_devices_config(path: str | Path) -> DevicesConfig:
    """Read a TOML or JSON file; uses its ``devices`` table when there is one."""
    p = Path(path)
    try:
        raw = p.read_bytes()
    except OSError as e:
        raise DeviceConfigError("", f"cannot read {p}: {e.strerror}", f"无法读取 {p}：{e.strerror}") from e
    try:
        if p.suffix.lower() == ".json":
            data = json.loads(raw)
        else:
            import tomllib

            data = tomllib.loads(raw.decode("utf-8"))
    except (ValueError, UnicodeDecodeError) as e:
        raise DeviceConfigError("", f"{p} does not parse: {e}", f"{p} 格式错误：{e}") from e
    if isinstance(data, dict) and isinstance(data.get("devices"), dict):
        data = data["devices"]
    elif isinstance(data, dict) and STORE_CONFIG_KEYS & set(data):
        data = {}  # the store's store-edge.toml with no [devices] yet (as init writes it)
    return parse_devices_config(data)
