"""The counter: scan or type a pickup code (or phone last 4), see the verdict, hand over.

The scan field keeps the focus through everything: a keyboard-wedge scanner can fire the next
code at any moment. Every database call goes through the app's StoreService (its own thread),
so the screen keeps drawing while SQLite works.
"""

from __future__ import annotations

import logging
import time
from datetime import datetime

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.screen import ModalScreen, Screen
from textual.signal import Signal
from textual.widgets import Label

from dataclasses import dataclass

from edge.clock import utcnow
from edge.domain import orders, pickup
from edge.domain.errors import DomainError
from edge.domain.pickup import NotTaken, Override, Verdict
from edge.i18n import t
from edge.present import verdict_message
from edge.store import Store
from edge.ui.screens.override import OverrideScreen
from edge.ui.screens.partial import PartialScreen
from edge.ui.widgets.footer import LocalFooter
from edge.ui.widgets.order_card import CardState, OrderCard, tone
from edge.ui.widgets.scan_field import ScanField
from edge.ui.widgets.status_bar import StatusBar

log = logging.getLogger(__name__)
CHECKING_DELAY_S = 0.2  # only say "checking…" when the database is slow (another writer)
# a device read (camera, serial) this soon after the clerk's own scan of an order waits as
# "next" instead of replacing the order the clerk is working on
HOLD_S = 30.0


@dataclass(frozen=True)
class NextEntry:
    """A read that arrived while the clerk was busy: shown as "next", taken with Enter."""

    raw: str
    order_no: str | None = None  # a bag label names the order directly

    def shown(self) -> str:
        return self.order_no or (f"…{self.raw[-4:]}" if len(self.raw) > 4 else self.raw)


def judge_order_no(store: Store, order_no: str) -> Verdict:
    """Fresh verdict for an order chosen from a list (it may have changed since listed)."""
    order = orders.get_order(store.db, order_no)
    return pickup.judge(store, order) if order else Verdict("unknown")


