"""Fridges and freezers: the last reading of each, alarms to acknowledge, the last 24 hours.

Actions are on function keys, not letters: a keyboard-wedge scan typed while this screen is
open must not trigger them on its way to the counter.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import DataTable, Sparkline, Static

from edge.clock import parse_iso, utcnow
from edge.domain import temperatures
from edge.i18n import t
from edge.present import local_time
from edge.store import Store
from edge.ui import dev_text  # noqa: F401  (registers ui.dev.* strings)
from edge.ui.devices_link import alarm_text
from edge.ui.screens.devices.ack_alarm import AckAlarmScreen
from edge.ui.widgets.footer import LocalFooter
from edge.ui.widgets.status_bar import StatusBar

REFRESH_S = 5.0
RECORD_HOURS = 24


@dataclass
class TemperatureView:
    """Everything the screen shows, read in one go on the store thread."""

    fridges: list[temperatures.FridgeState] = field(default_factory=list)
    alarms: list[tuple[int, str]] = field(default_factory=list)  # (alarm id, words)
    record: temperatures.TemperatureRecord | None = None
    line_errors: int = 0


def load_view(store: Store, lang: str, probe_id: str | None) -> TemperatureView:
    db = store.db
    fridges = temperatures.fridge_states(db)
    alarms = [(a.id, alarm_text(db, a, lang)) for a in temperatures.active_alarms(db)]
    chosen = probe_id or (fridges[0].fridge.probe_id if fridges else None)
    record = None
    if chosen is not None and any(f.fridge.probe_id == chosen for f in fridges):
        end = utcnow()
        record = temperatures.temperature_record(db, chosen, end - timedelta(hours=RECORD_HOURS), end)
    errors = sum(temperatures.line_error_counts(db).values())
    return TemperatureView(fridges, alarms, record, errors)


def record_line(record: temperatures.TemperatureRecord | None, lang: str) -> str:
    if record is None:
        return ""
    name = record.fridge.name
    if not record.readings:
        return t("ui.dev.temp.record_empty", lang, fridge=name)
    return t("ui.dev.temp.record_title", lang, fridge=name, n=len(record.readings),
             min=f"{record.min_c:.1f}", max=f"{record.max_c:.1f}", mean=f"{record.mean_c:.1f}",
             excursions=len(record.alarms))


def record_points(record: temperatures.TemperatureRecord | None, buckets: int = 48) -> list[float]:
    """The record squeezed to ``buckets`` points (the max of each slot) for the sparkline."""
    if record is None or not record.readings:
        return []
    span = (record.end - record.start).total_seconds() / buckets
    slots: dict[int, float] = {}
    for at, c in record.readings:
        i = min(buckets - 1, int((parse_iso(at) - record.start).total_seconds() // span))
        slots[i] = max(c, slots.get(i, c))
    return [slots[i] for i in sorted(slots)]


class TemperatureScreen(Screen):
    CSS_PATH = "temperatures.tcss"
    BINDINGS = [
        Binding("escape", "back", "ui.dev.key.back"),
        Binding("f5", "acknowledge", "ui.dev.key.acknowledge"),
        Binding("f7", "back", show=False),
    ]

    def __init__(self) -> None:
        super().__init__(id="dev-temperatures")
        self.view = TemperatureView()
        self.probe_id: str | None = None

    def compose(self) -> ComposeResult:
        yield StatusBar(id="status-bar")
        yield Static(id="temp-title")
        yield DataTable(id="temp-fridges", cursor_type="row", zebra_stripes=True)
        yield Static(id="temp-alarms-title")
        yield DataTable(id="temp-alarms", cursor_type="row", show_header=False)
        yield Static(id="temp-record")
        yield Sparkline([], id="temp-spark")
        yield Static(id="temp-errors")
        yield LocalFooter()

    def on_mount(self) -> None:
        self.watch(self.app, "lang", lambda _lang: self.load(), init=False)
        self.set_interval(REFRESH_S, self.load)
        self.load()

    @work(exclusive=True, group="dev-temperatures")
    async def load(self) -> None:
        lang = self.app.lang  # type: ignore[attr-defined]
        self.view = await self.app.service.call(load_view, lang, self.probe_id)  # type: ignore[attr-defined]
        self._draw(lang)

    def _draw(self, lang: str) -> None:
        v = self.view
        self.query_one("#temp-title", Static).update(t("ui.dev.temp.title", lang))
        self._draw_fridges(lang)
        self.query_one("#temp-alarms-title", Static).update(
            t("ui.dev.temp.alarms_title" if v.alarms else "ui.dev.temp.no_alarms", lang))
        alarms = self.query_one("#temp-alarms", DataTable)
        alarms.clear(columns=True)
        alarms.add_column("alarm")
        for alarm_id, words in v.alarms:
            alarms.add_row(f"🔔 {words}", key=str(alarm_id))
        self.query_one("#temp-record", Static).update(record_line(v.record, lang))
        self.query_one("#temp-spark", Sparkline).data = record_points(v.record)
        self.query_one("#temp-errors", Static).update(
            t("ui.dev.temp.line_errors", lang, count=v.line_errors) if v.line_errors else "")

    def _draw_fridges(self, lang: str) -> None:
        table = self.query_one("#temp-fridges", DataTable)
        row = table.cursor_row
        table.clear(columns=True)
        cols = ("fridge", "zone", "now", "at", "limit", "state")
        table.add_columns(*(t(f"ui.dev.temp.col_{c}", lang) for c in cols))
        if not self.view.fridges:
            table.add_row(t("ui.dev.temp.no_fridges", lang), "", "", "", "", "")
        for s in self.view.fridges:
            f = s.fridge
            now = f"{s.last_c:.1f}°C" if s.last_c is not None else "—"
            state = t(f"ui.dev.temp.state.{s.state}", lang)
            table.add_row(f.name, t(f"zone.{f.zone}", lang), now, local_time(s.last_at),
                          f"≤{f.max_c:.0f}°C", state, key=f.probe_id)
        if self.view.fridges:
            table.move_cursor(row=min(max(row, 0), len(self.view.fridges) - 1))

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
