"""The text form: one golden spelling per operator and literal, grouping, and errors that say where."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from uuid import UUID

import pytest

from relcore.errors import InvalidRuleError
from relcore.segments import (
    DEFAULT_CATALOGUE,
    MAX_DEPTH,
    MAX_TEXT_INPUT,
    Aggregate,
    And,
    Condition,
    Events,
    Measure,
    Not,
    Op,
    Or,
    Rule,
    field,
    parse,
    to_text,
    touchpoints,
    transactions,
    validate,
)

CATALOGUE = DEFAULT_CATALOGUE.with_attributes(plan="text", seats="number", trial="bool")
ID = UUID("0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b")
WHEN = datetime(2025, 1, 1, tzinfo=UTC)

A = Condition("stage", Op.EQ, "lead")
B = Condition("stage", Op.EQ, "customer")
C = Condition("country", Op.IS_SET)
D = Condition("tags", Op.HAS_TAG, "vip")


@pytest.mark.parametrize(
    ("rule", "text"),
    [
        (Condition("stage", Op.EQ, "customer"), 'stage == "customer"'),
        (Condition("stage", Op.NE, "lead"), 'stage != "lead"'),
        (Condition("metrics.clv", Op.LT, 10), "metrics.clv < 10"),
        (Condition("metrics.clv", Op.LE, 10.5), "metrics.clv <= 10.5"),
        (Condition("metrics.clv", Op.GT, -1), "metrics.clv > -1"),
        (Condition("metrics.clv", Op.GE, 1e-09), "metrics.clv >= 1e-09"),
        (Condition("metrics.clv", Op.BETWEEN, (1, 2.5)), "metrics.clv between 1 and 2.5"),
        (Condition("stage", Op.IN, ("lead", "customer")), 'stage in ["lead", "customer"]'),
        (Condition("stage", Op.NOT_IN, ("lead",)), 'stage not in ["lead"]'),
        (Condition("country", Op.IS_SET), "country is set"),
        (Condition("country", Op.IS_NOT_SET), "country is not set"),
        (Condition("name", Op.CONTAINS, "%_"), 'name contains "%_"'),
        (Condition("name", Op.STARTS_WITH, "O'B"), 'name starts with "O\'B"'),
        (Condition("name", Op.ENDS_WITH, " Ltd"), 'name ends with " Ltd"'),
        (Condition("tags", Op.HAS_TAG, "vip"), 'tags has tag "vip"'),
        (Condition("tags", Op.HAS_ANY, ("vip", "b2b")), 'tags has any ["vip", "b2b"]'),
        (Condition("tags", Op.HAS_ALL, ("vip",)), 'tags has all ["vip"]'),
        (Condition("created_at", Op.WITHIN, 30), "created_at within 30d"),
        (Condition("created_at", Op.OLDER_THAN, 90), "created_at older than 90d"),
        (Condition("created_at", Op.LT, WHEN), 'created_at < t"2025-01-01T00:00:00+00:00"'),
        (Condition("attributes.trial", Op.EQ, True), "attributes.trial == true"),
        (Condition("attributes.trial", Op.NE, False), "attributes.trial != false"),
        (Condition("attributes.seats", Op.IN, (3, 3.0)), "attributes.seats in [3, 3.0]"),
        (Condition("consent.marketing.email", Op.EQ, True), "consent.marketing.email == true"),
        (
            Aggregate(
                Events.TOUCHPOINTS, (Condition("channel", Op.EQ, "email"),), 30, Measure.COUNT, Op.GE, 3
            ),
            'touchpoints(channel == "email", within=30d).count >= 3',
        ),
        (
            Aggregate(
                Events.TOUCHPOINTS,
                (Condition("direction", Op.IN, ("inbound",)), Condition("campaign_id", Op.EQ, ID)),
                7,
                Measure.LAST,
                Op.IS_SET,
                full_window=True,
            ),
            f'touchpoints(direction in ["inbound"], campaign_id == u"{ID}", within=7d, full_window=true)'
            ".last is set",
        ),
        (Aggregate(Events.TOUCHPOINTS, (), None, Measure.COUNT, Op.EQ, 0), "touchpoints().count == 0"),
        (
            Aggregate(
                Events.TRANSACTIONS,
                (Condition("kind", Op.EQ, "order"), Condition("currency", Op.EQ, "EUR")),
                365,
                Measure.SUM,
                Op.GT,
                Decimal("500.00"),
            ),
            'transactions(kind == "order", currency == "EUR", within=365d).sum > d"500.00"',
        ),
        (
            Aggregate(
                Events.TRANSACTIONS,
                (Condition("currency", Op.EQ, "JPY"), Condition("amount", Op.GE, Decimal("1E+3"))),
                None,
                Measure.AVERAGE,
                Op.BETWEEN,
                (Decimal(0), Decimal(100)),
            ),
            'transactions(currency == "JPY", amount >= d"1E+3").average between d"0" and d"100"',
        ),
        (
            Aggregate(Events.TRANSACTIONS, (), 30, Measure.FIRST, Op.OLDER_THAN, 10),
            "transactions(within=30d).first older than 10d",
        ),
    ],
)
def test_golden_spellings(rule: Rule, text: str) -> None:
    assert to_text(rule) == text
    assert parse(text, catalogue=CATALOGUE) == validate(rule, CATALOGUE)
    assert parse(text, catalogue=None) == rule


def test_the_issue_example() -> None:
    text = 'stage == "customer" and touchpoints(channel="email", within=30d).count >= 3'
    with pytest.raises(InvalidRuleError, match="at 1:44: expected a comparison, found '='"):
        parse(text)  # where conditions are comparisons: channel == "email"
    rule = parse(text.replace('channel="email"', 'channel == "email"'))
    built = (field("stage") == "customer") & (touchpoints(channel="email").within(days=30).count() >= 3)
    assert rule == validate(built)


@pytest.mark.parametrize(
    ("rule", "text"),
    [
        (And((A, B)), 'stage == "lead" and stage == "customer"'),
        (Or((A, B)), 'stage == "lead" or stage == "customer"'),
        (Or((A, And((B, C)))), 'stage == "lead" or (stage == "customer" and country is set)'),
        (And((A, Or((B, C)))), 'stage == "lead" and (stage == "customer" or country is set)'),
        (And((And((A, B)), C)), '(stage == "lead" and stage == "customer") and country is set'),
        (And((A, And((B, C)))), 'stage == "lead" and (stage == "customer" and country is set)'),
        (Or((Or((A, B)), C)), '(stage == "lead" or stage == "customer") or country is set'),
        (Not(A), 'not stage == "lead"'),
        (Not(Not(A)), 'not not stage == "lead"'),
        (Not(And((A, B))), 'not (stage == "lead" and stage == "customer")'),
        (And((Not(A), B)), 'not stage == "lead" and stage == "customer"'),
        (Or((Not(Or((A, B))), D)), 'not (stage == "lead" or stage == "customer") or tags has tag "vip"'),
        (And(()), "all()"),
        (Or(()), "any()"),
        (And((A,)), 'all(stage == "lead")'),
        (Or((A,)), 'any(stage == "lead")'),
        (Not(And(())), "not all()"),
        (And((And(()), Or(()))), "all() and any()"),
        (Or((And((A,)), Or((B, C)))), 'all(stage == "lead") or (stage == "customer" or country is set)'),
        (And((Or((A, B)),)), 'all(stage == "lead" or stage == "customer")'),
        (Or((And((A, B)),)), 'any(stage == "lead" and stage == "customer")'),
    ],
)
def test_grouping_is_kept_exactly(rule: Rule, text: str) -> None:
    assert to_text(rule) == text
    assert parse(text) == rule


@pytest.mark.parametrize(
    ("text", "rule"),
    [
        ('stage == "lead" or stage == "customer" and country is set', Or((A, And((B, C))))),
        ('not stage == "lead" or stage == "customer"', Or((Not(A), B))),
        ('stage == "lead" and stage == "customer" and country is set', And((A, B, C))),
        ('((stage == "lead"))', A),
        ('all(stage == "lead", stage == "customer")', And((A, B))),
        ('any(stage == "lead", stage == "customer" and country is set)', Or((A, And((B, C))))),
        ('stage=="lead"and stage=="customer"', And((A, B))),
        ('\n\tstage\n==\n"lead"\r\n', A),
        ('touchpoints(within=30d, channel == "email").count >= 3',
         Aggregate(Events.TOUCHPOINTS, (Condition("channel", Op.EQ, "email"),), 30, Measure.COUNT, Op.GE, 3)),
        ("transactions(full_window=false).count > 1",
         Aggregate(Events.TRANSACTIONS, (), None, Measure.COUNT, Op.GT, 1)),
    ],
)  # fmt: skip
def test_precedence_and_liberal_spacing(text: str, rule: Rule) -> None:
    assert parse(text) == rule


@pytest.mark.parametrize(
    ("text", "value"),
    [
        (r'"a\"b"', 'a"b'),
        (r'"back\\slash"', "back\\slash"),
        (r'"\n\r\t"', "\n\r\t"),
        (r'"\u00e9"', "é"),
        (r'"\U0001F600"', "😀"),
        ('"😀 raw"', "😀 raw"),
        (r'"\u2028"', "\u2028"),
        ('"  spaced  "', "  spaced  "),
        ('"\'; DROP TABLE x; --"', "'; DROP TABLE x; --"),
        ('"%_"', "%_"),
        ('""', ""),
    ],
)
def test_string_escapes(text: str, value: str) -> None:
    rule = parse(f"name == {text}")
    assert rule == Condition("name", Op.EQ, value)
    assert parse(to_text(rule)) == rule


def test_to_text_escapes_what_would_be_invisible_or_break_lines() -> None:
    rule = Condition("name", Op.IN, ("a\x00b"[0], "\x01", "\x7f", "\x85", "\u2028", "\n", '"', "\\", "é😀"))
    assert to_text(rule) == r'name in ["a", "\u0001", "\u007f", "\u0085", "\u2028", "\n", "\"", "\\", "é😀"]'
    assert parse(to_text(rule)) == rule
    assert "\n" not in to_text(Condition("name", Op.EQ, "line\nbreak\r\n"))


@pytest.mark.parametrize(
    ("value", "literal"),
    [
        (0, "0"),
        (-(2**53), "-9007199254740992"),
        (0.1, "0.1"),
        (-0.0, "-0.0"),
        (1e-05, "1e-05"),
        (1e15, "1000000000000000.0"),
        (2.0**53, "9007199254740992.0"),
        (5e-324, "5e-324"),
        (1 / 3, "0.3333333333333333"),
    ],
)
def test_numbers_round_trip_exactly(value: float, literal: str) -> None:
    rule = Condition("metrics.clv", Op.EQ, value)
    assert to_text(rule) == f"metrics.clv == {literal}"
    back = parse(to_text(rule))
    assert isinstance(back, Condition)
    assert back.value == value
    assert type(back.value) is type(value)
    assert str(back.value) == str(value)  # keeps the sign of -0.0


def test_decimals_datetimes_and_uuids_are_tagged() -> None:
    zone = timezone(timedelta(hours=-5, minutes=-30))
    when = datetime(2024, 2, 29, 23, 59, 59, 999_999, tzinfo=zone)
    rule = And(
        (
            Condition("updated_at", Op.GE, when),
            transactions(currency="KWD").sum() == Decimal("-0.125"),
            touchpoints(campaign_id=ID).count() > 0,
        )
    )
    text = to_text(rule)
    assert 't"2024-02-29T23:59:59.999999-05:30"' in text
    assert 'd"-0.125"' in text
    assert f'u"{ID}"' in text
    assert parse(text, catalogue=None) == rule
    assert parse(text) == validate(rule)


TOO_DEEP_PARENS = "(" * (4 * MAX_DEPTH + 1) + 'stage == "lead"' + ")" * (4 * MAX_DEPTH + 1)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "at 1:1: expected a field, found the end"),
        ("   ", "at 1:4: expected a field, found the end"),
        ("stage", "at 1:6: expected a comparison, found the end"),
        ("stage ==", "at 1:9: expected a value, found the end"),
        ("stage = 1", "at 1:7: expected a comparison, found '='"),
        ('(stage == "lead"', "at 1:17: expected ')', found the end"),
        ('stage == "lead")', "at 1:16: expected the end of the rule, found ')'"),
        ('stage == "lead" and', "at 1:20: expected a field, found the end"),
        ('stage == "lead" or or', "at 1:20: expected a field, found 'or'"),
        ("not", "at 1:4: expected a field, found the end"),
        ('"stage" == "lead"', "at 1:1: expected a field, found a string"),
        ('stage in "lead"', "at 1:10: expected '[', found a string"),
        ("stage in []", "at 1:11: expected a value, found ']'"),
        ('stage in ["lead",]', "at 1:18: expected a value, found ']'"),
        ('stage in [["lead"]]', "at 1:11: expected a value, found '['"),
        ("stage between 1", "at 1:16: expected 'and', found the end"),
        ('tags has "x"', "at 1:10: expected tag, any or all after 'has'"),
        ("created_at within 30", "at 1:19: expected a number of days such as 30d"),
        ("created_at older 30d", "at 1:18: expected 'than', found a number of days"),
        ("created_at within 1234567890123d", "at 1:19: expected a number of days"),
        ("country is", "at 1:11: expected 'set', found the end"),
        ('name starts "x"', "at 1:13: expected 'with', found a string"),
        ("stage == tru", "at 1:10: expected a value, found 'tru'"),
        ('stage == "a" "b"', "at 1:14: expected the end of the rule, found a string"),
        ("stage == #", "at 1:10: unexpected character '#'"),
        ("stage\n  == \n @", "at 3:2: unexpected character '@'"),
        ('name == "😀" and 😀', "at 1:17: unexpected character '😀'"),
        ('stage == "lead', "at 1:10: unterminated string"),
        ('stage == "lead\\"', "at 1:10: unterminated string"),
        ('stage == "lead" and name == "x', "at 1:29: unterminated string"),
        ('name == "\\q"', "at 1:10: unknown escape \\q"),
        ('name == "\\u{41}"', "at 1:10: \\u needs 4 hex digits"),
        ('name == "\\U0011000"', "at 1:10: \\U needs 8 hex digits"),
        ('name == "\\U00110000"', "at 1:10: no such character"),
        ("metrics.clv == 1e999", "at 1:16: number out of range"),
        ("metrics.clv == 1" + "0" * 40, "at 1:16: number too long"),
        ('created_at < t"yesterday"', "at 1:14: not a valid datetime"),
        ('contact_id == u"x"', "at 1:15: not a valid uuid"),
        ('metrics.clv == d"NaN"', "at 1:16: not a valid decimal"),
        ("touchpoints(", "at 1:13: expected a condition or option, found the end"),
        ("touchpoints()", "at 1:14: expected '.', found the end"),
        ("touchpoints().median > 1", "at 1:15: expected count, sum, average, first or last"),
        ("touchpoints(channel).count >= 1", "at 1:20: expected a comparison, found ')'"),
        ('touchpoints(channel == "email" within=30d).count >= 1', "at 1:32: expected ',', found 'within'"),
        ("touchpoints(within=30).count >= 1", "at 1:20: expected a number of days such as 30d"),
        ("touchpoints(within=3d, within=5d).count >= 1", "at 1:24: within= given twice"),
        ("touchpoints(full_window=true, full_window=true).count >= 1", "at 1:31: full_window= given twice"),
        ("touchpoints(full_window=yes).count >= 1", "at 1:25: expected true or false"),
        ("all(", "at 1:5: expected a field, found the end"),
        ('all(stage == "lead",)', "at 1:21: expected a field, found ')'"),
        ('any stage == "lead"', "at 1:5: expected a comparison, found 'stage'"),
        ("not " * (4 * MAX_DEPTH + 2) + 'stage == "lead"', f"nested deeper than {MAX_DEPTH} levels"),
        (TOO_DEEP_PARENS, f"at 1:{4 * MAX_DEPTH + 2}: nested deeper than {MAX_DEPTH} levels"),
        ("all(" * 100 + ")" * 100, f"nested deeper than {MAX_DEPTH} levels"),
    ],
)
def test_syntax_errors_say_where(text: str, message: str) -> None:
    with pytest.raises(InvalidRuleError) as caught:
        parse(text)
    assert caught.value.paths == ("text",)
    assert message in caught.value.errors[0].problem, caught.value


@pytest.mark.parametrize(
    ("text", "path", "words"),
    [
        ('password == "x"', "field", "unknown field 'password'"),
        ('stage == "king"', "value", "is not a stage"),
        ('stage contains "le"', "op", "'contains' does not apply to stage"),
        ('stage == "lead" and name == 3', "rules[1].value", "expected text"),
        ('not (stage == "lead" or tags has tag "")', "rule.rules[1].value", "invalid tag"),
        ('metrics.clv == d"1.5"', "value", "expected a number, got Decimal"),
        ('transactions(currency == "EUR").sum > 500.00', "value", "exact amount"),
        ('transactions(currency == "EUR").sum > d"500.001"', "value", "more decimals than EUR"),
        ('transactions(kind == "order").sum > d"1"', "where", "needs one currency"),
        ("touchpoints().sum > 1", "measure", "touchpoints have no sum"),
        ("touchpoints(full_window=true).count > 1", "full_window", "needs a window"),
        ('touchpoints(stage == "lead").count > 1', "where[0].field", "unknown touchpoints field"),
        ("created_at < t\"2025-01-01\"", "value", "naive"),
        ("created_at within 0d", "value", "from 1 to"),
        ('created_at between t"2025-01-01T00:00:00Z" and t"2024-01-01T00:00:00Z"', "value", "low value"),
        ('name == "\\u0000"', "value", "NUL"),
        ('name == "\\ud800"', "value", "lone surrogate"),
        ("country is set and attributes.plan is set", "rules[1].field", "unknown field 'attributes.plan'"),
    ],
)  # fmt: skip
def test_validation_errors_name_the_node(text: str, path: str, words: str) -> None:
    with pytest.raises(InvalidRuleError) as caught:
        parse(text)
    assert caught.value.paths == (path,), caught.value
    assert words in caught.value.errors[0].problem


def test_the_catalogue_decides_the_fields() -> None:
    text = 'attributes.plan starts with "pro" and attributes.seats between 1 and 5'
    with pytest.raises(InvalidRuleError, match="unknown field"):
        parse(text)
    plan = Condition("attributes.plan", Op.STARTS_WITH, "pro")
    assert parse(text, catalogue=CATALOGUE) == And((plan, Condition("attributes.seats", Op.BETWEEN, (1, 5))))
    assert parse("anything == 1", catalogue=None) == Condition("anything", Op.EQ, 1)


def test_input_length_is_limited() -> None:
    padded = 'stage == "lead"'.ljust(MAX_TEXT_INPUT)
    assert parse(padded) == A
    with pytest.raises(InvalidRuleError, match=f"longer than {MAX_TEXT_INPUT} characters"):
        parse(padded + " ")


def test_only_text_is_parsed() -> None:
    with pytest.raises(InvalidRuleError, match="expected a string, got bytes"):
        parse(b'stage == "lead"')  # type: ignore[arg-type]


def test_depth_limit_is_exact() -> None:
    deepest: Rule = A
    for _ in range(MAX_DEPTH):
        deepest = Not(deepest)
    assert parse(to_text(deepest)) == deepest
    with pytest.raises(InvalidRuleError, match="nested deeper"):
        parse(to_text(Not(deepest)))


def test_long_flat_rules_parse_without_recursion() -> None:
    text = " or ".join(f"metrics.clv == {i}" for i in range(400))
    rule = parse(text)
    assert isinstance(rule, Or)
    assert len(rule.rules) == 400
