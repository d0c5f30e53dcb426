"""A table that draws only the rows on screen: thousands of rows, filtered per keystroke.

Textual's DataTable builds every row up front (about a second for 5,000 rows, and removing
rows is slower still), which a task board after a live stream cannot afford on each key.
This one holds a list of row keys and asks its owner for a row's cells only when that row
is drawn (cached until the owner says the row changed), so replacing the whole list or
updating one row costs the same as drawing one screen.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual.binding import Binding
from textual.geometry import Region, Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

Cells = Sequence[Text | str]
GAP = 1  # columns between cells
CACHE_ROWS = 256  # drawn rows kept; scrolling back redraws the rest (cheap), memory stays flat


def fit(cell: Text | str, width: int) -> Text:
    """A cell cut or padded to exactly ``width`` terminal columns (CJK counts double)."""
    text = cell.copy() if isinstance(cell, Text) else Text(cell)
    text.truncate(width, overflow="ellipsis", pad=True)
    return text


def header_line(titles: Sequence[str], widths: Sequence[int]) -> Text:
    """Column titles laid out like the rows below them."""
    return Text(" " * GAP).join(fit(title, width) for title, width in zip(titles, widths))


class VirtualTable(ScrollView, can_focus=True):
    """Rows by key; ``render_row(key) -> cells`` is called only for rows being drawn."""

    COMPONENT_CLASSES = {"virtual-table--cursor"}
    DEFAULT_CSS = """
    VirtualTable { height: 1fr; }
    VirtualTable > .virtual-table--cursor { background: $accent 60%; text-style: bold; }
    VirtualTable:blur > .virtual-table--cursor { background: $accent 25%; }
    """
    BINDINGS = [
        Binding("up", "cursor(-1)", show=False),
        Binding("down", "cursor(1)", show=False),
        Binding("pageup", "page(-1)", show=False),
        Binding("pagedown", "page(1)", show=False),
        Binding("home", "to_edge(0)", show=False),
        Binding("end", "to_edge(1)", show=False),
    ]

    cursor: reactive[int] = reactive(0, always_update=False)

    class Highlighted(Message):
        """The cursor moved to another row (``key`` None: the table is empty)."""

        def __init__(self, table: "VirtualTable", key: str | None) -> None:
            super().__init__()
            self.table = table
            self.key = key

        @property
        def control(self) -> "VirtualTable":
            return self.table

    def __init__(self, render_row: Callable[[str], Cells], *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._render_row = render_row
        self.keys: list[str] = []
        self.widths: list[int] = []
        self._cache: dict[str, list[Segment]] = {}
        self._on_drawn: list[Callable[[], None]] = []

    # -- what to show ---------------------------------------------------------------------------
    def set_columns(self, widths: Sequence[int]) -> None:
        self.widths = list(widths)
        self._cache.clear()
        self._resize()

    def set_rows(self, keys: list[str], *, keep: str | None = None) -> None:
        """Show these rows in this order; the cursor stays on ``keep`` (or its row) if shown."""
        current = keep if keep is not None else self.current_key
        self.keys = keys
        self._resize()
        index = self._index_of(current)
        self.set_reactive(VirtualTable.cursor, index if index is not None else 0)
        self._clamp()
        self.post_message(self.Highlighted(self, self.current_key))
        self.refresh()

    def invalidate(self, keys: Sequence[str] | None = None) -> None:
        """These rows (or all) changed: draw them afresh (only those on screen cost anything)."""
        if keys is None:
            self._cache.clear()
        else:
            for key in keys:
                self._cache.pop(key, None)
        self.refresh()

    @property
    def current_key(self) -> str | None:
        return self.keys[self.cursor] if 0 <= self.cursor < len(self.keys) else None

    def move_to(self, key: str) -> bool:
        index = self._index_of(key)
        if index is None:
            return False
        self.cursor = index
        return True

    def _index_of(self, key: str | None) -> int | None:
        if key is None:
            return None
        try:
            return self.keys.index(key)
        except ValueError:
            return None

    def _resize(self) -> None:
        width = sum(self.widths) + GAP * max(0, len(self.widths) - 1)
        self.virtual_size = Size(width, len(self.keys))

    # -- cursor -----------------------------------------------------------------------------------
    def _clamp(self) -> None:
        if self.keys and not 0 <= self.cursor < len(self.keys):
            self.set_reactive(VirtualTable.cursor, max(0, min(self.cursor, len(self.keys) - 1)))

    def watch_cursor(self, old: int, new: int) -> None:
        self._clamp()
        self.scroll_to_region(Region(0, self.cursor, 1, 1), animate=False, immediate=True)
        self.refresh()
        self.post_message(self.Highlighted(self, self.current_key))

    def action_cursor(self, delta: int) -> None:
        if self.keys:
            self.cursor = max(0, min(len(self.keys) - 1, self.cursor + delta))

    def action_page(self, direction: int) -> None:
        self.action_cursor(direction * max(1, self.scrollable_content_region.height - 1))

    def action_to_edge(self, end: int) -> None:
        if self.keys:
            self.cursor = len(self.keys) - 1 if end else 0

    def on_click(self, event) -> None:
        index = self.scroll_offset.y + event.y
        if 0 <= index < len(self.keys):
            self.cursor = index

    # -- drawing ----------------------------------------------------------------------------------
    def when_drawn(self, callback: Callable[[], None]) -> None:
        """Call ``callback`` once the next frame drawing this table is composed (tests and
        the bench measure up to the row on screen, not up to the data being set)."""
        self._on_drawn.append(callback)
        self.refresh()

    def render_lines(self, crop: Region) -> list[Strip]:
        lines = super().render_lines(crop)
        if self._on_drawn:
            callbacks, self._on_drawn = self._on_drawn, []
            for callback in callbacks:
                callback()
        return lines

    def _segments(self, key: str) -> list[Segment]:
        cached = self._cache.get(key)
        if cached is None:
            line = header_line(list(self._render_row(key)), self.widths)
            cached = list(line.render(self.app.console))
            if len(self._cache) >= CACHE_ROWS:
                self._cache.clear()
            self._cache[key] = cached
        return cached

    def render_line(self, y: int) -> Strip:
        scroll_x, scroll_y = self.scroll_offset
        index = scroll_y + y
        width = self.scrollable_content_region.width
        base = self.rich_style
        if index >= len(self.keys):
            return Strip.blank(width, base)
        segments = self._segments(self.keys[index])
        if index == self.cursor:
            cursor: Style = self.get_component_rich_style("virtual-table--cursor")
            segments = list(Segment.apply_style(segments, post_style=cursor))
            fill = base + cursor
        else:
            fill = base
        strip = Strip(segments).apply_style(base)
        return strip.crop_extend(scroll_x, scroll_x + width, fill)
