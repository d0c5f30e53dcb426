"""Day end: the figures equal what the day's records say (a scripted day, worked by hand),
the CLI in its three formats, the printed report decoded back, and the manager-only rule."""

from __future__ import annotations

import csv
import io
import json
from datetime import date

import pytest

from devices.printers.escpos_decode import parse_escpos
from edge.cli import main
from edge.domain import day_end, day_end_figures, print_jobs
from edge.domain.errors import DomainError
from edge.domain.print_docs import PrintSettings, report_from_payload
from devices.config import PrinterConfig
from edge.services.printing import render_job
from tests.support.day_end_script import CLERK, DAY, MANAGER, TZ, at, script_day
from tests.support.edge_store import dump


@pytest.fixture
def day_store(store, monkeypatch):
    script_day(store)
    monkeypatch.setenv("STORE_EDGE_MANAGER_PIN", "9999")  # the CLI asks for the manager's PIN
    return store


def test_the_figures_are_the_days_records_worked_by_hand(day_store):
    r = day_end.day_end(day_store, DAY, TZ, actor=MANAGER, now=at(15))
    # the local day 2026-06-01 in Shanghai (UTC+8) is 05-31 16:00Z to 06-01 16:00Z
    assert (r.start, r.end) == ("2026-05-31T16:00:00.000+00:00", "2026-06-01T16:00:00.000+00:00")
    # due today: D01 D02 D03 D04 D05 D10 (D08 cancelled, D06 due the day before, D07 tomorrow)
    assert r.pickups_due == 6
    assert r.due_handed_over == 5  # all but D05
    assert r.verification_rate == pytest.approx(5 / 6)
    # handed over today: D01 D02 D03 D04 D07 D10 (D09 was the day before); D03 partial
    assert r.handovers == 6 and r.partial_handovers == 1
    # scan times 8000 2500 12000 4000 6000 (D10 had no scan): mean 32500 / 5
    assert r.timed_handovers == 5
    assert r.verify_ms_mean == 6500
    # nearest rank: ceil(0.9 * 5) = 5th smallest of 2500 4000 6000 8000 12000
    assert r.verify_ms_p90 == 12000
    # add-ons: S1, S2 with D01 and S3 with D07: 2 of 6 pickups, 3 sales, 20 + 10 + 10 yuan
    assert r.addon_pickups == 2 and r.addon_rate == pytest.approx(2 / 6)
    assert (r.addon_sales, r.addon_cents) == (3, 4000)
    # sales by method, largest first: cash S2 + S4 = 10 + 30, wechat S1 = 20, alipay S3 = 10
    assert [(p.method, p.sales, p.cents) for p in r.payments] == [
        ("cash", 2, 4000), ("wechat", 1, 2000), ("alipay", 1, 1000)]
    assert (r.sales, r.sales_cents) == (4, 7000)
    assert r.overdue_orders == ["D05", "D06"] and r.returned_orders == ["D06"]
    # the 03:10-03:20 excursion (an alarm, acknowledged) and the short one at 09:00
    [alarm, short] = r.excursions
    assert (alarm.fridge, alarm.peak_c, alarm.limit_c, alarm.raised) == ("熟食冷藏柜", 8.2, 4.0, True)
    assert (alarm.started_at, alarm.cleared_at) == ("2026-06-01T03:10:00.000+00:00",
                                                    "2026-06-01T03:20:00.000+00:00")
    assert (alarm.acknowledged_by, alarm.acknowledged_at) == (MANAGER, "2026-06-01T03:30:00.000+00:00")
    assert (short.peak_c, short.raised, short.acknowledged_by) == (5.0, False, None)
    # on-hand moves that are not sales, picks or receipts; the day before's -5 is not in it
    assert [(d.kind, d.reason, d.actions, d.units) for d in r.stock_differences] == [
        ("adjustment", "damaged", 1, -2), ("adjustment", "found", 1, 1),
        ("count", "count", 1, -1), ("missing", None, 1, -1)]


def test_an_empty_day_says_so_and_reading_changes_nothing(day_store):
    before = dump(day_store)
    r = day_end.day_end(day_store, date(2026, 5, 20), TZ, actor=MANAGER)
    assert dump(day_store) == before
    assert (r.pickups_due, r.handovers, r.sales, r.verify_ms_mean) == (0, 0, 0, None)
    assert r.verification_rate is None and r.addon_rate is None
    text = day_end_figures.as_text(r, "en")
    assert "Verification rate: —" in text and "Stock adjustments: none" in text


