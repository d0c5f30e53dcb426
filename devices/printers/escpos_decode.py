"""Parse an ESC/POS byte stream back into what the paper would show.

Used by the tests (assert the printed text, QR payloads and cuts, not "was called") and by the
simulator viewer (``python -m devices.printers.escpos_decode FILE``). It walks the command
stream byte by byte, knows the length of every command it meets, and stops with
:class:`EscposParseError` on a command it does not know, so a renderer bug cannot hide.
"""
from __future__ import annotations

import sys
from dataclasses import dataclass, field

ESC, GS, FS, DLE = 0x1B, 0x1D, 0x1C, 0x10


class EscposParseError(ValueError):
    def __init__(self, offset: int, message: str) -> None:
        super().__init__(f"at byte {offset}: {message}")
        self.offset = offset


@dataclass(frozen=True)
class PrintedLine:
    text: str
    bold: bool = False
    w: int = 1
    h: int = 1
    align: str = "left"
    invert: bool = False


@dataclass
class Parsed:
    lines: list[PrintedLine] = field(default_factory=list)
    qr: list[str] = field(default_factory=list)
    barcodes: list[str] = field(default_factory=list)
    cuts: int = 0
    images: list[tuple[int, int]] = field(default_factory=list)  # (width dots, height dots)
    chinese_mode: bool = False
    status_queries: list[int] = field(default_factory=list)
    feeds: int = 0

    @property
    def text_lines(self) -> list[str]:
        return [l.text for l in self.lines]

    @property
    def text(self) -> str:
        return "\n".join(self.text_lines)


# argument byte counts of fixed-length commands
_ESC_FIXED = {
    ord("@"): 0, ord("!"): 1, ord("E"): 1, ord("-"): 1, ord("G"): 1, ord("M"): 1, ord("a"): 1,
    ord("d"): 1, ord("J"): 1, ord("t"): 1, ord("V"): 1, ord("{"): 1, ord("2"): 0, ord("3"): 1,
    ord("R"): 1, ord(" "): 1, ord("p"): 3, ord("B"): 2, ord("$"): 2, ord("\\"): 2, ord("i"): 0,
    ord("m"): 0, ord("U"): 1, ord("r"): 1, ord("%"): 1, ord("="): 1, ord("e"): 1,
}
_GS_FIXED = {
    ord("!"): 1, ord("B"): 1, ord("h"): 1, ord("w"): 1, ord("H"): 1, ord("f"): 1, ord("L"): 2,
    ord("W"): 2, ord("b"): 1, ord("a"): 1, ord("I"): 1, ord("r"): 1, ord("P"): 2, ord("$"): 2,
    ord("\\"): 2, ord("T"): 1, ord("^"): 3,
}
_FS_FIXED = {ord("&"): 0, ord("."): 0, ord("!"): 1, ord("-"): 1, ord("C"): 1, ord("W"): 1,
             ord("S"): 2, ord("p"): 2, ord("2"): 0}


