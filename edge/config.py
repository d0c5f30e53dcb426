"""The store's configuration file (TOML), read with clear messages for typos.

Looked up in this order: ``--config PATH``, ``$STORE_EDGE_CONFIG``, ``<data-dir>/store-edge.toml``.
The data directory is ``--data-dir``, else ``$STORE_EDGE_DATA_DIR``, else the config's
``data_dir``, else ``~/.local/share/store-edge``.
"""

from __future__ import annotations

import difflib
import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from edge.i18n import DEFAULT_LANGUAGE, LANGUAGES

CONFIG_FILENAME = "store-edge.toml"
DEFAULT_DATA_DIR = Path.home() / ".local" / "share" / "store-edge"

_TOP_KEYS = {"data_dir": str, "language": str, "store_name": str, "store_address": str,
             "timezone": str, "hq": dict, "devices": dict, "sync": dict, "stock": dict,
             "board": dict, "staff": dict, "backup": dict}
# The store's local time zone (IANA name): "the day" of day end is local midnight to local
# midnight here. Stores of these chains are in mainland China, hence the default.
DEFAULT_TIMEZONE = "Asia/Shanghai"
_HQ_KEYS = {"url": str, "token": str, "interval_s": (int, float), "timeout_s": (int, float)}
_STOCK_KEYS = {"near_expiry_days": int}
NEAR_EXPIRY_DAYS = (1, 60)  # allowed range of [stock] near_expiry_days
# [board]: the task board. made_to_order_reminder_h: how many hours before its pickup window
# a made-to-order item (a cake) is flagged to be started.
_BOARD_KEYS = {"made_to_order_reminder_h": (int, float)}
MAX_REMINDER_H = 72
_STAFF_KEYS = {"idle_lock_min": (int, float)}
DEFAULT_IDLE_LOCK_MIN = 5.0
# [backup] keep: backup sets of this many most recent days are kept (store-edge backup, daily)
_BACKUP_KEYS = {"keep": int}
BACKUP_KEEP_DAYS = (1, 366)
MAX_IDLE_LOCK_MIN = 24 * 60


class ConfigError(Exception):
    """A config problem, with the message in both languages."""

    def __init__(self, message_en: str, message_zh: str) -> None:
        super().__init__(message_en)
        self.message_en = message_en
        self.message_zh = message_zh

    def message(self, lang: str) -> str:
        return self.message_zh if lang == "zh-CN" else self.message_en


@dataclass
class Config:
    data_dir: Path | None = None
    language: str = DEFAULT_LANGUAGE
    store_name: str | None = None
    store_address: str = ""
    timezone: str = DEFAULT_TIMEZONE
    hq_url: str | None = None
    hq_token: str | None = None
    sync_interval_s: float = 5.0
    hq_timeout_s: float = 5.0
    devices: dict = field(default_factory=dict)
    near_expiry_days: int = 3  # [stock]: lots this close to expiry are listed with a markdown
    made_to_order_reminder_h: float = 4.0
    # the terminal goes back to the sign-in screen after this long without a key; 0: never
    idle_lock_s: float = DEFAULT_IDLE_LOCK_MIN * 60
    backup_keep: int = 14
    path: Path | None = None


def _check_keys(section: dict, allowed: dict, where: str) -> None:
    for key, value in section.items():
        if key not in allowed:
            close = difflib.get_close_matches(key, list(allowed), n=1)
            hint_en = f" Did you mean '{close[0]}'?" if close else ""
            hint_zh = f" 是不是想写「{close[0]}」？" if close else ""
            raise ConfigError(f"unknown key '{where}{key}'.{hint_en}",
                              f"未知的配置项「{where}{key}」。{hint_zh}")
        if not isinstance(value, allowed[key]):
            raise ConfigError(f"'{where}{key}' has the wrong type ({type(value).__name__})",
                              f"配置项「{where}{key}」的类型不对（{type(value).__name__}）")


