"""Printing: real ESC/POS bytes from python-escpos, decoded back and asserted; transports and the
print worker against a file printer and a loopback network printer."""
from __future__ import annotations

import os
from datetime import datetime

import pytest

from devices.printers import (
    BagLabel, PrinterError, PrintJob, PrintWorker, Receipt, ReceiptLine, open_printer, parse_escpos,
    render_bag_label, render_bag_label_tspl, render_receipt,
)
from devices.printers.connections import parse_dle_eot
from devices.sim.network_printer import status_byte
from devices.printers.escpos_decode import EscposParseError
from devices.printers.layout import text_width
from devices.sim import SimNetworkPrinter

YEN = "\uffe5"


def receipt(**kw) -> Receipt:
    base = dict(
        store_name="鲜果坊 人民路店", store_address="上海市黄浦区人民路 88 号", order_no="SO-20261122-0042",
        lines=[ReceiptLine("有机纯牛奶 1L", 2, 1250, 2500),
               ("Sashimi 三文鱼刺身 特大份装 (冰鲜)", 1, 6800, 6800),
               ("散装坚果", 0.5, 4000, 2000)],
        total_cents=11300, clerk="李四", time=datetime(2026, 11, 22, 10, 5), customer_masked="王**",
        qr_payload="https://e.example/r/SO-20261122-0042", title="购物小票")
    base.update(kw)
    return Receipt(**base)


def label(**kw) -> BagLabel:
    base = dict(order_no="0042", bag_no=2, bag_count=3, zone="frozen", zone_label="冷冻 FROZEN",
                slot="F-03", pickup_window="11-22 14:00–20:00", customer_masked="王**",
                phone_last4="1234", qr_payload="PK:0042:2")
    base.update(kw)
    return BagLabel(**base)


@pytest.mark.parametrize("paper_mm, cols", [(58, 32), (80, 48)])
def test_receipt_text_qr_and_cut_read_back(paper_mm, cols):
    p = parse_escpos(render_receipt(receipt(), paper_mm))
    text = p.text
    assert p.chinese_mode
    for expected in ("鲜果坊 人民路店", "人民路 88 号", "单号: SO-20261122-0042", "收银员: 李四",
                     "时间: 2026-11-22 10:05", "顾客: 王**", "有机纯牛奶 1L", f"{YEN}25.00", f"{YEN}113.00"):
        assert expected in text, expected
    assert "¥" not in text  # U+00A5 prints as junk on GBK fonts
    assert p.qr == ["https://e.example/r/SO-20261122-0042"]
    assert p.cuts == 1
    assert p.images == []
    total = next(l for l in p.lines if "合计" in l.text)
    assert total.bold and total.h == 2 and total.text.endswith(f"{YEN}113.00")
    name = next(l for l in p.lines if "鲜果坊" in l.text)
    assert (name.w, name.h, name.align, name.bold) == (2, 2, "center", True)
    for line in p.lines:  # nothing runs off the paper, CJK counted two columns wide
        assert text_width(line.text) * line.w <= cols, line
    # the long item name wraps onto its own lines instead of being cut
    assert "三文鱼" in text and "冰鲜" in text


def test_receipt_80mm_has_unit_price_column_and_half_quantity():
    p = parse_escpos(render_receipt(receipt(), 80))
    milk = next(l.text for l in p.lines if l.text.startswith("有机纯牛奶"))
    assert f"{YEN}12.50" in milk and f"{YEN}25.00" in milk
    nuts = next(l.text for l in p.lines if l.text.startswith("散装坚果"))
    assert " 0.5 " in nuts


def test_reprint_is_marked_as_copy():
    first = parse_escpos(render_receipt(receipt(), 58))
    again = parse_escpos(render_receipt(receipt(copy=True), 58))
    assert not any("COPY" in l for l in first.text_lines)
    mark = again.lines[0]
    assert "副本" in mark.text and "COPY" in mark.text and mark.invert


@pytest.mark.parametrize("paper_mm", [58, 80])
def test_image_fallback_prints_raster_and_native_qr(paper_mm):
    data = render_receipt(receipt(), paper_mm, chinese_font=False)
    p = parse_escpos(data)
    dots = {58: 384, 80: 576}[paper_mm]
    assert not p.chinese_mode
    assert p.images and all(w == dots for w, _h in p.images)
    assert p.qr == ["https://e.example/r/SO-20261122-0042"]
    assert p.cuts == 1
    assert "鲜果坊".encode("gb18030") not in data  # the text went as pixels


