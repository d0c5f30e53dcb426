"""The arithmetic of prep suggestions, apart from the database: how many units of a SKU the
next hours will ask for, and every figure that went into it (the panel shows them).

Why this method (measured by ``python -m bench prep`` against "same hour last week"):
- the store's own demand by weekday and hour: the **median** of the same weekday and hour
  over the last ``WEEKS`` weeks. A median, because a live stream or a holiday in one of those
  weeks must not carry into this one; and the errors that count are per unit (MAE);
- thin history (a new store): blended with the hour's profile over all recent days;
- today's **level**: what sold today so far against what the same figures expected (rain,
  a holiday, a slow Monday), and each SKU's **trend** (last 7 days against the weeks before:
  a new product, a mix change). Both shrunk towards 1 and bounded;
- a live stream running now: its pace from HQ (orders per minute, units of the SKU per
  order) over the minutes ahead, weighted by how likely the stream still runs then
  (``STREAM_HALF_LIFE``). Online orders outside streams are the history's live part.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from statistics import median

WEEKS = 6  # same weekday+hour samples (weeks back)
MIN_WEEKS = 3  # fewer samples than this: blend with the all-days hour profile
PROFILE_DAYS = 14  # the all-days hour profile looks back this far
LEVEL_PRIOR = 30.0  # units: today's level is shrunk towards 1 by this much evidence
LEVEL_BOUNDS = (0.6, 1.6)
TREND_PRIOR = 12.0  # units: a SKU's trend is shrunk towards 1 by this much evidence
TREND_BOUNDS = (0.5, 2.0)
STREAM_HALF_LIFE_MIN = 45.0  # a running stream's pace counts half this many minutes ahead
STREAM_FRESH = timedelta(minutes=5)  # an older stream.rate is not used


@dataclass(frozen=True)
class Stream:
    """HQ's last word on a live stream (``stream.rate``)."""

    channel: str
    stream_id: str
    started_at: datetime
    as_of: datetime
    orders_per_min: float
    units_per_order: dict[str, float]

    def fresh(self, now: datetime) -> bool:
        return now - self.as_of <= STREAM_FRESH


@dataclass
class Demand:
    """Units asked per SKU and local clock hour (``datetime`` at the hour, naive local time),
    apart for live-stream orders and everything else (counter sales, mini-program)."""

    other: dict[tuple[str, datetime], float] = field(default_factory=lambda: defaultdict(float))
    live: dict[tuple[str, datetime], float] = field(default_factory=lambda: defaultdict(float))
    first_day: date | None = None  # the first day with any demand (days before: unknown)

    def add(self, sku: str, hour: datetime, units: float, live: bool) -> None:
        (self.live if live else self.other)[(sku, hour)] += units
        if self.first_day is None or hour.date() < self.first_day:
            self.first_day = hour.date()

    @property
    def skus(self) -> set[str]:
        return {sku for sku, _ in self.other} | {sku for sku, _ in self.live}


@dataclass(frozen=True)
class HourPart:
    """One hour of one SKU's figure, with how it was reached."""

    start: datetime  # local, at the hour
    fraction: float  # part of the hour still ahead (the current hour: less than 1)
    samples: int  # same weekday+hour weeks used
    method: str  # weekday | blend | profile | none
    history: float  # the history's figure for the whole hour (before level and trend)
    live_history: float  # the history's live-stream part (replaced by a running stream)
    level: float
    trend: float
    stream_rate: float = 0.0  # orders per minute (0: no stream running)
    stream_share: float = 0.0  # units of this SKU per stream order
    stream_minutes: float = 0.0  # minutes of this hour the stream is counted for

    @property
    def stream_units(self) -> float:
        return self.stream_rate * self.stream_minutes * self.stream_share

    @property
    def base(self) -> float:
        """History's part, adjusted, for the part of the hour ahead."""
        live = 0.0 if self.stream_rate else self.live_history
        return (self.history * self.level * self.trend + live) * self.fraction

    @property
    def total(self) -> float:
        return self.base + self.stream_units


def _local_hour(moment: datetime) -> datetime:
    return moment.astimezone().replace(minute=0, second=0, microsecond=0, tzinfo=None)


