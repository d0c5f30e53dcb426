"""Partial pickup: the clerk marks lines not taken (missing or refused); the rest goes."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Input, Label, Select, Static

from edge.domain.orders import Order
from edge.domain.pickup import NOT_TAKEN_REASONS, NotTaken
from edge.i18n import t
from edge.present import line_name


class PartialScreen(ModalScreen[list[NotTaken] | None]):
    """One row per line: quantity not taken and why. Dismisses the list, or None on Esc.

    Only the shape is checked here (1 ≤ qty ≤ line qty, at least one line); hand_over checks
    everything again and its refusal is shown on the counter.
    """

    BINDINGS = [
        Binding("escape", "cancel", "ui.key.cancel"),
        Binding("f5", "confirm", "ui.key.hand_over"),
    ]

    def __init__(self, order: Order) -> None:
        super().__init__(id="partial")
        self.order = order

    def compose(self) -> ComposeResult:
        with Vertical(id="partial-box", classes="dialog"):
            yield Static(id="partial-title", classes="dialog-title")
            with VerticalScroll(id="partial-lines"):
                for line in self.order.lines:
                    with Horizontal(classes="partial-row"):
                        yield Label(id=f"partial-name-{line.line_no}", classes="partial-name")
                        yield Input(id=f"partial-qty-{line.line_no}", classes="partial-qty",
                                    restrict=r"\d{0,3}", max_length=3)
                        yield Select(self._reasons(), id=f"partial-reason-{line.line_no}",
                                     classes="partial-reason", allow_blank=False,
                                     value=NOT_TAKEN_REASONS[0])
            yield Static(id="partial-error", classes="dialog-error")
            yield Static(id="partial-help", classes="dialog-help")

    def on_mount(self) -> None:
        self.watch(self.app, "lang", lambda _lang: self._relabel())
        first = self.order.lines[0].line_no
        self.query_one(f"#partial-qty-{first}", Input).focus()

    def _relabel(self) -> None:
        lang = self.app.lang  # type: ignore[attr-defined]
        self.query_one("#partial-title", Static).update(
            f"{t('ui.partial.title', lang)}  {self.order.order_no}")
        self.query_one("#partial-help", Static).update(t("ui.partial.help", lang))
        for line in self.order.lines:
            self.query_one(f"#partial-name-{line.line_no}", Label).update(
                f"{line.line_no}. {line_name(line, lang)} ×{line.qty} {t('zone.' + line.zone, lang)}")
            self.query_one(f"#partial-qty-{line.line_no}", Input).placeholder = \
                t("ui.partial.qty_placeholder", lang)
            select = self.query_one(f"#partial-reason-{line.line_no}", Select)
            current = select.value if select.value in NOT_TAKEN_REASONS else NOT_TAKEN_REASONS[0]
            select.set_options(self._reasons())
            select.value = current

    def _reasons(self) -> list[tuple[str, str]]:
        lang = self.app.lang  # type: ignore[attr-defined]
        return [(t(f"reason.{r}", lang), r) for r in NOT_TAKEN_REASONS]

    def on_input_submitted(self, event: Input.Submitted) -> None:
        """Enter goes to the next line's quantity; on the last line it confirms."""
        event.stop()
        numbers = [line.line_no for line in self.order.lines]
        current = int((event.input.id or "0").rsplit("-", 1)[-1])
        index = numbers.index(current)
        if index + 1 < len(numbers):
            self.query_one(f"#partial-qty-{numbers[index + 1]}", Input).focus()
        else:
            self.action_confirm()

    def not_taken(self) -> list[NotTaken] | tuple[str, dict]:
        """The marked lines, or why the form is not acceptable (an i18n key and params)."""
        marked = []
        for line in self.order.lines:
            raw = self.query_one(f"#partial-qty-{line.line_no}", Input).value.strip()
            if not raw:
                continue
            qty = int(raw)
            if qty == 0:
                continue
            if qty > line.qty:
                return ("ui.partial.bad_qty", {"line_no": line.line_no, "max": line.qty})
            reason = self.query_one(f"#partial-reason-{line.line_no}", Select).value
            marked.append(NotTaken(line.line_no, qty, str(reason)))
        if not marked:
            return ("ui.partial.none_marked", {})
        return marked

    def action_confirm(self) -> None:
        result = self.not_taken()
        if isinstance(result, tuple):
            self.app.bell()
            key, params = result
            self.query_one("#partial-error", Static).update(
                t(key, self.app.lang, **params))  # type: ignore[attr-defined]
            return
        self.dismiss(result)

    def action_cancel(self) -> None:
        self.dismiss(None)