def test_image_fallback_draws_the_text():
    """The raster is not blank: the store name line has ink where the characters are."""
    import numpy as np

    from devices.printers.escpos_render import Text, text_image
    from devices.printers.fonts import find_cjk_font

    img = np.array(text_image([Text("鲜果坊", align="left", w=2, h=2)], 384, find_cjk_font()).convert("L"))
    ink_cols = np.where((img < 128).any(axis=0))[0]
    assert len(ink_cols) > 50 and ink_cols.max() < 3 * 48 + 4  # three 2x-wide CJK cells


@pytest.mark.parametrize("paper_mm", [58, 80])
def test_bag_label_big_order_number_zone_slot_qr(paper_mm):
    p = parse_escpos(render_bag_label(label(), paper_mm))
    big = 2 if paper_mm == 58 else 3
    order = p.lines[0]
    assert (order.text, order.w, order.h, order.bold) == ("0042", big, big, True)
    zone = next(l for l in p.lines if "冷冻" in l.text)
    assert zone.text == "冷冻 FROZEN" and zone.w == big and zone.invert
    assert any(l.text == "袋 2/3" and l.w == 2 for l in p.lines)
    assert any("F-03" in l.text for l in p.lines)
    assert any("14:00–20:00" in l.text for l in p.lines)
    cust = next(l.text for l in p.lines if "王**" in l.text)
    assert cust.endswith("****1234")
    assert p.qr == ["PK:0042:2"] and p.cuts == 1


def test_tspl_label():
    out = render_bag_label_tspl(label(copy=True)).decode("gb18030")
    lines = out.split("\r\n")
    assert lines[0] == "SIZE 60 mm,40 mm" and "CLS" in lines and lines[-2] == "PRINT 1,1"
    assert any(l.startswith("TEXT") and '"冷冻 FROZEN"' in l for l in lines)
    assert any(l.startswith("REVERSE") for l in lines)
    assert any(l.startswith("QRCODE") and l.endswith('"PK:0042:2"') for l in lines)
    assert any("副本" in l for l in lines)


def test_decoder_rejects_what_it_does_not_understand():
    with pytest.raises(EscposParseError, match="unknown command ESC"):
        parse_escpos(b"\x1b@\x1bZ")
    with pytest.raises(EscposParseError, match="truncated"):
        parse_escpos(b"\x1d(k\x10\x001P0abc")
    with pytest.raises(EscposParseError, match="control byte"):
        parse_escpos(b"abc\x07")


# ---------------------------------------------------------------- connections

def test_file_printer_appends_and_paper_out_flag_blocks(tmp_path):
    path = tmp_path / "receipt.bin"
    pr = open_printer(f"file://{path}")
    assert pr.status().ready
    pr.send(render_receipt(receipt(), 58))
    pr.send(render_bag_label(label(), 80))
    p = parse_escpos(path.read_bytes())
    assert p.cuts == 2 and len(p.qr) == 2
    size = path.stat().st_size
    (tmp_path / "receipt.bin.paper_out").touch()
    st = pr.status()
    assert st.online and st.paper_out and st.reason == "paper_out" and not st.ready
    with pytest.raises(PrinterError) as e:
        pr.send(b"\x1b@hello\n")
    assert e.value.reason == "paper_out"
    assert path.stat().st_size == size  # nothing half-printed


def test_file_printer_not_writable(tmp_path):
    pr = open_printer(f"file://{tmp_path}/missing-dir/p.bin")
    st = pr.status()
    assert not st.online and st.reason == "not_writable"


@pytest.mark.parametrize("url", ["ftp://x", "tcp://", "usb://zz:1", "usb://0416", "file://", "serial://",
                                 "serial:///dev/ttyS0?baud=fast", "tcp://host:99999"])
def test_bad_printer_urls(url):
    with pytest.raises(PrinterError) as e:
        open_printer(url)
    assert e.value.reason == "bad_url"


def test_usb_printer_not_plugged_in_is_a_status():
    pr = open_printer("usb://0416:5011")
    st = pr.status()
    assert not st.online and st.reason == "not_found"


