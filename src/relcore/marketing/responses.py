# mypy's attrs plugin does not understand attrs.Converter(..., takes_field=True), which lets every
# ValidationError name its field; it reports "Unsupported converter" (misc) and types those parameters as Any.
# mypy: disable-error-code="misc"
"""How campaign touchpoints move members: the response mapping, and the decision it feeds.

Sends, deliveries, opens, clicks, replies and unsubscribes reach relcore as
touchpoints carrying the campaign's id. A [ResponseMapping][relcore.marketing.ResponseMapping]
says which member status each one stands for: its rules are tried in order and
the first whose kind, direction and outcome all match names the status
([DEFAULT_RESPONSES][relcore.marketing.DEFAULT_RESPONSES] unless the host gives
another). [respond][relcore.marketing.respond] then moves the member with
[advance_status][relcore.marketing.advance_status]: forward only, or into a
terminal status, and never out of one (a late open after an unsubscribe leaves
the member unsubscribed).

Results read the same mapping in the database: [TallyQuery][relcore.marketing.TallyQuery]
is the mapping compiled for one campaign (each rule's status as a code, and which
codes imply each status), so the SQL and memory adapters count the same thing.
"""

from __future__ import annotations

from datetime import datetime

import attrs

from relcore._kernel import checks as check
from relcore._kernel.events import DomainEvent
from relcore._kernel.tokens import optional_token_converter, token_converter
from relcore.activity.model import Direction, Touchpoint, TouchpointKind
from relcore.consent.model import Purpose
from relcore.customers.model import Channel
from relcore.ids import CampaignId, CustomerId
from relcore.marketing.members import CampaignMember
from relcore.marketing.model import Campaign
from relcore.marketing.statuses import MemberStatus
from relcore.sales.pipelines import check_key

__all__ = [
    "DEFAULT_RESPONSES",
    "FUNNEL",
    "MAX_RESPONSE_RULES",
    "CampaignMemberResponded",
    "AppliedResponses",
    "CampaignMemberUnsubscribed",
    "RecordedResponse",
    "ResponseMapping",
    "ResponseRule",
    "TallyQuery",
    "TallyRow",
    "respond",
]

MAX_RESPONSE_RULES = 100
"""The most rules one response mapping may have."""


def _key(value: object, field: attrs.Attribute) -> str:  # type: ignore[type-arg]
    return check_key(field.name, value)


@attrs.frozen(kw_only=True)
class ResponseRule:
    """One line of a response mapping: which touchpoints stand for which member status.

    A touchpoint matches when its kind, direction and outcome equal the rule's;
    a part the rule leaves ``None`` matches anything. Outcomes compare exactly
    (``"Bounced"`` is not ``"bounced"``).

    Attributes:
        status: The key of the member status the touchpoint stands for.
        kind: The touchpoint kind (``"open"``), or ``None`` for any.
        direction: Inbound or outbound, or ``None`` for either.
        outcome: The touchpoint's outcome (``"bounced"``), or ``None`` for any.
    """

    status: str = attrs.field(converter=attrs.Converter(_key, takes_field=True))
    kind: TouchpointKind | str | None = attrs.field(
        default=None, converter=optional_token_converter(TouchpointKind)
    )
    direction: Direction | None = attrs.field(
        default=None, converter=check.optional_enum_converter(Direction)
    )
    outcome: str | None = attrs.field(default=None, converter=check.optional_text(100))

    def __attrs_post_init__(self) -> None:
        if self.kind is None and self.direction is None and self.outcome is None:
            raise check.fail("kind", "a rule names a kind, a direction or an outcome")

    def matches(self, touchpoint: Touchpoint) -> bool:
        """Whether ``touchpoint`` is one this rule speaks about."""
        return (
            (self.kind is None or touchpoint.kind == self.kind)
            and (self.direction is None or touchpoint.direction is self.direction)
            and (self.outcome is None or touchpoint.outcome == self.outcome)
        )


def _rule(path: str, value: object) -> ResponseRule:
    if not isinstance(value, ResponseRule):
        raise check.fail(path, f"expected a ResponseRule, got {check.kind(value)}")
    return value


