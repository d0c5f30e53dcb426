"""Bag labels for TSPL sticker printers (TSC, Gprinter, Xprinter label models).

Chinese text uses the printer's built-in simplified-Chinese font ``TSS24.BF2`` and GB18030 bytes.
Coordinates are dots (203 dpi: 8 dots/mm).
"""
from __future__ import annotations

from devices.printers.documents import BagLabel


def _q(s: str) -> str:
    # TSPL strings are double-quoted; a quote inside is written as \["]
    return '"' + s.replace('"', '\\["]') + '"'


def render_bag_label_tspl(label: BagLabel, width_mm: int = 60, height_mm: int = 40,
                          dpi: int = 203, font: str = "TSS24.BF2") -> bytes:
    """TSPL commands for one bag label, encoded GB18030."""
    dpm = dpi / 25.4
    w = int(width_mm * dpm)
    c = label.captions
    y = 16
    cmds = [f"SIZE {width_mm} mm,{height_mm} mm", "GAP 2 mm,0 mm", "DIRECTION 1", "CLS"]

    def text(x: int, s: str, mult: int = 1) -> None:
        nonlocal y
        cmds.append(f"TEXT {x},{y},{_q(font)},0,{mult},{mult},{_q(s)}")
        y += 24 * mult + 6

    if label.copy:
        text(16, c.copy)
    text(16, f"{label.order_no}  {c.bag} {label.bag_no}/{label.bag_count}", 2)
    zone_y = y
    text(16, label.zone_label, 2)
    cmds.append(f"REVERSE 8,{zone_y - 4},{w - 16},{24 * 2 + 8}")
    text(16, f"{c.slot}: {label.slot}", 2)
    text(16, f"{c.pickup}: {label.pickup_window}")
    text(16, f"{c.customer}: {label.customer_masked} ****{label.phone_last4}")
    if label.qr_payload:
        cmds.append(f"QRCODE {w - 150},16,M,4,A,0,{_q(label.qr_payload)}")
    cmds.append("PRINT 1,1")
    return ("\r\n".join(cmds) + "\r\n").encode("gb18030", errors="replace")