class _Parser:
    def __init__(self, data: bytes) -> None:
        self.d = data
        self.i = 0
        self.out = Parsed()
        self.chinese = False
        self.reset_style()
        self.buf = bytearray()
        self.line_style: tuple | None = None
        self.qr_store = b""

    def reset_style(self) -> None:
        self.bold = False
        self.w = self.h = 1
        self.align = "left"
        self.invert = False

    def need(self, n: int) -> bytes:
        if self.i + n > len(self.d):
            raise EscposParseError(self.i, f"command truncated (needs {n} more bytes)")
        b = self.d[self.i : self.i + n]
        self.i += n
        return b

    def byte(self) -> int:
        return self.need(1)[0]

    def end_line(self) -> None:
        enc = "gb18030" if self.chinese else "cp437"
        text = bytes(self.buf).decode(enc, errors="replace")
        style = self.line_style or (self.bold, self.w, self.h, self.align, self.invert)
        self.out.lines.append(PrintedLine(text, *style))
        self.buf.clear()
        self.line_style = None

    def text_byte(self, b: int) -> None:
        if self.line_style is None:
            self.line_style = (self.bold, self.w, self.h, self.align, self.invert)
        self.buf.append(b)

    def parse(self) -> Parsed:
        while self.i < len(self.d):
            start = self.i
            b = self.byte()
            if b == 0x0A:
                self.end_line()
            elif b in (0x0D, 0x00):
                pass
            elif b == 0x09:
                self.text_byte(0x20)
            elif b == ESC:
                self.esc(start)
            elif b == GS:
                self.gs(start)
            elif b == FS:
                self.fs(start)
            elif b == DLE:
                self.dle(start)
            elif b < 0x20:
                raise EscposParseError(start, f"unknown control byte 0x{b:02x}")
            else:
                self.text_byte(b)
        if self.buf:
            self.end_line()  # text left in the buffer: a printer prints it at the next LF/cut
        self.out.chinese_mode = self.out.chinese_mode or self.chinese
        return self.out

    def esc(self, start: int) -> None:
        c = self.byte()
        if c == ord("*"):  # column bit image: m nL nH data
            m, nl, nh = self.need(3)
            n = nl + nh * 256
            self.need(n * (3 if m in (32, 33) else 1))
            self.out.images.append((n, 24 if m in (32, 33) else 8))
            return
        if c == ord("D"):  # tab stops, NUL-terminated
            while self.byte() != 0:
                pass
            return
        if c == ord("c"):  # ESC c 3/4/5 n
            self.need(2)
            return
        if c not in _ESC_FIXED:
            raise EscposParseError(start, f"unknown command ESC 0x{c:02x}")
        args = self.need(_ESC_FIXED[c])
        if c == ord("@"):
            if self.buf:
                self.end_line()
            self.reset_style()
            self.chinese = False
        elif c == ord("!"):
            n = args[0]
            self.bold = bool(n & 0x08)
            self.h = 2 if n & 0x10 else 1
            self.w = 2 if n & 0x20 else 1
        elif c == ord("E"):
            self.bold = bool(args[0] & 1)
        elif c == ord("a"):
            self.align = {0: "left", 1: "center", 2: "right"}.get(args[0] % 48, "left")
        elif c in (ord("d"), ord("J")):
            if self.buf:
                self.end_line()
            self.out.feeds += args[0] if c == ord("d") else 1

    def gs(self, start: int) -> None:
        c = self.byte()
        if c == ord("V"):  # cut: m [n]
            m = self.byte()
            if m in (65, 66, 97, 98, 103, 104):
                self.need(1)
            if self.buf:
                self.end_line()
            self.out.cuts += 1
        elif c == ord("("):
            fn = self.byte()
            pl, ph = self.need(2)
            body = self.need(pl + ph * 256)
            if fn == ord("k"):
                self.code2d(body)
            elif fn == ord("L"):
                self.graphics(body)
            # other GS ( x functions: skipped whole, length is known
        elif c == ord("8") and self.byte() == ord("L"):
            p = self.need(4)
            body = self.need(int.from_bytes(p, "little"))
            self.graphics(body)
        elif c == ord("v"):
            if self.byte() != ord("0"):
                raise EscposParseError(start, "GS v expects '0'")
            _m, xl, xh, yl, yh = self.need(5)
            wb, h = xl + xh * 256, yl + yh * 256
            self.need(wb * h)
            self.out.images.append((wb * 8, h))
        elif c == ord("k"):
            m = self.byte()
            if m <= 6:
                data = bytearray()
                while (b := self.byte()) != 0:
                    data.append(b)
            else:
                data = self.need(self.byte())
            self.out.barcodes.append(bytes(data).decode("latin-1"))
        elif c in _GS_FIXED:
            args = self.need(_GS_FIXED[c])
            if c == ord("!"):
                self.w = (args[0] >> 4) + 1
                self.h = (args[0] & 0x0F) + 1
            elif c == ord("B"):
                self.invert = bool(args[0] & 1)
        else:
            raise EscposParseError(start, f"unknown command GS 0x{c:02x}")

    def code2d(self, body: bytes) -> None:
        if len(body) < 2:
            raise EscposParseError(self.i, "GS ( k without cn/fn")
        cn, fn = body[0], body[1]
        if cn != ord("1"):  # not QR (PDF417 etc.): ignore content
            return
        if fn == 80:  # store data: m (0x30) then data
            self.qr_store = body[3:]
        elif fn == 81:  # print the stored symbol
            if self.buf:
                self.end_line()
            self.out.qr.append(self.qr_store.decode("utf-8", errors="replace"))

    def graphics(self, body: bytes) -> None:
        # GS ( L / GS 8 L: m fn ...; fn 'p' (112) stores raster: a bx by c xL xH yL yH data
        if len(body) >= 10 and body[1] == 112:
            w = body[6] + body[7] * 256
            h = body[8] + body[9] * 256
            self.out.images.append((w, h))

    def fs(self, start: int) -> None:
        c = self.byte()
        if c not in _FS_FIXED:
            raise EscposParseError(start, f"unknown command FS 0x{c:02x}")
        self.need(_FS_FIXED[c])
        if c == ord("&"):
            self.chinese = True
            self.out.chinese_mode = True
        elif c == ord("."):
            self.chinese = False

    def dle(self, start: int) -> None:
        c = self.byte()
        if c in (0x04, 0x05):  # DLE EOT n / DLE ENQ n
            n = self.byte()
            if c == 0x04:
                self.out.status_queries.append(n)
        elif c == 0x14:  # DLE DC4 fn m t
            self.need(3)
        else:
            raise EscposParseError(start, f"unknown command DLE 0x{c:02x}")


def parse_escpos(data: bytes) -> Parsed:
    """Walk ``data`` as ESC/POS; raises :class:`EscposParseError` on anything it cannot account for."""
    return _Parser(bytes(data)).parse()


def main(argv: list[str] | None = None) -> int:
    """Show what a simulated printer file holds: ``python -m devices.printers.escpos_decode FILE``."""
    args = sys.argv[1:] if argv is None else argv
    if not args:
        print("usage: python -m devices.printers.escpos_decode FILE", file=sys.stderr)
        return 2
    with open(args[0], "rb") as f:
        parsed = parse_escpos(f.read())
    for line in parsed.lines:
        mark = ("*" if line.bold else " ") + (f"x{line.w}{line.h}" if (line.w, line.h) != (1, 1) else "   ")
        print(f"{mark} {line.text}")
    for q in parsed.qr:
        print(f"[QR] {q}")
    print(f"[images {len(parsed.images)}] [cuts {parsed.cuts}]")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
