"""The line at the top of every screen: who, which store, sync state, alarms, the time."""

from __future__ import annotations

from datetime import datetime

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Static

from edge.i18n import t
from edge.ui.sync_status import SyncStatus


class StatusBar(Horizontal):
    """Reads app.clerk, app.store_names, app.sync_status and app.notices; ticks every second."""

    def compose(self) -> ComposeResult:
        yield Static(id="sb-clerk")
        yield Static(id="sb-store")
        yield Static(id="sb-sync")
        yield Static(id="sb-notice")
        yield Static(id="sb-clock")

    def on_mount(self) -> None:
        app = self.app
        for name in ("lang", "clerk", "sync_status", "notices_version"):
            self.watch(app, name, lambda _value: self.refresh_status(), init=False)
        self.set_interval(1.0, self._tick)
        self.refresh_status()

    def _tick(self) -> None:
        # a worker may have mutated the objects in place: cheap to re-read every second
        self.refresh_status()

    def _set(self, wid: str, content: str | Text, classes: str | None = None) -> None:
        """Update one part only when it changed: a changed width means a new layout."""
        widget = self.query_one(wid, Static)
        if str(widget.content) != str(content) or (
                isinstance(content, Text) and widget.content != content):
            widget.update(content)
        if classes is not None:
            widget.set_classes(classes)

    def refresh_status(self) -> None:
        app = self.app
        lang: str = app.lang  # type: ignore[attr-defined]
        clerk = app.clerk  # type: ignore[attr-defined]
        who = f"{clerk.name} {clerk.clerk_id}" if clerk else t("ui.status.nobody", lang)
        self._set("#sb-clerk", who)
        zh, en = app.store_names  # type: ignore[attr-defined]
        self._set("#sb-store", f"{app.store_id} {zh if lang == 'zh-CN' else en}")  # type: ignore[attr-defined]
        self._set("#sb-sync", sync_text(app.sync_status, lang))  # type: ignore[attr-defined]
        notice = app.top_notice()  # type: ignore[attr-defined]
        # at 80 columns an alarm needs the store name's room; the store is on every receipt
        self.query_one("#sb-store", Static).display = notice is None
        if notice is None:
            self._set("#sb-notice", "", "")
        else:
            self._set("#sb-notice", "⚠ " + t(notice.key, lang, **notice.params), f"-{notice.level}")
        # fixed width: a repaint, never a new layout
        self.query_one("#sb-clock", Static).update(datetime.now().strftime("%H:%M:%S"), layout=False)


def sync_text(status: SyncStatus, lang: str) -> Text:
    """"● offline · 12 to send": red/yellow/green dot by state."""
    online = bool(status.online)
    text = Text(t("ui.status.online" if online else "ui.status.offline", lang),
                style="bold green" if online else "bold yellow")
    if status.pending:
        text.append(" " + t("ui.status.pending", lang, pending=status.pending))
    if status.conflicts:
        text.append(" " + t("ui.status.conflicts", lang, conflicts=status.conflicts), style="bold red")
    return text
