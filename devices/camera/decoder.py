"""Barcode/QR decoding behind one small interface, with two backends.

Both backends get the same treatment for phone screens: the frame is turned to grayscale,
decoded as is, and only when nothing is found, retried on the inverted image (dark mode: light
code on dark), on a contrast-equalised image (glare, dim screens) and, for small frames, on a
2x enlargement (small codes). Frames that hold a code — the case that matters at the counter —
cost one raw decode plus the grayscale conversion.

Default backend, by measurement (``python -m bench.bench_devices``, 2-core CI box, Nov 2026):

    ==========  ===============  ===============  ==================
    backend     640x480 (fps)    1280x720 (fps)   distorted set read
    ==========  ===============  ===============  ==================
    zxing-cpp   see DEFAULT_BACKEND_NOTE below
    pyzbar
    ==========  ===============  ===============  ==================
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol, Sequence, runtime_checkable

import cv2
import numpy as np

# Normalised symbology names: what the rest of the app sees, whichever backend read the code.
QR = "QR"
CODE128 = "CODE128"
EAN13 = "EAN13"
SUPPORTED = (QR, CODE128, EAN13)

DEFAULT_BACKEND_NOTE = ""  # filled in below, next to DEFAULT_BACKEND


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


class _BaseDecoder:
    """Shared fallback passes; a backend implements ``_raw(gray) -> list[Decoded]``."""

    name = "base"
    def __init__(self, symbologies: Sequence[str] = SUPPORTED, try_harder: bool = True) -> None:
        unknown = set(symbologies) - set(SUPPORTED)
        if unknown:
            raise ValueError(f"unsupported symbologies {sorted(unknown)}; use {SUPPORTED}")
        self.symbologies = tuple(symbologies)
        self.try_harder = try_harder

    def _raw(self, gray: np.ndarray) -> list[Decoded]:  # pragma: no cover - abstract
        raise NotImplementedError

    def decode(self, frame: np.ndarray) -> list[Decoded]:
        gray = to_gray(frame)
        found = self._raw(gray)
        if found or not self.try_harder:
            return found
        found = [_mark_inverted(d) for d in self._raw(255 - gray)]
        if found:
            return found
        eq = _CLAHE.apply(gray)
        found = self._raw(eq)
        if not found:
            found = [_mark_inverted(d) for d in self._raw(255 - eq)]
        if found:
            return found
        if max(gray.shape) <= 800:  # small frame: a small code may need more pixels per module
            big = cv2.resize(gray, None, fx=2, fy=2, interpolation=cv2.INTER_CUBIC)
            found = [_scale_points(d, 0.5) for d in self._raw(big)]
        return found


def _mark_inverted(d: Decoded) -> Decoded:
    return Decoded(d.text, d.symbology, d.points, True, d.backend)


def _scale_points(d: Decoded, f: float) -> Decoded:
    pts = tuple((int(x * f), int(y * f)) for x, y in d.points)
    return Decoded(d.text, d.symbology, pts, d.inverted, d.backend)


class PyzbarDecoder(_BaseDecoder):
    """ZBar via pyzbar. Needs the system library (Debian/Ubuntu: ``apt-get install libzbar0``)."""

    name = "pyzbar"
    _MAP = {"QRCODE": QR, "CODE128": CODE128, "EAN13": EAN13}

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
            pts = tuple((int(p.x), int(p.y)) for p in r.polygon)
            out.append(Decoded(text, self._MAP.get(r.type, r.type), pts, False, self.name))
        return out


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
                EAN13: zxingcpp.BarcodeFormat.EAN13}
        self._formats = [fmap[s] for s in self.symbologies]
        self._names = {fmap[s].name: s for s in self.symbologies}

    def _raw(self, gray: np.ndarray) -> list[Decoded]:
        out = []
        for r in self._z.read_barcodes(gray, formats=self._formats, try_invert=False):
            p = r.position
            pts = tuple((int(q.x), int(q.y)) for q in (p.top_left, p.top_right, p.bottom_right, p.bottom_left))
            sym = self._names.get(r.format.name, r.format.name)
            out.append(Decoded(r.text, sym, pts, False, self.name))
        return out


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
