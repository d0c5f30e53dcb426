"""The day-end screen (ctrl+e): a manager sees the scripted day's figures, prints them (the
bytes decoded back), sends them to HQ and exports CSV; a clerk is told it is for managers."""

from __future__ import annotations

import csv
from datetime import timedelta

from textual.widgets import DataTable

from devices.config import PrinterConfig
from devices.printers.escpos_decode import parse_escpos
from edge.domain import day_end, print_jobs
from edge.services.printing import render_job
from edge.i18n import t
from edge.ui.app import StoreEdgeApp
from edge.ui.screens.reports.day_end import DayEndScreen
from tests.support.day_end_script import DAY, MANAGER, TZ, script_day
from tests.support.edge_store import dump
from tests.support.ui_pilot import open_store, screen_text, settle


def _cells(screen: DayEndScreen) -> dict[str, str]:
    table = screen.query_one("#de-table", DataTable)
    return {str(key.value): str(table.get_cell(key, "value")) for key in table.rows}


def test_manager_opens_day_end_prints_sends_and_exports(store, run):
    script_day(store)
    data_dir = store.data_dir
    expected = day_end.day_end(store, DAY, TZ, actor=MANAGER)

    async def body():
        app = StoreEdgeApp(data_dir, lang="zh-CN", clerk_id=MANAGER)
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.press("ctrl+e")
            await settle(pilot)
            screen = pilot.app.screen
            assert isinstance(screen, DayEndScreen)
            today = day_end.local_today(TZ)
            assert screen.day == today  # today, in the store's time zone
            await pilot.press("right")  # no later day than today
            await pilot.press("left")
            await settle(pilot)
            assert screen.day == today - timedelta(days=1)
            screen.day = DAY  # jump to the scripted day (as ←/→ would, many presses later)
            screen.load()
            await settle(pilot)
            cells = _cells(screen)
            assert cells["pickups_due"] == "6" and cells["verification_rate"] == "83.3 %"
            assert cells["verify_mean"] == "6.5 s" and cells["verify_p90"] == "12.0 s"
            assert cells["addon_rate"] == "33.3 %" and cells["addon_value"] == "￥40.00"
            assert cells["payment.cash"] == "2 笔 ￥40.00"
            assert "日结报表" in screen_text(pilot) and "尚未发送总部" in screen_text(pilot)
            await pilot.press("f5")  # print
            await settle(pilot)
            await pilot.press("f6")  # send to HQ
            await settle(pilot)
            assert "已排队发送总部" in screen_text(pilot)
            await pilot.press("f3")  # export CSV
            await settle(pilot)
            await pilot.press("f9")  # English, same figures
            await settle(pilot)
            assert _cells(screen)["payment.cash"] == "2 sales ￥40.00"
            assert "Day end" in screen_text(pilot)
            await pilot.press("escape")
            await settle(pilot)
            assert not isinstance(pilot.app.screen, DayEndScreen)

    run(body())
    db = open_store(data_dir).db
    [job] = [j for j in print_jobs.list_jobs(db) if j.kind == "day_end"]
    paper = parse_escpos(render_job(job, PrinterConfig(url="file:///dev/null", paper_mm=58))).text
    assert "核销率" in paper and "83.3 %" in paper and "￥40.00" in paper
    sent = db.execute("SELECT payload FROM outbox WHERE type = 'report.day_end'").fetchall()
    assert len(sent) == 1 and '"pickups_due":6' in sent[0][0]
    exported = data_dir / "reports" / "day-end-S001-2026-06-01.csv"
    rows = list(csv.DictReader(exported.open(encoding="utf-8-sig")))
    assert {r["key"]: r["value"] for r in rows}["verify_p90"] == str(expected.verify_ms_p90)


def test_a_clerk_is_told_day_end_is_for_managers_and_nothing_changes(store, run):
    script_day(store)
    data_dir = store.data_dir
    before = dump(store)

    async def body():
        app = StoreEdgeApp(data_dir, lang="en", clerk_id="c01")
        notes: list[str] = []
        app.notify = lambda message, **kw: notes.append(str(message))  # type: ignore[method-assign]
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.press("ctrl+e")
            await settle(pilot)
            # the app's role table refuses it before the page opens (edge/ui/app.py)
            assert not isinstance(pilot.app.screen, DayEndScreen)
            assert notes == [t("ui.manager_only", "en", what=t("ui.key.day_end", "en"))]
            # and the page itself shows nothing to a clerk, should it ever be opened
            screen = DayEndScreen()
            pilot.app.open_page(screen)
            await settle(pilot)
            assert "Day end is for managers" in screen_text(pilot)
            assert _cells(screen) == {}
            for key in ("f5", "f6", "f3"):
                await pilot.press(key)
                await settle(pilot)

    run(body())
    assert dump(store) == before
    assert not (data_dir / "reports").exists()