class CounterScreen(Screen):
    """Scan → verdict → hand over, keyboard only."""

    AUTO_FOCUS = "#scan"
    BINDINGS = [
        Binding("f5", "hand_over", "ui.key.hand_over"),
        Binding("f6", "partial", "ui.key.partial"),
        Binding("escape", "clear", "ui.key.clear", show=False),  # 80 columns: Esc goes without saying
        Binding("up", "choose(-1)", show=False),
        Binding("down", "choose(1)", show=False),
    ]

    def __init__(self) -> None:
        super().__init__(id="counter")
        self.verdict: Verdict | None = None
        self.started_at: datetime | None = None
        self.busy_with: Verdict | None = None  # the verdict whose hand-over is being written
        self.own_scan_at: float | None = None  # monotonic time of the clerk's own last scan
        self.next_entry: NextEntry | None = None
        # published from the frame that draws a new verdict / a finished hand-over: tests, bench
        self.verdict_shown: Signal[Verdict] = Signal(self, "verdict-shown")
        self.handed_over: Signal[orders.Order] = Signal(self, "handed-over")

    def compose(self) -> ComposeResult:
        yield StatusBar(id="status-bar")
        with Horizontal(id="scan-row"):
            yield Label(id="scan-label")
            yield ScanField(id="scan", max_length=pickup.MAX_INPUT * 2)
        yield Label(id="next-entry")
        yield OrderCard(id="card")
        yield LocalFooter()

    def on_mount(self) -> None:
        self.watch(self.app, "lang", lambda _lang: self._relabel())
        self.scan.focus()

    def _relabel(self) -> None:
        lang = self.app.lang  # type: ignore[attr-defined]
        self.query_one("#scan-label", Label).update(t("ui.counter.scan_label", lang))
        self.scan.placeholder = t("ui.counter.placeholder", lang)
        self._show_next()

    def _show_next(self) -> None:
        label = self.query_one("#next-entry", Label)
        label.display = self.next_entry is not None
        if self.next_entry is not None:
            label.update(t("ui.counter.next_entry", self.app.lang,  # type: ignore[attr-defined]
                           entry=self.next_entry.shown()))

    @property
    def scan(self) -> ScanField:
        return self.query_one("#scan", ScanField)

    @property
    def card(self) -> OrderCard:
        return self.query_one("#card", OrderCard)

    def on_screen_resume(self) -> None:
        self.scan.focus()

    # -- scanning ------------------------------------------------------------------------------
    def on_scan_field_scanned(self, event: ScanField.Scanned) -> None:
        event.stop()
        if not event.value.strip():
            chosen = self.card.chosen()
            if chosen is not None:  # Enter on an empty field picks the highlighted phone match
                self.run_check(judge_order_no, chosen.order_no,
                               started=self.started_at or event.started_at)
            elif self.next_entry is not None:  # … or takes the read that waits as "next"
                self._take(self.next_entry)
            return
        self.own_scan_at = time.monotonic()
        self.run_check(pickup.check, event.value, started=event.started_at)

    def enter(self, raw: str) -> None:
        """Put an entry in as if typed and submitted (demo codes screen, the clerk's choice)."""
        self.own_scan_at = time.monotonic()
        self.scan.reset()
        self.run_check(pickup.check, raw, started=utcnow())

    def offer(self, raw: str, *, own: bool, order_no: str | None = None) -> None:
        """A read from a scanner device. ``own``: the clerk's hand-held scanner (the wedge),
        as opposed to a camera or a fixed serial scanner that reads whatever is held up.

        It never swaps the order under the clerk's hands: while a dialog is open (override,
        partial pickup, sign-in), while a hand-over is being written, or shortly after the
        clerk's own scan of an order, it waits as "next" (Enter on the empty field takes it).
        """
        entry = NextEntry(raw, order_no)
        if self._busy(own):
            if self.next_entry != entry:
                self.next_entry = entry
                self._show_next()
                self.notify(t("ui.counter.next_entry", self.app.lang,  # type: ignore[attr-defined]
                              entry=entry.shown()))
            return
        if own:
            self.own_scan_at = time.monotonic()
        self._take(entry)

    def _busy(self, own: bool) -> bool:
        if isinstance(self.app.screen, ModalScreen) or self.busy_with is not None:
            return True
        if own or self.verdict is None or self.verdict.order is None or self.own_scan_at is None:
            return False
        return time.monotonic() - self.own_scan_at < HOLD_S

    def _take(self, entry: NextEntry) -> None:
        if self.next_entry == entry:
            self.next_entry = None
            self._show_next()
        self.scan.reset()
        if entry.order_no is not None:
            self.run_check(judge_order_no, entry.order_no, started=utcnow())
        else:
            self.run_check(pickup.check, entry.raw, started=utcnow())

    @work(exclusive=True, group="scan")
    async def run_check(self, fn, arg: str, *, started: datetime) -> None:
        """Look the entry up off the UI thread; the newest scan wins."""
        slow = self.set_timer(CHECKING_DELAY_S, lambda: self.card.show(CardState("checking")))
        try:
            verdict = await self.app.service.call(fn, arg)  # type: ignore[attr-defined]
        except DomainError as exc:
            self.show_error(exc.code, exc.params)
            return
        except Exception as exc:  # a broken database must not take the counter down
            log.exception("check failed")
            self.show_error("ui.counter.error", {"message": str(exc)})
            return
        finally:
            slow.stop()
        self.show_verdict(verdict, started)

    def show_verdict(self, verdict: Verdict, started: datetime | None) -> None:
        if verdict.order is not None:
            self.app.addon.other_order_seen(verdict.order.order_no)  # type: ignore[attr-defined]
        self.verdict = verdict
        self.started_at = started
        self.card.show(CardState("verdict", verdict),
                       on_drawn=lambda: self.verdict_shown.publish(verdict))
        self.card.flash()
        if tone(verdict.kind) == "stop":
            self.app.bell()
        self.scan.focus()

    def show_error(self, code: str, params: dict, order: orders.Order | None = None) -> None:
        self.card.show(CardState("error", order=order, message=(code, dict(params))))
        self.card.flash()
        self.app.bell()
        self.scan.focus()

    def action_clear(self) -> None:
        self.verdict = None
        self.started_at = None
        self.scan.reset()
        self.card.show(CardState())
        self.scan.focus()

    def action_choose(self, step: int) -> None:
        self.card.move_choice(step)

    # -- handing over --------------------------------------------------------------------------
    def _order_for_hand_over(self) -> orders.Order | None:
        """The order F5/F6 would act on, or None after telling the clerk why not."""
        verdict = self.verdict
        lang = self.app.lang  # type: ignore[attr-defined]
        if verdict is None or verdict.order is None:
            self.app.bell()
            self.notify(t("ui.counter.nothing_to_hand_over", lang), severity="warning")
            return None
        if not (verdict.can_hand_over or verdict.needs_override):
            self.app.bell()
            self.notify(t("ui.counter.cannot_hand_over", lang,
                          message=verdict_message(verdict, lang)), severity="error")
            return None
        return verdict.order

    def action_hand_over(self) -> None:
        if self._order_for_hand_over() is None:
            return
        self._proceed([])

    def action_partial(self) -> None:
        order = self._order_for_hand_over()
        if order is None:
            return

        def chosen(not_taken: list[NotTaken] | None) -> None:
            self.scan.focus()
            if not_taken:
                self._proceed(not_taken)

        self.app.push_screen(PartialScreen(order), chosen)

    def _proceed(self, not_taken: list[NotTaken]) -> None:
        """Hand over now, or first ask a manager when the verdict needs an override."""
        assert self.verdict is not None and self.verdict.order is not None
        if self.verdict.needs_override:
            self.app.push_screen(
                OverrideScreen(self.verdict, lambda ov: self.try_hand_over(not_taken, ov)),
                lambda _done: self.scan.focus())
        else:
            self.run_hand_over(not_taken)

    @work(group="hand-over")
    async def run_hand_over(self, not_taken: list[NotTaken]) -> None:
        await self.try_hand_over(not_taken, None)

    async def try_hand_over(self, not_taken: list[NotTaken],
                            override: Override | None) -> tuple[str, dict] | None:
        """Hand the current order over; None when done, else the refusal (key, params).

        A refusal from the override itself (wrong PIN, no reason) goes back to the modal
        asking for it; any other refusal is shown on the card. Nothing changes either way.
        """
        verdict, clerk = self.verdict, self.app.clerk  # type: ignore[attr-defined]
        if verdict is None or verdict.order is None or clerk is None:
            return ("ui.counter.nothing_to_hand_over", {})
        if self.busy_with is verdict:  # F5 pressed again while the first one is being written
            return ("ui.counter.nothing_to_hand_over", {})
        order_no = verdict.order.order_no
        self.busy_with = verdict
        try:
            # devices hook-up: with a receipt printer configured, the receipt is queued in the
            # same transaction as the hand-over (edge.ui.devices_link.DeviceLink.hand_over)
            link = getattr(self.app, "devices", None)
            hand_over = link.hand_over if link is not None else pickup.hand_over
            done = await self.app.service.call(  # type: ignore[attr-defined]
                hand_over, order_no, clerk.clerk_id, scanned_at=self.started_at,
                not_taken=not_taken, override=override)
        except DomainError as exc:
            if override is not None and exc.code.startswith(("auth.", "override.")):
                self.app.bell()
                return (exc.code, dict(exc.params))
            if exc.code.startswith("verdict.") or exc.code == "order.changed_meanwhile":
                # the order moved under us (another terminal?): show what it is now
                fresh = await self.app.service.call(judge_order_no, order_no)  # type: ignore[attr-defined]
                self.show_verdict(fresh, self.started_at)
            else:
                self.show_error(exc.code, exc.params, verdict.order)
            return (exc.code, dict(exc.params))
        finally:
            self.busy_with = None
        self.app.addon.handed_over(order_no, clerk.clerk_id, utcnow())  # type: ignore[attr-defined]
        if self.verdict is not verdict:  # a newer scan is on screen (its keys may be in the field)
            self.notify(t("ui.counter.handed_over", self.app.lang, order_no=order_no))  # type: ignore[attr-defined]
            self.handed_over.publish(done)
            return None
        self.verdict = None
        self.started_at = None
        left = sum(n.qty for n in not_taken)
        message = (("ui.counter.handed_over_partial", {"order_no": order_no, "count": left})
                   if left else ("ui.counter.handed_over", {"order_no": order_no}))
        self.card.show(CardState("done", order=done, message=message),
                       on_drawn=lambda: self.handed_over.publish(done))
        self.card.flash()
        self.scan.focus()
        return None
