"""Day end (ctrl+e, managers only): the figures of one local day, section by section; print
them on the receipt printer, send them to HQ, export them as CSV. ←/→ change the day.

Every figure comes from ``edge.domain.day_end`` through the store thread; the same rows the
CLI prints and the paper shows (``day_end_figures.figures``). Actions are on function keys,
not letters: a keyboard-wedge scan typed here must not trigger them on its way to the counter.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from rich.cells import cell_len
from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import DataTable, Static

from edge.config import DEFAULT_TIMEZONE
from edge.domain import day_end, day_end_figures, print_jobs
from edge.domain.errors import DomainError
from edge.domain.print_docs import settings_from_config
from edge.i18n import register, t
from edge.store import Store
from edge.ui.widgets.footer import LocalFooter
from edge.ui.widgets.status_bar import StatusBar
from edge.ui.context import UserContext

REFRESH_S = 30.0

register({
    "ui.key.day_end": ("日结", "Day end"),
    "ui.dayend.key.back": ("返回", "Back"),
    "ui.dayend.key.print": ("打印", "Print"),
    "ui.dayend.key.send": ("发送总部", "Send HQ"),
    "ui.dayend.key.export": ("导出CSV", "CSV"),
    "ui.dayend.key.previous": ("前一天", "Prev day"),
    "ui.dayend.key.next": ("后一天", "Next day"),
    "ui.dayend.loading": ("正在统计 {day} …", "Adding up {day} …"),
    "ui.dayend.manager_only": ("日结只有店长能看：请按 F2 以店长身份登录", "Day end is for managers: press F2 and sign in as a manager"),
    "ui.dayend.hint": ("←/→ 换日期 · F5 打印 · F6 发送总部 · F3 导出 CSV", "←/→ day · F5 print · F6 send to HQ · F3 export CSV"),
    "ui.dayend.today_is_last": ("{day} 是今天，没有后一天的数据", "{day} is today: no later day yet"),
})


@dataclass(frozen=True)
class DayEndView:
    report: day_end.DayEnd
    sent: tuple[str, bool] | None  # (when, acknowledged by HQ) of the last send


def load_view(store: Store, day: date, tz: ZoneInfo, actor: str) -> DayEndView:
    report = day_end.day_end(store, day, tz, actor=actor)
    return DayEndView(report, day_end.last_sent(store.db, report.day))


def export_csv(report: day_end.DayEnd, lang: str, directory: Path) -> Path:
    """Write the report as CSV into ``directory`` (created if needed); returns the file."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"day-end-{report.store_id}-{report.day}.csv"
    path.write_text(day_end_figures.as_csv(report, lang), encoding="utf-8-sig")  # BOM: Excel reads UTF-8
    return path


def sent_text(view: DayEndView | None, lang: str, tz: ZoneInfo) -> str:
    if view is None or view.sent is None:
        return t("dayend.not_sent", lang)
    when, acked = view.sent
    stamp = day_end_figures.local_stamp(when, tz.key)
    return t("dayend.sent" if acked else "dayend.sent_waiting", lang, at=stamp)


