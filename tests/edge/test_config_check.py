"""``store-edge config check``: every mistake of a hand-edited store-edge.toml named with its
line, in zh-CN and en, exit 2; a good config exit 0; the check runs although the config it
checks does not load (every other command refuses to start on it)."""

from __future__ import annotations

import os

from edge import config
from edge.cli import main
from edge.config_check import check_text, key_lines, line_of
from edge.store import init_store

BAD = '''langauge = "en"
timezone = "Asia/Shanghia"

[hq]
url = "hq.example.com"
token = "st_x"
interval_s = "5"

[staff]
idle_lock_min = -3

[[devices.scanners]]
kind = "serial"
url = "/dev/ttyUSB1"
baud = 9601

[[devices.scanners]]
kind = "wedge"
max_gap = 20

[devices.printers.receipt]
url = "usb://0416:5011"
papr_mm = 80

[[devices.probes]]
url = "/dev/ttyUSB0"
probes = [{ probe_id = "F1", fridge = "奶柜", zone = "chiled" }]

[stok]
near_expiry_days = 3
'''
EXPECTED = [  # line, words of the English message
    (1, "unknown key 'langauge'. Did you mean 'language'?"),
    (2, "timezone 'Asia/Shanghia'"),
    (5, "'hq.url' must be an http:// or https:// address"),
    (7, "'hq.interval_s' has the wrong type (str)"),
    (10, "'staff.idle_lock_min' must be minutes from 0"),
    (15, "devices.scanners[0].baud: 9601 is not valid"),
    (19, "devices.scanners[1].max_gap: unknown setting 'max_gap' - did you mean 'max_gap_ms'?"),
    (23, "devices.printers.receipt.papr_mm: unknown setting 'papr_mm'"),
    (27, "devices.probes[0].probes[0].zone: 'chiled' is not valid"),
    (29, "unknown key 'stok'. Did you mean 'stock'?"),
]


def test_every_mistake_is_named_with_its_line_in_both_languages(tmp_path, capsys):
    path = tmp_path / "store-edge.toml"
    path.write_text(BAD, encoding="utf-8")
    os.chmod(path, 0o600)
    assert main(["config", "check", "--config", str(path), "--lang", "en"]) == 2
    out, err = capsys.readouterr()
    lines = out.strip().splitlines()
    assert len(lines) == len(EXPECTED), out
    for shown, (line, words) in zip(lines, EXPECTED):
        assert shown.startswith(f"{path}:{line}: ") and words in shown, shown
    assert f"{len(EXPECTED)} mistake(s) found" in err
    assert main(["config", "check", "--config", str(path), "--lang", "zh-CN"]) == 2
    out, err = capsys.readouterr()
    zh = out.strip().splitlines()
    assert [s.split("：", 1)[0] for s in zh] == [f"{path} 第 {line} 行" for line, _ in EXPECTED]
    assert "是不是想写「language」" in zh[0] and "不是标准波特率" in zh[5] and "发现 10 处问题" in err
    # every other command refuses the same file, naming its first mistake
    assert main(["pickup", "check", "12345678901", "--config", str(path), "--lang", "en"]) == 2
    assert "langauge" in capsys.readouterr().err


def test_a_toml_syntax_error_is_named_with_its_line(tmp_path, capsys):
    path = tmp_path / "c.toml"
    path.write_text('language = "en"\n\n[hq\nurl = "https://hq"\n', encoding="utf-8")
    assert main(["config", "check", "--config", str(path), "--lang", "en"]) == 2
    assert f"{path}:3: not valid TOML" in capsys.readouterr().out


def test_a_good_config_of_an_initialised_store_passes(tmp_path, capsys):
    data_dir = tmp_path / "store"
    init_store(data_dir, "S001", "静安寺店", "Jing'an Temple").close()
    config.write_new(data_dir / config.CONFIG_FILENAME, language="en", store_name="静安寺店",
                     hq_url="https://hq.example.com", hq_token="st_abc")
    assert main(["config", "check", "--data-dir", str(data_dir)]) == 0
    assert "no mistakes found" in capsys.readouterr().out
    (data_dir / "pickup.key").unlink()  # what the config points at is checked too
    assert main(["config", "check", "--data-dir", str(data_dir), "--lang", "zh-CN"]) == 2
    assert "缺少" in capsys.readouterr().out
    assert main(["config", "check", "--config", str(tmp_path / "none.toml"), "--lang", "en"]) == 2
    assert "config file not found" in capsys.readouterr().err


def test_key_lines_follow_arrays_of_tables_and_skip_multiline_strings():
    text = ('# top\nstore_name = """a\n[hq]\nb"""\n[[devices.probes]]\nurl = "/dev/x"\n'
            '[[devices.probes]]\nurl = "/dev/y"\nprobes = [{probe_id = "F1"}]\n'
            '[devices.printers."receipt"]\npaper_mm = 80\n')
    lines = key_lines(text)
    assert ("hq",) not in lines  # inside the multi-line string
    assert lines[("devices", "probes", 0, "url")] == 6
    assert lines[("devices", "probes", 1, "url")] == 8
    assert line_of(lines, ("devices", "probes", 1, "probes", 0, "zone")) == 9
    assert lines[("devices", "printers", "receipt", "paper_mm")] == 11
    assert check_text(text)[0].line == 9  # F1 lacks fridge and zone: the line of its array
