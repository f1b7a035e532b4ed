# mypy's attrs plugin does not understand attrs.Converter(..., takes_field=True), which lets every
# ValidationError name its field; it reports "Unsupported converter" (misc) and types those parameters as Any.
# mypy: disable-error-code="misc"
"""Feedback: a customer's answer to a survey (NPS, CSAT, CES or a custom question), and its events.

A [FeedbackResponse][relcore.feedback.FeedbackResponse] holds one score on its
kind's [Scale][relcore.feedback.Scale]: NPS on 0-10 (fixed), CSAT on 1-5 and
CES on 1-7 unless another scale is declared, a custom question always on a
declared one. From the score follow its NPS class (promoter 9-10, passive
7-8, detractor 0-6) and whether it is positive: the top two boxes of an NPS,
CSAT or custom scale (9-10; 4-5 on 1-5), and for CES the easy side of the
scale (5-7 on 1-7, see [Scale.positive_from][relcore.feedback.model.Scale.positive_from]).
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

import attrs

from relcore._kernel import checks as check
from relcore._kernel.events import DomainEvent, count_field
from relcore._kernel.tokens import token_converter
from relcore.activity.model import source_converter
from relcore.clock import system_clock
from relcore.customers.model import Channel
from relcore.ids import (
    CampaignId,
    CaseId,
    ContactId,
    CustomerId,
    FeedbackResponseId,
    TouchpointId,
    new_id,
)

__all__ = [
    "MAX_SCALE_POINTS",
    "FeedbackImported",
    "FeedbackKind",
    "FeedbackRecorded",
    "FeedbackResponse",
    "ImportReport",
    "NpsClass",
    "Scale",
    "nps_class",
]

MAX_SCALE_POINTS = 101
"""The most points a scale may have (0-100 is the widest)."""

_SCALE_BOUND = 1000
"""Scale ends lie in ``0..1000``."""


class FeedbackKind(StrEnum):
    """What a response measures."""

    NPS = "nps"
    """Net Promoter Score: how likely the customer is to recommend us, 0-10."""
    CSAT = "csat"
    """Customer satisfaction, 1-5 unless declared otherwise."""
    CES = "ces"
    """Customer effort score (CES 2.0: "the company made it easy for me"), 1-7 unless declared otherwise."""
    CUSTOM = "custom"
    """Any other scored question, on a declared scale."""


class NpsClass(StrEnum):
    """Where an NPS answer falls."""

    PROMOTER = "promoter"
    """9 or 10."""
    PASSIVE = "passive"
    """7 or 8."""
    DETRACTOR = "detractor"
    """0 to 6."""


def nps_class(score: int) -> NpsClass:
    """The class of an NPS answer from 0 to 10: promoter (9-10), passive (7-8) or detractor (0-6).

    Example:
        >>> print(nps_class(9), nps_class(7), nps_class(6))
        promoter passive detractor
    """
    if score >= 9:
        return NpsClass.PROMOTER
    return NpsClass.PASSIVE if score >= 7 else NpsClass.DETRACTOR


def _end(value: object, field: attrs.Attribute) -> int:  # type: ignore[type-arg]
    if isinstance(value, bool) or not isinstance(value, int):
        raise check.fail(field.name, f"expected an integer, got {check.kind(value)}")
    number = int.__index__(value)
    if not 0 <= number <= _SCALE_BOUND:
        raise check.fail(field.name, f"must lie in 0..{_SCALE_BOUND}")
    return number


_scale_end = attrs.Converter(_end, takes_field=True)


@attrs.frozen
class Scale:
    """The points a score may take: the integers from ``low`` to ``high``, both included.

    Attributes:
        low: The lowest score (the worst answer).
        high: The highest score (the best answer); at most 100 points above ``low``.

    Both ends lie in 0..1000.

    Example:
        >>> Scale.default("csat"), Scale.default("nps").positive_from("nps")
        (Scale(low=1, high=5), 9)
    """

    low: int = attrs.field(converter=_scale_end)
    high: int = attrs.field(converter=_scale_end)

    def __attrs_post_init__(self) -> None:
        if self.high <= self.low:
            raise check.fail("high", "must be above low")
        if self.high - self.low >= MAX_SCALE_POINTS:
            raise check.fail("high", f"a scale has at most {MAX_SCALE_POINTS} points")

    @classmethod
    def default(cls, kind: FeedbackKind | str) -> Scale | None:
        """The scale of ``kind`` when none is declared: NPS 0-10, CSAT 1-5, CES 1-7, custom none."""
        found = _DEFAULT_SCALES.get(check.check_enum(FeedbackKind, "kind", kind))
        return None if found is None else cls(*found)

    def holds(self, score: int) -> bool:
        """Whether ``score`` is a point of the scale."""
        return self.low <= score <= self.high

    def positive_from(self, kind: FeedbackKind | str) -> int:
        """The lowest score counted as positive for ``kind`` on this scale.

        NPS, CSAT and custom: the top two boxes (``high - 1``: 9 on 0-10, 4 on
        1-5). CES: the easy third of the scale, ``low + ceil(2/3 (high - low))``,
        which is the usual "5 or more" on 1-7 and also 4 or more on 1-5, 7 or
        more on 1-10.
        """
        if check.check_enum(FeedbackKind, "kind", kind) is FeedbackKind.CES:
            return self.low + -(-2 * (self.high - self.low) // 3)
        return self.high - 1


_DEFAULT_SCALES = {FeedbackKind.NPS: (0, 10), FeedbackKind.CSAT: (1, 5), FeedbackKind.CES: (1, 7)}


def _score(value: object, field: attrs.Attribute) -> int:  # type: ignore[type-arg]
    if isinstance(value, bool) or not isinstance(value, int):
        raise check.fail(field.name, f"expected an integer, got {check.kind(value)}")
    return int.__index__(value)


def _event_score(value: object, field: attrs.Attribute) -> int:  # type: ignore[type-arg]
    return check.positive_int(field.name, value, maximum=_SCALE_BOUND)


def _optional_end(value: object, field: attrs.Attribute) -> int | None:  # type: ignore[type-arg]
    return None if value is None else _end(value, field)


def _survey(value: object, field: attrs.Attribute) -> str | None:  # type: ignore[type-arg]
    return None if value is None else check.check_text(field.name, value, max_len=100)


@attrs.frozen(kw_only=True)
class FeedbackResponse:
    """One answer of a customer to a scored question.

    ``(source, external_id)`` is the idempotency key, as for touchpoints:
    recording a response whose key is stored changes nothing.

    Attributes:
        id: Time-ordered UUID.
        customer_id: Who answered.
        contact_id: The contact who answered, if known.
        kind: NPS, CSAT, CES or custom.
        score: The answer, a point of the scale.
        scale_min: The scale's lowest point; the kind's default when not given
            (a custom response must give both ends; an NPS is always 0-10).
        scale_max: The scale's highest point.
        comment: The customer's own words (personal data: never in events, logs or messages).
        answered_at: When the customer answered (aware; stored in UTC).
        channel: Where they answered (e-mail, web, sms... or a declared channel).
        touchpoint_id: The interaction that carried the survey, if stored.
        case_id: The service case the answer is about.
        campaign_id: The campaign that sent the survey.
        survey: The survey's key (``"post-case"``, ``"nps-2026-q3"``).
        source: The system that reported it.
        external_id: Its id in that system; with ``source``, the idempotency key.
        nps_class: The NPS class of an NPS answer (``None`` for the other kinds).
        positive: Whether the answer is on the good side
            ([Scale.positive_from][relcore.feedback.model.Scale.positive_from]).
        latest: Whether it is the customer's latest answer of its kind (greatest
            ``answered_at``, then id); kept by relcore when responses are recorded,
            whatever value is given.
        created_at: When relcore was told.
    """

    id: FeedbackResponseId = attrs.field(factory=lambda: FeedbackResponseId(new_id()), converter=check.uuid)
    customer_id: CustomerId = attrs.field(converter=check.uuid)
    contact_id: ContactId | None = attrs.field(default=None, converter=check.optional_uuid)
    kind: FeedbackKind = attrs.field(converter=check.enum_converter(FeedbackKind))
    score: int = attrs.field(converter=attrs.Converter(_score, takes_field=True))
    scale_min: int = attrs.field(converter=attrs.Converter(_optional_end, takes_field=True))
    scale_max: int = attrs.field(converter=attrs.Converter(_optional_end, takes_field=True))
    comment: str | None = attrs.field(default=None, converter=check.optional_text(2000), repr=False)
    answered_at: datetime = attrs.field(converter=check.aware)
    channel: Channel | str = attrs.field(converter=token_converter(Channel))
    touchpoint_id: TouchpointId | None = attrs.field(default=None, converter=check.optional_uuid)
    case_id: CaseId | None = attrs.field(default=None, converter=check.optional_uuid)
    campaign_id: CampaignId | None = attrs.field(default=None, converter=check.optional_uuid)
    survey: str | None = attrs.field(default=None, converter=attrs.Converter(_survey, takes_field=True))
    source: str = attrs.field(default="relcore", converter=source_converter)
    external_id: str | None = attrs.field(default=None, converter=check.optional_text(200))
    nps_class: NpsClass | None = attrs.field(converter=check.optional_enum_converter(NpsClass))
    positive: bool = attrs.field(converter=check.boolean)
    latest: bool = attrs.field(default=False, converter=check.boolean)
    created_at: datetime = attrs.field(factory=system_clock, converter=check.aware)

    @scale_min.default
    def _scale_min_default(self) -> int | None:
        found = _DEFAULT_SCALES.get(self.kind)
        return None if found is None else found[0]

    @scale_max.default
    def _scale_max_default(self) -> int | None:
        found = _DEFAULT_SCALES.get(self.kind)
        return None if found is None else found[1]

    @nps_class.default
    def _nps_class_default(self) -> NpsClass | None:
        return nps_class(self.score) if self.kind is FeedbackKind.NPS else None

    @positive.default
    def _positive_default(self) -> bool:
        if self.scale_min is None or self.scale_max is None or self.scale_max <= self.scale_min:
            return False  # refused below
        return self.score >= Scale(self.scale_min, self.scale_max).positive_from(self.kind)

    def __attrs_post_init__(self) -> None:
        ends: dict[str, int | None] = {"scale_min": self.scale_min, "scale_max": self.scale_max}
        missing = [name for name, value in ends.items() if value is None]
        if missing:
            raise check.fail(missing[0], "a custom response needs a declared scale (scale_min and scale_max)")
        if self.kind is FeedbackKind.NPS and (self.scale_min, self.scale_max) != (0, 10):
            raise check.fail("scale_min", "an NPS is always on 0..10")
        if self.scale_max <= self.scale_min:
            raise check.fail("scale_max", "must be above scale_min")
        if self.scale_max - self.scale_min >= MAX_SCALE_POINTS:
            raise check.fail("scale_max", f"a scale has at most {MAX_SCALE_POINTS} points")
        if not self.scale_min <= self.score <= self.scale_max:
            raise check.fail("score", f"must lie on the scale {self.scale_min}..{self.scale_max}")
        expected = nps_class(self.score) if self.kind is FeedbackKind.NPS else None
        if self.nps_class is not expected:
            raise check.fail("nps_class", "must follow from the kind and the score")
        if self.positive is not (self.score >= self.scale.positive_from(self.kind)):
            raise check.fail("positive", "must follow from the kind, the score and the scale")

    @property
    def scale(self) -> Scale:
        """The scale the score is on."""
        return Scale(self.scale_min, self.scale_max)


@attrs.frozen
class FeedbackRecorded(DomainEvent):
    """A response was recorded one at a time: real-time satisfaction.

    It carries the score and its class, never the comment.
    """

    response_id: FeedbackResponseId = attrs.field(converter=check.uuid)
    customer_id: CustomerId = attrs.field(converter=check.uuid)
    kind: FeedbackKind = attrs.field(converter=check.enum_converter(FeedbackKind))
    score: int = attrs.field(converter=attrs.Converter(_event_score, takes_field=True))
    nps_class: NpsClass | None = attrs.field(converter=check.optional_enum_converter(NpsClass))
    case_id: CaseId | None = attrs.field(converter=check.optional_uuid)
    answered_at: datetime = attrs.field(converter=check.aware)


@attrs.frozen
class FeedbackImported(DomainEvent):
    """A bulk import stored ``new`` responses (one event per import)."""

    new: int = attrs.field(converter=count_field)


@attrs.frozen
class ImportReport:
    """What a bulk import did.

    Attributes:
        new: Responses stored.
        skipped: Responses whose ``(source, external_id)`` was stored already (or
            repeated earlier in the import): left as they were.
    """

    new: int
    skipped: int
