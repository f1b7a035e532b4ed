# mypy's attrs plugin does not understand attrs.Converter(..., takes_field=True), which lets every
# ValidationError name its field; it reports "Unsupported converter" (misc) and types those parameters as Any.
# mypy: disable-error-code="misc"
"""Pipelines and their stages: the sales process as data.

A [Pipeline][relcore.sales.Pipeline] is an ordered list of
[Stage][relcore.sales.Stage]s. Each stage says how likely a deal in it is to
be won (its default probability), whether it is still open or closed as won
or lost, and which forecast category its deals fall in. Stage keys are
stable: opportunities and their history name stages by key, so a stage is
renamed by changing its label, and retired by deactivating it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import attrs

from relcore._kernel import checks as check
from relcore._kernel.money import check_currency
from relcore.clock import system_clock
from relcore.customers.model import version_converter
from relcore.ids import PipelineId, new_id

__all__ = [
    "DEFAULT_LOST_REASONS",
    "REQUIRABLE_FIELDS",
    "ForecastCategory",
    "Pipeline",
    "Stage",
    "StageOutcome",
    "check_key",
    "check_probability",
    "check_timezone",
]

PROBABILITY_PLACES = 4
"""Probabilities are exact decimals with at most four places (a hundredth of a percent)."""

_KEY = re.compile(r"[a-z][a-z0-9_]{0,39}")
_ONE = Decimal(1)

REQUIRABLE_FIELDS = ("amount", "close_date", "contact_id", "owner", "source", "campaign_id")
"""Opportunity fields a stage may require before a deal enters it (besides ``attributes.<key>``)."""

DEFAULT_LOST_REASONS = (
    "price",
    "competition",
    "budget",
    "missing_features",
    "timing",
    "no_decision",
    "unresponsive",
    "other",
)
"""The lost reasons of a pipeline that names none (after the list Frappe CRM's users asked for, #973)."""


class StageOutcome(StrEnum):
    """Whether a stage's deals are still open, or closed as won or lost."""

    OPEN = "open"
    WON = "won"
    LOST = "lost"


class ForecastCategory(StrEnum):
    """Where a deal counts in a forecast (Salesforce's categories, without "most likely").

    Won deals are ``closed`` and lost ones ``omitted``; an open deal is in its
    stage's category unless the opportunity overrides it.
    """

    PIPELINE = "pipeline"
    BEST_CASE = "best_case"
    COMMIT = "commit"
    CLOSED = "closed"
    OMITTED = "omitted"


def check_probability(field: str, value: object) -> Decimal:
    """Return ``value`` as an exact probability: a `Decimal` from 0 to 1 with at most four places."""
    number = check.decimal_value(field, value)
    if not Decimal(0) <= number <= _ONE:
        raise check.fail(field, "must be from 0 to 1")
    if number != number.quantize(Decimal(1).scaleb(-PROBABILITY_PLACES)):
        raise check.fail(field, f"has more than {PROBABILITY_PLACES} decimal places")
    return number + 0  # drops a negative zero's sign


def check_key(field: str, value: object) -> str:
    """Return ``value`` if it is a stage or reason key: 1-40 lower-case letters, digits, '_'."""
    text = check.check_text(field, value, max_len=40)
    if not _KEY.fullmatch(text):
        raise check.fail(
            field, "expected 1-40 lower-case ASCII letters, digits and '_', starting with a letter"
        )
    return text


def _key(value: object, field: attrs.Attribute) -> str:  # type: ignore[type-arg]
    return check_key(field.name, value)


def _probability(value: object, field: attrs.Attribute) -> Decimal:  # type: ignore[type-arg]
    return check_probability(field.name, value)


def _required(value: object, field: attrs.Attribute) -> tuple[str, ...]:  # type: ignore[type-arg]
    names = check.check_tuple(lambda path, item: check.check_text(path, item, max_len=80), field.name, value)
    for position, name in enumerate(names):
        attribute = name.removeprefix("attributes.")
        if name not in REQUIRABLE_FIELDS and not (name.startswith("attributes.") and attribute):
            raise check.fail(
                f"{field.name}[{position}]",
                f"expected one of {', '.join(REQUIRABLE_FIELDS)} or 'attributes.<key>'",
            )
    return tuple(dict.fromkeys(names))


def _rotting(value: object, field: attrs.Attribute) -> int | None:  # type: ignore[type-arg]
    return None if value is None else check.positive_int(field.name, value, minimum=1, maximum=36_500)


def _position(value: object, field: attrs.Attribute) -> int:  # type: ignore[type-arg]
    return check.positive_int(field.name, value)


_CLOSED_CATEGORY = {StageOutcome.WON: ForecastCategory.CLOSED, StageOutcome.LOST: ForecastCategory.OMITTED}
_CLOSED_PROBABILITY = {StageOutcome.WON: _ONE, StageOutcome.LOST: Decimal(0)}


@attrs.frozen(kw_only=True)
class Stage:
    """One step of a pipeline.

    Attributes:
        key: Stable identifier within its pipeline (``"proposal"``); history refers to it.
        label: The name shown to people.
        position: Order in the pipeline (unique within it); deals advance towards higher positions.
        probability: Default chance of winning a deal in this stage, exact, from 0 to 1.
            A won stage's is 1 and a lost stage's 0.
        outcome: Open, won or lost.
        forecast_category: Where its deals count in a forecast; won stages are ``closed``,
            lost stages ``omitted``; an open stage defaults to ``pipeline``.
        rotting_days: A deal left this many days without a change in this stage is rotting.
        required_fields: Opportunity fields that must be set before a deal enters the stage:
            names from [REQUIRABLE_FIELDS][relcore.sales.pipelines.REQUIRABLE_FIELDS] or
            ``"attributes.<key>"``.
        active: Whether deals may still enter it; a stage in use is deactivated, never deleted.
    """

    key: str = attrs.field(converter=attrs.Converter(_key, takes_field=True))
    label: str = attrs.field(converter=check.text(100))
    position: int = attrs.field(converter=attrs.Converter(_position, takes_field=True))
    probability: Decimal = attrs.field(converter=attrs.Converter(_probability, takes_field=True))
    outcome: StageOutcome = attrs.field(
        default=StageOutcome.OPEN, converter=check.enum_converter(StageOutcome)
    )
    forecast_category: ForecastCategory = attrs.field(converter=check.enum_converter(ForecastCategory))
    rotting_days: int | None = attrs.field(
        default=None, converter=attrs.Converter(_rotting, takes_field=True)
    )
    required_fields: tuple[str, ...] = attrs.field(
        default=(), converter=attrs.Converter(_required, takes_field=True)
    )
    active: bool = attrs.field(default=True, converter=check.boolean)

    @forecast_category.default
    def _category_default(self) -> ForecastCategory:
        return _CLOSED_CATEGORY.get(self.outcome, ForecastCategory.PIPELINE)

    def __attrs_post_init__(self) -> None:
        closed = _CLOSED_CATEGORY.get(self.outcome)
        if closed is None:
            if self.forecast_category is ForecastCategory.CLOSED:
                raise check.fail("forecast_category", "only won stages are closed")
            return
        if self.forecast_category is not closed:
            raise check.fail("forecast_category", f"a {self.outcome} stage's category is {closed}")
        if self.probability != _CLOSED_PROBABILITY[self.outcome]:
            raise check.fail(
                "probability", f"a {self.outcome} stage's probability is {_CLOSED_PROBABILITY[self.outcome]}"
            )

    @classmethod
    def won(cls, key: str = "won", label: str = "Won", *, position: int) -> Stage:
        """A won stage (probability 1, category ``closed``)."""
        return cls(key=key, label=label, position=position, probability=_ONE, outcome=StageOutcome.WON)

    @classmethod
    def lost(cls, key: str = "lost", label: str = "Lost", *, position: int) -> Stage:
        """A lost stage (probability 0, category ``omitted``)."""
        return cls(key=key, label=label, position=position, probability=Decimal(0), outcome=StageOutcome.LOST)


def _stage_spec(path: str, value: object) -> tuple[Any, ...]:
    """A stage given as ``(key, label, probability[, forecast category])``."""
    if not isinstance(value, tuple | list) or len(value) not in (3, 4):
        raise check.fail(path, "expected (key, label, probability[, forecast category])")
    return tuple(value)


def _stage(value: object, path: str) -> Stage:
    if isinstance(value, Stage):
        return value
    if isinstance(value, Mapping):  # as stored: a JSON object
        return check.guarded(path, lambda: Stage(**dict(value)))
    raise check.fail(path, f"expected a Stage, got {check.kind(value)}")


def _stages(value: object, field: attrs.Attribute) -> tuple[Stage, ...]:  # type: ignore[type-arg]
    stages = check.check_tuple(lambda path, item: _stage(item, path), field.name, value)
    return tuple(sorted(stages, key=lambda s: s.position))


def _reasons(value: object, field: attrs.Attribute) -> tuple[str, ...]:  # type: ignore[type-arg]
    reasons = check.check_tuple(check_key, field.name, value)
    if not reasons:
        raise check.fail(field.name, "must hold at least one reason")
    return tuple(dict.fromkeys(reasons))


def _currency(value: object, field: attrs.Attribute) -> str:  # type: ignore[type-arg]
    return check_currency(field.name, value)


def check_timezone(field: str, value: object) -> str:
    """Return ``value`` if it names an IANA time zone this machine knows (``"Europe/Paris"``)."""
    name = check.check_text(field, value, max_len=60)
    try:
        ZoneInfo(name)
        known = True
    except (ValueError, ZoneInfoNotFoundError):
        known = False  # raised outside the handler: the zone library's message repeats the value
    if not known:
        raise check.fail(field, "not an IANA time zone name such as 'Europe/Paris'")
    return name


def _timezone(value: object, field: attrs.Attribute) -> str:  # type: ignore[type-arg]
    return check_timezone(field.name, value)


@attrs.frozen(kw_only=True)
class Pipeline:
    """A sales process: ordered stages, a reporting currency and the reasons deals are lost.

    A pipeline has at least one open, one won and one lost stage; several won
    or lost stages are allowed. Change one with `attrs.evolve` and store it
    with ``crm.sales.save_pipeline``, which keeps every stage a deal ever
    used (deactivate it instead).

    Attributes:
        id: Time-ordered UUID.
        name: The name shown to people.
        default: Whether new deals go here when none is named (one pipeline at most).
        currency: Reporting currency (ISO 4217) of its forecasts in one currency.
        timezone: The IANA time zone its dates are in: a deal won or lost at an instant
            closes on that instant's date there, and is overdue once that date has passed there.
        stages: Its stages, kept in position order.
        lost_reasons: Keys of the reasons a deal may be lost for.
        win_probability: Whether the fitted win-probability model, when there is one,
            gives the automatic probability of its open deals (instead of the stage's).
        created_at: When it was created (aware, UTC).
        updated_at: When it was last saved.
        version: Stored version, increased by each save.
    """

    id: PipelineId = attrs.field(factory=lambda: PipelineId(new_id()), converter=check.uuid)
    name: str = attrs.field(converter=check.text(100))
    default: bool = attrs.field(default=False, converter=check.boolean)
    currency: str = attrs.field(converter=attrs.Converter(_currency, takes_field=True))
    timezone: str = attrs.field(default="UTC", converter=attrs.Converter(_timezone, takes_field=True))
    stages: tuple[Stage, ...] = attrs.field(converter=attrs.Converter(_stages, takes_field=True))
    lost_reasons: tuple[str, ...] = attrs.field(
        default=DEFAULT_LOST_REASONS, converter=attrs.Converter(_reasons, takes_field=True)
    )
    win_probability: bool = attrs.field(default=False, converter=check.boolean)
    created_at: datetime = attrs.field(factory=system_clock, converter=check.aware)
    updated_at: datetime = attrs.field(converter=check.aware)
    version: int = attrs.field(default=1, converter=version_converter)

    @updated_at.default
    def _updated_default(self) -> datetime:
        return self.created_at

    def __attrs_post_init__(self) -> None:
        keys = [s.key for s in self.stages]
        for position, key in enumerate(keys):
            if key in keys[:position]:
                raise check.fail(f"stages[{position}].key", "another stage has this key")
        positions = [s.position for s in self.stages]
        if len(set(positions)) != len(positions):
            raise check.fail("stages", "two stages have the same position")
        for outcome in StageOutcome:
            if not any(s.outcome is outcome for s in self.stages):
                raise check.fail("stages", f"a pipeline needs at least one {outcome} stage")
        if self.updated_at < self.created_at:
            raise check.fail("updated_at", "earlier than created_at")

    @classmethod
    def of(
        cls,
        name: str,
        stages: Iterable[tuple[str, str, Decimal | str | int] | tuple[str, str, Decimal | str | int, str]],
        *,
        currency: str,
        default: bool = False,
        won: str = "won",
        lost: str = "lost",
        timezone: str = "UTC",
        lost_reasons: Iterable[str] = DEFAULT_LOST_REASONS,
        win_probability: bool = False,
        created_at: datetime | None = None,
        id: PipelineId | None = None,
    ) -> Pipeline:
        """A pipeline from its open stages ``(key, label, probability[, forecast category])``, in order.

        A won stage (key ``won``) and a lost stage (key ``lost``) follow them;
        the other arguments are the pipeline's fields.

        Example:
            >>> p = Pipeline.of("Direct", [("qualify", "Qualify", "0.1"),
            ...                            ("propose", "Propose", "0.4", "best_case")], currency="EUR")
            >>> [s.key for s in p.stages], str(p.stage("propose").probability)
            (['qualify', 'propose', 'won', 'lost'], '0.4')
        """
        specs = check.check_tuple(_stage_spec, "stages", stages)
        won, lost = check_key("won", won), check_key("lost", lost)
        built = []
        for position, spec in enumerate(specs):
            key, label, probability, *category = spec
            extra = {"forecast_category": category[0]} if category else {}
            built.append(Stage(key=key, label=label, position=position, probability=probability, **extra))
        count = len(built)
        built += [Stage.won(won, won.replace("_", " ").capitalize(), position=count)]
        built += [Stage.lost(lost, lost.replace("_", " ").capitalize(), position=count + 1)]
        fields: dict[str, Any] = {} if created_at is None else {"created_at": created_at}
        if id is not None:
            fields["id"] = id
        return cls(
            name=name,
            stages=built,
            currency=currency,
            default=default,
            timezone=timezone,
            lost_reasons=lost_reasons,
            win_probability=win_probability,
            **fields,
        )

    def local_date(self, moment: datetime) -> date:
        """The date of the aware instant ``moment`` in the pipeline's time zone."""
        return moment.astimezone(ZoneInfo(self.timezone)).date()

    def stage(self, key: str) -> Stage:
        """The stage with ``key``.

        Raises:
            ValidationError: The pipeline has no such stage (the error names ``stage``).
        """
        for stage in self.stages:
            if stage.key == key:
                return stage
        raise check.fail("stage", "not a stage of this pipeline")

    def find_stage(self, key: str) -> Stage | None:
        """The stage with ``key``, if there is one."""
        return next((s for s in self.stages if s.key == key), None)

    @property
    def open_stages(self) -> tuple[Stage, ...]:
        """The open stages, in position order."""
        return tuple(s for s in self.stages if s.outcome is StageOutcome.OPEN)

    def closing_stage(self, outcome: StageOutcome, after: str | None = None) -> Stage:
        """The active stage a deal is won or lost in.

        The first such stage after the position of stage ``after``, else the
        last one before it (so several won stages work as Odoo's
        ``action_set_won`` does).
        """
        candidates = [s for s in self.stages if s.outcome is outcome and s.active]
        if not candidates:
            raise check.fail("stage", f"the pipeline has no active {outcome} stage")
        current = -1 if after is None or self.find_stage(after) is None else self.stage(after).position
        later = [s for s in candidates if s.position > current]
        return later[0] if later else candidates[-1]
