# mypy's attrs plugin does not understand attrs.Converter(..., takes_field=True), which lets every
# ValidationError name its field; it reports "Unsupported converter" (misc) and types those parameters as Any.
# mypy: disable-error-code="misc"
"""Campaigns, their frequency caps, and the marketing context's events.

A [Campaign][relcore.marketing.Campaign] reaches customers on one channel
for one consent purpose (marketing by default): it lists the statuses its
members go through ([MemberStatus][relcore.marketing.MemberStatus]), the
variants it sends ([Variant][relcore.marketing.Variant]) with the seed that
assigns them, an optional [FrequencyCap][relcore.marketing.FrequencyCap],
and its money: budget, actual cost and expected revenue, exact and in one
currency (Salesforce's ``BudgetedCost``, ``ActualCost`` and
``ExpectedRevenue``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import Any

import attrs

from relcore._kernel import checks as check
from relcore._kernel.events import DomainEvent, version_field
from relcore._kernel.money import check_currency, to_minor_units
from relcore._kernel.tokens import token_converter
from relcore.activity.model import Direction, Touchpoint
from relcore.clock import system_clock
from relcore.consent.model import Purpose
from relcore.customers.model import Channel, version_converter
from relcore.ids import CampaignId, new_id
from relcore.marketing.statuses import DEFAULT_MEMBER_STATUSES, MemberStatus, check_member_statuses
from relcore.marketing.variants import Variant, check_seed, check_variants
from relcore.sales.model import MAX_DEAL_MINOR_UNITS, check_amount

__all__ = [
    "MAX_CAP_WINDOW",
    "Campaign",
    "CampaignAdded",
    "CampaignStatus",
    "CampaignStatusChanged",
    "FrequencyCap",
]

MAX_CAP_WINDOW = timedelta(days=366)
"""The longest window of a frequency cap."""


class CampaignStatus(StrEnum):
    """Where a campaign stands."""

    PLANNED = "planned"
    """Being prepared; nothing sent yet."""
    ACTIVE = "active"
    """Running."""
    PAUSED = "paused"
    """Stopped for now; may run again."""
    COMPLETED = "completed"
    """Ran to its end."""
    ABORTED = "aborted"
    """Stopped for good before its end."""


def _window(value: object, field: attrs.Attribute) -> timedelta:  # type: ignore[type-arg]
    if not isinstance(value, timedelta):
        raise check.fail(field.name, f"expected a timedelta, got {check.kind(value)}")
    if value.microseconds:
        raise check.fail(field.name, "must be a whole number of seconds")
    if not timedelta(days=1) <= value <= MAX_CAP_WINDOW:
        raise check.fail(field.name, "must be from 1 day to 366 days")
    return timedelta(days=value.days, seconds=value.seconds)


def _cap_count(value: object, field: attrs.Attribute) -> int:  # type: ignore[type-arg]
    return check.positive_int(field.name, value, minimum=1, maximum=10_000)


@attrs.frozen(kw_only=True)
class FrequencyCap:
    """How many marketing messages a customer may get in a sliding window.

    Mautic's "do not contact more than N each period", as a count and a window.

    A customer who already got ``count`` messages in the ``window`` before a
    send is left out of it; relcore does not queue the message for later, the
    host decides.

    In JSON the window is a whole number of seconds:
    ``{"count": 3, "window_seconds": 604800}``.

    Attributes:
        count: The most messages in the window, at least 1.
        window: The window's length: whole seconds, from 1 day to 366 days.
    """

    count: int = attrs.field(converter=attrs.Converter(_cap_count, takes_field=True))
    window: timedelta = attrs.field(converter=attrs.Converter(_window, takes_field=True))

    def __json__(self) -> dict[str, Any]:
        """This cap as a JSON-ready dict."""
        return {"count": self.count, "window_seconds": int(self.window.total_seconds())}

    def reached(self, sent: Iterable[Touchpoint], *, channel: str, at: datetime) -> bool:
        """Whether ``sent`` holds ``count`` marketing messages on ``channel`` in the window ending at ``at``.

        A marketing message is an outbound touchpoint on the channel that names
        a campaign (any campaign); the window is ``(at - window, at]``.

        Example:
            >>> from datetime import UTC, datetime, timedelta
            >>> from uuid import UUID
            >>> from relcore.activity.model import Touchpoint
            >>> now = datetime(2026, 6, 1, 12, tzinfo=UTC)
            >>> def mail(days_ago, campaign=UUID(int=7)):
            ...     return Touchpoint(customer_id=UUID(int=1), channel="email", kind="message",
            ...                       direction="outbound", campaign_id=campaign,
            ...                       occurred_at=now - timedelta(days=days_ago))
            >>> cap = FrequencyCap(count=2, window=timedelta(days=7))
            >>> cap.reached([mail(1), mail(8)], channel="email", at=now)  # one in the window
            False
            >>> cap.reached([mail(1), mail(2, campaign=None)], channel="email", at=now)  # one transactional
            False
            >>> cap.reached([mail(1), mail(7)], channel="email", at=now)  # 7 days ago: just outside
            False
            >>> cap.reached([mail(1), mail(6)], channel="email", at=now)
            True
        """
        start = check.check_datetime("at", at) - self.window
        counted = sum(
            1
            for t in sent
            if t.direction is Direction.OUTBOUND
            and t.campaign_id is not None
            and t.channel == channel
            and start < t.occurred_at <= at
        )
        return counted >= self.count

    @classmethod
    def __from_json__(cls, data: object) -> FrequencyCap:
        """The cap a dict made by ``__json__`` describes."""
        if not isinstance(data, dict):
            raise check.fail("", f"expected an object (dict), got {check.kind(data)}")
        unknown = sorted(set(data) - {"count", "window_seconds"})
        if unknown:
            raise check.fail(check.key_path("", unknown[0], 0), "unknown key")
        if "count" not in data or "window_seconds" not in data:
            raise check.fail("count" if "count" not in data else "window_seconds", "required key is missing")
        seconds = check.positive_int("window_seconds", data["window_seconds"], maximum=2**40)
        return cls(count=data["count"], window=timedelta(seconds=seconds))


def _statuses(value: object, field: attrs.Attribute) -> tuple[MemberStatus, ...]:  # type: ignore[type-arg]
    return check_member_statuses(value, field.name)


def _variants(value: object, field: attrs.Attribute) -> tuple[Variant, ...]:  # type: ignore[type-arg]
    return check_variants(value, field.name)


def _seed(value: object, field: attrs.Attribute) -> int:  # type: ignore[type-arg]
    return check_seed(field.name, value)


def _amount(value: object, field: attrs.Attribute) -> Decimal | None:  # type: ignore[type-arg]
    return check_amount(field.name, value)


def _currency(value: object, field: attrs.Attribute) -> str | None:  # type: ignore[type-arg]
    return None if value is None else check_currency(field.name, value)


def _cap(value: object, field: attrs.Attribute) -> FrequencyCap | None:  # type: ignore[type-arg]
    if isinstance(value, Mapping):  # as stored: a JSON object
        return check.stored(field.name, lambda: FrequencyCap.__from_json__(dict(value)))
    if value is not None and not isinstance(value, FrequencyCap):
        raise check.fail(field.name, f"expected a FrequencyCap, got {check.kind(value)}")
    return value


_amount_field = attrs.Converter(_amount, takes_field=True)
_MONEY = ("budget", "actual_cost", "expected_revenue")


@attrs.frozen(kw_only=True)
class Campaign:
    """A marketing campaign: whom it reaches, how, with which variants, and at what cost.

    Attributes:
        id: Time-ordered UUID.
        name: What it is (``"Spring sale, newsletter"``).
        channel: The channel it sends on (e-mail, SMS... or a declared channel).
        purpose: The consent purpose its members must have agreed to; marketing by default.
        status: Planned, active, paused, completed or aborted.
        parent_id: The campaign it is part of, if any.
        starts_at: When it starts, if planned.
        ends_at: When it ends, if planned; not before ``starts_at``.
        budget: What it may cost, exact and not negative.
        actual_cost: What it has cost so far.
        expected_revenue: What it is expected to bring in.
        currency: The ISO 4217 currency of all three amounts; set exactly when one of them is.
        member_statuses: The statuses its members go through, ordered by position
            ([DEFAULT_MEMBER_STATUSES][relcore.marketing.DEFAULT_MEMBER_STATUSES] unless given).
        variants: What it sends and to which share of members; one variant ``"a"`` unless given.
        seed: The seed of the variant assignment ([assign][relcore.marketing.assign]).
        frequency_cap: The most messages a member may get in a window, if capped.
        created_at: When it was added.
        updated_at: When it was last saved (the store's clock).
        version: Stored version, increased by each save.
    """

    id: CampaignId = attrs.field(factory=lambda: CampaignId(new_id()), converter=check.uuid)
    name: str = attrs.field(converter=check.text(200))
    channel: Channel | str = attrs.field(converter=token_converter(Channel))
    purpose: Purpose | str = attrs.field(default=Purpose.MARKETING, converter=token_converter(Purpose))
    status: CampaignStatus = attrs.field(
        default=CampaignStatus.PLANNED, converter=check.enum_converter(CampaignStatus)
    )
    parent_id: CampaignId | None = attrs.field(default=None, converter=check.optional_uuid)
    starts_at: datetime | None = attrs.field(default=None, converter=check.optional_aware)
    ends_at: datetime | None = attrs.field(default=None, converter=check.optional_aware)
    budget: Decimal | None = attrs.field(default=None, converter=_amount_field)
    actual_cost: Decimal | None = attrs.field(default=None, converter=_amount_field)
    expected_revenue: Decimal | None = attrs.field(default=None, converter=_amount_field)
    currency: str | None = attrs.field(default=None, converter=attrs.Converter(_currency, takes_field=True))
    member_statuses: tuple[MemberStatus, ...] = attrs.field(
        default=DEFAULT_MEMBER_STATUSES, converter=attrs.Converter(_statuses, takes_field=True)
    )
    variants: tuple[Variant, ...] = attrs.field(
        factory=lambda: (Variant(key="a", share=Decimal(1)),),
        converter=attrs.Converter(_variants, takes_field=True),
    )
    seed: int = attrs.field(default=0, converter=attrs.Converter(_seed, takes_field=True))
    frequency_cap: FrequencyCap | None = attrs.field(
        default=None, converter=attrs.Converter(_cap, takes_field=True)
    )
    created_at: datetime = attrs.field(factory=system_clock, converter=check.aware)
    updated_at: datetime = attrs.field(converter=check.aware)
    version: int = attrs.field(default=1, converter=version_converter)

    @updated_at.default
    def _updated_default(self) -> datetime:
        return self.created_at

    def __attrs_post_init__(self) -> None:
        if self.parent_id is not None and self.parent_id == self.id:
            raise check.fail("parent_id", "a campaign cannot be its own parent")
        if self.starts_at is not None and self.ends_at is not None and self.ends_at < self.starts_at:
            raise check.fail("ends_at", "earlier than starts_at")
        amounts = {name: getattr(self, name) for name in _MONEY}
        given = [name for name, amount in amounts.items() if amount is not None]
        if given and self.currency is None:
            raise check.fail("currency", "required when an amount is given")
        if self.currency is not None and not given:
            raise check.fail("currency", "set only with an amount")
        for name in given:
            if to_minor_units(amounts[name], str(self.currency), field=name) > MAX_DEAL_MINOR_UNITS:
                raise check.fail(name, "larger than the largest amount (10^14 minor units)")
        if self.updated_at < self.created_at:
            raise check.fail("updated_at", "earlier than created_at")

    @property
    def default_status(self) -> MemberStatus:
        """The member status new members start in."""
        return next(s for s in self.member_statuses if s.default)

    def member_status(self, key: str) -> MemberStatus | None:
        """The member status with this key, or ``None`` if the campaign lists none."""
        return next((s for s in self.member_statuses if s.key == key), None)


# -- events --------------------------------------------------------------------


@attrs.frozen
class CampaignAdded(DomainEvent):
    """A campaign was added."""

    campaign_id: CampaignId = attrs.field(converter=check.uuid)
    channel: Channel | str = attrs.field(converter=token_converter(Channel))
    purpose: Purpose | str = attrs.field(converter=token_converter(Purpose))
    status: CampaignStatus = attrs.field(converter=check.enum_converter(CampaignStatus))


@attrs.frozen
class CampaignStatusChanged(DomainEvent):
    """A campaign moved from one status to another."""

    campaign_id: CampaignId = attrs.field(converter=check.uuid)
    from_status: CampaignStatus = attrs.field(converter=check.enum_converter(CampaignStatus))
    to_status: CampaignStatus = attrs.field(converter=check.enum_converter(CampaignStatus))
    version: int = attrs.field(converter=version_field)