class Forecaster:
    """Per-SKU hourly figures from one store's demand history, as of ``now``."""

    def __init__(self, demand: Demand, now: datetime, stream: Stream | None = None) -> None:
        self.d = demand
        self.now = now
        self.hour = _local_hour(now)
        self.stream = stream if stream is not None and stream.fresh(now) else None
        self.level = self._level()
        self._trends: dict[str, float] = {}

    # -- the history's figure ---------------------------------------------------------------
    def _known(self, moment: datetime) -> bool:
        return self.d.first_day is not None and moment.date() >= self.d.first_day

    def weekday_samples(self, sku: str, hour: datetime) -> list[float]:
        """The same weekday and hour in the weeks before ``hour`` (only days with history)."""
        out = []
        for k in range(1, WEEKS + 1):
            then = hour - timedelta(weeks=k)
            if self._known(then):
                out.append(self.d.other.get((sku, then), 0.0))
        return out

    def profile(self, sku: str, hour: datetime) -> tuple[float, int]:
        """Mean of this clock hour over the recent days with history (any weekday)."""
        values = []
        for k in range(1, PROFILE_DAYS + 1):
            then = hour - timedelta(days=k)
            if then < self.hour and self._known(then):
                values.append(self.d.other.get((sku, then), 0.0))
        return (sum(values) / len(values), len(values)) if values else (0.0, 0)

    def history(self, sku: str, hour: datetime) -> tuple[float, int, str]:
        """(units, samples, method) for a whole hour, before level and trend."""
        samples = self.weekday_samples(sku, hour)
        if len(samples) >= MIN_WEEKS:
            return median(samples), len(samples), "weekday"
        profile, days = self.profile(sku, hour)
        if not samples:
            return profile, 0, "profile" if days else "none"
        w = len(samples) / MIN_WEEKS
        return w * median(samples) + (1 - w) * profile, len(samples), "blend"

    def live_history(self, sku: str, hour: datetime) -> float:
        values = [self.d.live.get((sku, hour - timedelta(weeks=k)), 0.0)
                  for k in range(1, WEEKS + 1) if self._known(hour - timedelta(weeks=k))]
        return median(values) if values else 0.0

    # -- adjustments ------------------------------------------------------------------------
    def _level(self) -> float:
        """Today so far (whole hours before this one) against what the history expected."""
        start = self.hour.replace(hour=0)
        actual = expected = 0.0
        skus = {sku for sku, _ in self.d.other}
        hour = start
        while hour < self.hour:
            for sku in skus:
                actual += self.d.other.get((sku, hour), 0.0)
                samples = self.weekday_samples(sku, hour)
                if samples:
                    expected += median(samples)
            hour += timedelta(hours=1)
        if expected <= 0:
            return 1.0
        return _bounded((actual + LEVEL_PRIOR) / (expected + LEVEL_PRIOR), LEVEL_BOUNDS)

    def trend(self, sku: str) -> float:
        """The SKU's last 7 days against its average week before them (shrunk, bounded)."""
        if sku not in self._trends:
            recent = prior = 0.0
            weeks = 0
            for k in range(WEEKS):
                total = sum(self.d.other.get((sku, self.hour - timedelta(hours=h + 1 + 168 * k)), 0.0)
                            for h in range(168))
                if k == 0:
                    recent = total
                elif self._known(self.hour - timedelta(hours=168 * (k + 1))):
                    prior += total
                    weeks += 1
            if weeks == 0 or not self._known(self.hour - timedelta(hours=168)):
                self._trends[sku] = 1.0
            else:
                self._trends[sku] = _bounded((recent + TREND_PRIOR) / (prior / weeks + TREND_PRIOR),
                                             TREND_BOUNDS)
        return self._trends[sku]

    # -- the figure -------------------------------------------------------------------------
    def hours(self, sku: str, n: int) -> list[HourPart]:
        """The next ``n`` clock hours, this one first (only its part still ahead)."""
        local_now = self.now.astimezone().replace(tzinfo=None)
        parts = []
        for i in range(n):
            start = self.hour + timedelta(hours=i)
            ahead_from = max(local_now, start)
            fraction = (start + timedelta(hours=1) - ahead_from).total_seconds() / 3600
            units, samples, method = self.history(sku, start)
            rate = share = minutes = 0.0
            if self.stream is not None:
                rate = self.stream.orders_per_min
                share = self.stream.units_per_order.get(sku, 0.0)
                minutes = _stream_minutes((ahead_from - local_now).total_seconds() / 60,
                                          (start + timedelta(hours=1) - local_now).total_seconds() / 60)
            parts.append(HourPart(start, round(fraction, 4), samples, method, units,
                                  self.live_history(sku, start), self.level, self.trend(sku),
                                  rate, share, minutes))
        return parts

    def skus(self) -> set[str]:
        """Every SKU with demand in the history or sold by the running stream."""
        return self.d.skus | (set(self.stream.units_per_order) if self.stream else set())


def _stream_minutes(a: float, b: float) -> float:
    """Minutes from ``a`` to ``b`` (minutes from now) weighted by the chance the stream still
    runs: it halves every ``STREAM_HALF_LIFE_MIN``."""
    tau = STREAM_HALF_LIFE_MIN / math.log(2)
    return tau * (math.exp(-a / tau) - math.exp(-b / tau))


def _bounded(value: float, bounds: tuple[float, float]) -> float:
    return min(max(value, bounds[0]), bounds[1])


def units(parts: list[HourPart]) -> int:
    """Whole units for hours of a SKU (rounded half up)."""
    return int(math.floor(sum(p.total for p in parts) + 0.5))
