"""Weeks of one store's demand, made up for the prep backtest (``bench_prep``).

Deliberately NOT the suggestion's model (edge/domain/prep_model.py): demand here is a
smooth intensity (a day shape per product group, weekday effects), a slow trend per SKU,
a weather-like factor per day that carries over from the day before, two holidays, a SKU
introduced halfway and one withdrawn, gamma-Poisson (negative binomial, overdispersed)
counts, and live streams at random hours with a ramp and a fade, a third of which flop.
The suggestion only ever sees the orders and sales this writes into the store's database.
"""

from __future__ import annotations

import math
import random
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

OPEN_HOUR, CLOSE_HOUR = 8, 22  # the shop sells from 08:00 to 22:00 (local)
DISPERSION = 2.5  # negative binomial shape: variance = mean + mean² / DISPERSION

# sku, zh, en, zone, shelf life (days), group, mean units per open hour at level 1
SKUS = [
    ("CAKE-01", "草莓奶油蛋糕", "Strawberry cream cake", "chilled", 2, "cake", 1.2),
    ("CAKE-02", "芒果千层", "Mango mille-crepe", "chilled", 2, "cake", 0.8),
    ("BRD-01", "法式牛角包", "Butter croissant", "ambient", 2, "bakery", 4.0),
    ("BRD-02", "全麦吐司", "Wholemeal loaf", "ambient", 3, "bakery", 2.0),
    ("BRD-03", "肉松小贝", "Pork floss bun", "ambient", 2, "bakery", 2.5),
    ("DLI-01", "三文鱼刺身", "Salmon sashimi", "chilled", 1, "deli", 1.5),
    ("DLI-02", "卤牛肉便当", "Braised beef bento", "chilled", 1, "deli", 3.0),
    ("DLI-03", "凉拌青菜", "Dressed greens", "chilled", 1, "deli", 1.8),
    ("MLK-01", "鲜牛奶 950ml", "Fresh milk 950ml", "chilled", 7, "dairy", 2.2),
    ("MLK-02", "酸奶杯", "Yoghurt cup", "chilled", 14, "dairy", 1.6),
    ("NUT-01", "每日坚果", "Daily nuts", "ambient", 180, "dry", 1.0),
    ("NEW-01", "抹茶麻薯", "Matcha mochi", "chilled", 3, "bakery", 2.5),  # from halfway
]
NEW_SKU, GONE_SKU = "NEW-01", "BRD-02"


def _shape(group: str, hour: float) -> float:
    """Relative intensity in the day per product group (smooth bumps, no table)."""
    def bump(center: float, width: float) -> float:
        return math.exp(-((hour - center) / width) ** 2)
    if group == "bakery":
        return 0.35 + 1.4 * bump(8.8, 1.4) + 0.6 * bump(16.5, 2.0)
    if group == "deli":
        return 0.2 + 1.5 * bump(12.0, 1.1) + 1.3 * bump(18.5, 1.4)
    if group == "cake":
        return 0.3 + 0.9 * bump(15.5, 2.5) + 0.8 * bump(19.5, 1.5)
    return 0.5 + 0.6 * bump(10.0, 2.0) + 0.7 * bump(18.0, 2.0)


def _weekday(group: str, wd: int) -> float:
    weekend = wd >= 5
    return {"cake": 1.7 if weekend else 0.85, "deli": 0.75 if weekend else 1.1,
            "bakery": 1.25 if weekend else 1.0}.get(group, 1.15 if weekend else 0.95)


def _nb(rng: random.Random, mean: float) -> int:
    """Negative binomial by gamma-Poisson mixing."""
    if mean <= 0:
        return 0
    lam = rng.gammavariate(DISPERSION, mean / DISPERSION)
    # Poisson by inversion (small means) or normal approximation (large)
    if lam > 60:
        return max(0, int(round(rng.gauss(lam, math.sqrt(lam)))))
    k, p, target = 0, math.exp(-lam), rng.random()
    cum = p
    while cum < target:
        k += 1
        p *= lam / k
        cum += p
    return k


@dataclass
class Stream:
    start: datetime  # local
    minutes: int
    peak: float  # orders per minute at the peak
    skus: list[tuple[str, float]]  # sku, weight
    flop: bool

    def rate(self, t: datetime) -> float:
        """Orders per minute: a 10-minute ramp, a plateau, then a fade over the last third."""
        m = (t - self.start).total_seconds() / 60
        if m < 0 or m >= self.minutes:
            return 0.0
        ramp = min(1.0, (m + 1) / 10)
        fade_from = self.minutes * 2 / 3
        fade = 1.0 if m < fade_from else max(0.1, 1 - (m - fade_from) / (self.minutes - fade_from))
        return self.peak * ramp * fade


