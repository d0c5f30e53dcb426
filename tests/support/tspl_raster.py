"""Draw the TSPL commands we send to a label printer into an image, as the printer would.

Covers the commands ``devices.printers.tspl_render`` emits: SIZE, GAP, DIRECTION, CLS, TEXT
(built-in font ``TSS24.BF2``: 12x24 dots a half-width character, 24x24 a full-width one, times
the multipliers), REVERSE (inverts a region), QRCODE (modules drawn black, no quiet zone, as
the printer does) and PRINT. An unknown command fails, so a renderer change cannot slip by.
Each drawn item's box is kept, so a test can check that nothing overlaps the QR.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import qrcode
from PIL import Image, ImageDraw, ImageFont

from devices.printers.fonts import find_cjk_font, find_latin_mono_font
from devices.printers.layout import char_width

HALF_W, FONT_H = 12, 24
_ECC = {"L": qrcode.constants.ERROR_CORRECT_L, "M": qrcode.constants.ERROR_CORRECT_M,
        "Q": qrcode.constants.ERROR_CORRECT_Q, "H": qrcode.constants.ERROR_CORRECT_H}


@dataclass
class Label:
    image: Image.Image                      # mode "L", white paper, black print
    texts: list[tuple[str, tuple[int, int, int, int]]] = field(default_factory=list)
    qrs: list[tuple[str, tuple[int, int, int, int]]] = field(default_factory=list)
    reverses: list[tuple[int, int, int, int]] = field(default_factory=list)
    printed: bool = False

    @property
    def size(self) -> tuple[int, int]:
        return self.image.size


def _args(rest: str) -> list[str]:
    """Split TSPL arguments on commas outside quotes; unquote strings (\\["] is a quote)."""
    out, cur, quoted, i = [], "", False, 0
    while i < len(rest):
        ch = rest[i]
        if quoted and rest.startswith('\\["]', i):
            cur += '"'
            i += 4
            continue
        if ch == '"':
            quoted = not quoted
        elif ch == "," and not quoted:
            out.append(cur.strip())
            cur = ""
        else:
            cur += ch
        i += 1
    out.append(cur.strip())
    return out


def _mm(value: str, dpi: int) -> int:
    return int(float(value.replace("mm", "").strip()) * dpi / 25.4)


def overlaps(a: tuple[int, int, int, int], b: tuple[int, int, int, int]) -> bool:
    """Boxes as (left, top, right, bottom), right/bottom exclusive."""
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def rasterize(data: bytes, dpi: int = 203) -> Label:
    text = data.decode("gb18030")
    label: Label | None = None
    draw: ImageDraw.ImageDraw | None = None
    fonts = {2: find_cjk_font(), 1: find_latin_mono_font() or find_cjk_font()}
    for raw in text.split("\r\n"):
        if not raw.strip():
            continue
        cmd, _, rest = raw.partition(" ")
        if cmd == "SIZE":
            wmm, hmm = rest.split(",")
            label = Label(Image.new("L", (_mm(wmm, dpi), _mm(hmm, dpi)), 255))
            draw = ImageDraw.Draw(label.image)
        elif cmd in ("GAP", "DIRECTION"):
            continue
        elif cmd == "CLS":
            assert label is not None, "CLS before SIZE"
            draw.rectangle((0, 0, *label.size), fill=255)
        elif cmd == "TEXT":
            assert label is not None and draw is not None, "TEXT before SIZE"
            x, y, _font, _rot, xm, ym, content = _args(rest)
            x, y, xm, ym = int(x), int(y), int(xm), int(ym)
            cx = x
            for ch in content:
                cw = char_width(ch) * HALF_W * xm
                glyph = Image.new("L", (char_width(ch) * HALF_W, FONT_H), 255)
                gd = ImageDraw.Draw(glyph)
                size = FONT_H if char_width(ch) == 2 else FONT_H - 4
                path = fonts[char_width(ch)] if char_width(ch) in fonts else None
                font = ImageFont.truetype(path, size) if path else ImageFont.load_default(size)
                gd.text((glyph.width / 2, FONT_H / 2), ch, font=font, fill=0, anchor="mm")
                glyph = glyph.resize((cw, FONT_H * ym), Image.Resampling.NEAREST)
                label.image.paste(Image.new("L", glyph.size, 0), (cx, y),
                                  Image.eval(glyph, lambda v: 255 - v))
                cx += cw
            label.texts.append((content, (x, y, cx, y + FONT_H * ym)))
        elif cmd == "REVERSE":
            assert label is not None
            x, y, rw, rh = (int(v) for v in _args(rest))
            box = (x, y, x + rw, y + rh)
            region = label.image.crop(box)
            label.image.paste(Image.eval(region, lambda v: 255 - v), box[:2])
            label.reverses.append(box)
        elif cmd == "QRCODE":
            assert label is not None and draw is not None
            x, y, ecc, cell, _mode, _rot, payload = _args(rest)
            x, y, cell = int(x), int(y), int(cell)
            q = qrcode.QRCode(error_correction=_ECC[ecc], border=0)
            q.add_data(payload)
            q.make(fit=True)
            matrix = np.array(q.get_matrix(), dtype=bool)
            for r, c in zip(*np.nonzero(matrix)):
                draw.rectangle((x + c * cell, y + r * cell, x + (c + 1) * cell - 1,
                                y + (r + 1) * cell - 1), fill=0)
            side = matrix.shape[0] * cell
            label.qrs.append((payload, (x, y, x + side, y + side)))
        elif cmd == "PRINT":
            assert label is not None
            label.printed = True
        else:
            raise ValueError(f"TSPL command not understood: {raw!r}")
    assert label is not None, "no SIZE command"
    return label
