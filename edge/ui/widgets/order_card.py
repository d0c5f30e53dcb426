"""The counter's answer to a scan: a big coloured verdict over the order's details.

Renders whatever the counter screen last decided to show (empty help, a verdict, a list of
phone matches, a finished hand-over, an error) and re-renders it when the language changes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.app import RenderResult
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from edge.domain.orders import Line, Order
from edge.domain.pickup import Verdict
from edge.i18n import t
from edge.present import line_name, verdict_message, window_text
from edge.ui.context import UserContext

# verdict colour by kind: green can go, yellow needs a step (override, wait, pack), red stop
VERDICT_TONE = {
    "ok": "ok",
    "overdue": "warn", "before_window": "warn", "not_ready": "warn", "no_match": "warn",
    "matches": "info",
}
ZONE_STYLE = {"ambient": "bold", "chilled": "bold cyan", "frozen": "bold blue"}


def tone(kind: str) -> str:
    """ok | warn | info | stop: the banner's colour class for a verdict kind."""
    return VERDICT_TONE.get(kind, "stop")


class VerdictBanner(Static):
    """The big coloured line. Tells whoever waits for it when its new content was drawn."""

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self._on_drawn: Callable[[], None] | None = None

    def when_drawn(self, callback: Callable[[], None] | None) -> None:
        self._on_drawn = callback

    def render(self) -> RenderResult:
        # render() runs while a frame is composed; the callback sees that frame as done
        visual = super().render()
        if self._on_drawn is not None:
            callback, self._on_drawn = self._on_drawn, None
            callback()
        return visual


@dataclass
class CardState:
    """What the card shows; kept so a language switch can draw it again."""

    mode: str = "empty"  # empty | checking | verdict | done | error
    verdict: Verdict | None = None
    order: Order | None = None
    message: tuple[str, dict] | None = None  # an i18n key and its params


class OrderCard(UserContext, Vertical):
    """Verdict banner, order head, lines and bags, phone matches, or help when empty."""

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.state = CardState()

    def compose(self) -> ComposeResult:
        yield VerdictBanner(id="verdict")
        yield Static(id="help")
        yield Static(id="head")
        with Horizontal(id="details"):
            yield Static(id="lines")
        yield OptionList(id="matches")

    def on_mount(self) -> None:
        self.query_one("#matches", OptionList).can_focus = False
        self.watch(self.app, "lang", lambda _lang: self.render_state(), init=False)
        self.render_state()


    def show(self, state: CardState, on_drawn: Callable[[], None] | None = None) -> None:
        """Show ``state``; ``on_drawn`` runs once the frame showing it has been composed."""
        self.state = state
        self.query_one("#verdict", VerdictBanner).when_drawn(on_drawn)
        self.render_state()

    # -- drawing -------------------------------------------------------------------------------
    def render_state(self) -> None:
        s, lang = self.state, self.lang
        banner = self.query_one("#verdict", Static)
        help_ = self.query_one("#help", Static)
        matches = self.query_one("#matches", OptionList)
        order = s.order or (s.verdict.order if s.verdict else None)
        help_.display = s.mode == "empty"
        matches.display = bool(s.verdict and s.verdict.kind == "matches" and s.mode == "verdict")
        text: str | Text
        if s.mode == "verdict" and s.verdict is not None:
            text, tone_class = verdict_text(s.verdict, lang), f"-{tone(s.verdict.kind)}"
        elif s.mode in ("done", "error"):
            key, params = s.message or ("ui.counter.error", {"message": ""})
            text, tone_class = t(key, lang, **params), "-done" if s.mode == "done" else "-stop"
        elif s.mode == "checking":
            text, tone_class = t("ui.counter.checking", lang), "-checking"
        else:
            text, tone_class = t("ui.counter.empty_title", lang), "-empty"
            help_.update(t("ui.counter.empty_help", lang))
        banner.update(text, layout=False)  # fixed height (app.tcss): a repaint, no relayout
        banner.set_classes(tone_class)
        self._draw_order(order if s.mode != "empty" else None)
        if matches.display and s.verdict is not None:
            self._draw_matches(s.verdict.matches)

    def _draw_order(self, order: Order | None) -> None:
        lang = self.lang
        for wid in ("#head", "#details"):
            self.query_one(wid).display = order is not None
        if order is None:
            return
        # fixed-size boxes (app.tcss): new content is a repaint, not a new layout
        self.query_one("#head", Static).update(order_head(order, lang), layout=False)
        self.query_one("#lines", Static).update(order_lines(order, lang), layout=False)

    def _draw_matches(self, found: list[Order]) -> None:
        option_list = self.query_one("#matches", OptionList)
        highlighted = option_list.highlighted
        option_list.clear_options()
        option_list.add_options([Option(match_row(o, self.lang), id=o.order_no) for o in found])
        option_list.highlighted = highlighted if highlighted is not None else 0

    # -- the phone-match list, driven from the scan field --------------------------------------
    def move_choice(self, step: int) -> None:
        option_list = self.query_one("#matches", OptionList)
        if option_list.display and option_list.option_count:
            current = option_list.highlighted or 0
            option_list.highlighted = max(0, min(option_list.option_count - 1, current + step))

    def chosen(self) -> Order | None:
        """The highlighted phone match, if the list is showing."""
        option_list = self.query_one("#matches", OptionList)
        s = self.state
        if not option_list.display or s.verdict is None or option_list.highlighted is None:
            return None
        return s.verdict.matches[option_list.highlighted]

    def flash(self) -> None:
        """A short highlight so a clerk sees that a new scan landed, even with the same verdict."""
        banner = self.query_one("#verdict", Static)
        banner.add_class("-flash")
        self.set_timer(0.35, lambda: banner.remove_class("-flash"))


