"""Reading a push body: every event HQ can name is answered on its own.

The fast path validates the whole body with pydantic's JSON parser. When that fails, the
body is read again event by event: an event whose ``seq`` and ``event_id`` can be read but
whose other fields cannot be stored or do not fit the protocol (a NUL in a lot code, a
quantity of 2**64, a wrong type) becomes a :class:`RefusedEvent`, answered ``rejected`` with
a reason naming the field, and the store's seq still advances. Only a body that is not a
batch at all, or an event without a readable seq and event id, refuses the whole request
(422 naming the event): the store parks such a batch (see ``sync.client``).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from .. import protocol as p
from .errors import HQError

_UUID = re.compile(p.UUID_PATTERN)


@dataclass(frozen=True)
class RefusedEvent:
    """An event HQ cannot apply nor store as sent: kept as ASCII-escaped JSON, rejected."""

    seq: int
    event_id: str
    reason: str
    raw: dict[str, Any]


def _first_error(exc: ValidationError) -> str:
    first = exc.errors(include_url=False)[0]
    where = ".".join(str(part) for part in first["loc"]) or "event"
    return f"invalid_event:{where}:{first['msg']}"[:300]


def _refused(index: int, raw: Any, exc: ValidationError) -> RefusedEvent:
    """The event as a rejection, when it can be named (seq and event id readable)."""
    if not isinstance(raw, dict):
        raise HQError("invalid_request", f"events[{index}] is not an object", 422)
    seq, event_id = raw.get("seq"), raw.get("event_id")
    if isinstance(seq, float) and seq.is_integer():
        seq = int(seq)
    if (not isinstance(seq, int) or isinstance(seq, bool) or not 1 <= seq <= p.MAX_SEQ
            or not isinstance(event_id, str) or not _UUID.match(event_id)):
        raise HQError("invalid_request", f"events[{index}] has no valid seq and event_id: "
                      f"{_first_error(exc)}", 422)
    return RefusedEvent(seq, event_id, _first_error(exc), raw)


# what an unstorable value looks like in JSON text: NUL and surrogates can only come as
# escapes (raw UTF-8 cannot hold a surrogate), numbers of 19+ digits, NaN and Infinity.
# A body without any of these, and too short to hold an over-long string, skips the walk
# over every value (one fast C scan instead of Python per value).
_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F]")
_DIGITS_ONLY = bytes(0x30 if 0x30 <= b <= 0x39 else 0x20 for b in range(256))  # digit -> 0, else space


def _suspect(raw: bytes) -> bool:
    """Could ``raw`` hold an unstorable value? Substring scans and one translate (a regex with
    a ``[0-9]{19}`` branch over a 150 KB batch took a tenth of the whole push)."""
    return (len(raw) > p.MAX_TEXT_CHARS  # (a string that long needs a body as long)
            or b"\\u0000" in raw or b"NaN" in raw or b"Infinity" in raw
            or (b"\\u" in raw and _SURROGATE_ESCAPE.search(raw) is not None)
            or b"0" * 19 in raw.translate(_DIGITS_ONLY))


def _storable(event: p.Event) -> p.Event | RefusedEvent:
    """The event, or its rejection naming the first payload value HQ cannot store."""
    problem = p.value_problem(event.payload)
    if problem is None:
        return event
    return RefusedEvent(event.seq, event.event_id, f"invalid_payload:{problem}"[:300],
                        event.model_dump(by_alias=True))


def read_push(raw: bytes) -> list[p.Event | RefusedEvent]:
    """The events of a push body; raises HQError 422 for a body that is no batch."""
    try:
        events = p.PushRequest.model_validate_json(raw).events
        return [_storable(e) for e in events] if _suspect(raw) else list(events)
    except ValidationError:
        pass
    try:
        body = json.loads(raw)
    except (ValueError, RecursionError):  # UnicodeDecodeError and JSONDecodeError are ValueErrors
        raise HQError("invalid_request", "body is not UTF-8 JSON", 422) from None
    if not isinstance(body, dict) or set(body) != {"events"} or not isinstance(body["events"], list):
        raise HQError("invalid_request", 'body must be {"events": [...]}', 422)
    if len(body["events"]) > p.MAX_PUSH_EVENTS:
        raise HQError("invalid_request", f"more than {p.MAX_PUSH_EVENTS} events", 422)
    events: list[p.Event | RefusedEvent] = []
    for index, item in enumerate(body["events"]):
        try:
            events.append(_storable(p.Event.model_validate(item)))
        except ValidationError as exc:
            events.append(_refused(index, item, exc))
    return events
