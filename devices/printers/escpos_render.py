"""Render receipts and bag labels to ESC/POS bytes with python-escpos (its ``Dummy`` printer).

Two ways to print Chinese, chosen per printer in config (``chinese_font``):

* ``True``: the printer has a Chinese font ROM (most Chinese-market printers). We switch it to
  Chinese mode (``FS &``) and send text as GB18030, which is GBK-compatible for every character
  in a GBK font.
* ``False``: text is drawn with Pillow into 1-bit raster images (``GS v 0``), using a CJK font
  found on this machine (see ``fonts.py``). Slower to send, prints anywhere.

QR codes use the printer's native QR command (``GS ( k``) in both modes: sharp and short.
Sizes use ``GS !``, which Chinese printers apply to both ASCII and Chinese characters.
"""
from __future__ import annotations

import copy
import functools
from dataclasses import dataclass
from typing import Union

from escpos.constants import QR_ECLEVEL_M
from escpos.printer import Dummy
from PIL import Image, ImageDraw, ImageFont

from devices.printers.documents import (
    BagLabel, Receipt, Report, format_money, format_qty, format_time,
)
from devices.printers.fonts import find_cjk_font, find_latin_mono_font
from devices.printers.layout import (
    columns, font_safe_doc, in_font, left_right, paper_geometry, text_width, wrap,
)

ESC_INIT = b"\x1b@"
FS_CHINESE_ON = b"\x1c&"
FS_CHINESE_OFF = b"\x1c."
CELL_W, CELL_H, LINE_GAP = 12, 24, 6  # Font A cell in dots; ASCII is one cell, CJK two


@dataclass(frozen=True)
class Text:
    text: str
    align: str = "left"
    bold: bool = False
    w: int = 1  # width multiplier (1-8)
    h: int = 1  # height multiplier (1-8)
    invert: bool = False


@dataclass(frozen=True)
class Qr:
    payload: str
    size: int = 6


Block = Union[Text, Qr]


# ---------------------------------------------------------------- document -> blocks

