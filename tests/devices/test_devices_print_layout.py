"""What lands on paper, measured on the paper: bag labels drawn from their TSPL commands and read
back with our own camera decoder; every document's lines measured in printed cells (a GBK
double-byte character is two cells on a Chinese font ROM, whatever Unicode calls it)."""
from __future__ import annotations

from datetime import datetime

import numpy as np
import pytest

from devices.camera import make_decoder
from devices.printers import (
    BagLabel, Receipt, ReceiptLine, parse_escpos, render_bag_label, render_bag_label_tspl,
    render_receipt,
)
from devices.printers.layout import paper_geometry, wrap
from tests.support.tspl_raster import overlaps, rasterize

YEN = "\uffe5"


def _label(**kw) -> BagLabel:
    base = dict(order_no="L2606011601", bag_no=2, bag_count=3, zone="chilled",
                zone_label="冷藏 CHILLED", slot="A-105", pickup_window="06-01 14:00-20:00",
                customer_masked="王**", phone_last4="1234",
                qr_payload="SEB1:S001:L2606011601:chilled")
    base.update(kw)
    return BagLabel(**base)


@pytest.mark.parametrize("size_mm", [(60, 40), (50, 30), (80, 50)])
@pytest.mark.parametrize("copy", [False, True])
def test_tspl_bag_label_qr_reads_back_and_nothing_covers_it(size_mm, copy):
    label = rasterize(render_bag_label_tspl(_label(copy=copy), *size_mm))
    assert label.printed
    [(payload, qr_box)] = label.qrs
    frame = np.array(label.image)
    assert [d.text for d in make_decoder("auto").decode(frame)] == [payload]
    cell = (qr_box[2] - qr_box[0]) // 25 or 1
    quiet = (qr_box[0] - 4 * cell, qr_box[1] - 4 * cell, qr_box[2] + 4 * cell, qr_box[3] + 4 * cell)
    w, h = label.size
    for text, box in label.texts:
        assert not overlaps(box, quiet), f"{text!r} at {box} runs into the QR {qr_box}"
        assert box[0] >= 0 and box[2] <= w and box[3] <= h, f"{text!r} at {box} is off the label"
    for box in label.reverses:
        assert not overlaps(box, quiet), f"zone band {box} runs through the QR {qr_box}"
    texts = [t for t, _ in label.texts]
    assert any("L2606011601" in t for t in texts) and any("CHILLED" in t for t in texts)


def test_tspl_label_text_stays_in_the_font_rom():
    label = rasterize(render_bag_label_tspl(_label(customer_masked="𠮷**", slot="A−105 😀")))
    texts = [t for t, _ in label.texts]
    assert "位置: A-105 ？" in texts and any(t.startswith("顾客: ？**") for t in texts)


def _printed_cells(line) -> int:
    return len(line.text.encode("gbk")) * line.w


def _receipt(**kw) -> Receipt:
    base = dict(store_name="鲜果坊 人民路店", store_address="上海市黄浦区人民路 88 号",
                order_no="SO-20261122-0042",
                lines=[ReceiptLine("挪威三文鱼刺身 200g×2（冰鲜）", 8, 1_250_000, 10_000_000),
                       ReceiptLine("有机纯牛奶 1L·低温 ℃…", 2, 1590, 3180)],
                total_cents=10_003_180, clerk="李四", time=datetime(2026, 11, 22, 10, 5),
                customer_masked="王** ****1234", qr_payload="https://e.example/r/1",
                title="购物小票",
                footer="未取：挪威三文鱼刺身 ×1（顾客取消）· 1601 号 谢谢惠顾",
                copy=True)
    base.update(kw)
    return Receipt(**base)


@pytest.mark.parametrize("paper_mm", [58, 80])
def test_every_receipt_line_fits_the_paper_in_printed_cells(paper_mm):
    _, cols = paper_geometry(paper_mm)
    p = parse_escpos(render_receipt(_receipt(), paper_mm))
    for line in p.lines:
        assert _printed_cells(line) <= cols, f"{line.text!r}: {_printed_cells(line)} of {cols} cells"
    text = p.text
    assert f"{YEN}100000.00" in text and f"{YEN}100031.80" in text  # amounts whole, never cut
    assert f"{YEN}12500.00" in text or paper_mm == 58
    assert "…" not in "".join(l.text for l in p.lines if YEN in l.text)


@pytest.mark.parametrize("paper_mm", [58, 80])
def test_every_bag_label_line_fits_the_paper_in_printed_cells(paper_mm):
    _, cols = paper_geometry(paper_mm)
    p = parse_escpos(render_bag_label(_label(zone_label="冷藏 CHILLED · 0~4℃", copy=True), paper_mm))
    for line in p.lines:
        assert _printed_cells(line) <= cols, f"{line.text!r}: {_printed_cells(line)} of {cols} cells"


def test_characters_outside_gbk_keep_the_columns():
    """− has a look-alike in the font; an emoji or 𠮷 has none: that line prints as an image the
    width of the paper, and the lines around it stay text, in their columns."""
    r = _receipt(lines=[ReceiptLine("坚果 −5%", 1, 9900, 9900),
                        ReceiptLine("𠮷野家 礼盒 😀", 1, 1000, 1000)], total_cents=10900, copy=False)
    p = parse_escpos(render_receipt(r, 58))
    assert any(l.text.startswith("坚果 -5%") and l.text.endswith(f"{YEN}99.00") for l in p.lines)
    assert "?" not in p.text
    assert p.images == [(384, 30)]  # the one line the font cannot print
    dots, _ = paper_geometry(58)
    assert all(w <= dots for w, _ in p.images)


def test_wrapping_keeps_numbers_and_words_whole():
    assert wrap("南京西路 1601 号", 9) == ["南京西路", "1601 号"]
    assert wrap("customer cancelled the order", 12) == ["customer", "cancelled", "the order"]
    assert wrap("三文鱼 ×1（缺货）", 8) == ["三文鱼", "×1（缺", "货）"]
    assert wrap("A" * 20, 8) == ["AAAAAAAA", "AAAAAAAA", "AAAA"]  # longer than a line: split
