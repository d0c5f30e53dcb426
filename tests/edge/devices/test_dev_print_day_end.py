"""The day-end report through the real print worker: queued by a manager, printed once on the
receipt printer (a file printer), the bytes decoded back to the day's figures."""

from __future__ import annotations

from devices.config import PrinterConfig
from devices.printers.escpos_decode import parse_escpos
from edge.domain import day_end, print_jobs
from edge.domain.print_docs import PrintSettings
from edge.services.printing import PrintService
from tests.support.day_end_script import DAY, MANAGER, TZ, at, script_day


def test_the_print_worker_prints_the_day_end_once(store, tmp_path, wait_for):
    script_day(store)
    report = day_end.day_end(store, DAY, TZ, actor=MANAGER, now=at(15))
    paper = tmp_path / "printer.bin"
    service = PrintService(store.data_dir, {"receipt": PrinterConfig(f"file://{paper}", 80)},
                           poll_s=0.05).start()
    try:
        job_id = print_jobs.queue_day_end(store, report, actor=MANAGER,
                                          settings=PrintSettings(lang="en"), now=at(15))
        service.wake()
        wait_for(lambda: print_jobs.get_job(store.db, job_id).status == "printed")
    finally:
        service.stop()
    printed = parse_escpos(paper.read_bytes())
    assert printed.cuts == 1  # once
    text = printed.text
    for words in ("Day end", "2026-06-01 (Asia/Shanghai)", "Verification rate", "83.3 %",
                  "p90 scan to hand-over", "12.0 s", "Cash", "2 sales ￥40.00",
                  "ack 张经理(m01) 11:30", "adjustment: damaged"):
        assert words in text, words
