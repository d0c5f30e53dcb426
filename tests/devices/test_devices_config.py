"""Device config: typos and wrong types give the key path and a bilingual message."""
from __future__ import annotations

import json

import pytest

from devices.config import (
    CameraScannerConfig, DeviceConfigError, SerialScannerConfig, WedgeScannerConfig, load_devices_config,
    parse_devices_config,
)

GOOD = {
    "scanners": [{"kind": "wedge", "max_gap_ms": 30}, {"kind": "serial", "url": "/dev/ttyACM0", "baud": 115200},
                 {"kind": "camera", "source": 0, "decoder": "zxing"}],
    "printers": {"receipt": {"url": "usb://0416:5011", "paper_mm": 58},
                 "label": {"url": "tcp://192.168.1.60", "protocol": "tspl", "chinese_font": False}},
    "probes": [{"url": "/dev/ttyUSB0", "probes": [
        {"probe_id": "F1", "fridge": "奶柜", "zone": "chilled"},
        {"probe_id": "Z1", "fridge": "冷冻柜", "zone": "frozen", "max_c": -20, "grace_s": 600}]},
        {"url": "/dev/ttyUSB1", "protocol": "modbus", "probes": [
            {"probe_id": "F2", "fridge": "熟食柜", "zone": "chilled", "slave": 3}]}],
}


def test_good_config_with_defaults():
    cfg = parse_devices_config(GOOD)
    assert [type(s) for s in cfg.scanners] == [WedgeScannerConfig, SerialScannerConfig, CameraScannerConfig]
    assert cfg.scanners[0].max_gap_ms == 30.0 and cfg.scanners[0].terminators == ["enter", "tab"]
    assert cfg.printers["receipt"].paper_mm == 58 and cfg.printers["receipt"].chinese_font
    assert cfg.printers["label"].protocol == "tspl"
    limits = {p.probe_id: (p.max_c, p.grace_s) for port in cfg.probes for p in port.probes}
    assert limits == {"F1": (4.0, 300.0), "Z1": (-20.0, 600.0), "F2": (4.0, 300.0)}
    assert parse_devices_config({}).scanners == []


def bad(path_and_value, where=None):
    d = json.loads(json.dumps(GOOD))
    target = d
    keys = path_and_value[:-1]
    for k in keys[:-1]:
        target = target[k]
    if path_and_value[-1] is KeyError:
        del target[keys[-1]]
    else:
        target[keys[-1]] = path_and_value[-1]
    with pytest.raises(DeviceConfigError) as e:
        parse_devices_config(d)
    return e.value


