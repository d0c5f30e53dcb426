"""The one validator of ``store-edge.toml`` (pydantic): every table and key it may hold, with
types and ranges. ``problems(raw)`` names every mistake at once, each with where it is (a
key path) and what is wrong in zh-CN and en; ``edge.config.parse`` refuses on the first,
``store-edge config check`` lists them all with their lines. The ``[devices]`` table is
checked by devices.config (the device layer owns its settings)."""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, ValidationError, field_validator

from edge.i18n import DEFAULT_LANGUAGE, LANGUAGES

# The store's local time zone (IANA name): "the day" of day end is local midnight to local
# midnight here. Stores of these chains are in mainland China, hence the default.
DEFAULT_TIMEZONE = "Asia/Shanghai"
NEAR_EXPIRY_DAYS = (1, 60)  # allowed range of [stock] near_expiry_days
MAX_REMINDER_H = 72
DEFAULT_IDLE_LOCK_MIN = 5.0
MAX_IDLE_LOCK_MIN = 24 * 60
BACKUP_KEEP_DAYS = (1, 366)  # [backup] keep: backup sets of this many most recent days


@dataclass(frozen=True)
class Problem:
    """One mistake: ``loc`` the key path (("hq", "url"), ("devices", "probes", 0, "zone"))."""

    loc: tuple[str | int, ...]
    message_en: str
    message_zh: str

    def message(self, lang: str) -> str:
        return self.message_zh if lang == "zh-CN" else self.message_en


class Refused(ValueError):
    """A value a validator refuses, saying why in both languages (pydantic keeps the
    exception in the error's context)."""

    def __init__(self, en: str, zh: str) -> None:
        super().__init__(en)
        self.en, self.zh = en, zh



def _whole_days(value: int, where: str, bounds: tuple[int, int]) -> int:
    low, high = bounds
    if not low <= value <= high:
        raise Refused(f"'{where}' must be a whole number of days from {low} to {high}, not {value}",
                      f"「{where}」须为 {low} 到 {high} 之间的整天数，不能是 {value}")
    return value


class _Table(BaseModel):
    # strict: a TOML "5" is not 5 and true is not 1; forbid: a typo is an error, not ignored
    model_config = ConfigDict(extra="forbid", strict=True)


class HqTable(_Table):
    url: str | None = None
    token: str | None = None
    interval_s: float = 5.0
    timeout_s: float = 5.0

    @field_validator("url")
    @classmethod
    def _url(cls, url: str | None) -> str | None:
        parts = urlsplit(url) if url is not None else None
        if parts is not None and (parts.scheme not in ("http", "https") or not parts.hostname):
            raise Refused(f"'hq.url' must be an http:// or https:// address with a host"
                          f" (e.g. https://hq.example.com), not '{url}'",
                          f"「hq.url」应为带主机名的 http:// 或 https:// 地址"
                          f"（例：https://hq.example.com），不能是「{url}」")
        return url

    @field_validator("token")
    @classmethod
    def _token(cls, token: str | None) -> str | None:
        if token is not None and not token.strip():
            raise Refused("'hq.token' is empty: copy the token `store-edge hq add-store` printed",
                          "「hq.token」是空的：请填入 `store-edge hq add-store` 打印的令牌")
        return token

    @field_validator("interval_s", "timeout_s")
    @classmethod
    def _seconds(cls, value: float, info) -> float:
        if not 0 < value <= 3600:
            raise Refused(f"'hq.{info.field_name}' must be seconds from above 0 to 3600, not {value}",
                          f"「hq.{info.field_name}」须为大于 0、不超过 3600 的秒数，不能是 {value}")
        return value


class StockTable(_Table):
    near_expiry_days: int = 3  # lots this close to expiry are listed with a markdown

    @field_validator("near_expiry_days")
    @classmethod
    def _days(cls, value: int) -> int:
        return _whole_days(value, "stock.near_expiry_days", NEAR_EXPIRY_DAYS)


class BoardTable(_Table):
    # how many hours before its pickup window a made-to-order item (a cake) is flagged
    made_to_order_reminder_h: float = 4.0

    @field_validator("made_to_order_reminder_h")
    @classmethod
    def _hours(cls, value: float) -> float:
        if not 0 <= value <= MAX_REMINDER_H:
            raise Refused(
                f"'board.made_to_order_reminder_h' must be 0–{MAX_REMINDER_H} hours, not {value:g}",
                f"「board.made_to_order_reminder_h」须在 0–{MAX_REMINDER_H} 小时之间，不能是 {value:g}")
        return value


