"""Fridges and freezers (F7): the last reading of each, alarms to acknowledge, and the chosen
fridge's last 24 hours as a chart (readings, the limit line, excursions marked) with its
excursions listed beside who acknowledged them and when. ←/→ show the 24 hours before/after.

Actions are on function keys and arrows, not letters: a keyboard-wedge scan typed while this
screen is open must not trigger them on its way to the counter. Times are the store's local
time (config ``timezone``), like day end.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from rich.cells import cell_len
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import DataTable, Static

from edge.clock import utcnow
from edge.config import DEFAULT_TIMEZONE
from edge.domain import day_end, temperatures
from edge.domain.day_end_figures import excursion_text
from edge.i18n import register, t
from edge.present import local_time
from edge.store import Store
from edge.ui import dev_text  # noqa: F401  (registers ui.dev.* strings)
from edge.ui.devices_link import alarm_text
from edge.ui.screens.devices.ack_alarm import AckAlarmScreen
from edge.ui.widgets.footer import LocalFooter
from edge.ui.widgets.status_bar import StatusBar
from edge.ui.widgets.temperature_chart import TemperatureChart, chart_data

REFRESH_S = 5.0
RECORD_HOURS = 24

register({
    "ui.temp.key.earlier": ("前24小时", "24 h earlier"),
    "ui.temp.key.later": ("后24小时", "24 h later"),
    "ui.temp.period": ("{start}–{end}（←/→ 换时段）", "{start}–{end} (←/→ other days)"),
    "ui.temp.col_excursion": ("超温记录", "Excursion"),
    "ui.temp.col_ack": ("确认（谁、何时）", "Acknowledged (who, when)"),
    "ui.temp.no_excursions": ("这 24 小时没有超温", "No excursion in these 24 hours"),
})


@dataclass
class TemperatureView:
    """Everything the screen shows, read in one go on the store thread."""

    fridges: list[temperatures.FridgeState] = field(default_factory=list)
    alarms: list[tuple[int, str]] = field(default_factory=list)  # (alarm id, words)
    record: temperatures.TemperatureRecord | None = None
    excursions: list[day_end.Excursion] = field(default_factory=list)
    line_errors: int = 0


def load_view(store: Store, lang: str, probe_id: str | None, end: datetime | None = None,
              tz: ZoneInfo | None = None) -> TemperatureView:
    """The fridges, the alarms to acknowledge, and the chosen fridge's 24 h up to ``end``."""
    db = store.db
    fridges = temperatures.fridge_states(db)
    alarms = [(a.id, alarm_text(db, a, lang, tz)) for a in temperatures.active_alarms(db)]
    chosen = probe_id or (fridges[0].fridge.probe_id if fridges else None)
    record, excursions = None, []
    if chosen is not None and any(f.fridge.probe_id == chosen for f in fridges):
        end = end or utcnow()
        start = end - timedelta(hours=RECORD_HOURS)
        record = temperatures.temperature_record(db, chosen, start, end)
        excursions = day_end.excursions(db, start, end, chosen)
    errors = sum(temperatures.line_error_counts(db).values())
    return TemperatureView(fridges, alarms, record, excursions, errors)


def record_line(record: temperatures.TemperatureRecord | None, lang: str) -> str:
    if record is None:
        return ""
    name = record.fridge.name
    if not record.readings:
        return t("ui.dev.temp.record_empty", lang, fridge=name)
    return t("ui.dev.temp.record_title", lang, fridge=name, n=len(record.readings),
             min=f"{record.min_c:.1f}", max=f"{record.max_c:.1f}", mean=f"{record.mean_c:.1f}",
             excursions=len(record.alarms))


def _fixed_columns(table: DataTable, headers: list[str], rows: list[list[str]]) -> None:
    """Columns as wide as their widest cell, fixed up front: a table that sizes them later,
    on a refresh of its own, shifts under the reader (and the snapshots)."""
    for i, header in enumerate(headers):
        table.add_column(header, width=max([cell_len(header)] + [cell_len(r[i]) for r in rows]))