@pytest.mark.parametrize("change, key_path, en, zh", [
    (("printers", "receipt", "papr_mm", 58), "printers.receipt.papr_mm", "did you mean 'paper_mm'", "是不是 “paper_mm”"),
    (("printers", "reciept", {"url": "file:///tmp/x"}), "printers.reciept", "did you mean 'receipt'", "receipt"),
    (("scannerz", []), "scannerz", "did you mean 'scanners'", "scanners"),
    (("probes", 0, "probes", 0, "zone", "chiled"), "probes[0].probes[0].zone", "choose one of: chilled, frozen", "可选"),
    (("probes", 0, "probes", 0, "max_c", "4"), "probes[0].probes[0].max_c", "expected a number", "应为数字"),
    (("probes", 0, "probes", 0, "fridge", KeyError), "probes[0].probes[0].fridge", "'fridge' is missing", "缺少必填项"),
    (("probes", 0, "baud", 9601), "probes[0].baud", "not a standard baud rate", "不是标准波特率"),
    (("probes", 0, "url", "ttyUSB0"), "probes[0].url", "device path", "设备路径"),
    (("probes", 1, "probes", 0, "slave", KeyError), "probes[1].probes[0].slave", "'slave' is missing", "slave"),
    (("probes", 1, "probes", 0, "slave", 0), "probes[1].probes[0].slave", "1-247", "1-247"),
    (("probes", 1, "protocol", "modbus-tcp"), "probes[1].protocol", "ascii, modbus", "可选"),
    (("printers", "receipt", "url", "usb:/0416:5011"), "printers.receipt.url", "expected usb://VID:PID", "usb://VID:PID"),
    (("printers", "receipt", "url", "lpt://1"), "printers.receipt.url", "unknown scheme", "tcp://"),
    (("printers", "receipt", "paper_mm", 76), "printers.receipt.paper_mm", "58, 80", "58, 80"),
    (("printers", "receipt", "chinese_font", "yes"), "printers.receipt.chinese_font", "true or false", "true 或 false"),
    (("printers", "receipt", "protocol", "tspl"), "printers.receipt.protocol", "escpos", "escpos"),
    (("scanners", 0, "kind", "wegde"), "scanners[0].kind", "wedge, serial, camera", "可选"),
    (("scanners", 0, "max_gap_ms", -5), "scanners[0].max_gap_ms", "greater than 0", "大于 0"),
    (("scanners", 0, "terminators", ["enter", "esc"]), "scanners[0].terminators[1]", "enter, tab", "可选"),
    (("scanners", 2, "decoder", "zbar"), "scanners[2].decoder", "auto, pyzbar, zxing", "可选"),
    (("probes", 0, "probes", 1, "probe_id", "F1"), "probes[0].probes[1].probe_id", "duplicate", "重复"),
    (("probes", "all of them"), "probes", "expected a list", "列表"),
])
def test_typos_and_wrong_types(change, key_path, en, zh):
    e = bad(change)
    assert e.key_path == key_path
    assert en in e.message_en, e.message_en
    assert zh in e.message_zh, e.message_zh
    assert str(e).startswith(key_path)
    assert e.message("en").startswith(key_path) and e.message("zh-CN") != e.message("en")


def test_unknown_key_far_from_any_lists_the_known_ones():
    e = bad(("printers", "receipt", "colour", "red"))
    assert "known: url, paper_mm" in e.message_en


def test_load_toml_and_json_files(tmp_path):
    toml = tmp_path / "store.toml"
    toml.write_text('[store]\nid = "S001"\n\n[devices.printers.receipt]\nurl = "file:///tmp/r.bin"\n'
                    'paper_mm = 58\n\n[[devices.probes]]\nurl = "/dev/ttyUSB0"\n'
                    'probes = [{probe_id = "F1", fridge = "奶柜", zone = "chilled"}]\n', encoding="utf-8")
    cfg = load_devices_config(toml)
    assert cfg.printers["receipt"].paper_mm == 58 and cfg.probes[0].probes[0].fridge == "奶柜"
    js = tmp_path / "d.json"
    js.write_text(json.dumps(GOOD, ensure_ascii=False), encoding="utf-8")
    assert len(load_devices_config(js).scanners) == 3
    broken = tmp_path / "broken.toml"
    broken.write_text("[devices\nx=1", encoding="utf-8")
    with pytest.raises(DeviceConfigError, match="does not parse"):
        load_devices_config(broken)
    with pytest.raises(DeviceConfigError, match="cannot read"):
        load_devices_config(tmp_path / "nope.toml")


def test_the_store_config_init_writes_configures_no_device(tmp_path, capsys):
    """`store-edge init` writes store-edge.toml without [devices]; `devices check` read its
    top-level keys as devices ('language: unknown setting', exit 2) on every new store."""
    from edge.cli import main
    from edge.config import write_new
    from edge.store import init_store

    init_store(tmp_path, "S001", "静安寺店", "Jing'an Temple").close()
    config = tmp_path / "store-edge.toml"
    write_new(config, language="en", store_name="S001", hq_url="http://127.0.0.1:9", hq_token="t")
    cfg = load_devices_config(config)
    assert cfg.scanners == [] and cfg.printers == {} and cfg.probes == []
    assert main(["devices", "check", "--data-dir", str(tmp_path), "--lang", "en"]) != 2
    assert "unknown setting" not in capsys.readouterr().err
    # a typo in a file of devices only is still named
    only = tmp_path / "devices.toml"
    only.write_text('[[scaners]]\nkind = "wedge"\n', encoding="utf-8")
    with pytest.raises(DeviceConfigError, match="scaners"):
        load_devices_config(only)