def test_network_printer_status_and_printing():
    with SimNetworkPrinter() as sim:
        pr = open_printer(sim.url)
        assert pr.status().ready
        pr.send(render_receipt(receipt(), 80))
        sim.paper_out = True
        st = pr.status()
        assert st.online and st.paper_out and not st.ready
        with pytest.raises(PrinterError) as e:
            pr.send(b"\x1b@x\n")
        assert e.value.reason == "paper_out"
        sim.paper_out, sim.cover_open = False, True
        assert pr.status().reason == "cover_open"
    p = parse_escpos(sim.data())
    assert p.cuts == 1 and p.qr == ["https://e.example/r/SO-20261122-0042"]
    dead = open_printer(sim.url)  # server gone
    assert dead.status().reason == "offline"


def test_dle_eot_status_bytes():
    assert parse_dle_eot(0x12, 0x12, 0x12).ready
    assert parse_dle_eot(None, None, None).reason == "offline"
    assert parse_dle_eot(0xFF, 0x12, 0x12).reason == "offline"  # invalid fixed bits
    for kw, reason in ((dict(paper_out=True), "paper_out"), (dict(cover_open=True), "cover_open")):
        st = parse_dle_eot(*(status_byte(n=n, **kw) for n in (1, 2, 4)))
        assert st.online and st.reason == reason


def test_serial_printer_path_with_status():
    """The serial transport (pyserial) talking to the simulated printer through socket://."""
    with SimNetworkPrinter() as sim:
        pr = open_printer(f"serial://socket://{sim.host}:{sim.port}?baud=19200")
        assert pr.status().ready
        pr.send(render_bag_label(label(), 58))
        sim.paper_out = True
        with pytest.raises(PrinterError) as e:
            pr.send(b"\x1b@x\n")
        assert e.value.reason == "paper_out"
    assert parse_escpos(sim.data()).qr == ["PK:0042:2"]
    echo = open_printer("serial://loop://")  # echoes the query back: not a printer answering
    assert echo.status().reason == "offline"


# ---------------------------------------------------------------- the worker

class ListQueue:
    """Stands in for edge's SQLite queue: the worker only sees these callables."""

    def __init__(self, jobs):
        self.waiting = list(jobs)
        self.done, self.failed, self.started = [], [], []

    def fetch_next(self):
        return self.waiting[0] if self.waiting else None

    def mark_done(self, job_id):
        self.done.append(job_id)
        self.waiting = [j for j in self.waiting if (j.id if isinstance(j, PrintJob) else j[0]) != job_id]

    def mark_failed(self, job_id, reason, message):
        self.failed.append((job_id, reason))
        self.waiting = [j for j in self.waiting if (j.id if isinstance(j, PrintJob) else j[0]) != job_id]


def test_worker_waits_on_paper_out_and_never_marks_printed(tmp_path, collect):
    path = tmp_path / "p.bin"
    flag = tmp_path / "p.bin.paper_out"
    flag.touch()
    q = ListQueue([PrintJob(1, render_receipt(receipt(), 58)), (2, render_bag_label(label(), 80))])
    status = collect()
    w = PrintWorker(q.fetch_next, q.mark_done, q.mark_failed, open_printer(f"file://{path}"),
                    poll_s=30, on_status=status, mark_started=q.started.append)
    assert w.step() is False
    assert q.done == [] and len(q.waiting) == 2 and not path.exists()
    assert status.get().reason == "paper_out"
    done = collect()
    w.mark_done = lambda job_id: (q.mark_done(job_id), done(job_id))
    with w:
        flag.unlink()
        w.wake()  # no waiting for the 30 s poll: the app wakes it after fixing the printer
        assert status.get_until(lambda s: s.ready).ready
        assert [done.get(), done.get()] == [1, 2]  # both, one after the other, then it idles
    assert q.done == [1, 2] and q.started == [1, 2] and q.failed == []
    assert parse_escpos(path.read_bytes()).cuts == 2


def test_worker_fails_only_jobs_that_can_never_print(tmp_path):
    q = ListQueue([PrintJob("empty", b""), PrintJob("ok", b"\x1b@hi\n")])
    w = PrintWorker(q.fetch_next, q.mark_done, q.mark_failed, open_printer(f"file://{tmp_path}/p.bin"))
    assert w.step() and w.step()
    assert q.failed == [("empty", "bad_job")] and q.done == ["ok"]