class StaffTable(_Table):
    # the terminal goes back to the sign-in screen after this long without a key; 0: never
    idle_lock_min: float = DEFAULT_IDLE_LOCK_MIN

    @field_validator("idle_lock_min")
    @classmethod
    def _minutes(cls, value: float) -> float:
        if not 0 <= value <= MAX_IDLE_LOCK_MIN:
            raise Refused(
                f"'staff.idle_lock_min' must be minutes from 0 (never lock) to {MAX_IDLE_LOCK_MIN},"
                f" not {value:g}",
                f"「staff.idle_lock_min」应为 0（不自动锁屏）到 {MAX_IDLE_LOCK_MIN} 之间的分钟数，"
                f"不能是 {value:g}")
        return value


class BackupTable(_Table):
    keep: int = 14

    @field_validator("keep")
    @classmethod
    def _keep(cls, value: int) -> int:
        return _whole_days(value, "backup.keep", BACKUP_KEEP_DAYS)


class ConfigFile(_Table):
    """``store-edge.toml`` as written by hand or by ``store-edge init``."""

    data_dir: str | None = None
    language: str = DEFAULT_LANGUAGE
    store_name: str | None = None
    store_address: str = ""
    timezone: str = DEFAULT_TIMEZONE
    hq: HqTable = HqTable()
    stock: StockTable = StockTable()
    board: BoardTable = BoardTable()
    staff: StaffTable = StaffTable()
    backup: BackupTable = BackupTable()
    devices: dict[str, Any] = {}  # devices.config checks what is inside
    sync: dict[str, Any] = {}  # reserved; nothing reads it yet

    @field_validator("language")
    @classmethod
    def _language(cls, language: str) -> str:
        if language not in LANGUAGES:
            raise Refused(f"language must be one of {', '.join(LANGUAGES)}, not '{language}'",
                          f"language 只能是 {'、'.join(LANGUAGES)}，不能是「{language}」")
        return language

    @field_validator("timezone")
    @classmethod
    def _timezone(cls, zone: str) -> str:
        if not _known_timezone(zone):
            raise Refused(f"timezone '{zone}' is not a known time zone (e.g. Asia/Shanghai)",
                          f"时区「{zone}」不存在（例：Asia/Shanghai）")
        return zone


def _known_timezone(name: str) -> bool:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


def validate(raw: dict[str, Any]) -> tuple[ConfigFile | None, list[Problem]]:
    """The checked config, or None and every problem found (in file order of the model)."""
    try:
        return ConfigFile.model_validate(raw), []
    except ValidationError as exc:
        return None, [_problem(error) for error in exc.errors()]


_TYPE_NAMES = {"string": ("text", "文本"), "int": ("a whole number", "整数"),
               "float": ("a number", "数字"), "dict": ("a table", "表"),
               "model": ("a table", "表"), "bool": ("true or false", "true 或 false")}


def _where(loc: tuple) -> str:
    return ".".join(str(part) for part in loc)


def _problem(error: dict) -> Problem:
    loc = tuple(error["loc"])
    where, kind = _where(loc), error["type"]
    refused = (error.get("ctx") or {}).get("error")
    if isinstance(refused, Refused):
        return Problem(loc, refused.en, refused.zh)
    if kind == "extra_forbidden":
        known = list(_fields_at(loc[:-1]))
        close = difflib.get_close_matches(str(loc[-1]), known, n=1)
        hint_en = f" Did you mean '{close[0]}'?" if close else f" Known here: {', '.join(known)}."
        hint_zh = f"是不是想写「{close[0]}」？" if close else f"这里可用：{'、'.join(known)}。"
        return Problem(loc, f"unknown key '{where}'.{hint_en}", f"未知的配置项「{where}」。{hint_zh}")
    got = type(error.get("input")).__name__
    expected = next((names for key, names in _TYPE_NAMES.items() if kind.startswith(key)), None)
    if expected is None:  # any other pydantic complaint, in its own words
        return Problem(loc, f"'{where}': {error['msg']}", f"「{where}」：{error['msg']}")
    return Problem(loc, f"'{where}' has the wrong type ({got}): it must be {expected[0]}",
                   f"配置项「{where}」的类型不对（{got}）：应为{expected[1]}")


def _fields_at(loc: tuple) -> dict[str, Any]:
    model: type[BaseModel] = ConfigFile
    for part in loc:
        annotation = model.model_fields[str(part)].annotation
        if not (isinstance(annotation, type) and issubclass(annotation, BaseModel)):
            return {}
        model = annotation
    return model.model_fields
