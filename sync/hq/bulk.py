"""``store-edge hq add-stores stores.csv``: register a chain's stores in one go.

The CSV is read and checked whole before anything happens (header, empty / malformed /
repeated ids, ids HQ already has), and every problem is named with its line number; any
problem registers nothing. The tokens go to a file created with mode 0600 (only its owner
can read it), never to the terminal, and the file is written and synced before the stores
are committed: no store is ever registered without its token on disk.
"""

from __future__ import annotations

import csv
import io
import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from . import registry
from .db import Database
from .errors import HQError

COLUMNS = ("store_id", "name")


@dataclass(frozen=True)
class StoreRow:
    line: int
    store_id: str
    name: str


class BulkRefused(HQError):
    """The CSV (or the tokens file) is not usable: ``problems`` lists each, by line."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("bad_stores_csv", "\n".join(problems), 422)
        self.problems = problems


def read_stores_csv(text: str) -> list[StoreRow]:
    """Parse and check the rows (store_id, optional name); raises BulkRefused naming every
    problem with its line number. Strict CSV: a quote left open would otherwise swallow the
    lines after it into one store's name, and a cell beyond the header would be dropped."""
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff")), strict=True)  # a spreadsheet's BOM
    try:
        found = [cell.strip() for cell in next(reader, [])]
    except csv.Error as exc:
        raise BulkRefused([_csv_problem(1, exc)]) from None
    header = [cell.lower() for cell in found]
    if "store_id" not in header or set(header) - set(COLUMNS) - {""}:
        raise BulkRefused([f"第 1 行 / line 1: 表头须为 store_id,name / the header must be "
                           f"store_id[,name] (found: {','.join(found) or 'nothing'})"])
    at = {column: header.index(column) for column in COLUMNS if column in header}
    rows: list[StoreRow] = []
    problems: list[str] = []
    first_line: dict[str, int] = {}
    while True:
        line = reader.line_num + 1  # where the next record starts
        try:
            cells = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            problems.append(_csv_problem(line, exc))
            break  # past a broken quote the lines cannot be told apart
        if not any(cell.strip() for cell in cells):
            continue  # blank lines are fine
        store_id = _cell(cells, at["store_id"])
        name = _cell(cells, at["name"]) if "name" in at else ""
        problem = registry.store_id_problem(store_id)
        if reader.line_num > line or "\n" in name or "\r" in name:
            problems.append(f"第 {line} 行 / line {line}: 引号内有换行 / a quoted cell runs over "
                            f"more than one line (a quote left open?)")
        elif len(cells) > len(header) and any(c.strip() for c in cells[len(header):]):
            problems.append(f"第 {line} 行 / line {line}: {len(cells)} 个字段，表头只有 {len(header)} 个 / "
                            f"{len(cells)} cells, the header has {len(header)} (a name with a comma "
                            f"needs quotes: \"徐家汇店, 2F\")")
        elif problem:
            problems.append(f"第 {line} 行 / line {line}: {problem}")
        elif store_id in first_line:
            problems.append(f"第 {line} 行 / line {line}: 门店 {store_id} 与第 {first_line[store_id]} 行重复 / "
                            f"store {store_id} repeats line {first_line[store_id]}")
        else:
            first_line[store_id] = line
            rows.append(StoreRow(line, store_id, name))
    if not rows and not problems:
        problems.append("文件中没有门店 / the file lists no stores")
    if problems:
        raise BulkRefused(problems)
    return rows


def _csv_problem(line: int, exc: csv.Error) -> str:
    return (f"第 {line} 行 / line {line}: CSV 格式错误 / not valid CSV ({exc}; a quote left open "
            f"or text after a closing quote?)")


def _cell(cells: list[str], index: int) -> str:
    return cells[index].strip() if index < len(cells) else ""


def already_registered(db: Database, rows: list[StoreRow]) -> list[str]:
    """Problems for the rows whose store HQ already has."""
    with db.tx(snapshot=True) as tx:
        known = {r[0] for r in tx.all("SELECT store_id FROM stores")}
    return [f"第 {r.line} 行 / line {r.line}: 门店 {r.store_id} 已登记 / store {r.store_id} is already "
            f"registered (hq rotate-token gives it a new token)" for r in rows if r.store_id in known]


def add_stores_from_csv(db: Database, csv_path: Path, out: Path, now: datetime, *,
                        token_days: int | None = registry.DEFAULT_TOKEN_DAYS) -> int:
    """Register every store the CSV lists, tokens to ``out`` (0600); returns how many."""
    try:
        text = csv_path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise BulkRefused([f"{csv_path}: 不是 UTF-8 文本 / not UTF-8 text ({exc}): save the "
                           f"spreadsheet as \"CSV UTF-8\""]) from exc
    except OSError as exc:
        raise BulkRefused([f"{csv_path}: 无法读取 / cannot read it ({exc.strerror})"]) from exc
    rows = read_stores_csv(text)
    problems = already_registered(db, rows)
    if problems:
        raise BulkRefused(problems)
    expires = registry.token_expiry(now, token_days)
    tokens = {r.store_id: registry.new_store_token(r.store_id) for r in rows}
    _write_tokens(out, [(r.store_id, r.name, tokens[r.store_id], expires or "") for r in rows])
    try:
        registry.add_stores(db, [(r.store_id, r.name) for r in rows], now, token_days=token_days, tokens=tokens)
    except BaseException:
        out.unlink(missing_ok=True)  # nothing registered: these tokens open nothing
        raise
    return len(rows)


def _write_tokens(out: Path, rows: list[tuple[str, str, str, str]]) -> None:
    """Create ``out`` with mode 0600 (never an existing file: it may hold earlier tokens)."""
    try:
        fd = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise BulkRefused([f"{out}: 文件已存在，不覆盖 / already exists; not overwritten (choose another --out)"]) \
            from None
    except OSError as exc:
        raise BulkRefused([f"{out}: 无法创建 / cannot create it ({exc.strerror})"]) from exc
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as f:
            writer = csv.writer(f)
            writer.writerow(("store_id", "name", "token", "expires_at"))
            writer.writerows(rows)
            f.flush()
            os.fsync(f.fileno())
    except BaseException:
        out.unlink(missing_ok=True)
        raise
