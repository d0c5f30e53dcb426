"""Barcode/QR decoding behind one small interface, with two backends.

Both backends get the same treatment for phone screens: the frame is turned to grayscale,
decoded as is, and only when nothing is found, retried on the inverted image (dark mode: light
code on dark), on a contrast-equalised image (glare, dim screens) and, for small frames, on a
2x enlargement (small codes). Frames that hold a code — the case that matters at the counter —
cost one raw decode plus the grayscale conversion. On a live stream the fallbacks are taken one
per empty frame, in turn (``decode_live``), so an idle camera costs about two decodes a frame.

Default backend, by measurement: ``python -m bench.bench_devices`` on the 2-core build box,
22 Nov 2026 (machine shared with other jobs, so figures move ±30 % between runs)::

    frames with a code      raw fps   ours fps  ours/raw
    pyzbar     640x480        52.4      67.2     0.78
    zxing      640x480       383.3     540.3     0.71
    pyzbar    1280x720        19.2      24.0     0.80    (below the 30 fps target)
    zxing     1280x720       103.6     160.0     0.65

    distorted set (66 frames)   pyzbar 57/66 (86 %)   zxing 60/66 (91 %)

"raw" is the library's own call on the BGR camera frame with the same three symbologies; ours is
cheaper because it hands the library a gray frame and, for zxing, skips its built-in inverted
pass (our fallbacks do that only when a frame reads nothing). zxing-cpp is 5-8x faster, reads
more of the distorted set and has no system dependency, so it is the default; pyzbar stays
available (and tested) because it reads some thin tilted codes zxing misses.
"""
from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Protocol, Sequence, runtime_checkable

import cv2
import numpy as np

# Normalised symbology names: what the rest of the app sees, whichever backend read the code.
QR = "QR"
CODE128 = "CODE128"
EAN13 = "EAN13"
EAN8 = "EAN8"
UPCE = "UPCE"  # as its 8 printed digits (number system, six digits, check), from either backend
SUPPORTED = (QR, CODE128, EAN13, EAN8, UPCE)


@dataclass(frozen=True)
class Decoded:
    """One code found in a frame. ``points`` is the outline in frame pixels (may be empty)."""

    text: str
    symbology: str
    points: tuple[tuple[int, int], ...] = ()
    inverted: bool = False
    backend: str = ""


@runtime_checkable
class Decoder(Protocol):
    """``decode`` reads a still with every effort; ``decode_live`` is for a stream of frames and
    may spread its effort over consecutive frames (optional: readers fall back to ``decode``)."""

    name: str

    def decode(self, frame: np.ndarray) -> list[Decoded]: ...


class DecoderUnavailable(RuntimeError):
    """The backend cannot run on this machine; the message says how to fix it."""


def to_gray(frame: np.ndarray) -> np.ndarray:
    """Camera frames are BGR (OpenCV); images may be gray or BGRA. Decoders want 8-bit gray."""
    if frame.ndim == 2:
        gray = frame
    elif frame.shape[2] == 4:
        gray = cv2.cvtColor(frame, cv2.COLOR_BGRA2GRAY)
    else:
        gray = cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY)
    if gray.dtype != np.uint8:
        gray = cv2.normalize(gray, None, 0, 255, cv2.NORM_MINMAX).astype(np.uint8)
    return np.ascontiguousarray(gray)


_CLAHE = cv2.createCLAHE(clipLimit=3.0, tileGridSize=(8, 8))


