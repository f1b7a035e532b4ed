"""The SQL repositories of the marketing context: the generic ones, and their special queries."""

from __future__ import annotations

import builtins
from collections.abc import Collection, Iterator
from datetime import datetime
from typing import TYPE_CHECKING, Any
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.engine import Dialect

from relcore._kernel.checks import check_datetime
from relcore.activity.model import Direction
from relcore.customers.model import ContactPointKind
from relcore.ids import CampaignId, CustomerId, SegmentId
from relcore.marketing.audiences import STORED_ADDRESS_KINDS, Candidate, address_kind
from relcore.marketing.members import CampaignMember, Exclusion
from relcore.marketing.model import Campaign
from relcore.marketing.ports import check_excluded, check_matches
from relcore.marketing.suppressions import Suppression, SuppressionKind, address_domain
from relcore.sales.pipelines import check_key
from relcore.segments import DEFAULT_CATALOGUE, Catalogue, Rule
from relcore.segments._sql_fields import consent_granted
from relcore.segments._sql_rules import compile_rule
from relcore.storage.base import Page
from relcore.storage.rules import check_id, check_ids, check_limit
from relcore.storage.sql.dialects import DialectFamily, dialect_family
from relcore.storage.sql.generic import SqlRepository, among
from relcore.storage.sql.schema import (
    campaign_members,
    consents,
    contact_points,
    contacts,
    customers,
    segment_members,
    suppressions,
    touchpoints,
)
from relcore.storage.sql.types import UTCDateTime

if TYPE_CHECKING:
    from relcore.storage.sql.store import SqlUnitOfWork

__all__ = ["SqlAudiences", "SqlCampaignMembers", "SqlSuppressions", "audience_query"]


class SqlCampaignMembers(SqlRepository[CampaignMember]):
    """The customers campaigns considered, in ``relcore_campaign_members``."""

    def for_campaign(
        self,
        campaign_id: CampaignId,
        *,
        excluded: bool | None = None,
        after: UUID | None = None,
        limit: int = 100,
    ) -> Page[CampaignMember]:
        """One page, in id order, of what one campaign considered (members, left out, or both)."""
        wanted = check_id("campaign_id", campaign_id)
        which = check_excluded(excluded)
        start = None if after is None else check_id("after", after)
        size = check_limit(limit)
        table = campaign_members
        query = sa.select(table).where(table.c.campaign_id == wanted).order_by(table.c.id).limit(size + 1)
        if which is True:
            query = query.where(table.c.excluded.is_not(None))
        elif which is False:
            query = query.where(table.c.excluded.is_(None))
        if start is not None:
            query = query.where(table.c.id > start)
        found = self.all(query)
        items = tuple(found[:size])
        return Page(items, items[-1].id if len(found) > size else None)

    def of_customers(
        self, campaign_id: CampaignId, customer_ids: Collection[CustomerId]
    ) -> dict[CustomerId, CampaignMember]:
        """What one campaign considered of these customers, by customer (the unique key's index)."""
        wanted = check_id("campaign_id", campaign_id)
        who = sorted(set(check_ids("customer_ids", customer_ids)))
        table = campaign_members
        found: dict[CustomerId, CampaignMember] = {}
        for condition in among(table.c.customer_id, who, self._uow.connection.dialect):
            query = sa.select(table).where(table.c.campaign_id == wanted, condition)
            found.update((m.customer_id, m) for m in self.all(query))
        return found

    def reassign(
        self, campaign_id: CampaignId, customer_ids: Collection[CustomerId], variant: str, *, status: str
    ) -> int:
        """Give ``variant`` to the members among ``customer_ids`` in ``status`` with another one.

        One ``UPDATE`` per list of customers (one on PostgreSQL), stamping
        ``updated_at`` as [save][relcore.storage.sql.generic.SqlRepository.save]
        does: now, but never before the member was added.
        """
        self._uow.check_writable()
        wanted = check_id("campaign_id", campaign_id)
        who = sorted(set(check_ids("customer_ids", customer_ids)))
        new, current = check_key("variant", variant), check_key("status", status)
        table = campaign_members
        now = sa.bindparam("now", self._uow.clock(), type_=UTCDateTime)
        stamp = sa.case((table.c.added_at > now, table.c.added_at), else_=now)
        changed = 0
        for condition in among(table.c.customer_id, who, self._uow.connection.dialect):
            statement = (
                table.update()
                .where(
                    table.c.campaign_id == wanted,
                    condition,
                    table.c.excluded.is_(None),
                    table.c.status == current,
                    sa.or_(table.c.variant.is_(None), table.c.variant != new),
                )
                .values(variant=new, version=table.c.version + 1, updated_at=stamp)
            )
            changed += self._uow.execute(statement, what="reassign campaign members").rowcount
        return changed

    def counts(self, campaign_id: CampaignId) -> dict[str, int]:
        """How many members are in each status, and how many were left out for each reason."""
        wanted = check_id("campaign_id", campaign_id)
        table = campaign_members
        key = sa.func.coalesce(table.c.excluded, table.c.status)
        query = sa.select(key, sa.func.count()).where(table.c.campaign_id == wanted).group_by(key)
        rows = self._uow.execute(query, what="count campaign members").all()
        return dict(sorted((str(name), int(n)) for name, n in rows))


