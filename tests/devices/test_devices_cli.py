"""``store-edge devices check`` against simulated devices, and the argparse wiring."""
from __future__ import annotations

import argparse
import json
import subprocess
import sys

from devices import cli
from devices.sim import SimModbusSlave, SimProbe, SimSerialScanner, write_code_folder


def run_cli(*argv: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "devices.cli", *argv], capture_output=True, text=True,
                          timeout=60)


def test_check_with_simulated_devices(tmp_path):
    write_code_folder(tmp_path / "cam", ["PK:1"], frames_per_code=1, gap_frames=0)
    with SimProbe({"F1": 3.0, "Z1": -19.0}, interval_s=0.05) as probe, \
            SimModbusSlave({5: 2.5}) as modbus, SimSerialScanner() as scanner:
        cfg = {"devices": {
            "scanners": [{"kind": "wedge"}, {"kind": "serial", "url": scanner.port},
                         {"kind": "camera", "source": str(tmp_path / "cam")}],
            "printers": {"receipt": {"url": f"file://{tmp_path}/r.bin"},
                         "label": {"url": f"file://{tmp_path}/l.bin"}},
            "probes": [{"url": probe.port, "probes": [{"probe_id": "F1", "fridge": "奶柜", "zone": "chilled"},
                                                      {"probe_id": "Z1", "fridge": "冰柜", "zone": "frozen"}]},
                       {"url": modbus.port, "protocol": "modbus",
                        "probes": [{"probe_id": "M5", "fridge": "熟食", "zone": "chilled", "slave": 5}]}]}}
        path = tmp_path / "store.json"
        path.write_text(json.dumps(cfg), encoding="utf-8")
        (tmp_path / "l.bin.paper_out").touch()
        out = run_cli("devices", "check", "--json", "--config", str(path), "--timeout", "20")
    doc = json.loads(out.stdout)
    by_name = {d["name"]: d for d in doc["devices"]}
    assert by_name["scanners[0]"]["ok"] is None
    assert by_name["scanners[1]"]["ok"] is True
    assert by_name["scanners[2]"]["ok"] is True and "640x480" in by_name["scanners[2]"]["detail"]
    assert by_name["printers.receipt"]["ok"] is True
    label = by_name["printers.label"]
    assert label["ok"] is False and any("缺纸" in h for h in label["hints"])
    assert by_name["probes[0]"]["ok"] is True and "F1=" in by_name["probes[0]"]["detail"]
    assert by_name["probes[1]"]["ok"] is True and "M5=2.5" in by_name["probes[1]"]["detail"]
    assert out.returncode == 1 and doc["ok"] is False  # the paper-out label printer


def test_check_reports_missing_port_with_hint(tmp_path):
    path = tmp_path / "store.toml"
    path.write_text('[[devices.probes]]\nurl = "/dev/ttyUSB97"\n'
                    'probes = [{probe_id = "F1", fridge = "x", zone = "chilled"}]\n', encoding="utf-8")
    out = run_cli("--lang", "en", "devices", "check", "--config", str(path))
    assert out.returncode == 1
    assert "/dev/ttyUSB97 does not exist" in out.stdout
    assert "1 device(s) need attention" in out.stdout


def test_check_bad_config_is_a_clear_message_and_exit_2(tmp_path):
    path = tmp_path / "store.toml"
    path.write_text('[devices.printers.receipt]\nurl = "file:///tmp/x"\npaper_width = 58\n', encoding="utf-8")
    out = run_cli("devices", "check", "--config", str(path))
    assert out.returncode == 2
    assert "printers.receipt.paper_width" in out.stderr and "paper_mm" in out.stderr
    out = run_cli("--lang", "en", "devices", "check", "--config", str(path))
    assert "did you mean 'paper_mm'" in out.stderr


def test_check_without_config_lists_what_exists():
    out = run_cli("--lang", "en", "devices", "check")
    assert "no devices configured" in out.stdout
    assert "decoder" in out.stdout


def test_add_subparsers_into_an_existing_cli_honours_parent_lang(capsys):
    parser = argparse.ArgumentParser(prog="store-edge")
    parser.add_argument("--lang")
    sub = parser.add_subparsers(dest="command")
    sub.add_parser("pickup")
    cli.add_subparsers(sub)
    args = parser.parse_args(["--lang", "en", "devices", "check"])
    assert args.lang == "en" and args.devices_command == "check"
    assert args.handler is cli.run
    assert cli.run(args) in (0, 1)
    assert "Device check" in capsys.readouterr().out
    args = parser.parse_args(["devices", "--lang", "en", "decode", "a.png", "--decoder", "zxing"])
    assert args.lang == "en" and args.images == ["a.png"] and args.decoder == "zxing"


def test_permission_hints_name_the_group(monkeypatch, tmp_path):
    """Run as root here, so access is denied by patching os.access; the hint must name the fix."""
    from devices import check

    with SimSerialScanner() as sim:
        monkeypatch.setattr(check.os, "access", lambda *_a: False)
        import grp
        import os

        group = grp.getgrgid(os.stat(sim.port).st_gid).gr_name  # dialout for a real /dev/ttyUSB0
        (hint,) = check.device_node_problem(sim.port, "en")
        assert f"sudo usermod -aG {group} $USER" in hint
        (hint,) = check.device_node_problem(sim.port, "en", "hint.video")
        assert "video group" in hint
    (hint,) = check.device_node_problem("/dev/usb/lp7", "zh-CN", "hint.lp")
    assert "不存在" in hint and "ls /dev/usb/lp*" in hint
