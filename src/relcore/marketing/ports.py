"""The ports of the marketing context: campaigns, the customers they considered, and the suppression list."""

from __future__ import annotations

import builtins
from collections.abc import Collection, Iterator, Mapping
from datetime import datetime
from typing import Protocol
from uuid import UUID

from relcore._kernel import checks as check
from relcore._kernel.declarations import Aggregate, Context, History, HistoryField, Port
from relcore.activity.model import Touchpoint
from relcore.ids import CampaignId, CustomerId, SegmentId
from relcore.marketing.attribution_ports import JOURNEYS, JourneySource
from relcore.marketing.audiences import Candidate
from relcore.marketing.members import MAX_ADDRESS, CampaignMember, Exclusion
from relcore.marketing.model import Campaign, CampaignAdded, CampaignStatusChanged
from relcore.marketing.responses import (
    CampaignMemberResponded,
    CampaignMemberUnsubscribed,
    TallyQuery,
    TallyRow,
)
from relcore.marketing.scoring_ports import SCORE_HISTORY, SCORING_PORTS  # scoring: its own modules
from relcore.marketing.scoring_store import ScoreThresholdCrossed
from relcore.marketing.suppressions import Suppression
from relcore.sales.ports import SalesWork
from relcore.segments import DEFAULT_CATALOGUE, Catalogue, Rule
from relcore.storage.base import AggregateRepository, Page
from relcore.storage.rules import check_ids

__all__ = [
    "AUDIENCES",
    "CAMPAIGN_HISTORY",
    "CAMPAIGNS",
    "CAMPAIGN_MEMBERS",
    "CAMPAIGN_TALLIES",
    "CONTEXT",
    "SUPPRESSIONS",
    "AudienceQuery",
    "CampaignMemberRepository",
    "CampaignRepository",
    "CampaignTallies",
    "MarketingWork",
    "SuppressionRepository",
    "check_excluded",
    "check_matches",
]


def check_excluded(excluded: object) -> bool | None:
    """Return ``excluded`` if it is ``None``, ``True`` or ``False``.

    Raises:
        ValidationError: Otherwise, naming ``excluded``.
    """
    if excluded is not None and not isinstance(excluded, bool):
        raise check.fail("excluded", f"expected True, False or None, got {check.kind(excluded)}")
    return excluded


def check_matches(
    addresses: object, customer_ids: object, at: object
) -> tuple[builtins.list[str], builtins.list[UUID], datetime]:
    """The arguments of ``suppressions.matches``, checked: the addresses, the ids and the instant.

    Raises:
        ValidationError: Naming ``addresses`` (or ``addresses[2]``), ``customer_ids`` or ``at``.
    """
    if isinstance(addresses, str | bytes | Mapping) or not isinstance(addresses, Collection):
        raise check.fail("addresses", f"expected a collection of addresses, got {check.kind(addresses)}")
    texts = [check.check_text(f"addresses[{i}]", a, max_len=MAX_ADDRESS) for i, a in enumerate(addresses)]
    return texts, check_ids("customer_ids", customer_ids), check.check_datetime("at", at)


class CampaignRepository(AggregateRepository[Campaign], Protocol):
    """Campaigns: the generic operations (``find(name)``)."""


class CampaignMemberRepository(AggregateRepository[CampaignMember], Protocol):
    """The customers campaigns considered: the generic operations (``find(campaign_id, customer_id)``)."""

    def for_campaign(
        self,
        campaign_id: CampaignId,
        *,
        excluded: bool | None = None,
        after: UUID | None = None,
        limit: int = 100,
    ) -> Page[CampaignMember]:
        """One page, in id order, of what one campaign considered.

        ``excluded=False`` gives its members only, ``True`` the customers it
        left out only, ``None`` both.
        """
        ...

    def of_customers(
        self, campaign_id: CampaignId, customer_ids: Collection[CustomerId]
    ) -> dict[CustomerId, CampaignMember]:
        """What one campaign considered of these customers, by customer (absent: never considered)."""
        ...

    def reassign(
        self, campaign_id: CampaignId, customer_ids: Collection[CustomerId], variant: str, *, status: str
    ) -> int:
        """Give ``variant`` to the members among ``customer_ids`` in ``status`` with another; return how many.

        Each member changed is stamped as a save stamps it (its version goes up
        by one, ``updated_at`` is now); customers left out, members in another
        status and those already on ``variant`` are not touched.
        """
        ...

    def counts(self, campaign_id: CampaignId) -> dict[str, int]:
        """How many members are in each status, and how many were left out for each reason.

        Keys are status keys and [Exclusion][relcore.marketing.Exclusion]
        values; only the keys with at least one are there. A campaign that
        names a member status like an exclusion (``"suppressed"``) gets both
        counted under that one key.
        """
        ...


