"""``store-edge devices …``: decode image files, check the configured devices.

The app's CLI wires this in with ``devices.cli.add_subparsers(subparsers, parents=[common])``
(common: the app's ``--data-dir/--config/--lang``); it can also run alone:
``python -m devices.cli devices check --config store.toml``.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
from typing import Any

from devices.messages import msg, norm_lang

EXIT_OK, EXIT_PROBLEM, EXIT_USAGE = 0, 1, 2


def add_subparsers(subparsers: Any, parents: list[argparse.ArgumentParser] | None = None
                   ) -> argparse.ArgumentParser:
    """Add the ``devices`` command (with ``decode`` and ``check``) to an argparse subparsers object.

    ``parents`` are the host CLI's common options; without them (standalone) this adds its
    own ``--lang`` and ``--config``.
    """
    parents = parents or []
    p = subparsers.add_parser("devices", parents=parents,
                              help="scanners, printers, probes: decode images, check devices")
    if not parents:
        # SUPPRESS: do not overwrite a --lang given to the parent parser
        p.add_argument("--lang", default=argparse.SUPPRESS, help="zh-CN or en")
    sub = p.add_subparsers(dest="devices_command", metavar="{decode,check}")
    sub.required = True
    d = sub.add_parser("decode", parents=parents, help="print the codes the decoder reads in image files")
    d.add_argument("images", nargs="+", metavar="IMAGE")
    d.add_argument("--json", action="store_true", help="machine-readable output")
    d.add_argument("--decoder", choices=("auto", "pyzbar", "zxing"), default="auto")
    c = sub.add_parser("check", parents=parents,
                       help="list configured devices, whether each answers, what to do if not")
    c.add_argument("--json", action="store_true")
    if not parents:
        c.add_argument("--config", metavar="PATH", help="TOML/JSON file with a [devices] table "
                       "(default: $STORE_EDGE_CONFIG)")
    c.add_argument("--timeout", type=float, default=3.0, help="seconds to wait for probe readings")
    p.set_defaults(handler=run)
    return p


def run(args: argparse.Namespace) -> int:
    lang = norm_lang(getattr(args, "lang", None) or os.environ.get("STORE_EDGE_LANG"))
    cmd = getattr(args, "devices_command", None)
    if cmd == "decode":
        return _decode(args, lang)
    if cmd == "check":
        return _check(args, lang)
    print("usage: devices {decode,check} ...", file=sys.stderr)
    return EXIT_USAGE


def _decode(args: argparse.Namespace, lang: str) -> int:
    from devices.camera.decoder import DecoderUnavailable, make_decoder

    try:
        decoder = make_decoder(args.decoder)
    except (DecoderUnavailable, ValueError) as e:
        print(str(e), file=sys.stderr)
        return EXIT_USAGE
    results = [_decode_one(decoder, path, lang) for path in args.images]
    if args.json:
        print(json.dumps({"decoder": decoder.name, "results": results}, ensure_ascii=False, indent=2))
    else:
        for r in results:
            if r["error"]:
                print(f"{r['file']}: {r['error']}")
            elif not r["codes"]:
                print(f"{r['file']}: {msg('decode.none', lang)}")
            for c in r["codes"]:
                print(f"{r['file']}: [{c['symbology']}] {c['text']}")
    if any(r["error"] for r in results):
        return EXIT_USAGE
    return EXIT_OK if all(r["codes"] for r in results) else EXIT_PROBLEM


def _decode_one(decoder: Any, path: str, lang: str) -> dict:
    """One file's result; a bad file is an error entry, never the end of the others."""
    from devices.camera.images import MAX_PIXELS, ImageProblem, read_image

    try:
        img = read_image(path)
        codes = decoder.decode(img)  # the same path live camera frames take
    except ImageProblem as e:
        text = msg(f"decode.{e.reason}", lang, size=e.detail, limit=f"{MAX_PIXELS:,}")
        return {"file": path, "codes": [], "error": text, "reason": e.reason}
    except Exception as e:  # a decoder crash on one file must not lose the others
        return {"file": path, "codes": [], "error": msg("decode.failed", lang, detail=str(e)),
                "reason": "failed"}
    return {"file": path, "error": None, "reason": None, "codes": [
        {"text": c.text, "symbology": c.symbology, "inverted": c.inverted,
         "points": [list(p) for p in c.points]} for c in codes]}


def _check(args: argparse.Namespace, lang: str) -> int:
    from devices.check import check_config, check_decoders, discover
    from devices.config import DeviceConfigError, load_devices_config

    # the host CLI resolves the store's config file (args.cfg.path) from --data-dir
    host_cfg = getattr(getattr(args, "cfg", None), "path", None)
    path = getattr(args, "config", None) or os.environ.get("STORE_EDGE_CONFIG") or host_cfg
    path = str(path) if path else None
    results = []
    note = ""
    if path:
        try:
            cfg = load_devices_config(path)
        except DeviceConfigError as e:
            print(e.message(lang), file=sys.stderr)
            return EXIT_USAGE
        # a demo store's serial devices are simulators the demo starts (the host CLI passes
        # a factory for them): check those, not the /dev paths they stand in for
        simulators = getattr(args, "device_simulators", None)
        sims = simulators() if simulators is not None else None
        try:
            if sims is not None:
                sims.attach(cfg)
                note = msg("check.simulated", lang)
            results = check_config(cfg, lang, args.timeout)
        finally:
            if sims is not None:
                sims.stop()
    else:
        note = msg("check.no_config", lang)
        results = discover(lang)
    results += check_decoders(lang)
    bad = [r for r in results if r.ok is False]
    if args.json:
        print(json.dumps({"config": path, "ok": not bad, "devices": [r.as_dict() for r in results]},
                         ensure_ascii=False, indent=2))
    else:
        print(msg("check.title", lang) + (f" ({path})" if path else ""))
        if note:
            print(note)
        for r in results:
            mark = {True: "OK ", False: "!! ", None: "-- "}[r.ok]
            print(f"{mark} {r.kind:<10} {r.name:<18} {r.target:<28} {r.detail}")
            for h in r.hints:
                print(f"      -> {h}")
        print(msg("check.all_ok", lang) if not bad else msg("check.some_bad", lang, n=len(bad)))
    return EXIT_PROBLEM if bad else EXIT_OK


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="store-edge")
    parser.add_argument("--lang", default=None)
    add_subparsers(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    return args.handler(args)


if __name__ == "__main__":
    raise SystemExit(main())
