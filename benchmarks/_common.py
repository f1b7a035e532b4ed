"""Shared helpers for the benchmarks: data, timing, printing."""

from __future__ import annotations

import random
import statistics
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from uuid import UUID

from relcore import Customer, Touchpoint
from relcore.domain import Channel, Direction, TouchpointKind

START = datetime(2023, 1, 1, tzinfo=UTC)
CHANNELS = list(Channel)
KINDS = list(TouchpointKind)


def customers(n: int, seed: int = 1) -> list[Customer]:
    rng = random.Random(seed)
    return [
        Customer.person(f"Customer {i}", created_at=START + timedelta(seconds=rng.randrange(10**7)))
        for i in range(n)
    ]


def touchpoints(customer_ids: list[UUID], n: int, seed: int = 2) -> Iterator[Touchpoint]:
    """Stream ``n`` realistic touchpoints over the given customers."""
    rng = random.Random(seed)
    span = 2 * 365 * 86400
    for i in range(n):
        yield Touchpoint(
            customer_id=rng.choice(customer_ids),
            channel=CHANNELS[rng.randrange(len(CHANNELS))],
            direction=Direction.INBOUND if rng.random() < 0.4 else Direction.OUTBOUND,
            kind=KINDS[rng.randrange(len(KINDS))],
            occurred_at=START + timedelta(seconds=rng.randrange(span), microseconds=rng.randrange(10**6)),
            subject=f"Subject {i % 977}",
            sentiment=round(rng.uniform(-1, 1), 3) if rng.random() < 0.3 else None,
            payload={"n": i} if rng.random() < 0.2 else {},
            source="bench",
            external_id=f"tp-{i}",
        )


def timed(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def median_latency(fn: Callable[[], object], repeat: int) -> float:
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def report(name: str, value: float, target: str) -> None:
    print(f"RATIO {name}: {value:.3f}  (target {target})", flush=True)
