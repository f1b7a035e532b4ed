"""The campaigns namespace of the facade: ``crm.campaigns``."""

from __future__ import annotations

import builtins
from collections.abc import Collection
from datetime import datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING
from uuid import UUID

from relcore._kernel import checks as check
from relcore._kernel.arguments import check_id, check_instance, check_limit, check_optional_datetime
from relcore._kernel.namespace import Namespace, UnitOfWorkSource
from relcore.activity.model import Touchpoint, TouchpointKind
from relcore.clock import Clock
from relcore.ids import CampaignId, CustomerId, SegmentId
from relcore.marketing import attribution_services, response_services, services
from relcore.marketing.attribution import AttributionModel, check_settings
from relcore.marketing.attribution_ports import JourneyQuery
from relcore.marketing.attribution_report import AttributionReport
from relcore.marketing.audiences import Audience, SendCheck
from relcore.marketing.members import CampaignMember, Exclusion
from relcore.marketing.model import Campaign, CampaignStatus
from relcore.marketing.ports import MarketingWork, check_excluded
from relcore.marketing.responses import DEFAULT_RESPONSES, AppliedResponses, RecordedResponse, ResponseMapping
from relcore.marketing.results import CampaignResults, Metric, WinnerSent, check_confidence, check_metric
from relcore.marketing.suppressions import Suppression, SuppressionKind, normalise_suppressed
from relcore.sales.pipelines import check_probability
from relcore.segments import DEFAULT_CATALOGUE, Catalogue, Rule, Segment, validate
from relcore.segments.api import check_target
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

    __slots__ = ("_catalogue", "_vocabularies")

    def __init__(
        self,
        source: UnitOfWorkSource[MarketingWork],
        clock: Clock,
        vocabularies: Vocabularies,
        catalogue: Catalogue = DEFAULT_CATALOGUE,
    ) -> None:
        super().__init__(source, clock)
        self._vocabularies = vocabularies
        self._catalogue = catalogue

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

        The value is normalised (case-folded as contact-point keys are, stripped; a customer's id as
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

    # -- audiences ---------------------------------------------------------------

    def build_audience(
        self,
        campaign_id: CampaignId,
        source: Rule | Segment | SegmentId | str,
        *,
        as_of: datetime | None = None,
    ) -> Audience:
        """Build the campaign's audience from a rule or a segment at ``as_of`` (now by default).

        Every customer ``source`` holds is considered and stored, in one unit
        of work: a member (in the campaign's default status, with its variant
        and address), the control group, or left out with the reason why, by
        the rules of [relcore.marketing.audiences][] — consent for the
        campaign's purpose on its channel, the suppression list, the frequency
        cap, a usable and unique address. On SQL stores one query does the
        judging. Building again adds only customers not considered yet.

        Raises:
            ValidationError: Naming ``campaign_id``, ``source`` or ``as_of``; or the
                campaign is completed or aborted (``campaign_id``).
            InvalidRuleError: The rule is not valid on the catalogue.
            NotFoundError: No such campaign or segment.
        """
        wanted = check_id("campaign_id", campaign_id)
        target = check_target("source", source)
        if not isinstance(target, Segment | UUID | str):
            validate(target, self._catalogue)
        moment = self._as_of(as_of)
        return self._write(lambda uow: services.build_audience(uow, wanted, target, moment, self._catalogue))

    def check_send(
        self, campaign_id: CampaignId, customer_id: CustomerId, *, at: datetime | None = None
    ) -> SendCheck:
        """Ask just before sending: may the campaign message this customer at ``at`` (now by default)?

        Consent and the suppression list are checked again; a member who may no
        longer be contacted is left out from then on. The frequency cap is
        counted again too; a member over it is told ``frequency_cap`` and
        stays a member (see
        [services.check_send][relcore.marketing.services.check_send]).

        Raises:
            NotFoundError: No such campaign, or it never considered the customer.
        """
        wanted = check_id("campaign_id", campaign_id)
        who = check_id("customer_id", customer_id)
        moment = self._as_of(at, "at")
        return self._write(lambda uow: services.check_send(uow, wanted, who, moment))

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

    # -- responses and results ---------------------------------------------------

    def record_response(
        self, touchpoint: Touchpoint, *, mapping: ResponseMapping = DEFAULT_RESPONSES
    ) -> RecordedResponse:
        """Record a campaign touchpoint and move its customer's member, in one unit of work.

        The touchpoint (its ``campaign_id`` set) is recorded as
        [record_touchpoint][relcore.activity.api.Activity.record_touchpoint]
        does, idempotent on ``(source, external_id)``: the same touchpoint
        twice changes nothing the second time. The member status it stands for
        (the first rule of ``mapping`` it matches) moves the customer's member
        forward only, or into a terminal status, never out of one
        ([respond][relcore.marketing.respond]); ``first_responded_at`` is set
        when it first reaches a status that counts as a response, with a
        [CampaignMemberResponded][relcore.marketing.CampaignMemberResponded]
        event after commit.

        A touchpoint for a customer the campaign never considered, or left out
        (``no_consent``, ``control_group``...), is recorded and moves nobody.

        A touchpoint of ``mapping.withdraws`` (an unsubscribe) also appends a
        consent withdrawal for the campaign's purpose on its channel, dated
        when it occurred, unless the ledger already says "withdrawn" or
        "denied" then; [CampaignMemberUnsubscribed][relcore.marketing.CampaignMemberUnsubscribed]
        follows after commit. This holds for every customer, member or not:
        an unsubscribe is always honoured.

        Raises:
            ValidationError: Not a touchpoint, no ``campaign_id``, an undeclared channel or
                kind (``touchpoint.channel``), or a mapping naming a status the campaign does
                not list (``mapping.rules[2].status``).
            NotFoundError: The campaign or the customer is not stored.

        Example:
            >>> from datetime import UTC, datetime, timedelta
            >>> from relcore import CRM, Customer, Touchpoint
            >>> from relcore.marketing import Campaign, CampaignMember
            >>> t0 = datetime(2026, 4, 1, 9, tzinfo=UTC)
            >>> crm = CRM.in_memory()
            >>> ada = crm.customers.add(Customer.person("Ada"))
            >>> _ = crm.consent.record(ada.id, "marketing", "granted", channel="email", recorded_at=t0)
            >>> spring = crm.campaigns.add(Campaign(name="Spring", channel="email", created_at=t0))
            >>> with crm.unit_of_work() as uow:  # the audience builder's job
            ...     _ = uow.campaign_members.add(CampaignMember(
            ...         campaign_id=spring.id, customer_id=ada.id, status="targeted", added_at=t0))
            ...     uow.commit()
            >>> def touch(kind, direction, hours, outcome=None):
            ...     return Touchpoint(customer_id=ada.id, campaign_id=spring.id, channel="email",
            ...                       kind=kind, direction=direction, outcome=outcome,
            ...                       occurred_at=t0 + timedelta(hours=hours),
            ...                       source="esp", external_id=f"{kind}-{hours}")
            >>> crm.campaigns.record_response(touch("message", "outbound", 1)).member.status
            'sent'
            >>> crm.campaigns.record_response(touch("click", "inbound", 3)).member.status
            'clicked'
            >>> crm.campaigns.record_response(touch("open", "inbound", 2)).moved  # never backward
            False
            >>> done = crm.campaigns.record_response(touch("click", "inbound", 4, "unsubscribed"))
            >>> done.member.status, done.withdrawn
            ('unsubscribed', True)
            >>> crm.consent.may_contact(ada.id, "marketing", "email")
            False
        """
        checked = check_instance("touchpoint", touchpoint, Touchpoint)
        self._vocabularies.channels.check("touchpoint.channel", checked.channel)
        self._vocabularies.touchpoint_kinds.check("touchpoint.kind", checked.kind)
        rules = check_instance("mapping", mapping, ResponseMapping)
        return self._write(lambda uow: response_services.record_response(uow, checked, rules))

    def apply_responses(
        self, campaign_id: CampaignId, *, mapping: ResponseMapping = DEFAULT_RESPONSES
    ) -> AppliedResponses:
        """Move a campaign's members by its stored touchpoints (imported in bulk), in one unit of work.

        Every touchpoint carrying the campaign's id is applied as
        [record_response][relcore.marketing.api.Campaigns.record_response]
        would, oldest first; unsubscribes withdraw consent once. Running it
        again changes nothing.

        Raises:
            NotFoundError: No such campaign.
            ValidationError: ``mapping`` names a status the campaign does not list.
        """
        wanted = check_id("campaign_id", campaign_id)
        rules = check_instance("mapping", mapping, ResponseMapping)
        return self._write(lambda uow: response_services.apply_responses(uow, wanted, rules))

    def results(
        self,
        campaign_id: CampaignId,
        *,
        as_of: datetime | None = None,
        metric: Metric = "response",
        confidence: float = 0.95,
        mapping: ResponseMapping = DEFAULT_RESPONSES,
    ) -> CampaignResults:
        """A campaign's results as of ``as_of`` (now by default): per variant, in total, against the control.

        Counted from what happened by ``as_of``, not from the members' stored
        statuses, so the same ``as_of`` gives the same results tomorrow:

        * members (and control-group members) added by ``as_of``;
        * sent, delivered, opened, clicked, responded: members whose customer has a
          touchpoint of the campaign by ``as_of`` that ``mapping`` maps to that status or a
          later one (each stage among the previous; see
          [TallyQuery.of][relcore.marketing.responses.TallyQuery.of]);
        * converted: members whose customer placed an order (a transaction of kind
          ``order``) after being added and by ``as_of``; the control group, sent nothing,
          converts too, which is what the uplift compares.

        The counting runs in the database on the SQL backends.
        [CampaignResults][relcore.marketing.CampaignResults] gives the rates with
        Wilson intervals, the cost per response, the winner by ``metric``
        (``"reach"``, ``"delivery"``, ``"open"``, ``"click"``, ``"response"`` or
        ``"conversion"``) with a two-proportion test against the runner-up, and each
        variant's conversion uplift over the control group.

        Raises:
            NotFoundError: No such campaign.
            ValidationError: Naming ``as_of``, ``metric``, ``confidence`` or ``mapping``.
        """
        wanted = check_id("campaign_id", campaign_id)
        moment = self._as_of(as_of)
        chosen = check_metric(metric)
        level = check_confidence(confidence)
        rules = check_instance("mapping", mapping, ResponseMapping)
        return self._read(
            lambda uow: response_services.results(
                uow, wanted, rules, as_of=moment, metric=chosen, confidence=level
            )
        )

    def send_winner(
        self,
        campaign_id: CampaignId,
        *,
        test_share: Decimal | str,
        as_of: datetime | None = None,
        metric: Metric = "response",
        max_p_value: float | None = None,
        mapping: ResponseMapping = DEFAULT_RESPONSES,
    ) -> WinnerSent:
        """Test first, winner to the rest: give the winning variant to the rest group's unsent members.

        Odoo's A/B flow: the variants go to a test share of the members first
        ([split_test][relcore.marketing.split_test] with ``test_share`` and the
        campaign's seed, the same group every time); once the results as of
        ``as_of`` (now by default) have a winner by ``metric`` (with a p-value
        against the runner-up at most ``max_p_value``, when given), the members
        of the rest group still in the default status get the winner as their
        variant, in one unit of work. Without a winner nothing changes.

        Raises:
            NotFoundError: No such campaign.
            ValidationError: Naming ``test_share``, ``as_of``, ``metric``, ``max_p_value`` or ``mapping``.
        """
        wanted = check_id("campaign_id", campaign_id)
        share = check_probability("test_share", test_share)
        moment = self._as_of(as_of)
        chosen = check_metric(metric)
        if max_p_value is not None and (
            isinstance(max_p_value, bool)
            or not isinstance(max_p_value, int | float)
            or not 0.0 <= float(max_p_value) <= 1.0
        ):
            raise check.fail("max_p_value", "expected a number from 0 to 1")
        rules = check_instance("mapping", mapping, ResponseMapping)
        return self._write(
            lambda uow: response_services.send_winner(
                uow, wanted, rules, test_share=share, as_of=moment, metric=chosen, max_p_value=max_p_value
            )
        )

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
