"""Every document the store prints, built by the app's own builders from real orders and sales,
rendered at 58 and 80 mm and measured in printed cells: on a Chinese font ROM each GBK
double-byte character (``×``, ``·``, ``℃`` included) takes two cells, each byte one."""
from __future__ import annotations

import pytest

from devices.printers import parse_escpos, render_bag_label, render_receipt
from devices.printers.layout import paper_geometry
from edge.domain import print_jobs, sales
from edge.domain.pickup import NotTaken
from edge.domain.print_docs import PrintSettings, label_from_payload, receipt_from_payload
from tests.conftest import NOW

SETTINGS = PrintSettings(lang="zh-CN", store_name="鲜食铺 静安寺店",
                         store_address="上海市静安区南京西路 1601 号（地铁 2/7 号线静安寺站 1 号口）")


def _documents(store, make_order) -> dict[str, list]:
    make_order("L2606011601", lines=[("D001", 3), ("B001", 2), ("M001", 1)])
    make_order("L2606011602", lines=[("D001", 2), ("B001", 12)])
    labels = print_jobs.queue_bag_labels(store, "L2606011601", actor="c01", settings=SETTINGS, now=NOW)
    _, full = print_jobs.handover_and_print(store, "L2606011601", "c01", settings=SETTINGS, now=NOW)
    _, partial = print_jobs.handover_and_print(
        store, "L2606011602", "c01", settings=SETTINGS, now=NOW,
        not_taken=[NotTaken(1, 1, "refused"), NotTaken(2, 11, "missing")])
    _, sale = print_jobs.sell_and_print(store, [sales.SaleLine("B001", 2), sales.SaleLine("M001", 1)],
                                        "c01", settings=SETTINGS, with_pickup_order_no=None, now=NOW)
    payload = lambda job_id: print_jobs.get_job(store.db, job_id).payload  # noqa: E731
    return {
        "receipt": [receipt_from_payload(payload(full))],
        "partial receipt": [receipt_from_payload(payload(partial))],
        "sale receipt": [receipt_from_payload(payload(sale))],
        "bag label": [label_from_payload(payload(j)) for j in labels],
    }


@pytest.mark.parametrize("paper_mm", [58, 80])
def test_every_document_fits_the_paper_in_printed_cells(store, make_order, paper_mm):
    _, cols = paper_geometry(paper_mm)
    docs = _documents(store, make_order)
    assert "×" in docs["partial receipt"][0].footer  # the note that used to overflow
    for kind, items in docs.items():
        for doc in items:
            render = render_bag_label if kind == "bag label" else render_receipt
            parsed = parse_escpos(render(doc, paper_mm))
            assert parsed.lines, kind
            for line in parsed.lines:
                cells = len(line.text.encode("gbk")) * line.w
                assert cells <= cols, f"{kind} at {paper_mm} mm: {line.text!r} is {cells} of {cols} cells"