class SqlSuppressions(SqlRepository[Suppression]):
    """The suppression list in ``relcore_suppressions``."""

    def _live(self, moment: datetime) -> sa.ColumnElement[bool]:
        table = suppressions
        return sa.and_(
            table.c.created_at <= moment,
            sa.or_(table.c.expires_at.is_(None), table.c.expires_at > moment),
        )

    def active(self, at: datetime) -> builtins.list[Suppression]:
        """The suppressions live at ``at``, by kind then value."""
        moment = check_datetime("at", at)
        table = suppressions
        return self.all(sa.select(table).where(self._live(moment)).order_by(table.c.kind, table.c.value))

    def matches(
        self, addresses: Collection[str], customer_ids: Collection[CustomerId], at: datetime
    ) -> set[str | CustomerId]:
        """Which of the addresses and customers a suppression live at ``at`` covers."""
        texts, ids, moment = check_matches(addresses, customer_ids, at)
        folded = {address: address.strip().casefold() for address in texts}
        domains = {address: address_domain(value) for address, value in folded.items()}
        wanted = {
            SuppressionKind.ADDRESS: list(folded.values()),
            SuppressionKind.DOMAIN: [d for d in domains.values() if d is not None],
            SuppressionKind.CUSTOMER: [str(i) for i in ids],
        }
        table = suppressions
        live: dict[SuppressionKind, set[str]] = {kind: set() for kind in SuppressionKind}
        for kind, values in wanted.items():
            for condition in among(table.c.value, sorted(set(values)), self._uow.connection.dialect):
                query = sa.select(table.c.value).where(
                    table.c.kind == kind.value, condition, self._live(moment)
                )
                rows = self._uow.execute(query, what="match suppressions").scalars()
                live[kind].update(str(value) for value in rows)
        found: set[str | CustomerId] = {
            address
            for address, value in folded.items()
            if value in live[SuppressionKind.ADDRESS] or domains[address] in live[SuppressionKind.DOMAIN]
        }
        found.update(CustomerId(i) for i in ids if str(i) in live[SuppressionKind.CUSTOMER])
        return found


class SqlAudiences:
    """The audience query in a SQL store: one statement, streamed.

    See [audience_query][relcore.marketing._sql.audience_query].
    """

    def __init__(self, uow: SqlUnitOfWork) -> None:
        self._uow = uow

    def candidates(
        self,
        campaign: Campaign,
        source: Rule | SegmentId,
        as_of: datetime,
        *,
        catalogue: Catalogue = DEFAULT_CATALOGUE,
    ) -> Iterator[Candidate]:
        """Yield every customer ``source`` holds at ``as_of``, in id order, kept or left out."""
        moment = check_datetime("as_of", as_of)
        dialect = self._uow.connection.dialect
        query = audience_query(campaign, source, moment, dialect=dialect, catalogue=catalogue)
        result = self._uow.execute(query.execution_options(yield_per=_BATCH), what="select an audience")
        with self._uow.translating("select an audience"):
            for batch in result.partitions():
                for customer_id, address, key, reason in batch:
                    yield Candidate(
                        customer_id=CustomerId(customer_id),
                        address=address,
                        key=key,
                        exclusion=None if reason is None else Exclusion(reason),
                    )


_BATCH = 2000  # rows fetched at a time while streaming an audience


