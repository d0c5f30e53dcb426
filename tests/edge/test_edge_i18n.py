"""Every message exists in zh-CN and en with the same placeholders; every domain error has one."""

from __future__ import annotations

import importlib
import re
import string
from pathlib import Path

from edge.i18n import CATALOG, LANGUAGES, t

EDGE = Path(__file__).resolve().parents[2] / "edge"
# the counter domain: its error codes must all be in the catalog
COUNTER_MODULES = ["codes", "clerks", "orders", "pickup", "stock", "audit", "outbox", "errors"]


def _import_registering_modules() -> list[str]:
    """Modules that add their messages with edge.i18n.register(), imported so CATALOG is whole
    whatever other tests ran first."""
    names = []
    for path in sorted(EDGE.rglob("*.py")):
        text = path.read_text(encoding="utf-8")
        if re.search(r"^\s*(?:i18n\.)?register\(", text, re.M) and path.name != "i18n.py":
            name = ".".join(path.relative_to(EDGE.parent).with_suffix("").parts)
            importlib.import_module(name)
            names.append(name)
    return names


_REGISTERED = _import_registering_modules()


def _fields(text: str) -> set[str]:
    return {name for _lit, name, _spec, _conv in string.Formatter().parse(text) if name is not None}


def test_every_key_has_non_empty_zh_and_en():
    assert LANGUAGES == ("zh-CN", "en")
    for key, entry in CATALOG.items():
        assert isinstance(entry, tuple) and len(entry) == 2, key
        zh, en = entry
        assert zh.strip() and en.strip(), key


def test_placeholders_agree_between_languages():
    for key, (zh, en) in CATALOG.items():
        assert _fields(zh) == _fields(en), key


def test_every_message_formats_with_its_own_placeholders():
    for key, (zh, en) in CATALOG.items():
        params = {name: f"<{name}>" for name in _fields(en)}
        for lang, text in (("zh-CN", zh), ("en", en)):
            out = t(key, lang, **params)
            assert "{" not in out.replace("{{", "") or "{" in text.format(**params), key
            for name in params:
                assert f"<{name}>" in out, (key, lang, name)


def test_the_chinese_text_is_chinese():
    for key, (zh, en) in CATALOG.items():
        if key.startswith(("verdict.", "why.", "status.", "auth.", "order.", "handover.")):
            assert re.search(r"[\u4e00-\u9fff]", zh), key


def test_every_domain_error_code_and_verdict_has_a_message():
    """Codes raised as DomainError("...") in edge/domain and verdict kinds all have catalog keys."""
    sources = "\n".join((EDGE / "domain" / f"{m}.py").read_text(encoding="utf-8")
                        for m in COUNTER_MODULES) + (EDGE / "cli.py").read_text(encoding="utf-8")
    codes = set(re.findall(r'DomainError\(\s*"([a-z_]+\.[a-z_.]+)"', sources))
    verdicts = set(re.findall(r'Verdict\(\s*"([a-z_]+)"', sources))
    verdicts |= {"mistyped", "malformed"}  # built from codes.classify()
    assert "override.required" in codes and "ok" in verdicts  # the scan found them
    missing = sorted(c for c in codes if c not in CATALOG)
    missing += sorted(f"verdict.{v}" for v in verdicts if f"verdict.{v}" not in CATALOG)
    assert missing == []
    for why in ("empty", "garbage", "not_digits", "too_short", "too_long"):
        assert f"why.{why}" in CATALOG


def test_statuses_zones_and_reasons_have_labels():
    from edge.domain.orders import CHANNELS, STATUSES, ZONES
    from edge.domain.pickup import NOT_TAKEN_REASONS

    for prefix, names in (("status", STATUSES), ("zone", ZONES), ("keep", ZONES),
                          ("channel", CHANNELS), ("reason", NOT_TAKEN_REASONS)):
        for name in names:
            assert f"{prefix}.{name}" in CATALOG


def test_unknown_key_and_missing_params_do_not_crash():
    assert t("no.such.key", "en") == "no.such.key"
    assert t("verdict.no_match", "en")  # missing {last4}: the raw text, not an exception
