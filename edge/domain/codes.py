"""Pickup codes as the store keeps them: never in clear.

The database holds HMAC-SHA256(store key, code). The key lives in a file beside the database
(``pickup.key``, mode 0600), so a copied database alone does not let anyone brute-force the
10^10 codes. A code is found by an indexed lookup of its HMAC (``orders.find_by_code_hash``):
timing can at most tell how much of an HMAC matched, which without the key tells nothing
about a code, so no constant-time comparison is needed.
"""

from __future__ import annotations

import hashlib
import hmac

from sync.pickup_code import CODE_LENGTH, is_valid_check


def code_hash(key: bytes, code: str) -> bytes:
    """The stored form of a pickup code."""
    return hmac.new(key, code.encode("ascii"), hashlib.sha256).digest()


def classify(code: str) -> str:
    """``ok`` when the digits could be a code, else why not: too_short, too_long, mistyped."""
    if len(code) < CODE_LENGTH:
        return "too_short"
    if len(code) > CODE_LENGTH:
        return "too_long"
    if not is_valid_check(code):
        return "mistyped"
    return "ok"
