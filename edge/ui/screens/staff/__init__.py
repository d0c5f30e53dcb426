"""Staff: clerks and managers, PINs, unlocking (ctrl+u, managers only).

``StaffScreen`` (screen.py) is the page; ``StaffFormScreen`` (form.py) the dialog to add
someone or give a new PIN; ``text.py`` the words, also of sign-out and role gating.
"""

from edge.ui.screens.staff.screen import StaffScreen

__all__ = ["StaffScreen"]
