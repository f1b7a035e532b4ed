"""The in-memory interpreter: the semantics every backend must reproduce."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from relcore.domain import ConsentRecord, Customer, Touchpoint, Transaction
from relcore.errors import ValidationError
from relcore.segments import (
    DEFAULT_CATALOGUE,
    And,
    CustomerView,
    Or,
    Rule,
    evaluate,
    explain,
    field,
    matcher,
    touchpoints,
    transactions,
)

AS_OF = datetime(2024, 3, 30, 12, tzinfo=UTC)
CATALOGUE = DEFAULT_CATALOGUE.with_attributes(plan="text", seats="number", trial="bool")


def person(**fields: object) -> Customer:
    fields.setdefault("created_at", AS_OF - timedelta(days=365))
    return Customer.person("Ada", **fields)  # type: ignore[arg-type]


def holds(rule: Rule, view: CustomerView, as_of: datetime = AS_OF) -> bool:
    return evaluate(rule, view, as_of, catalogue=CATALOGUE)


def mail(customer: Customer, when: datetime, **fields: object) -> Touchpoint:
    fields.setdefault("direction", "inbound")
    return Touchpoint(customer_id=customer.id, channel="email", occurred_at=when, **fields)  # type: ignore[arg-type]


def order(
    customer: Customer, when: datetime, amount: str, currency: str = "EUR", kind: str = "order"
) -> Transaction:
    return Transaction(
        customer_id=customer.id, kind=kind, amount=Decimal(amount), currency=currency, occurred_at=when
    )


def test_window_includes_both_ends() -> None:
    ada = person()
    recent = touchpoints(channel="email").within(days=30).count() >= 1
    for when, expected in [
        (AS_OF - timedelta(days=30), True),
        (AS_OF - timedelta(days=30, microseconds=1), False),
        (AS_OF, True),
        (AS_OF + timedelta(microseconds=1), False),  # after as_of: not yet happened
    ]:
        assert holds(recent, CustomerView(ada, [mail(ada, when)])) is expected, when


def test_as_of_in_another_time_zone_is_the_same_instant() -> None:
    ada = person()
    view = CustomerView(ada, [mail(ada, AS_OF - timedelta(days=30))])
    tokyo = AS_OF.astimezone(timezone(timedelta(hours=9)))
    rule = touchpoints().within(days=30).count() == 1
    assert holds(rule, view, tokyo)
    assert holds(rule, view, AS_OF)


def test_leap_day_windows_count_days_not_calendar_months() -> None:
    ada = person()
    leap = datetime(2024, 2, 29, 12, tzinfo=UTC)
    view = CustomerView(ada, [mail(ada, leap)])
    rule = touchpoints().within(days=30).count() == 1
    assert holds(rule, view, datetime(2024, 3, 30, 12, tzinfo=UTC))
    assert not holds(rule, view, datetime(2024, 3, 30, 12, 0, 0, 1, tzinfo=UTC))


def test_dates_within_and_older_than() -> None:
    ada = person(created_at=AS_OF - timedelta(days=90))
    assert holds(field("created_at").within(days=90), CustomerView(ada))
    assert not holds(field("created_at").older_than(days=90), CustomerView(ada))
    assert holds(field("created_at").older_than(days=89), CustomerView(ada))
    assert not holds(field("created_at").within(days=30), CustomerView(ada), AS_OF - timedelta(days=100))


def test_unset_values_make_comparisons_false_except_is_not_set() -> None:
    ada = CustomerView(person(country=None))
    assert not holds(field("country") == "FR", ada)
    assert not holds(field("country") != "FR", ada)
    assert holds(~(field("country") == "FR"), ada)
    assert holds(field("country").is_not_set(), ada)
    assert not holds(field("country").not_in(["FR"]), ada)
    assert not holds(field("attributes.plan").contains(""), ada)


def test_attributes_of_the_wrong_json_type_count_as_unset() -> None:
    odd = CustomerView(person(attributes={"plan": 3, "seats": "12", "trial": 1}))
    assert holds(field("attributes.plan").is_not_set(), odd)
    assert holds(field("attributes.seats").is_not_set(), odd)
    assert holds(field("attributes.trial").is_not_set(), odd)
    good = CustomerView(person(attributes={"plan": "pro", "seats": 12, "trial": False}))
    assert holds(field("attributes.seats") == 12.0, good)
    assert holds(field("attributes.seats").between(12, 12), good)
    assert holds(field("attributes.trial") == False, good)  # noqa: E712
    assert holds(field("attributes.trial").is_not_set(), CustomerView(person(attributes={"trial": 0})))


def test_text_is_case_sensitive_and_by_code_point() -> None:
    ada = CustomerView(Customer.person("Zoë O'Brien 100%_x"))
    assert holds(field("name").contains("O'Brien"), ada)
    assert not holds(field("name").contains("o'brien"), ada)
    assert holds(field("name").startswith("Zoë"), ada)
    assert holds(field("name").endswith("%_x"), ada)
    assert not holds(field("name").endswith("%_X"), ada)
    assert not holds(field("name") == "Zoë O'Brien 100%_x ", ada)


def test_tags() -> None:
    ada = CustomerView(person(tags={"vip", "b2b"}))
    assert holds(field("tags").has_tag("vip"), ada)
    assert holds(field("tags").has_any(["gold", "b2b"]), ada)
    assert holds(field("tags").has_all(["b2b", "vip"]), ada)
    assert not holds(field("tags").has_all(["b2b", "gold"]), ada)


def test_full_window_excludes_young_customers() -> None:
    young = person(created_at=AS_OF - timedelta(days=5))
    quiet = touchpoints().within(days=30).count() == 0
    assert holds(quiet, CustomerView(young))
    strict = touchpoints().within(days=30, full_window=True).count() == 0
    assert not holds(strict, CustomerView(young))
    assert holds(strict, CustomerView(person(created_at=AS_OF - timedelta(days=30))))


def test_money_aggregates_are_exact_and_per_currency() -> None:
    ada = person()
    history = [
        order(ada, AS_OF - timedelta(days=1), "0.10"),
        order(ada, AS_OF - timedelta(days=2), "0.20"),
        order(ada, AS_OF - timedelta(days=3), "100", currency="USD"),
        order(ada, AS_OF - timedelta(days=4), "0.05", kind="refund"),
    ]
    view = CustomerView(ada, transactions=history)
    eur = transactions(kind="order", currency="EUR")
    assert holds(eur.sum() == Decimal("0.30"), view)
    assert holds(eur.average() == Decimal("0.15"), view)
    assert holds(transactions(kind="refund", currency="EUR").sum() == Decimal("0.05"), view)
    assert holds(transactions(currency="GBP").sum() == 0, view)
    assert not holds(transactions(currency="GBP").average() >= 0, view)  # no transactions: unset
    assert holds(transactions(currency="GBP").average().is_not_set(), view)
    assert holds(transactions().count() == 4, view)
    day_ago = AS_OF - timedelta(days=1)
    assert holds(transactions().last().between(day_ago, day_ago), view)
    assert holds(transactions().first().within(days=4), view)
    third = CustomerView(ada, transactions=[order(ada, AS_OF, "1.00")] * 3)
    assert holds(transactions(currency="EUR").average() == 1, third)


def test_consent_field_follows_the_ledger() -> None:
    ada = person()

    def record(status: str, days_ago: int, channel: str | None = "email", **more: object) -> ConsentRecord:
        return ConsentRecord(
            customer_id=ada.id,
            purpose="marketing",
            channel=channel,
            status=status,  # type: ignore[arg-type]
            recorded_at=AS_OF - timedelta(days=days_ago),
            **more,
        )  # type: ignore[arg-type]

    rule = field("consent.marketing.email") == True  # noqa: E712
    assert not holds(rule, CustomerView(ada))
    assert holds(rule, CustomerView(ada, consents=[record("granted", 10)]))
    assert not holds(rule, CustomerView(ada, consents=[record("granted", 10), record("withdrawn", 5, None)]))
    assert not holds(rule, CustomerView(ada, consents=[record("granted", 10, expires_at=AS_OF)]))
    assert holds(rule, CustomerView(ada, consents=[record("denied", 10), record("granted", 1, None)]))
    assert not holds(rule, CustomerView(ada, consents=[record("granted", 1)]), AS_OF - timedelta(days=2))


def test_empty_and_or() -> None:
    view = CustomerView(person())
    assert holds(And(()), view)
    assert not holds(Or(()), view)


def test_explain_reports_observed_values() -> None:
    ada = person(stage="lead", tags={"vip"})
    rule = (field("stage") == "customer") | (field("tags").has_tag("vip") & (touchpoints().count() >= 0))
    why = explain(rule, CustomerView(ada), AS_OF, catalogue=CATALOGUE)
    assert why.held
    assert [(leaf.held, leaf.observed) for leaf in why.leaves()] == [
        (False, "lead"),
        (True, frozenset({"vip"})),
        (True, 0),
    ]


def test_matcher_validates_once_and_agrees_with_evaluate() -> None:
    rule = field("stage") == "lead"
    test = matcher(rule, AS_OF)
    for stage in ("lead", "customer"):
        view = CustomerView(person(stage=stage))
        assert test(view) == evaluate(rule, view, AS_OF)


def test_naive_as_of_is_refused() -> None:
    with pytest.raises(ValidationError, match="as_of"):
        evaluate(field("stage") == "lead", CustomerView(person()), datetime(2024, 1, 1))


def test_metric_fields_read_the_stored_metrics() -> None:
    view = CustomerView(person(), metrics={"clv": 120.5, "tier": "top 1%", "orders": 3})
    assert holds(field("metrics.clv") > 100, view)
    assert holds(field("metrics.tier") == "top 1%", view)
    assert holds(field("metrics.orders") == 3, view)
    assert holds(field("metrics.probability_alive").is_not_set(), view)
    assert not holds(field("metrics.clv") > 100, CustomerView(person()))
