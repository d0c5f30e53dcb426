"""Demo pickup codes for newcomers: pick one and the counter scans it."""

from __future__ import annotations

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import DataTable, Static

from edge import demo
from edge.demo_data import PEOPLE
from edge.i18n import t
from sync.pickup_code import format_code
from edge.ui.widgets.footer import LocalFooter
from edge.ui.widgets.status_bar import StatusBar


class DemoCodesScreen(Screen[str | None]):
    """Dismisses with the chosen code (the counter checks it), or None on Esc."""

    BINDINGS = [Binding("escape", "back", "ui.key.cancel"),
                Binding("c", "camera", "ui.key.demo_camera")]

    def __init__(self) -> None:
        super().__init__(id="demo-codes")
        self.codes: list[dict] = []

    def compose(self) -> ComposeResult:
        yield StatusBar(id="status-bar")
        yield Static(id="demo-title", classes="dialog-title")
        yield DataTable(id="demo-table", cursor_type="row", zebra_stripes=True)
        yield Static(id="demo-people")
        yield LocalFooter()

    def on_mount(self) -> None:
        self.watch(self.app, "lang", lambda _lang: self._relabel(), init=False)
        self.load()

    @work(exclusive=True, group="demo-codes")
    async def load(self) -> None:
        self.codes = await self.app.service.call(demo.demo_codes)  # type: ignore[attr-defined]
        self._relabel()
        self.query_one("#demo-table", DataTable).focus()

    def _relabel(self) -> None:
        lang = self.app.lang  # type: ignore[attr-defined]
        self.query_one("#demo-title", Static).update(
            t("ui.demo.title", lang) if self.codes else t("ui.demo.none", lang))
        table = self.query_one("#demo-table", DataTable)
        row = table.cursor_row
        table.clear(columns=True)
        table.add_columns(*(t(f"ui.demo.{c}", lang) for c in ("code", "order_no", "status", "scenario")))
        for c in self.codes:
            table.add_row(format_code(c["code"]), c["order_no"], t("status." + c["status"], lang),
                          t("ui.scenario." + c["scenario"], lang), key=c["code"])
        if self.codes:
            table.move_cursor(row=min(row, len(self.codes) - 1))
        people = "  ".join(f"{cid} {name}（{t('ui.role.' + role, lang)}）PIN {pin}"
                           for cid, name, role, pin in PEOPLE)
        self.query_one("#demo-people", Static).update(f"{t('ui.demo.people', lang)} {people}")

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.dismiss(str(event.row_key.value))

    def action_camera(self) -> None:
        """Hold the demo's codes up to the demo camera: it reads its image folder once."""
        link = getattr(self.app, "devices", None)
        started = link.hub.play_cameras() if link is not None else 0
        lang = self.app.lang  # type: ignore[attr-defined]
        if started:
            self.dismiss(None)  # back to the counter, where the camera's reads arrive
            self.app.notify(t("ui.demo.camera_playing", lang))
        else:
            self.notify(t("ui.demo.no_camera", lang), severity="warning")

    def action_back(self) -> None:
        self.dismiss(None)
