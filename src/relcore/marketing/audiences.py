"""Audiences that cannot break consent: whom a campaign may reach, and why it leaves the others out.

A campaign's audience starts from the customers a rule or a segment holds at
``as_of``. Each of them is then either kept, with the contact point the
campaign reaches it at, or left out for exactly one
[Exclusion][relcore.marketing.Exclusion], judged in this order:

1. ``no_consent``: the consent ledger does not allow contacting the customer
   for the campaign's purpose on its channel at ``as_of``
   ([may_contact][relcore.domain.may_contact]);
2. ``suppressed``: the customer is on the suppression list, or every contact
   point it has on the channel is (by address, or by its e-mail domain);
3. ``frequency_cap``: it already got ``count`` marketing messages on the
   channel in the cap's window before ``as_of``. A marketing message is an
   outbound touchpoint on the channel that names a campaign (any campaign); a
   touchpoint without a campaign, such as an order confirmation, is
   transactional and does not count;
4. ``no_address``: it has no contact point on the channel;
5. ``duplicate_address``: a customer with a smaller id, kept, is reached at
   the same address: one address gets one message.

The contact point chosen is the customer's best one on the channel that is
not suppressed: primary first, then verified, then by contact id and
position. E-mail campaigns use e-mail contact points; SMS, MMS, phone, voice
server and fax campaigns phone numbers; postal campaigns postal addresses;
social ones social handles. A campaign on another channel (web, chat, mobile
app, a declared channel...) needs no address, so rules 2 (by address), 4 and
5 do not apply to it.

[screen][relcore.marketing.audiences.screen] applies these rules to facts
gathered per customer; it is the reference the SQL query is held to.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from datetime import datetime
from types import MappingProxyType
from uuid import UUID

import attrs

from relcore._kernel import checks as check
from relcore.customers.model import Channel, ContactPointKind
from relcore.ids import CampaignId, CustomerId
from relcore.marketing.members import Exclusion

__all__ = [
    "ADDRESS_KINDS",
    "STORED_ADDRESS_KINDS",
    "Audience",
    "Candidate",
    "Reachable",
    "Screening",
    "SendCheck",
    "address_kind",
    "screen",
]

ADDRESS_KINDS: Mapping[str, ContactPointKind] = MappingProxyType(
    {
        Channel.EMAIL.value: ContactPointKind.EMAIL,
        Channel.SMS.value: ContactPointKind.PHONE,
        Channel.MMS.value: ContactPointKind.PHONE,
        Channel.PHONE.value: ContactPointKind.PHONE,
        Channel.VOICE_SERVER.value: ContactPointKind.PHONE,
        Channel.FAX.value: ContactPointKind.PHONE,
        Channel.POSTAL.value: ContactPointKind.POSTAL,
        Channel.SOCIAL.value: ContactPointKind.SOCIAL,
    }
)
"""The kind of contact point a campaign on each channel reaches its members at; other channels need none."""

STORED_ADDRESS_KINDS = frozenset({ContactPointKind.EMAIL, ContactPointKind.PHONE})
"""The kinds of contact point a member keeps as its ``address``: a postal address or a social handle
is looked up on the contact (it may be longer than a member's address)."""


def address_kind(channel: str) -> ContactPointKind | None:
    """The kind of contact point a campaign on ``channel`` needs, or ``None`` if it needs none.

    Example:
        >>> address_kind("email"), address_kind("sms"), address_kind("web")
        (<ContactPointKind.EMAIL: 'email'>, <ContactPointKind.PHONE: 'phone'>, None)
    """
    return ADDRESS_KINDS.get(str(channel))


@attrs.frozen(kw_only=True)
class Reachable:
    """One contact point a customer may be reached at on the campaign's channel.

    Attributes:
        contact_id: The contact it belongs to.
        position: Its position among the contact's points.
        kind: Its kind.
        value: The contact point, in normal form.
        key: Its lookup key (a case-folded e-mail address, an E.164 number...): two points
            with one key are one address.
        primary: Whether it is the contact's primary point of its kind.
        verified: Whether it was verified.
    """

    contact_id: UUID
    position: int
    kind: ContactPointKind
    value: str
    key: str
    primary: bool
    verified: bool

    @property
    def preference(self) -> tuple[bool, bool, UUID, int]:
        """Its rank among a customer's points (smaller is better): primary, verified, contact id, position."""
        return (not self.primary, not self.verified, self.contact_id, self.position)

    @property
    def stored_address(self) -> str | None:
        """What a member reached here keeps as its address: the e-mail address or phone number."""
        return self.value if self.kind in STORED_ADDRESS_KINDS else None


@attrs.frozen(kw_only=True)
class Screening:
    """What the audience rules need to know about one customer.

    Attributes:
        customer_id: The customer.
        consented: Whether the ledger allows contacting it for the campaign's purpose and channel.
        suppressed: Whether the customer itself is on the suppression list.
        capped: Whether it has reached the campaign's frequency cap.
        reachable: Its contact points on the channel that are not suppressed, best first.
        had_points: Whether it has any contact point on the channel, suppressed or not.
    """

    customer_id: CustomerId
    consented: bool
    suppressed: bool
    capped: bool
    reachable: tuple[Reachable, ...] = ()
    had_points: bool = False


@attrs.frozen(kw_only=True)
class Candidate:
    """A customer the audience considered: the address it is reached at, or why it is left out.

    Attributes:
        customer_id: The customer.
        address: The e-mail address or phone number it is reached at, if the channel has one.
        key: The lookup key of the contact point chosen, if any.
        exclusion: Why it is left out; ``None`` if it is kept.
    """

    customer_id: CustomerId
    address: str | None = None
    key: str | None = None
    exclusion: Exclusion | None = None


def screen(facts: Iterable[Screening], *, needs_address: bool) -> Iterator[Candidate]:
    """Apply the audience rules to customers given in id order; yield one candidate for each.

    Args:
        facts: One screening per customer, in ascending customer id order.
        needs_address: Whether the campaign's channel needs a contact point
            ([address_kind][relcore.marketing.audiences.address_kind] is not ``None``).

    Example:
        >>> from uuid import UUID
        >>> from relcore.customers.model import ContactPointKind
        >>> point = Reachable(contact_id=UUID(int=9), position=0, kind=ContactPointKind.EMAIL,
        ...                   value="ada@example.com", key="ada@example.com", primary=True, verified=True)
        >>> facts = [
        ...     Screening(customer_id=UUID(int=1), consented=True, suppressed=False, capped=False,
        ...               reachable=(point,), had_points=True),
        ...     Screening(customer_id=UUID(int=2), consented=True, suppressed=False, capped=False,
        ...               reachable=(point,), had_points=True),
        ...     Screening(customer_id=UUID(int=3), consented=False, suppressed=False, capped=False),
        ... ]
        >>> kept = screen(facts, needs_address=True)
        >>> {c.customer_id.int: c.exclusion and c.exclusion.value for c in kept}
        {1: None, 2: 'duplicate_address', 3: 'no_consent'}
    """
    taken: set[str] = set()
    previous: UUID | None = None
    for fact in facts:
        if previous is not None and fact.customer_id <= previous:
            raise check.fail("facts", "customers must come in ascending id order, each once")
        previous = fact.customer_id
        best = min(fact.reachable, key=lambda p: p.preference) if needs_address and fact.reachable else None
        if not fact.consented:
            reason: Exclusion | None = Exclusion.NO_CONSENT
        elif fact.suppressed or (needs_address and best is None and fact.had_points):
            reason = Exclusion.SUPPRESSED
        elif fact.capped:
            reason = Exclusion.FREQUENCY_CAP
        elif needs_address and best is None:
            reason = Exclusion.NO_ADDRESS
        elif best is not None and best.key in taken:
            reason = Exclusion.DUPLICATE_ADDRESS
        else:
            reason = None
            if best is not None:
                taken.add(best.key)
        yield Candidate(
            customer_id=fact.customer_id,
            address=None if best is None else best.stored_address,
            key=None if best is None else best.key,
            exclusion=reason,
        )


@attrs.frozen(kw_only=True)
class Audience:
    """What building a campaign's audience did.

    Attributes:
        campaign_id: The campaign.
        as_of: The moment the audience was judged at.
        considered: The customers the rule or segment held, each counted once.
        added: Those the campaign considered for the first time, now stored: members,
            control group or left out.
        members: The new members, who will be sent a variant.
        excluded: The new customers left out, per reason in the order the reasons are tried (the
            control group last); ``added == members + sum(excluded.values())``.
        kept: Those an earlier build already considered; they keep their variant, status
            or exclusion (``considered == added + kept``).
    """

    campaign_id: CampaignId
    as_of: datetime
    considered: int
    added: int
    members: int
    excluded: Mapping[Exclusion, int]
    kept: int


@attrs.frozen(kw_only=True)
class SendCheck:
    """The answer to "may this message go out now?", asked just before sending it.

    Attributes:
        allowed: Whether to send.
        address: The address to send to (as stored on the member), if the channel has one.
        variant: The variant to send.
        reason: Why not: an [Exclusion][relcore.marketing.Exclusion] (``no_consent``,
            ``suppressed``, ``control_group``... — the customer is now left out for it), or
            the key of the terminal status the member is in (``unsubscribed``), or
            ``frequency_cap`` (not now: the member stays one); ``None`` if allowed.
    """

    allowed: bool
    address: str | None
    variant: str | None
    reason: str | None