class _BaseDecoder(ABC):
    """Shared fallback passes; a backend implements ``_raw(gray) -> list[Decoded]``.

    ``decode`` (stills, ``devices decode``) tries every pass. ``decode_live`` (camera frames)
    tries the raw pass and, when it finds nothing, only the next fallback in turn: an idle
    camera then costs about two raw decodes per frame instead of five, and a code that needs a
    fallback is still read within a few frames of being held up, since it stays in view.
    """

    name = "base"

    def __init__(self, symbologies: Sequence[str] = SUPPORTED, try_harder: bool = True) -> None:
        unknown = set(symbologies) - set(SUPPORTED)
        if unknown:
            raise ValueError(f"unsupported symbologies {sorted(unknown)}; use {SUPPORTED}")
        self.symbologies = tuple(symbologies)
        self.try_harder = try_harder
        self._turn = 0

    @abstractmethod
    def _raw(self, gray: np.ndarray) -> list[Decoded]:
        """The backend library's decode of one grey frame."""

    # each fallback: gray -> decoded, for phone screens filmed by a webcam
    def _inverted(self, gray: np.ndarray) -> list[Decoded]:  # dark mode
        return [_mark_inverted(d) for d in self._raw(255 - gray)]

    def _equalised(self, gray: np.ndarray) -> list[Decoded]:  # glare, dim screen
        return self._raw(_CLAHE.apply(gray))

    def _equalised_inverted(self, gray: np.ndarray) -> list[Decoded]:
        return [_mark_inverted(d) for d in self._raw(255 - _CLAHE.apply(gray))]

    def _enlarged(self, gray: np.ndarray) -> list[Decoded]:  # small code in a small frame
        if max(gray.shape) > 800:
            return []
        big = cv2.resize(gray, None, fx=2, fy=2, interpolation=cv2.INTER_CUBIC)
        return [_scale_points(d, 0.5) for d in self._raw(big)]

    def _fallbacks(self):
        return (self._inverted, self._equalised, self._equalised_inverted, self._enlarged)

    def decode(self, frame: np.ndarray) -> list[Decoded]:
        """Every pass until one reads something (for still images)."""
        gray = to_gray(frame)
        found = self._raw(gray)
        if found or not self.try_harder:
            return found
        for fallback in self._fallbacks():
            found = fallback(gray)
            if found:
                return found
        return []

    def decode_live(self, frame: np.ndarray) -> list[Decoded]:
        """Raw pass plus one fallback in rotation (for consecutive camera frames)."""
        gray = to_gray(frame)
        found = self._raw(gray)
        if found or not self.try_harder:
            return found
        passes = self._fallbacks()
        fallback = passes[self._turn % len(passes)]
        self._turn += 1
        return fallback(gray)


def _mark_inverted(d: Decoded) -> Decoded:
    return Decoded(d.text, d.symbology, d.points, True, d.backend)


def _scale_points(d: Decoded, f: float) -> Decoded:
    pts = tuple((int(x * f), int(y * f)) for x, y in d.points)
    return Decoded(d.text, d.symbology, pts, d.inverted, d.backend)


class PyzbarDecoder(_BaseDecoder):
    """ZBar via pyzbar. Needs the system library (Debian/Ubuntu: ``apt-get install libzbar0``)."""

    name = "pyzbar"
    _MAP = {"QRCODE": QR, "CODE128": CODE128, "EAN13": EAN13, "EAN8": EAN8, "UPCE": UPCE}

    def __init__(self, symbologies: Sequence[str] = SUPPORTED, try_harder: bool = True) -> None:
        super().__init__(symbologies, try_harder)
        try:
            from pyzbar import pyzbar
        except ImportError as e:  # raised by pyzbar when libzbar.so is missing
            raise DecoderUnavailable(
                "pyzbar cannot load the zbar library (" + str(e) + "). "
                "Install it: sudo apt-get install libzbar0 (Debian/Ubuntu), "
                "or use --decoder zxing."
            ) from e
        self._pyzbar = pyzbar
        rev = {v: k for k, v in self._MAP.items()}
        self._symbols = [getattr(pyzbar.ZBarSymbol, rev[s]) for s in self.symbologies]

    def _raw(self, gray: np.ndarray) -> list[Decoded]:
        out = []
        for r in self._pyzbar.decode(gray, symbols=self._symbols):
            try:
                text = r.data.decode("utf-8")
            except UnicodeDecodeError:
                text = r.data.decode("latin-1")
            if r.type == "QRCODE":
                text = _undo_sjis_guess(text)
            pts = tuple((int(p.x), int(p.y)) for p in r.polygon)
            out.append(Decoded(text, self._MAP.get(r.type, r.type), pts, False, self.name))
        return out


