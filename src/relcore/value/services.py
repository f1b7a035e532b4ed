"""The value refresh job: from stored transactions to stored per-customer metrics.

It reads orders and refunds as columns (no entity per row), summarises each
customer in the currency of most of their orders (orders, frequency, recency,
age, monetary value, historical value net of refunds), scores RFM quintiles
and the named RFM segment, fits a BG/NBD model (Fader, Hardie & Lee 2005) and
a Gamma-Gamma spend model per currency, predicts each customer's probability
of being alive, expected purchases and discounted CLV over the horizon, cuts
value tiers, then replaces the stored metrics in one unit of work, so segment
rules can use them as ``metrics.<name>``.

When a currency's models cannot be had — too few repeat customers, a fit that
raises [ConvergenceError][relcore.value.models.errors.ConvergenceError], or models
whose predictions are not finite for some customer — its customers keep their
RFM metrics, their predictions (P(alive), expected purchases, CLV, tier) stay
unset, and the run's models say why under ``"skipped"``. Without a usable
Gamma-Gamma model (too few or identical mean spends, or a failed fit) each
repeat buyer's own mean spend stands in (``"gamma_gamma_skipped"``). Needs the ``analytics`` extra
(numpy, scipy). The scoring itself is in `relcore.value._scoring`.
"""

from __future__ import annotations

import logging
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any

import attrs

from relcore._kernel.checks import MAX_INT32, check_datetime, fail
from relcore._kernel.money import CURRENCIES, from_minor_units
from relcore.ids import CustomerId, new_id
from relcore.value._settings import DAYS, MAX_HORIZON, NOT_NEGATIVE, one_of, tiers_converter, whole
from relcore.value.model import CustomerMetrics, ValueRun
from relcore.value.ports import ValueWork

__all__ = ["PURCHASE_MODELS", "PYRAMID", "Progress", "ValueSettings", "refresh_value"]

log = logging.getLogger(__name__)

Progress = Callable[[str, int, int], None]
"""Called as ``progress(stage, done, total)``; stages are ``"read"``, ``"fit"``, ``"score"``, ``"store"``."""


#: The customer pyramid the refresh cuts on the CLV: the best 1 %, the next 4 %,
#: the next 15 % and the rest (Zeithaml, Rust & Lemon 2001); the same as
#: `relcore.value.models.tiers.DEFAULT_PYRAMID`, kept here so this module loads without numpy.
PYRAMID: tuple[tuple[str, float], ...] = (("top", 0.01), ("big", 0.04), ("medium", 0.15), ("small", 1.0))


#: The purchase models a refresh can fit.
PURCHASE_MODELS = ("bg/nbd", "mbg/nbd", "pareto/nbd")


@attrs.frozen(kw_only=True)
class ValueSettings:
    """How a value refresh measures and predicts.

    Units are explicit: the models count time in periods of ``period_days``;
    the CLV adds up ``horizon`` steps of ``step_days`` each, discounting
    each step's expected purchases at ``discount_rate`` per step (as if they
    all fell at the step's end). The defaults value the next 360 days in
    30-day steps at 0.8 % a step, about 10 % a year.

    Attributes:
        period_days: The time unit of recency, age and the models, in days
            (from a minute to a hundred years).
        step_days: The length of one CLV step, in days (same range).
        horizon: How many steps ahead purchases and CLV are predicted
            (1 to 10,000).
        discount_rate: Discount rate per step, finite and not negative.
        min_customers: Fewest customers with a repeat purchase a currency
            needs before models are fitted for it; below that, predictions
            stay unset.
        tiers: The customer pyramid cut on the CLV, ``(name, share)`` pairs
            best first; the last tier takes the rest.
        purchase_model: ``"bg/nbd"`` ([`BetaGeo`][relcore.value.BetaGeo]),
            ``"mbg/nbd"`` ([`ModifiedBetaGeo`][relcore.value.ModifiedBetaGeo]) or
            ``"pareto/nbd"`` ([`ParetoNBD`][relcore.value.ParetoNBD]).

    Example:
        >>> ValueSettings(period_days=7.0, step_days=7.0, horizon=52, discount_rate=0.002).horizon
        52
    """

    # mypy's attrs plugin does not follow attrs.Converter(..., takes_field=True): "misc" ignored
    period_days: float = attrs.field(default=1.0, converter=DAYS)  # type: ignore[misc]
    step_days: float = attrs.field(default=30.0, converter=DAYS)  # type: ignore[misc]
    horizon: int = attrs.field(default=12, converter=whole(MAX_HORIZON))  # type: ignore[misc]
    discount_rate: float = attrs.field(default=0.008, converter=NOT_NEGATIVE)  # type: ignore[misc]
    min_customers: int = attrs.field(default=20, converter=whole(MAX_INT32))  # type: ignore[misc]
    tiers: tuple[tuple[str, float], ...] = attrs.field(default=PYRAMID, converter=tiers_converter)
    purchase_model: str = attrs.field(default="bg/nbd", converter=one_of(PURCHASE_MODELS))  # type: ignore[misc]

    def to_dict(self) -> dict[str, Any]:
        """The settings as a JSON object (stored with the run)."""
        return {**attrs.asdict(self), "tiers": [list(tier) for tier in self.tiers]}


@attrs.define
class _Ledger:
    """One currency's orders, and every customer's net value per currency."""

    ids: list[CustomerId] = attrs.field(factory=list)
    times: list[datetime] = attrs.field(factory=list)
    amounts: list[float] = attrs.field(factory=list)