def _rules(value: object, field: attrs.Attribute) -> tuple[ResponseRule, ...]:  # type: ignore[type-arg]
    rules = check.check_tuple(_rule, field.name, value)
    if not rules:
        raise check.fail(field.name, "a mapping needs at least one rule")
    if len(rules) > MAX_RESPONSE_RULES:
        raise check.fail(field.name, f"at most {MAX_RESPONSE_RULES} rules")
    return rules


def _optional_key(value: object, field: attrs.Attribute) -> str | None:  # type: ignore[type-arg]
    return None if value is None else check_key(field.name, value)


@attrs.frozen(kw_only=True)
class ResponseMapping:
    """Which member status each campaign touchpoint stands for, and which status withdraws consent.

    Attributes:
        rules: Tried in order; the first that matches a touchpoint gives its status.
            A touchpoint no rule matches is recorded and moves nobody.
        withdraws: The status whose touchpoints withdraw the customer's consent to the
            campaign's purpose on its channel (an unsubscribe); ``None`` for none.

    Example:
        >>> from datetime import UTC, datetime
        >>> from relcore import Touchpoint
        >>> from relcore.ids import CustomerId, new_id
        >>> at = datetime(2026, 4, 1, tzinfo=UTC)
        >>> reply = Touchpoint(customer_id=CustomerId(new_id()), channel="email", kind="message",
        ...                    direction="inbound", occurred_at=at)
        >>> DEFAULT_RESPONSES.status_of(reply)
        'responded'
        >>> DEFAULT_RESPONSES.status_of(attrs.evolve(reply, direction="outbound", outcome="bounced"))
        'bounced'
    """

    rules: tuple[ResponseRule, ...] = attrs.field(converter=attrs.Converter(_rules, takes_field=True))
    withdraws: str | None = attrs.field(
        default="unsubscribed", converter=attrs.Converter(_optional_key, takes_field=True)
    )

    def status_of(self, touchpoint: Touchpoint) -> str | None:
        """The status key of the first rule ``touchpoint`` matches, or ``None``."""
        return next((rule.status for rule in self.rules if rule.matches(touchpoint)), None)

    def check_for(self, campaign: Campaign, field: str = "mapping") -> None:
        """Raise a ``ValidationError`` naming the rule whose status ``campaign`` does not list.

        The ``withdraws`` status need not be listed: a campaign without it
        still withdraws consent on such a touchpoint, and moves nobody.
        """
        for i, rule in enumerate(self.rules):
            if campaign.member_status(rule.status) is None:
                raise check.fail(f"{field}.rules[{i}].status", "not one of the campaign's member statuses")


_IN, _OUT = Direction.INBOUND, Direction.OUTBOUND

DEFAULT_RESPONSES = ResponseMapping(
    rules=(
        ResponseRule(outcome="unsubscribed", status="unsubscribed"),
        ResponseRule(outcome="bounced", status="bounced"),
        ResponseRule(outcome="delivered", status="delivered"),
        ResponseRule(kind=TouchpointKind.CLICK, status="clicked"),
        ResponseRule(kind=TouchpointKind.OPEN, status="opened"),
        ResponseRule(kind=TouchpointKind.MESSAGE, direction=_IN, status="responded"),
        ResponseRule(kind=TouchpointKind.MESSAGE, direction=_OUT, status="sent"),
    ),
    withdraws="unsubscribed",
)
"""The mapping for the default member statuses, first match wins:

1. any touchpoint with outcome ``"unsubscribed"`` → ``unsubscribed`` (and a consent withdrawal);
2. outcome ``"bounced"`` → ``bounced``;
3. outcome ``"delivered"`` → ``delivered``;
4. a click → ``clicked``; 5. an open → ``opened``;
6. an inbound message (a reply) → ``responded``;
7. an outbound message (the send) → ``sent``.

Outcomes come first, so an outbound message reported with outcome ``"delivered"``
delivers rather than only sends. Complaints, calls and visits move nobody unless
the host maps them."""


