"""Probe lines through real pseudo-terminals into ProbeReader; Modbus RTU against a pty slave."""
from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from devices.probes import ModbusProbe, ProbeLineError, ProbeReader, Reading, format_line, parse_line
from devices.probes.ascii_protocol import checksum
from devices.sim import SimModbusSlave, SimProbe


# ---------------------------------------------------------------- the line protocol

def test_parse_good_lines():
    r = parse_line(b"T,F1,3.60,1042*" + checksum("T,F1,3.60,1042").encode() + b"\r\n")
    assert isinstance(r, Reading)
    assert (r.probe_id, r.celsius, r.seq, r.source) == ("F1", 3.6, 1042, "ascii")
    r2 = parse_line(b"T,freezer_2,-18.25,7")  # checksum optional, no terminator
    assert isinstance(r2, Reading) and r2.celsius == -18.25
    assert r.reading_id != parse_line(b"T,F1,3.60,1042").reading_id  # every reading has its own id


@pytest.mark.parametrize("line, reason", [
    (b"T,F1,3.", "bad_format"),               # truncated
    (b"T,F1,3.6", "bad_format"),              # seq missing
    (b"T,F1,abc,1", "bad_number"),
    (b"T,F1,3.6,-1", "bad_number"),
    (b"T,F1,999.0,1", "out_of_range"),        # a broken sensor, not a hot fridge
    (b"T,F1,-80,1", "out_of_range"),
    (b"T,F1,3.6,1*00", "bad_checksum"),
    (b"H,F1,55,1", "bad_format"),
    (b"T,F 1,3.6,1", "bad_format"),
    (b"\xff\x00T,F1", "not_ascii"),
    (b"T,F1,3.6,1" + b"0" * 200, "too_long"),
    (b"", "bad_format"),
])
def test_parse_bad_lines(line, reason):
    r = parse_line(line)
    assert isinstance(r, ProbeLineError)
    assert r.reason == reason


@settings(max_examples=200, deadline=None)
@given(st.from_regex(r"[A-Za-z0-9_-]{1,32}", fullmatch=True),
       st.integers(min_value=-6000, max_value=8000), st.integers(min_value=0, max_value=2**32 - 1),
       st.booleans())
def test_property_format_then_parse_roundtrips(pid, centi, seq, with_cs):
    r = parse_line(format_line(pid, centi / 100, seq, with_cs))
    assert isinstance(r, Reading)
    assert (r.probe_id, r.celsius, r.seq) == (pid, centi / 100, seq)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=120))
def test_property_parse_never_raises(data):
    assert isinstance(parse_line(data), (Reading, ProbeLineError))


# ---------------------------------------------------------------- reader over a pty

def test_reader_over_pty_good_garbage_truncated_out_of_range(collect):
    readings, errors, status = collect(), collect(), collect()
    sim = SimProbe({"F1": 3.0, "Z1": -19.0}, interval_s=None, noise_c=0, seed=1)
    reader = ProbeReader(sim.port, "ascii", ["F1", "Z1"], readings, errors, status)
    with sim, reader:
        status.get_until(lambda s: s.state == "online")
        sim.emit()
        got = {readings.get().probe_id, readings.get().probe_id}
        assert got == {"F1", "Z1"}
        sim.send_garbage(b"\x13\x88\xfe\xff noise \xc3\r\n")
        sim.send_raw(b"T,F1,3.\r\n")                  # truncated
        sim.send_raw(b"T,F1,999,5\r\n")               # out of range
        sim.send_raw(b"T,X9,3.0,1\r\n")               # not configured here
        sim.send_raw(b"T,F1,4.5,6*00\r\n")            # corrupted on the wire
        reasons = [errors.get().reason for _ in range(5)]
        sim.send_raw(b"T,Z1,-19.5,7\rT,Z1,-19.4,8\n")  # lone CR, lone LF: both end a line
        assert [readings.get().seq, readings.get().seq] == [7, 8]
        sim.drift_to("F1", 9.0, per_reading=3.0)     # door left open: still valid readings
        sim.emit("F1")
        sim.emit("F1")
        temps = [readings.get().celsius, readings.get().celsius]
    assert reasons == ["not_ascii", "bad_format", "out_of_range", "unknown_probe", "bad_checksum"]
    assert temps == [6.0, 9.0]
    assert reader.readings == 6
    assert sum(reader.errors.values()) == 5
    ids = [r.reading_id for r in readings.items]
    assert len(set(ids)) == len(ids)


