r"""The text form of rules, for docs, logs and configuration files.

::

    stage in ["customer", "evangelist"]
    and touchpoints(channel == "email", direction == "inbound", within=30d).count >= 3
    and not tags has tag "churn-risk"

Grammar (``not`` binds tighter than ``and``, which binds tighter than ``or``):

    rule       = or_rule
    or_rule    = and_rule { "or" and_rule }
    and_rule   = not_rule { "and" not_rule }
    not_rule   = "not" not_rule | primary
    primary    = "(" rule ")" | ("all" | "any") "(" [ rule { "," rule } ] ")"
               | events "(" [ argument { "," argument } ] ")" "." measure test
               | field test
    events     = "touchpoints" | "transactions"
    argument   = field test | "within" "=" days | "full_window" "=" boolean
    measure    = "count" | "sum" | "average" | "first" | "last"
    test       = ("==" | "!=" | "<" | "<=" | ">" | ">=") value
               | "between" value "and" value | ["not"] "in" list
               | "is" ["not"] "set" | "contains" string | "starts" "with" string
               | "ends" "with" string | "has" "tag" string | "has" ("any" | "all") list
               | "within" days | "older" "than" days
    list       = "[" value { "," value } "]"
    value      = string | number | boolean | 'd"' decimal '"' | 't"' iso-datetime '"' | 'u"' uuid '"'
    days       = digits "d"

Strings are double-quoted with the escapes ``\"``, ``\\``, ``\n``, ``\r``,
``\t``, ``\uXXXX`` and ``\UXXXXXXXX``. ``all(...)`` and ``any(...)`` spell an
``and`` / ``or`` of fewer than two rules. [`to_text`][relcore.segments.to_text] writes every rule so
that [`parse`][relcore.segments.parse] reads back exactly the same rule.
"""

from __future__ import annotations

import math
import re
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import assert_never
from uuid import UUID

from relcore._kernel.checks import member_of, shown_name
from relcore.errors import InvalidRuleError
from relcore.segments.rules.catalogue import DEFAULT_CATALOGUE, Catalogue
from relcore.segments.rules.nodes import (
    Aggregate,
    And,
    Condition,
    Measure,
    Not,
    Op,
    Or,
    Rule,
    Scalar,
    Value,
)
from relcore.segments.rules.validation import MAX_DEPTH, MAX_LIST_VALUES, validate

__all__ = ["MAX_TEXT_INPUT", "parse", "to_text"]

MAX_TEXT_INPUT = 100_000
"""Longest text [`parse`][relcore.segments.parse] reads, in characters."""

_WORD_OPS = {
    Op.BETWEEN, Op.IN, Op.NOT_IN, Op.IS_SET, Op.IS_NOT_SET, Op.CONTAINS, Op.STARTS_WITH, Op.ENDS_WITH,
    Op.HAS_TAG, Op.HAS_ANY, Op.HAS_ALL, Op.WITHIN, Op.OLDER_THAN,
}  # fmt: skip


def to_text(rule: Rule) -> str:
    """Return the text form of ``rule``.

    Example:
        >>> from relcore.segments import field, to_text, touchpoints
        >>> print(to_text((field("stage") == "customer")
        ...               & (touchpoints(channel="email").within(days=30).count() >= 3)))
        stage == "customer" and touchpoints(channel == "email", within=30d).count >= 3
    """
    match rule:
        case And(rules=rules) | Or(rules=rules):
            word = "and" if isinstance(rule, And) else "or"
            if len(rules) < 2:
                return ("all(" if word == "and" else "any(") + ", ".join(to_text(r) for r in rules) + ")"
            return f" {word} ".join(_grouped(r) for r in rules)
        case Not(rule=inner):
            return f"not {_grouped(inner)}"
        case Condition():
            return f"{rule.field} {_test(rule.op, rule.value)}"
        case Aggregate():
            arguments = [f"{c.field} {_test(c.op, c.value)}" for c in rule.where]
            if rule.within_days is not None:
                arguments.append(f"within={rule.within_days}d")
            if rule.full_window:
                arguments.append("full_window=true")
            events, measure = str.__str__(rule.events), Measure(rule.measure).value
            return f"{events}({', '.join(arguments)}).{measure} {_test(rule.op, rule.value)}"
        case _:
            assert_never(rule)


