"""The persisted print queue with real parts: SQLite on disk, a file printer, ESC/POS decoded back."""
from __future__ import annotations

from pathlib import Path

import pytest

from devices.printers import PrinterError, PrinterStatus, open_printer, parse_escpos
from devices.config import PrinterConfig
from edge.domain import audit, orders, print_jobs
from edge.domain.errors import DomainError
from edge.domain.print_docs import PrintSettings
from edge.services.printing import (
    PrintService, SqliteQueue, StorePrintWorker, reason_text,
)
from tests.conftest import NOW

SETTINGS = PrintSettings(lang="zh-CN", store_name="鲜食铺 静安寺店", store_address="上海市静安区南京西路 1 号")


def _worker(store, printer_path: Path, connection=None) -> StorePrintWorker:
    printer = PrinterConfig(f"file://{printer_path}", paper_mm=80)
    queue = SqliteQueue(store.data_dir, ("receipt", "label"), printer)
    queue.open()
    return StorePrintWorker(queue, connection or open_printer(printer.url))


def _statuses(store) -> list[tuple[int, str, str | None]]:
    return [tuple(r) for r in store.db.execute("SELECT id, status, last_error FROM print_jobs ORDER BY id")]


def test_hand_over_queues_the_receipt_in_the_same_transaction(store, make_order):
    order, _ = make_order("T1")
    handed, job_id = print_jobs.handover_and_print(store, "T1", "c01", settings=SETTINGS, now=NOW)
    assert handed.status == "picked_up"
    job = print_jobs.get_job(store.db, job_id)
    assert (job.kind, job.ref, job.status, job.copy_of) == ("receipt", "T1", "queued", None)
    assert job.payload["order_no"] == "T1" and job.payload["clerk"] == "王芳"
    assert job.payload["customer_masked"] == "王** ****1234"
    assert [a["action"] for a in audit.for_entity(store.db, f"print_job:{job_id}")] == ["print.queued"]


def test_refused_hand_over_queues_nothing(store, make_order):
    make_order("T2", ready=False)
    with pytest.raises(DomainError):
        print_jobs.handover_and_print(store, "T2", "c01", settings=SETTINGS, now=NOW)
    assert _statuses(store) == []


def test_failed_queueing_rolls_the_hand_over_back(store, make_order, monkeypatch):
    make_order("T3")

    def broken(*_a, **_k):
        raise RuntimeError("disk full while queueing")

    monkeypatch.setattr(print_jobs, "receipt_for_order", broken)
    with pytest.raises(RuntimeError):
        print_jobs.handover_and_print(store, "T3", "c01", settings=SETTINGS, now=NOW)
    assert orders.get_order(store.db, "T3").status == "ready"
    assert _statuses(store) == []
    assert store.db.execute("SELECT COUNT(*) FROM outbox WHERE entity = 'order:T3'"
                            " AND type = 'order.handed_over'").fetchone()[0] == 0


def test_worker_prints_a_receipt_that_decodes_back(store, make_order, tmp_path):
    make_order("T4", lines=[("B001", 2), ("D001", 1)])
    _, job_id = print_jobs.handover_and_print(store, "T4", "c01", settings=SETTINGS, now=NOW)
    paper = tmp_path / "printer.bin"
    worker = _worker(store, paper)
    assert worker.step() is True
    assert worker.step() is False  # nothing else to print
    parsed = parse_escpos(paper.read_bytes())
    text = parsed.text
    assert "鲜食铺 静安寺店" in text and "法式牛角包" in text and "鲜牛奶 950ml" in text
    assert "￥30.00" in text  # 3 items x ￥10.00, fullwidth yen
    assert "王** ****1234" in text and "王芳" in text and "T4" in text
    assert parsed.qr == ["https://e.store-edge.cn/r/S001/T4"]
    assert parsed.cuts == 1 and parsed.chinese_mode
    assert print_jobs.get_job(store.db, job_id).status == "printed"


