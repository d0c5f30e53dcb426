"""``hq simulate-stream``: keeps placing realistic live-stream orders over HTTP, gently."""

from __future__ import annotations

import random
import time
import uuid
from typing import Callable, TextIO

import httpx

from ..protocol import ORDERS_PATH
from .demo_data import DEMO_CATALOG, GIVEN, SURNAMES

STREETS = ("南京西路", "愚园路", "延安中路", "常德路", "万航渡路", "北京西路")


def random_address(rng: random.Random) -> str:
    """A plausible address within about 3 km of a Jing'an store (lane, building, room)."""
    return (f"上海市静安区{rng.choice(STREETS)}{rng.randint(1, 1999)}弄"
            f"{rng.randint(1, 30)}号楼{rng.randint(1, 30)}{rng.randint(1, 4):02d}室")


def random_order(rng: random.Random, stores: list[str], delivery_share: float = 0.0) -> dict:
    """One plausible order: 1-3 products, a Chinese customer, mostly paid at once; a share
    delivered from the store within 30 or 60 minutes, mostly by a platform's courier."""
    items = rng.sample(DEMO_CATALOG, k=rng.randint(1, 3))
    if delivery_share and rng.random() < delivery_share:
        return {**_order(rng, stores, items), "fulfilment": "delivery", "paid": True, "delivery": {
            "address": random_address(rng), "promised_min": rng.choice((30, 60)),
            "courier_mode": "store" if rng.random() < 0.3 else "platform"}}
    return _order(rng, stores, items)


def _order(rng: random.Random, stores: list[str], items: list) -> dict:
    return {
        "request_id": str(uuid.uuid4()),
        "store_id": rng.choice(stores),
        "customer_name": rng.choice(SURNAMES) + rng.choice(GIVEN),
        "customer_phone": "1" + "".join(str(rng.randint(0, 9)) for _ in range(10)),
        "lines": [{"sku": item.sku, "qty": rng.choice((1, 1, 1, 2))} for item in items],
        "paid": rng.random() < 0.9,
        "made_to_order": any(item.sku.startswith("CAKE") for item in items),
    }


def simulate_stream(hq_url: str, key: str, stores: list[str], *, rate: float = 0.5, count: int = 0,
                    out: TextIO | None = None, sleep: Callable[[float], None] = time.sleep,
                    seed: int | None = None, delivery_share: float = 0.0) -> dict[str, int]:
    """Place ``count`` orders (0 = forever) at ``rate`` per second; never stops on errors.
    Returns counts per outcome (placed / refused / error)."""
    rng = random.Random(seed)
    tally = {"placed": 0, "refused": 0, "error": 0}
    headers = {"Authorization": f"Bearer {key}"}
    with httpx.Client(base_url=hq_url, timeout=10) as client:
        n = 0
        while count == 0 or n < count:
            n += 1
            order = random_order(rng, stores, delivery_share)
            try:
                r = client.post(ORDERS_PATH, json=order, headers=headers)
                if r.status_code == 201:
                    tally["placed"] += 1
                    body = r.json()
                    line = f"order {body['order_no']} {order['customer_name'][0]}** " + ", ".join(
                        f"{l['name_zh']} / {l['name_en']} x{l['qty']}" for l in body["lines"])
                else:
                    tally["refused"] += 1
                    line = f"refused {order['store_id']}: {r.json().get('error', r.status_code)}"
            except (httpx.HTTPError, ValueError) as exc:
                tally["error"] += 1
                line = f"HQ unreachable: {type(exc).__name__}"
            if out is not None:
                print(line, file=out, flush=True)
            if count == 0 or n < count:
                sleep(1.0 / rate if rate > 0 else 0)
    return tally
