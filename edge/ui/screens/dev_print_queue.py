"""The print queue: every job, its state and why it waits; reprint as a marked copy.

Actions are on function keys, not letters: a keyboard-wedge scan typed while this screen is
open must not trigger them on its way to the counter.
"""

from __future__ import annotations

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import DataTable, Static

from edge.domain import print_jobs
from edge.domain.errors import DomainError
from edge.i18n import t
from edge.present import local_time
from edge.services.printing import reason_text
from edge.store import Store
from edge.ui import dev_text  # noqa: F401  (registers ui.dev.* strings)
from edge.ui.widgets.footer import LocalFooter
from edge.ui.widgets.status_bar import StatusBar

REFRESH_S = 2.0


def load_jobs(store: Store) -> list[print_jobs.PrintJob]:
    return print_jobs.list_jobs(store.db, limit=200)


class PrintQueueScreen(Screen):
    DEFAULT_CSS = """
    #pq-title { padding: 0 1; text-style: bold; color: $primary; }
    #pq-printers { padding: 0 1; height: auto; }
    #pq-printers.-bad { color: $warning; text-style: bold; }
    #pq-table { height: 1fr; }
    """
    BINDINGS = [
        Binding("escape", "back", "ui.dev.key.back"),
        Binding("f5", "reprint", "ui.dev.key.reprint"),
        Binding("delete", "cancel_job", "ui.dev.key.cancel_job"),
        Binding("f8", "back", show=False),
    ]

    def __init__(self) -> None:
        super().__init__(id="dev-print-queue")
        self.jobs: list[print_jobs.PrintJob] = []

    def compose(self) -> ComposeResult:
        yield StatusBar(id="status-bar")
        yield Static(id="pq-title")
        yield Static(id="pq-printers")
        yield DataTable(id="pq-table", cursor_type="row", zebra_stripes=True)
        yield LocalFooter()

    def on_mount(self) -> None:
        self.watch(self.app, "lang", lambda _lang: self._draw(), init=False)
        self.set_interval(REFRESH_S, self.load)
        self.load()
        self.query_one("#pq-table", DataTable).focus()

    @work(exclusive=True, group="dev-print-queue")
    async def load(self) -> None:
        self.jobs = await self.app.service.call(load_jobs)  # type: ignore[attr-defined]
        self._draw()

    def _printers_line(self, lang: str) -> tuple[str, bool]:
        link = getattr(self.app, "devices", None)
        if link is None or link.hub.printing is None:
            return t("ui.dev.print.no_printer", lang), True
        notices = link.hub.printing.notices(lang)
        return ("  ".join(notices), True) if notices else (t("ui.dev.print.printers_ok", lang), False)

    def _cameras_line(self, lang: str) -> str:
        """Each camera's frame rate and last decode (the small camera status of issue 4)."""
        link = getattr(self.app, "devices", None)
        if link is None or link.hub.scanners is None:
            return ""
        parts = []
        for cam in link.hub.scanners.cameras():
            last = cam.last_text or "—"
            parts.append(t("ui.dev.print.camera", lang, source=cam.source, fps=f"{cam.fps:.1f}",
                           state=t(f"ui.dev.cam_state.{cam.state}", lang), last=last[:24]))
        return "\n".join(parts)

    def _draw(self) -> None:
        lang = self.app.lang  # type: ignore[attr-defined]
        self.query_one("#pq-title", Static).update(t("ui.dev.print.title", lang))
        text, bad = self._printers_line(lang)
        cameras = self._cameras_line(lang)
        text = f"{text}\n{cameras}" if cameras else text
        printers = self.query_one("#pq-printers", Static)
        printers.update(text)
        printers.set_class(bad, "-bad")
        table = self.query_one("#pq-table", DataTable)
        row = table.cursor_row
        table.clear(columns=True)
        cols = ("id", "kind", "ref", "status", "why", "time")
        table.add_columns(*(t(f"ui.dev.print.col_{c}", lang) for c in cols))
        for job in self.jobs:
            kind = t(f"dev.job.{job.kind}", lang)
            if job.is_copy:
                kind += f" ({t('ui.dev.print.copy_mark', lang)} #{job.copy_of})"
            table.add_row(str(job.id), kind, job.ref, t(f"dev.job_status.{job.status}", lang),
                          reason_text(job, lang), local_time(job.printed_at or job.created_at),
                          key=str(job.id))
        if self.jobs:
            table.move_cursor(row=min(max(row, 0), len(self.jobs) - 1))

    def _selected(self) -> print_jobs.PrintJob | None:
        if not self.jobs:
            return None
        row = self.query_one("#pq-table", DataTable).cursor_row
        return self.jobs[min(max(row, 0), len(self.jobs) - 1)]

    def action_reprint(self) -> None:
        job = self._selected()
        if job is None:
            self.app.bell()
            return
        self.run_action(print_jobs.reprint, job.id, "ui.dev.print.reprinted")

    def action_cancel_job(self) -> None:
        job = self._selected()
        if job is None:
            self.app.bell()
            return
        self.run_action(print_jobs.cancel_job, job.id, "ui.dev.print.cancelled")

    @work(exclusive=True, group="dev-print-action")
    async def run_action(self, fn, job_id: int, done_key: str) -> None:
        lang = self.app.lang  # type: ignore[attr-defined]
        clerk = self.app.clerk  # type: ignore[attr-defined]
        actor = clerk.clerk_id if clerk else "unknown"
        try:
            result = await self.app.service.call(fn, job_id, actor=actor)  # type: ignore[attr-defined]
        except DomainError as exc:
            self.app.bell()
            self.notify(t(exc.code, lang, **exc.params), severity="error")
            return
        link = getattr(self.app, "devices", None)
        if link is not None:
            link.hub.wake_printer()
        self.notify(t(done_key, lang, job_id=result if isinstance(result, int) else job_id))
        self.load()

    def action_back(self) -> None:
        self.app.pop_screen()