def test_the_local_day_follows_the_time_zone(day_store):
    # in UTC the same records fall differently: D01's 02:00Z hand-over is still 06-01, but
    # the 06-01 day now ends 8 hours later and starts 8 hours later
    from zoneinfo import ZoneInfo

    utc = day_end.day_end(day_store, DAY, ZoneInfo("UTC"), actor=MANAGER)
    assert (utc.start, utc.end) == ("2026-06-01T00:00:00.000+00:00", "2026-06-02T00:00:00.000+00:00")
    # D07 (due 06-02 02:00Z) is not due on 06-01 in UTC either; D06's overdue (01:00Z) is
    assert utc.pickups_due == 6 and utc.overdue_orders == ["D05", "D06"]


def test_nearest_rank_percentile_by_hand():
    assert day_end.nearest_rank([], 90) is None
    assert day_end.nearest_rank([5], 90) == 5
    values = [10, 1, 9, 2, 8, 3, 7, 4, 6, 5]  # 1..10: ceil(0.9*10) = 9th
    assert day_end.nearest_rank(values, 90) == 9
    assert day_end.nearest_rank(values + [11], 90) == 10  # ceil(9.9) = 10th


def test_a_clerk_is_refused_and_nothing_changes(day_store):
    before = dump(day_store)
    with pytest.raises(DomainError) as exc:
        day_end.day_end(day_store, DAY, TZ, actor=CLERK)
    assert exc.value.code == "auth.not_manager"
    report = day_end.day_end(day_store, DAY, TZ, actor=MANAGER)
    for act in (lambda: day_end.send_day_end(day_store, report, actor=CLERK),
                lambda: print_jobs.queue_day_end(day_store, report, actor=CLERK)):
        with pytest.raises(DomainError) as exc:
            act()
        assert exc.value.code == "auth.not_manager"
    assert dump(day_store) == before


def test_sending_is_one_outbox_event_with_the_figures_and_an_audit(day_store):
    from edge.domain import audit, outbox
    from sync.protocol import EVENT_PAYLOADS, parse_payload

    report = day_end.day_end(day_store, DAY, TZ, actor=MANAGER, now=at(15))
    assert day_end.last_sent(day_store.db, "2026-06-01") is None
    seq = day_end.send_day_end(day_store, report, actor=MANAGER, now=at(15, 1))
    [event] = [e for e in outbox.events(day_store.db) if e["seq"] == seq]
    assert event["type"] == "report.day_end" and event["entity"] == "day_end:2026-06-01"
    model = parse_payload(event["type"], event["payload"], EVENT_PAYLOADS)
    assert (model.pickups_due, model.due_handed_over, model.verify_ms_p90) == (6, 5, 12000)
    assert [a["action"] for a in audit.for_entity(day_store.db, "day_end:2026-06-01")] == ["day_end.sent"]
    assert day_end.last_sent(day_store.db, "2026-06-01") == ("2026-06-01T15:01:00.000+00:00", False)


@pytest.mark.parametrize("paper_mm", [58, 80])
@pytest.mark.parametrize("lang", ["zh-CN", "en"])
def test_the_printed_report_decodes_back_to_the_figures_and_fits_the_paper(day_store, paper_mm, lang):
    from devices.printers.layout import paper_geometry, text_width

    report = day_end.day_end(day_store, DAY, TZ, actor=MANAGER, now=at(15))
    job_id = print_jobs.queue_day_end(day_store, report, actor=MANAGER,
                                      settings=PrintSettings(lang=lang), now=at(15))
    job = print_jobs.get_job(day_store.db, job_id)
    assert (job.kind, job.printer, job.ref) == ("day_end", "receipt", "day_end:2026-06-01")
    data = render_job(job, PrinterConfig(url="file:///dev/null", paper_mm=paper_mm))
    parsed = parse_escpos(data)
    assert parsed.cuts == 1
    _, cols = paper_geometry(paper_mm)
    for line in parsed.lines:
        assert text_width(line.text) * line.w <= cols, line
    text = parsed.text
    squeezed = text.replace(" ", "").replace("\n", "")
    for f in day_end_figures.figures(report, lang):  # every figure's words and value are on paper
        assert f.label.replace(" ", "") in squeezed, f
        assert f.text.replace(" ", "") in squeezed, f
    words = {"zh-CN": ["日结报表", "核销率", "83.3 %", "6.5 s", "12.0 s", "￥40.00", "微信支付",
                       "熟食冷藏柜", "已确认 张经理(m01) 11:30"],
             "en": ["Day end", "Verification rate", "83.3 %", "6.5 s", "12.0 s", "￥40.00",
                    "WeChat Pay", "ack 张经理(m01) 11:30"]}[lang]
    flat = text.replace("\n", "")
    for word in words:
        assert word in flat, word
    assert report_from_payload(job.payload).title == ("日结报表" if lang == "zh-CN" else "Day end")