def verdict_text(verdict: Verdict, lang: str) -> Text:
    """The verdict, plus what to do next when there is something to do."""
    text = Text(verdict_message(verdict, lang))
    hint = ("ui.hint.ok" if verdict.can_hand_over else "ui.hint.override" if verdict.needs_override
            else "ui.counter.choose_hint" if verdict.kind == "matches" else None)
    if hint:
        text.append("\n" + t(hint, lang), style="not bold")
    return text


def order_head(order: Order, lang: str) -> Text:
    """Two lines: number, channel, fulfilment, status / customer, phone, window, payment."""
    text = Text()
    text.append(f"{t('ui.card.order_no', lang)} ", style="dim")
    text.append(order.order_no, style="bold")
    text.append(f"  {t('channel.' + order.channel, lang)}")
    text.append(f" · {t('fulfilment.' + order.fulfilment, lang)}")
    if order.made_to_order:
        text.append(f" · {t('ui.card.made_to_order', lang)}", style="magenta")
    text.append(f"  {t('ui.card.status', lang)} ", style="dim")
    text.append(t("status." + order.status, lang), style="bold")
    text.append("\n")
    text.append(f"{t('ui.card.customer', lang)} ", style="dim")
    text.append(order.customer_masked, style="bold")
    text.append(f"  {t('ui.card.phone', lang)} ", style="dim")
    text.append(order.phone_last4, style="bold")
    text.append(f"  {t('ui.card.window', lang)} ", style="dim")
    text.append(window_text(order))
    text.append(f"  {t('ui.card.payment', lang)} ", style="dim")
    paid = order.payment_status == "paid"
    text.append(t("payment." + order.payment_status, lang), style="green" if paid else "bold red")
    return text


def order_lines(order: Order, lang: str) -> Table:
    """One row per line, with the bag (and where it is kept) that line goes in.

    Lines and bags used to be two columns side by side in bag order, so on a mixed-zone order
    an item stood next to another zone's bag. A row of one table keeps them together however
    long a name or a note wraps.
    """
    table = Table.grid(padding=(0, 1), expand=True)
    table.add_column(ratio=3)
    table.add_column(ratio=2)
    table.add_row(Text(t("ui.card.lines", lang), style="dim"),
                  Text(t("ui.card.bags", lang), style="dim"))
    for line in order.lines:
        bags = (Text(t("ui.card.given_up", lang), style="dim") if line.given_up
                else line_bags(order, line.zone, lang))  # missing at pick: no bag waits for it
        table.add_row(_line_cell(line, lang), bags)
    return table


def _line_cell(line: Line, lang: str) -> Text:
    text = Text(f"{line.line_no}. {line_name(line, lang)} ")
    text.append(f"×{line.qty} ", style="bold")
    text.append(t("zone." + line.zone, lang), style=ZONE_STYLE.get(line.zone, ""))
    if line.qty_not_taken:
        text.append("  " + t("ui.card.not_taken", lang, qty=line.qty_not_taken,
                             reason=t(f"reason.{line.not_taken_reason}", lang)), style="yellow")
    return text


def line_bags(order: Order, zone: str, lang: str) -> Text:
    """The bag(s) of ``zone``: which bag, where it is kept, packed or not."""
    text = Text()
    bags = [bag for bag in order.bags if bag.zone == zone]
    if not bags:
        return Text(t("ui.card.not_packed", lang), style="bold yellow")
    for i, bag in enumerate(bags):
        if i:
            text.append("\n")
        text.append(t("ui.card.bag", lang, zone=t("zone." + bag.zone, lang), bag_no=bag.bag_no),
                    style=ZONE_STYLE.get(bag.zone, ""))
        text.append(f" {t('keep.' + bag.zone, lang)} ")
        text.append(bag.slot or t("ui.card.no_slot", lang), style="bold")
        if bag.packed:
            text.append(f" {t('ui.card.packed', lang)}", style="green")
        else:
            text.append(f" {t('ui.card.not_packed', lang)}", style="bold yellow")
    return text


def match_row(order: Order, lang: str) -> str:
    return t("ui.counter.match_row", lang, order_no=order.order_no, customer=order.customer_masked,
             last4=order.phone_last4, status=t("status." + order.status, lang),
             window=window_text(order))
