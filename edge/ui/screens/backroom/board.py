"""The task board (F12): every open order to prepare, by when it must be ready.

Rows are read once (on the background-read connection, so the counter never queues behind
the board) and then filtered, searched and counted in memory on every key; the table draws
only the rows on screen (VirtualTable). New orders from HQ appear without a restart: every
REFRESH_S the board asks SQLite whether another connection committed (PRAGMA data_version,
one cheap statement) and only then reads the rows again; a row acted on from here (the
wave back from pick or pack) is re-read alone and redrawn in place. The app keeps one board
(installed screen): coming back shows it at once with its filters, selection and cursor.
Orders that arrived since the board was first shown carry ★ until the cursor has been on
them.

Keys: / search, s z c w cycle the status / zone / channel / window filters, x clears them,
space selects orders for a wave, p opens the pick list and k packing for the selection (or
the highlighted order).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.signal import Signal
from textual.widgets import Input, Static

from edge.clock import utcnow
from edge.domain import board, delivery_eta, prep
from edge.domain import delivery_i18n  # noqa: F401  (the delivery countdown's words)
from edge.domain import board_i18n  # noqa: F401  (registers board.* and ui.board.* words)
from edge.domain.orders import CHANNELS, ZONES
from edge.i18n import t
from edge.present import timing_text, usual_text
from edge.store import Store
from edge.ui.screens.backroom.pack import PackScreen
from edge.ui.screens.backroom.pick import PickScreen
from edge.ui.screens.backroom.prep import PrepScreen, tasks_line
from edge.ui.widgets.footer import LocalFooter
from edge.ui.widgets.status_bar import StatusBar
from edge.ui.widgets.virtual_table import VirtualTable, header_line
from edge.ui.context import UserContext
from edge.present import short_order_no

REFRESH_S = 2.0
SCREEN_NAME = "task-board"  # the app keeps one board, installed under this name
COLUMNS = ("mark", "order", "window", "channel", "lines", "zones", "status", "late", "customer")
WIDTHS = (2, 14, 11, 6, 2, 6, 7, 12, 5)
STATUS_STYLE = {"new": "bold cyan", "picking": "yellow", "packed": "magenta", "ready": "green",
                "waiting": "dim italic"}  # pre-sale orders waiting for goods (tab s, or search)
FILTER_CYCLES: dict[str, tuple[str | None, ...]] = {
    "status": (None, *board.BOARD_STATUSES),
    "zone": (None, *ZONES),
    "channel": (None, *CHANNELS),
    "window": (None, *board.WINDOWS),
}


def _load(store: Store, now: datetime, reminder_hours: float) -> tuple[int, list[board.BoardRow]]:
    return board.data_version(store.db), board.board_rows(store.db, now=now,
                                                          reminder_hours=reminder_hours)


def _usual(store: Store, now: datetime) -> delivery_eta.UsualTimes:
    return delivery_eta.usual_times(store.db, now)


def _prep_tasks(store: Store) -> list[prep.PrepTask]:
    return prep.open_tasks(store.db)


def _version(store: Store) -> int:
    return board.data_version(store.db)


def prefetch(app) -> None:
    """At start-up, read the board's rows in the background (the status thread), so the
    first F12 (a manager lands on the board right after signing in) shows them at once."""
    hours = getattr(getattr(app, "cfg", None), "made_to_order_reminder_h",
                    board.DEFAULT_REMINDER_HOURS)

    async def read() -> None:
        now = utcnow()
        version, rows = await app.status_service.call(_load, now, hours)
        if not app.is_screen_installed(SCREEN_NAME):  # nobody opened the board meanwhile
            app.board_prefetched = (now, version, rows)

    app.run_worker(read(), group="board-prefetch", exit_on_error=False)


def timing_cell(row: board.BoardRow, now: datetime, lang: str) -> Text:
    """How late the order is running (red), or the time left (dim)."""
    text, urgency = timing_text(row, now, lang)
    return Text(text, style={"late": "bold red", "risk": "bold yellow", "left": "dim"}.get(urgency, ""))


def _status_cell(row: board.BoardRow, lang: str) -> Text:
    if row.order_status == "delivery_failed":  # back from a failed delivery: the manager decides
        return Text(t("status.delivery_failed", lang), style="bold red")
    return Text(t(f"board.status.{row.status}", lang), style=STATUS_STYLE[row.status])


def order_cell(order_no: str, store_id: str, width: int = WIDTHS[1]) -> str:
    """An order number that fits its column: without this store's own prefix (HQ numbers
    its orders S001-…), and if still too long its end, which tells orders apart."""
    short = short_order_no(order_no, store_id)
    return short if len(short) <= width else "…" + short[-(width - 1):]


def window_cell(row: board.BoardRow, now: datetime, lang: str) -> str:
    """Today's windows as 14:00-20:00, other days as 12-03 14:00 (local time)."""
    start, end = row.window_start.astimezone(), row.window_end.astimezone()
    if row.is_delivery:  # by the promised time
        return t("board.delivery_by", lang, at=f"{end:%H:%M}")
    if start.date() == now.astimezone().date():
        return f"{start:%H:%M}-{end:%H:%M}"
    return f"{start:%m-%d %H:%M}"


