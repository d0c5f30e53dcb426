"""The store terminal: a Textual app over the local SQLite replica.

Screens live in edge.ui.screens, widgets in edge.ui.widgets, CSS in app.tcss. The app holds
what every screen shares: the StoreService (``service``: the database thread the counter
uses; ``status_service``: a second one for background reads), the signed-in ``clerk``, the
language ``lang``, ``sync_status`` and ``notices`` for the status bar.

Adding a screen: a Screen in edge/ui/screens/ that yields StatusBar() first and LocalFooter()
last, gives its Bindings i18n keys (``ui.key.*``, registered in a messages module) as
descriptions, re-labels itself in ``self.watch(self.app, "lang", ...)``, calls the domain
only through ``await self.app.service.call(fn, ...)`` (fn gets the Store first), and is
pushed from an app or screen action; rules for its CSS go in app.tcss.

Status from workers (from a thread wrap each call in ``app.call_from_thread``):
``app.update_sync_status(online=True, pending=0, last_ok=now)`` replaces fields of the
SyncStatus; ``app.add_notice(Notice("ui.printer.no_paper", level="warning",
source="printer"))`` shows an alarm (same source replaces), ``app.remove_notices("printer")``
withdraws it. Scans from other devices: ``counter.enter(text)`` on the CounterScreen.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import signal
import time
from collections.abc import Callable, Iterable
from functools import partial
from pathlib import Path

from textual import events, work
from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.command import CommandPalette
from textual.reactive import reactive, var
from textual.screen import ModalScreen, Screen

from edge import demo as demo_mod
from edge.clock import utcnow
from edge.config import Config
from edge.domain import board_i18n  # noqa: F401  (registers the back room's key labels)
from edge.domain import clerks, outbox, stores
from edge.domain.clerks import Clerk
from edge.i18n import DEFAULT_LANGUAGE, LANGUAGES, t
from edge.ui import idle_gc
from edge.ui import messages  # noqa: F401  (registers the UI's i18n keys)
from edge.ui.addon import AddonTracker
from edge.ui.screens.counter import CounterScreen
from edge.ui.screens.conflicts import ConflictsScreen
from edge.ui.screens.demo_codes import DemoCodesScreen
from edge.ui.screens.reports.day_end import DayEndScreen  # also registers ui.key.day_end
from edge.ui.screens.sale import SaleScreen
from edge.ui.screens.stock import StockScreen
from edge.ui.screens.sign_in import SignInScreen
from edge.ui.screens.staff import StaffScreen
from edge.ui.screens.staff import text as staff_text  # noqa: F401  (sign-out, roles, palette)
from edge.services.backups import DailyBackup
from edge.services.overdue import OverdueSweeper
from edge.ui.devices_link import DeviceLink  # devices hook-up
from edge.ui.resume import SavedSession
from edge.ui.service import StoreService
from edge.ui.sync_status import LEVEL_ORDER, Notice, SyncStatus
from sync.worker import SyncWorker, start_sync_worker

log = logging.getLogger(__name__)
DEMO_CLERK = "c01"
PENDING_REFRESH_S = 3.0
IDLE_CHECK_S = 5.0  # how often the idle lock looks at the time of the last key

# Who may run what, by action name: every key (app or screen) and the command palette go
# through StoreEdgeApp.run_action, which refuses these to anyone but a manager with a clear
# "managers only" (the value names the thing refused). Clerks have the counter, the task
# board and sales; the domain checks the role again (clerks.require_manager), so the CLI
# agrees. Screens that clerks may read but not change (stock, overdue) refuse their own
# manager actions, with a manager's PIN where a manager may step in at the clerk's terminal.
MANAGER_ONLY: dict[str, str] = {
    "staff": "ui.key.staff",
    "day_end": "ui.key.day_end",
}
# While nobody is signed in (at start, after ctrl+l or the idle lock) the app's keys do
# nothing but these: the sign-in screen is all there is.
SIGNED_OUT_ACTIONS = frozenset({"toggle_language", "quit", "help_quit"})


def _action_name(action: object) -> str:
    """``"app.staff"`` / ``"act('count')"`` / a parsed (namespace, name, params) -> the name."""
    if isinstance(action, tuple):
        return str(action[1])
    return str(action).split("(", 1)[0].rsplit(".", 1)[-1]


def _identity(store, clerk_id: str | None) -> tuple[tuple[str, str], Clerk | None]:
    return stores.names(store.db, store.store_id), (
        clerks.get_clerk(store.db, clerk_id) if clerk_id else None)


def _pending(store) -> int:
    return outbox.pending_count(store.db)




class StoreEdgeApp(App[int]):
    """Counter first; sign-in, demo codes and modals are pushed over it."""

    CSS_PATH = "app.tcss"
    TITLE = "store-edge"
    # ctrl+p lists every app key (get_system_commands), in the user's language
    ENABLE_COMMAND_PALETTE = True
    # footer order: what an English reader at 80 columns must not lose comes first
    BINDINGS = [
        # after quit (Textual's own first binding): every other key and screen is in here
        Binding("ctrl+p", "command_palette", "ui.key.palette", priority=True),
        Binding("f9", "toggle_language", "ui.key.language"),
        Binding("f10", "sale", "ui.key.sale"),
        Binding("f2", "sign_in", "ui.key.sign_in"),
        Binding("f3", "demo_codes", "ui.key.demo_codes"),
        Binding("f4", "conflicts", "ui.key.conflicts"),
        Binding("f7", "temperatures", "ui.dev.key.temperatures"),  # devices hook-up
        Binding("f8", "print_queue", "ui.dev.key.print_queue"),  # devices hook-up
        # priority: a text field (the scan field) would take ctrl+e as "end of line"
        Binding("ctrl+e", "day_end", "ui.key.day_end", show=False, priority=True),
        Binding("f12", "task_board", "ui.board.key.open"),
        Binding("ctrl+o", "overdue", "ui.overdue.key.open", show=False),
        Binding("ctrl+y", "delivery", "ui.delivery.key.open", show=False),
        Binding("ctrl+q", "quit", "ui.key.quit", priority=True),
        # priority: a text field would take ctrl+u as "delete to the start"
        Binding("ctrl+u", "staff", "ui.key.staff", show=False, priority=True),
        Binding("ctrl+l", "sign_out", "ui.key.sign_out", show=False, priority=True),
        Binding("ctrl+t", "stock", "ui.key.stock", show=False),
    ]

    lang: reactive[str] = reactive(DEFAULT_LANGUAGE)
    clerk: reactive[Clerk | None] = reactive(None)
    sync_status: reactive[SyncStatus] = reactive(SyncStatus, always_update=True)
    notices_version: var[int] = var(0)

    def __init__(self, data_dir: str | Path, *, lang: str = DEFAULT_LANGUAGE, demo: bool = False,
                 clerk_id: str | None = None, cfg: Config | None = None) -> None:
        super().__init__()
        self.data_dir = Path(data_dir)
        self.cfg = cfg or Config(data_dir=self.data_dir)  # devices/sync settings for workers
        self.demo = demo
        self.service = StoreService(self.data_dir)
        # status polling (pending events, later alarms) on its own connection and thread, so
        # a slow count never queues in front of a scan
        self.status_service = StoreService(self.data_dir)
        self.store_id = self.service.store_id
        names, clerk = self.service.call_sync(_identity, clerk_id or (DEMO_CLERK if demo else None))
        self.store_names: tuple[str, str] = names
        self.notices: list[Notice] = []
        # devices hook-up: printers, probes, scanners; only when run with a config (run_app),
        # so tests that build the app on a demo store do not start simulators
        self.devices: DeviceLink | None = DeviceLink(self, cfg, demo=demo) if cfg else None
        # background sync with HQ, likewise only when run with a config
        self._run_sync = cfg is not None
        self.sync_worker: SyncWorker | None = None
        # the last hand-over here: a sale soon after, by the same clerk, is its add-on
        self.addon = AddonTracker()
        # orders become overdue as their windows end (likewise only when run with a config)
        self.overdue_sweeper: OverdueSweeper | None = None
        self.daily_backup: DailyBackup | None = None  # likewise
        # idle lock: the time of the last key or click, on a clock tests can replace
        self.idle_clock: Callable[[], float] = time.monotonic
        self.last_input = self.idle_clock()
        # asked on every footer refresh: look at the disk once
        self.has_demo_codes = demo or (self.data_dir / demo_mod.CODES_FILENAME).exists()
        # a sale's basket and the open pick/pack, kept on disk (a closed terminal loses nothing)
        self.session = SavedSession(self.data_dir)
        # a real terminal (run_app): its hang-up or a stop by systemd ends the app cleanly
        self._stop_on_signals = cfg is not None
        self.set_reactive(StoreEdgeApp.lang, lang if lang in LANGUAGES else DEFAULT_LANGUAGE)
        self.set_reactive(StoreEdgeApp.clerk, clerk)

    # -- start and stop ----------------------------------------------------------------------
    def on_mount(self) -> None:
        self.push_screen(CounterScreen())
        if self.clerk is None:
            self.push_screen(SignInScreen(can_cancel=False), self._signed_in)
        else:
            self.call_later(self.resume_saved)
        if self._stop_on_signals:
            self._exit_on(signal.SIGHUP, signal.SIGTERM)
        self.set_interval(PENDING_REFRESH_S, self.refresh_pending)
        self.refresh_pending()
        self.set_interval(IDLE_CHECK_S, self.lock_if_idle)
        from edge.ui.screens.backroom.board import prefetch

        prefetch(self)  # the task board's rows, read before anyone asks for them
        idle_gc.install(self)  # full garbage collections while nobody types
        if self.devices is not None:  # devices hook-up
            self.devices.start()
        if self._run_sync:
            # its own connection and thread; the status bar follows its reports
            self.sync_worker = start_sync_worker(self, self.cfg)
            self.overdue_sweeper = OverdueSweeper(self.data_dir).start()
            self.daily_backup = DailyBackup(self.data_dir, keep=self.cfg.backup_keep).start()

    def _exit_on(self, *signals: signal.Signals) -> None:
        """The terminal went away (SIGHUP: SSH dropped, window closed) or systemd stops the
        unit (SIGTERM): quit as on ctrl+q, so workers stop, the database closes and the
        terminal is restored, instead of dying mid-draw. What was open is already saved."""
        loop = asyncio.get_running_loop()
        for sig in signals:
            loop.add_signal_handler(sig, self._signalled, sig)

    def _signalled(self, sig: signal.Signals) -> None:
        log.info("%s: closing the terminal UI", sig.name)
        self.exit(0)

    def on_unmount(self) -> None:
        if self.sync_worker is not None:
            self.sync_worker.stop(timeout=2)
        if self.overdue_sweeper is not None:
            self.overdue_sweeper.stop(timeout=2)
        if self.daily_backup is not None:
            self.daily_backup.stop(timeout=2)
        if self.devices is not None:  # devices hook-up
            self.devices.stop()
        self.service.close()
        self.status_service.close()

    # -- shared state for the status bar -------------------------------------------------------
    def update_sync_status(self, **changes: object) -> None:
        """Replace fields of ``sync_status`` (call from the UI thread, or via call_from_thread)."""
        self.sync_status = dataclasses.replace(self.sync_status, **changes)  # type: ignore[arg-type]

    def add_notice(self, notice: Notice) -> None:
        """Show an alarm/device status; a notice from the same source replaces the old one."""
        self.notices = [n for n in self.notices if not (notice.source and n.source == notice.source)]
        self.notices.append(notice)
        self.notices_version += 1

    def remove_notices(self, source: str) -> None:
        self.notices = [n for n in self.notices if n.source != source]
        self.notices_version += 1

    def top_notice(self) -> Notice | None:
        """Most severe first, then oldest: what the one status-bar slot shows."""
        if not self.notices:
            return None
        return min(enumerate(self.notices), key=lambda p: (LEVEL_ORDER.get(p[1].level, 9), p[0]))[1]

    @work(exclusive=True, group="pending")
    async def refresh_pending(self) -> None:
        try:
            pending = await self.status_service.call(_pending)
        except Exception:  # status only: never let it disturb the counter
            log.exception("pending count failed")
            return
        if pending != self.sync_status.pending:
            self.update_sync_status(pending=pending)

    # -- actions -------------------------------------------------------------------------------
    async def on_event(self, event: events.Event) -> None:
        """Devices hook-up: a keyboard-wedge scan on any screen goes to the counter."""
        if isinstance(event, (events.Key, events.MouseDown)):
            self.last_input = self.idle_clock()
        if isinstance(event, events.Key) and self.devices is not None and self.devices.on_key(event):
            return
        await super().on_event(event)

    # -- who may do what ---------------------------------------------------------------------
    @property
    def is_manager(self) -> bool:
        return self.clerk is not None and self.clerk.is_manager

    async def run_action(self, action, default_namespace=None, namespaces=None) -> bool:  # type: ignore[override]
        """Every key and palette entry passes here: managers-only actions are refused to
        anyone else, saying so (MANAGER_ONLY)."""
        name = _action_name(action)
        if self._locked_out(name):
            return True
        what = MANAGER_ONLY.get(name)
        if what is not None and not self.is_manager:
            self.bell()
            self.notify(t("ui.manager_only", self.lang, what=t(what, self.lang)), severity="warning")
            return True
        return await super().run_action(action, default_namespace, namespaces)

    def _locked_out(self, action: str) -> bool:
        """An app key while nobody is signed in (the sign-in screen is up)."""
        if self.clerk is not None or action in SIGNED_OUT_ACTIONS:
            return False
        return any(b.action == action for b in self.BINDINGS if isinstance(b, Binding))

    def watch_clerk(self, _clerk: Clerk | None) -> None:
        self.refresh_bindings()  # the footer shows a manager's keys only to a manager

    # -- sign out, idle lock, and where someone lands after signing in --------------------------
    def action_sign_out(self) -> None:
        """ctrl+l: back to the sign-in screen, nothing of the last person's work left open."""
        self.lock()
        self.notify(t("ui.signed_out", self.lang))

    def lock_if_idle(self) -> None:
        """On a timer: lock after [staff] idle_lock_min without a key (0: never)."""
        limit = self.cfg.idle_lock_s
        if limit > 0 and self.clerk is not None and self.idle_clock() - self.last_input >= limit:
            self.lock()
            self.notify(t("ui.idle_locked", self.lang, minutes=f"{limit / 60:g}"))

    def lock(self) -> None:
        """Close every page and dialog over the counter, clear it, sign out, ask who is next."""
        if self.clerk is None and isinstance(self.screen, SignInScreen):
            return
        while len(self.screen_stack) > 1 and not isinstance(self.screen_stack[-1], CounterScreen):
            self.pop_screen()
        if isinstance(self.screen, CounterScreen):
            self.screen.action_clear()
        self.session.forget("sale", "wave")  # a sign-out ends what was open, on purpose
        self.clerk = None
        self.push_screen(SignInScreen(can_cancel=False), self._signed_in)

    # -- pages: full screens opened by an app key or the palette -------------------------------
    def open_page(self, screen: Screen) -> None:
        """Open ``screen`` as a page. Pages are siblings: one opened from another replaces it,
        so Esc always goes back to where the user was before the first page (the counter, the
        task board), not through every page visited on the way. A screen's own drill-downs
        (a dialog, the pick list from the board) are pushed as usual and Esc returns to it."""
        if type(self.screen) is type(screen) or isinstance(self.screen, ModalScreen):
            return
        screen.opened_as_page = True  # type: ignore[attr-defined]
        if getattr(self.screen, "opened_as_page", False):
            self.switch_screen(screen)
        else:
            self.push_screen(screen)

    def action_temperatures(self) -> None:  # devices hook-up
        from edge.ui.screens.devices.temperatures import TemperatureScreen

        self.open_page(TemperatureScreen())

    def action_print_queue(self) -> None:  # devices hook-up
        from edge.ui.screens.dev_print_queue import PrintQueueScreen

        self.open_page(PrintQueueScreen())

    def action_help_quit(self) -> None:
        """Ctrl+C does not quit (it copies in a field): say how to, in the user's language
        (Textual's own hint is English only)."""
        self.notify(t("ui.quit_hint", self.lang), title=t("ui.quit_hint_title", self.lang))

    def action_task_board(self) -> None:
        """The back room's task board (F12): every open order to prepare. One board per
        terminal, kept between visits (its filters, selection and rows stay; it re-reads
        only what changed), so going back and forth to the counter costs nothing."""
        from edge.ui.screens.backroom.board import SCREEN_NAME, TaskBoardScreen

        if not self.is_screen_installed(SCREEN_NAME):
            self.install_screen(TaskBoardScreen(), SCREEN_NAME)
        self.open_page(self.get_screen(SCREEN_NAME))

    def action_overdue(self) -> None:
        """Overdue pickups (ctrl+o): remind, extend, or return to stock."""
        from edge.ui.screens.backroom.overdue import OverdueScreen

        self.open_page(OverdueScreen())

    def action_delivery(self) -> None:
        """Delivery (ctrl+y): courier hand-off, the clerk's own deliveries, failed ones."""
        from edge.ui.screens.backroom.delivery import DeliveryScreen

        self.open_page(DeliveryScreen())

    def action_toggle_language(self) -> None:
        self.lang = LANGUAGES[(LANGUAGES.index(self.lang) + 1) % len(LANGUAGES)]

    def action_sign_in(self) -> None:
        if isinstance(self.screen, SignInScreen):
            return
        self.push_screen(SignInScreen(can_cancel=self.clerk is not None), self._signed_in)

    def _signed_in(self, clerk: Clerk | None) -> None:
        """A manager lands on the task board, a clerk on the counter."""
        if clerk is None:
            return
        self.clerk = clerk
        self.last_input = self.idle_clock()
        self.call_later(self._land, clerk)

    def _land(self, clerk: Clerk) -> None:
        while len(self.screen_stack) > 1 and not isinstance(self.screen_stack[-1], CounterScreen):
            self.pop_screen()
        if clerk.is_manager:
            self.action_task_board()
        self.resume_saved()

    def resume_saved(self) -> None:
        """After a restart: reopen the sale basket or the pick/pack the terminal had open
        when it went away (edge.ui.resume), for whoever signs in first."""
        wave, sale = self.session.get("wave"), self.session.get("sale")
        order_nos = [str(n) for n in (wave or {}).get("order_nos", [])]
        if wave and order_nos and wave.get("part") in ("pick", "pack"):
            from edge.ui.screens.backroom.board import TaskBoardScreen
            from edge.ui.screens.backroom.pack import PackScreen
            from edge.ui.screens.backroom.pick import PickScreen

            if not isinstance(self.screen, TaskBoardScreen):
                self.action_task_board()
            self.push_screen(PickScreen(order_nos) if wave["part"] == "pick" else PackScreen(order_nos))
        elif sale and isinstance(self.screen, CounterScreen):
            self.push_screen(SaleScreen(saved=sale))
        else:
            return
        self.notify(t("ui.resumed", self.lang))

    def action_demo_codes(self) -> None:
        if not isinstance(self.screen, CounterScreen):
            return
        counter = self.screen

        def chosen(code: str | None) -> None:
            if code:
                counter.enter(code)

        self.push_screen(DemoCodesScreen(), chosen)

    def action_sale(self) -> None:
        """A counter sale; right after a hand-over it counts as that pickup's add-on."""
        if not isinstance(self.screen, CounterScreen):
            return
        clerk_id = self.clerk.clerk_id if self.clerk else None
        self.push_screen(SaleScreen(self.addon.current(clerk_id, utcnow())))

    def action_day_end(self) -> None:
        self.open_page(DayEndScreen())

    def action_conflicts(self) -> None:
        self.open_page(ConflictsScreen())

    def action_stock(self) -> None:
        """Stock per SKU and lot, near expiry, receiving; managers count and adjust (ctrl+t)."""
        self.open_page(StockScreen())

    def action_staff(self) -> None:
        """Staff (ctrl+u, managers): add, new PIN, unlock, deactivate."""
        self.open_page(StaffScreen())

    # -- the command palette (ctrl+p): every app key, so new screens appear without editing it --
    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        seen: set[str] = set()
        for bindings in self._bindings.key_to_bindings.values():
            for binding in bindings:
                action = binding.action
                if action in seen or action == "command_palette" or not binding.description:
                    continue
                seen.add(action)
                if not self.check_action(action, ()) and action not in MANAGER_ONLY:
                    continue  # not here (e.g. demo codes on a real store)
                title = t(binding.description, self.lang)
                if action in MANAGER_ONLY:
                    title += f" ({t('ui.palette.manager', self.lang)})"
                yield SystemCommand(title, self.get_key_display(binding),
                                    partial(self.run_action, action))

    def action_command_palette(self) -> None:
        if self.use_command_palette and not CommandPalette.is_open(self):
            self.push_screen(CommandPalette(id="--command-palette",
                                            placeholder=t("ui.palette.placeholder", self.lang)))

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if self._locked_out(action):
            return False
        if action == "demo_codes":
            return self.has_demo_codes
        if action in MANAGER_ONLY:
            return self.is_manager  # hidden from a clerk's footer; the key still says why not
        return True


def run_app(cfg: Config, lang: str = DEFAULT_LANGUAGE, demo: bool = False) -> int:
    """Run the terminal UI until the clerk quits; the exit code for the CLI."""
    assert cfg.data_dir is not None
    from edge.logs import log_to_file

    log_to_file()  # stderr is the screen: a stray warning there would tear the UI
    app = StoreEdgeApp(cfg.data_dir, lang=lang, demo=demo, cfg=cfg)
    result = app.run()
    return result if isinstance(result, int) else 0
