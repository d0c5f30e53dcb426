"""Device benchmarks: camera decode speed against each backend's raw call, distorted-set share,
and receipt rendering. Run: ``python -m bench.bench_devices`` (or ``python bench/bench_devices.py``).

For each backend the baseline is the library's own decode call on the very same frames, in the
same run, interleaved with ours round by round: ``pyzbar.decode(frame, symbols=…)`` and
``zxingcpp.read_barcodes(frame, formats=…)`` with the same five symbologies (QR, Code128,
EAN-13, EAN-8, UPC-E). "ours" is
``CameraReader.process(frame)``: grayscale conversion, decode, fallbacks, hold-off, fps stats —
everything a live frame goes through except the camera read.
Targets (issue 4): ours ≤ 1.10 × raw; ≥ 30 frames/s at 1280×720.
"""
from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time

if __package__ in (None, ""):  # python bench/bench_devices.py
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import numpy as np  # noqa: E402

from devices.camera import CameraReader, make_decoder, to_gray  # noqa: E402
from devices.sim import codes  # noqa: E402

SIZES = [(640, 480), (1280, 720)]
ROUNDS = 7


def frames_with_code(size: tuple[int, int], n: int = 6) -> list[np.ndarray]:
    """Webcam-like frames: a pickup QR (or a product barcode) at varying places, sensor noise."""
    out = []
    items = [("qr", "PK:8301-2291-7"), ("code128", "SO20261122-0042"), ("qr", "https://e.example/r/42")]
    for i in range(n):
        sym, text = items[i % len(items)]
        img = codes.code_image(text, sym)  # type: ignore[arg-type]
        scale = 1.0 if size[0] <= 640 else 1.6
        f = codes.place(img, size, scale, at=(0.3 + 0.08 * i, 0.4 + 0.04 * i))
        out.append(codes.noise(f, 6, seed=i))
    return out


def raw_call(backend: str):
    if backend == "pyzbar":
        from pyzbar import pyzbar

        syms = [pyzbar.ZBarSymbol.QRCODE, pyzbar.ZBarSymbol.CODE128, pyzbar.ZBarSymbol.EAN13,
                pyzbar.ZBarSymbol.EAN8, pyzbar.ZBarSymbol.UPCE]
        return lambda f: pyzbar.decode(f, symbols=syms)
    import zxingcpp

    fmts = [zxingcpp.BarcodeFormat.QRCode, zxingcpp.BarcodeFormat.Code128, zxingcpp.BarcodeFormat.EAN13,
            zxingcpp.BarcodeFormat.EAN8, zxingcpp.BarcodeFormat.UPCE]
    return lambda f: zxingcpp.read_barcodes(f, formats=fmts)


def time_per_frame(fn, frames) -> float:
    t = time.perf_counter()
    for f in frames:
        fn(f)
    return (time.perf_counter() - t) / len(frames)


def bench_speed(backend: str, frames: list[np.ndarray]) -> tuple[float, float, float, int]:
    raw = raw_call(backend)
    reader = CameraReader(None, make_decoder(backend), holdoff_s=1.5)
    core = reader.decoder._raw  # the backend call alone, on a frame already in gray
    grays = [to_gray(f) for f in frames]
    hits = sum(1 for f in frames if reader.decoder.decode(f))  # warm-up and sanity
    raws, ours, cores = [], [], []
    for _ in range(ROUNDS):
        raws.append(time_per_frame(raw, frames))
        ours.append(time_per_frame(reader.process, frames))
        cores.append(time_per_frame(core, grays))
    return statistics.median(raws), statistics.median(ours), statistics.median(cores), hits


def bench_share(backend: str, samples) -> tuple[int, int, float, list[str]]:
    dec = make_decoder(backend)
    t = time.perf_counter()
    missed = [n for n, _s, text, f in samples if not any(d.text == text for d in dec.decode(f))]
    return len(samples) - len(missed), len(samples), time.perf_counter() - t, missed


def bench_empty(backend: str, size) -> tuple[float, float]:
    """Frames with no code: the idle camera, where our path adds one fallback pass per frame."""
    frames = [codes.noise(np.full((size[1], size[0], 3), 150, np.uint8), 8, seed=i) for i in range(4)]
    raw = raw_call(backend)
    reader = CameraReader(None, make_decoder(backend))
    r = statistics.median(time_per_frame(raw, frames) for _ in range(3))
    o = statistics.median(time_per_frame(reader.process, frames) for _ in range(3))
    return r, o


