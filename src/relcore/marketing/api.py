"""The campaigns namespace of the facade: ``crm.campaigns``."""

from __future__ import annotations

import builtins
from collections.abc import Collection
from datetime import datetime, timedelta
from typing import TYPE_CHECKING
from uuid import UUID

from relcore._kernel import checks as check
from relcore._kernel.arguments import check_id, check_instance, check_limit, check_optional_datetime
from relcore._kernel.namespace import Namespace, UnitOfWorkSource
from relcore.activity.model import TouchpointKind
from relcore.clock import Clock
from relcore.ids import CampaignId, CustomerId
from relcore.marketing import attribution_services, services
from relcore.marketing.attribution import AttributionModel, check_settings
from relcore.marketing.attribution_ports import JourneyQuery
from relcore.marketing.attribution_report import AttributionReport
from relcore.marketing.members import CampaignMember, Exclusion
from relcore.marketing.model import Campaign, CampaignStatus
from relcore.marketing.ports import MarketingWork, check_excluded
from relcore.marketing.suppressions import Suppression, SuppressionKind, normalise_suppressed
from relcore.storage.base import Page
from relcore.storage.rules import check_ids

if TYPE_CHECKING:
    from relcore.vocabularies import Vocabularies

__all__ = ["Campaigns"]


class Campaigns(Namespace[MarketingWork]):
    """Campaigns, the suppression list, and who each campaign left out and why: ``crm.campaigns``.

    A campaign's status moves only through
    [set_status][relcore.marketing.api.Campaigns.set_status], along
    [CAMPAIGN_MOVES][relcore.marketing.CAMPAIGN_MOVES];
    [save][relcore.marketing.api.Campaigns.save] stores its other changes,
    version-checked. Adding a campaign raises
    [CampaignAdded][relcore.marketing.CampaignAdded], a status change
    [CampaignStatusChanged][relcore.marketing.CampaignStatusChanged], after commit.

    Example:
        >>> from datetime import UTC, datetime
        >>> from relcore import CRM
        >>> from relcore.marketing import Campaign
        >>> crm = CRM.in_memory()
        >>> spring = crm.campaigns.add(Campaign(name="Spring newsletter", channel="email"))
        >>> crm.campaigns.set_status(spring.id, "active").status.value
        'active'
        >>> entry = crm.campaigns.suppress("address", " Ada@Example.com", "hard bounce")
        >>> entry.value, [s.value for s in crm.campaigns.suppressions()]
        ('ada@example.com', ['ada@example.com'])
        >>> crm.campaigns.unsuppress("address", "ada@example.com"), crm.campaigns.suppressions()
        (True, [])
    """

    __slots__ = ("_vocabularies",)

    def __init__(
        self, source: UnitOfWorkSource[MarketingWork], clock: Clock, vocabularies: Vocabularies
    ) -> None:
        super().__init__(source, clock)
        self._vocabularies = vocabularies

    def _declared(self, campaign: object) -> Campaign:
        found = check_instance("campaign", campaign, Campaign)
        self._vocabularies.channels.check("campaign.channel", found.channel)
        self._vocabularies.purposes.check("campaign.purpose", found.purpose)
        return found

    # -- campaigns ---------------------------------------------------------------

    def add(self, campaign: Campaign) -> Campaign:
        """Store a new campaign; return it.

        Raises:
            ValidationError: Not a campaign, or its channel or purpose is not declared
                (``campaign.channel``, ``campaign.purpose``).
            ConflictError: Another campaign has its name.
            NotFoundError: Its parent campaign is not stored.
        """
        checked = self._declared(campaign)
        return self._write(lambda uow: services.add(uow, checked))

    def get(self, campaign_id: CampaignId) -> Campaign:
        """The campaign with this id.

        Raises:
            NotFoundError: No such campaign.
        """
        wanted = check_id("campaign_id", campaign_id)
        return self._read(lambda uow: uow.campaigns.get(wanted))

    def find(self, name: str) -> Campaign | None:
        """The campaign with exactly this name, if any."""
        wanted = check.check_text("name", name, max_len=200)
        return self._read(lambda uow: uow.campaigns.find(wanted))

    def list(self, *, after: UUID | None = None, limit: int = 100) -> Page[Campaign]:
        """One page of campaigns in id order; pass ``next_after`` as ``after`` for the next."""
        start = None if after is None else check_id("after", after)
        size = check_limit(limit)
        return self._read(lambda uow: uow.campaigns.list(after=start, limit=size))

    def save(self, campaign: Campaign) -> Campaign:
        """Store a changed campaign (version-checked); return the stored one.

        Raises:
            ValidationError: Its status changed (``status``: use ``set_status``), or its
                channel or purpose is not declared.
            ConflictError: Stale version, or another campaign has its name.
            NotFoundError: It was never added.
        """
        checked = self._declared(campaign)
        return self._write(lambda uow: services.save(uow, checked))

    def set_status(self, campaign_id: CampaignId, status: CampaignStatus | str) -> Campaign:
        """Move a campaign to ``status``; return it as stored.

        Raises:
            ValidationError: Unknown status, or a move [CAMPAIGN_MOVES][relcore.marketing.CAMPAIGN_MOVES]
                does not allow (``status``).
            NotFoundError: No such campaign.
        """
        wanted = check_id("campaign_id", campaign_id)
        target = check.check_enum(CampaignStatus, "status", status)
        return self._write(lambda uow: services.set_status(uow, wanted, target))

    # -- the suppression list ----------------------------------------------------

    def suppress(
        self,
        kind: SuppressionKind | str,
        value: str | UUID,
        reason: str,
        *,
        expires_at: datetime | None = None,
    ) -> Suppression:
        """Put an address, a domain or a customer on the suppression list from now; return the entry.

        The value is normalised (lower-cased, stripped; a customer's id as
        text). An entry of the same kind and value is replaced.

        Raises:
            ValidationError: Naming ``kind``, ``value``, ``reason`` or ``expires_at``.
        """
        chosen = check.check_enum(SuppressionKind, "kind", kind)
        normal = normalise_suppressed(chosen, value)
        text = check.check_text("reason", reason, max_len=200)
        until = check_optional_datetime("expires_at", expires_at)
        now = self._clock()
        if until is not None and until < now:
            raise check.fail("expires_at", "in the past")
        return self._write(lambda uow: services.suppress(uow, chosen, normal, text, expires_at=until, at=now))

    def unsuppress(self, kind: SuppressionKind | str, value: str | UUID) -> bool:
        """Lift a suppression from now (the entry is kept, expired); ``False`` if none was live."""
        chosen = check.check_enum(SuppressionKind, "kind", kind)
        normal = normalise_suppressed(chosen, value)
        return self._write(lambda uow: services.unsuppress(uow, chosen, normal, at=self._clock()))

    def suppressions(self, *, at: datetime | None = None) -> builtins.list[Suppression]:
        """The suppressions live at ``at`` (now by default), by kind then value."""
        moment = self._as_of(at, "at")
        return self._read(lambda uow: uow.suppressions.active(moment))

    # -- who the campaign considered ---------------------------------------------

    def members(
        self, campaign_id: CampaignId, *, excluded: bool | None = False
    ) -> builtins.list[CampaignMember]:
        """A campaign's members (``excluded=True``: the customers it left out; ``None``: both), in id order.

        Raises:
            NotFoundError: No such campaign.
        """
        wanted = check_id("campaign_id", campaign_id)
        which = check_excluded(excluded)
        return self._read(lambda uow: services.members(uow, wanted, excluded=which))

    def why_excluded(self, campaign_id: CampaignId, customer_id: CustomerId) -> Exclusion | None:
        """Why the campaign left the customer out; ``None`` if the customer is a member.

        Raises:
            NotFoundError: No such campaign, or it never considered the customer.
        """
        wanted = check_id("campaign_id", campaign_id)
        who = check_id("customer_id", customer_id)
        return self._read(lambda uow: services.why_excluded(uow, wanted, who))

    # -- attribution of stored orders ---------------------------------------------

    def attribute(
        self,
        *,
        model: AttributionModel | str,
        start: datetime,
        end: datetime,
        lookback: timedelta = timedelta(days=30),
        half_life: timedelta | None = None,
        campaign_ids: Collection[CampaignId] | None = None,
        kinds: Collection[TouchpointKind | str] | None = None,
    ) -> AttributionReport:
        """Credit the revenue of the orders placed in ``[start, end)`` to the campaigns that touched them.

        An order is a stored transaction of kind ``order``. The touches are the
        stored touchpoints that carry a ``campaign_id`` — of every kind and
        direction (sends, opens, clicks, visits...), unless ``kinds`` narrows
        them — of the order's customer, from ``lookback`` before the order up
        to the order itself, both included. Each order is shared among them by
        ``model`` (see [attribute][relcore.marketing.attribution.attribute] and
        the explanation page "Attribution models"). The ROI of a campaign is
        taken on its actual cost, in its own currency (see
        [CampaignReturn][relcore.marketing.attribution_report.CampaignReturn]).

        Args:
            model: The attribution model (a member or its value, such as ``"linear"``).
            start: Orders placed at or after it count (aware).
            end: Orders placed before it count (aware, after ``start``).
            lookback: How far before an order a touch still counts (positive).
            half_life: For ``time_decay`` only, and required there (positive).
            campaign_ids: Only the touches of these campaigns count (the others
                are left out, so an order touched only by them is unattributed),
                and each gets a return even if it earned nothing.
            kinds: Only touchpoints of these kinds count (built-in or declared).

        Returns:
            The [AttributionReport][relcore.marketing.attribution_report.AttributionReport].

        Raises:
            ValidationError: Naming ``model``, ``start``, ``end``, ``lookback``,
                ``half_life``, ``campaign_ids`` (``campaign_ids[0]``) or ``kinds`` (``kinds[0]``).
            NotFoundError: A campaign of ``campaign_ids`` is not stored.

        Example:
            >>> from datetime import UTC, datetime, timedelta
            >>> from relcore import CRM, Customer, Touchpoint, Transaction
            >>> from relcore.marketing import Campaign
            >>> crm = CRM.in_memory()
            >>> ada = crm.customers.add(Customer.person("Ada Lovelace"))
            >>> spring = crm.campaigns.add(
            ...     Campaign(name="Spring", channel="email", actual_cost="40.00", currency="EUR")
            ... )
            >>> day = datetime(2026, 3, 1, tzinfo=UTC)
            >>> _ = crm.activity.record_touchpoint(Touchpoint(customer_id=ada.id, channel="email",
            ...     direction="outbound", occurred_at=day, campaign_id=spring.id))
            >>> _ = crm.activity.record_transaction(Transaction(customer_id=ada.id, kind="order",
            ...     amount="100.00", currency="EUR", occurred_at=day + timedelta(days=2)))
            >>> report = crm.campaigns.attribute(
            ...     model="last_touch", start=day, end=day + timedelta(days=7)
            ... )
            >>> report.revenue_of(spring.id), report.return_of(spring.id).roi
            ({'EUR': Decimal('100.00')}, Decimal('1.5'))
        """
        chosen, window, half = check_settings(model, lookback, half_life)
        begin = check.check_datetime("start", start)
        until = check.check_datetime("end", end)
        if until <= begin:
            raise check.fail("end", "must be after start")
        wanted = None if campaign_ids is None else check_ids("campaign_ids", campaign_ids)
        if kinds is not None:
            if isinstance(kinds, str | bytes) or not isinstance(kinds, Collection):
                raise check.fail(
                    "kinds", f"expected a collection of touchpoint kinds, got {check.kind(kinds)}"
                )
            self._vocabularies.touchpoint_kinds.check_all("kinds", kinds)
        query = JourneyQuery(begin, until, window, wanted, None if kinds is None else [str(k) for k in kinds])
        return self._read(
            lambda uow: attribution_services.attribute_stored(uow, query, model=chosen, half_life=half)
        )
