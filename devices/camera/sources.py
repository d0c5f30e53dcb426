"""Where camera frames come from: a real camera, or (the simulator) a video file or image folder.

A source's ``read()`` blocks until the next frame and returns it as a BGR ndarray, or None when
there is none (camera hiccup, or end of a non-looping file). File sources pace themselves to
``fps`` so the reader never spins; ``fps=None`` delivers frames as fast as asked (tests, bench).
"""
from __future__ import annotations

import logging
import threading
import time
from pathlib import Path
from typing import Protocol

import cv2
import numpy as np

from devices.camera.images import ImageProblem, quiet_opencv, read_image

log = logging.getLogger(__name__)

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".bmp", ".webp", ".tif", ".tiff"}


class FrameSource(Protocol):
    name: str
    ended: bool

    def read(self) -> np.ndarray | None: ...

    def close(self) -> None: ...


class SourceError(RuntimeError):
    """The source cannot be opened; the message says what to check."""


class _Pacer:
    def __init__(self, fps: float | None) -> None:
        self.period = 1.0 / fps if fps else 0.0
        self._next = time.monotonic()
        self._wake = threading.Event()

    def wait(self) -> None:
        if not self.period:
            return
        now = time.monotonic()
        if self._next > now:
            self._wake.wait(self._next - now)
        self._next = max(self._next + self.period, time.monotonic())

    def cancel(self) -> None:
        self._wake.set()


class CameraSource:
    """A camera by index (``/dev/videoN`` on Linux) via ``cv2.VideoCapture``."""

    def __init__(self, index: int = 0, width: int | None = 1280, height: int | None = 720) -> None:
        self.name = f"camera:{index}"
        self.ended = False
        self._cap = cv2.VideoCapture(index)
        if not self._cap.isOpened():
            raise SourceError(
                f"camera {index} did not open: check it is plugged in, that /dev/video{index} exists "
                "and that this user is in the 'video' group (sudo usermod -aG video $USER)"
            )
        if width and height:
            self._cap.set(cv2.CAP_PROP_FRAME_WIDTH, width)
            self._cap.set(cv2.CAP_PROP_FRAME_HEIGHT, height)

    def read(self) -> np.ndarray | None:
        ok, frame = self._cap.read()
        return frame if ok else None

    def close(self) -> None:
        self._cap.release()


class VideoFileSource:
    """A video file played as a camera (simulator)."""

    def __init__(self, path: str | Path, fps: float | None = None, loop: bool = True) -> None:
        self.path = Path(path)
        self.name = f"video:{self.path.name}"
        self.loop = loop
        self.ended = False
        self._cap = cv2.VideoCapture(str(self.path))
        if not self._cap.isOpened():
            raise SourceError(f"cannot open video file {self.path}")
        native = self._cap.get(cv2.CAP_PROP_FPS) or 0
        self._pacer = _Pacer(fps if fps is not None else None)
        self.native_fps = native

    def read(self) -> np.ndarray | None:
        if self.ended:
            return None
        self._pacer.wait()
        ok, frame = self._cap.read()
        if not ok and self.loop:
            self._cap.set(cv2.CAP_PROP_POS_FRAMES, 0)
            ok, frame = self._cap.read()
        if not ok:
            self.ended = True
            return None
        return frame

    def close(self) -> None:
        self._pacer.cancel()
        self._cap.release()


class ImageFolderSource:
    """The images of a folder, in name order, played as a camera (simulator)."""

    def __init__(self, path: str | Path, fps: float | None = 10.0, loop: bool = True,
                 repeat: int = 1) -> None:
        self.path = Path(path)
        self.name = f"folder:{self.path.name}"
        self.loop = loop
        self.ended = False
        files = sorted(p for p in self.path.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES) \
            if self.path.is_dir() else []
        if not files:
            raise SourceError(f"no images ({', '.join(sorted(IMAGE_SUFFIXES))}) in {self.path}")
        #: each image is shown ``repeat`` frames in a row, like a code held still before a camera
        self.files = [f for f in files for _ in range(repeat)]
        self._i = 0
        self._cache: dict[Path, np.ndarray] = {}
        self._pacer = _Pacer(fps)

    def read(self) -> np.ndarray | None:
        if self.ended:
            return None
        if self._i >= len(self.files):
            if not self.loop:
                self.ended = True
                return None
            self._i = 0
        self._pacer.wait()
        f = self.files[self._i]
        self._i += 1
        img = self._cache.get(f)
        if img is None:
            try:
                img = read_image(f)
            except ImageProblem as e:  # unreadable or too large: skip it like a dropped frame
                log.warning("camera folder %s: skipping %s (%s %s)", self.path, f.name, e.reason, e.detail)
                return None
            self._cache[f] = img
        return img

    def close(self) -> None:
        self._pacer.cancel()


def open_source(spec: str | int, fps: float | None = 10.0, loop: bool = True) -> FrameSource:
    """``0``/``"0"`` → camera index; a folder → image folder; a file → video file."""
    quiet_opencv()
    if isinstance(spec, int) or (isinstance(spec, str) and spec.isdigit()):
        return CameraSource(int(spec))
    p = Path(spec)
    if p.is_dir():
        return ImageFolderSource(p, fps=fps, loop=loop)
    if p.is_file():
        return VideoFileSource(p, fps=fps, loop=loop)
    raise SourceError(f"camera source {spec!r} is neither a camera index, a folder nor a video file")
