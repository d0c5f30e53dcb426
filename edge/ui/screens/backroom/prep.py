"""Prep suggestions (the task board's ``r``): what to make or put out for the next hours.

One row per SKU (made-to-order first, then fresh), a column per hour, what the hours need,
what is on hand and what to prepare; under the table, how the highlighted figure was
reached. Enter accepts the highlighted suggestion, ``a`` all of them (a manager: prep tasks
synced to HQ); ``d`` marks the oldest prep task made (its units go into stock); ``+``/``-``
look more or fewer hours ahead. Re-read every ``REFRESH_S`` (a live stream moves it).
"""

from __future__ import annotations

from rich.cells import cell_len
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.signal import Signal
from textual.widgets import DataTable, Static

from edge.clock import utcnow
from edge.domain import prep
from edge.domain.errors import DomainError
from edge.domain.fulfil_i18n import error_message
from edge.domain.prep_i18n import explain_hour, explain_total, kind
from edge.i18n import t
from edge.present import local_time
from edge.store import Store
from edge.ui.context import UserContext
from edge.ui.widgets.footer import LocalFooter
from edge.ui.widgets.status_bar import StatusBar

REFRESH_S = 30.0
NAME_WIDTH = 16  # terminal columns of the product name (a Chinese character takes two)
TASKS_SHOWN = 3


def _read(store: Store, hours: int) -> tuple[list[prep.Suggestion], prep.Stream | None,
                                             list[prep.PrepTask]]:
    now = utcnow()
    return (prep.suggest(store.db, now=now, hours=hours), prep.running_stream(store.db, now),
            prep.open_tasks(store.db))


def _accept(store: Store, skus: list[str], actor: str, hours: int) -> list[str]:
    return [task.fields["prep_sku"] for task in
            prep.accept(store.db, skus, actor=actor, hours=hours, now=utcnow())]


def _finish(store: Store, task_id: str, actor: str) -> prep.PrepTask:
    return prep.finish(store.db, task_id, actor=actor, now=utcnow())


def fit(text: str, width: int) -> str:
    """Cut to ``width`` terminal columns (an ellipsis marks the cut)."""
    if cell_len(text) <= width:
        return text
    while cell_len(text) > width - 1:
        text = text[:-1]
    return text + "…"


def tasks_line(open_tasks: list[prep.PrepTask], lang: str) -> str:
    """The prep tasks still to make, oldest first (the panel and the board show it)."""
    if not open_tasks:
        return t("ui.prep.no_tasks", lang)
    items = ", ".join(f"{(p.name_zh if lang == 'zh-CN' else p.name_en)} ×{p.qty}"
                      for p in open_tasks[:TASKS_SHOWN])
    more = f" +{len(open_tasks) - TASKS_SHOWN}" if len(open_tasks) > TASKS_SHOWN else ""
    return t("ui.prep.tasks", lang, n=len(open_tasks), items=items + more)


