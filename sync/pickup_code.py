"""Pickup codes: the short numeric code (and QR) a customer shows at the counter.

Shared by HQ, which issues codes, and the store, which checks them, so it imports nothing of
either. A code is 10 random digits (10^10 possibilities: unguessable by trying at a counter)
followed by one Damm check digit, which catches every single mistyped digit and every swap of
two adjacent digits, so the counter can say "mistyped" instead of "unknown".

The QR carries the store too (``SE1:<store_id>:<code>``) so a store can tell a customer that
the order belongs to another store without asking HQ.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass

RANDOM_DIGITS = 10
CODE_LENGTH = RANDOM_DIGITS + 1
QR_PREFIX = "SE1"

# Damm's totally anti-symmetric quasigroup of order 10.
_DAMM = (
    (0, 3, 1, 7, 5, 9, 8, 6, 4, 2),
    (7, 0, 9, 2, 1, 5, 4, 8, 6, 3),
    (4, 2, 0, 6, 8, 7, 1, 3, 5, 9),
    (1, 7, 5, 0, 9, 8, 3, 4, 2, 6),
    (6, 1, 2, 3, 0, 4, 5, 9, 7, 8),
    (3, 6, 7, 4, 2, 0, 9, 5, 8, 1),
    (5, 8, 6, 9, 7, 2, 0, 1, 3, 4),
    (8, 9, 4, 5, 3, 6, 2, 0, 1, 7),
    (9, 4, 3, 8, 6, 1, 7, 2, 0, 5),
    (2, 5, 8, 1, 4, 3, 6, 7, 9, 0),
)


def damm_check_digit(digits: str) -> str:
    """The Damm check digit of a string of decimal digits."""
    interim = 0
    for ch in digits:
        interim = _DAMM[interim][ord(ch) - 48]
    return str(interim)


def is_valid_check(code: str) -> bool:
    """True when the last digit is the Damm check digit of the others."""
    return damm_check_digit(code) == "0"


def make_pickup_code() -> str:
    """A new random pickup code: 10 digits from the OS's CSPRNG plus a check digit."""
    body = "".join(str(secrets.randbelow(10)) for _ in range(RANDOM_DIGITS))
    return body + damm_check_digit(body)


def format_code(code: str) -> str:
    """Group the code for reading aloud: 1234 5678 901."""
    return " ".join(code[i : i + 4] for i in range(0, len(code), 4))


def qr_payload(store_id: str, code: str) -> str:
    """What the customer's app shows as a QR code."""
    return f"{QR_PREFIX}:{store_id}:{code}"


@dataclass(frozen=True)
class ScannedCode:
    """A scan or typed entry split into its parts; store_id is None when typed."""

    code: str
    store_id: str | None


_QR_RE = re.compile(rf"^{QR_PREFIX}:([A-Za-z0-9_-]{{1,32}}):(\d+)$")


def parse_scanned(raw: str) -> ScannedCode | None:
    """Split a QR payload or a typed code (spaces and dashes allowed); None if neither."""
    text = raw.strip()
    match = _QR_RE.match(text)
    if match:
        return ScannedCode(code=match.group(2), store_id=match.group(1))
    digits = re.sub(r"[\s-]", "", text)
    if digits.isdigit() and digits.isascii():
        return ScannedCode(code=digits, store_id=None)
    return None
