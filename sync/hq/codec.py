"""JSON as HQ stores it: compact, keys sorted (so equal content gives equal text)."""

from __future__ import annotations

import json
from typing import Any

# one encoder for all calls: json.dumps(**options) would build a new one every time
_ENCODER = json.JSONEncoder(ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def dumps(value: Any) -> str:
    return _ENCODER.encode(value)


def loads(text: str) -> Any:
    return json.loads(text)
