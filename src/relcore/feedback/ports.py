"""The ports of the feedback context: the responses, their history for rules, the tallies of the figures."""

from __future__ import annotations

import builtins
from collections.abc import Collection
from datetime import UTC, datetime, tzinfo
from typing import Protocol
from uuid import UUID

import attrs

from relcore._kernel.declarations import Aggregate, Context, History, HistoryField, Port
from relcore.activity.ports import ActivityWork
from relcore.feedback.metrics import Group, Tally
from relcore.feedback.model import (
    FeedbackImported,
    FeedbackKind,
    FeedbackRecorded,
    FeedbackResponse,
    NpsClass,
)
from relcore.ids import CustomerId
from relcore.storage.base import AggregateRepository

__all__ = [
    "CONTEXT",
    "FEEDBACK",
    "FEEDBACK_HISTORY",
    "CASE_GROUPS",
    "GROUPS",
    "TALLIES",
    "FeedbackRepository",
    "FeedbackTallies",
    "FeedbackWork",
    "TallyQuery",
    "TallyRow",
]

GROUPS = ("channel", "survey", "case_id", "campaign_id", "team", "assignee")
"""The fields figures can be grouped by, besides the period: the response's, its case's team and assignee."""

CASE_GROUPS = ("team", "assignee")
"""The groups read from the case an answer is about, as it is now (CSAT per team and per agent)."""


class FeedbackRepository(AggregateRepository[FeedbackResponse], Protocol):
    """Responses: the generic operations (``find(source, external_id)``), and two more.

    ``add`` of a response whose ``(source, external_id)`` is stored changes
    nothing and returns ``False``; a response without ``external_id`` is always new.
    """

    def for_customer(
        self, customer_id: CustomerId, *, kind: FeedbackKind | None = None
    ) -> builtins.list[FeedbackResponse]:
        """The customer's responses (of one kind), newest first: by ``answered_at``, then id, descending."""
        ...

    def refresh_latest(self, customer_ids: Collection[CustomerId]) -> int:
        """Set ``latest`` on the newest response of each kind of these customers, and clear it elsewhere.

        Newest is the greatest ``(answered_at, id)``. Returns how many stored
        responses changed.
        """
        ...


@attrs.frozen(kw_only=True)
class TallyQuery:
    """Which responses a figure counts, and how they are grouped.

    Attributes:
        kind: The kind of the responses counted.
        start: Count answers at or after this instant (``None``: from the first).
        end: Count answers strictly before this instant (``None``: to the last).
        by: The fields grouped by, a part of [GROUPS][relcore.feedback.ports.GROUPS] in its order.
        period: Group by this local period too (``"day"`` ... ``"year"``), or not (``None``).
        zone: The time zone whose calendar the periods follow.
        channels: Count only these channels (``None``: all).
        surveys: Count only these surveys (``None``: all).
        customer_ids: Count only these customers' answers (``None``: everyone's).
    """

    kind: FeedbackKind
    start: datetime | None = None
    end: datetime | None = None
    by: tuple[str, ...] = ()
    period: str | None = None
    zone: tzinfo = UTC
    channels: frozenset[str] | None = None
    surveys: frozenset[str] | None = None
    customer_ids: frozenset[UUID] | None = None

    def admits(self, response: FeedbackResponse) -> bool:
        """Whether the query counts ``response`` (the reference of every store's filter)."""
        if response.kind is not self.kind:
            return False
        if self.start is not None and response.answered_at < self.start:
            return False
        if self.end is not None and response.answered_at >= self.end:
            return False
        if self.channels is not None and str(response.channel) not in self.channels:
            return False
        if self.surveys is not None and response.survey not in self.surveys:
            return False
        return self.customer_ids is None or response.customer_id in self.customer_ids


@attrs.frozen
class TallyRow:
    """The counts of one group's responses on one scale.

    Attributes:
        group: The group (the fields not grouped by are ``None``).
        scale_min: The responses' scale's lowest point.
        scale_max: Its highest point.
        tally: Their counts.
    """

    group: Group
    scale_min: int
    scale_max: int
    tally: Tally


class FeedbackTallies(Protocol):
    """The counts behind the feedback figures: one grouped count over many responses."""

    def tally(self, query: TallyQuery) -> builtins.list[TallyRow]:
        """The counts of the responses ``query`` admits, per group and scale.

        One row per group and scale holding at least one response (a store
        may split one into several rows: add their tallies up); in no
        particular order. Periods are the local calendar's of
        ``query.zone`` (see [relcore.feedback.periods][]).
        """
        ...


class FeedbackWork(ActivityWork, Protocol):
    """The ports the feedback use cases need."""

    @property
    def feedback_responses(self) -> FeedbackRepository:
        """The responses."""
        ...

    @property
    def feedback_tallies(self) -> FeedbackTallies:
        """The counts behind the figures."""
        ...


FEEDBACK = Aggregate(
    "feedback_responses",
    FeedbackRepository,
    memory="relcore.feedback._memory:MemoryFeedback",
    sql="relcore.feedback._sql:SqlFeedback",
    entity=FeedbackResponse,
    references=(("contact_id", "contacts"), ("touchpoint_id", "touchpoints")),
    unique=(("source", "external_id"),),
    table="relcore.storage.sql.schema:feedback_responses",
)
"""Responses, owned by their customer, idempotent on ``(source, external_id)``.

Its case and campaign ids are plain ids: no stored case or campaign is checked.
"""

FEEDBACK_HISTORY = History(
    "feedback",
    FEEDBACK,
    (
        HistoryField("kind", "choice", choices=FeedbackKind),
        HistoryField("score", "number"),
        HistoryField("nps_class", "choice", nullable=True, choices=NpsClass),
        HistoryField("positive", "bool"),
        HistoryField("latest", "bool"),
        HistoryField("channel", "choice", vocabulary="channels"),
        HistoryField("survey", "text", nullable=True),
        HistoryField("case_id", "id", nullable=True),
        HistoryField("campaign_id", "id", nullable=True),
        HistoryField("touchpoint_id", "id", nullable=True),
        HistoryField("contact_id", "id", nullable=True),
        HistoryField("source", "text"),
    ),
    time="answered_at",
)
"""Responses as rules see them, dated by ``answered_at``: the customers whose latest NPS is a detractor's are
``feedback(kind == "nps", latest == true, nps_class == "detractor").count() >= 1``."""

TALLIES = Port(
    "feedback_tallies",
    FeedbackTallies,
    memory="relcore.feedback._memory:MemoryTallies",
    sql="relcore.feedback._sql_tallies:SqlTallies",
)
"""The counts behind the figures (a query port: it stores nothing)."""

CONTEXT = Context(
    "feedback",
    ports=(FEEDBACK, TALLIES),
    events=(FeedbackRecorded, FeedbackImported),
    contracts=("relcore.feedback._testing:FeedbackContract",),
    snapshot="relcore.feedback._testing:stored_state",
    histories=(FEEDBACK_HISTORY,),
    examples=(("feedback_responses", "relcore.feedback._testing:new_response"),),
)
"""The feedback context, as the registry sees it."""
