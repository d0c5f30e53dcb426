"""Find a CJK font for the image fallback (printers without a Chinese font ROM).

Debian/Ubuntu: ``apt-get install fonts-wqy-microhei`` (5 MB) or ``fonts-noto-cjk``.
Windows has Microsoft YaHei / SimSun. Without any, Chinese prints as boxes and we log why.
"""
from __future__ import annotations

import functools
import glob
import logging
import os

log = logging.getLogger(__name__)

CANDIDATES = (
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/google-noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf",
    "/usr/share/fonts/truetype/arphic/uming.ttc",
    "C:/Windows/Fonts/msyh.ttc",
    "C:/Windows/Fonts/simsun.ttc",
    "/System/Library/Fonts/PingFang.ttc",
)
GLOBS = ("/usr/share/fonts/**/*CJK*.tt[cf]", "/usr/share/fonts/**/wqy*.tt[cf]",
         "/usr/share/fonts/**/*Fallback*.ttf")


LATIN_MONO = (
    "/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf",
    "/usr/share/fonts/truetype/noto/NotoSansMono-Regular.ttf",
    "/usr/share/fonts/truetype/liberation/LiberationMono-Regular.ttf",
    "/usr/share/fonts/truetype/liberation2/LiberationMono-Regular.ttf",
    "C:/Windows/Fonts/consola.ttf",
)


@functools.lru_cache(maxsize=1)
def find_latin_mono_font() -> str | None:
    """A monospaced Latin font for half-width characters (some CJK fonts lack Latin glyphs)."""
    for p in LATIN_MONO:
        if os.path.exists(p):
            return p
    hits = sorted(glob.glob("/usr/share/fonts/**/*Mono*.ttf", recursive=True))
    return hits[0] if hits else None


@functools.lru_cache(maxsize=1)
def find_cjk_font() -> str | None:
    """Path of a font with Chinese glyphs, or None. ``STORE_EDGE_CJK_FONT`` overrides."""
    env = os.environ.get("STORE_EDGE_CJK_FONT")
    if env and os.path.exists(env):
        return env
    for p in CANDIDATES:
        if os.path.exists(p):
            return p
    for g in GLOBS:
        hits = sorted(glob.glob(g, recursive=True))
        if hits:
            return hits[0]
    log.warning("no CJK font found: Chinese on image-mode printers will print as boxes; "
                "install one: sudo apt-get install fonts-wqy-microhei")
    return None