def test_english_receipt_and_bag_labels(store, make_order, tmp_path):
    make_order("T5", lines=[("B001", 1), ("M001", 1)])
    en = PrintSettings(lang="en")
    _, job_id = print_jobs.handover_and_print(store, "T5", "c01", settings=en, now=NOW)
    label_ids = print_jobs.queue_bag_labels(store, "T5", actor="c01", settings=en, now=NOW)
    assert len(label_ids) == 2  # one per zone bag
    paper = tmp_path / "printer.bin"
    worker = _worker(store, paper)
    while worker.step():
        pass
    parsed = parse_escpos(paper.read_bytes())
    assert "Jing'an Temple" in parsed.text and "Butter croissant" in parsed.text
    assert "FROZEN" in parsed.text and "AMBIENT" in parsed.text
    assert parsed.qr[1:] == ["SEB1:S001:T5:ambient", "SEB1:S001:T5:frozen"]
    assert parsed.cuts == 3


def test_paper_out_waits_with_reason_then_prints_once(store, make_order, tmp_path):
    make_order("T6")
    _, job_id = print_jobs.handover_and_print(store, "T6", "c01", settings=SETTINGS, now=NOW)
    paper = tmp_path / "printer.bin"
    flag = Path(f"{paper}.paper_out")
    flag.touch()
    worker = _worker(store, paper)
    assert worker.step() is False
    job = print_jobs.get_job(store.db, job_id)
    assert (job.status, job.last_error) == ("failed_waiting", "paper_out")
    assert worker.last_status.reason == "paper_out"
    assert reason_text(job, "en") == "printer out of paper: load paper"
    assert not paper.exists()
    assert worker.step() is False  # still out: still waiting, still nothing printed
    flag.unlink()
    assert worker.step() is True
    assert worker.step() is False
    assert print_jobs.get_job(store.db, job_id).status == "printed"
    assert parse_escpos(paper.read_bytes()).cuts == 1


def test_reprint_is_an_explicit_copy(store, make_order, tmp_path):
    make_order("T7")
    _, job_id = print_jobs.handover_and_print(store, "T7", "c01", settings=SETTINGS, now=NOW)
    paper = tmp_path / "printer.bin"
    worker = _worker(store, paper)
    worker.step()
    copy_id = print_jobs.reprint(store, job_id, actor="m01", now=NOW)
    copy = print_jobs.get_job(store.db, copy_id)
    assert copy.copy_of == job_id and copy.is_copy and copy.payload["copy"] is True
    assert audit.for_entity(store.db, f"print_job:{job_id}")[-1]["action"] == "print.reprint"
    assert worker.step() is True
    parsed = parse_escpos(paper.read_bytes())
    assert parsed.cuts == 2
    assert sum("COPY" in line for line in parsed.text_lines) == 1


def test_no_double_print_after_a_crash_mid_job(store, make_order, tmp_path):
    make_order("T8")
    _, job_id = print_jobs.handover_and_print(store, "T8", "c01", settings=SETTINGS, now=NOW)
    print_jobs.start_job(store, job_id)  # claimed, bytes maybe sent ... then the process died
    paper = tmp_path / "printer.bin"
    worker = _worker(store, paper)  # a new worker starts: recovery runs in queue.open()
    job = print_jobs.get_job(store.db, job_id)
    assert (job.status, job.last_error) == ("failed_waiting", "interrupted") and job.needs_person
    assert worker.step() is False and not paper.exists()  # never re-sent on its own
    copy_id = print_jobs.reprint(store, job_id, actor="c01", now=NOW)
    assert print_jobs.get_job(store.db, job_id).status == "cancelled"  # replaced by the copy
    assert worker.step() is True and worker.step() is False
    assert print_jobs.get_job(store.db, copy_id).status == "printed"
    assert parse_escpos(paper.read_bytes()).cuts == 1


def test_a_job_is_claimed_once(store, make_order):
    make_order("T9")
    _, job_id = print_jobs.handover_and_print(store, "T9", "c01", settings=SETTINGS, now=NOW)
    print_jobs.start_job(store, job_id)
    with pytest.raises(DomainError) as exc:
        print_jobs.start_job(store, job_id)
    assert exc.value.code == "dev.print.not_claimable"


