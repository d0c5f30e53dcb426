"""Synthetic code images and camera-like distortions, for the camera simulator, tests and bench.

Codes are drawn by independent encoders (``qrcode``, ``python-barcode``), never by the decoders
under test, then placed in a frame and spoiled the way a phone screen held to a webcam spoils
them: tilt, blur, darkness, dark mode, glare, small size, noise.
"""
from __future__ import annotations

from typing import Literal

import cv2
import numpy as np

Symbology = Literal["qr", "code128", "ean13", "ean8", "upce"]

_L = ("0001101", "0011001", "0010011", "0111101", "0100011", "0110001", "0101111", "0111011",
      "0110111", "0001011")  # EAN/UPC odd-parity digit patterns
_G = tuple(p.translate(str.maketrans("01", "10"))[::-1] for p in _L)  # even parity
# UPC-E parity of the six digits by check digit, number system 0 (O odd, E even)
_UPCE_PARITY = ("EEEOOO", "EEOEOO", "EEOOEO", "EEOOOE", "EOEEOO", "EOOEEO", "EOOOEE", "EOEOEO",
                "EOEOOE", "EOOEOE")


def upce_modules(code: str) -> str:
    """The bars of an 8-digit UPC-E code (number system, six digits, check digit) as 0/1
    modules, drawn from the GS1 tables (python-barcode has no UPC-E)."""
    if len(code) != 8 or not code.isdigit() or code[0] not in "01":
        raise ValueError(f"UPC-E needs 8 digits starting 0 or 1, not {code!r}")
    parity = _UPCE_PARITY[int(code[7])]
    if code[0] == "1":
        parity = parity.translate(str.maketrans("EO", "OE"))
    digits = "".join((_G if p == "E" else _L)[int(d)] for p, d in zip(parity, code[1:7]))
    return "101" + digits + "010101"


def _bars(modules: str, module_px: int, quiet: int = 9, height: int = 60) -> np.ndarray:
    row = np.array([0 if m == "1" else 255 for m in "0" * quiet + modules + "0" * quiet], np.uint8)
    img = np.repeat(np.tile(row, (height, 1)), module_px, axis=1)
    return np.repeat(img, module_px, axis=0) if module_px > 1 else img


def code_image(text: str, symbology: Symbology = "qr", module_px: int = 4) -> np.ndarray:
    """Black-on-white gray image of the code with its quiet zone."""
    if symbology == "qr":
        import qrcode

        q = qrcode.QRCode(border=4, box_size=module_px,
                          error_correction=qrcode.constants.ERROR_CORRECT_M)
        q.add_data(text)
        q.make(fit=True)
        return np.array(q.make_image().convert("L"))
    if symbology == "upce":
        return _bars(upce_modules(text), module_px)
    import barcode
    from barcode.writer import ImageWriter

    cls = barcode.get_barcode_class(symbology)
    img = cls(text, writer=ImageWriter()).render(
        {"write_text": False, "module_width": 0.1 * module_px, "module_height": 15.0,
         "quiet_zone": 6.0, "dpi": 254}
    )
    return np.array(img.convert("L"))


def place(code: np.ndarray, size: tuple[int, int] = (640, 480), scale: float = 1.0,
          background: int = 200, at: tuple[float, float] = (0.5, 0.5)) -> np.ndarray:
    """Put ``code`` (gray) scaled by ``scale`` into a BGR frame of ``size`` (w, h)."""
    w, h = size
    c = cv2.resize(code, None, fx=scale, fy=scale, interpolation=cv2.INTER_NEAREST) if scale != 1 else code
    ch, cw = c.shape[:2]
    if cw > w or ch > h:
        f = min(w / cw, h / ch) * 0.95
        c = cv2.resize(c, None, fx=f, fy=f, interpolation=cv2.INTER_AREA)
        ch, cw = c.shape[:2]
    frame = np.full((h, w), background, np.uint8)
    x0 = int((w - cw) * at[0])
    y0 = int((h - ch) * at[1])
    frame[y0:y0 + ch, x0:x0 + cw] = c
    return cv2.cvtColor(frame, cv2.COLOR_GRAY2BGR)


