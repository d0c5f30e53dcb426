"""The live-stream channel as a load generator: many keep-alive connections placing orders.

A minimal HTTP/1.1 client on asyncio (one request at a time per connection, bodies encoded
up front): the machine has two cores, and a full HTTP library would spend on the client side
much of the CPU HQ needs to take the orders. The requests are real POST /v1/orders calls
to ``hq serve``; every answer is read whole and its status counted.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import orjson


@dataclass
class Intake:
    """What the channel saw: statuses (with HQ's error code), latencies, accepted orders."""

    statuses: Counter = field(default_factory=Counter)
    latencies: list[float] = field(default_factory=list)
    accepted: list[str] = field(default_factory=list)
    wall_s: float = 0.0

    def percentile(self, share: float) -> float:
        ordered = sorted(self.latencies) or [0.0]
        return ordered[min(len(ordered) - 1, int(len(ordered) * share))]


async def _read_answer(reader: asyncio.StreamReader) -> tuple[int, bytes]:
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    status = int(lines[0].split()[1])
    length = next((int(line.split(b":", 1)[1]) for line in lines[1:]
                   if line.lower().startswith(b"content-length:")), 0)
    return status, await reader.readexactly(length)


async def _connection(url: str, key: str, bodies: list[bytes], queue: list[int], intake: Intake) -> None:
    """One keep-alive connection: take the next order, send it, wait for HQ's answer."""
    parts = urlsplit(url)
    reader, writer = await asyncio.open_connection(parts.hostname, parts.port)
    head = (f"POST /v1/orders HTTP/1.1\r\nHost: {parts.netloc}\r\nAuthorization: Bearer {key}\r\n"
            "Content-Type: application/json\r\n").encode()
    try:
        while queue:
            body = bodies[queue.pop()]
            start = time.perf_counter()
            writer.write(head + b"Content-Length: %d\r\n\r\n" % len(body) + body)
            status, answer = await _read_answer(reader)
            intake.latencies.append(time.perf_counter() - start)
            if status == 201:
                intake.accepted.append(orjson.loads(answer)["order_no"])
                intake.statuses["201"] += 1
            else:
                intake.statuses[f"{status} {orjson.loads(answer).get('error', '')}".strip()] += 1
    finally:
        writer.close()


def place_all(url: str, key: str, bodies: list[bytes], connections: int) -> Intake:
    """Offer every order as fast as HQ takes them over ``connections`` connections."""
    intake, queue = Intake(), list(range(len(bodies) - 1, -1, -1))

    async def run() -> None:
        await asyncio.gather(*(_connection(url, key, bodies, queue, intake) for _ in range(connections)))

    start = time.perf_counter()
    asyncio.run(run())
    intake.wall_s = time.perf_counter() - start
    return intake