class _DiesMidSend:
    """A printer that says it is ready, then the cable is pulled during the job."""

    url = "test://dies"

    def status(self) -> PrinterStatus:
        return PrinterStatus(True)

    def send(self, data: bytes) -> None:
        raise PrinterError("offline", "connection reset while sending")

    def close(self) -> None:
        pass


def test_transport_failure_while_sending_waits_for_a_person(store, make_order, tmp_path):
    make_order("T10")
    _, job_id = print_jobs.handover_and_print(store, "T10", "c01", settings=SETTINGS, now=NOW)
    worker = _worker(store, tmp_path / "unused.bin", connection=_DiesMidSend())
    assert worker.step() is False
    job = print_jobs.get_job(store.db, job_id)
    assert (job.status, job.last_error, job.attempts) == ("failed_waiting", "interrupted", 1)
    assert worker.step() is False
    assert print_jobs.get_job(store.db, job_id).attempts == 1


def test_print_service_thread_reports_paper_out_for_the_status_bar(store, make_order, tmp_path, wait_for):
    make_order("T11")
    paper = tmp_path / "printer.bin"
    flag = Path(f"{paper}.paper_out")
    flag.touch()
    service = PrintService(store.data_dir, {"receipt": PrinterConfig(f"file://{paper}", 58)},
                           poll_s=0.05).start()
    try:
        _, job_id = print_jobs.handover_and_print(store, "T11", "c01", settings=SETTINGS, now=NOW)
        service.wake()
        wait_for(lambda: service.notices("zh-CN") == ["小票打印机缺纸"])
        wait_for(lambda: print_jobs.get_job(store.db, job_id).last_error == "paper_out")
        flag.unlink()
        wait_for(lambda: print_jobs.get_job(store.db, job_id).status == "printed")
        wait_for(lambda: service.notices("zh-CN") == [])
    finally:
        service.stop()
    assert parse_escpos(paper.read_bytes()).cuts == 1


def test_counter_sale_and_its_receipt_in_one_transaction(store, tmp_path):
    from edge.domain import sales

    sale, job_id = print_jobs.sell_and_print(
        store, [sales.SaleLine("B001", 2), sales.SaleLine("M001", 1)], "c01", settings=SETTINGS,
        with_pickup_order_no=None, now=NOW)
    paper = tmp_path / "printer.bin"
    worker = _worker(store, paper)
    assert worker.step() is True
    parsed = parse_escpos(paper.read_bytes())
    assert "销售小票" in parsed.text and "法式牛角包" in parsed.text and "澳洲和牛西冷" in parsed.text
    assert "￥30.00" in parsed.text and parsed.cuts == 1  # 3 x ￥10.00
    assert parsed.qr == [f"https://e.store-edge.cn/r/S001/{sale.sale_id}"]
    with pytest.raises(DomainError):  # not enough stock: neither sale nor job
        print_jobs.sell_and_print(store, [sales.SaleLine("B001", 10_000)], "c01", now=NOW)
    assert [j.ref for j in print_jobs.list_jobs(store.db)] == [sale.sale_id]


def test_the_print_service_polls_a_tspl_printer_in_tspl(store, make_order, wait_for):
    from devices.sim import SimNetworkPrinter

    make_order("T12")
    job_id = print_jobs.queue_bag_labels(store, "T12", actor="c01", settings=SETTINGS, now=NOW)[-1]
    with SimNetworkPrinter() as sim:
        service = PrintService(store.data_dir, {
            "label": PrinterConfig(sim.url, protocol="tspl"),
            "receipt": PrinterConfig(f"file://{store.data_dir}/r.bin")}, poll_s=0.05).start()
        try:
            wait_for(lambda: print_jobs.get_job(store.db, job_id).status == "printed")
        finally:
            service.stop()
    assert sim.queries and set(sim.queries) == {"tspl"}
    assert b"PRINT 1,1" in sim.data()