@dataclass
class History:
    """What happened: every order and sale (local times), and the streams behind them."""

    start: date
    days: int
    sales: list[tuple[datetime, list[tuple[str, int]]]] = field(default_factory=list)  # counter
    orders: list[tuple[datetime, str, list[tuple[str, int]], bool]] = field(default_factory=list)
    streams: list[Stream] = field(default_factory=list)
    holidays: list[date] = field(default_factory=list)

    def units(self) -> dict[tuple[str, datetime], int]:
        """Units per SKU and local hour, every channel (what a suggestion is measured on)."""
        out: dict[tuple[str, datetime], int] = {}
        for at, lines in self.sales:
            for sku, qty in lines:
                key = (sku, at.replace(minute=0, second=0, microsecond=0))
                out[key] = out.get(key, 0) + qty
        for at, _channel, lines, _mto in self.orders:
            for sku, qty in lines:
                key = (sku, at.replace(minute=0, second=0, microsecond=0))
                out[key] = out.get(key, 0) + qty
        return out

    def live_orders(self) -> list[tuple[datetime, list[tuple[str, int]]]]:
        return [(at, lines) for at, channel, lines, _ in self.orders if channel == "live"]


def generate(start: date, days: int, seed: int = 11) -> History:
    rng = random.Random(seed)
    h = History(start, days)
    h.holidays = sorted(rng.sample([start + timedelta(days=d) for d in range(7, days)], 2))
    trend = {sku: rng.uniform(-0.35, 0.45) for sku, *_ in SKUS}  # change over the whole span
    groups = {sku: (group, mean) for sku, _, _, _, _, group, mean in SKUS}
    weather = 1.0
    for d in range(days):
        day = start + timedelta(days=d)
        weather = math.exp(0.6 * math.log(weather) + rng.gauss(0, 0.15))  # carries over
        holiday = 1.9 if day in h.holidays else 1.0
        for hour in range(OPEN_HOUR, CLOSE_HOUR):
            for sku, (group, mean) in groups.items():
                if sku == NEW_SKU and d < days // 2:
                    continue
                if sku == GONE_SKU and d > days * 3 // 4:
                    continue
                drift = 1 + trend[sku] * d / days
                wd = _weekday(group, day.weekday())
                mu = mean * _shape(group, hour + 0.5) * wd * drift * weather * holiday
                if sku == NEW_SKU:  # a launch: strong at first, settling
                    mu *= 1.6 - 0.6 * min(1.0, (d - days // 2) / 10)
                n = _nb(rng, mu)
                for _ in range(n):  # one unit per sale or order line
                    at = datetime.combine(day, datetime.min.time()) + timedelta(
                        hours=hour, seconds=rng.randrange(3600))
                    if rng.random() < 0.7:
                        h.sales.append((at, [(sku, 1)]))
                    else:
                        h.orders.append((at, "mini", [(sku, 1)], group == "cake"))
        _streams_of_day(rng, h, day)
    h.sales.sort()
    h.orders.sort(key=lambda o: o[0])
    return h


def _streams_of_day(rng: random.Random, h: History, day: date) -> None:
    """About one stream every other day, at a random hour; a third flop."""
    if rng.random() > 0.5:
        return
    start = datetime.combine(day, datetime.min.time()) + timedelta(
        hours=rng.randint(10, 19), minutes=rng.choice((0, 15, 30, 45)))
    flop = rng.random() < 0.33
    minutes = rng.randint(20, 45) if flop else rng.randint(60, 180)
    peak = rng.uniform(0.1, 0.5) if flop else rng.uniform(0.8, 4.0)
    chosen = rng.sample([s[0] for s in SKUS if s[0] != NEW_SKU], k=rng.randint(2, 4))
    stream = Stream(start, minutes, peak, [(sku, rng.uniform(0.5, 2.0)) for sku in chosen], flop)
    h.streams.append(stream)
    t = start
    while t < start + timedelta(minutes=minutes):
        for _ in range(_nb(rng, stream.rate(t))):
            at = t + timedelta(seconds=rng.randrange(60))
            skus = [s for s, _ in stream.skus]
            weights = [w for _, w in stream.skus]
            picked = set(rng.choices(skus, weights, k=rng.choice((1, 1, 2))))
            lines = [(sku, rng.choice((1, 1, 2))) for sku in sorted(picked)]
            h.orders.append((at, "live", lines, any(s.startswith("CAKE") for s in picked)))
        t += timedelta(minutes=1)


def order_no() -> str:
    return "H" + uuid.uuid4().hex[:12].upper()
