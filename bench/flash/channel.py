"""The live-stream shop: places online orders at HQ over HTTP at a steady rate.

Orders are spread over the stores at random, with 1-3 lines drawn from the catalog's
weights (scarce SKUs are in few orders, but their allotment is small: HQ must refuse some).
A tenth are placed unpaid, and most of those are paid a little later; a few are cancelled
by the customer. A share is delivered from the store within 30 or 60 minutes (a platform's
courier, or the store's own clerk). A retried request reuses its ``request_id`` (HQ answers it idempotently).

    python -m bench.flash.channel --plan P --hq URL --key K --out result.json
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path

import httpx

from .plan import Plan, weighted_skus

UNPAID_SHARE = 0.10
CANCEL_EVERY = 60  # every Nth order, the customer cancels an earlier one
PAY_EVERY = 12  # every Nth order, an unpaid one is paid
RETRIES = 3
DELIVERY_SHARE = 0.15  # of the orders, delivered from the store


def order_body(rng: random.Random, request_id: str, store_id: str, paid: bool) -> dict:
    skus, weights = weighted_skus()
    chosen: list[str] = []
    while len(chosen) < rng.choice((1, 1, 2, 2, 2, 3)):
        sku = rng.choices(skus, weights)[0]
        if sku not in chosen:
            chosen.append(sku)
    now = datetime.now(timezone.utc)
    if rng.random() < DELIVERY_SHARE:
        return {**_body(rng, request_id, store_id, True, chosen, now), "fulfilment": "delivery",
                "delivery": {"address": f"上海市静安区南京西路{rng.randint(1, 1999)}弄{rng.randint(1, 30)}号",
                             "promised_min": rng.choice((30, 60)),
                             "courier_mode": rng.choice(("platform", "store"))}}
    return _body(rng, request_id, store_id, paid, chosen, now)


def _body(rng: random.Random, request_id: str, store_id: str, paid: bool, chosen: list[str],
          now: datetime) -> dict:
    return {"request_id": request_id, "store_id": store_id, "customer_name": "王小明",
            "customer_phone": f"138{rng.randrange(10**8):08d}", "paid": paid,
            "window_start": (now - timedelta(minutes=5)).isoformat(),
            "window_end": (now + timedelta(hours=6)).isoformat(),
            "lines": [{"sku": s, "qty": rng.choice((1, 1, 2))} for s in chosen]}


@dataclass
class Tally:
    accepted: list[dict] = field(default_factory=list)
    statuses: Counter = field(default_factory=Counter)
    latencies: list[float] = field(default_factory=list)
    unpaid: list[str] = field(default_factory=list)
    paid_later: int = 0
    cancelled: int = 0
    cancel_refused: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)


def _post(http: httpx.Client, path: str, body: dict | None) -> httpx.Response | None:
    for attempt in range(RETRIES):
        try:
            return http.post(path, json=body)
        except httpx.TransportError:
            time.sleep(0.2 * (attempt + 1))
    return None


def place_one(http: httpx.Client, tally: Tally, body: dict) -> None:
    start = time.perf_counter()
    resp = _post(http, "/v1/orders", body)
    elapsed = time.perf_counter() - start
    with tally.lock:
        tally.latencies.append(elapsed)
        if resp is None:
            tally.statuses["transport_error"] += 1
            return
        error = "" if resp.status_code == 201 else resp.json().get("error", "")
        tally.statuses[f"{resp.status_code} {error}".strip()] += 1
        if resp.status_code == 201:
            view = resp.json()
            tally.accepted.append({"order_no": view["order_no"], "store_id": view["store_id"]})
            if not body["paid"]:
                tally.unpaid.append(view["order_no"])


def after_sales(http: httpx.Client, tally: Tally, i: int, rng: random.Random) -> None:
    """Payments arriving late, and customers changing their minds."""
    if i % PAY_EVERY == 0 and tally.unpaid:
        with tally.lock:
            order_no = tally.unpaid.pop(0) if tally.unpaid else None
        resp = _post(http, f"/v1/orders/{order_no}/pay", None) if order_no else None
        if resp is not None and resp.status_code == 200:
            tally.paid_later += 1
    if i % CANCEL_EVERY == 0 and tally.accepted:
        order_no = rng.choice(tally.accepted)["order_no"]
        resp = _post(http, f"/v1/orders/{order_no}/cancel", {"reason": "customer"})
        if resp is not None and resp.status_code == 200:
            tally.cancelled += 1
        else:
            tally.cancel_refused += 1  # already picked up


def place_orders(url: str, key: str, stores: list[str], count: int, seconds: float,
                 threads: int, seed: int, prefix: str = "fs") -> tuple[Tally, float]:
    """Place ``count`` orders evenly over ``seconds`` from ``threads`` connections."""
    tally, next_i, lock = Tally(), [0], threading.Lock()
    start = time.perf_counter()

    def worker(n: int) -> None:
        rng = random.Random(seed * 1000 + n)
        with httpx.Client(base_url=url, timeout=30, headers={"Authorization": f"Bearer {key}"}) as http:
            while True:
                with lock:
                    i = next_i[0]
                    next_i[0] += 1
                if i >= count:
                    return
                delay = start + i * seconds / count - time.perf_counter()
                if delay > 0:
                    time.sleep(delay)
                body = order_body(rng, f"{prefix}-{seed}-{i}", rng.choice(stores),
                                  rng.random() >= UNPAID_SHARE)
                place_one(http, tally, body)
                after_sales(http, tally, i, rng)

    pool = [threading.Thread(target=worker, args=(n,)) for n in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    return tally, time.perf_counter() - start


def summary(tally: Tally, wall: float) -> dict:
    lat = sorted(tally.latencies) or [0.0]
    return {"accepted": len(tally.accepted), "statuses": dict(tally.statuses), "wall_s": wall,
            "p50_ms": 1000 * lat[len(lat) // 2], "p99_ms": 1000 * lat[int(len(lat) * 0.99)],
            "paid_later": tally.paid_later, "cancelled": tally.cancelled,
            "cancel_refused": tally.cancel_refused, "orders": tally.accepted}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--plan", required=True)
    parser.add_argument("--hq", required=True)
    parser.add_argument("--key", required=True)
    parser.add_argument("--out", required=True)
    args = parser.parse_args(argv)
    plan = Plan.load(args.plan)
    tally, wall = place_orders(args.hq, args.key, plan.store_ids, plan.orders, plan.place_seconds,
                               plan.channel_threads, plan.seed)
    Path(args.out).write_text(json.dumps(summary(tally, wall)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
