"""Multi-touch attribution: ``relcore.marketing.attribute`` against a plain float version of the same models.

``--customers`` journeys (default 100,000), each of 0 to 20 campaign touches
over 60 days among 8 campaigns and 1 to 3 orders in EUR over the last 30 days.
Every model is run with a 30-day look-back (time decay with a 7-day half-life).

The baseline is the same computation as a reader would write it in plain
Python without relcore's guarantees: touches sorted once, the window found by
bisection, float weights, each campaign's share of the amount rounded to the
cent on its own (so the credits of an order need not add up to it), and no
validation. relcore checks every argument, keeps weights as exact fractions
and splits the money by the largest-remainder method; the ratio is what
those guarantees cost. Target: reported (no target yet).

Run: ``python benchmarks/bench_attribution.py [--customers 100000]``.
"""

from __future__ import annotations

import argparse
import random
import time
from bisect import bisect_left, bisect_right
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from uuid import UUID

from _common import report
from relcore.marketing import AttributionModel, Order, Touch, attribute

START = datetime(2026, 1, 1, tzinfo=UTC)
LOOKBACK = timedelta(days=30)
HALF_LIFE = timedelta(days=7)
CAMPAIGNS = [UUID(int=i) for i in range(1, 9)]
CENT = Decimal("0.01")
SIXTY_DAYS = 60 * 24 * 60  # minutes

Journey = tuple[list[Order], list[Touch]]


def journeys(count: int, seed: int = 13) -> list[Journey]:
    """``count`` customers' orders and touches, seeded."""
    rng = random.Random(seed)
    out: list[Journey] = []
    for customer in range(count):
        touches = [
            Touch(at=START + timedelta(minutes=rng.randrange(SIXTY_DAYS)), campaign_id=rng.choice(CAMPAIGNS))
            for _ in range(rng.randrange(21))
        ]
        orders = [
            Order(
                at=START + timedelta(days=30, minutes=rng.randrange(60 * 24 * 30)),
                amount=Decimal(rng.randrange(1, 100_000)).scaleb(-2),
                currency="EUR",
                transaction_id=UUID(int=customer * 4 + i),
            )
            for i in range(rng.randrange(1, 4))
        ]
        out.append((orders, touches))
    return out


def _float_weights(model: AttributionModel, ages: list[float]) -> list[float]:
    n = len(ages)
    if model is AttributionModel.FIRST_TOUCH:
        return [1.0] + [0.0] * (n - 1)
    if model is AttributionModel.LAST_TOUCH:
        return [0.0] * (n - 1) + [1.0]
    if model is AttributionModel.LINEAR:
        return [1.0 / n] * n
    if model is AttributionModel.POSITION_BASED:
        if n <= 2:
            return [1.0 / n] * n
        return [0.4] + [0.2 / (n - 2)] * (n - 2) + [0.4]
    h = HALF_LIFE.total_seconds()
    raw = [2.0 ** (-age / h) for age in ages]
    total = sum(raw)
    return [r / total for r in raw]


def baseline(model: AttributionModel, data: list[Journey]) -> int:
    """The same attribution in floats, rounding each campaign's share on its own; returns the credit count."""
    credits = 0
    for orders, touches in data:
        journey = sorted(touches, key=lambda t: t.at)
        instants = [t.at for t in journey]
        for order in orders:
            window = journey[bisect_left(instants, order.at - LOOKBACK) : bisect_right(instants, order.at)]
            if not window:
                credits += 1
                continue
            ages = [(order.at - t.at).total_seconds() for t in window]
            shares: dict[UUID, float] = {}
            for touch, weight in zip(window, _float_weights(model, ages), strict=True):
                shares[touch.campaign_id] = shares.get(touch.campaign_id, 0.0) + weight
            amounts = [(order.amount * Decimal(w)).quantize(CENT) for w in shares.values()]
            credits += len(amounts)
    return credits


def relcore_side(model: AttributionModel, data: list[Journey]) -> int:
    """relcore's attribution of every journey; returns the credit count."""
    decay = HALF_LIFE if model is AttributionModel.TIME_DECAY else None
    return sum(len(attribute(o, t, model=model, lookback=LOOKBACK, half_life=decay)) for o, t in data)


def _timed(fn: Callable[[], int]) -> tuple[float, int]:
    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=100_000)
    args = parser.parse_args()
    data = journeys(args.customers)
    orders = sum(len(o) for o, _ in data)
    print(f"{args.customers} journeys, {orders} orders, {sum(len(t) for _, t in data)} touches")
    for model in AttributionModel:  # warm up both sides first
        baseline(model, data[:1000])
        relcore_side(model, data[:1000])
    for model in AttributionModel:
        plain, expected = _timed(lambda: baseline(model, data))  # noqa: B023 (called at once)
        ours, got = _timed(lambda: relcore_side(model, data))  # noqa: B023
        assert got == expected, (model, got, expected)
        print(f"{model.value}: relcore {ours:.2f} s ({orders / ours:,.0f} orders/s), floats {plain:.2f} s")
        report(f"attribute {model.value} / plain floats", ours / plain, "reported")


if __name__ == "__main__":
    main()
