"""Reading still images safely: ``devices decode``, the image-folder camera, ``devices check``.

A 40000x40000 PNG is a 1.6 MB file that needs 4.8 GB to decode. The size is read from the
file's header first (Pillow opens lazily) and anything above :data:`MAX_PIXELS` is refused
before a single pixel is decoded. Each kind of bad input has its own reason, so the message
can say what to do: ``missing``, ``is_dir``, ``empty``, ``not_image``, ``too_large``,
``unreadable``.
"""
from __future__ import annotations

import functools
import threading
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
from PIL import Image, UnidentifiedImageError

# 50 megapixels: a 48 MP phone photo still reads; decoding it takes ~150 MB as BGR.
MAX_PIXELS = 50_000_000
_HEADER_LOCK = threading.Lock()


@dataclass(frozen=True)
class ImageProblem(Exception):
    """Why an image file cannot be used; ``reason`` is a message key suffix (decode.<reason>)."""

    reason: str
    detail: str = ""


@functools.cache
def quiet_opencv() -> None:
    """OpenCV prints its own warnings (probing cameras, files it cannot open) to stderr; our
    results say what matters, in the user's language."""
    try:
        cv2.utils.logging.setLogLevel(cv2.utils.logging.LOG_LEVEL_SILENT)
    except AttributeError:  # builds without the logging module
        pass


def image_size(path: str | Path) -> tuple[int, int]:
    """(width, height) from the header, without decoding; raises :class:`ImageProblem`."""
    p = Path(path)
    if not p.exists():
        raise ImageProblem("missing", str(p))
    if p.is_dir():
        raise ImageProblem("is_dir", str(p))
    try:
        if p.stat().st_size == 0:
            raise ImageProblem("empty", str(p))
        with _HEADER_LOCK:  # Pillow's own bomb limit would hide the size; ours is lower anyway
            limit, Image.MAX_IMAGE_PIXELS = Image.MAX_IMAGE_PIXELS, None
            try:
                with Image.open(p) as im:
                    return im.size
            finally:
                Image.MAX_IMAGE_PIXELS = limit
    except UnidentifiedImageError as e:
        raise ImageProblem("not_image", str(p)) from e
    except OSError as e:
        raise ImageProblem("unreadable", str(e)) from e


def read_image(path: str | Path, max_pixels: int = MAX_PIXELS) -> np.ndarray:
    """The image as a BGR array, after checking it is one and not too large to decode."""
    w, h = image_size(path)
    if w * h > max_pixels:
        raise ImageProblem("too_large", f"{w}x{h}")
    quiet_opencv()
    img = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if img is None:
        raise ImageProblem("unreadable", str(path))
    return img
