"""Column layout for fixed-pitch printer fonts where CJK characters take two columns.

58 mm paper: 384 dots = 32 columns of 12-dot Font A; 80 mm: 576 dots = 48 columns.

Widths come from wcwidth with East Asian *ambiguous* characters counted wide: a printer's
GB18030/GBK font prints every double-byte character (``×``, ``·``, ``℃``, ``…``, Greek,
Cyrillic, box drawing) in a full cell, which is exactly what ``ambiguous_width=2`` says.
Characters the font lacks are first replaced by a look-alike it has (``font_safe``).
"""
from __future__ import annotations

import dataclasses
import unicodedata
from typing import Any

from wcwidth import wcwidth

PAPER = {58: (384, 32), 80: (576, 48)}  # paper mm -> (dots, columns in Font A)

# Look-alikes for characters a GBK font does not have, of the same printed width.
SUBSTITUTES = {
    "\u2212": "-", "\u2010": "-", "\u2011": "-", "\u2012": "-", "\u2013": "-",  # minus, dashes
    "\u00a0": " ", "\u2009": " ", "\u202f": " ",
    "\u00a5": "\uffe5",  # ¥ is not in GBK; the fullwidth ￥ is
    "\u2022": "\u00b7", "\u2027": "\u00b7",  # bullets -> middle dot
    "\u2713": "\u221a", "\u2714": "\u221a",  # check marks -> √
    "\u2715": "\u00d7", "\u2716": "\u00d7",  # multiplication x marks -> ×
}


def paper_geometry(paper_mm: int) -> tuple[int, int]:
    try:
        return PAPER[paper_mm]
    except KeyError:
        raise ValueError(f"paper width {paper_mm} mm not supported; use 58 or 80") from None


def char_width(ch: str) -> int:
    """Printed cells of one character on a GB18030 printer (0 for combining/control)."""
    return max(0, wcwidth(ch, ambiguous_width=2))


def text_width(s: str) -> int:
    return sum(char_width(c) for c in s)


def in_font(ch: str) -> bool:
    """True when a GBK font ROM has the character."""
    try:
        ch.encode("gbk")
    except UnicodeEncodeError:
        return False
    return True


def font_safe(s: str) -> str:
    """``s`` with characters outside GBK replaced by a look-alike where one exists (− → -,
    ¥ → ￥, NFKC forms); what is left (emoji, rare ideographs) prints through the image path.
    Called on the document before layout, so columns are counted on what is printed."""
    out = []
    for ch in s:
        if in_font(ch):
            out.append(ch)
            continue
        sub = SUBSTITUTES.get(ch) or unicodedata.normalize("NFKC", ch)
        out.append(sub if sub != ch and all(in_font(c) for c in sub) else ch)
    return "".join(out)


def font_safe_doc(doc: Any) -> Any:
    """A copy of a document dataclass with every string in it (nested too) made ``font_safe``."""
    if isinstance(doc, str):
        return font_safe(doc)
    if isinstance(doc, list):
        return [font_safe_doc(x) for x in doc]
    if isinstance(doc, tuple):
        return tuple(font_safe_doc(x) for x in doc)
    if dataclasses.is_dataclass(doc) and not isinstance(doc, type):
        return dataclasses.replace(doc, **{f.name: font_safe_doc(getattr(doc, f.name))
                                           for f in dataclasses.fields(doc)})
    return doc


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


# closing punctuation stays with what it closes; a currency sign with its number
_NO_BREAK_BEFORE = set("，。、；：！？）》」』】,.;:!?)%")
_NO_BREAK_AFTER = set("（《「『【(\uffe5$×")


def _units(s: str) -> list[str]:
    """Pieces a line may break between: spaces, each wide (CJK) character, and runs of narrow
    characters (a word, a number, a slot like A-105), which are never split when they fit."""
    units: list[str] = []
    for c in s:
        if units:
            prev = units[-1]
            glue = (c in _NO_BREAK_BEFORE or prev[-1] in _NO_BREAK_AFTER
                    or (not c.isspace() and char_width(c) == 1 and not prev[-1].isspace()
                        and char_width(prev[-1]) == 1))
            if glue and not c.isspace() and not prev.isspace():
                units[-1] = prev + c
                continue
        units.append(c)
    return units


def wrap(s: str, width: int) -> list[str]:
    """Wrap to ``width`` columns: at spaces and between CJK characters, never inside a word or
    a number unless it alone is longer than a line."""
    lines: list[str] = []
    cur, w = "", 0
    for u in _units(s):
        uw = text_width(u)
        if u.isspace():
            if cur:
                cur, w = cur + u, w + uw
            continue
        if w + uw > width and cur.strip():
            lines.append(cur.rstrip())
            cur, w = "", 0
        while uw > width:  # a single piece wider than the line: hard-split it
            head = truncate(u, width, ellipsis="")
            lines.append(head)
            u = u[len(head):]
            uw = text_width(u)
        cur, w = cur + u, w + uw
    if cur.strip() or not lines:
        lines.append(cur.rstrip())
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