def _undo_sjis_guess(text: str) -> str:
    """ZBar guesses Shift-JIS for QR bytes without an ECI header and converts them to UTF-8, which
    turns UTF-8 Chinese (what our apps put in QR codes) into mojibake. Undo that when the bytes
    it must have started from are valid UTF-8."""
    if text.isascii():
        return text
    for enc in ("cp932", "shift_jis"):
        try:
            return text.encode(enc).decode("utf-8")
        except (UnicodeEncodeError, UnicodeDecodeError):
            continue
    return text


class ZxingDecoder(_BaseDecoder):
    """zxing-cpp: self-contained wheels. Its own ``try_invert`` misses inverted 1D codes, so
    inversion is left to the shared fallback passes (which also keeps frames with a code cheap)."""

    name = "zxing"

    def __init__(self, symbologies: Sequence[str] = SUPPORTED, try_harder: bool = True) -> None:
        super().__init__(symbologies, try_harder)
        try:
            import zxingcpp
        except ImportError as e:
            raise DecoderUnavailable(
                f"zxing-cpp is not installed ({e}); install it: pip install zxing-cpp"
            ) from e
        self._z = zxingcpp
        fmap = {QR: zxingcpp.BarcodeFormat.QRCode, CODE128: zxingcpp.BarcodeFormat.Code128,
                EAN13: zxingcpp.BarcodeFormat.EAN13, EAN8: zxingcpp.BarcodeFormat.EAN8,
                UPCE: zxingcpp.BarcodeFormat.UPCE}
        self._formats = [fmap[s] for s in self.symbologies]
        self._names = {fmap[s].name: s for s in self.symbologies}

    def _raw(self, gray: np.ndarray) -> list[Decoded]:
        out = []
        for r in self._z.read_barcodes(gray, formats=self._formats, try_invert=False):
            p = r.position
            pts = tuple((int(q.x), int(q.y)) for q in (p.top_left, p.top_right, p.bottom_right, p.bottom_left))
            sym = self._names.get(r.format.name, r.format.name)
            text = upce_digits(r.text) if sym == UPCE else r.text
            out.append(Decoded(text, sym, pts, False, self.name))
        return out


def upce_digits(text: str) -> str:
    """A UPC-E code as its 8 printed digits. zxing-cpp 2.3+ gives the GTIN-13 it expands to
    (0012345000065 for 01234565); ZBar gives the 8 digits: both must hand the app the same."""
    if len(text) == 13 and text.startswith("0"):
        text = text[1:]
    if len(text) != 12 or not text.isdigit():
        return text
    ns, m, p, check = text[0], text[1:6], text[6:11], text[11]
    if m[2] in "012" and m[3:] == "00" and p[:2] == "00":
        six = m[:2] + p[2:] + m[2]
    elif m[3:] == "00" and p[:3] == "000":
        six = m[:3] + p[3:] + "3"
    elif m[4] == "0" and p[:4] == "0000":
        six = m[:4] + p[4] + "4"
    elif p[:4] == "0000" and p[4] in "56789":
        six = m + p[4]
    else:
        return text  # not a UPC-E expansion: keep what was read
    return ns + six + check


BACKENDS = {"pyzbar": PyzbarDecoder, "zxing": ZxingDecoder}
DEFAULT_BACKEND = "zxing"


def make_decoder(name: str = "auto", symbologies: Sequence[str] = SUPPORTED) -> Decoder:
    """Build a decoder by name: ``auto`` (measured default, falling back to the other), ``pyzbar``, ``zxing``.

    Raises :class:`DecoderUnavailable` with an install hint, or ``ValueError`` for an unknown name.
    """
    if name == "auto":
        order = [DEFAULT_BACKEND] + [n for n in BACKENDS if n != DEFAULT_BACKEND]
        errors = []
        for n in order:
            try:
                return BACKENDS[n](symbologies)
            except DecoderUnavailable as e:
                errors.append(str(e))
        raise DecoderUnavailable("; ".join(errors))
    if name not in BACKENDS:
        raise ValueError(f"unknown decoder {name!r}; choose one of: auto, {', '.join(BACKENDS)}")
    return BACKENDS[name](symbologies)


def available_backends() -> dict[str, str]:
    """Backend name -> "" if usable, else the reason (for ``devices check``)."""
    out = {}
    for n, cls in BACKENDS.items():
        try:
            cls()
            out[n] = ""
        except DecoderUnavailable as e:
            out[n] = str(e)
    return out