class TaskBoardScreen(UserContext, Screen[None]):
    """The manager's first screen: what to prepare next, and a wave to pick."""

    CSS_PATH = "board.tcss"
    BINDINGS = [
        Binding("escape", "back", "ui.board.key.back"),
        Binding("slash", "search", "ui.board.key.search"),
        Binding("space", "toggle_select", "ui.board.key.select"),
        Binding("p", "pick", "ui.board.key.pick"),
        Binding("k", "pack", "ui.board.key.pack"),
        Binding("r", "prep", "ui.board.key.prep"),
        Binding("s", "cycle('status')", show=False),
        Binding("z", "cycle('zone')", show=False),
        Binding("c", "cycle('channel')", show=False),
        Binding("w", "cycle('window')", show=False),
        Binding("x", "clear_filters", show=False),
    ]

    def __init__(self) -> None:
        super().__init__(id="task-board")
        self.rows: list[board.BoardRow] = []
        self.by_no: dict[str, board.BoardRow] = {}
        self.shown: list[board.BoardRow] = []
        self.counts: dict[str, int] = dict.fromkeys(board.BOARD_STATUSES, 0)
        self.due: list[str] = []  # made-to-order orders to start now
        self.usual: delivery_eta.UsualTimes | None = None  # when delivery orders are open
        self.prep_tasks: list[prep.PrepTask] = []  # accepted prep suggestions not made yet
        self.filter = board.BoardFilter()
        self.selected: set[str] = set()
        self.wave: list[str] = []  # the orders last sent to pick or pack
        self.loaded = False
        self.reading = False
        self.version: int | None = None
        self.now = utcnow()
        # published from the frame that draws changed rows (tests and the bench wait on it)
        self.rows_shown: Signal[int] = Signal(self, "rows_shown")

    # -- layout -----------------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        yield StatusBar(id="status-bar")
        yield Static(id="board-counts")
        yield Static(id="board-filters")
        yield Input(id="board-search", compact=True, max_length=40)
        yield Static(id="board-reminder")
        yield Static(id="board-delivery")
        yield Static(id="board-prep")
        yield Static(id="board-header")
        yield Static(id="board-empty")
        yield VirtualTable(self._cells, id="board-table")
        yield LocalFooter()

    def on_mount(self) -> None:
        self.watch(self.app, "lang", lambda _lang: self._relabel(), init=False)
        self.query_one("#board-table", VirtualTable).set_columns(WIDTHS)
        self._relabel()
        self.set_interval(REFRESH_S, self.poll)
        self.load()
        self.query_one("#board-table", VirtualTable).focus()

    def on_screen_resume(self) -> None:
        """Shown again (the board is kept between visits, with its filters and cursor): the
        wave just picked or packed is redrawn at once, everything else if it changed."""
        if not self.loaded:
            return
        count = len(self.shown)
        self.query_one("#board-table", VirtualTable).when_drawn(
            lambda: self.rows_shown.publish(count))
        if self.wave:
            self.run_worker(self.refresh_orders(self.wave), group="board-load")
            self.wave = []
        self.run_worker(self.poll(), group="board-poll")

    # -- data -------------------------------------------------------------------------------------

    @property
    def reminder_hours(self) -> float:
        cfg = getattr(self.app, "cfg", None)
        return getattr(cfg, "made_to_order_reminder_h", board.DEFAULT_REMINDER_HOURS)

    @property
    def seen(self) -> set[str]:
        """Orders someone has looked at on this terminal (kept on the app across visits)."""
        seen = getattr(self.app, "board_seen", None)
        if seen is None:
            seen = set()
            self.app.board_seen = seen  # type: ignore[attr-defined]
        return seen

    @work(exclusive=True, group="board-load")
    async def load(self) -> None:
        prefetched = getattr(self.app, "board_prefetched", None)
        if prefetched is not None and not self.loaded:  # read at start-up: show it now,
            self.app.board_prefetched = None  # type: ignore[attr-defined]
            now, version, rows = prefetched  # and check at once whether it is still current
            self.call_after_refresh(lambda: self.run_worker(self.poll(), group="board-poll"))
        else:
            now = utcnow()
            self.reading = True
            try:
                version, rows = await self.app.status_service.call(  # type: ignore[attr-defined]
                    _load, now, self.reminder_hours)
            finally:
                self.reading = False
        if any(row.is_delivery for row in rows):
            self.usual = await self.app.status_service.call(_usual, now)  # type: ignore[attr-defined]
        else:
            self.usual = None
        first_visit = not getattr(self.app, "board_seen", None) and not self.loaded
        self.now, self.version, self.rows = now, version, rows
        self.by_no = {row.order_no: row for row in rows}
        if first_visit:  # what is there when the board is first opened is not news
            self.seen.update(self.by_no)
        self.selected &= self.by_no.keys()
        self.due = [row.order_no for row in board.reminders_due(rows)]
        self.prep_tasks = await self.app.status_service.call(_prep_tasks)  # type: ignore[attr-defined]
        self.loaded = True
        self.apply_filter()

    async def poll(self) -> None:
        """On the timer: read the rows again only if the database changed."""
        if not self.loaded or self.reading or not self.is_current:
            return  # a read still running is not cut short by the next tick (a busy store)
        version = await self.app.status_service.call(_version)  # type: ignore[attr-defined]
        if version != self.version:
            self.load()
        elif utcnow() - self.now > timedelta(minutes=1):  # only time moved: no reading
            self.now = utcnow()
            board.retime(self.rows, self.now, self.reminder_hours)
            self.due = [row.order_no for row in board.reminders_due(self.rows)]
            self.query_one("#board-table", VirtualTable).invalidate()
            self.apply_filter()

    async def refresh_orders(self, order_nos: list[str]) -> None:
        """Re-read only these orders (after an action on them) and redraw their rows; when
        none of them joins or leaves what the filters show, nothing else is worked out again."""
        now, hours = self.now, self.reminder_hours

        def read(store: Store) -> list[tuple[str, board.BoardRow | None]]:
            return [(no, board.board_row(store.db, no, now=now, reminder_hours=hours))
                    for no in order_nos]

        fresh = await self.app.status_service.call(read)  # type: ignore[attr-defined]
        check = board.matcher(self.filter, now)
        in_place = True
        for order_no, row in fresh:
            old = self.by_no.get(order_no)
            if old is None or row is None or check(old)[1] != check(row)[1]:
                in_place = False  # it joins or leaves the rows shown
                break
            if check(old)[0]:
                self.counts[old.status] -= 1
            if check(row)[0]:
                self.counts[row.status] += 1
            self.by_no[order_no] = row
            for rows in (self.rows, self.shown):
                index = next((i for i, r in enumerate(rows) if r is old), None)
                if index is not None:
                    rows[index] = row
        if not in_place:
            for order_no, row in fresh:
                if row is None:
                    self.by_no.pop(order_no, None)
                    self.selected.discard(order_no)
                else:
                    self.by_no[order_no] = row
            self.rows = sorted((r for r in self.by_no.values()),
                               key=lambda r: (r.due, r.order_no))
        self.due = [row.order_no for row in board.reminders_due(self.rows)]
        table = self.query_one("#board-table", VirtualTable)
        table.invalidate(order_nos)
        if not in_place:
            self.apply_filter()
            return
        self._draw_head()
        count = len(self.shown)
        table.when_drawn(lambda: self.rows_shown.publish(count))

    # -- showing ----------------------------------------------------------------------------------
    def apply_filter(self) -> None:
        """Filter and search in memory, then hand the table the keys (it draws what is seen)."""
        view = board.view(self.rows, self.filter, self.now)
        self.shown, self.counts = view.rows, view.counts
        table = self.query_one("#board-table", VirtualTable)
        table.set_rows([row.order_no for row in self.shown])
        self._draw_head()
        count = len(self.shown)
        table.when_drawn(lambda: self.rows_shown.publish(count))

    def _cells(self, order_no: str) -> list[Text | str]:
        row = self.by_no[order_no]
        lang, now = self.lang, self.now
        if order_no in self.selected:
            mark = Text("●", style="bold green")
        elif order_no not in self.seen:
            mark = Text("★", style="bold yellow")
        else:
            mark = Text(" ")
        if row.reminder:
            mark.append("!", style="bold magenta")
        zones = "".join(t(f"board.zone.{z}", lang) for z in row.zones)
        return [mark, Text(order_cell(order_no, self.app.store_id),  # type: ignore[attr-defined]
                           style="bold magenta" if row.reminder else ""),
                window_cell(row, now, lang), t(f"board.channel.{row.channel}", lang), str(row.lines),
                zones, _status_cell(row, lang),
                timing_cell(row, now, lang), row.customer_masked]

    def _draw_head(self) -> None:
        lang = self.lang
        counts = self.counts
        head = Text(t("ui.board.title", lang) + "  ", style="bold")
        for status in board.BOARD_STATUSES:
            if status == board.WAITING and not counts[status] and self.filter.status != status:
                continue  # no pre-sale waiting for goods: no tab for it
            label = t("ui.board.counts", lang, label=t(f"board.status.{status}", lang), n=counts[status])
            chosen = self.filter.status == status
            head.append(label, style=("reverse " if chosen else "") + STATUS_STYLE[status])
            head.append(" ")
        head.append(t("ui.board.total", lang,
                      n=sum(n for status, n in counts.items() if status != board.WAITING)))
        unseen = sum(1 for no in self.by_no if no not in self.seen)
        if unseen:
            head.append("  " + t("ui.board.unseen", lang, n=unseen), style="bold yellow")
        if self.selected:
            head.append("  " + t("ui.board.selected", lang, n=len(self.selected)), style="bold green")
        self._set("#board-counts", head)
        every = t("ui.board.all", lang)
        f = self.filter
        self._set("#board-filters", t(
            "ui.board.filters", lang,
            status=t(f"board.status.{f.status}", lang) if f.status else every,
            zone=t(f"zone.{f.zone}", lang) if f.zone else every,
            channel=t(f"board.channel.{f.channel}", lang) if f.channel else every,
            window=t(f"board.window.{f.window}", lang) if f.window else every))
        due = self.due
        reminder = self.query_one("#board-reminder", Static)
        if reminder.display != bool(due):
            reminder.display = bool(due)
        if due:
            more = f" +{len(due) - 3}" if len(due) > 3 else ""
            store_id = self.app.store_id  # type: ignore[attr-defined]
            self._set("#board-reminder", t(
                "ui.board.reminder", lang, hours=f"{self.reminder_hours:g}",
                orders=", ".join(order_cell(no, store_id) for no in due[:3]) + more))
        helper = self.query_one("#board-delivery", Static)
        if helper.display != (self.usual is not None):
            helper.display = self.usual is not None
        if self.usual is not None:
            self._set("#board-delivery", usual_text(self.usual, lang))
        self._draw_prep()
        empty = self.query_one("#board-empty", Static)
        show_empty = not self.loaded or not self.shown
        if empty.display != show_empty:
            empty.display = show_empty
        if not show_empty:
            return
        if not self.loaded:
            empty.update(t("ui.board.loading", lang))
        elif not self.rows:
            empty.update(t("ui.board.empty", lang))
        else:
            empty.update(t("ui.board.empty_filtered", lang, n=len(self.rows)))

    def _draw_prep(self) -> None:
        """The prep tasks accepted and not made yet, one line (hidden when there are none)."""
        line = self.query_one("#board-prep", Static)
        if line.display != bool(self.prep_tasks):
            line.display = bool(self.prep_tasks)
        if self.prep_tasks:
            self._set("#board-prep", tasks_line(self.prep_tasks, self.lang))

    def _set(self, wid: str, content: Text | str) -> None:
        """Update a one-line part only when it changed, without a new layout (fixed height)."""
        widget = self.query_one(wid, Static)
        if str(widget.content) != str(content) or (
                isinstance(content, Text) and widget.content != content):
            widget.update(content, layout=False)

    def _relabel(self) -> None:
        lang = self.lang
        self.query_one("#board-search", Input).placeholder = t("ui.board.search_placeholder", lang)
        titles = ["", *(t(f"ui.board.col.{c}", lang) for c in COLUMNS[1:])]
        self.query_one("#board-header", Static).update(header_line(titles, WIDTHS))
        self.query_one("#board-table", VirtualTable).invalidate()
        self._draw_head()

    # -- keys -------------------------------------------------------------------------------------
    @on(VirtualTable.Highlighted, "#board-table")
    def _looked_at(self, event: VirtualTable.Highlighted) -> None:
        if event.key is not None and event.key not in self.seen and self.loaded:
            self.seen.add(event.key)
            event.table.invalidate([event.key])
            self._draw_head()

    @on(Input.Changed, "#board-search")
    def _searched(self, event: Input.Changed) -> None:
        self.filter = board.BoardFilter(**{**vars(self.filter), "search": event.value})
        self.apply_filter()

    @on(Input.Submitted, "#board-search")
    def _search_done(self, event: Input.Submitted) -> None:
        self.query_one("#board-table", VirtualTable).focus()

    def action_search(self) -> None:
        self.query_one("#board-search", Input).focus()

    def action_cycle(self, name: str) -> None:
        values = FILTER_CYCLES[name]
        current = getattr(self.filter, name)
        following = values[(values.index(current) + 1) % len(values)]
        self.filter = board.BoardFilter(**{**vars(self.filter), name: following})
        self.apply_filter()

    def action_clear_filters(self) -> None:
        self.filter = board.BoardFilter(search=self.filter.search)
        self.apply_filter()

    def action_toggle_select(self) -> None:
        table = self.query_one("#board-table", VirtualTable)
        key = table.current_key
        if key is None:
            self.app.bell()
            return
        self.selected.symmetric_difference_update({key})
        table.invalidate([key])
        table.action_cursor(1)
        self._draw_head()

    def chosen(self) -> list[str]:
        """The wave: selected orders in board order, else the highlighted one."""
        if self.selected:
            return [row.order_no for row in self.rows if row.order_no in self.selected]
        key = self.query_one("#board-table", VirtualTable).current_key
        return [key] if key else []

    def action_pick(self) -> None:
        self._open("pick")

    def action_pack(self) -> None:
        self._open("pack")

    def _open(self, what: str) -> None:
        order_nos = self.chosen()
        if not order_nos:
            self.app.bell()
            self.notify(t("ui.board.choose_first", self.lang), severity="warning")
            return
        self.app.push_screen(PickScreen(order_nos) if what == "pick" else PackScreen(order_nos))
        self.wave = order_nos
        self.selected.clear()

    def action_prep(self) -> None:
        self.app.push_screen(PrepScreen())
        self.wave = []

    def action_back(self) -> None:
        search = self.query_one("#board-search", Input)
        if search.has_focus or search.value:
            search.value = ""
            self.query_one("#board-table", VirtualTable).focus()
            return
        if len(self.app.screen_stack) > 1:
            self.app.pop_screen()