def _grouped(rule: Rule) -> str:
    text = to_text(rule)
    return f"({text})" if isinstance(rule, And | Or) and len(rule.rules) >= 2 else text


def _test(op: Op, value: Value) -> str:
    op = Op(op)
    match op:
        case Op.IS_SET | Op.IS_NOT_SET:
            return op.value
        case Op.BETWEEN:
            low, high = value if isinstance(value, tuple) and len(value) == 2 else (value, value)
            return f"between {_literal(low)} and {_literal(high)}"
        case Op.WITHIN | Op.OLDER_THAN:
            return f"{op.value} {value}d"
        case _:
            if isinstance(value, tuple):
                return f"{op.value} [{', '.join(_literal(v) for v in value)}]"
            return f"{op.value} {_literal(value)}"


def _literal(value: object) -> str:
    match value:
        case bool():
            return "true" if value else "false"
        case int() | float():
            return repr(value)
        case str():
            return _string(value)
        case Decimal():
            return f'd"{value}"'
        case datetime():
            return f't"{value.isoformat()}"'
        case UUID():
            return f'u"{value}"'
        case _:
            return _string(str(value))


def _string(text: str) -> str:
    out = []
    for char in text:
        if char in '"\\':
            out.append("\\" + char)
        elif char == "\n":
            out.append("\\n")
        elif char == "\r":
            out.append("\\r")
        elif char == "\t":
            out.append("\\t")
        elif ord(char) < 0x20 or 0x7F <= ord(char) < 0xA0 or char in "\u2028\u2029":
            out.append(f"\\u{ord(char):04x}")
        else:
            out.append(char)
    return '"' + "".join(out) + '"'


_TOKEN = re.compile(
    r"""
    (?P<space>\s+)
  | (?P<days>\d+d\b)
  | (?P<number>-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?)
  | (?P<tagged>[dtu]")
  | (?P<string>")
  | (?P<op>==|!=|<=|>=|<|>|=)
  | (?P<punct>[()\[\],.])
  | (?P<name>[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*)
    """,
    re.VERBOSE,
)
_TAGS = {"d": "decimal", "t": "datetime", "u": "uuid"}
_ESCAPES = {'"': '"', "\\": "\\", "n": "\n", "r": "\r", "t": "\t"}


class _Token:
    __slots__ = ("kind", "position", "text", "value")

    def __init__(self, kind: str, text: str, position: int, value: object = None) -> None:
        self.kind, self.text, self.position, self.value = kind, text, position, value