def _wrapped(text: str, cols: int, w: int = 1, **style) -> list[Text]:
    return [Text(line, w=w, **style) for line in wrap(text, cols // w)] if text else []


def _number_columns(c, items, cols: int) -> tuple[list[int], list[str], list[list[str]]]:
    """Widths of the item table sized to its numbers, so no amount is ever cut (￥100000.00
    needs 11 columns); the name column takes what is left, one space between columns."""
    rows = []
    for it in items:
        nums = [format_qty(it.qty), format_money(it.amount_cents)]
        if cols >= 48:
            nums.insert(0, format_money(it.unit_price_cents))
        rows.append(nums)
    heads = ["", c.qty, c.amount] if cols >= 48 else [c.qty, c.amount]
    num_widths = [max([text_width(h)] + [text_width(r[i]) for r in rows])
                  for i, h in enumerate(heads)]
    name_w = cols - sum(num_widths) - len(num_widths)
    return [name_w, *(w + 1 for w in num_widths)], ["left"] + ["right"] * len(heads), rows


def receipt_blocks(r: Receipt, paper_mm: int) -> list[Block]:
    _, cols = paper_geometry(paper_mm)
    r = font_safe_doc(r)
    c = r.captions
    out: list[Block] = []
    if r.copy:
        out += _wrapped(c.copy, cols, align="center", bold=True, invert=True)
    out += _wrapped(r.store_name, cols, w=2, h=2, align="center", bold=True)
    out += _wrapped(r.store_address, cols, align="center")
    out += _wrapped(r.title, cols, align="center", bold=True)
    rule = Text("-" * cols)
    out.append(rule)
    out += _wrapped(f"{c.order_no}: {r.order_no}", cols, bold=True)
    out += _wrapped(f"{c.time}: {format_time(r.time)}", cols)
    out += _wrapped(f"{c.clerk}: {r.clerk}", cols)
    if r.customer_masked:
        out += _wrapped(f"{c.customer}: {r.customer_masked}", cols)
    out.append(rule)
    items = r.items()
    widths, aligns, rows = _number_columns(c, items, cols)
    heads = [c.item, "", c.qty, c.amount] if cols >= 48 else [c.item, c.qty, c.amount]
    if widths[0] >= 6:
        out.append(Text(columns(heads, widths, aligns)))
    for it, nums in zip(items, rows):
        if widths[0] < 6:  # numbers too wide to share a line: name above, numbers below
            out += _wrapped(it.name, cols)
            out.append(Text(columns(["", *nums], widths, aligns)))
            continue
        name_lines = wrap(it.name, widths[0] - 1)
        out.append(Text(columns([name_lines[0], *nums], widths, aligns)))
        out += [Text(line) for line in name_lines[1:]]
    out.append(rule)
    out.append(Text(left_right(c.total, format_money(r.total_cents), cols), bold=True, h=2))
    if r.qr_payload:
        out.append(Qr(r.qr_payload, size=6 if cols >= 48 else 5))
        out += _wrapped(c.qr_hint, cols, align="center")
    out += _wrapped(r.footer, cols, align="center")
    return out


def report_blocks(r: Report, paper_mm: int) -> list[Block]:
    """Label/value rows that fit the paper: a pair too wide for one line prints the label,
    then the value right-aligned under it (CJK counts two columns)."""
    _, cols = paper_geometry(paper_mm)
    r = font_safe_doc(r)
    out: list[Block] = []
    if r.copy:
        out += _wrapped(r.copy_caption, cols, align="center", bold=True, invert=True)
    out += _wrapped(r.store_name, cols, w=2, h=2, align="center", bold=True)
    out += _wrapped(r.title, cols, w=2, h=2, align="center", bold=True)
    out += _wrapped(r.subtitle, cols, align="center")
    for section in r.sections:
        out.append(Text("-" * cols))
        out += _wrapped(section.title, cols, bold=True)
        for label, value in section.rows:
            if text_width(label) + 1 + text_width(value) <= cols:
                out.append(Text(left_right(label, value, cols)))
            else:
                out += [Text(line) for line in wrap(label, cols)]
                out += [Text(line, align="right") for line in wrap(value, cols)]
    out.append(Text("-" * cols))
    out += _wrapped(r.footer, cols, align="center")
    return out


def bag_label_blocks(b: BagLabel, paper_mm: int) -> list[Block]:
    _, cols = paper_geometry(paper_mm)
    big = 3 if cols >= 48 else 2
    b = font_safe_doc(b)
    c = b.captions
    out: list[Block] = []
    if b.copy:
        out += _wrapped(c.copy, cols, align="center", bold=True, invert=True)
    out += _wrapped(b.order_no, cols, w=big, h=big, align="center", bold=True)
    out += _wrapped(f"{c.bag} {b.bag_no}/{b.bag_count}", cols, w=2, h=2, align="center", bold=True)
    out += _wrapped(b.zone_label, cols, w=big, h=big, align="center", bold=True, invert=True)
    out += _wrapped(f"{c.slot}: {b.slot}", cols, w=2, h=2, align="center", bold=True)
    out += _wrapped(f"{c.pickup}: {b.pickup_window}", cols)
    out += _wrapped(f"{c.customer}: {b.customer_masked} ****{b.phone_last4}", cols)
    if b.qr_payload:
        out.append(Qr(b.qr_payload, size=6 if cols >= 48 else 5))
    return out


# ---------------------------------------------------------------- blocks -> bytes

def _printer(dots: int) -> Dummy:
    p = Dummy()
    # per-instance profile copy: python-escpos shares profile data between instances
    p.profile.profile_data = copy.deepcopy(p.profile.profile_data)
    p.profile.profile_data["media"]["width"]["pixels"] = dots
    return p


def _emit_text_mode(p: Dummy, blocks: list[Block], dots: int) -> None:
    p._raw(ESC_INIT + FS_CHINESE_ON)
    for b in blocks:
        if isinstance(b, Qr):
            _emit_qr(p, b)
            continue
        if not all(in_font(ch) for ch in b.text):
            # the font ROM lacks a character (emoji, a rare name): this line goes as an image,
            # drawn cell by cell so its columns line up with the text lines around it
            p.set(align="left", bold=False, invert=False, custom_size=True, width=1, height=1)
            p.image(text_image([b], dots, find_cjk_font(), find_latin_mono_font()),
                    impl="bitImageRaster")
            p._raw(FS_CHINESE_ON)
            continue
        p.set(align=b.align, bold=b.bold, invert=b.invert, custom_size=True, width=b.w, height=b.h)
        p._raw(gbk_bytes(b.text) + b"\n")
    p.set(align="left", bold=False, invert=False, custom_size=True, width=1, height=1)


def gbk_bytes(text: str) -> bytes:
    """Text for a printer's Chinese font ROM (GB18030 is GBK for every GBK character). Lines
    with characters outside GBK never get here: they print as images (``_emit_text_mode``)."""
    return text.encode("gbk", errors="replace")


def _emit_qr(p: Dummy, q: Qr) -> None:
    p.set(align="center", bold=False, invert=False, custom_size=True, width=1, height=1)
    p.qr(q.payload, native=True, size=q.size, ec=QR_ECLEVEL_M)
    p._raw(b"\n")


@functools.lru_cache(maxsize=16)
def _font(path: str | None, px: int, cell_w: int = 0) -> ImageFont.ImageFont | ImageFont.FreeTypeFont:
    """Font at ``px`` height; with ``cell_w``, shrunk until a glyph fits the half-width cell."""
    if not path:
        return ImageFont.load_default(px)
    f = ImageFont.truetype(path, px)
    while cell_w and px > 8 and f.getlength("M") > cell_w:
        px -= 1
        f = ImageFont.truetype(path, px)
    return f


def text_image(blocks: list[Text], dots: int, font_path: str | None,
               latin_path: str | None = None) -> Image.Image:
    """Draw text blocks into a 1-bit image ``dots`` wide, one character per column cell, so the
    layout matches what a font-ROM printer would print. Each line is drawn at a square scale and
    stretched to its (w, h) multipliers, like a printer scales its font."""
    strips = [_line_image(b, dots, font_path, latin_path) for b in blocks]
    img = Image.new("1", (dots, sum(s.height for s in strips)), 1)
    y = 0
    for s in strips:
        img.paste(s, (0, y))
        y += s.height
    return img


def _line_image(b: Text, dots: int, font_path: str | None, latin_path: str | None) -> Image.Image:
    s = min(b.w, b.h)
    cols = dots // (CELL_W * b.w)
    cw, lh = CELL_W * s, CELL_H * s + LINE_GAP
    strip = Image.new("L", (cols * cw, lh), 0 if b.invert else 255)
    draw = ImageDraw.Draw(strip)
    fg = 255 if b.invert else 0
    tw = text_width(b.text)
    x = max(0, {"center": (cols - tw) // 2, "right": cols - tw}.get(b.align, 0)) * cw
    wide = _font(font_path, CELL_H * s)
    narrow = _font(latin_path or font_path, CELL_H * s, cw)
    for ch in b.text:
        double = text_width(ch) == 2
        draw.text((x, lh // 2), ch, font=wide if double else narrow, fill=fg, anchor="lm",
                  stroke_width=1 if b.bold else 0, stroke_fill=fg)
        x += (2 if double else 1) * cw
    target = (dots, CELL_H * b.h + LINE_GAP)
    if strip.size != target:
        strip = strip.resize(target, Image.Resampling.NEAREST)
    return strip.convert("1")


def _emit_image_mode(p: Dummy, blocks: list[Block], dots: int, font_path: str | None) -> None:
    p._raw(ESC_INIT)
    run: list[Text] = []

    def flush() -> None:
        if run:
            p.image(text_image(run, dots, font_path, find_latin_mono_font()), impl="bitImageRaster")
            run.clear()

    for b in blocks:
        if isinstance(b, Qr):
            flush()
            _emit_qr(p, b)
        else:
            run.append(b)
    flush()


def render_blocks(blocks: list[Block], paper_mm: int, chinese_font: bool = True,
                  font_path: str | None = None, cut: bool = True) -> bytes:
    dots, _ = paper_geometry(paper_mm)
    p = _printer(dots)
    if chinese_font:
        _emit_text_mode(p, blocks, dots)
    else:
        _emit_image_mode(p, blocks, dots, font_path or find_cjk_font())
    if cut:
        p.cut()
    return p.output


def render_receipt(receipt: Receipt, paper_mm: int = 58, chinese_font: bool = True,
                   font_path: str | None = None) -> bytes:
    """ESC/POS bytes for ``receipt`` on 58 or 80 mm paper, ending with a cut."""
    return render_blocks(receipt_blocks(receipt, paper_mm), paper_mm, chinese_font, font_path)


def render_report(report: Report, paper_mm: int = 58, chinese_font: bool = True,
                  font_path: str | None = None) -> bytes:
    """ESC/POS bytes for a report (day end) on 58 or 80 mm receipt paper, ending with a cut."""
    return render_blocks(report_blocks(report, paper_mm), paper_mm, chinese_font, font_path)


def render_bag_label(label: BagLabel, paper_mm: int = 80, chinese_font: bool = True,
                     font_path: str | None = None) -> bytes:
    """ESC/POS bytes for one bag label (label or short ticket paper), ending with a cut."""
    return render_blocks(bag_label_blocks(label, paper_mm), paper_mm, chinese_font, font_path)
