"""``store-edge print list``: the print queue from the shell, with why each job waits."""
from __future__ import annotations

import json

from edge.cli import main
from edge.domain import print_jobs
from tests.conftest import NOW


def test_print_list_shows_open_jobs_and_why_they_wait(store, make_order, capsys):
    make_order("T21")
    make_order("T22")
    _, receipt = print_jobs.handover_and_print(store, "T21", "c01", now=NOW)
    labels = print_jobs.queue_bag_labels(store, "T22", actor="c01", now=NOW)
    print_jobs.mark_waiting(store, receipt, "paper_out")
    print_jobs.start_job(store, labels[0])
    print_jobs.mark_printed(store, labels[0])
    d = str(store.data_dir)

    assert main(["print", "list", "--data-dir", d, "--lang", "en"]) == 0
    out = capsys.readouterr().out
    assert f"#{receipt}" in out and "T21" in out and "printer out of paper: load paper" in out
    assert f"#{labels[0]} " not in out  # printed: not open
    assert f"{len(labels)} open:" in out

    assert main(["print", "list", "--order", "T22", "--all", "--json", "--data-dir", d]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert [j["id"] for j in doc["jobs"]] == labels
    assert doc["jobs"][0]["status"] == "printed" and doc["open"]["failed_waiting"] == 1

    assert main(["print", "list", "--order", "NOPE", "--data-dir", d]) == 0
    assert "待打印" in capsys.readouterr().out  # zh-CN by default; other orders still open