def parse(text: str, *, catalogue: Catalogue | None = DEFAULT_CATALOGUE) -> Rule:
    """Read a rule from its text form and check it against ``catalogue``.

    With ``catalogue=None`` only the syntax is checked.

    Raises:
        InvalidRuleError: The text is not a rule, or the rule is not valid;
            syntax errors say where (``at 1:17: expected a value``).

    Example:
        >>> from relcore.segments import parse
        >>> rule = parse('stage == "customer" and not tags has tag "churn-risk"')
        >>> print(type(rule).__name__, len(rule.rules))
        And 2
    """
    if not isinstance(text, str):
        raise InvalidRuleError.single("text", f"expected a string, got {type(text).__name__}")
    text = str.__str__(text)
    if len(text) > MAX_TEXT_INPUT:
        raise InvalidRuleError.single("text", f"longer than {MAX_TEXT_INPUT} characters")
    parser = _Parser(text)
    rule = parser.rule(0)
    parser.expect_end()
    return rule if catalogue is None else validate(rule, catalogue)


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = self._tokenize()
        self.index = 0

    # -- tokens ---------------------------------------------------------------

    def _tokenize(self) -> list[_Token]:
        tokens: list[_Token] = []
        position = 0
        while position < len(self.text):
            match = _TOKEN.match(self.text, position)
            if match is None:
                raise self.error(position, f"unexpected character {self.text[position]!r}")
            kind = match.lastgroup or ""
            if kind in ("string", "tagged"):
                start = position
                value, position = self._string(start, match.end())
                tokens.append(_Token(kind, self.text[start:position], start, value))
                continue
            if kind != "space":
                tokens.append(_Token(kind, match.group(), position))
            position = match.end()
        tokens.append(_Token("end", "", len(self.text)))
        return tokens

    def _string(self, start: int, position: int) -> tuple[str, int]:
        out: list[str] = []
        while True:
            if position >= len(self.text):
                raise self.error(start, "unterminated string")
            char = self.text[position]
            if char == '"':
                return "".join(out), position + 1
            if char != "\\":
                out.append(char)
                position += 1
                continue
            escape = self.text[position + 1 : position + 2]
            if escape in _ESCAPES:
                out.append(_ESCAPES[escape])
                position += 2
            elif escape in ("u", "U"):
                width = 4 if escape == "u" else 8
                digits = self.text[position + 2 : position + 2 + width]
                if len(digits) != width or not all(c in "0123456789abcdefABCDEF" for c in digits):
                    raise self.error(position, f"\\{escape} needs {width} hex digits")
                code = int(digits, 16)
                if code > 0x10FFFF:
                    raise self.error(position, "no such character")
                out.append(chr(code))
                position += 2 + width
            else:
                raise self.error(position, f"unknown escape \\{escape}")

    @property
    def token(self) -> _Token:
        return self.tokens[self.index]

    def advance(self) -> _Token:
        token = self.tokens[self.index]
        self.index += 1
        return token

    def accept(self, text: str, kind: str | None = None) -> bool:
        token = self.token
        if token.text == text and token.kind in ((kind,) if kind else ("name", "op", "punct")):
            self.index += 1
            return True
        return False

    def expect(self, text: str) -> None:
        if not self.accept(text):
            raise self.error(self.token.position, f"expected {text!r}, found {self._found()}")

    def expect_end(self) -> None:
        if self.token.kind != "end":
            raise self.error(self.token.position, f"expected the end of the rule, found {self._found()}")

    def _found(self) -> str:
        return _shown(self.token)

    def error(self, position: int, problem: str) -> InvalidRuleError:
        line = self.text.count("\n", 0, position) + 1
        column = position - (self.text.rfind("\n", 0, position) + 1) + 1
        return InvalidRuleError.single("text", f"at {line}:{column}: {problem}")  # type: ignore[return-value]

    # -- rules ----------------------------------------------------------------

    def rule(self, depth: int) -> Rule:
        if depth > 4 * MAX_DEPTH:
            raise self.error(self.token.position, f"nested deeper than {MAX_DEPTH} levels")
        rules = [self.and_rule(depth)]
        while self.accept("or", "name"):
            rules.append(self.and_rule(depth))
        return rules[0] if len(rules) == 1 else Or(tuple(rules))

    def and_rule(self, depth: int) -> Rule:
        rules = [self.not_rule(depth)]
        while self.accept("and", "name"):
            rules.append(self.not_rule(depth))
        return rules[0] if len(rules) == 1 else And(tuple(rules))

    def not_rule(self, depth: int) -> Rule:
        if self.accept("not", "name"):
            if depth > 4 * MAX_DEPTH:
                raise self.error(self.token.position, f"nested deeper than {MAX_DEPTH} levels")
            return Not(self.not_rule(depth + 1))
        return self.primary(depth)

    def primary(self, depth: int) -> Rule:
        token = self.token
        if self.accept("(", "punct"):
            inner = self.rule(depth + 1)
            self.expect(")")
            return inner
        if token.kind == "name" and token.text in ("all", "any") and self.tokens[self.index + 1].text == "(":
            self.index += 2
            rules: list[Rule] = []
            if not self.accept(")", "punct"):
                rules.append(self.rule(depth + 1))
                while self.accept(",", "punct"):
                    rules.append(self.rule(depth + 1))
                self.expect(")")
            return And(tuple(rules)) if token.text == "all" else Or(tuple(rules))
        following = self.tokens[self.index + 1] if self.index + 1 < len(self.tokens) else None
        opens = following is not None and following.text == "("
        if token.kind == "name" and token.text not in ("and", "or") and opens:
            return self.aggregate(self.advance().text)
        if token.kind != "name" or token.text in ("and", "or"):
            raise self.error(token.position, f"expected a field, found {self._found()}")
        name = self.advance().text
        op, value = self.test()
        return Condition(name, op, value)

    def aggregate(self, events: str) -> Aggregate:
        self.expect("(")
        where: list[Condition] = []
        within: int | None = None
        full_window = False
        options: set[str] = set()
        if not self.accept(")", "punct"):
            while True:
                token = self.token
                if token.kind != "name":
                    raise self.error(token.position, f"expected a condition or option, found {self._found()}")
                if token.text in ("within", "full_window") and self.tokens[self.index + 1].text == "=":
                    if token.text in options:
                        raise self.error(token.position, f"{token.text}= given twice")
                    options.add(token.text)
                    self.index += 2
                    if token.text == "within":
                        within = self.days()
                    else:
                        full_window = self.boolean()
                else:
                    name = self.advance().text
                    op, value = self.test()
                    where.append(Condition(name, op, value))
                if self.accept(")", "punct"):
                    break
                self.expect(",")
        self.expect(".")
        token = self.advance()
        measure = member_of(Measure, token.text)
        if measure is None:
            raise self.error(token.position, "expected count, sum, average, first or last")
        op, value = self.test()
        return Aggregate(events, tuple(where), within, measure, op, value, full_window)

    def test(self) -> tuple[Op, Value]:
        token = self.advance()
        if token.kind == "op" and token.text != "=":
            return Op(token.text), self.value()
        word = token.text if token.kind == "name" else ""
        match word:
            case "between":
                low = self.value()
                self.expect("and")
                return Op.BETWEEN, (low, self.value())
            case "in":
                return Op.IN, self.values()
            case "not":
                self.expect("in")
                return Op.NOT_IN, self.values()
            case "is":
                negated = self.accept("not", "name")
                self.expect("set")
                return (Op.IS_NOT_SET if negated else Op.IS_SET), None
            case "contains":
                return Op.CONTAINS, self.value()
            case "starts" | "ends":
                self.expect("with")
                return (Op.STARTS_WITH if word == "starts" else Op.ENDS_WITH), self.value()
            case "has":
                kind = self.advance()
                if kind.text == "tag":
                    return Op.HAS_TAG, self.value()
                if kind.text in ("any", "all"):
                    return (Op.HAS_ANY if kind.text == "any" else Op.HAS_ALL), self.values()
                raise self.error(kind.position, "expected tag, any or all after 'has'")
            case "within":
                return Op.WITHIN, self.days()
            case "older":
                self.expect("than")
                return Op.OLDER_THAN, self.days()
        raise self.error(token.position, f"expected a comparison, found {_shown(token)}")

    def values(self) -> tuple[Scalar, ...]:
        start = self.token.position
        self.expect("[")
        items = [self.value()]
        while self.accept(",", "punct"):
            items.append(self.value())
            if len(items) > MAX_LIST_VALUES:
                raise self.error(start, f"more than {MAX_LIST_VALUES} values")
        self.expect("]")
        return tuple(items)

    def value(self) -> Scalar:
        token = self.advance()
        match token.kind:
            case "string":
                return str(token.value)
            case "number":
                text = token.text
                if len(text) > 40:
                    raise self.error(token.position, "number too long")
                if not any(c in text for c in ".eE"):
                    return int(text)
                number = float(text)
                if not math.isfinite(number):
                    raise self.error(token.position, "number out of range")
                return number
            case "name" if token.text in ("true", "false"):
                return token.text == "true"
            case "tagged":
                return self.tagged(token)
        raise self.error(token.position, f"expected a value, found {_shown(token)}")

    def tagged(self, token: _Token) -> Scalar:
        text = str(token.value)
        try:
            match token.text[0]:
                case "d":
                    amount = Decimal(text)
                    if amount.is_finite() and len(text) <= 64:
                        return amount
                case "t":
                    if len(text) <= 64:
                        return datetime.fromisoformat(text)
                case _:
                    return UUID(text)
        except (ValueError, InvalidOperation):
            pass
        raise self.error(token.position, f"not a valid {_TAGS[token.text[0]]}")

    def days(self) -> int:
        token = self.advance()
        if token.kind != "days" or len(token.text) > 12:
            raise self.error(token.position, "expected a number of days such as 30d")
        return int(token.text[:-1])

    def boolean(self) -> bool:
        token = self.advance()
        if token.kind == "name" and token.text in ("true", "false"):
            return token.text == "true"
        raise self.error(token.position, "expected true or false")


_LITERALS = {
    "string": "a string",
    "tagged": "a tagged value",
    "number": "a number",
    "days": "a number of days",
}


def _shown(token: _Token) -> str:
    """The token for a message: operators and names as written, literals (maybe personal data) by kind."""
    if token.kind == "end":
        return "the end"
    if token.kind in ("op", "punct"):
        return repr(token.text)
    if token.kind == "name":
        return shown_name(token.text)
    return _LITERALS.get(token.kind, "a value")