class PrepScreen(UserContext, Screen[None]):
    """The manager's view of what the next hours will ask for, and why."""

    CSS_PATH = "prep.tcss"
    BINDINGS = [
        Binding("escape", "back", "ui.prep.key.back"),
        Binding("enter", "accept", "ui.prep.key.accept", priority=True),
        Binding("a", "accept_all", "ui.prep.key.accept_all"),
        Binding("d", "finish", "ui.prep.key.finish"),
        Binding("plus", "hours(1)", "ui.prep.key.more"),
        Binding("minus", "hours(-1)", "ui.prep.key.less"),
    ]

    def __init__(self, hours: int = prep.DEFAULT_HOURS) -> None:
        super().__init__(id="prep")
        self.hours = hours
        self.rows: list[prep.Suggestion] = []
        self.stream: prep.Stream | None = None
        self.open_tasks: list[prep.PrepTask] = []
        self.loaded = False
        self.shown: Signal[int] = Signal(self, "shown")  # tests wait on it

    def compose(self) -> ComposeResult:
        yield StatusBar(id="status-bar")
        yield Static(id="prep-title")
        yield Static(id="prep-stream")
        yield DataTable(id="prep-table", cursor_type="row", zebra_stripes=True)
        yield Static(id="prep-how")
        yield Static(id="prep-tasks")
        yield Static(id="prep-message")
        yield LocalFooter()

    def on_mount(self) -> None:
        self.watch(self.app, "lang", lambda _lang: self._draw(), init=False)
        self.set_interval(REFRESH_S, self.load)
        self.load()
        self.query_one("#prep-table", DataTable).focus()

    @work(exclusive=True, group="prep-load")
    async def load(self) -> None:
        self.rows, self.stream, self.open_tasks = await self.app.status_service.call(  # type: ignore[attr-defined]
            _read, self.hours)
        self.loaded = True
        self._draw()
        self.shown.publish(len(self.rows))

    # -- showing ----------------------------------------------------------------------------
    def _draw(self) -> None:
        lang = self.lang
        self.query_one("#prep-title", Static).update(
            Text(t("ui.prep.title", lang, hours=self.hours), style="bold"))
        s = self.stream
        self.query_one("#prep-stream", Static).update(
            t("ui.prep.stream", lang, rate=f"{s.orders_per_min:.1f}", channel=s.channel,
              at=local_time(s.as_of, with_date=False)) if s else t("ui.prep.no_stream", lang))
        table = self.query_one("#prep-table", DataTable)
        keep = self._current()
        table.clear(columns=True)
        hours = [f"{p.start:%H}{'时' if lang == 'zh-CN' else 'h'}" for p in (self.rows[0].hours if self.rows else [])]
        head = [t("ui.prep.col.sku", lang), t("ui.prep.col.kind", lang), *hours,
                t("ui.prep.col.demand", lang), t("ui.prep.col.on_hand", lang), t("ui.prep.col.prep", lang)]
        widths = [NAME_WIDTH, 5, *([4] * len(hours)), 4, 4, 4]
        for header, width in zip(head, widths):
            table.add_column(header, width=max(width, cell_len(header)))
        for row in self.rows:
            table.add_row(fit(row.name(lang), NAME_WIDTH), kind(row, lang),
                          *(f"{p.total:.1f}" if p.total < 9.95 else f"{p.total:.0f}" for p in row.hours),
                          str(row.demand), str(max(row.on_hand, 0)),
                          Text(str(row.prep), style="bold green" if row.prep else "dim"), key=row.sku)
        table.display = bool(self.rows)
        if keep is not None and keep in {r.sku for r in self.rows}:
            table.move_cursor(row=table.get_row_index(keep))
        self.query_one("#prep-tasks", Static).update(tasks_line(self.open_tasks, lang))
        self._explain()

    def _explain(self) -> None:
        lang = self.lang
        current = self._current()
        how = self.query_one("#prep-how", Static)
        if not self.loaded:
            how.update(t("ui.prep.loading", lang))
        elif current is None:
            how.update(t("ui.prep.empty", lang))
        else:
            row = next(r for r in self.rows if r.sku == current)
            # the sum right under the name: the box shows 6 lines and the hours wrap at 80
            # columns, so the line the manager acts on never falls off its end
            how.update("\n".join([f"{row.sku} {row.name(lang)}", explain_total(row, lang),
                                  *(explain_hour(part, lang) for part in row.hours)]))

    def _current(self) -> str | None:
        table = self.query_one("#prep-table", DataTable)
        if not self.rows or table.row_count == 0:
            return None
        return self.rows[min(max(table.cursor_row, 0), len(self.rows) - 1)].sku

    @on(DataTable.RowHighlighted, "#prep-table")
    def _highlighted(self, _event: DataTable.RowHighlighted) -> None:
        self._explain()

    def _say(self, text: str, error: bool = False) -> None:
        message = self.query_one("#prep-message", Static)
        message.update(text)
        message.set_class(error, "-error")

    # -- keys -------------------------------------------------------------------------------
    def action_accept(self) -> None:
        current = self._current()
        if current is None:
            self.app.bell()
            return
        self._accept([current])

    def action_accept_all(self) -> None:
        skus = [r.sku for r in self.rows if r.prep > 0]
        if not skus:
            self.app.bell()
            self._say(t("ui.prep.empty", self.lang), error=True)
            return
        self._accept(skus)

    @work(exclusive=True, group="prep-action")
    async def _accept(self, skus: list[str]) -> None:
        lang = self.lang
        try:
            made = await self.app.service.call(  # type: ignore[attr-defined]
                _accept, skus, self.signed_in_id, self.hours)
        except DomainError as exc:
            self.app.bell()
            self._say(error_message(exc, lang), error=True)
            return
        names = {r.sku: r for r in self.rows}
        self._say(t("ui.prep.accepted", lang, items=", ".join(
            f"{names[sku].name(lang) if sku in names else sku} ×{names[sku].prep if sku in names else ''}"
            for sku in made)))
        self.load()

    @work(exclusive=True, group="prep-action")
    async def action_finish(self) -> None:
        lang = self.lang
        if not self.open_tasks:
            self.app.bell()
            self._say(t("ui.prep.no_tasks", lang), error=True)
            return
        try:
            task = await self.app.service.call(  # type: ignore[attr-defined]
                _finish, self.open_tasks[0].task_id, self.signed_in_id)
        except DomainError as exc:
            self.app.bell()
            self._say(error_message(exc, lang), error=True)
            return
        name = task.name_zh if lang == "zh-CN" else task.name_en
        self._say(t("ui.prep.finished", lang, item=f"{name} ×{task.qty}"))
        self.load()

    def action_hours(self, step: int) -> None:
        hours = self.hours + step
        if not 1 <= hours <= prep.MAX_HOURS:
            self.app.bell()
            return
        self.hours = hours
        self.load()

    def action_back(self) -> None:
        if len(self.app.screen_stack) > 1:
            self.app.pop_screen()
