"""Scan routing: a serial scanner on a real pty delivers to a callback; scans go where they belong."""
from __future__ import annotations

import queue

from devices.config import parse_devices_config
from devices.sim.serial_scanner import SimSerialScanner
from devices.factory import wedge_detector
from edge.services.scanning import ScannerService, route
from sync.pickup_code import make_pickup_code, qr_payload


def test_route_by_what_was_scanned():
    code = make_pickup_code()
    assert route(code) == "counter"
    assert route(qr_payload("S001", code)) == "counter"
    assert route("SEB1:S001:L260601000001:chilled") == "bag"
    assert route("6901234567892") == "product"
    assert route("!!garbage!!") == "counter"  # the counter explains what is wrong with it


def test_serial_scanner_scans_reach_the_callback(wait_for):
    got: queue.Queue = queue.Queue()
    problems: queue.Queue = queue.Queue()
    with SimSerialScanner() as sim:
        cfg = parse_devices_config({"scanners": [{"kind": "serial", "url": sim.port}]})
        service = ScannerService(cfg.scanners, got.put, on_problem=problems.put, lang="en").start()
        try:
            wait_for(lambda: any(s.state == "online" for s in service.states.values()))
            code = make_pickup_code()
            sim.scan(qr_payload("S001", code))
            sim.send_raw(b"\xff\xfe\r")  # a wrong-baud mess
            sim.scan("6901234567892")
            first, second = got.get(timeout=10), got.get(timeout=10)
            assert (first.text, first.target) == (f"SE1:S001:{code}", "counter")
            assert first.source == f"serial:{sim.port}"
            assert (second.text, second.target) == ("6901234567892", "product")
            assert "scan again" in problems.get(timeout=10)
        finally:
            service.stop()


def test_wedge_detector_from_config():
    cfg = parse_devices_config({"scanners": [{"kind": "wedge", "max_gap_ms": 20, "prefix": "#"}]})
    det = wedge_detector(cfg.scanners)
    assert det is not None and det.prefix == "#"
    assert wedge_detector([]) is None


def test_demo_camera_reads_only_when_asked(tmp_path):
    """The demo camera does not play its folder at start-up (issue 9 #2): a newcomer's
    first screen stays theirs until they press `c` in F3, which calls play_cameras."""
    from devices.sim import write_code_folder

    code = make_pickup_code()
    write_code_folder(tmp_path / "cam", [qr_payload("S001", code)], frames_per_code=2, gap_frames=1)
    cfg = parse_devices_config({"scanners": [{"kind": "camera", "source": str(tmp_path / "cam"),
                                              "fps": 20}]})
    got: queue.Queue = queue.Queue()
    service = ScannerService(cfg.scanners, got.put, loop_sources=False,
                             cameras_on_demand=True).start()
    try:
        assert service.workers == [] and got.empty()
        assert service.play_cameras() == 1
        assert got.get(timeout=10).text == f"SE1:S001:{code}"
        assert service.play_cameras() in (0, 1)  # running: nothing new; done: plays again
    finally:
        service.stop()


def test_line_noise_warnings_are_rate_limited(wait_for):
    """A noisy cable: hundreds of bad lines, one warning per interval, the rest counted."""
    from edge.services.scanning import WarningLimiter

    now = [100.0]
    got: queue.Queue = queue.Queue()
    problems: list[str] = []
    with SimSerialScanner() as sim:
        cfg = parse_devices_config({"scanners": [{"kind": "serial", "url": sim.port}]})
        service = ScannerService(cfg.scanners, got.put, on_problem=problems.append, lang="en",
                                 limiter=WarningLimiter(30.0, clock=lambda: now[0])).start()
        try:
            wait_for(lambda: any(s.state == "online" for s in service.states.values()))
            for _ in range(200):
                sim.send_raw(b"\xff\xfe\r")
            sim.scan("6901234567892")
            assert got.get(timeout=10).text == "6901234567892"  # after every bad line
            assert len(problems) == 1 and service.workers[0].errors == 200
            now[0] += 31
            sim.send_raw(b"K\r")
            sim.scan("6901234567892")
            got.get(timeout=10)
        finally:
            service.stop()
    assert len(problems) == 2
    assert "199 more ignored" in problems[1] and "too short" in problems[1]