class SuppressionRepository(AggregateRepository[Suppression], Protocol):
    """The suppression list: the generic operations (``find(kind, value)``), and two queries."""

    def active(self, at: datetime) -> builtins.list[Suppression]:
        """The suppressions live at ``at``, by kind then value."""
        ...

    def matches(
        self, addresses: Collection[str], customer_ids: Collection[CustomerId], at: datetime
    ) -> set[str | CustomerId]:
        """Which of ``addresses`` and ``customer_ids`` a suppression live at ``at`` covers.

        An address is covered by its own suppression or by its domain's
        (compared case-folded); a customer by its own. The addresses come
        back as given, the ids as ids.
        """
        ...


class AudienceQuery(Protocol):
    """The audience query: whom a campaign may reach among the customers a rule or a segment holds."""

    def candidates(
        self,
        campaign: Campaign,
        source: Rule | SegmentId,
        as_of: datetime,
        *,
        catalogue: Catalogue = DEFAULT_CATALOGUE,
    ) -> Iterator[Candidate]:
        """Yield, in customer id order, every customer ``source`` holds at ``as_of``, kept or left out.

        ``source`` is a rule, run at ``as_of``, or the id of a segment whose
        stored members are taken as they are. Each candidate has the address
        the campaign reaches it at, or the reason it is left out, by the rules
        of [relcore.marketing.audiences][]; the answer must equal
        [screen][relcore.marketing.audiences.screen] on every store. Consume
        the iterator inside the unit of work.
        """
        ...


class CampaignTallies(Protocol):
    """A campaign's touchpoints, and the counts behind its results (a query port: it stores nothing)."""

    def touchpoints(
        self, campaign_id: CampaignId, *, until: datetime | None = None
    ) -> builtins.list[Touchpoint]:
        """The touchpoints carrying the campaign's id (at or before ``until``), by ``occurred_at`` then id."""
        ...

    def touchpoints_by_customer(
        self, campaign_id: CampaignId, *, after: CustomerId | None = None, limit: int = 1000
    ) -> builtins.list[tuple[CustomerId, builtins.list[Touchpoint]]]:
        """One page of the campaign's touchpoints, customer by customer.

        The first ``limit`` customers after ``after`` that have a touchpoint
        carrying the campaign's id, in the store's order of customer ids (pass
        the last one as ``after`` for the next page; an empty list is the
        end), each with its touchpoints by ``occurred_at`` then id.
        """
        ...

    def tally(self, query: TallyQuery) -> builtins.list[TallyRow]:
        """The counts of the campaign's members as of ``query.as_of``, one row per variant and control.

        Counted: members (``excluded`` is ``None``) and control-group members
        added at or before ``as_of``; for each flag of the query, those whose
        customer has a touchpoint of the campaign at or before ``as_of`` whose
        code is in the flag; and those whose customer placed an order strictly
        after they were added and at or before ``as_of``. Rows come in no
        particular order; a group with no members has no row.
        """
        ...


class MarketingWork(SalesWork, Protocol):
    """The ports the marketing use cases need."""

    @property
    def campaigns(self) -> CampaignRepository:
        """The campaigns."""
        ...

    @property
    def campaign_members(self) -> CampaignMemberRepository:
        """The customers campaigns considered."""
        ...

    @property
    def suppressions(self) -> SuppressionRepository:
        """The suppression list."""
        ...

    @property
    def campaign_audiences(self) -> AudienceQuery:
        """The audience query."""
        ...

    @property
    def campaign_tallies(self) -> CampaignTallies:
        """A campaign's touchpoints and the counts behind its results."""
        ...

    @property
    def campaign_journeys(self) -> JourneySource:
        """Each customer's orders and campaign touches, streamed for attribution."""
        ...