def respond(
    campaign: Campaign, member: CampaignMember, status: str, at: datetime
) -> tuple[CampaignMember, list[DomainEvent]]:
    """The decision to record that ``member`` reached ``status`` at ``at``.

    The member moves as [advance_status][relcore.marketing.advance_status]
    says; a member in a terminal status stays there (no error: a late open
    after a bounce is no news). When it moves, ``status_changed_at`` becomes
    ``at`` (never earlier than ``added_at``); when it reaches a status that
    counts as a response for the first time, ``first_responded_at`` is set and
    a [CampaignMemberResponded][relcore.marketing.CampaignMemberResponded]
    event comes with it. A customer the campaign left out does not move.

    Returns:
        The member after (the same object when nothing changed), and its events.

    Raises:
        ValidationError: ``status`` is not one of the campaign's (``status``), or an
            argument is of the wrong type.

    Example:
        >>> from datetime import UTC, datetime, timedelta
        >>> from relcore.ids import CustomerId, new_id
        >>> from relcore.marketing import Campaign, CampaignMember
        >>> t0 = datetime(2026, 4, 1, tzinfo=UTC)
        >>> spring = Campaign(name="Spring", channel="email", created_at=t0)
        >>> ada = CampaignMember(campaign_id=spring.id, customer_id=CustomerId(new_id()),
        ...                      status="sent", added_at=t0)
        >>> replied, events = respond(spring, ada, "responded", t0 + timedelta(days=1))
        >>> replied.status, replied.first_responded_at.day, type(events[0]).__name__
        ('responded', 2, 'CampaignMemberResponded')
        >>> respond(spring, replied, "opened", t0 + timedelta(days=2))[0] is replied  # never backward
        True
    """
    if not isinstance(campaign, Campaign):
        raise check.fail("campaign", f"expected a Campaign, got {check.kind(campaign)}")
    if not isinstance(member, CampaignMember):
        raise check.fail("member", f"expected a CampaignMember, got {check.kind(member)}")
    moment = check.check_datetime("at", at)
    target = campaign.member_status(check_key("status", status))
    if target is None:
        raise check.fail("status", "not one of the campaign's member statuses")
    if not member.is_member or member.status is None:
        return member, []
    current = campaign.member_status(member.status)
    if current is None or current.terminal:
        return member, []
    moved = _advance(current, target)
    if moved.key == current.key:
        return member, []
    when = max(moment, member.added_at)
    events: list[DomainEvent] = []
    first = member.first_responded_at
    if moved.responded and first is None:
        first = when
        events.append(CampaignMemberResponded(member.campaign_id, member.customer_id, moved.key, when))
    after = attrs.evolve(member, status=moved.key, status_changed_at=when, first_responded_at=first)
    return after, events


def _advance(current: MemberStatus, target: MemberStatus) -> MemberStatus:
    """``advance_status`` on two statuses known to be the campaign's, ``current`` not terminal."""
    if target.terminal or target.position > current.position:
        return target
    return current


@attrs.frozen(kw_only=True)
class RecordedResponse:
    """What recording one campaign touchpoint did.

    Attributes:
        new: Whether the touchpoint was stored now (``False``: its ``(source, external_id)``
            was already stored, and nothing else changed).
        status: The member status the touchpoint stands for, if a rule matched it.
        member: The customer's campaign member after it, or ``None`` when the campaign
            never considered the customer. A customer the campaign left out is returned
            unchanged.
        moved: Whether the member's status changed.
        withdrawn: Whether a consent withdrawal was appended to the ledger.
    """

    new: bool
    status: str | None
    member: CampaignMember | None
    moved: bool
    withdrawn: bool


@attrs.frozen(kw_only=True)
class AppliedResponses:
    """What applying a campaign's stored touchpoints did.

    Attributes:
        touchpoints: How many of the campaign's touchpoints a rule matched.
        moved: How many members changed status.
        responded: How many members responded for the first time.
        withdrawn: How many consent withdrawals were appended.
    """

    touchpoints: int
    moved: int
    responded: int
    withdrawn: int


# -- results, compiled for the adapters -----------------------------------------------


FUNNEL = ("sent", "delivered", "opened", "clicked", "responded")
"""The funnel the results count, in order; each stage's members are among the previous stage's."""


