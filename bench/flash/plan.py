"""What every process of the flash sale agrees on: the catalog, stock sizes, rates, seeds.

Written once by the orchestrator as JSON and read by each child, so a run is repeatable
from its seed and no child guesses another's numbers.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, field
from pathlib import Path

# sku, name_zh, name_en, zone, price_cents, weight in orders and at the counter, scarce?
CATALOG: tuple[tuple[str, str, str, str, int, int, bool], ...] = (
    ("FS-B01", "法式牛角包", "Butter croissant", "ambient", 1200, 5, False),
    ("FS-N01", "每日坚果", "Daily nuts", "ambient", 3990, 5, False),
    ("FS-D01", "鲜牛奶 950ml", "Fresh milk 950ml", "chilled", 1590, 5, False),
    ("FS-Y01", "希腊酸奶", "Greek yoghurt", "chilled", 990, 5, False),
    ("FS-M01", "澳洲和牛西冷", "Wagyu sirloin", "frozen", 25800, 5, False),
    ("FS-F01", "速冻水饺", "Frozen dumplings", "frozen", 2990, 5, False),
    # deliberately scarce: HQ must refuse orders once the store's allotment is gone
    ("FS-S01", "三文鱼刺身", "Salmon sashimi", "chilled", 8800, 1, True),
    ("FS-S02", "限量蛋糕", "Limited cake", "ambient", 19900, 1, True),
)
CLERK = ("c01", "王芳", "1111")
MANAGER = ("m01", "张经理", "9999")  # grants the allotment (a manager-only action)
# expected units of one plain SKU per order: 1.75 lines x 1.5 units x its share of lines
UNITS_PER_ORDER_PER_SKU = 1.75 * 1.5 * 5 / sum(row[5] for row in CATALOG)


@dataclass
class Plan:
    """One run's shape; ``quick`` only changes the defaults the orchestrator picks."""

    stores: int = 20
    orders: int = 10_000
    place_seconds: float = 60.0
    backlog_events: int = 50_000
    backlog_orders: int = 200
    offline_share: float = 0.30
    sale_rate: float = 1.5  # counter sales per second per store
    shrink_rate: float = 0.2  # counts that find less and waste, per second per store
    missing_share: float = 0.05  # hand-overs with a unit missing at pick
    sync_interval: float = 1.0
    channel_threads: int = 12
    seed: int = 7
    store_ids: list[str] = field(default_factory=list)

    def orders_per_store(self) -> float:
        return self.orders / max(1, self.stores)

    def allotment(self, scarce: bool) -> int:
        """Plain SKUs: room for ~1.5x the expected online demand; scarce ones: ~1/3 of it."""
        demand = self.orders_per_store() * UNITS_PER_ORDER_PER_SKU
        return max(4, math.ceil(demand * (0.06 if scarce else 1.5)))

    def on_hand(self, scarce: bool) -> int:
        """Twice the allotment: the counter may sell the other half."""
        return 2 * self.allotment(scarce)

    def save(self, path: Path) -> None:
        path.write_text(json.dumps(asdict(self)))

    @classmethod
    def load(cls, path: Path) -> "Plan":
        return cls(**json.loads(Path(path).read_text()))


def weighted_skus() -> tuple[list[str], list[int]]:
    return [row[0] for row in CATALOG], [row[5] for row in CATALOG]


def is_scarce(sku: str) -> bool:
    return any(row[0] == sku and row[6] for row in CATALOG)