def rotate(frame: np.ndarray, degrees: float, background: int = 200) -> np.ndarray:
    """Rotate the whole frame, shrinking it so no corner of the code is cut off."""
    h, w = frame.shape[:2]
    a = np.deg2rad(degrees)
    fit = min(w, h) / (abs(w * np.sin(a)) + abs(h * np.cos(a)))
    fit = min(1.0, fit, w / (abs(w * np.cos(a)) + abs(h * np.sin(a))))
    m = cv2.getRotationMatrix2D((w / 2, h / 2), degrees, fit)
    return cv2.warpAffine(frame, m, (w, h), borderValue=(background,) * 3)


def blur(frame: np.ndarray, sigma: float = 1.5) -> np.ndarray:
    return cv2.GaussianBlur(frame, (0, 0), sigma)


def darken(frame: np.ndarray, factor: float = 0.3) -> np.ndarray:
    return (frame.astype(np.float32) * factor).astype(np.uint8)


def invert(frame: np.ndarray) -> np.ndarray:
    """Dark mode on a phone: light modules on a dark background."""
    return 255 - frame


def glare(frame: np.ndarray, strength: float = 0.8, at: tuple[float, float] = (0.4, 0.4)) -> np.ndarray:
    """A bright radial highlight, like a ceiling lamp reflected in a phone screen."""
    h, w = frame.shape[:2]
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    r = min(w, h) * 0.25
    d2 = ((xx - w * at[0]) ** 2 + (yy - h * at[1]) ** 2) / (2 * r * r)
    g = (np.exp(-d2) * 255 * strength)[..., None]
    return np.clip(frame.astype(np.float32) + g, 0, 255).astype(np.uint8)


def noise(frame: np.ndarray, sigma: float = 12.0, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    n = rng.normal(0, sigma, frame.shape).astype(np.float32)
    return np.clip(frame.astype(np.float32) + n, 0, 255).astype(np.uint8)


def moire(frame: np.ndarray, period: float = 3.3, amplitude: float = 25.0) -> np.ndarray:
    """Screen-door pattern of a phone display filmed by a webcam."""
    h, w = frame.shape[:2]
    xx = np.arange(w, dtype=np.float32)
    wave = (np.sin(2 * np.pi * xx / period) * amplitude)[None, :, None]
    return np.clip(frame.astype(np.float32) + wave, 0, 255).astype(np.uint8)


DISTORTIONS = {
    "clean": lambda f: f,
    "tilted_8": lambda f: rotate(f, 8),
    "rotated_30": lambda f: rotate(f, 30),
    "rotated_90": lambda f: rotate(f, 90),
    "blurred": lambda f: blur(f, 1.5),
    "dark": lambda f: darken(f, 0.3),
    "inverted": invert,
    "dark_inverted": lambda f: darken(invert(f), 0.5),
    "glare": lambda f: glare(f, 0.7),
    "noisy": lambda f: noise(f, 12),
    "moire": moire,
}


def sample_set(size: tuple[int, int] = (640, 480)) -> list[tuple[str, str, str, np.ndarray]]:
    """The fixed set of distorted frames (name, symbology, text, frame) used by tests and bench."""
    codes = [("qr", "PK:8301-2291-7"), ("code128", "SO20261122-0042"), ("ean13", "6901234567892")]
    out = []
    for sym, text in codes:
        base = code_image(text, sym)  # type: ignore[arg-type]
        for scale_name, scale in (("normal", 1.0), ("small", 0.5)):
            frame = place(base, size, scale)
            for dname, fn in DISTORTIONS.items():
                out.append((f"{sym}/{scale_name}/{dname}", sym, text, fn(frame)))
    return out