@attrs.frozen(kw_only=True)
class TallyQuery:
    """What the results count for one campaign, as the adapters read it.

    Each touchpoint of the campaign at or before ``as_of`` gets the ``code``
    of the first rule it matches (``None`` when none does). A member counts
    under flag ``i`` when one of its customer's touchpoints has a code in
    ``flags[i]``. Made by [TallyQuery.of][relcore.marketing.responses.TallyQuery.of].

    Attributes:
        campaign_id: The campaign.
        as_of: Touchpoints, members and orders after it are not counted.
        rules: The mapping's rules, with the code of each one's status.
        flags: For each status of the campaign (in its order), then for each stage of
            [FUNNEL][relcore.marketing.responses.FUNNEL], the codes that imply it.
    """

    campaign_id: CampaignId
    as_of: datetime
    rules: tuple[tuple[ResponseRule, int], ...]
    flags: tuple[frozenset[int], ...]

    @classmethod
    def of(cls, campaign: Campaign, mapping: ResponseMapping, as_of: datetime) -> TallyQuery:
        """The query counting ``campaign``'s members under ``mapping`` as of ``as_of``.

        Codes are the indexes of the statuses in ``campaign.member_statuses``.
        A member reached a status that is not terminal when it reached it or a
        later status that is not terminal; a terminal status only when it
        reached that status itself.

        The funnel stages are read from the statuses of the same keys, and one
        that counts as a response for ``"responded"``; each stage keeps only
        the codes of the stage before it, so that every stage's members are
        among the previous stage's (a reply counts as a response of a member
        that was sent something). A stage the campaign does not list takes the
        codes of the stage before it; ``"sent"`` then takes every code.
        """
        statuses = campaign.member_statuses
        code = {status.key: i for i, status in enumerate(statuses)}
        rules = tuple((rule, code[rule.status]) for rule in mapping.rules if rule.status in code)
        flags: list[frozenset[int]] = []
        for status in statuses:
            if status.terminal:
                flags.append(frozenset({code[status.key]}))
            else:
                later = (s for s in statuses if not s.terminal and s.position >= status.position)
                flags.append(frozenset(code[s.key] for s in later))
        responded = frozenset().union(*(flag for flag, s in zip(flags, statuses, strict=True) if s.responded))
        previous = frozenset(range(len(statuses)))
        for stage in FUNNEL:
            own = responded if stage == "responded" else (flags[code[stage]] if stage in code else previous)
            previous = own & previous
            flags.append(previous)
        return cls(
            campaign_id=campaign.id,
            as_of=check.check_datetime("as_of", as_of),
            rules=rules,
            flags=tuple(flags),
        )

    def code_of(self, touchpoint: Touchpoint) -> int | None:
        """The code of the first rule ``touchpoint`` matches, or ``None`` (the memory adapter's reading)."""
        return next((code for rule, code in self.rules if rule.matches(touchpoint)), None)


@attrs.frozen(kw_only=True)
class TallyRow:
    """The counts of one group of a campaign's members, as the adapters return them.

    Attributes:
        variant: The members' variant key (``None`` for members without one).
        control: Whether these are control-group members (left out as ``control_group``).
        members: How many members.
        flagged: For each flag of the query, how many members count under it.
        converted: How many members' customers placed an order after they were added, by ``as_of``.
    """

    variant: str | None
    control: bool
    members: int
    flagged: tuple[int, ...]
    converted: int


# -- events ---------------------------------------------------------------------------


@attrs.frozen
class CampaignMemberResponded(DomainEvent):
    """A campaign member reached a status that counts as a response for the first time."""

    campaign_id: CampaignId = attrs.field(converter=check.uuid)
    customer_id: CustomerId = attrs.field(converter=check.uuid)
    status: str = attrs.field(converter=attrs.Converter(_key, takes_field=True))
    responded_at: datetime = attrs.field(converter=check.aware)


@attrs.frozen
class CampaignMemberUnsubscribed(DomainEvent):
    """A campaign touchpoint withdrew a customer's consent to the campaign's purpose on its channel."""

    campaign_id: CampaignId = attrs.field(converter=check.uuid)
    customer_id: CustomerId = attrs.field(converter=check.uuid)
    purpose: Purpose | str = attrs.field(converter=token_converter(Purpose))
    channel: Channel | str = attrs.field(converter=token_converter(Channel))
