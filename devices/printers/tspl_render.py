"""Bag labels for TSPL sticker printers (TSC, Gprinter, Xprinter label models).

Chinese text uses the printer's built-in simplified-Chinese font ``TSS24.BF2`` (12x24 dots for
a half-width character, 24x24 for a full-width one, times the multipliers) and GB18030 bytes.
Coordinates are dots (203 dpi: 8 dots/mm).

Layout: the QR sits in the top-right corner with a quiet zone of four modules around it; a
text line beside it is fitted to the column left of that zone (smaller, then cut), a line
below it gets the full width. The zone band (reversed) spans only the width its line has,
so it never runs through the QR. If the lines do not fit the label's height, the big lines
shrink, the last first.
"""
from __future__ import annotations

from dataclasses import dataclass

import qrcode

from devices.printers.documents import BagLabel
from devices.printers.layout import char_width, font_safe_doc, in_font, text_width, truncate

HALF_W, FONT_H, LINE_GAP, MARGIN = 12, 24, 6, 16
QUIET_MODULES = 4


def _q(s: str) -> str:
    # TSPL strings are double-quoted; a quote inside is written as \["]
    return '"' + s.replace('"', '\\["]') + '"'


@dataclass
class _Line:
    text: str
    mult: int
    reverse: bool = False

    @property
    def height(self) -> int:
        return FONT_H * self.mult + LINE_GAP + (8 if self.reverse else 0)


def _in_rom(s: str) -> str:
    """The printer's TSS24 font has GBK only and no image path: a character outside it (an
    emoji, a rare name) prints as a full-width ？ or ?, in the same cells."""
    return "".join(c if in_font(c) else ("\uff1f" if char_width(c) == 2 else "?") for c in s)


def qr_modules(payload: str) -> int:
    """Modules per side of the QR the printer draws for ``payload`` at error level M."""
    q = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=0)
    q.add_data(payload)
    q.make(fit=True)
    return q.modules_count


def _shrink_to_height(lines: list[_Line], room: int) -> None:
    while sum(l.height for l in lines) > room:
        big = [l for l in lines if l.mult > 1]
        if not big:
            return  # cannot shrink further; the printer cuts what falls off the label
        big[-1].mult -= 1


def render_bag_label_tspl(label: BagLabel, width_mm: int = 60, height_mm: int = 40,
                          dpi: int = 203, font: str = "TSS24.BF2") -> bytes:
    """TSPL commands for one bag label, encoded GB18030."""
    dpm = dpi / 25.4
    w, h = int(width_mm * dpm), int(height_mm * dpm)
    label = font_safe_doc(label)
    c = label.captions
    cmds = [f"SIZE {width_mm} mm,{height_mm} mm", "GAP 2 mm,0 mm", "DIRECTION 1", "CLS"]

    qr_box = None  # (left, bottom) of the QR with its quiet zone
    if label.qr_payload:
        modules = qr_modules(label.qr_payload)
        cell = max(2, min(4, (min(w, h) // 2) // modules))
        side = modules * cell
        qx, qy = w - MARGIN - side, MARGIN
        cmds.append(f"QRCODE {qx},{qy},M,{cell},A,0,{_q(label.qr_payload)}")
        quiet = QUIET_MODULES * cell
        qr_box = (qx - quiet, qy + side + quiet)

    lines = ([_Line(c.copy, 1)] if label.copy else []) + [
        _Line(label.order_no, 2),
        _Line(f"{c.bag} {label.bag_no}/{label.bag_count}", 1),
        _Line(label.zone_label, 2, reverse=True),
        _Line(f"{c.slot}: {label.slot}", 2),
        _Line(f"{c.pickup}: {label.pickup_window}", 1),
        _Line(f"{c.customer}: {label.customer_masked} ****{label.phone_last4}", 1),
    ]
    _shrink_to_height(lines, h - 2 * MARGIN)

    y = MARGIN
    for line in lines:
        right = w - MARGIN
        if qr_box is not None and y < qr_box[1]:
            right = qr_box[0]  # beside the QR: stop short of its quiet zone
        room = right - MARGIN - (8 if line.reverse else 0)
        while line.mult > 1 and text_width(line.text) * HALF_W * line.mult > room:
            line.mult -= 1
        text = truncate(_in_rom(line.text), room // (HALF_W * line.mult))
        top = y + (4 if line.reverse else 0)
        x = MARGIN + (4 if line.reverse else 0)
        cmds.append(f"TEXT {x},{top},{_q(font)},0,{line.mult},{line.mult},{_q(text)}")
        if line.reverse:
            cmds.append(f"REVERSE {MARGIN - 4},{y},{right - MARGIN + 4},{FONT_H * line.mult + 8}")
        y += line.height
    cmds.append("PRINT 1,1")
    return ("\r\n".join(cmds) + "\r\n").encode("gb18030", errors="replace")