def bench_receipt() -> list[tuple[str, float]]:
    from devices.printers import Receipt, ReceiptLine, open_printer, render_receipt

    r = Receipt("鲜果坊 人民路店", "上海市黄浦区人民路 88 号", "SO-20261122-0042",
                [ReceiptLine(f"商品 {i} 有机蔬菜", 1 + i % 3, 350 + i, (1 + i % 3) * (350 + i)) for i in range(8)],
                12345, "李四", "2026-11-22 10:05", "王**", "https://e.example/r/42")
    rows = []
    with tempfile.TemporaryDirectory() as d:
        pr = open_printer(f"file://{d}/p.bin")
        for mm, cf in ((58, True), (80, True), (58, False), (80, False)):
            n = 20 if cf else 5
            t = time.perf_counter()
            for _ in range(n):
                pr.send(render_receipt(r, mm, chinese_font=cf))
            rows.append((f"{mm} mm, {'GB18030 text' if cf else 'raster image'}", (time.perf_counter() - t) / n))
    return rows


DEFAULT_BACKEND = "zxing"


def main() -> int:
    t0 = time.perf_counter()
    backends = []
    for b in ("pyzbar", "zxing"):
        try:
            make_decoder(b)
            backends.append(b)
        except Exception as e:  # pragma: no cover - missing libzbar
            print(f"skipping {b}: {e}")
    print("Camera decode, frames with a code (median of %d interleaved rounds)" % ROUNDS)
    print("raw: the library call on the BGR frame as the camera gives it (same 5 symbologies);")
    print("core: our backend call alone on a pre-made gray frame (no conversion, no reader work)")
    print(f"{'backend':<8} {'frame':>10} {'raw fps':>9} {'ours fps':>9} {'ours/raw':>9} "
          f"{'core fps':>9} {'ours/core':>9} {'read':>6}  targets")
    ok = True
    for size in SIZES:
        frames = frames_with_code(size)
        for b in backends:
            raw, ours, core, hits = bench_speed(b, frames)
            ratio = ours / raw
            # the targets are the default backend's (the one the counter's camera uses); the
            # second backend is measured for comparison and has none
            meets = ratio <= 1.10 and (size != (1280, 720) or 1 / ours >= 30)
            verdict = ("ok" if meets else "MISS") if b == DEFAULT_BACKEND else "— (no target)"
            ok &= meets or b != DEFAULT_BACKEND
            print(f"{b:<8} {size[0]:>5}x{size[1]:<4} {1 / raw:>9.1f} {1 / ours:>9.1f} {ratio:>9.3f} "
                  f"{1 / core:>9.1f} {ours / core:>9.3f} {hits:>3}/{len(frames)}  {verdict}")
    print()
    print("Frames without a code (idle camera): our path adds one fallback pass per frame (in turn:")
    print("inverted, equalised, equalised+inverted, 2x enlarged for frames <= 800 px)")
    print(f"{'backend':<8} {'frame':>10} {'raw fps':>9} {'ours fps':>9} {'ours/raw':>9}")
    for size in SIZES:
        for b in backends:
            r, o = bench_empty(b, size)
            print(f"{b:<8} {size[0]:>5}x{size[1]:<4} {1 / r:>9.1f} {1 / o:>9.1f} {o / r:>9.3f}")
    print()
    samples = codes.sample_set((640, 480))
    print(f"Distorted set ({len(samples)} frames 640x480: QR, Code128, EAN-13 x normal/small x "
          f"{len(codes.DISTORTIONS)} distortions)")
    print(f"{'backend':<8} {'read':>9} {'share':>7} {'time s':>7}  missed")
    for b in backends:
        n, total, secs, missed = bench_share(b, samples)
        print(f"{b:<8} {n:>4}/{total:<4} {n / total:>7.1%} {secs:>7.2f}  {', '.join(missed)}")
    print()
    print("Receipt: render with python-escpos + send to the file printer (per receipt)")
    print(f"{'paper / mode':<28} {'ms':>8}")
    for name, secs in bench_receipt():
        print(f"{name:<28} {secs * 1000:>8.2f}")
    print()
    default = make_decoder("auto").name
    ok &= default == DEFAULT_BACKEND
    print(f"default backend: {default}; total {time.perf_counter() - t0:.1f} s; "
          f"targets (ours/raw <= 1.10, >= 30 fps at 1280x720, {DEFAULT_BACKEND}) "
          f"{'met' if ok else 'NOT met: FAIL'}")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
