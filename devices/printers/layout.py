"""Column layout for fixed-pitch printer fonts where CJK characters take two columns.

58 mm paper: 384 dots = 32 columns of 12-dot Font A; 80 mm: 576 dots = 48 columns.
"""
from __future__ import annotations

import unicodedata

PAPER = {58: (384, 32), 80: (576, 48)}  # paper mm -> (dots, columns in Font A)


def paper_geometry(paper_mm: int) -> tuple[int, int]:
    try:
        return PAPER[paper_mm]
    except KeyError:
        raise ValueError(f"paper width {paper_mm} mm not supported; use 58 or 80") from None


def char_width(ch: str) -> int:
    if unicodedata.combining(ch):
        return 0
    return 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1


def text_width(s: str) -> int:
    return sum(char_width(c) for c in s)


def truncate(s: str, width: int, ellipsis: str = "…") -> str:
    """Cut ``s`` to at most ``width`` columns, marking the cut."""
    if text_width(s) <= width:
        return s
    ew = text_width(ellipsis)
    out, w = [], 0
    for c in s:
        cw = char_width(c)
        if w + cw > width - ew:
            break
        out.append(c)
        w += cw
    return "".join(out) + ellipsis


def wrap(s: str, width: int) -> list[str]:
    """Hard-wrap by columns (CJK text has no spaces to break at)."""
    lines, cur, w = [], [], 0
    for c in s:
        cw = char_width(c)
        if w + cw > width and cur:
            lines.append("".join(cur))
            cur, w = [], 0
        cur.append(c)
        w += cw
    if cur or not lines:
        lines.append("".join(cur))
    return lines


def wrap_words(s: str, width: int) -> list[str]:
    """Wrap at spaces where a line allows it (Latin words, times, "8.2°C" kept whole);
    a run without spaces wider than a line is hard-wrapped like ``wrap``."""
    lines: list[str] = []
    cur = ""
    for word in s.split(" "):
        candidate = f"{cur} {word}" if cur else word
        if text_width(candidate) <= width:
            cur = candidate
            continue
        if cur:
            lines.append(cur)
        parts = wrap(word, width)
        lines += parts[:-1]
        cur = parts[-1]
    lines.append(cur)
    return lines


def pad(s: str, width: int, align: str = "left") -> str:
    s = truncate(s, width)
    gap = width - text_width(s)
    if align == "right":
        return " " * gap + s
    if align == "center":
        return " " * (gap // 2) + s + " " * (gap - gap // 2)
    return s + " " * gap


def left_right(left: str, right: str, width: int) -> str:
    """``left`` and ``right`` on one line, left truncated if they do not fit."""
    rw = text_width(right)
    return pad(left, max(0, width - rw - 1)) + " " + right if rw < width else truncate(right, width)


def columns(cells: list[str], widths: list[int], aligns: list[str]) -> str:
    return "".join(pad(c, w, a) for c, w, a in zip(cells, widths, aligns))
