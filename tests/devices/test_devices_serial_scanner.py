"""Serial scanner against a pseudo-terminal scanner and pyserial's loop://."""
from __future__ import annotations

import os

from devices.scanners import ScannerError, SerialScanner
from devices.sim import SimSerialScanner


def test_codes_arrive_over_a_pty(collect):
    scans, errors, status = collect(), collect(), collect()
    with SimSerialScanner() as sim, SerialScanner(sim.port, on_scan=scans, on_error=errors, on_status=status):
        status.get_until(lambda s: s.state == "online")
        sim.scan("PK:8301-2291")
        sim.scan("6901234567892")
        sim.scan("取货码 123456")
        assert [scans.get(), scans.get(), scans.get()] == ["PK:8301-2291", "6901234567892", "取货码 123456"]
    assert errors.items == []


def test_garbage_is_reported_not_passed_on_and_reader_survives(collect):
    scans, errors, status = collect(), collect(), collect()
    with SimSerialScanner() as sim, SerialScanner(sim.port, on_scan=scans, on_error=errors, on_status=status,
                                                  max_length=64):
        status.get_until(lambda s: s.state == "online")
        sim.send_raw(b"\xff\xfe\x80garbage\r")       # not UTF-8 (wrong baud rate looks like this)
        sim.send_raw(b"AB\x07CD\r")                  # control character inside
        sim.send_raw(b"X" * 100)                     # no terminator, too long
        sim.send_raw(b"\rOK-1234\r\n")               # CRLF tolerated; the over-long tail is gone
        assert scans.get() == "OK-1234"
        reasons = [errors.get().reason for _ in range(3)]
    assert reasons == ["not_utf8", "control_chars", "too_long"]
    assert all(isinstance(e, ScannerError) for e in errors.items)
    assert scans.items == ["OK-1234"]


def test_unplug_is_a_status_not_a_crash(collect):
    status = collect()
    sim = SimSerialScanner().start()
    scanner = SerialScanner(sim.port, on_status=status, reconnect_s=0.05).start()
    try:
        status.get_until(lambda s: s.state == "online")
        sim.unplug()
        st = status.get_until(lambda s: s.state == "offline")
        assert st.reason in ("disconnected", "port_unavailable")
        assert scanner.running  # keeps trying to reconnect
    finally:
        scanner.stop()
    assert not scanner.running


def test_missing_port_reports_offline(collect, tmp_path):
    status = collect()
    with SerialScanner(str(tmp_path / "ttyNOPE"), on_status=status, reconnect_s=0.05):
        st = status.get_until(lambda s: s.state == "offline")
    assert st.reason == "port_unavailable"


def test_loop_url_and_custom_terminator(collect):
    scans = collect()
    status = collect()
    sc = SerialScanner("loop://", terminator=b"\n", on_scan=scans, on_status=status)
    with sc:
        status.get_until(lambda s: s.state == "online")
        sc._port.write(b"ABC-1\nABC-2\n")  # loop:// echoes what is written back to the reader
        assert [scans.get(), scans.get()] == ["ABC-1", "ABC-2"]


def test_raw_openpty_device(collect):
    """The reader on a bare os.openpty pair, no simulator class in between."""
    master, slave = os.openpty()
    import tty

    tty.setraw(slave)
    scans, status = collect(), collect()
    try:
        with SerialScanner(os.ttyname(slave), on_scan=scans, on_status=status):
            status.get_until(lambda s: s.state == "online")
            os.write(master, b"RAW-PTY-1\r")
            assert scans.get() == "RAW-PTY-1"
    finally:
        os.close(master)
        os.close(slave)


def test_line_splitter_drops_the_whole_overlong_line():
    from devices.serial_lines import LineSplitter

    sp = LineSplitter(b"\r", max_len=8)
    assert sp.feed(b"ABCDEFGHIJKL") == ([], [b"ABCDEFGHIJKL"])
    assert sp.feed(b"MNO\rOK1\r") == ([b"OK1"], [])  # "MNO" was the tail of the long line
    assert sp.feed(b"0123456789\rX\r") == ([b"X"], [b"0123456789"])


def test_line_splitter_any_eol():
    from devices.serial_lines import LineSplitter

    sp = LineSplitter(b"\n", any_eol=True)
    assert sp.feed(b"A\r\nB\rC\nD") == ([b"A", b"B", b"C"], [])
    assert sp.pending() == b"D"


def test_second_reader_on_the_same_port_is_refused(collect):
    s1, s2 = collect(), collect()
    with SimSerialScanner() as sim, SerialScanner(sim.port, on_status=s1):
        s1.get_until(lambda s: s.state == "online")
        with SerialScanner(sim.port, on_status=s2, reconnect_s=0.05):
            st = s2.get_until(lambda s: s.state == "offline")
    assert st.reason == "port_busy"


def test_line_noise_gives_no_fake_scans(collect):
    """Random bytes with stray CR/LF in them used to come out as scans like 'K', 'n', '35'."""
    import random

    scans, errors, status = collect(), collect(), collect()
    noise = random.Random(7).randbytes(4000)
    assert noise.count(b"\r") + noise.count(b"\n") > 20
    with SimSerialScanner() as sim, SerialScanner(sim.port, on_scan=scans, on_error=errors, on_status=status):
        status.get_until(lambda s: s.state == "online")
        sim.send_raw(noise + b"\r\n")
        sim.send_raw(b"K\rn\r\n35\n")  # what such noise left between stray line ends
        sim.scan("OK-5678")
        assert scans.get() == "OK-5678"
    assert scans.items == ["OK-5678"]
    assert "too_short" in {e.reason for e in errors.items}


def test_cr_lf_and_crlf_scanners_all_work_by_default(collect):
    for term in (b"\r", b"\n", b"\r\n"):
        scans, status = collect(), collect()
        with SimSerialScanner(terminator=term) as sim, SerialScanner(sim.port, on_scan=scans,
                                                                    on_status=status):
            status.get_until(lambda s: s.state == "online")
            sim.scan("CODE-1")
            sim.scan("CODE-2")
            assert [scans.get(), scans.get()] == ["CODE-1", "CODE-2"], term
        assert scans.items == ["CODE-1", "CODE-2"]


def test_the_terminator_setting_reads_one_way():
    """TOML's "\\n" (the character) and '\\n' (backslash-n) and LF mean the same."""
    import tomllib

    from devices import factory
    from devices.config import DeviceConfigError, parse_devices_config

    for toml in ('terminator = "\\n"', "terminator = '\\n'", 'terminator = "LF"'):
        table = tomllib.loads(toml)
        cfg = parse_devices_config({"scanners": [{"kind": "serial", "url": "loop://", **table}]})
        scanner = factory.serial_scanner(cfg.scanners[0], print)
        assert (scanner.splitter.terminator, scanner.splitter.any_eol) == (b"\n", False), toml
    default = parse_devices_config({"scanners": [{"kind": "serial", "url": "loop://"}]})
    assert factory.serial_scanner(default.scanners[0], print).splitter.any_eol
    import pytest

    with pytest.raises(DeviceConfigError) as e:
        parse_devices_config({"scanners": [{"kind": "serial", "url": "loop://", "terminator": "END"}]})
    assert "CRLF" in str(e.value) and "CRLF" in e.value.message("zh-CN")
