"""The demo store on simulated devices: its seeded config parses, and the hub runs on simulators."""
from __future__ import annotations

from devices.config import parse_devices_config
from devices.printers import parse_escpos
from edge import config, demo
from edge.domain import print_jobs, temperatures
from edge.services.hub import DeviceHub


def test_demo_store_runs_on_simulated_devices(tmp_path, wait_for):
    store = demo.seed(tmp_path / "d", n_orders=40)
    cfg = config.load(tmp_path / "d")
    devices = parse_devices_config(cfg.devices)
    assert set(devices.printers) == {"receipt", "label"}
    assert {s.kind for s in devices.scanners} == {"wedge", "serial", "camera"}
    assert [p.probe_id for port in devices.probes for p in port.probes] == ["F1", "F2", "Z1"]
    assert len(list((tmp_path / "d" / "camera").glob("*.png"))) > 0

    scans: list = []  # appended from scanner threads
    hub = DeviceHub(config.Config(data_dir=tmp_path / "d"), demo=True, lang="en", on_scan=scans.append)
    assert hub.config_error is None and hub.wedge() is not None
    hub.start()
    try:
        for sim in hub.simulators.probes:
            sim.emit()
        wait_for(lambda: {s.fridge.probe_id for s in temperatures.fridge_states(store.db)
                          if s.last_c is not None} == {"F1", "F2", "Z1"})
        ready = next(c for c in demo.demo_codes(store) if c["scenario"] == "ready")
        _, job_id = print_jobs.handover_and_print(store, ready["order_no"], "c01",
                                                  settings=hub.print_settings)
        hub.wake_printer()
        wait_for(lambda: print_jobs.get_job(store.db, job_id).status == "printed")
        assert hub.simulators.serial_scan(ready["qr"])
        event = wait_for(lambda: next((e for e in scans if e.source.startswith("serial:")), None))
        assert (event.text, event.target) == (ready["qr"], "counter")
        assert hub.notices("en") == []
    finally:
        hub.stop()
    receipt = parse_escpos((tmp_path / "d" / "printer.bin").read_bytes())
    assert ready["order_no"] in receipt.text and receipt.cuts == 1


def test_a_config_typo_keeps_devices_off_and_says_why(tmp_path):
    cfg = config.Config(data_dir=tmp_path, devices={"printers": {"receipt": {"url": "file:///tmp/p", "papr_mm": 80}}})
    hub = DeviceHub(cfg)
    assert hub.config_error is not None
    [notice] = hub.notices("en")
    assert notice.level == "error" and "paper_mm" in notice.text
    hub.start()
    hub.stop()


def test_devices_check_on_a_demo_store_checks_its_simulators(tmp_path, capsys):
    """Issue 9 #8: `devices check` on a demo store reported its simulated serial devices
    (/dev/ttyUSB0, /dev/ttyUSB1 in the seeded config) as broken."""
    import json

    from edge.cli import main

    demo.seed(tmp_path / "d", n_orders=10).close()
    code = main(["devices", "check", "--data-dir", str(tmp_path / "d"), "--json", "--lang", "en"])
    report = json.loads(capsys.readouterr().out)
    by_kind = {d["kind"]: d for d in report["devices"] if d["kind"] in ("probe-port", "scanner")
               and d["ok"] is not None}
    assert by_kind["probe-port"]["ok"] is True and by_kind["scanner"]["ok"] is True
    assert code == 0 and report["ok"] is True
