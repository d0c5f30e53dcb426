"""``store-edge config check [--config FILE]``: every mistake in the store's config with its
line, in the user's language. Registered through edge.cli's plugin list; it runs also when
the config does not load (that is what it is for). Exit 0: nothing wrong; 2: mistakes found,
or no config file to check.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from edge import config as config_mod
from edge.config_check import Finding, check_data_dir, check_text
from edge.i18n import register, t
from edge.private_files import permission_warnings

EXIT_OK, EXIT_USAGE = 0, 2

register({
    "config.check.ok": ("{path}：没有发现问题", "{path}: no mistakes found"),
    "config.check.count": ("{path}：发现 {n} 处问题", "{path}: {n} mistake(s) found"),
    "config.check.line": ("{path} 第 {line} 行：{message}", "{path}:{line}: {message}"),
    "config.check.file": ("{path}：{message}", "{path}: {message}"),
    "config.check.missing": ("找不到配置文件：{path}（`store-edge init` 会创建它）",
                             "config file not found: {path} (`store-edge init` writes it)"),
})


def add_subparsers(sub, parents: list[argparse.ArgumentParser]) -> None:
    """Called by edge.cli: adds ``config check``."""
    parser = sub.add_parser("config", parents=parents, help="check the store's configuration")
    config_sub = parser.add_subparsers(dest="config_command", required=True)
    check = config_sub.add_parser("check", parents=parents,
                                  help="name every mistake in store-edge.toml with its line (exit 0 = none)")
    check.set_defaults(handler=run_check, reads_bad_config=True)


def run_check(args: argparse.Namespace) -> int:
    data_dir, path, _explicit = config_mod.locate(args.data_dir, args.config)
    lang = args.lang or "zh-CN"
    if not path.is_file():
        print(t("config.check.missing", lang, path=path), file=sys.stderr)
        return EXIT_USAGE
    text = path.read_text(encoding="utf-8", errors="replace")
    findings = check_text(text)
    cfg = getattr(args, "cfg", None)
    if cfg is not None and cfg.data_dir is not None:  # the config loaded: look at its store too
        data_dir = Path(cfg.data_dir)
    if not findings:
        findings = check_data_dir(data_dir)
    for finding in findings:
        print(_line(finding, path, lang))
    for warning in permission_warnings([path], lang):  # it holds the HQ token
        print(warning)
    if findings:
        print(t("config.check.count", lang, path=path, n=len(findings)), file=sys.stderr)
        return EXIT_USAGE
    print(t("config.check.ok", lang, path=path))
    return EXIT_OK


def _line(finding: Finding, path: Path, lang: str) -> str:
    message = finding.message(lang)
    if finding.line is None:
        return t("config.check.file", lang, path=path, message=message)
    return t("config.check.line", lang, path=path, line=finding.line, message=message)