def parse(text: str, path: Path | None = None) -> Config:
    """Parse config text; raises ConfigError naming the line or key at fault."""
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path or 'config'}: not valid TOML: {exc}",
                          f"{path or '配置文件'}：TOML 格式错误：{exc}") from None
    _check_keys(raw, _TOP_KEYS, "")
    hq = raw.get("hq", {})
    _check_keys(hq, _HQ_KEYS, "hq.")
    stock = raw.get("stock", {})
    _check_keys(stock, _STOCK_KEYS, "stock.")
    near_expiry_days = _near_expiry_days(stock)
    board = raw.get("board", {})
    _check_keys(board, _BOARD_KEYS, "board.")
    reminder_h = board.get("made_to_order_reminder_h", 4.0)
    if isinstance(reminder_h, bool) or not 0 <= reminder_h <= MAX_REMINDER_H:
        raise ConfigError(
            f"'board.made_to_order_reminder_h' must be 0–{MAX_REMINDER_H} hours, not {reminder_h}",
            f"「board.made_to_order_reminder_h」须在 0–{MAX_REMINDER_H} 小时之间，不能是 {reminder_h}")
    staff = raw.get("staff", {})
    _check_keys(staff, _STAFF_KEYS, "staff.")
    idle_lock_s = _idle_lock_s(staff)
    backup = raw.get("backup", {})
    _check_keys(backup, _BACKUP_KEYS, "backup.")
    backup_keep = _backup_keep(backup)
    language = raw.get("language", DEFAULT_LANGUAGE)
    if language not in LANGUAGES:
        raise ConfigError(f"language must be one of {', '.join(LANGUAGES)}, not '{language}'",
                          f"language 只能是 {'、'.join(LANGUAGES)}，不能是「{language}」")
    zone = raw.get("timezone", DEFAULT_TIMEZONE)
    if not _known_timezone(zone):
        raise ConfigError(f"timezone '{zone}' is not a known time zone (e.g. Asia/Shanghai)",
                          f"时区「{zone}」不存在（例：Asia/Shanghai）")
    cfg = Config(language=language, store_name=raw.get("store_name"), timezone=zone,
                 store_address=raw.get("store_address", ""), hq_url=hq.get("url"),
                 hq_token=hq.get("token"), sync_interval_s=float(hq.get("interval_s", 5.0)),
                 hq_timeout_s=float(hq.get("timeout_s", 5.0)),
                 devices=raw.get("devices", {}), near_expiry_days=near_expiry_days,
                 made_to_order_reminder_h=float(reminder_h), idle_lock_s=idle_lock_s, path=path,
                 backup_keep=backup_keep)
    if "data_dir" in raw:
        cfg.data_dir = Path(raw["data_dir"]).expanduser()
    return cfg


def _near_expiry_days(stock: dict) -> int:
    return _whole_days(stock, "stock.", "near_expiry_days", Config.near_expiry_days, NEAR_EXPIRY_DAYS)


def _backup_keep(backup: dict) -> int:
    return _whole_days(backup, "backup.", "keep", Config.backup_keep, BACKUP_KEEP_DAYS)


def _whole_days(section: dict, where: str, key: str, default: int, bounds: tuple[int, int]) -> int:
    """A whole number of days within ``bounds`` (a TOML true is not 1 day)."""
    value = section.get(key, default)
    low, high = bounds
    if isinstance(value, bool) or not low <= value <= high:
        raise ConfigError(f"'{where}{key}' must be a whole number of days from {low} to {high}, not {value}",
                          f"「{where}{key}」须为 {low} 到 {high} 之间的整天数，不能是 {value}")
    return value


def _known_timezone(name: str) -> bool:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


def _idle_lock_s(staff: dict) -> float:
    """[staff] idle_lock_min in seconds; 0 never locks."""
    idle_min = staff.get("idle_lock_min", DEFAULT_IDLE_LOCK_MIN)
    if isinstance(idle_min, bool) or not 0 <= idle_min <= MAX_IDLE_LOCK_MIN:
        raise ConfigError(
            f"'staff.idle_lock_min' must be minutes from 0 (never lock) to {MAX_IDLE_LOCK_MIN},"
            f" not {idle_min}",
            f"「staff.idle_lock_min」应为 0（不自动锁屏）到 {MAX_IDLE_LOCK_MIN} 之间的分钟数，"
            f"不能是 {idle_min}")
    return float(idle_min) * 60


def load(data_dir: str | Path | None = None, config_path: str | Path | None = None) -> Config:
    """Resolve the data directory and read the config that applies to it."""
    chosen_dir = data_dir or os.environ.get("STORE_EDGE_DATA_DIR")
    explicit = config_path or os.environ.get("STORE_EDGE_CONFIG")
    base_dir = Path(chosen_dir or DEFAULT_DATA_DIR).expanduser()
    path = Path(explicit).expanduser() if explicit else base_dir / CONFIG_FILENAME
    if path.exists():
        cfg = parse(path.read_text(encoding="utf-8"), path)
    elif explicit:
        raise ConfigError(f"config file not found: {path}", f"找不到配置文件：{path}")
    else:
        cfg = Config()
    if chosen_dir or cfg.data_dir is None:
        cfg.data_dir = base_dir
    return cfg


def _toml_str(value: str) -> str:
    """A TOML basic string (JSON's escapes are TOML's for these characters)."""
    import json

    return json.dumps(value, ensure_ascii=False)


def write_new(path: Path, *, language: str, store_name: str, hq_url: str, hq_token: str) -> None:
    """The config of a store made by `store-edge init`; 0600 from the first byte, since it
    holds the HQ token. Refuses to replace an existing file (FileExistsError)."""
    text = (f"language = {_toml_str(language)}\n"
            f"store_name = {_toml_str(store_name)}\n"
            f"store_address = \"\"\n\n"
            f"[hq]\nurl = {_toml_str(hq_url)}\ntoken = {_toml_str(hq_token)}\n\n"
            f"[staff]\n# minutes without a key before the terminal locks (0: never)\n"
            f"idle_lock_min = {DEFAULT_IDLE_LOCK_MIN:g}\n")
    from edge.private_files import write_private_text

    parse(text, path)  # what we write must read back
    if path.exists():
        raise FileExistsError(path)
    write_private_text(path, text)
