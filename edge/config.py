"""The store's configuration file (TOML), read with clear messages for typos.

Looked up in this order: ``--config PATH``, ``$STORE_EDGE_CONFIG``, ``<data-dir>/store-edge.toml``.
The data directory is ``--data-dir``, else ``$STORE_EDGE_DATA_DIR``, else the config's
``data_dir``, else the user's data directory (platformdirs; ``~/.local/share/store-edge`` on
Linux). The config stays beside the database it describes (not in ~/.config): ``init``
writes both, and one directory holds the whole store.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from edge import config_schema  # what the file may hold, its types and ranges
from edge.config_schema import DEFAULT_IDLE_LOCK_MIN, DEFAULT_TIMEZONE
from edge.i18n import DEFAULT_LANGUAGE
from edge.paths import default_data_dir

CONFIG_FILENAME = "store-edge.toml"
DEFAULT_DATA_DIR = default_data_dir()


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


def parse(text: str, path: Path | None = None) -> Config:
    """Parse config text; raises ConfigError naming the first key at fault (``store-edge
    config check`` lists every one, with its line)."""
    raw = parse_toml(text, path)
    checked, problems = config_schema.validate(raw)
    if checked is None:  # the first in the file is the one to fix first
        from edge.config_check import key_lines, line_of

        lines = key_lines(text)
        first = min(problems, key=lambda p: line_of(lines, p.loc) or 0)
        raise ConfigError(first.message_en, first.message_zh)
    hq = checked.hq
    cfg = Config(language=checked.language, store_name=checked.store_name,
                 timezone=checked.timezone, store_address=checked.store_address,
                 hq_url=hq.url, hq_token=hq.token, sync_interval_s=hq.interval_s,
                 hq_timeout_s=hq.timeout_s, devices=raw.get("devices", {}),
                 near_expiry_days=checked.stock.near_expiry_days,
                 made_to_order_reminder_h=checked.board.made_to_order_reminder_h,
                 idle_lock_s=checked.staff.idle_lock_min * 60, path=path,
                 backup_keep=checked.backup.keep)
    if checked.data_dir is not None:
        cfg.data_dir = Path(checked.data_dir).expanduser()
    return cfg


def parse_toml(text: str, path: Path | None = None) -> dict:
    """The TOML as a dict; ConfigError (with the line TOML names) when it is not TOML."""
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path or 'config'}: not valid TOML: {exc}",
                          f"{path or '配置文件'}：TOML 格式错误：{exc}") from None


def locate(data_dir: str | Path | None = None,
           config_path: str | Path | None = None) -> tuple[Path, Path, bool]:
    """(data directory, config file, whether the file was named explicitly), by the lookup
    order in this module's docstring."""
    chosen_dir = data_dir or os.environ.get("STORE_EDGE_DATA_DIR")
    explicit = config_path or os.environ.get("STORE_EDGE_CONFIG")
    base_dir = Path(chosen_dir or DEFAULT_DATA_DIR).expanduser()
    path = Path(explicit).expanduser() if explicit else base_dir / CONFIG_FILENAME
    return base_dir, path, bool(explicit)


def load(data_dir: str | Path | None = None, config_path: str | Path | None = None) -> Config:
    """Resolve the data directory and read the config that applies to it."""
    base_dir, path, explicit = locate(data_dir, config_path)
    if path.exists():
        cfg = parse(path.read_text(encoding="utf-8"), path)
    elif explicit:
        raise ConfigError(f"config file not found: {path}", f"找不到配置文件：{path}")
    else:
        cfg = Config()
    if data_dir or os.environ.get("STORE_EDGE_DATA_DIR") or cfg.data_dir is None:
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
