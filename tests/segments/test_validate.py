"""The one gate: every way a rule can be refused, each pointing at its node."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from uuid import UUID

import pytest

from relcore.errors import InvalidRuleError, ValidationError
from relcore.segments import (
    DEFAULT_CATALOGUE,
    MAX_DEPTH,
    MAX_LIST_VALUES,
    MAX_NODES,
    MAX_TEXT_LENGTH,
    MAX_WHERE,
    MAX_WINDOW_DAYS,
    Aggregate,
    And,
    Catalogue,
    Condition,
    Events,
    Measure,
    Not,
    Op,
    Or,
    field,
    touchpoints,
    transactions,
    validate,
)


def refused(rule: object, path: str, words: str, catalogue: Catalogue = DEFAULT_CATALOGUE) -> None:
    with pytest.raises(InvalidRuleError) as caught:
        validate(rule, catalogue)
    assert caught.value.paths == (path,), caught.value
    assert words in str(caught.value)


def test_invalid_rule_error_is_a_validation_error() -> None:
    assert issubclass(InvalidRuleError, ValidationError)
    assert issubclass(InvalidRuleError, ValueError)


def test_normalizes_values() -> None:
    paris = timezone(timedelta(hours=1))
    rule = And(
        (
            Condition("stage", "==", "customer"),  # type: ignore[arg-type]
            field("created_at") < datetime(2025, 1, 1, 1, tzinfo=paris),
            touchpoints(campaign_id="01890a5d-ac96-774b-bcce-b302099a8057").count() >= 1,
            transactions(currency="EUR").sum() > 5,
            field("tags").has_tag("  vip "),
        )
    )
    checked = validate(rule)
    assert isinstance(checked, And)
    stage, created, campaign, total, tag = checked.rules
    assert stage == Condition("stage", Op.EQ, "customer")
    assert isinstance(created, Condition)
    assert created.value == datetime(2025, 1, 1, tzinfo=UTC)
    assert isinstance(campaign, Aggregate)
    assert campaign.where[0].value == UUID("01890a5d-ac96-774b-bcce-b302099a8057")
    assert isinstance(total, Aggregate)
    assert total.value == Decimal(5)
    assert isinstance(total.value, Decimal)
    assert isinstance(tag, Condition)
    assert tag.value == "vip"


@pytest.mark.parametrize(
    ("rule", "path", "words"),
    [
        (field("password") == "x", "field", "unknown field 'password'"),
        (field("attributes.plan") == "x", "field", "unknown field"),
        (field("consent.marketing.pigeon") == True, "field", "unknown field"),  # noqa: E712
        (Condition("stage", "~=", "x"), "op", "unknown op"),  # type: ignore[arg-type]
        (field("stage") > "lead", "op", "does not apply to stage"),
        (field("stage") == "king", "value", "is not a stage"),
        (field("name") == 5, "value", "expected text"),
        (field("name") == "a\x00b", "value", "NUL"),
        (field("name") == "\ud800", "value", "surrogate"),
        (field("name") == "x" * (MAX_TEXT_LENGTH + 1), "value", "longer than"),
        (field("country").is_set(), "op", "does not apply"),  # not applicable? country is nullable: see below
        (field("created_at") < datetime(2025, 1, 1), "value", "naive"),
        (field("created_at").within(days=0), "value", "whole number of days"),
        (field("created_at").within(days=MAX_WINDOW_DAYS + 1), "value", "whole number of days"),
        (field("created_at").within(days=True), "value", "whole number of days"),  # type: ignore[arg-type]
        (field("tags").has_tag("bad tag!"), "value", "invalid tag"),
        (field("tags") == "vip", "op", "does not apply"),
        (field("stage").isin([]), "value", "expected 1 to"),
        (field("stage").isin(["lead"] * (MAX_LIST_VALUES + 1)), "value", "expected 1 to"),
        (field("stage").isin(["lead", "king"]), "value[1]", "is not a stage"),
        (
            field("created_at").between(datetime(2025, 2, 1, tzinfo=UTC), datetime(2025, 1, 1, tzinfo=UTC)),
            "value",
            "low value first",
        ),
        (Condition("stage", Op.IS_NOT_SET, "x"), "op", "does not apply"),
        (Not(42), "rule", "not a rule node"),  # type: ignore[arg-type]
        (Or((field("stage") == "lead", "stage == lead")), "rules[1]", "not a rule node"),  # type: ignore[arg-type]
        (touchpoints(channel="pigeon").count() > 1, "where[0].value", "is not a channel"),
        (touchpoints(amount=5).count() > 1, "where[0].field", "unknown touchpoints field"),
        (touchpoints().sum() > 1, "measure", "touchpoints have no sum"),
        (touchpoints().count() > 1.5, "value", "whole count"),
        (touchpoints().count() > -1, "value", "whole count"),
        (transactions(kind="order").sum() > 5, "where", "needs one currency"),
        (transactions(currency="EUR").sum() > Decimal("5.001"), "value", "more decimals than EUR"),
        (transactions(currency="JPY").average() > Decimal("5.5"), "value", "more decimals than JPY"),
        (transactions(currency="EUR").sum() > 5.0, "value", "exact amount"),
        (transactions(field("amount") > 5).count() > 0, "where[0]", "needs one currency"),
        (
            Aggregate(Events.TOUCHPOINTS, (), None, Measure.COUNT, Op.GE, 1, full_window=True),
            "full_window",
            "needs a window",
        ),
        (
            Aggregate(Events.TOUCHPOINTS, (field("stage") == "lead",), None, Measure.COUNT, Op.GE, 1),
            "where[0].field",
            "unknown touchpoints field",
        ),
        (
            Aggregate(Events.TOUCHPOINTS, (Or(()),), None, Measure.COUNT, Op.GE, 1),  # type: ignore[arg-type]
            "where[0]",
            "expected a condition",
        ),
        (Aggregate("calls", (), None, Measure.COUNT, Op.GE, 1), "events", "unknown history"),  # type: ignore[arg-type]
        (
            Aggregate(
                Events.TOUCHPOINTS,
                tuple(touchpoints(channel="email").where * (MAX_WHERE + 1)),
                None,
                Measure.COUNT,
                Op.GE,
                1,
            ),
            "where",
            "more than",
        ),
    ],
)
def test_refused_with_a_path(rule: object, path: str, words: str) -> None:
    if isinstance(rule, Condition) and rule.field == "country":
        validate(rule)  # country is nullable: "is set" applies
        return
    refused(rule, path, words)


def test_paths_point_into_nested_rules() -> None:
    rule = (field("stage") == "lead") & ~((field("type") == "person") | (field("country") == 7))
    refused(rule, "rules[1].rule.rules[1].value", "expected text")


def test_depth_limit() -> None:
    rule: object = field("stage") == "lead"
    for _ in range(MAX_DEPTH):
        rule = Not(rule)  # type: ignore[arg-type]
    validate(rule)
    refused(Not(rule), "rule" + ".rule" * MAX_DEPTH, "deeper than")  # type: ignore[arg-type]


def test_depth_limit_stops_before_python_recursion() -> None:
    rule: object = field("stage") == "lead"
    for _ in range(50_000):
        rule = Not(rule)  # type: ignore[arg-type]
    with pytest.raises(InvalidRuleError, match="deeper than"):
        validate(rule)


def test_size_limit() -> None:
    validate(Or(tuple(field("stage") == "lead" for _ in range(MAX_NODES - 1))))
    with pytest.raises(InvalidRuleError, match=f"more than {MAX_NODES} nodes"):
        validate(Or(tuple(field("stage") == "lead" for _ in range(MAX_NODES))))


def test_custom_attributes_need_a_declaration() -> None:
    catalogue = DEFAULT_CATALOGUE.with_attributes(plan="text", seats="number", trial="bool")
    validate(field("attributes.plan").startswith("pro"), catalogue)
    validate(field("attributes.seats").between(1, 10.5), catalogue)
    validate(field("attributes.trial").is_not_set(), catalogue)
    refused(field("attributes.seats") == "ten", "value", "expected a number", catalogue)
    refused(field("attributes.seats") == float("nan"), "value", "finite", catalogue)
    refused(field("attributes.seats") == 2**60, "value", "2**53", catalogue)
    refused(field("attributes.trial") == 1, "value", "true or false", catalogue)


@pytest.mark.parametrize(
    ("declare", "words"),
    [
        ({"Plan": "text"}, "lower-case identifier"),
        ({"plan": "date"}, "use one of"),
        ({"a-b": "text"}, "identifier"),
    ],
)
def test_bad_declarations_are_refused(declare: dict[str, str], words: str) -> None:
    with pytest.raises(InvalidRuleError, match=words):
        DEFAULT_CATALOGUE.with_attributes(**declare)


def test_catalogue_lists_its_names() -> None:
    names = DEFAULT_CATALOGUE.with_attributes(plan="text").names()
    assert {"stage", "tags", "attributes.plan", "metrics.clv", "consent.marketing.email"} <= set(names)
    assert names == sorted(names)


def test_huge_numbers_are_refused_cleanly() -> None:
    catalogue = DEFAULT_CATALOGUE.with_attributes(seats="number")
    refused(field("attributes.seats") == 10**400, "value", "2**53", catalogue)
    refused(field("stage") == 10**5000, "value", "got int")
