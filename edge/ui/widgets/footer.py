"""Footer whose key hints are i18n keys, shown in the app's current language."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.widgets import Footer
from textual.widgets._footer import FooterKey

from edge.i18n import t


class LocalFooter(Footer):
    """Binding descriptions are catalog keys (``ui.key.*``); translated at compose time.

    Compact: every key of the counter must fit in 80 columns."""

    def __init__(self, *args, **kwargs) -> None:
        # the palette key (ctrl+p) is an ordinary key here, beside quit: Textual's docked
        # palette key let the keys behind it show through at 80 columns
        super().__init__(*args, compact=True, show_command_palette=False, **kwargs)

    def compose(self) -> ComposeResult:
        lang: str = self.app.lang  # type: ignore[attr-defined]
        for widget in super().compose():
            if isinstance(widget, FooterKey):
                widget.description = t(widget.description, lang)
            yield widget

    def on_mount(self) -> None:
        self.watch(self.app, "lang", lambda _lang: self.recompose(), init=False)
