"""The app's link to its devices: starts the DeviceHub, routes scans, keeps notices current.

Hook-up in the app (see ``StoreEdgeApp``): ``self.devices = DeviceLink(self, cfg, demo=demo)``,
``self.devices.start()`` in on_mount, ``self.devices.stop()`` in on_unmount, and in
``on_event``: ``if self.devices.on_key(event): return`` before ``super().on_event(event)``.

Threads: device threads never touch the UI. Scans hop over with ``app.call_from_thread``;
anything else (printer status, readings, alarms) only sets a flag the UI's 1-second timer
reads, so a busy probe can never block or flood the event loop.
"""

from __future__ import annotations

import logging
from typing import Any

from textual import events

from devices.scanners import Scan, WedgeDetector
from edge.domain import temperatures
from edge.domain.print_docs import parse_bag_qr
from edge.i18n import t
from edge.services.hub import DeviceHub
from edge.services.scanning import ScanEvent, scan_event
from edge.ui import dev_text  # noqa: F401  (registers ui.dev.* strings)
from edge.ui.sync_status import Notice

log = logging.getLogger(__name__)
REFRESH_S = 1.0
ALARM_SOURCE = "dev:alarms"


def _alarm_summary(store, lang: str) -> tuple[int, str]:
    """(count, first alarm's words) of the alarms waiting for a manager."""
    alarms = temperatures.active_alarms(store.db)
    if not alarms:
        return 0, ""
    alarms.sort(key=lambda a: a.cleared_at is not None)  # what is still wrong comes first
    return len(alarms), alarm_short(store.db, alarms[0], lang)


def alarm_short(db, alarm: temperatures.Alarm, lang: str) -> str:
    """An alarm in the few words the status bar has room for."""
    fridge = temperatures.get_fridge(db, alarm.probe_id)
    name = (fridge.name if fridge else alarm.probe_id).split()[0]
    if alarm.cleared_at is not None:  # recovered, waiting for a manager: not hot any more
        return t("dev.alarm.short_recovered", lang, fridge=name,
                 celsius=f"{alarm.peak_c:.1f}" if alarm.peak_c is not None else "—")
    if alarm.kind == "silent":
        return t("dev.alarm.short_silent", lang, fridge=name)
    return t("dev.alarm.short", lang, fridge=name, celsius=f"{alarm.peak_c:.1f}")


def alarm_text(db, alarm: temperatures.Alarm, lang: str, tz=None) -> str:
    """One alarm in words: which fridge, what, since when (in ``tz``, default this computer's)."""
    from edge.present import local_time

    fridge = temperatures.get_fridge(db, alarm.probe_id)
    name = fridge.name if fridge else alarm.probe_id
    since = local_time(alarm.started_at, tz=tz)
    if alarm.kind == "silent":
        return t("dev.alarm.silent", lang, fridge=name, since=since)
    too_cold = alarm.limit_c is not None and alarm.peak_c is not None and alarm.peak_c < alarm.limit_c
    text = t("dev.alarm.too_cold" if too_cold else "dev.alarm.out_of_range", lang, fridge=name,
             celsius=f"{alarm.peak_c:.1f}", limit=f"{alarm.limit_c:.1f}", since=since)
    return text + (f" · {t('dev.alarm.cleared', lang)}" if alarm.cleared_at else "")


