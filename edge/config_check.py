"""``store-edge config check``: every mistake in ``store-edge.toml`` — its own keys (the
pydantic schema in edge.config_schema) and its ``[devices]`` table (devices.config) — each
with its line, plus what the data directory lacks (database, pickup key) or leaves readable.

tomllib gives no positions and tomlkit keeps them only as offsets inside its own document
model, so a key's line comes from a small scan of the text (``key_lines``): table headers
(``[a.b]``, ``[[a.b]]`` counted per parent), ``key = value`` lines and dotted keys; a mistake
inside an inline table or array is put on the line of the key that holds it. No new
dependency for something this small.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

from edge import config_schema
from edge.db import DB_FILENAME

Loc = tuple[str | int, ...]
_HEADER = re.compile(r"^\[(\[)?\s*(.+?)\s*\]\]?\s*(#.*)?$")
_ASSIGN = re.compile(r"""^((?:"[^"]*"|'[^']*'|[A-Za-z0-9_\-]+)(?:\s*\.\s*(?:"[^"]*"|'[^']*'|[A-Za-z0-9_\-]+))*)\s*=(.*)$""")
_KEY_PART = re.compile(r'"([^"]*)"|\'([^\']*)\'|([A-Za-z0-9_\-]+)')
_TOML_AT = re.compile(r"\(at line (\d+), column \d+\)")


@dataclass(frozen=True)
class Finding:
    line: int | None  # None: about the file or the data directory as a whole
    message_en: str
    message_zh: str

    def message(self, lang: str) -> str:
        return self.message_zh if lang == "zh-CN" else self.message_en


def _key(text: str) -> tuple[str, ...]:
    return tuple(next(g for g in m.groups() if g is not None) for m in _KEY_PART.finditer(text))


def key_lines(text: str) -> dict[Loc, int]:
    """The line (1-based) where each table and key of ``text`` is written."""
    lines: dict[Loc, int] = {}
    arrays: dict[Loc, int] = {}  # array-of-tables path (with parents' indices) -> count
    table: Loc = ()
    closing: str | None = None  # inside a multi-line string: its closing quotes
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if closing is not None:
            if line.count(closing) % 2 == 1:
                closing = None
            continue
        if not line or line.startswith("#"):
            continue
        header = _HEADER.match(line)
        if header:
            table = _resolve(_key(header.group(2)), arrays, new_array=bool(header.group(1)))
            lines.setdefault(table, number)
            if header.group(1):
                lines.setdefault(table[:-1], number)
            continue
        assign = _ASSIGN.match(line)
        if assign:
            lines.setdefault(table + _key(assign.group(1)), number)
            value = assign.group(2).strip()
            for quotes in ('"""', "'''"):
                if value.startswith(quotes) and value.count(quotes) == 1:
                    closing = quotes
    return lines


def _resolve(parts: tuple[str, ...], arrays: dict[Loc, int], *, new_array: bool) -> Loc:
    """A header's key path with the index of each array of tables it lies in."""
    path: Loc = ()
    for i, part in enumerate(parts):
        path += (part,)
        last = i == len(parts) - 1
        if last and new_array:
            arrays[path] = arrays.get(path, 0) + 1
        if path in arrays:
            path += (arrays[path] - 1,)
    return path


def line_of(lines: dict[Loc, int], loc: Loc) -> int | None:
    """The line of ``loc``, else of the nearest table or key that holds it."""
    for n in range(len(loc), 0, -1):
        if loc[:n] in lines:
            return lines[loc[:n]]
    return None


def check_text(text: str) -> list[Finding]:
    """Every mistake in the config text, in line order."""
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:  # TOML stops at its first syntax error
        at = _TOML_AT.search(str(exc))
        line = int(at.group(1)) if at else len(text.splitlines()) or None
        what = _TOML_AT.sub("", str(exc)).strip()
        return [Finding(line, f"not valid TOML: {what}", f"TOML 格式错误：{what}")]
    lines = key_lines(text)
    _, problems = config_schema.validate(raw)
    found = [Finding(line_of(lines, p.loc), p.message_en, p.message_zh) for p in problems]
    devices = raw.get("devices")
    if isinstance(devices, dict):
        found += [Finding(line_of(lines, ("devices",) + loc), en, zh)
                  for loc, en, zh in device_problems(devices)]
    return sorted(found, key=lambda f: (f.line or 0))


def device_problems(devices: dict) -> list[tuple[Loc, str, str]]:
    """The ``[devices]`` table's mistakes: devices.config stops at its first, so each scanner,
    printer and probe port is checked on its own, then the whole for what spans them
    (a probe id used twice)."""
    from devices.config import DeviceConfigError, parse_devices_config

    found: list[tuple[Loc, str, str]] = []
    parts: list[tuple[dict, Loc]] = []
    for key, value in devices.items():
        if key in ("scanners", "probes") and isinstance(value, list):
            parts += [({key: [entry]}, (key, i)) for i, entry in enumerate(value)]
        elif key == "printers" and isinstance(value, dict):
            parts += [({key: {name: entry}}, ()) for name, entry in value.items()]
        else:
            parts.append(({key: value}, ()))
    for part, at in parts:
        try:
            parse_devices_config(part)
        except DeviceConfigError as exc:
            loc = _device_loc(exc.key_path)
            if at and loc[:2] == (at[0], 0):
                loc = at + loc[2:]
            found.append(_device_problem(loc, exc))
    if not found:
        try:
            parse_devices_config(devices)
        except DeviceConfigError as exc:
            found.append(_device_problem(_device_loc(exc.key_path), exc))
    return found


def _device_problem(loc: Loc, exc) -> tuple[Loc, str, str]:
    where = "devices" + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in loc)
    return loc, f"{where}: {exc.message_en}", f"{where}：{exc.message_zh}"


def _device_loc(key_path: str) -> Loc:
    """``probes[0].probes[1].zone`` -> ("probes", 0, "probes", 1, "zone")."""
    loc: list[str | int] = []
    for name, index in re.findall(r"([^.\[\]]+)|\[(\d+)\]", key_path):
        loc.append(int(index) if index else name)
    return tuple(loc)


def check_data_dir(data_dir: Path) -> list[Finding]:
    """What the store needs beside its config: the database and the pickup-code key."""
    from edge.store import PICKUP_KEY_FILENAME as KEY_FILENAME

    found = []
    if not (data_dir / DB_FILENAME).is_file():
        found.append(Finding(None, f"no store database in {data_dir}: run `store-edge init`"
                                   f" (or give the right --data-dir)",
                             f"{data_dir} 里没有门店数据库：请运行 `store-edge init`（或指定正确的 --data-dir）"))
    elif not (data_dir / KEY_FILENAME).is_file():
        found.append(Finding(None, f"{data_dir / KEY_FILENAME} is missing: no pickup code can be"
                                   f" checked; restore it from a backup (store-edge restore)",
                             f"缺少 {data_dir / KEY_FILENAME}：无法核验任何取货码；请从备份恢复（store-edge restore）"))
    return found
