"""What the pick and pack screens share: one order or a wave, a scan field on top, a table
of what is left, a message line that says what the last scan did, the keys' help.

A subclass names its ``PART`` (widget ids ``#<part>-title``, ``-scan``, ``-progress``,
``-table``, ``-message``, ``-help``; i18n keys ``ui.<part>.title``, ``.placeholder``,
``.help``, ``.loading``), fills the table in ``show_table``, says what the list as a whole
means in ``idle_message``, and handles a scan (from the field, or any scanner through
``take_scan``) in ``scan``. Scans are applied one after the other, in the order they came:
at scanner speed each must see the result of the one before.
"""

from __future__ import annotations

import asyncio
from abc import ABCMeta, abstractmethod
from collections.abc import Awaitable

from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.screen import Screen
from textual.widgets import DataTable, Static

from edge.i18n import t
from edge.ui.widgets.footer import LocalFooter
from edge.ui.widgets.scan_field import ScanField
from edge.ui.widgets.status_bar import StatusBar
from edge.ui.context import UserContext

SHOWN_ORDERS = 4  # order numbers in the title; more are "…"


class _AbstractScreenMeta(type(Screen), ABCMeta):  # type: ignore[misc]
    """Textual's screen metaclass with abc's: a wave screen must fill in its hooks."""


class WaveScreen(UserContext, Screen[None], metaclass=_AbstractScreenMeta):
    CSS_PATH = "fulfil.tcss"
    PART = ""

    def __init__(self, order_nos: list[str]) -> None:
        super().__init__(id=self.PART)
        self.order_nos = list(dict.fromkeys(order_nos))
        self.message: tuple[str, str] = ("", "")  # (text, level: ok | warn | error | info)
        self.one_at_a_time = asyncio.Lock()

    def compose(self) -> ComposeResult:
        part = self.PART
        yield StatusBar(id="status-bar")
        yield Static(id=f"{part}-title", classes="wave-title")
        with Horizontal(classes="wave-scan-row"):
            yield ScanField(id=f"{part}-scan", max_length=64, classes="wave-scan")
            yield Static(id=f"{part}-progress", classes="wave-progress")
        yield DataTable(id=f"{part}-table", cursor_type="row", zebra_stripes=True,
                        classes="wave-table")
        yield Static(id=f"{part}-message", classes="wave-message")
        yield Static(id=f"{part}-help", classes="wave-help")
        yield LocalFooter()

    def on_mount(self) -> None:
        self.watch(self.app, "lang", lambda _lang: self.show(), init=False)
        self.query_one(ScanField).focus()
        self.say(t(f"ui.{self.PART}.loading", self.lang), "info")
        # which orders are open here lives only in memory: saved, so a restart reopens them
        self.app.session.put("wave", {"part": self.PART, "order_nos": self.order_nos})  # type: ignore[attr-defined]
        self.reload()


    @property
    def table(self) -> DataTable:
        return self.query_one(f"#{self.PART}-table", DataTable)

    # -- to fill in ------------------------------------------------------------------------------
    @abstractmethod
    def reload(self) -> None:
        """Read the wave again (a worker) and ``show`` it."""

    @abstractmethod
    def show_table(self) -> None:
        """Draw the table from what ``reload`` read."""

    def idle_message(self) -> tuple[str, str]:
        """What the message line says when the last action has nothing to say."""
        return "", ""

    @abstractmethod
    async def handle_scan(self, text: str) -> None:
        """A product or slot scanned (or typed) into the screen."""

    # -- shared ----------------------------------------------------------------------------------
    def show(self) -> None:
        """Title, help and table afresh (after a read, or in another language)."""
        lang, part = self.lang, self.PART
        if self.message[0] == t(f"ui.{part}.loading", lang):
            self.message = ("", "")
        shown = ", ".join(self.order_nos[:SHOWN_ORDERS])
        if len(self.order_nos) > SHOWN_ORDERS:
            shown += " …"
        self.query_one(f"#{part}-title", Static).update(
            t(f"ui.{part}.title", lang, count=len(self.order_nos), orders=shown))
        self.query_one(ScanField).placeholder = t(f"ui.{part}.placeholder", lang)
        self.query_one(f"#{part}-help", Static).update(t(f"ui.{part}.help", lang))
        self.show_table()
        self.paint_message()

    def progress(self, text: str) -> None:
        self.query_one(f"#{self.PART}-progress", Static).update(text)

    def say(self, text: str, level: str) -> None:
        self.message = (text, level)
        if self.is_mounted:
            self.paint_message()

    def paint_message(self) -> None:
        text, level = self.message if self.message[0] else self.idle_message()
        widget = self.query_one(f"#{self.PART}-message", Static)
        widget.update(text)
        widget.set_classes(f"wave-message -{level}" if level else "wave-message")

    def selected_key(self) -> str | None:
        table = self.table
        if not table.row_count:
            return None
        return table.coordinate_to_cell_key((table.cursor_row, 0)).row_key.value

    def move_cursor(self, step: int) -> None:
        table = self.table
        if table.row_count:
            table.move_cursor(row=max(0, min(table.row_count - 1, table.cursor_row + step)))

    def on_scan_field_scanned(self, event: ScanField.Scanned) -> None:
        event.stop()
        self.query_one(ScanField).value = ""
        if event.value.strip():
            self.scan(event.value)

    def take_scan(self, text: str) -> bool:
        """A scan from any scanner while this screen is open belongs here."""
        self.scan(text)
        return True

    def scan(self, text: str) -> None:
        self.in_turn(self.handle_scan(text))

    def in_turn(self, action: Awaitable[None]) -> None:
        """Run a scan or a key's action after the ones before it (a worker)."""
        self.run_worker(self._in_turn(action), group=f"{self.PART}-scan")

    async def _in_turn(self, action: Awaitable[None]) -> None:
        async with self.one_at_a_time:
            await action

    def action_back(self) -> None:
        self.app.session.forget("wave")  # type: ignore[attr-defined]
        self.dismiss(None)