def test_silent_probe_and_its_return_are_status_events(collect):
    """No wall-clock thresholds: the reader's clock is ours."""
    now = [1000.0]
    readings, status = collect(), collect()
    sim = SimProbe({"F1": 3.0, "Z1": -19.0}, interval_s=None, noise_c=0)
    reader = ProbeReader(sim.port, "ascii", ["F1", "Z1"], readings, None, status,
                         silent_after_s=60, clock=lambda: now[0])
    with sim, reader:
        status.get_until(lambda s: s.state == "online")
        sim.emit()
        readings.get(), readings.get()
        now[0] += 30
        sim.emit("Z1")                       # F1 goes quiet, Z1 keeps talking
        readings.get()
        now[0] += 45                         # F1: 75 s without a reading, Z1: 45 s
        silent = status.get_until(lambda s: s.state == "silent")
        assert silent.device == "F1"
        sim.emit("F1")
        back = status.get_until(lambda s: s.device == "F1")
        assert back.state == "online" and back.reason == "probe_back"
    assert "Z1" not in [s.device for s in status.items if s.state == "silent"]


def test_unplugged_probe_board_is_offline_status(collect):
    status = collect()
    sim = SimProbe({"F1": 3.0}, interval_s=None)
    with ProbeReader(sim.port, "ascii", ["F1"], on_status=status, reconnect_s=0.05):
        status.get_until(lambda s: s.state == "online")
        sim.unplug()
        st = status.get_until(lambda s: s.state == "offline")
    assert st.reason in ("disconnected", "port_unavailable")


def test_simulator_thread_sends_on_its_own(collect):
    readings = collect()
    with SimProbe({"F1": 3.0}, interval_s=0.05, noise_c=0.1, seed=3) as sim, \
            ProbeReader(sim.port, "ascii", ["F1"], readings):
        first, second = readings.get(), readings.get()
    assert first.seq < second.seq
    assert abs(first.celsius - 3.0) < 1.0


# ---------------------------------------------------------------- Modbus RTU

def test_modbus_probes_on_one_port(collect):
    readings, errors = collect(), collect()
    with SimModbusSlave({1: 3.5, 2: -18.6}) as sim:
        probes = [ModbusProbe("F1", 1), ModbusProbe("Z1", 2)]
        with ProbeReader(sim.port, "modbus", probes, readings, errors, poll_s=0.05):
            got = {}
            while len(got) < 2:
                r = readings.get()
                got[r.probe_id] = r.celsius
            sim.go_silent(2)
            err = errors.get_until(lambda e: e.probe_id == "Z1")
            sim.set_temperature(1, -2.3)
            neg = readings.get_until(lambda r: r.probe_id == "F1" and r.celsius < 0)
    assert got == {"F1": 3.5, "Z1": -18.6}
    assert err.reason == "no_response"
    assert neg.celsius == -2.3 and neg.source == "modbus"


def test_modbus_config_needs_slave_ids():
    with pytest.raises(ValueError):
        ProbeReader("/dev/null", "modbus", ["F1"])
    with pytest.raises(ValueError):
        ProbeReader("/dev/null", "bogus", ["F1"])  # type: ignore[arg-type]


def test_modbus_slave_ignores_bad_crc():
    from devices.sim.modbus_slave import crc16

    sim = SimModbusSlave({1: 4.0})
    try:
        req = bytes([1, 3, 0, 0, 0, 1])
        assert sim.answer(req + crc16(req)) == bytes([1, 3, 2, 0, 40]) + crc16(bytes([1, 3, 2, 0, 40]))
        assert sim.answer(req + b"\x00\x00") is None
    finally:
        sim.stop()
