"""The ASCII probe line protocol (ours; small USB/RS-485 probe boards are easy to program to it).

One reading per line, ASCII, terminated by CR LF (a lone CR or LF is accepted)::

    T,<probe_id>,<celsius>,<seq>[*<checksum>]\\r\\n

* ``probe_id``: 1-32 of ``A-Z a-z 0-9 _ -``.
* ``celsius``: decimal with an optional sign and up to 2 decimals (``3.5``, ``-18.25``).
  Physically possible values only: -60.00 to +80.00, otherwise the probe is broken.
* ``seq``: the probe's counter, 0 to 4294967295, increasing by one per reading (wraps); lets
  the store tell a repeated line from a new one and spot lost readings.
* ``*<checksum>``: optional, two hex digits, XOR of every byte between the start of the line
  and ``*`` (as in NMEA 0183). When present it must match.

Example: ``T,F1,3.6,1042*23``. Anything else is a :class:`ProbeLineError`, counted and logged.
"""
from __future__ import annotations

import re
from datetime import datetime
from functools import reduce

from devices.probes.readings import ProbeLineError, Reading, utcnow

MIN_C, MAX_C = -60.0, 80.0
_ID = re.compile(r"[A-Za-z0-9_-]{1,32}")
_NUM = re.compile(r"[+-]?\d{1,3}(\.\d{1,2})?")
_SEQ = re.compile(r"\d{1,10}")
MAX_LINE = 96


def checksum(body: str) -> str:
    return f"{reduce(lambda a, c: a ^ c, body.encode('ascii'), 0):02X}"


def format_line(probe_id: str, celsius: float, seq: int, with_checksum: bool = True) -> bytes:
    """The line a probe sends (used by the simulator and tests)."""
    body = f"T,{probe_id},{celsius:.2f},{seq}"
    return (body + (f"*{checksum(body)}" if with_checksum else "") + "\r\n").encode("ascii")


def parse_line(line: bytes, now: datetime | None = None) -> Reading | ProbeLineError:
    """Parse one line (terminator optional). Never raises."""
    at = now or utcnow()
    if len(line) > MAX_LINE:
        return ProbeLineError("too_long", line[:MAX_LINE], at=at)
    try:
        text = line.decode("ascii").strip("\r\n ")
    except UnicodeDecodeError:
        return ProbeLineError("not_ascii", line, at=at)
    body, star, cs = text.partition("*")
    if star and cs.upper() != checksum(body):
        return ProbeLineError("bad_checksum", line, detail=f"got {cs!r}, want {checksum(body)}", at=at)
    parts = body.split(",")
    if len(parts) != 4 or parts[0] != "T":
        return ProbeLineError("bad_format", line, detail="want T,<probe_id>,<celsius>,<seq>", at=at)
    _, pid, num, seq = parts
    if not _ID.fullmatch(pid):
        return ProbeLineError("bad_format", line, detail="bad probe id", at=at)
    if not _NUM.fullmatch(num) or not _SEQ.fullmatch(seq) or int(seq) > 0xFFFFFFFF:
        return ProbeLineError("bad_number", line, pid, at=at)
    c = float(num)
    if not MIN_C <= c <= MAX_C:
        return ProbeLineError("out_of_range", line, pid, detail=f"{c} °C", at=at)
    return Reading(pid, c, int(seq), at, "ascii")