def test_worker_survives_a_broken_queue(tmp_path, collect):
    def boom():
        raise RuntimeError("database is locked")

    status = collect()
    w = PrintWorker(boom, lambda _id: None, lambda *_: None, open_printer(f"file://{tmp_path}/p.bin"),
                    on_status=status)
    assert w.step() is False
    assert "database is locked" in status.get().error_message
    assert os.listdir(tmp_path) == []


def test_tspl_status_and_status_none():
    from devices.printers.connections import parse_tspl_status

    assert parse_tspl_status(0x00).ready and parse_tspl_status(0x20).ready  # idle / printing
    assert parse_tspl_status(0x04).reason == "paper_out"
    assert parse_tspl_status(0x01).reason == "cover_open"
    assert parse_tspl_status(None).reason == "offline"
    with SimNetworkPrinter() as sim:
        pr = open_printer(sim.url, "tspl")
        assert pr.status().ready
        pr.send(render_bag_label_tspl(label()))
        sim.paper_out = True
        assert pr.status().reason == "paper_out"
        blind = open_printer(sim.url + "?status=none")  # a printer that answers no query
        assert blind.status().ready
    assert b"PRINT 1,1" in sim.data() and b"\x1b!?" not in sim.data()
    with pytest.raises(PrinterError):
        open_printer("tcp://h?status=maybe")


def test_factory_builds_drivers_from_config(tmp_path):
    from devices import factory
    from devices.config import parse_devices_config

    cfg = parse_devices_config({
        "scanners": [{"kind": "wedge", "prefix": "]Q"}, {"kind": "serial", "url": "loop://", "terminator": "\\n"}],
        "printers": {"receipt": {"url": f"file://{tmp_path}/r.bin", "paper_mm": 58},
                     "label": {"url": f"file://{tmp_path}/l.bin", "protocol": "tspl"}},
        "probes": [{"url": "/dev/ttyUSB0", "protocol": "modbus",
                    "probes": [{"probe_id": "F1", "fridge": "奶柜", "zone": "chilled", "slave": 2}]}]})
    assert factory.wedge_detector(cfg.scanners).prefix == "]Q"
    assert factory.serial_scanner(cfg.scanners[1], print).splitter.terminator == b"\n"
    reader = factory.probe_reader(cfg.probes[0], print)
    assert reader.modbus_probes[0].slave == 2 and reader.protocol == "modbus"
    rec = factory.render_receipt_for(cfg.printers["receipt"], receipt())
    assert parse_escpos(rec).qr == ["https://e.example/r/SO-20261122-0042"]
    assert factory.render_label_for(cfg.printers["label"], label()).startswith(b"SIZE 60 mm")
    factory.printer(cfg.printers["receipt"]).send(rec)
    assert parse_escpos((tmp_path / "r.bin").read_bytes()).cuts == 1
    from devices.config import CameraScannerConfig
    from devices.sim import write_code_folder

    write_code_folder(tmp_path / "cam", ["PK:5"], frames_per_code=1, gap_frames=0)
    cam = factory.camera_reader(CameraScannerConfig(source=str(tmp_path / "cam"), decoder="zxing"), print)
    assert [d.text for d in cam.process(cam.source.read())] == ["PK:5"]


def test_serial_printer_keeps_its_status_setting_and_protocol():
    """loop:// echoes every query back: a reply no printer gives."""
    blind = open_printer("serial://loop://?baud=19200&status=none")
    assert (blind.baud, blind.query) == (19200, "none") and blind.status().ready
    tspl = open_printer("serial://loop://", "tspl")
    assert tspl.query == "tspl"
    st = tspl.status()  # the echoed ESC ! ? is noise, not a closed-or-open cover
    assert (st.ready, st.cover_open, st.reason) == (False, False, "bad_reply")


def test_tspl_replies_the_manual_does_not_list_are_bad_replies():
    from devices.printers.connections import TSPL_REPLIES, parse_tspl_status

    for b in range(256):
        st = parse_tspl_status(b)
        assert (st.reason == "bad_reply") == (b not in TSPL_REPLIES), hex(b)
    assert parse_tspl_status(0xFF).reason == "bad_reply" and not parse_tspl_status(0xFF).cover_open