def _cli(data_dir, *args: str) -> list[str]:
    return ["--data-dir", str(data_dir), "report", "day-end", "--date", "2026-06-01",
            "--manager", MANAGER, *args]


def test_cli_json_parses_and_carries_the_figures(day_store, capsys):
    assert main(_cli(day_store.data_dir, "--format", "json")) == 0
    data = json.loads(capsys.readouterr().out)
    assert (data["pickups_due"], data["due_handed_over"], data["handovers"]) == (6, 5, 6)
    assert data["verification_rate"] == pytest.approx(5 / 6)
    assert (data["verify_ms_mean"], data["verify_ms_p90"]) == (6500, 12000)
    assert data["payments"][0] == {"method": "cash", "sales": 2, "cents": 4000}


def test_cli_csv_parses_one_row_per_figure(day_store, capsys):
    assert main(_cli(day_store.data_dir, "--format", "csv", "--lang", "en")) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    by_key = {r["key"]: r for r in rows}
    assert by_key["pickups_due"]["value"] == "6"
    assert float(by_key["verification_rate"]["value"]) == pytest.approx(5 / 6)
    assert by_key["verify_mean"]["value"] == "6500" and by_key["verify_p90"]["value"] == "12000"
    assert by_key["addon_value"]["value"] == "4000"
    assert by_key["payment.cash"]["text"] == "2 sales ￥40.00"
    assert by_key["stock.adjustment.damaged"]["value"] == "-2"
    assert {r["day"] for r in rows} == {"2026-06-01"} and {r["store_id"] for r in rows} == {"S001"}


def test_cli_text_print_and_send(day_store, capsys):
    assert main(_cli(day_store.data_dir, "--print", "--send")) == 0
    out = capsys.readouterr()
    assert "核销率: 83.3 %" in out.out and "打印队列" in out.err and "总部" in out.err
    kinds = [r[0] for r in day_store.db.execute("SELECT kind FROM print_jobs")]
    assert kinds == ["day_end"]
    sent = day_store.db.execute("SELECT COUNT(*) FROM outbox WHERE type = 'report.day_end'").fetchone()
    assert sent == (1,)


def test_cli_refuses_a_clerk_a_wrong_pin_a_bad_date_and_a_future_day(day_store, capsys,
                                                                     monkeypatch):
    args = ["--data-dir", str(day_store.data_dir), "--lang", "en", "report", "day-end"]
    monkeypatch.setenv("STORE_EDGE_MANAGER_PIN", "1111")  # the clerk's own, right PIN
    assert main([*args, "--manager", CLERK, "--send"]) == 1
    assert "not a manager" in capsys.readouterr().err
    monkeypatch.setenv("STORE_EDGE_MANAGER_PIN", "0000")
    assert main([*args, "--manager", MANAGER, "--print"]) == 1
    assert capsys.readouterr().err.strip()  # said why (wrong PIN), nothing printed or sent
    assert day_store.db.execute("SELECT COUNT(*) FROM print_jobs").fetchone() == (0,)
    monkeypatch.setenv("STORE_EDGE_MANAGER_PIN", "9999")
    before = dump(day_store)
    assert main([*args, "--manager", MANAGER, "--date", "2026-13-01"]) == 2
    assert "Not a date: 2026-13-01" in capsys.readouterr().err
    assert main([*args, "--manager", MANAGER, "--date", "2999-01-01"]) == 2
    assert "has not begun" in capsys.readouterr().err
    assert dump(day_store) == before


def test_the_config_timezone_decides_the_day_and_a_typo_is_refused(day_store, capsys):
    from edge import config

    with pytest.raises(config.ConfigError) as exc:
        config.parse('timezone = "Asia/Shanghia"')
    assert "Asia/Shanghia" in exc.value.message("en") and "时区" in exc.value.message("zh-CN")
    (day_store.data_dir / "store-edge.toml").write_text('timezone = "UTC"\n', encoding="utf-8")
    assert main(_cli(day_store.data_dir, "--format", "json")) == 0
    data = json.loads(capsys.readouterr().out)
    assert (data["timezone"], data["start"]) == ("UTC", "2026-06-01T00:00:00.000+00:00")
    (day_store.data_dir / "store-edge.toml").write_text('timezone = "Mars/Olympus"\n', encoding="utf-8")
    assert main(_cli(day_store.data_dir)) == 2
    assert "Mars/Olympus" in capsys.readouterr().err