class DayEndScreen(UserContext, Screen[None]):
    CSS_PATH = "day_end.tcss"
    BINDINGS = [
        Binding("escape", "back", "ui.dayend.key.back"),
        Binding("f5", "print", "ui.dayend.key.print"),
        Binding("f6", "send", "ui.dayend.key.send"),
        Binding("f3", "export", "ui.dayend.key.export"),
        Binding("left", "previous_day", "ui.dayend.key.previous", show=False, priority=True),
        Binding("right", "next_day", "ui.dayend.key.next", show=False, priority=True),
    ]

    def __init__(self, day: date | None = None) -> None:
        super().__init__(id="day-end")
        self.tz = ZoneInfo(DEFAULT_TIMEZONE)
        self.day = day
        self.view: DayEndView | None = None
        self.refused: str | None = None  # the domain's reason when the figures are refused

    def compose(self) -> ComposeResult:
        yield StatusBar(id="status-bar")
        yield Static(id="de-title")
        yield Static(id="de-sent")
        yield DataTable(id="de-table", cursor_type="row", show_header=False, zebra_stripes=False)
        yield Static(id="de-hint")
        yield LocalFooter()

    def on_mount(self) -> None:
        cfg = getattr(self.app, "cfg", None)
        self.tz = ZoneInfo(getattr(cfg, "timezone", None) or DEFAULT_TIMEZONE)
        self.day = self.day or day_end.local_today(self.tz)
        self.watch(self.app, "lang", lambda _lang: self._draw(), init=False)
        self.watch(self.app, "clerk", lambda _clerk: self.load(), init=False)
        self.set_interval(REFRESH_S, self._refresh_today)
        self.query_one("#de-table", DataTable).focus()
        self.load()

    def _refresh_today(self) -> None:
        """Today's figures move as the store works, and HQ's acknowledgement arrives."""
        if self.day == day_end.local_today(self.tz):
            self.load()


    @work(exclusive=True, group="day-end")
    async def load(self) -> None:
        assert self.day is not None
        if self.view is None or self.view.report.day != self.day.isoformat():
            self.query_one("#de-title", Static).update(
                t("ui.dayend.loading", self.lang, day=self.day.isoformat()))
        try:
            self.view = await self.app.service.call(load_view, self.day, self.tz, self.signed_in_id)  # type: ignore[attr-defined]
            self.refused = None
        except DomainError as exc:
            self.view, self.refused = None, exc.code
        self._draw()

    def _draw(self) -> None:
        lang = self.lang
        table = self.query_one("#de-table", DataTable)
        row, scrolled = table.cursor_row, table.scroll_y  # a refresh keeps the reader's place
        table.clear(columns=True)
        rows = day_end_figures.figures(self.view.report, lang) if self.view else []
        # widths fixed from every row up front: the columns never shift as rows scroll in
        table.add_column("label", key="label",
                         width=max([cell_len(f"  {f.label}") for f in rows], default=10))
        table.add_column("value", key="value",
                         width=max([cell_len(f.text) for f in rows], default=10))
        if self.refused is not None:
            self.query_one("#de-title", Static).update(t("ui.dayend.manager_only", lang))
            self.query_one("#de-sent", Static).update("")
            self.query_one("#de-hint", Static).update("")
            return
        if self.view is None:
            return
        report = self.view.report
        title, sub = day_end_figures.heading(report, lang)
        self.query_one("#de-title", Static).update(f"{title}  {sub}")
        self.query_one("#de-sent", Static).update(sent_text(self.view, lang, self.tz))
        self.query_one("#de-hint", Static).update(t("ui.dayend.hint", lang))
        section = None
        for f in rows:
            if f.section != section:
                section = f.section
                table.add_row(Text(t(f"dayend.section.{section}", lang), style="bold"), "",
                              key=f"section.{section}")
            # what a manager must act on stands out: an alarm nobody acknowledged
            style = "bold red" if f.key == "unacknowledged" and f.raw else ""
            table.add_row(f"  {f.label}", Text(f.text, justify="right", style=style), key=f.key)
        table.move_cursor(row=min(max(row, 0), table.row_count - 1), animate=False)
        table.scroll_to(y=scrolled, animate=False)
        table.focus()

    # -- actions ---------------------------------------------------------------------------------
    def action_previous_day(self) -> None:
        assert self.day is not None
        self.day -= timedelta(days=1)
        self.load()

    def action_next_day(self) -> None:
        assert self.day is not None
        if self.day >= day_end.local_today(self.tz):
            self.app.bell()
            self.notify(t("ui.dayend.today_is_last", self.lang, day=self.day.isoformat()))
            return
        self.day += timedelta(days=1)
        self.load()

    def _report(self) -> day_end.DayEnd | None:
        if self.view is None:
            self.app.bell()
            self.notify(t("ui.dayend.manager_only", self.lang), severity="error")
            return None
        return self.view.report

    @work(exclusive=True, group="day-end-act")
    async def action_print(self) -> None:
        report = self._report()
        if report is None:
            return
        settings = settings_from_config(self.app.cfg, self.lang)  # type: ignore[attr-defined]
        try:
            job = await self.app.service.call(  # type: ignore[attr-defined]
                lambda store: print_jobs.queue_day_end(store, report, actor=self.signed_in_id,
                                                       settings=settings))
        except DomainError as exc:
            self.notify(t(exc.code, self.lang, **exc.params), severity="error")
            return
        self.notify(t("dayend.queued_print", self.lang, job=job))

    @work(exclusive=True, group="day-end-act")
    async def action_send(self) -> None:
        report = self._report()
        if report is None:
            return
        try:
            seq = await self.app.service.call(  # type: ignore[attr-defined]
                lambda store: day_end.send_day_end(store, report, actor=self.signed_in_id))
        except DomainError as exc:
            self.notify(t(exc.code, self.lang, **exc.params), severity="error")
            return
        self.notify(t("dayend.queued_send", self.lang, seq=seq))
        self.load()

    @work(exclusive=True, group="day-end-act", thread=True)
    def action_export(self) -> None:
        report = self.view.report if self.view else None
        if report is None:
            self.app.call_from_thread(self._report)
            return
        directory = Path(self.app.data_dir) / "reports"  # type: ignore[attr-defined]
        try:
            path = export_csv(report, self.lang, directory)
        except OSError as exc:
            self.app.call_from_thread(self.notify, str(exc), severity="error")
            return
        self.app.call_from_thread(self.notify, t("dayend.exported", self.lang, path=path))

    def action_back(self) -> None:
        self.dismiss(None)
