"""Every sync message exists in both languages with the same placeholders."""

from __future__ import annotations

import string

from edge.domain.sync_i18n import MESSAGES
from edge.i18n import CATALOG


def _fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_sync_messages_are_bilingual_and_registered():
    for key, (zh, en) in MESSAGES.items():
        assert key.startswith("sync.") and zh and en, key
        assert _fields(zh) == _fields(en), key
        assert CATALOG[key] == (zh, en)