class TemperatureScreen(Screen):
    CSS_PATH = "temperatures.tcss"
    BINDINGS = [
        Binding("escape", "back", "ui.dev.key.back"),
        Binding("f5", "acknowledge", "ui.dev.key.acknowledge"),
        Binding("f7", "back", show=False),
        Binding("left", "earlier", "ui.temp.key.earlier", show=False, priority=True),
        Binding("right", "later", "ui.temp.key.later", show=False, priority=True),
    ]

    def __init__(self, end: datetime | None = None) -> None:
        """``end``: show the 24 hours up to this moment and stay there; default: up to now."""
        super().__init__(id="dev-temperatures")
        self.view = TemperatureView()
        self.probe_id: str | None = None
        self.end = end
        self.tz = ZoneInfo(DEFAULT_TIMEZONE)

    def compose(self) -> ComposeResult:
        yield StatusBar(id="status-bar")
        yield Static(id="temp-title")
        yield DataTable(id="temp-fridges", cursor_type="row", zebra_stripes=True)
        yield Static(id="temp-alarms-title")
        yield DataTable(id="temp-alarms", cursor_type="row", show_header=False)
        yield Static(id="temp-record")
        yield TemperatureChart(id="temp-chart")
        yield DataTable(id="temp-excursions", cursor_type="row")
        yield Static(id="temp-errors")
        yield LocalFooter()

    def on_mount(self) -> None:
        cfg = getattr(self.app, "cfg", None)
        self.tz = ZoneInfo(getattr(cfg, "timezone", None) or DEFAULT_TIMEZONE)
        self.watch(self.app, "lang", lambda _lang: self.load(), init=False)
        self.set_interval(REFRESH_S, self.load)
        self.load()

    @work(exclusive=True, group="dev-temperatures")
    async def load(self) -> None:
        lang = self.app.lang  # type: ignore[attr-defined]
        self.view = await self.app.service.call(load_view, lang, self.probe_id, self.end, self.tz)  # type: ignore[attr-defined]
        self._draw(lang)

    def _draw(self, lang: str) -> None:
        v = self.view
        title = t("ui.dev.temp.title", lang)
        if v.record is not None:
            title += " · " + t("ui.temp.period", lang, start=local_time(v.record.start, tz=self.tz),
                               end=local_time(v.record.end, tz=self.tz))
        self.query_one("#temp-title", Static).update(title)
        self._draw_fridges(lang)
        self.query_one("#temp-alarms-title", Static).update(
            t("ui.dev.temp.alarms_title" if v.alarms else "ui.dev.temp.no_alarms", lang))
        alarms = self.query_one("#temp-alarms", DataTable)
        alarms.clear(columns=True)
        alarms.add_column("alarm")
        for alarm_id, words in v.alarms:
            alarms.add_row(f"🔔 {words}", key=str(alarm_id))
        alarms.display = bool(v.alarms)
        record = v.record
        # no probe: said in a line that wraps (a table cell clipped it to 'No fri' at 80x24)
        self.query_one("#temp-record", Static).update(
            record_line(record, lang) if v.fridges else t("ui.dev.temp.no_fridges", lang))
        chart = self.query_one("#temp-chart", TemperatureChart)
        chart.display = record is not None
        if record is not None:
            chart.show(chart_data(record, self.tz), lang)
        self._draw_excursions(lang)
        errors = self.query_one("#temp-errors", Static)
        errors.update(t("ui.dev.temp.line_errors", lang, count=v.line_errors) if v.line_errors else "")
        errors.display = bool(v.line_errors)

    def _draw_fridges(self, lang: str) -> None:
        table = self.query_one("#temp-fridges", DataTable)
        row = table.cursor_row
        table.clear(columns=True)
        cols = ("fridge", "zone", "now", "at", "limit", "state")
        rows: list[tuple[str, list[str]]] = []
        for s in self.view.fridges:
            f = s.fridge
            now = f"{s.last_c:.1f}°C" if s.last_c is not None else "—"
            rows.append((f.probe_id, [f.name, t(f"zone.{f.zone}", lang), now,
                                      local_time(s.last_at, tz=self.tz), f"≤{f.max_c:.0f}°C",
                                      t(f"ui.dev.temp.state.{s.state}", lang)]))
        _fixed_columns(table, [t(f"ui.dev.temp.col_{c}", lang) for c in cols],
                       [cells for _, cells in rows])
        table.display = bool(self.view.fridges)
        for key, cells in rows:
            table.add_row(*cells, key=key)
        if self.view.fridges:
            table.move_cursor(row=min(max(row, 0), len(self.view.fridges) - 1))

    def _draw_excursions(self, lang: str) -> None:
        table = self.query_one("#temp-excursions", DataTable)
        table.clear(columns=True)
        rows = [list(excursion_text(x, self.tz, lang)) for x in self.view.excursions]
        empty = [[t("ui.temp.no_excursions", lang), ""]] if not rows else []
        _fixed_columns(table, [t("ui.temp.col_excursion", lang), t("ui.temp.col_ack", lang)],
                       rows + empty)
        table.display = self.view.record is not None
        for cells in empty:
            table.add_row(*cells)
        for i, cells in enumerate(rows):
            table.add_row(*cells, key=str(i))

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        if event.data_table.id == "temp-fridges" and event.row_key is not None:
            key = event.row_key.value
            if key and key != self.probe_id:
                self.probe_id = key
                self.load()

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        if event.data_table.id == "temp-alarms":
            event.stop()
            self.action_acknowledge()

    def action_earlier(self) -> None:
        self.end = (self.end or utcnow()) - timedelta(hours=RECORD_HOURS)
        self.load()

    def action_later(self) -> None:
        """24 hours later; back at "now" it follows the clock again."""
        if self.end is None:
            self.app.bell()
            return
        later = self.end + timedelta(hours=RECORD_HOURS)
        self.end = None if later >= utcnow() else later
        self.load()

    def action_acknowledge(self) -> None:
        if not self.view.alarms:
            self.app.bell()
            return
        table = self.query_one("#temp-alarms", DataTable)
        index = min(max(table.cursor_row, 0), len(self.view.alarms) - 1)
        alarm_id, words = self.view.alarms[index]

        def done(ok: bool | None) -> None:
            link = getattr(self.app, "devices", None)
            if ok and link is not None:
                link.alarms_changed()
            self.load()

        self.app.push_screen(AckAlarmScreen(alarm_id, words), done)

    def action_back(self) -> None:
        self.app.pop_screen()
