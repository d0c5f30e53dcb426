"""The keyboard-wedge detector: scans at scanner speed, typing at human speed, nothing lost."""
from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from devices.scanners.wedge import Scan, Typed, WedgeDetector


def feed_text(det: WedgeDetector, text: str, t0: float, gap: float, end_key: str | None = "enter"):
    events, t = [], t0
    for ch in text:
        events += det.feed(ch, ch, t)
        t += gap
    if end_key:
        events += det.feed(end_key, None, t)
    return events, t


def test_scanner_burst_with_enter_is_one_scan():
    det = WedgeDetector()
    events, _ = feed_text(det, "PK:8301-2291", 0.0, 0.004)
    assert events == [Scan("PK:8301-2291")]


def test_tab_terminator_and_chinese_characters():
    det = WedgeDetector()
    events, _ = feed_text(det, "订单A1234", 0.0, 0.01, end_key="tab")
    assert events == [Scan("订单A1234")]


def test_human_typing_passes_through_as_typed_including_enter():
    det = WedgeDetector()
    events, t = feed_text(det, "1234", 0.0, 0.15)
    assert events == [Typed("1"), Typed("2"), Typed("3"), Typed("4", "enter")]


def test_slow_code_then_enter_is_typed_never_scan():
    det = WedgeDetector()
    events, _ = feed_text(det, "PK123456", 0.0, 0.08)
    assert not any(isinstance(e, Scan) for e in events)
    assert "".join(e.chars for e in events) == "PK123456"


def test_short_fast_burst_is_not_a_scan():
    det = WedgeDetector(min_length=4)
    events, _ = feed_text(det, "ab", 0.0, 0.005)
    assert events == [Typed("ab", "enter")]


def test_human_keys_then_scan_are_separated():
    det = WedgeDetector()
    events, t = feed_text(det, "ab", 0.0, 0.3, end_key=None)
    events += det.feed("x", "x", t + 0.5)  # the scanner starts later
    more, _ = feed_text(det, "12345", t + 0.504, 0.004)
    events += more
    assert events == [Typed("a"), Typed("b"), Scan("x12345")]


def test_flush_releases_a_lone_keystroke():
    det = WedgeDetector()
    assert det.feed("a", "a", 1.0) == []
    assert det.pending == "a"
    assert det.flush(1.01) == []  # still within the gap: might be a scan
    assert det.flush(1.2) == [Typed("a")]
    assert det.pending == ""


def test_prefix_and_suffix_are_required_and_stripped():
    det = WedgeDetector(prefix="]Q", suffix="#")
    events, _ = feed_text(det, "]Q123456#", 0.0, 0.003)
    assert events == [Scan("123456")]
    events, _ = feed_text(det, "123456", 10.0, 0.003)  # fast but without prefix: typing
    assert events == [Typed("123456", "enter")]


def test_no_terminator_mode_ends_scan_by_silence():
    det = WedgeDetector(terminators=())
    events, t = feed_text(det, "6901234567892", 0.0, 0.004, end_key=None)
    assert events == []
    assert det.flush(t + 0.1) == [Scan("6901234567892")]


def test_editing_keys_pass_through_and_break_a_burst():
    det = WedgeDetector()
    ev = det.feed("a", "a", 0.0) + det.feed("backspace", None, 0.01)
    assert ev == [Typed("a", "backspace")]
    assert det.feed("shift", None, 0.02) == []  # modifier alone: ignored


keys = st.lists(
    st.tuples(
        st.one_of(st.characters(blacklist_categories=("Cc", "Cs")).map(lambda c: (c, c)),
                  st.sampled_from([("enter", None), ("tab", None), ("backspace", None)])),
        st.floats(min_value=0.0, max_value=0.2),
    ),
    max_size=60,
)


def _replay(det: WedgeDetector, seq) -> list:
    out, t = [], 0.0
    for (key, char), gap in seq:
        t += gap
        out += det.feed(key, char, t)
    out += det.flush(t + 1.0)
    return out


@settings(max_examples=300, deadline=None)
@given(keys)
def test_property_no_character_is_lost_or_reordered(seq):
    det = WedgeDetector()
    out = _replay(det, seq)
    fed = "".join(char for (key, char), _ in seq if char)
    got = "".join(e.text if isinstance(e, Scan) else e.chars for e in out)
    assert got == fed
    assert det.pending == ""


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.characters(blacklist_categories=("Cc", "Cs")), min_size=4, max_size=40),
       st.floats(min_value=0.0, max_value=0.035), st.sampled_from(["enter", "tab"]))
def test_property_any_fast_burst_is_one_exact_scan(text, gap, term):
    det = WedgeDetector(max_gap_ms=35)
    events, _ = feed_text(det, text, 100.0, gap, end_key=term)
    assert events == [Scan(text)]


@settings(max_examples=200, deadline=None)
@given(st.text(min_size=1, max_size=30, alphabet="0123456789ABCDEF-:"), st.floats(min_value=0.036, max_value=1.0))
def test_property_human_speed_never_scans(text, gap):
    det = WedgeDetector(max_gap_ms=35)
    events, t = feed_text(det, text, 0.0, gap)
    events += det.flush(t + 5)
    assert not any(isinstance(e, Scan) for e in events)