CAMPAIGNS = Aggregate(
    "campaigns",
    CampaignRepository,
    entity=Campaign,
    owner=None,
    references=(("parent_id", "campaigns"),),
    unique=(("name",),),
    versioned=True,
    table="relcore.storage.sql.schema:campaigns",
)
"""Campaigns, unique on their name, version-checked."""

CAMPAIGN_MEMBERS = Aggregate(
    "campaign_members",
    CampaignMemberRepository,
    memory="relcore.marketing._memory:MemoryCampaignMembers",
    sql="relcore.marketing._sql:SqlCampaignMembers",
    entity=CampaignMember,
    references=(("campaign_id", "campaigns"),),
    unique=(("campaign_id", "customer_id"),),
    versioned=True,
    table="relcore.storage.sql.schema:campaign_members",
)
"""The customers campaigns considered, owned by the customer, one per campaign and customer."""

SUPPRESSIONS = Aggregate(
    "suppressions",
    SuppressionRepository,
    memory="relcore.marketing._memory:MemorySuppressions",
    sql="relcore.marketing._sql:SqlSuppressions",
    entity=Suppression,
    owner=None,
    unique=(("kind", "value"),),
    table="relcore.storage.sql.schema:suppressions",
)
"""The suppression list, unique on the kind and value."""

AUDIENCES = Port(
    "campaign_audiences",
    AudienceQuery,
    memory="relcore.marketing._memory:MemoryAudiences",
    sql="relcore.marketing._sql:SqlAudiences",
)
"""The audience query (a query port: it stores nothing)."""


CAMPAIGN_TALLIES = Port(
    "campaign_tallies",
    CampaignTallies,
    memory="relcore.marketing._memory_tallies:MemoryCampaignTallies",
    sql="relcore.marketing._sql_tallies:SqlCampaignTallies",
)
"""A campaign's touchpoints and the counts behind its results (a query port: it stores nothing)."""

CAMPAIGN_HISTORY = History(
    "campaigns",
    CAMPAIGN_MEMBERS,
    (
        HistoryField("campaign_id", "id"),
        HistoryField("status", "text", nullable=True),
        HistoryField("variant", "text", nullable=True),
        HistoryField("excluded", "choice", nullable=True, choices=Exclusion),
        HistoryField("first_responded_at", "datetime", nullable=True),
        HistoryField("status_changed_at", "datetime", nullable=True),
    ),
    time="added_at",
)
"""The campaigns that considered a customer, dated by when they did, as rules see them:
``campaigns(status == "responded").within(days=90).count() >= 1``; a customer who
responded has ``first_responded_at`` set (``campaigns(first_responded_at is set)``);
one left out has its reason in ``excluded``."""

CONTEXT = Context(
    "marketing",
    ports=(CAMPAIGNS, CAMPAIGN_MEMBERS, SUPPRESSIONS, AUDIENCES, CAMPAIGN_TALLIES, JOURNEYS, *SCORING_PORTS),
    events=(
        CampaignAdded,
        CampaignStatusChanged,
        CampaignMemberResponded,
        CampaignMemberUnsubscribed,
        ScoreThresholdCrossed,
    ),
    contracts=(
        "relcore.marketing._testing:MarketingContract",
        "relcore.marketing._testing_tallies:CampaignTalliesContract",
        "relcore.marketing._scoring_testing:ScoringContract",
    ),
    histories=(CAMPAIGN_HISTORY, SCORE_HISTORY),
    snapshot="relcore.marketing._scoring_testing:stored_state",  # the campaigns' state, with scoring
    examples=(
        ("campaigns", "relcore.marketing._testing:new_campaign"),
        ("campaign_members", "relcore.marketing._testing:new_member"),
        ("suppressions", "relcore.marketing._testing:new_suppression"),
        ("scoring_plans", "relcore.marketing._scoring_testing:new_plan"),
    ),
)
"""The marketing context, as the registry sees it."""
