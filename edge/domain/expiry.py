"""Near-expiry stock and the markdown the store is advised to put on it.

The rule is short on purpose, so a manager can apply it in their head (``MARKDOWN_RULE``
explains it on screen): chilled food loses everything when its date passes, so it is marked
down hardest; ambient and frozen goods keep better. Days left counts whole days from today
(the store's local date) to the lot's expiry date; 0 means it expires today.

    days left        chilled   ambient / frozen
    0 (today)         50 %        30 %
    1                 30 %        20 %
    2 .. the window   20 %        10 %
    past expiry       off the shelf: book it out (adjust, reason "expired")
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlite_utils import Database

from edge.clock import utcnow
from edge.domain import stock

DEFAULT_NEAR_EXPIRY_DAYS = 3
MARKDOWN_RULE = "stock.markdown_rule"  # i18n key: the rule above in a sentence
# days left -> percent off, per zone kind; the last entry holds for the rest of the window
_PERCENT = {"chilled": (50, 30, 20), "other": (30, 20, 10)}


@dataclass(frozen=True)
class NearExpiry:
    sku: str
    name_zh: str
    name_en: str
    zone: str | None
    lot: str
    expiry: str
    on_hand: int
    days_left: int
    markdown_percent: int | None  # None: expired, take it off the shelf

    @property
    def expired(self) -> bool:
        return self.days_left < 0


def markdown_percent(zone: str | None, days_left: int) -> int | None:
    """Suggested percent off for a lot with ``days_left`` days to go (None: expired)."""
    if days_left < 0:
        return None
    steps = _PERCENT["chilled" if zone == "chilled" else "other"]
    return steps[min(days_left, len(steps) - 1)]


def local_today() -> date:
    """The store's date (its local time zone), which expiry dates are written in."""
    return utcnow().astimezone().date()


def near_expiry(db: Database, *, within_days: int = DEFAULT_NEAR_EXPIRY_DAYS,
                today: date | None = None) -> list[NearExpiry]:
    """Lots with stock whose expiry is at most ``within_days`` days away (or past), soonest
    first, each with its suggested markdown."""
    return near_expiry_of(stock.overview(db), within_days=within_days, today=today)


def near_expiry_of(rows: list[stock.SkuStock], *, within_days: int,
                   today: date | None = None) -> list[NearExpiry]:
    """The same, from an overview already read (the stock screen reads the ledger once)."""
    today = today or local_today()
    result = []
    for row in rows:
        for lot in row.lots:
            if lot.lot is None or lot.expiry is None or lot.on_hand <= 0:
                continue
            try:
                days_left = (date.fromisoformat(lot.expiry[:10]) - today).days
            except ValueError:
                continue  # an expiry that is not a date is shown in the lot list, not here
            if days_left <= within_days:
                result.append(NearExpiry(row.sku, row.name_zh, row.name_en, row.zone, lot.lot,
                                         lot.expiry[:10], lot.on_hand, days_left,
                                         markdown_percent(row.zone, days_left)))
    return sorted(result, key=lambda r: (r.expiry, r.sku, r.lot))