class DeviceLink:
    def __init__(self, app: Any, cfg: Any, *, demo: bool = False) -> None:
        self.app = app
        self.hub = DeviceHub(cfg, demo=demo, lang=app.lang, on_scan=self._scan_from_thread,
                             on_change=self._changed, on_problem=self._problem_from_thread)
        self.wedge: WedgeDetector | None = self.hub.wedge()
        self._dirty = True
        self._shown: dict[str, Notice] = {}
        self.alarm_count = 0
        self._alarm_shown: tuple[int, str] = (0, "")
        self._lang = app.lang
        self._last_key_t: float | None = None
        self._before_burst: tuple[Any, str] | None = None

    # -- life ------------------------------------------------------------------------------------
    def start(self) -> None:
        try:
            self.hub.start()
        except Exception:  # devices must never keep the counter from opening
            log.exception("starting devices failed")
        self.app.set_interval(REFRESH_S, self.refresh)
        self.refresh()

    def stop(self) -> None:
        self.hub.stop()

    def _changed(self) -> None:
        self._dirty = True  # any thread; read by the UI timer

    # -- notices and alarms ----------------------------------------------------------------------
    def refresh(self) -> None:
        """Status-bar notices from the devices; the alarm notice from the database."""
        lang = self.app.lang
        if lang != self._lang:  # the alarm notice's words are in the old language
            self._lang, self._dirty = lang, True
        current = {}
        for notice in self.hub.notices(lang):
            current[f"dev:{notice.source}"] = Notice(notice.text, {}, notice.level, f"dev:{notice.source}")
        for source in set(self._shown) - set(current):
            self.app.remove_notices(source)
        for source, notice in current.items():
            if self._shown.get(source) != notice:
                self.app.add_notice(notice)
        self._shown = current
        if self._dirty:
            self._dirty = False
            self.app.run_worker(self._refresh_alarms(), group="dev-alarms", exclusive=True)

    async def _refresh_alarms(self) -> None:
        lang = self.app.lang
        try:
            # the app's background-read thread, so an alarm count never queues before a scan
            service = getattr(self.app, "status_service", None) or self.app.service
            count, first = await service.call(_alarm_summary, lang)
        except Exception:
            log.exception("alarm refresh failed")
            return
        if (count, first) == self._alarm_shown:
            return
        self.alarm_count, self._alarm_shown = count, (count, first)
        if count:
            more = t("ui.dev.alarm_more", lang, extra=count - 1) if count > 1 else ""
            self.app.add_notice(Notice("ui.dev.alarm_notice", {"first": first, "more": more},
                                       "error", ALARM_SOURCE))
        else:
            self.app.remove_notices(ALARM_SOURCE)

    def alarms_changed(self) -> None:
        """Call after acknowledging: refresh the notice now."""
        self._dirty = True
        self.refresh()

    # -- printing --------------------------------------------------------------------------------
    @property
    def print_receipts(self) -> bool:
        """Receipts are queued at hand-over when a receipt printer is configured."""
        return "receipt" in self.hub.devices.printers

    def hand_over(self, store, order_no: str, clerk_id: str, **kwargs: Any):
        """Drop-in for ``pickup.hand_over`` (same arguments, runs on the store thread, returns
        the Order) that queues the receipt in the same transaction and wakes the printer."""
        from edge.domain import print_jobs

        order, job_id = print_jobs.handover_and_print(
            store, order_no, clerk_id, print_receipt=self.print_receipts,
            settings=self.hub.print_settings, **kwargs)
        if job_id is not None:
            self.hub.wake_printer()
        return order

    def sell(self, store, lines, clerk_id: str, **kwargs: Any):
        """Drop-in for ``sales.sell`` that queues the sale's receipt in the same transaction."""
        from edge.domain import print_jobs

        sale, job_id = print_jobs.sell_and_print(
            store, lines, clerk_id, print_receipt=self.print_receipts,
            settings=self.hub.print_settings, **kwargs)
        if job_id is not None:
            self.hub.wake_printer()
        return sale

    # -- scans -----------------------------------------------------------------------------------
    def _scan_from_thread(self, event: ScanEvent) -> None:
        try:
            self.app.call_from_thread(self.deliver, event)
        except RuntimeError:  # app closing
            pass

    def _problem_from_thread(self, message: str) -> None:
        """An unreadable scan from a serial scanner: say so plainly (property 7)."""

        def show() -> None:
            self.app.bell()
            self.app.notify(message, severity="warning")

        try:
            self.app.call_from_thread(show)
        except RuntimeError:
            pass

    def on_key(self, event: events.Key) -> bool:
        """App-level wedge detection; True when the key ended a scan and was used up here.

        Keys are never held back: they reach the focused widget as usual, and the detector only
        watches their timing. When a burst ends as a scan while the counter's scan field does
        not have the focus, the scanned characters are taken back out of the focused input,
        the Enter is swallowed (it must not confirm a dialog) and the scan goes to the counter.
        """
        if self.wedge is None or event.is_forwarded:
            return False
        if self._last_key_t is None or event.time - self._last_key_t > self.wedge.max_gap:
            self._before_burst = self._snapshot()  # a burst may start here: remember the field
        self._last_key_t = event.time
        out = self.wedge.feed(event.key, event.character, event.time)
        scans = [e for e in out if isinstance(e, Scan)]
        if not scans or self._counter_has_focus():
            return False
        self._take_back()
        self.deliver(scan_event(scans[-1].text, "wedge"))
        return True

    def _snapshot(self) -> tuple[Any, str] | None:
        from textual.widgets import Input

        focused = self.app.focused
        return (focused, focused.value) if isinstance(focused, Input) else None

    def _counter_has_focus(self) -> bool:
        from edge.ui.widgets.scan_field import ScanField

        return isinstance(self.app.focused, ScanField)

    def _take_back(self) -> None:
        """Put the focused input back as it was before the burst (it may have cut the scan
        short at its max length, so restoring beats trimming)."""
        snapshot, self._before_burst = self._before_burst, None
        if snapshot is None or snapshot[0] is not self.app.focused:
            return
        field, value = snapshot

        def restore() -> None:
            field.value = value

        field.call_later(restore)  # after the scan's keys still queued for that input

    def deliver(self, event: ScanEvent) -> None:
        """Send a scan where it belongs (UI thread). A screen that takes scans itself while it
        is open (``take_scan(text)``: the stock screen receiving a transfer) gets every one."""
        lang = self.app.lang
        take_scan = getattr(self.app.screen, "take_scan", None)
        if take_scan is not None:
            take_scan(event.text)
            return
        if event.target == "product":
            from edge.ui.screens.sale import SaleScreen

            if isinstance(self.app.screen, SaleScreen):  # a product scan belongs in the sale
                self.app.screen.add_code(event.text)
            else:
                self.app.notify(t("ui.dev.scan.product", lang, text=event.text))
            return
        counter = self._counter()
        if counter is None:
            return
        self._back_to_counter(counter, event.text)
        own = event.source == "wedge"  # the clerk's hand-held scanner, not a camera
        if event.target == "bag":
            parsed = parse_bag_qr(event.text)
            if parsed is not None:
                counter.offer(event.text, own=own, order_no=parsed[1])
            return
        counter.offer(event.text, own=own)

    def _counter(self) -> Any:
        from edge.ui.screens.counter import CounterScreen

        for screen in self.app.screen_stack:
            if isinstance(screen, CounterScreen):
                return screen
        return None

    def _back_to_counter(self, counter: Any, text: str) -> None:
        """Close the device screens (not dialogs the clerk is filling in) and tell the clerk."""
        from edge.ui.screens.dev_print_queue import PrintQueueScreen
        from edge.ui.screens.devices.temperatures import TemperatureScreen

        while isinstance(self.app.screen, (TemperatureScreen, PrintQueueScreen)):
            self.app.pop_screen()
        if self.app.screen is not counter:
            self.app.notify(t("ui.dev.scan.to_counter", self.app.lang, text=text))