def audience_query(
    campaign: Campaign,
    source: Rule | SegmentId,
    as_of: datetime,
    *,
    dialect: Dialect | str,
    catalogue: Catalogue = DEFAULT_CATALOGUE,
) -> sa.Select[Any]:
    """``SELECT customer_id, address, key, exclusion`` for every customer ``source`` holds, by id.

    The rules of [relcore.marketing.audiences][] in one statement: the rule
    compiled by the segments' compiler (or the segment's stored members), the
    deciding consent record as the rule language reads it, the live
    suppressions by customer, address and domain, the frequency cap as a
    grouped count of the window's marketing messages, the best contact point
    not suppressed by ``ROW_NUMBER()`` over the customer's points, and
    duplicates by ``ROW_NUMBER()`` over the kept customers sharing a key.
    PostgreSQL materializes the judged customers first: inlined, its planner
    evaluated every reason again in the duplicates' window (1.6 times the
    time of a hand-written statement; 1.2 materialized). The deciding consent
    record is found the way each planner does best, with the same answer:
    numbered in one pass over the ledger on PostgreSQL, looked up customer by
    customer through the ledger's index elsewhere (on SQLite at 200,000
    customers, 1.32 times the hand-written statement against 1.51 numbered).
    """
    family = dialect_family(dialect)
    channel, purpose = str(campaign.channel), str(campaign.purpose)
    if isinstance(source, UUID):
        chosen: sa.ColumnElement[bool] = customers.c.id.in_(
            sa.select(segment_members.c.customer_id).where(segment_members.c.segment_id == source)
        )
    else:
        chosen = compile_rule(source, as_of, dialect=dialect, catalogue=catalogue)
    kind = address_kind(channel)
    customer_suppressed = _suppressed(SuppressionKind.CUSTOMER, _id_text(family), as_of)
    capped = _capped(campaign, as_of)
    consented = (
        customers.c.id.in_(_consenting(purpose, channel, as_of))
        if family is DialectFamily.POSTGRESQL
        else consent_granted(purpose, channel, as_of)
    )
    if kind is None:
        reason = sa.case(
            (~consented, Exclusion.NO_CONSENT.value),
            (customer_suppressed, Exclusion.SUPPRESSED.value),
            (capped, Exclusion.FREQUENCY_CAP.value),
            else_=sa.null(),
        )
        return sa.select(customers.c.id, sa.null(), sa.null(), reason).where(chosen).order_by(customers.c.id)
    best = _best_points(kind, as_of, family)
    had_points = (
        sa.exists()
        .where(contacts.c.customer_id == customers.c.id, contact_points.c.contact_id == contacts.c.id)
        .where(contact_points.c.kind == kind.value)
    )
    reason = sa.case(
        (~consented, Exclusion.NO_CONSENT.value),
        (sa.or_(customer_suppressed, sa.and_(best.c.key.is_(None), had_points)), Exclusion.SUPPRESSED.value),
        (capped, Exclusion.FREQUENCY_CAP.value),
        (best.c.key.is_(None), Exclusion.NO_ADDRESS.value),
        else_=sa.null(),
    )
    stored = kind in STORED_ADDRESS_KINDS
    first = sa.and_(best.c.customer_id == customers.c.id, best.c.rank == 1)
    base = (
        sa.select(
            customers.c.id.label("customer_id"),
            (best.c.value if stored else sa.null()).label("address"),
            best.c.key.label("key"),
            reason.label("reason"),
        )
        .select_from(customers.outerjoin(best, first))
        .where(chosen)
        .cte("considered")
        .prefix_with("MATERIALIZED", dialect="postgresql")
    )
    kept_key = sa.case((base.c.reason.is_(None), base.c.key), else_=sa.null())
    second = sa.func.row_number().over(partition_by=kept_key, order_by=base.c.customer_id) > 1
    exclusion = sa.case(
        (base.c.reason.is_not(None), base.c.reason),
        (second, Exclusion.DUPLICATE_ADDRESS.value),
        else_=sa.null(),
    )
    return sa.select(base.c.customer_id, base.c.address, base.c.key, exclusion).order_by(base.c.customer_id)


