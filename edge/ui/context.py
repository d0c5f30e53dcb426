"""What every screen and widget asks the app: the user's language and who is signed in.

A mixin (put it first among the bases) instead of the same two properties in each screen.
"""

from __future__ import annotations


class UserContext:
    """``lang`` and ``signed_in_id`` (the signed-in clerk's id, "" when nobody is) of the
    running app. (Dialogs that act for someone else, e.g. a manager stepping in, keep their
    own ``actor``.)"""

    @property
    def lang(self) -> str:
        return self.app.lang  # type: ignore[attr-defined]

    @property
    def signed_in_id(self) -> str:
        clerk = self.app.clerk  # type: ignore[attr-defined]
        return clerk.clerk_id if clerk else ""