def refresh_value(
    uow: ValueWork,
    as_of: datetime,
    *,
    settings: ValueSettings | None = None,
    progress: Progress | None = None,
    clock: Callable[[], datetime] | None = None,
    reuse_models: bool = False,
) -> ValueRun:
    """Compute every customer's value metrics at ``as_of`` and store them.

    With ``reuse_models``, the models of the stored run score the customers
    again without being refitted (fit nightly, score on demand); a currency
    the stored run has no models for is fitted. The caller commits the unit
    of work. Returns the stored run.

    Raises:
        ValidationError: ``reuse_models`` without a stored run, or with
            settings whose time unit differs from the stored run's.
    """
    moment = check_datetime("as_of", as_of)
    settings = settings if settings is not None else ValueSettings()
    report = progress if progress is not None else (lambda stage, done, total: None)
    previous = _models_to_reuse(uow, settings) if reuse_models else {}
    ledgers, net, orders = _read(uow, moment, report)
    main = _main_currency(orders)
    by_currency: dict[str, _Ledger] = defaultdict(_Ledger)
    for currency, ledger in ledgers.items():
        for cid, when, amount in zip(ledger.ids, ledger.times, ledger.amounts, strict=True):
            if main.get(cid) == currency:
                target = by_currency[currency]
                target.ids.append(cid)
                target.times.append(when)
                target.amounts.append(amount)
    from relcore.value._scoring import score_currency  # numpy and scipy load here, not at import

    run_id = new_id()
    scored: dict[CustomerId, dict[str, Any]] = {}
    models: dict[str, Any] = {}
    currencies = sorted(by_currency)
    for i, currency in enumerate(currencies):
        report("fit", i, len(currencies))
        rows, fitted = score_currency(
            currency, by_currency[currency], moment, settings, previous.get(currency, {})
        )
        scored.update(rows)
        models[currency] = fitted
    report("fit", len(currencies), len(currencies))
    total = uow.customers.count()
    run = ValueRun(
        id=run_id,
        as_of=moment,
        created_at=clock() if clock is not None else moment,
        customers=total,
        settings=settings.to_dict(),
        models=models,
    )

    # every customer gets a row, buyers or not
    # (materialized: some drivers cannot write while a streamed read is open)
    everyone = list(uow.customers.ids())

    def metrics() -> Iterator[CustomerMetrics]:
        for done, cid in enumerate(everyone, start=1):
            values = scored.get(cid, {})
            currency = main.get(cid)
            yield CustomerMetrics(
                customer_id=cid,
                as_of=moment,
                run_id=run.id,
                currency=currency,
                orders=sum(orders[cid].values()) if cid in orders else 0,
                historical_value=None if currency is None else from_minor_units(net[cid][currency], currency),
                **values,
            )
            if done % 10_000 == 0 or done == total:
                report("store", done, total)

    report("store", 0, total)
    uow.metrics.replace_all(run, metrics())
    log.info("value refresh as of %s: %d customers, %d currencies", moment.date(), total, len(currencies))
    return run


def _read(
    uow: ValueWork, as_of: datetime, report: Progress
) -> tuple[dict[str, _Ledger], dict[CustomerId, Counter[str]], dict[CustomerId, Counter[str]]]:
    """The orders per currency, each customer's net value in minor units per currency, and order counts."""
    ledgers: dict[str, _Ledger] = defaultdict(_Ledger)
    net: dict[CustomerId, Counter[str]] = defaultdict(Counter)  # integer minor units: exact and fast
    orders: dict[CustomerId, Counter[str]] = defaultdict(Counter)
    scale = {code: 10.0**-digits for code, digits in CURRENCIES.items()}
    rows = 0
    for chunk in uow.transactions.money_columns(until=as_of):
        for cid, when, refund, currency, units in zip(
            chunk.customer_ids,
            chunk.occurred_at,
            chunk.refunds,
            chunk.currencies,
            chunk.minor_units,
            strict=True,
        ):
            if refund:
                net[cid][currency] -= units
                continue
            net[cid][currency] += units
            orders[cid][currency] += 1
            ledger = ledgers[currency]
            ledger.ids.append(cid)
            ledger.times.append(when)
            ledger.amounts.append(units * scale[currency])
        rows += len(chunk)
        report("read", rows, 0)
    return ledgers, net, orders


def _models_to_reuse(uow: ValueWork, settings: ValueSettings) -> dict[str, Any]:
    """The stored run's models per currency, marked with the run they come from."""
    run = uow.metrics.latest_run()
    if run is None:
        raise fail("reuse_models", "there is no stored value run whose models could be reused")
    if run.settings.get("purchase_model", "bg/nbd") != settings.purchase_model:
        raise fail(
            "reuse_models",
            f"the stored run fitted {run.settings.get('purchase_model', 'bg/nbd')}, "
            f"these settings ask for {settings.purchase_model}",
        )
    if run.settings.get("period_days") != settings.period_days:
        raise fail(
            "reuse_models",
            f"the stored models count time in periods of {run.settings.get('period_days')} days, "
            f"these settings in periods of {settings.period_days}",
        )
    return {currency: {**models, "reused_from": str(run.id)} for currency, models in run.models.items()}


def _main_currency(orders: dict[CustomerId, Counter[str]]) -> dict[CustomerId, str]:
    """Each customer's currency: the one of most orders, ties to the first code alphabetically."""
    return {cid: min(counts, key=lambda code: (-counts[code], code)) for cid, counts in orders.items()}