def _consenting(purpose: str, channel: str, as_of: datetime) -> sa.Select[Any]:
    """The customers whose deciding consent record at ``as_of`` is an unexpired grant.

    The deciding record is the latest ``(recorded_at, id)`` at or before
    ``as_of`` covering the purpose on this channel or every channel, as in
    [relcore.domain.current_consent][]; numbered by ``ROW_NUMBER()`` in one
    pass over the ledger rather than looked up customer by customer.
    """
    ledger = consents
    newest_first = sa.func.row_number().over(
        partition_by=ledger.c.customer_id, order_by=(ledger.c.recorded_at.desc(), ledger.c.id.desc())
    )
    deciding = (
        sa.select(ledger.c.customer_id, ledger.c.status, ledger.c.expires_at, newest_first.label("newest"))
        .where(
            ledger.c.purpose == purpose,
            sa.or_(ledger.c.channel == channel, ledger.c.channel.is_(None)),
            ledger.c.recorded_at <= as_of,
        )
        .subquery("deciding")
    )
    return sa.select(deciding.c.customer_id).where(
        deciding.c.newest == 1,
        deciding.c.status == "granted",
        sa.or_(deciding.c.expires_at.is_(None), deciding.c.expires_at > as_of),
    )


def _live(table: Any, as_of: datetime) -> sa.ColumnElement[bool]:
    return sa.and_(
        table.c.created_at <= as_of, sa.or_(table.c.expires_at.is_(None), table.c.expires_at > as_of)
    )


def _suppressed(kind: SuppressionKind, value: Any, as_of: datetime) -> sa.ColumnElement[bool]:
    entry = suppressions.alias(f"suppressed_{kind.value}")
    return sa.exists().where(entry.c.kind == kind.value, entry.c.value == value, _live(entry, as_of))


def _id_text(family: DialectFamily) -> Any:
    """The customer's id as a customer suppression stores it (``str(uuid)``)."""
    if family is DialectFamily.POSTGRESQL:
        return sa.cast(customers.c.id, sa.String(36))
    # SQLite keeps a UUID as 32 hex digits, MariaDB as 32 hex digits or (from 10.7) a native UUID
    # whose text has dashes: take the digits alone, then put the dashes where str(uuid) has them
    text = sa.func.lower(sa.func.replace(sa.cast(customers.c.id, sa.String(36)), "-", ""))
    spans = ((1, 8), (9, 4), (13, 4), (17, 4), (21, 12))
    parts = [sa.func.substr(text, start, length) for start, length in spans]
    return parts[0] + "-" + parts[1] + "-" + parts[2] + "-" + parts[3] + "-" + parts[4]


def _domain(key: Any, family: DialectFamily) -> Any:
    """The part of an e-mail key after its ``@`` (a normalised address has exactly one)."""
    if family is DialectFamily.POSTGRESQL:
        return sa.func.substr(key, sa.func.strpos(key, "@") + 1)
    if family is DialectFamily.MYSQL:
        return sa.func.substring(key, sa.func.locate("@", key) + 1)
    return sa.func.substr(key, sa.func.instr(key, "@") + 1)


def _best_points(kind: ContactPointKind, as_of: datetime, family: DialectFamily) -> sa.Subquery:
    """Each customer's contact points of ``kind`` not suppressed, ranked best first (``rank`` 1)."""
    point = contact_points
    free = ~_suppressed(SuppressionKind.ADDRESS, point.c.lookup_key, as_of)
    if kind is ContactPointKind.EMAIL:
        free = sa.and_(free, ~_suppressed(SuppressionKind.DOMAIN, _domain(point.c.lookup_key, family), as_of))
    rank = sa.func.row_number().over(
        partition_by=contacts.c.customer_id,
        order_by=(
            point.c.is_primary.desc(),
            point.c.is_verified.desc(),
            point.c.contact_id,
            point.c.position,
        ),
    )
    return (
        sa.select(
            contacts.c.customer_id,
            point.c.value,
            point.c.lookup_key.label("key"),
            rank.label("rank"),
        )
        .select_from(point.join(contacts, contacts.c.id == point.c.contact_id))
        .where(point.c.kind == kind.value, free)
        .subquery("best_points")
    )


def _capped(campaign: Campaign, as_of: datetime) -> sa.ColumnElement[bool]:
    """Whether the customer got the cap's count of marketing messages on the channel in its window."""
    cap = campaign.frequency_cap
    if cap is None:
        return sa.false()
    sent = touchpoints
    counted = (
        sa.select(sent.c.customer_id)
        .where(
            sent.c.direction == Direction.OUTBOUND.value,
            sent.c.campaign_id.is_not(None),
            sent.c.channel == str(campaign.channel),
            sent.c.occurred_at > as_of - cap.window,
            sent.c.occurred_at <= as_of,
        )
        .group_by(sent.c.customer_id)
        .having(sa.func.count() >= cap.count)
    )
    return customers.c.id.in_(counted)
