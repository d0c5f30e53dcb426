"""The camera simulator: a folder of code images (or a video) played as a camera.

``write_code_folder(path, codes)`` makes a demo folder: each code shown for a few frames as a
phone would (some in dark mode), with empty frames between, so the hold-off logic is exercised.
``SimCamera(path)`` is then a frame source for ``CameraReader``.
"""
from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from devices.camera.sources import FrameSource, ImageFolderSource, VideoFileSource
from devices.sim.codes import code_image, glare, invert, place


def write_code_folder(path: str | Path, codes: list[str], size: tuple[int, int] = (640, 480),
                      frames_per_code: int = 5, gap_frames: int = 3) -> list[Path]:
    """Write frames showing each code (QR), alternating light and dark mode; returns the files."""
    out = Path(path)
    out.mkdir(parents=True, exist_ok=True)
    blank = np.full((size[1], size[0], 3), 190, np.uint8)
    files: list[Path] = []
    n = 0

    def write(img: np.ndarray) -> None:
        nonlocal n
        f = out / f"frame_{n:05d}.png"
        cv2.imwrite(str(f), img)
        files.append(f)
        n += 1

    for i, code in enumerate(codes):
        frame = place(code_image(code, "qr"), size, 1.0)
        if i % 2:
            frame = invert(frame)
        frame = glare(frame, 0.3, at=(0.3 + 0.1 * (i % 3), 0.4))
        for _ in range(frames_per_code):
            write(frame)
        for _ in range(gap_frames):
            write(blank)
    return files


def SimCamera(path: str | Path, fps: float | None = 15.0, loop: bool = True) -> FrameSource:
    """A frame source over an image folder or a video file."""
    p = Path(path)
    return ImageFolderSource(p, fps=fps, loop=loop) if p.is_dir() else VideoFileSource(p, fps=fps, loop=loop)
